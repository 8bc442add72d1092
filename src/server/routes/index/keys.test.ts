import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { revocationsForVerification, revokeKey, REVOCATION_FILES } from "../../../api/revocation.js";
import { createToken } from "../../../api/tokens.js";
import { generateKeyPair, keyId, publicKeyPem } from "../../../core/crypto/keys.js";
import { createKeyHealth } from "../../../sbom-index/key-health.js";
import { createIndexService } from "../../../sbom-index/service.js";
import type { IndexService } from "../../../sbom-index/types.js";
import type { AttestationRecord, AttestationStore, IndexStore, TokenStore } from "../../../store/ports.js";
import { openSqliteAttestationStore } from "../../../store/sqlite/attestation-store.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * GET /api/v1/keys over the real attestation and index stores and the data directory's real signed revocation list
 * (`vouch key revoke`'s files, verified as `vouch verify` loads them): ages and rotation status, usage, revoked keys
 * still running with afterCompromise by trusted signing time, and a tampered list refused, never read as empty.
 */

const NOW = new Date("2025-06-01T00:00:00Z");
const digest = (c: string) => `sha256:${c.repeat(64)}` as const;
const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString().replace(".000Z", "Z");

const compromised = generateKeyPair();
const old = generateKeyPair();
const ageing = generateKeyPair();
const fresh = generateKeyPair();
const id = (pair: { publicKey: Parameters<typeof keyId>[0] }) => `sha256:${keyId(pair.publicKey)}`;
const KEYLESS = { kind: "certificate" as const, identity: "https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" };

let seq = 0;
function signed(signer: AttestationRecord["signer"], digests: string[], signedAt: string | undefined, change: Partial<AttestationRecord> = {}): AttestationRecord {
  seq += 1;
  return {
    id: sha(`attestation ${seq}`),
    kind: "bundle",
    subjects: digests.map((d) => ({ name: "image", digest: d })),
    ...(signer === undefined ? {} : { signer }),
    verified: true,
    logEntries: [],
    ...(signedAt === undefined ? {} : { signedAt }),
    ingestedAt: signedAt ?? daysAgo(1),
    ingestedBy: "t",
    ...change,
  };
}

interface Harness {
  app: FastifyInstance;
  dir: string;
  index: IndexStore;
  service: IndexService;
  attestations: AttestationStore;
  tokens: TokenStore;
  read: string;
}

async function harness(options: { rotateAfterDays?: number; warnBeforeDays?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "vouch-index-keys-"));
  const file = join(dir, "index.sqlite");
  const [index, attestations, tokens] = await Promise.all([openSqliteIndexStore(file), openSqliteAttestationStore(file), openSqliteTokenStore(file)]);
  const service = createIndexService({ store: index, clock: () => NOW });
  const keys = createKeyHealth({ attestations, index, revocations: () => revocationsForVerification({ dataDir: dir })?.list.revocations ?? [], clock: () => NOW, ...options });
  const read = (await createToken(tokens, { scopes: ["read"] })).token;
  const app = await buildApp({ index: { service, tokens, keys } });
  return { app, dir, index, service, attestations, tokens, read };
}

/**
 * compromised: first seen 30 days ago, signed x (before the compromise 10 days ago), y (after it), z (no trusted
 * time) and w (before; w's deployment since replaced). old: 120 days (rotate-now); ageing: 80 days (rotate-soon);
 * fresh: 5 days (ok); a keyless identity; an unverified signature by `fresh` that must not count.
 */
async function seed(h: Harness): Promise<void> {
  const ingest = (r: AttestationRecord) => h.attestations.ingest({ record: r, document: new TextEncoder().encode(r.id) });
  const key = (pair: typeof compromised) => ({ kind: "key" as const, identity: id(pair) });
  await ingest(signed(key(compromised), [digest("1")], daysAgo(30)));
  await ingest(signed(key(compromised), [digest("a")], daysAgo(20)));
  await ingest(signed(key(compromised), [digest("b")], daysAgo(5)));
  await ingest(signed(key(compromised), [digest("c")], undefined));
  await ingest(signed(key(compromised), [digest("d")], daysAgo(25)));
  await ingest(signed(key(old), [digest("e"), digest("f")], daysAgo(120)));
  await ingest(signed(key(old), [digest("e")], daysAgo(2)));
  await ingest(signed(key(ageing), [digest("f")], daysAgo(80)));
  await ingest(signed(key(fresh), [digest("f")], daysAgo(5)));
  await ingest(signed(key(fresh), [digest("9")], daysAgo(400), { verified: false, reason: "VERIFY_SIGNATURE: bad" }));
  await ingest(signed(KEYLESS, [digest("f")], daysAgo(1)));
  const deploy = (service: string, environment: string, d: string, at: string) => h.service.ingestDeployment({ service, environment, digest: d as `sha256:${string}`, at, by: "t" });
  await deploy("checkout", "prod", digest("a"), daysAgo(19));
  await deploy("checkout", "staging", digest("b"), daysAgo(4));
  await deploy("billing", "prod", digest("c"), daysAgo(3));
  await deploy("search", "prod", digest("d"), daysAgo(24));
  await deploy("search", "prod", digest("e"), daysAgo(1)); // replaces d
  await deploy("web", "prod", digest("f"), daysAgo(1));
}

async function revoke(h: Harness, compromisedAt: string): Promise<void> {
  const pub = join(h.dir, "compromised.pub");
  writeFileSync(pub, publicKeyPem(compromised.publicKey));
  await revokeKey({ dataDir: h.dir, key: pub, compromisedAt, reason: "laptop stolen", password: { env: {} }, now: () => NOW });
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.app.close();
  for (const s of [h.index, h.attestations, h.tokens]) await s.close();
  rmSync(h.dir, { recursive: true, force: true });
});

