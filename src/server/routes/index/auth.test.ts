import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeIndexService } from "../../../../test/support/fake-index-service.js";
import { MemoryLogStore } from "../../../../test/support/memory-log-store.js";
import { ecdsaKey } from "../../../../test/support/rekor-proposals.js";
import { createToken } from "../../../api/tokens.js";
import { VouchError } from "../../../core/errors.js";
import type { TokenStore } from "../../../store/ports.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { createLogSigner } from "../../../tlog/log-signer.js";
import { TransparencyLog } from "../../../tlog/log.js";
import { Sequencer } from "../../../tlog/sequencer.js";
import { buildApp } from "../../app.js";
import { useTokenAuth } from "../../plugins/auth.js";

/**
 * Auth over every route the server publishes: the routes come from /openapi.json, so a route added later is checked
 * without editing this test. Writes that are public by their protocol (Rekor's, Fulcio's, RFC 3161's and RFC 6962's
 * own authentication) are listed with the reason; every other write must refuse a missing, malformed, unknown,
 * revoked or expired token and a token without the ingest scope.
 */
const PUBLIC_BY_PROTOCOL: Record<string, string> = {
  "POST /api/v1/log/entries": "Rekor v1: anyone may log a signed entry; the signature is the authentication",
  "POST /api/v2/log/entries": "Rekor v2: as v1",
  "POST /api/v1/log/entries/retrieve": "Rekor v1: a read with a body",
  "POST /api/v1/index/retrieve": "Rekor v1: a read with a body",
  "POST /api/v2/signingCert": "Fulcio v2: the OIDC identity token is the authentication",
  "POST /api/v1/timestamp": "RFC 3161: a TSA answers anyone",
  "POST /ct/v1/add-chain": "RFC 6962: a CT log accepts chains to its roots from anyone",
  "POST /ct/v1/add-pre-chain": "RFC 6962: as add-chain",
};

const WRITE_METHODS = new Set(["post", "put", "patch", "delete"]);

interface Operation {
  method: string;
  path: string;
  security: boolean;
}

