import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attestFiles, generateProvenance } from "../../../api/attest.js";
import { createToken } from "../../../api/tokens.js";
import { generateKeyPair, keyId } from "../../../core/crypto/keys.js";
import { createAttestationService } from "../../../sbom-index/attestations.js";
import { createProvenanceGraph } from "../../../sbom-index/provenance.js";
import { createIndexService } from "../../../sbom-index/service.js";
import { KeySigner } from "../../../sign/key-signer.js";
import type { AttestationStore, IndexStore, TokenStore } from "../../../store/ports.js";
import { openSqliteAttestationStore } from "../../../store/sqlite/attestation-store.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * The attestation and provenance routes over the real service and SQLite stores (index, attestations and tokens in
 * one file, as `vouch serve` keeps them): ingest verified and unverified, malformed input, auth on every route, the
 * graph and its reverse.
 */
const COMMIT = "89abcdef0123456789abcdef0123456789abcdef";
const GITHUB = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "acme/payments",
  GITHUB_RUN_ID: "7",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_REF: "refs/heads/main",
  GITHUB_SHA: COMMIT,
  GITHUB_WORKFLOW_REF: "acme/payments/.github/workflows/release.yml@refs/heads/main",
  GITHUB_EVENT_NAME: "push",
};
const SBOM = readFileSync(join(import.meta.dirname, "..", "..", "..", "sbom-index", "fixtures", "checkout-1.5.0-log4j-2.16.0.cdx.json"));
const pair = generateKeyPair();
const stranger = generateKeyPair();

interface Harness {
  app: FastifyInstance;
  stores: { index: IndexStore; attestations: AttestationStore; tokens: TokenStore };
  ingest: string;
  read: string;
  ingestId: string;
}

let dir: string;
let h: Harness;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vouch-attestation-routes-"));
  const file = join(dir, "index.sqlite");
  const [index, attestations, tokens] = await Promise.all([openSqliteIndexStore(file), openSqliteAttestationStore(file), openSqliteTokenStore(file)]);
  const service = createIndexService({ store: index });
  const made = { ingest: await createToken(tokens, { scopes: ["ingest"] }), read: await createToken(tokens, { scopes: ["read"] }) };
  const app = await buildApp({
    index: {
      service,
      tokens,
      attestations: createAttestationService({ store: attestations, trust: { roots: [], keys: [{ name: "release", key: pair.publicKey }] } }),
      provenance: createProvenanceGraph({ attestations, index }),
    },
  });
  h = { app, stores: { index, attestations, tokens }, ingest: made.ingest.token, read: made.read.token, ingestId: made.ingest.record.id };
});
afterEach(async () => {
  await h.app.close();
  await h.stores.index.close();
  await h.stores.attestations.close();
  await h.stores.tokens.close();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function provenanceBundle(signer = pair.privateKey): Promise<{ json: string; digest: string }> {
  const artifact = join(dir, "payments.tar");
  writeFileSync(artifact, "payments image");
  const predicate = generateProvenance({ env: GITHUB, now: () => new Date("2025-05-01T00:00:00Z") });
  const a = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(signer) });
  return { json: a.bundleJson, digest: `sha256:${a.statement.subject[0]!.digest.sha256}` };
}

const push = (body: string, token = h.ingest, contentType = "application/vnd.dev.sigstore.bundle.v0.3+json") =>
  h.app.inject({ method: "POST", url: "/api/v1/attestations", payload: body, headers: { "content-type": contentType, ...bearer(token) } });

