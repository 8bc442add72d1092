import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIndexService } from "../sbom-index/service.js";
import type { IndexStore, TokenStore } from "../store/ports.js";
import { openSqliteIndexStore } from "../store/sqlite/index-store.js";
import { openSqliteTokenStore } from "../store/sqlite/token-store.js";
import { buildApp } from "../server/app.js";
import { IndexClient } from "./index-client.js";
import { createToken } from "./tokens.js";

/**
 * The impact route pages its answers by default (1,000 artifacts); IndexClient.affected without a limit walks every
 * page and joins them, so `vouch query affected` still prints the whole answer. A real server on a real SQLite index.
 */
describe("IndexClient.affected over a paged answer", () => {
  let dir: string;
  let store: IndexStore;
  let tokens: TokenStore;
  let app: FastifyInstance;
  let url: string;
  let token: string;

  const sbom = (version: string, n: number) =>
    new TextEncoder().encode(JSON.stringify({
      bomFormat: "CycloneDX",
      specVersion: "1.5",
      version: 1,
      metadata: { component: { type: "application", name: `app-${n}` } },
      components: [{ type: "library", name: "log4j-core", version, purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${version}` }],
    }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-client-"));
    store = await openSqliteIndexStore(join(dir, "index.sqlite"));
    tokens = await openSqliteTokenStore(join(dir, "index.sqlite"));
    const service = createIndexService({ store });
    for (let n = 0; n < 7; n++) {
      await service.ingestSbom({ bytes: sbom(n % 2 === 0 ? "2.14.1" : "2.17.1", n), service: `svc-${n}`, version: "1.0.0", digest: `sha256:${String(n).repeat(64)}`, by: "test" });
      await service.ingestDeployment({ service: `svc-${n}`, environment: n < 4 ? "prod" : "staging", digest: `sha256:${String(n).repeat(64)}`, by: "test" });
    }
    app = await buildApp({ index: { service, tokens } });
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    token = (await createToken(tokens, { scopes: ["read"] })).token;
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await tokens?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("walks every page and returns one whole answer, the same as one big page", async () => {
    const requests: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requests.push(String(input));
      return fetch(input, init);
    };
    const paged = await new IndexClient({ server: url, token, fetch: counting, affectedPageSize: 2 }).affected({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core" });
    expect(requests).toHaveLength(4); // 7 artifacts, 2 a page
    expect(paged.artifacts.map((a) => a.service)).toEqual(["svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5", "svc-6"]);
    expect(paged.total).toBe(7);
    expect(paged.next).toBeUndefined();
    expect(paged.query).toEqual({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core" });
    expect(paged.services).toEqual(["svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5", "svc-6"]);
    expect(paged.environments).toEqual(["prod", "staging"]);

    const whole = await new IndexClient({ server: url, token }).affected({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core", limit: 10_000 });
    expect(paged.artifacts).toEqual(whole.artifacts);
  });

  it("asks for one page when given a limit, and the route's default page is 1,000 artifacts", async () => {
    const client = new IndexClient({ server: url, token });
    const page = await client.affected({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1", limit: 3 });
    expect(page.artifacts.map((a) => a.service)).toEqual(["svc-0", "svc-2", "svc-4"]);
    expect(page.total).toBe(4);
    expect(page.next).toBeDefined();
    const rest = await client.affected({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1", limit: 3, cursor: page.next! });
    expect(rest.artifacts.map((a) => a.service)).toEqual(["svc-6"]);
    expect(rest.next).toBeUndefined();
    const res = await fetch(`${url}/api/v1/affected?purl=${encodeURIComponent("pkg:maven/org.apache.logging.log4j/log4j-core")}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await res.json()) as { query: { limit: number } }).query.limit).toBe(1000);
  });

  it("refuses a server whose pages do not advance, instead of looping", async () => {
    const stuck: typeof fetch = async () =>
      new Response(JSON.stringify({ query: {}, artifacts: [], total: 9, services: [], environments: [], tookMs: 0, next: "AAAA" }), { status: 200, headers: { "content-type": "application/json" } });
    await expect(new IndexClient({ server: url, token, fetch: stuck }).affected({ name: "x" })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
  });
});