describe("auth on every published route", () => {
  let dir: string;
  let app: FastifyInstance;
  let tokens: TokenStore;
  const t: Record<string, string> = {};
  let operations: Operation[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-auth-"));
    tokens = await openSqliteTokenStore(join(dir, "index.sqlite"));
    t.ingest = (await createToken(tokens, { scopes: ["ingest"] })).token;
    t.read = (await createToken(tokens, { scopes: ["read"] })).token;
    t.admin = (await createToken(tokens, { scopes: ["admin"] })).token;
    const revoked = await createToken(tokens, { scopes: ["admin", "ingest", "read"] });
    await tokens.revoke(revoked.record.id, new Date().toISOString());
    t.revoked = revoked.token;
    t.expired = (await createToken(tokens, { scopes: ["admin", "ingest", "read"], expiresInMs: 1000, now: () => new Date(Date.now() - 60_000) })).token;
    // A token of the right shape whose secret is wrong: same id as the admin token.
    t.wrongSecret = `${t.admin.slice(0, "vouch_".length + 17)}${"A".repeat(43)}`;
    const store = new MemoryLogStore();
    const signer = createLogSigner(ecdsaKey(), "auth.test/log");
    const sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => signer.checkpoint(size, rootHash), maxDelayMs: 2 });
    const log = new TransparencyLog({ store, signer, sequencer });
    // Every index service present, so every index route is published and enumerated; past auth they answer "not here".
    const notHere = async (): Promise<never> => {
      throw new VouchError("INPUT_NOT_FOUND", "not in this test's index");
    };
    const index = {
      service: new FakeIndexService(),
      tokens,
      slis: { report: notHere },
      releases: { diff: notHere },
      attestations: { ingest: notHere },
      provenance: { forArtifact: notHere, forCommit: notHere, forSigner: notHere },
      scans: { ingest: notHere, vulnerabilities: notHere },
    };
    app = await buildApp({ log, index });
    const doc = (await app.inject({ url: "/openapi.json" })).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method, path, security: (op.security?.length ?? 0) > 0 })),
    );
  });
  afterAll(async () => {
    await app.close();
    await tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A concrete URL for an OpenAPI path ({param} filled with a plausible value). */
  const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, "x");

  const call = (op: Operation, token?: string, authorization?: string) =>
    app.inject({
      method: op.method.toUpperCase() as "POST",
      url: urlOf(op.path),
      payload: WRITE_METHODS.has(op.method) ? "{}" : undefined,
      headers: {
        ...(WRITE_METHODS.has(op.method) ? { "content-type": "application/json" } : {}),
        ...(authorization !== undefined ? { authorization } : token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      },
    });

  it("finds the index's write and read routes in the document (the enumeration is not empty)", () => {
    const writes = operations.filter((o) => WRITE_METHODS.has(o.method)).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(writes).toEqual(expect.arrayContaining(["POST /api/v1/sboms", "POST /api/v1/deployments", "POST /api/v1/log/entries"]));
    expect(operations.some((o) => o.method === "get" && o.path === "/api/v1/affected" && o.security)).toBe(true);
  });

  it("every write route not public by protocol declares bearer security and refuses bad tokens and the wrong scope", async () => {
    const checked: string[] = [];
    for (const op of operations.filter((o) => WRITE_METHODS.has(o.method))) {
      const key = `${op.method.toUpperCase()} ${op.path}`;
      if (PUBLIC_BY_PROTOCOL[key] !== undefined) continue;
      checked.push(key);
      expect(op.security, `${key} declares no security in the OpenAPI document`).toBe(true);
      const refusals: [string, string | undefined, string | undefined, number][] = [
        ["no token", undefined, undefined, 401],
        ["not Bearer", undefined, `Basic ${Buffer.from("a:b").toString("base64")}`, 401],
        ["not a vouch token", "not-a-token", undefined, 401],
        ["wrong secret", t.wrongSecret, undefined, 401],
        ["revoked", t.revoked, undefined, 401],
        ["expired", t.expired, undefined, 401],
        ["read scope only", t.read, undefined, 403],
      ];
      for (const [why, token, authorization, status] of refusals) {
        const res = await call(op, token, authorization);
        expect(res.statusCode, `${key} with ${why}: ${res.body}`).toBe(status);
        expect(res.json(), `${key} with ${why}`).toMatchObject({ code: status, message: expect.any(String) });
        expect(res.headers["www-authenticate"], `${key} with ${why}`).toMatch(/^Bearer realm="vouch"/);
      }
      // The right scope gets past auth (the empty body is then refused as input, not as auth).
      for (const token of [t.ingest, t.admin]) expect([401, 403]).not.toContain((await call(op, token)).statusCode);
    }
    expect(checked.sort()).toEqual(["POST /api/v1/attestations", "POST /api/v1/deployments", "POST /api/v1/sboms", "POST /api/v1/scans"]);
  });

  it("every read route with bearer security refuses no token, bad tokens and a token without the read scope", async () => {
    const reads = operations.filter((o) => !WRITE_METHODS.has(o.method) && o.security);
    expect(reads.map((o) => o.path)).toEqual(
      expect.arrayContaining(["/api/v1/affected", "/api/v1/slis", "/api/v1/services/{service}/diff", "/api/v1/artifacts/{digest}/provenance", "/api/v1/provenance", "/api/v1/vulnerabilities"]),
    );
    for (const op of reads) {
      const key = `${op.method.toUpperCase()} ${op.path}`;
      for (const [why, token, status] of [["no token", undefined, 401], ["revoked", t.revoked, 401], ["wrong secret", t.wrongSecret, 401], ["ingest only", t.ingest, 403]] as const) {
        expect((await call(op, token)).statusCode, `${key} with ${why}`).toBe(status);
      }
      for (const token of [t.read, t.admin]) expect([401, 403]).not.toContain((await call(op, token)).statusCode);
    }
  });

  it("sees a token revoked while the server runs at its next request", async () => {
    const made = await createToken(tokens, { scopes: ["read"] });
    const ask = () => app.inject({ url: "/api/v1/affected?name=x", headers: { authorization: `Bearer ${made.token}` } });
    expect((await ask()).statusCode).toBe(200);
    await tokens.revoke(made.record.id, new Date().toISOString());
    const res = await ask();
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/revoked/);
  });

  it("refuses to register a route that declares no scope", async () => {
    const bare = Fastify();
    await expect(
      bare.register(async (scoped) => {
        useTokenAuth(scoped, { tokens });
        scoped.post("/api/v1/unguarded", async () => ({}));
      }).ready(),
    ).rejects.toThrow(/declares no auth scope/);
    await bare.close();
  });
});