describe("attestation routes", () => {
  it("POST /api/v1/attestations: 201 verified with the signer, attributed to the token; 200 the second time", async () => {
    const { json, digest } = await provenanceBundle();
    const first = await push(json);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      created: true,
      attestation: {
        kind: "bundle",
        verified: true,
        signer: { kind: "key", identity: `sha256:${keyId(pair.publicKey)}` },
        subjects: [{ name: "payments.tar", digest }],
        predicateType: "https://slsa.dev/provenance/v1",
        provenance: { sourceCommit: COMMIT, complete: true },
        ingestedBy: h.ingestId,
      },
    });
    const again = await push(json, h.ingest, "application/json");
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, attestation: { id: first.json().attestation.id } });
  });

  it("stores an attestation by an unknown key as unverified (201, verified false, the reason), never as verified", async () => {
    const { json } = await provenanceBundle(stranger.privateKey);
    const res = await push(json);
    expect(res.statusCode).toBe(201);
    expect(res.json().attestation).toMatchObject({ verified: false, reason: expect.stringMatching(/^VERIFY_SIGNATURE/) });
    expect(res.json().attestation.signer).toBeUndefined();
  });

  it("refuses malformed bodies (400), other content types (415), and writes without the ingest scope (401/403)", async () => {
    const bad = await push("{not json");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ code: 400, message: expect.stringMatching(/JSON/) });
    expect((await push('{"hello":1}')).statusCode).toBe(400);
    expect((await push("")).statusCode).toBe(400);
    expect((await push("{}", h.ingest, "text/plain")).statusCode).toBe(415);
    const { json } = await provenanceBundle();
    expect((await h.app.inject({ method: "POST", url: "/api/v1/attestations", payload: json, headers: { "content-type": "application/json" } })).statusCode).toBe(401);
    expect((await push(json, h.read)).statusCode).toBe(403);
    expect((await push(json, "vouch_nope_nope")).statusCode).toBe(401);
  });

  it("GET /api/v1/artifacts/{digest}/provenance: the graph (commit, builder, run, SBOM, attestation, signer, deployment); 404 unknown; 400 malformed", async () => {
    const { json, digest } = await provenanceBundle();
    await push(json);
    const sbom = await h.app.inject({ method: "POST", url: `/api/v1/sboms?service=payments&version=2.0.0&digest=${digest}`, payload: SBOM, headers: { "content-type": "application/json", ...bearer(h.ingest) } });
    expect(sbom.statusCode).toBe(201);
    const dep = await h.app.inject({ method: "POST", url: "/api/v1/deployments", payload: { service: "payments", environment: "prod", digest }, headers: bearer(h.ingest) });
    expect(dep.statusCode).toBe(201);
    const res = await h.app.inject({ method: "GET", url: `/api/v1/artifacts/${digest}/provenance`, headers: bearer(h.read) });
    expect(res.statusCode).toBe(200);
    const graph = res.json() as { nodes: { type: string; [k: string]: unknown }[]; edges: { kind: string }[] };
    expect(graph.nodes.map((n) => n.type).sort()).toEqual(["artifact", "attestation", "builder", "deployment", "run", "sbom", "signer", "source"]);
    expect(graph.nodes.find((n) => n.type === "source")).toMatchObject({ repo: "https://github.com/acme/payments", commit: COMMIT });
    expect(graph.nodes.find((n) => n.type === "deployment")).toMatchObject({ service: "payments", environment: "prod", current: true });
    expect(graph.edges.map((e) => e.kind).sort()).toEqual(["attested-by", "deployed-as", "described-by", "produced", "ran", "signed-by", "source-of"]);

    expect((await h.app.inject({ method: "GET", url: `/api/v1/artifacts/sha256:${"0".repeat(64)}/provenance`, headers: bearer(h.read) })).statusCode).toBe(404);
    for (const bad of ["sha256:..%2F..%2Fetc%2Fpasswd", "sha256:abc", "md5:" + "0".repeat(32), "sha256:" + "0".repeat(63) + "'"]) {
      const r = await h.app.inject({ method: "GET", url: `/api/v1/artifacts/${bad}/provenance`, headers: bearer(h.read) });
      expect([bad, r.statusCode]).toEqual([bad, 400]);
    }
    expect((await h.app.inject({ method: "GET", url: `/api/v1/artifacts/${digest}/provenance` })).statusCode).toBe(401);
  });

  it("GET /api/v1/provenance?commit= / ?signer=: the reverse; exactly one of them; SQL-significant values are data", async () => {
    const { json, digest } = await provenanceBundle();
    await push(json);
    const get = (query: string) => h.app.inject({ method: "GET", url: `/api/v1/provenance?${query}`, headers: bearer(h.read) });
    for (const q of [`commit=${COMMIT}`, `commit=${COMMIT.slice(0, 8).toUpperCase()}`, `signer=${encodeURIComponent(`sha256:${keyId(pair.publicKey)}`)}`]) {
      const r = await get(q);
      expect([q, r.statusCode]).toEqual([q, 200]);
      expect(r.json().nodes.filter((n: { type: string }) => n.type === "artifact").map((n: { digest: string }) => n.digest)).toEqual([digest]);
    }
    expect((await get(`signer=${encodeURIComponent("x'%_;--")}`)).json().nodes).toEqual([]);
    expect((await get("")).statusCode).toBe(400);
    expect((await get(`commit=${COMMIT}&signer=x`)).statusCode).toBe(400);
    expect((await get("issuer=https://x")).statusCode).toBe(400);
    expect((await get("commit=HEAD")).statusCode).toBe(400);
    expect((await get("commit=abc'--")).statusCode).toBe(400);
  });

  it("lists both routes in /openapi.json with their scopes' security", async () => {
    const doc = (await h.app.inject({ method: "GET", url: "/openapi.json" })).json() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.paths["/api/v1/attestations"]?.post?.security).toBeDefined();
    expect(doc.paths["/api/v1/artifacts/{digest}/provenance"]?.get?.security).toBeDefined();
    expect(doc.paths["/api/v1/provenance"]?.get?.security).toBeDefined();
  });
});
