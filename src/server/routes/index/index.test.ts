import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeIndexService } from "../../../../test/support/fake-index-service.js";
import { createToken } from "../../../api/tokens.js";
import { VouchError } from "../../../core/errors.js";
import type { TokenStore } from "../../../store/ports.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

const REPO = join(import.meta.dirname, "..", "..", "..", "..");
const SPDX = readFileSync(join(REPO, "test/fixtures/sboms-in-the-wild/spdx23_apko_curl.json"));

function cyclonedx(components: { name: string; version: string; purl?: string }[], extra = ""): Buffer {
  return Buffer.from(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,${extra}"components":${JSON.stringify(components.map((c) => ({ type: "library", ...c })))}}`);
}
const LOG4J = (v: string) => cyclonedx([{ name: "log4j-core", version: v, purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${v}` }]);
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const DIGEST_A = `sha256:${"a".repeat(64)}`;

interface Harness {
  app: FastifyInstance;
  service: FakeIndexService;
  tokens: TokenStore;
  ingest: string;
  read: string;
  admin: string;
  tokenIds: Record<string, string>;
}

async function harness(dir: string, options: { anonymousRead?: boolean; maxSbomBytes?: number } = {}): Promise<Harness> {
  const tokens = await openSqliteTokenStore(join(dir, "index.sqlite"));
  const service = new FakeIndexService();
  const made = {
    ingest: await createToken(tokens, { scopes: ["ingest"], name: "ci" }),
    read: await createToken(tokens, { scopes: ["read"] }),
    admin: await createToken(tokens, { scopes: ["admin"] }),
  };
  const app = await buildApp({ index: { service, tokens, ...options } });
  return {
    app,
    service,
    tokens,
    ingest: made.ingest.token,
    read: made.read.token,
    admin: made.admin.token,
    tokenIds: { ingest: made.ingest.record.id, read: made.read.record.id, admin: made.admin.record.id },
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("SBOM index routes", () => {
  let dir: string;
  let h: Harness;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-routes-"));
    h = await harness(dir, { maxSbomBytes: 256 * 1024 });
  });
  afterEach(async () => {
    await h.app.close();
    await h.tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pushSbom = (body: Buffer | string, query = "service=payments&version=1.0.0", headers: Record<string, string> = {}) =>
    h.app.inject({ method: "POST", url: `/api/v1/sboms?${query}`, payload: body, headers: { "content-type": "application/json", ...bearer(h.ingest), ...headers } });

  it("ingests an SBOM as received (id = sha256 of the bytes), attributed to the token, idempotently", async () => {
    const body = LOG4J("2.14.1");
    const first = await pushSbom(body, `service=payments&version=1.0.0&digest=${DIGEST_A}`);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      id: sha256(body),
      created: true,
      service: "payments",
      version: "1.0.0",
      digest: DIGEST_A,
      format: "cyclonedx",
      specVersion: "1.6",
      components: 1,
      withoutPurl: 0,
    });
    expect(h.service.sboms.get(sha256(body))?.by).toBe(h.tokenIds.ingest);
    const again = await pushSbom(body, `service=payments&version=1.0.0&digest=${DIGEST_A}`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: sha256(body), created: false });
    expect(h.service.sboms.size).toBe(1);
  });

  it("takes a real SPDX document under each SBOM content type, the admin scope included", async () => {
    for (const type of ["application/spdx+json", "application/vnd.cyclonedx+json", "application/json; charset=utf-8"]) {
      const body = type.startsWith("application/vnd") ? LOG4J("2.16.0") : Buffer.concat([SPDX, Buffer.from(type.includes("charset") ? "\n\n" : "\n")]);
      const res = await pushSbom(body, "service=web", { "content-type": type, ...bearer(h.admin) });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(201);
      expect(res.json().id).toBe(sha256(body));
    }
    expect([...h.service.sboms.values()].map((s) => s.result.format).sort()).toEqual(["cyclonedx", "spdx", "spdx"]);
  });

  it("refuses malformed JSON, a wrong content type and an empty body with a coded 4xx, storing nothing", async () => {
    const malformed = await pushSbom('{"bomFormat":"CycloneDX",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 400, message: expect.stringMatching(/not JSON/) });
    const xml = await pushSbom("<bom/>", undefined, { "content-type": "application/xml" });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe(415);
    const text = await pushSbom("{}", undefined, { "content-type": "text/plain" });
    expect(text.statusCode).toBe(415);
    const empty = await pushSbom("");
    expect(empty.statusCode).toBe(400);
    const notObject = await pushSbom("[1,2]");
    expect(notObject.statusCode).toBe(400);
    for (const res of [malformed, xml, text, empty, notObject]) expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(h.service.sboms.size).toBe(0);
  });

  it("answers 413 beyond index.maxSbomBytes, storing nothing", async () => {
    const big = cyclonedx(Array.from({ length: 5000 }, (_, i) => ({ name: `pkg-${i}`, version: "1.0.0", purl: `pkg:npm/pkg-${i}@1.0.0` })));
    expect(big.length).toBeGreaterThan(256 * 1024);
    const res = await pushSbom(big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 413, message: expect.stringMatching(/larger than 262144 bytes.*maxSbomBytes/) });
    expect(h.service.sboms.size).toBe(0);
  });

  it("maps the index's refusals: too many components 413, bad SBOM 400, store down 503, a bug 500 without detail", async () => {
    const cases: [Error, number, RegExp][] = [
      [new VouchError("INPUT_TOO_LARGE", "the SBOM has 2000000 components; the limit is 1000000"), 413, /limit is 1000000/],
      [new VouchError("INPUT_UNSUPPORTED_FORMAT", "CycloneDX 1.2 is not supported"), 400, /1\.2/],
      [new VouchError("STORE_UNAVAILABLE", "cannot ingest: connection refused"), 503, /connection refused/],
      [new Error("secret internal detail at /srv/x.ts:1"), 500, /^internal error$/],
    ];
    for (const [error, status, message] of cases) {
      h.service.failNext = error;
      const res = await pushSbom(LOG4J("2.17.1"));
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual({ code: status, message: expect.stringMatching(message) });
    }
  });

  it("checks names and digests: path traversal, whitespace and bad digests are 400, SQL-significant text is data", async () => {
    const bad = [
      "version=1",
      "service=",
      "service=../../etc/passwd",
      "service=a/../b",
      "service=%2Fetc",
      "service=a%20b",
      "service=a%0Ab",
      "service=x'%3B%20drop%20table%20sboms%3B--",
      "service=web&digest=sha256:ABC",
      "service=web&digest=md5:" + "a".repeat(32),
      "service=web&version=1.0%201",
    ];
    for (const query of bad) {
      const res = await pushSbom(LOG4J("2.14.1"), query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code).toBe(400);
    }
    expect(h.service.sboms.size).toBe(0);
    const ok = await pushSbom(LOG4J("2.14.1"), `service=${encodeURIComponent("team-a/pay_ments:api@1+x")}&version=${encodeURIComponent("1.0.0-rc.1+'\";--")}`);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ service: "team-a/pay_ments:api@1+x", version: "1.0.0-rc.1+'\";--" });
  });

  it("records deployments, attributed and checked", async () => {
    const deploy = (payload: unknown, token = h.ingest) => h.app.inject({ method: "POST", url: "/api/v1/deployments", payload: payload as object, headers: bearer(token) });
    const res = await deploy({ service: "payments", environment: "prod", digest: DIGEST_A, at: "2026-01-01T00:00:00Z" });
    expect(res.statusCode).toBe(201);
    expect(h.service.deployments[0]).toMatchObject({ service: "payments", environment: "prod", digest: DIGEST_A, source: "push", by: h.tokenIds.ingest });
    expect((await deploy({ service: "payments", environment: "prod", digest: DIGEST_A, at: "2026-01-01T00:00:00Z" })).statusCode).toBe(200);
    for (const payload of [
      { service: "payments", environment: "prod" },
      { service: "payments", environment: "../prod", digest: DIGEST_A },
      { service: "payments", environment: "prod", digest: "sha256:xyz" },
      { service: "payments", environment: "prod", digest: DIGEST_A, at: "yesterday" },
      { service: "payments", environment: "prod", digest: DIGEST_A, source: "DROP TABLE" },
    ]) {
      expect((await deploy(payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
    const malformed = await h.app.inject({ method: "POST", url: "/api/v1/deployments", payload: "{", headers: { "content-type": "application/json", ...bearer(h.ingest) } });
    expect(malformed.statusCode).toBe(400);
    expect(h.service.deployments).toHaveLength(1);
  });

  it("answers impact queries: artifacts, their current deployments, services and environments", async () => {
    await pushSbom(LOG4J("2.14.1"), `service=payments&version=1.0.0&digest=${DIGEST_A}`);
    await pushSbom(LOG4J("2.17.1"), `service=search&version=3.0.0&digest=sha256:${"b".repeat(64)}`);
    await h.app.inject({ method: "POST", url: "/api/v1/deployments", payload: { service: "payments", environment: "prod", digest: DIGEST_A }, headers: bearer(h.ingest) });
    const res = await h.app.inject({ url: `/api/v1/affected?purl=${encodeURIComponent("pkg:maven/org.apache.logging.log4j/log4j-core")}&range=${encodeURIComponent("<2.17.1")}`, headers: bearer(h.read) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    // No limit asked: the route pages by default (1,000 artifacts), and the answer says so in its query.
    expect(body.query).toEqual({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1", limit: 1000 });
    expect(h.service.queries.at(-1)).toEqual({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1", limit: 1000 });
    expect(body.services).toEqual(["payments"]);
    expect(body.environments).toEqual(["prod"]);
    expect(body.artifacts.find((a: { service: string }) => a.service === "payments")).toMatchObject({ version: "1.0.0", digest: DIGEST_A, deployments: [{ environment: "prod" }] });
    const byName = await h.app.inject({ url: "/api/v1/affected?name=LOG4J-CORE&deployedOnly=true", headers: bearer(h.read) });
    expect(byName.json().artifacts).toHaveLength(1);
    expect(h.service.queries.at(-1)).toEqual({ name: "LOG4J-CORE", deployedOnly: true, limit: 1000 });
  });

  it("passes SQL-significant and odd characters in query values through unchanged, and refuses ambiguous questions", async () => {
    const values = ["pkg:npm/x'%3B%20drop%20table%20components%3B--", "pkg:npm/%25%5F@1.0.0", "pkg:golang/github.com/a/b\\c"];
    for (const purl of values) {
      const res = await h.app.inject({ url: `/api/v1/affected?purl=${encodeURIComponent(purl)}&range=${encodeURIComponent("<1.0' OR 1=1 --")}`, headers: bearer(h.read) });
      expect(res.statusCode, purl).toBe(200);
      expect(h.service.queries.at(-1)).toEqual({ purl, range: "<1.0' OR 1=1 --", limit: 1000 });
    }
    const name = await h.app.inject({ url: `/api/v1/affected?name=${encodeURIComponent("O'Brien%_\"; --")}`, headers: bearer(h.read) });
    expect(name.statusCode).toBe(200);
    expect(h.service.queries.at(-1)).toEqual({ name: "O'Brien%_\"; --", limit: 1000 });
    // A page: limit and cursor reach the service as given (numbers as numbers).
    expect((await h.app.inject({ url: "/api/v1/affected?name=a&limit=50&cursor=WyJhIl0", headers: bearer(h.read) })).statusCode).toBe(200);
    expect(h.service.queries.at(-1)).toEqual({ name: "a", limit: 50, cursor: "WyJhIl0" });
    for (const query of ["", "purl=pkg:npm/a&name=a", "name=a&range=<1", "purl=npm/a", "advisory=CVE-2021-44228'--", "name=a%00b", "deployedOnly=maybe&name=a", "name=a&limit=0", "name=a&limit=10001", "name=a&limit=two", "name=a&cursor=a%20b"]) {
      const res = await h.app.inject({ url: `/api/v1/affected?${query}`, headers: bearer(h.read) });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code).toBe(400);
    }
  });

  it("reflects the index store in /readyz", async () => {
    expect((await h.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    h.service.isReady = false;
    const res = await h.app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: "not ready" });
  });

  it("counts requests by route template and status in /metrics", async () => {
    await pushSbom(LOG4J("2.14.1"));
    await pushSbom("{");
    await h.app.inject({ url: "/no/such/route/12345" });
    const res = await h.app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/vouch_http_requests_total\{method="POST",route="\/api\/v1\/sboms",status="201"\} 1/);
    expect(res.body).toMatch(/vouch_http_requests_total\{method="POST",route="\/api\/v1\/sboms",status="400"\} 1/);
    expect(res.body).toMatch(/vouch_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/sboms",status="201"\} 1/);
    expect(res.body).toMatch(/route="unmatched",status="404"/);
    expect(res.body).not.toContain("12345");
    expect(res.body).toMatch(/vouch_process_cpu_user_seconds_total/);
  });

  it("publishes the routes, their schemas, content types and bearer security in /openapi.json", async () => {
    const res = await h.app.inject({ url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    const sboms = doc.paths["/api/v1/sboms"].post;
    expect(Object.keys(sboms.requestBody.content).sort()).toEqual(["application/json", "application/spdx+json", "application/vnd.cyclonedx+json"]);
    expect(sboms.security).toEqual([{ bearerAuth: [] }]);
    expect(sboms.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["digest", "service", "version"]);
    expect(doc.paths["/api/v1/deployments"].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/api/v1/affected"].get.responses["200"]).toBeDefined();
    expect(doc.paths["/metrics"]).toBeDefined();
    expect(doc.paths["/openapi.json"]).toBeUndefined();
  });
});

describe("a 200 MB SBOM against the default limit (64 MiB)", () => {
  it("is refused with 413 from its announced length, before the body is read, and nothing is stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-index-huge-"));
    const h = await harness(dir);
    try {
      await h.app.listen({ host: "127.0.0.1", port: 0 });
      const { port } = h.app.server.address() as { port: number };
      const { request } = await import("node:http");
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, method: "POST", path: "/api/v1/sboms?service=huge", headers: { "content-type": "application/json", "content-length": String(200 * 1024 * 1024), ...bearer(h.ingest) } },
          (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        // Send the start of a document, never the whole 200 MB: the server must answer from the header alone.
        req.write(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${"{},".repeat(1000)}`);
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 413, message: expect.stringMatching(/larger than 67108864 bytes/) });
      expect(h.service.sboms.size).toBe(0);
    } finally {
      await h.app.close();
      await h.tokens.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a chunked SBOM body (no announced length) over index.maxSbomBytes", () => {
  it("is cut off with 413 once the limit is passed, and nothing is stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-index-chunked-"));
    const h = await harness(dir, { maxSbomBytes: 256 * 1024 });
    try {
      await h.app.listen({ host: "127.0.0.1", port: 0 });
      const { port } = h.app.server.address() as { port: number };
      const { request } = await import("node:http");
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, method: "POST", path: "/api/v1/sboms?service=chunked", headers: { "content-type": "application/json", "transfer-encoding": "chunked", ...bearer(h.ingest) } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? undefined : reject(e)));
        const chunk = `${"{},".repeat(16 * 1024)}`;
        // 1 MiB in 48 KiB chunks: four times the limit, written as the server reads.
        for (let i = 0; i < 21; i++) req.write(chunk);
        req.end();
      });
      expect(status).toBe(413);
      expect(h.service.sboms.size).toBe(0);
    } finally {
      await h.app.close();
      await h.tokens.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("anonymous reads (index.anonymousRead)", () => {
  let dir: string;
  let h: Harness;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-anon-"));
    h = await harness(dir, { anonymousRead: true });
  });
  afterAll(async () => {
    await h.app.close();
    await h.tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers reads without a token, still refuses a bad token, and never opens writes", async () => {
    expect((await h.app.inject({ url: "/api/v1/affected?name=a" })).statusCode).toBe(200);
    expect((await h.app.inject({ url: "/api/v1/affected?name=a", headers: bearer("vouch_0000000000000000_" + "A".repeat(43)) })).statusCode).toBe(401);
    const write = await h.app.inject({ method: "POST", url: "/api/v1/sboms?service=a", payload: LOG4J("1"), headers: { "content-type": "application/json" } });
    expect(write.statusCode).toBe(401);
    expect(write.headers["www-authenticate"]).toMatch(/^Bearer realm="vouch"/);
  });
});