const get = (token: string | null = h.read) => h.app.inject({ url: "/api/v1/keys", headers: token === null ? {} : { authorization: `Bearer ${token}` } });

describe("GET /api/v1/keys", () => {
  it("reports every verified signer: age and rotation status, usage, revoked keys still running, worst first", async () => {
    await seed(h);
    await revoke(h, daysAgo(10));
    const res = await get();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      at: NOW.toISOString(),
      rotateAfterDays: 90,
      warnBeforeDays: 14,
      keys: [
        {
          identity: id(compromised),
          kind: "key",
          firstSeen: daysAgo(30),
          // The signature without a trusted time was seen at its ingest.
          lastSeen: daysAgo(1),
          signatures: 5,
          artifacts: 5,
          services: ["billing", "checkout", "search"],
          ageDays: 30,
          status: "revoked",
          revoked: { compromisedAt: new Date(daysAgo(10)).toISOString(), reason: "laptop stolen" },
          inUse: [
            // Signed before the compromise: still the owner's signature.
            { service: "checkout", environment: "prod", digest: digest("a"), signedAt: new Date(daysAgo(20)).toISOString(), afterCompromise: false },
            // Signed after it; and one with no trusted time at all, which cannot show it came before.
            { service: "checkout", environment: "staging", digest: digest("b"), signedAt: new Date(daysAgo(5)).toISOString(), afterCompromise: true },
            { service: "billing", environment: "prod", digest: digest("c"), afterCompromise: true },
          ].sort((x, y) => (x.service < y.service ? -1 : x.service > y.service ? 1 : x.environment < y.environment ? -1 : 1)),
        },
        { identity: id(old), kind: "key", firstSeen: daysAgo(120), lastSeen: daysAgo(2), signatures: 2, artifacts: 2, services: ["search", "web"], ageDays: 120, status: "rotate-now", inUse: [] },
        { identity: id(ageing), kind: "key", firstSeen: daysAgo(80), lastSeen: daysAgo(80), signatures: 1, artifacts: 1, services: ["web"], ageDays: 80, status: "rotate-soon", inUse: [] },
        // Keys of one status by identity; a keyless identity never rotates by age.
        ...[
          { identity: id(fresh), kind: "key", firstSeen: daysAgo(5), lastSeen: daysAgo(5), signatures: 1, artifacts: 1, services: ["web"], ageDays: 5, status: "ok", inUse: [] },
          { ...KEYLESS, firstSeen: daysAgo(1), lastSeen: daysAgo(1), signatures: 1, artifacts: 1, services: ["web"], status: "ok", inUse: [] },
        ].sort((x, y) => (x.identity < y.identity ? -1 : 1)),
      ],
    });
  });

  it("takes index.keys thresholds; without a revocation list no key is revoked", async () => {
    await h.app.close();
    for (const s of [h.index, h.attestations, h.tokens]) await s.close();
    rmSync(h.dir, { recursive: true, force: true });
    h = await harness({ rotateAfterDays: 30, warnBeforeDays: 26 });
    await seed(h);
    const body = (await get()).json();
    expect(body).toMatchObject({ rotateAfterDays: 30, warnBeforeDays: 26 });
    const status = Object.fromEntries(body.keys.map((k: { identity: string; status: string }) => [k.identity, k.status]));
    expect(status).toEqual({ [id(compromised)]: "rotate-now", [id(old)]: "rotate-now", [id(ageing)]: "rotate-now", [id(fresh)]: "rotate-soon", [KEYLESS.identity]: "ok" });
    expect(() => createKeyHealth({ attestations: h.attestations, index: h.index, rotateAfterDays: 10, warnBeforeDays: 10 })).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }));
    expect(() => createKeyHealth({ attestations: h.attestations, index: h.index, rotateAfterDays: 0 })).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }));
  });

  it("sees a key revoked while the server runs at the next request", async () => {
    await seed(h);
    expect((await get()).json().keys[0].status).not.toBe("revoked");
    await revoke(h, daysAgo(40));
    const first = (await get()).json().keys[0];
    expect(first).toMatchObject({ identity: id(compromised), status: "revoked" });
    // Compromised before every signature: each deployment it signed is after the compromise.
    expect(first.inUse.map((u: { afterCompromise: boolean }) => u.afterCompromise)).toEqual([true, true, true]);
  });

  it("refuses to report on a revocation list that does not verify (never read as no revocations); an empty store reports no keys", async () => {
    expect((await get()).json()).toEqual({ at: NOW.toISOString(), rotateAfterDays: 90, warnBeforeDays: 14, keys: [] });
    await seed(h);
    await revoke(h, daysAgo(10));
    const list = join(h.dir, REVOCATION_FILES.list);
    const envelope = JSON.parse(readFileSync(list, "utf8")) as { payload: string };
    const payload = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as { revocations: unknown[] };
    payload.revocations = [];
    envelope.payload = Buffer.from(JSON.stringify(payload)).toString("base64");
    writeFileSync(list, JSON.stringify(envelope));
    const res = await get();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: 500, message: expect.stringContaining("revocation list cannot be used") });
  });

  it("needs the read scope; is in /openapi.json", async () => {
    expect((await get(null)).statusCode).toBe(401);
    const doc = (await h.app.inject({ url: "/openapi.json" })).json();
    expect(doc.paths["/api/v1/keys"].get.responses["200"]).toBeDefined();
  });
});
