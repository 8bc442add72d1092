import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToken } from "../../../api/tokens.js";
import { createAttestationService } from "../../../sbom-index/attestations.js";
import { createAttestationViews } from "../../../sbom-index/attestation-views.js";
import { createCatalog } from "../../../sbom-index/catalog.js";
import { createComponentReader } from "../../../sbom-index/components.js";
import { createDecisionLog } from "../../../sbom-index/decisions.js";
import { createIndexService } from "../../../sbom-index/service.js";
import type { IndexService } from "../../../sbom-index/types.js";
import type { AttestationRecord, AttestationStore, DecisionEvent, DecisionStore, IndexStore, ScanFinding, ScanStore, TokenStore } from "../../../store/ports.js";
import { openSqliteAttestationStore } from "../../../store/sqlite/attestation-store.js";
import { openSqliteDecisionStore } from "../../../store/sqlite/decision-store.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteScanStore } from "../../../store/sqlite/scan-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * The dashboard's read endpoints (issue 11) over the real services and SQLite stores in one file, as `vouch serve`
 * keeps them: every field of the views' types arrives (Fastify drops what a response schema does not name), values as
 * seeded, bad input refused with a coded 400, unknown ids 404, reads need the read scope.
 */

/** A public-good Rekor bundle (sigstore-js's test data): one intoto entry with an inclusion proof and checkpoint. */
const BUNDLE_FILE = join(import.meta.dirname, "..", "..", "..", "..", "test", "fixtures", "sigstore", "sigstore-js", "tests", "bundles", "bundleV03-intoto.sigstore");
const BUNDLE_TEXT = readFileSync(BUNDLE_FILE, "utf8");
const BUNDLE = JSON.parse(BUNDLE_TEXT) as { verificationMaterial: { tlogEntries: { logIndex: string; logId: { keyId: string }; canonicalizedBody: string; inclusionProof: { logIndex: string; treeSize: string; rootHash: string; hashes: string[]; checkpoint: { envelope: string } } }[] } };
const TLOG = BUNDLE.verificationMaterial.tlogEntries[0]!;
const b64hex = (b64: string) => Buffer.from(b64, "base64").toString("hex");
/** What this test's server claims as its own log: the public-good log, so the fixture's entry is `ownLog`. */
const PUBLIC_GOOD_LOG_ID = b64hex(TLOG.logId.keyId);

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "sbom-index", "fixtures");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const digest = (c: string) => `sha256:${c.repeat(64)}` as const;
const sha = (text: string | Uint8Array) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

interface Harness {
  app: FastifyInstance;
  index: IndexStore;
  service: IndexService;
  attestations: AttestationStore;
  scans: ScanStore;
  decisions: DecisionStore;
  tokens: TokenStore;
  read: string;
  ingest: string;
  /** The index service's clock: each SBOM is ingested at the time set here. */
  now: { at: Date };
}

async function harness(dir: string): Promise<Harness> {
  const file = join(dir, "index.sqlite");
  const [index, attestations, scans, decisions, tokens] = await Promise.all([
    openSqliteIndexStore(file),
    openSqliteAttestationStore(file),
    openSqliteScanStore(file),
    openSqliteDecisionStore(file),
    openSqliteTokenStore(file),
  ]);
  const now = { at: new Date("2025-05-01T00:00:00Z") };
  const service = createIndexService({ store: index, clock: () => now.at });
  const read = (await createToken(tokens, { scopes: ["read"] })).token;
  const ingest = (await createToken(tokens, { scopes: ["ingest"] })).token;
  const app = await buildApp({
    index: {
      service,
      tokens,
      decisions: createDecisionLog(decisions),
      catalog: createCatalog({ index, attestations, scans, teams: { payments: ["checkout", "billing"] } }),
      components: createComponentReader({ index, cacheSize: 2 }),
      attestations: createAttestationService({ store: attestations, trust: { roots: [], keys: [] } }),
      attestationViews: createAttestationViews(attestations),
      ownLogId: PUBLIC_GOOD_LOG_ID,
    },
  });
  return { app, index, service, attestations, scans, decisions, tokens, read, ingest, now };
}

const ATTESTATION: AttestationRecord = {
  id: sha("attestation b"),
  kind: "bundle",
  mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
  payloadType: "application/vnd.in-toto+json",
  predicateType: "https://slsa.dev/provenance/v1",
  subjects: [{ name: "checkout", digest: digest("b") }],
  signer: { kind: "certificate", identity: "https://github.com/acme/checkout/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" },
  verified: true,
  logEntries: [{ logId: "c".repeat(64), logIndex: "12", integratedTime: "2025-05-31T00:00:00Z" }],
  signedAt: "2025-05-31T00:00:00Z",
  provenance: {
    predicateType: "https://slsa.dev/provenance/v1",
    builderId: "https://github.com/actions/runner",
    buildType: "https://actions.github.io/buildtypes/workflow/v1",
    sourceRepo: "https://github.com/acme/checkout",
    sourceCommit: "1".repeat(40),
    invocationId: "run-1",
    byproducts: [{ digest: digest("e"), name: "sbom.cdx.json" }],
    complete: true,
  },
  ingestedAt: "2025-05-31T00:00:00Z",
  ingestedBy: "tok-1",
};
const UNVERIFIED: AttestationRecord = {
  id: sha("attestation b unverified"),
  kind: "dsse",
  payloadType: "application/vnd.in-toto+json",
  subjects: [{ name: "checkout", digest: digest("b") }],
  verified: false,
  reason: "VERIFY_SIGNATURE: no trusted key verifies the envelope",
  logEntries: [],
  ingestedAt: "2025-06-01T00:00:00Z",
  ingestedBy: "tok-2",
};
const FINDINGS: ScanFinding[] = [
  { vulnerabilityId: "GHSA-7rjr-3q55-vv33", aliases: ["CVE-2021-45046"], purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0", name: "log4j-core", version: "2.16.0", severity: "critical", score: 9, fixedIn: ["2.16.0"], kev: false, vexStatus: "not_affected" },
  { vulnerabilityId: "CVE-2021-45105", aliases: [], purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0", name: "log4j-core", version: "2.16.0", severity: "high", fixedIn: ["2.17.0"], kev: true },
];

/**
 * checkout 1.4.0 (digest a, May 1) and 1.5.0 (b, May 10), billing 3.2.0 (c, May 5); checkout 1.5.0 pushed again as
 * another document for service "checkout-mirror" (same digest b, May 20). Deployments: checkout prod a then b (b
 * current), checkout staging b, billing prod c. Digest b: a verified attestation, an unverified one, two scans.
 */
async function seed(h: Harness): Promise<void> {
  const at = (iso: string) => (h.now.at = new Date(iso));
  at("2025-05-01T00:00:00Z");
  await h.service.ingestSbom({ bytes: fixture("checkout-1.4.0-log4j-2.14.1.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
  at("2025-05-05T00:00:00Z");
  await h.service.ingestSbom({ bytes: fixture("billing-3.2.0-log4j-2.17.1.cdx.json"), service: "billing", version: "3.2.0", by: "t" });
  at("2025-05-10T00:00:00Z");
  await h.service.ingestSbom({ bytes: fixture("checkout-1.5.0-log4j-2.16.0.cdx.json"), service: "checkout", version: "1.5.0", by: "t" });
  at("2025-05-20T00:00:00Z");
  const mirror = new TextEncoder().encode(`${new TextDecoder().decode(fixture("checkout-1.5.0-log4j-2.16.0.cdx.json"))}\n`);
  await h.service.ingestSbom({ bytes: mirror, service: "checkout-mirror", by: "t" });
  await h.service.ingestDeployment({ service: "checkout", environment: "prod", digest: digest("a"), at: "2025-05-02T00:00:00Z", source: "push", by: "t" });
  await h.service.ingestDeployment({ service: "checkout", environment: "prod", digest: digest("b"), at: "2025-05-11T00:00:00Z", source: "admission", by: "t" });
  await h.service.ingestDeployment({ service: "checkout", environment: "staging", digest: digest("b"), at: "2025-05-10T12:00:00Z", by: "t" });
  await h.service.ingestDeployment({ service: "billing", environment: "prod", digest: digest("c"), at: "2025-05-06T00:00:00Z", by: "t" });
  await h.attestations.ingest({ record: ATTESTATION, document: new TextEncoder().encode("b") });
  await h.attestations.ingest({ record: UNVERIFIED, document: new TextEncoder().encode("b unverified") });
  const scan = (id: string, ingestedAt: string, findings: ScanFinding[]) =>
    h.scans.ingest({ record: { id: sha(id), digest: digest("b"), service: "checkout", format: "vouch-json", findingCount: findings.length, ingestedAt, ingestedBy: "t" }, findings, document: new TextEncoder().encode(id) });
  await scan("old scan", "2025-05-12T00:00:00Z", [FINDINGS[1]!]);
  await scan("new scan", "2025-05-13T00:00:00Z", FINDINGS);
}

let dir: string;
let h: Harness;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vouch-index-views-"));
  h = await harness(dir);
});
afterEach(async () => {
  await h.app.close();
  for (const s of [h.index, h.attestations, h.scans, h.decisions, h.tokens]) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `null`: no token at all. */
const get = (url: string, token: string | null = h.read) => h.app.inject({ method: "GET", url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

function decision(id: string, change: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    id,
    time: "2025-06-01T10:00:00Z",
    source: "admission",
    resource: { kind: "Pod", namespace: "payments", name: `pod-${id}`, labels: { app: "checkout" } },
    uid: `uid-${id}`,
    operation: "CREATE",
    allowed: true,
    needsReconciliation: false,
    decision: { allowed: true, reasons: [], warnings: [], images: [{ reference: `registry.example/checkout@${digest("b")}`, digest: digest("b"), policies: [{ name: "signed", allowed: true }] }], decidedAt: "2025-06-01T10:00:00Z" },
    ...change,
  };
}

describe("GET /api/v1/decisions", () => {
  it("answers events newest first, each field as recorded (the Decision whole), and walks older pages with next", async () => {
    const denied = decision("d-deny", {
      time: "2025-06-01T10:05:00Z",
      allowed: false,
      decision: { allowed: false, reasons: ["no signature by a trusted key"], images: [{ reference: "r@sha256:x", policies: [{ name: "signed", allowed: false, reasons: ["no signature"] }] }], nested: { deep: [1, { x: null }] } },
    });
    const audit = decision("d-audit", { time: "2025-06-01T10:03:00Z", needsReconciliation: true, reconciles: "d-0" });
    const done = decision("d-done", { time: "2025-06-01T10:02:00Z", needsReconciliation: true });
    const cli = decision("d-cli", { time: "2025-06-01T10:04:00Z", source: "cli", resource: { kind: "Image" } });
    delete (cli as { uid?: string }).uid;
    delete (cli as { operation?: string }).operation;
    await h.decisions.recordBatch([decision("d-old"), denied, audit, done, cli]);
    await h.decisions.markReconciled("d-done", { at: "2025-06-01T11:00:00Z", by: "d-re" });

    const all = await get("/api/v1/decisions");
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toEqual({ events: [denied, cli, audit, { ...done, reconciled: { at: "2025-06-01T11:00:00Z", by: "d-re" } }, decision("d-old")] });

    expect((await get("/api/v1/decisions?allowed=false")).json().events.map((e: DecisionEvent) => e.id)).toEqual(["d-deny"]);
    expect((await get("/api/v1/decisions?pending=true")).json().events.map((e: DecisionEvent) => e.id)).toEqual(["d-audit"]);
    expect((await get("/api/v1/decisions?source=cli")).json().events.map((e: DecisionEvent) => e.id)).toEqual(["d-cli"]);
    expect((await get("/api/v1/decisions?since=2025-06-01T10:03:00Z&until=2025-06-01T10:05:00Z")).json().events.map((e: DecisionEvent) => e.id)).toEqual(["d-cli", "d-audit"]);

    const first = (await get("/api/v1/decisions?limit=2")).json();
    expect(first.events.map((e: DecisionEvent) => e.id)).toEqual(["d-deny", "d-cli"]);
    const second = (await get(`/api/v1/decisions?limit=2&cursor=${first.next}`)).json();
    expect(second.events.map((e: DecisionEvent) => e.id)).toEqual(["d-audit", "d-done"]);
    const last = (await get(`/api/v1/decisions?limit=2&cursor=${second.next}`)).json();
    expect(last).toEqual({ events: [decision("d-old")] });
  });

  it("refuses bad parameters with a coded 400 and reads without the read scope (401/403)", async () => {
    for (const query of ["limit=0", "limit=501", "limit=ten", "allowed=maybe", "source=webhook", "since=yesterday", "cursor=not%20base64", "cursor=Zm9v"]) {
      const res = await get(`/api/v1/decisions?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual({ code: 400, message: expect.any(String) });
    }
    expect((await get("/api/v1/decisions", null)).statusCode).toBe(401);
    expect((await get("/api/v1/decisions", h.ingest)).statusCode).toBe(403);
  });
});

describe("GET /api/v1/services", () => {
  it("lists every service with its team, releases newest first and current deployments, sorted by name", async () => {
    await seed(h);
    const res = await get("/api/v1/services");
    expect(res.statusCode, res.body).toBe(200);
    const ids = (await h.index.listSboms()).reduce<Record<string, string>>((m, s) => ({ ...m, [`${s.service}@${s.version ?? "-"}`]: s.id }), {});
    expect(res.json()).toEqual({
      services: [
        {
          name: "billing",
          team: "payments",
          releases: [{ sbomId: ids["billing@3.2.0"], version: "3.2.0", digest: digest("c"), format: "cyclonedx", components: expect.any(Number), ingestedAt: "2025-05-05T00:00:00Z" }],
          deployments: [{ environment: "prod", digest: digest("c"), at: "2025-05-06T00:00:00Z" }],
        },
        {
          name: "checkout",
          team: "payments",
          releases: [
            { sbomId: ids["checkout@1.5.0"], version: "1.5.0", digest: digest("b"), format: "cyclonedx", components: expect.any(Number), ingestedAt: "2025-05-10T00:00:00Z" },
            { sbomId: ids["checkout@1.4.0"], version: "1.4.0", digest: digest("a"), format: "cyclonedx", components: expect.any(Number), ingestedAt: "2025-05-01T00:00:00Z" },
          ],
          deployments: [
            { environment: "prod", digest: digest("b"), at: "2025-05-11T00:00:00Z" },
            { environment: "staging", digest: digest("b"), at: "2025-05-10T12:00:00Z" },
          ],
        },
        {
          name: "checkout-mirror",
          releases: [{ sbomId: ids["checkout-mirror@-"], digest: digest("b"), format: "cyclonedx", components: expect.any(Number), ingestedAt: "2025-05-20T00:00:00Z" }],
          deployments: [],
        },
      ],
    });
    const checkout = res.json().services[1];
    expect(checkout.releases[0].components).toBe((await h.index.findSbom(ids["checkout@1.5.0"]!))!.components);
    expect(checkout.releases[0].components).toBeGreaterThan(0);
  });

  it("answers an empty list on an empty index; refuses a read without a token", async () => {
    expect((await get("/api/v1/services")).json()).toEqual({ services: [] });
    expect((await get("/api/v1/services", null)).statusCode).toBe(401);
  });
});

describe("GET /api/v1/artifacts/{digest}", () => {
  it("answers the digest's SBOMs with the release before each, deployment history, the latest scan's findings with VEX, and attestations", async () => {
    await seed(h);
    const sboms = await h.index.listSboms();
    const idOf = (service: string, version?: string) => sboms.find((s) => s.service === service && s.version === version)!.id;
    const release = (service: string, version: string | undefined, d: string, at: string) => ({
      sbomId: idOf(service, version),
      ...(version === undefined ? {} : { version }),
      digest: d,
      format: "cyclonedx",
      components: sboms.find((s) => s.id === idOf(service, version))!.components,
      ingestedAt: at,
    });
    const res = await get(`/api/v1/artifacts/${digest("b")}`);
    expect(res.statusCode, res.body).toBe(200);
    const scans = await h.scans.latestForDigests([digest("b")]);
    expect(res.json()).toEqual({
      digest: digest("b"),
      services: ["checkout", "checkout-mirror"],
      sboms: [
        { ...release("checkout-mirror", undefined, digest("b"), "2025-05-20T00:00:00Z"), service: "checkout-mirror" },
        { ...release("checkout", "1.5.0", digest("b"), "2025-05-10T00:00:00Z"), service: "checkout" },
      ],
      previous: [
        // The mirror's only release: nothing before it.
        { sbomId: idOf("checkout-mirror") },
        // checkout 1.5.0 came after 1.4.0 (by ingest time): the diff the page asks for.
        { sbomId: idOf("checkout", "1.5.0"), previous: release("checkout", "1.4.0", digest("a"), "2025-05-01T00:00:00Z") },
      ],
      deployments: [
        { service: "checkout", environment: "prod", at: "2025-05-11T00:00:00Z", current: true, source: "admission" },
        { service: "checkout", environment: "staging", at: "2025-05-10T12:00:00Z", current: true, source: "push" },
      ],
      vulnerabilities: { scanId: sha("new scan"), ingestedAt: "2025-05-13T00:00:00Z", findings: FINDINGS },
      attestations: [UNVERIFIED, ATTESTATION],
    });
    expect(scans[0]!.id).toBe(sha("new scan"));
  });

  it("marks a replaced deployment not current; answers no vulnerabilities for a digest never scanned", async () => {
    await seed(h);
    const res = await get(`/api/v1/artifacts/${digest("a")}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.deployments).toEqual([{ service: "checkout", environment: "prod", at: "2025-05-02T00:00:00Z", current: false, source: "push" }]);
    expect(body.vulnerabilities).toBeUndefined();
    expect(body.attestations).toEqual([]);
    expect(body.previous).toEqual([{ sbomId: body.sboms[0].sbomId }]);
  });

  it("answers 404 for a digest the index knows nothing of, 400 for one that is not a digest", async () => {
    await seed(h);
    const unknown = await get(`/api/v1/artifacts/${digest("9")}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ code: 404, message: expect.stringContaining("knows nothing of") });
    for (const bad of ["sha256:ABC", `sha256:${"A".repeat(64)}`, "md5:abc", "..%2F..%2Fetc", `sha1:${"a".repeat(40)}`]) {
      const res = await get(`/api/v1/artifacts/${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().code).toBe(400);
    }
    expect((await get(`/api/v1/artifacts/${digest("b")}`, null)).statusCode).toBe(401);
  });
});

/** A CycloneDX 1.6 document with `n` components: every third with a SHA-256, licences alternating id / expression / name. */
function bigSbom(n: number): Uint8Array {
  const components = Array.from({ length: n }, (_, i) => ({
    type: i === 0 ? "framework" : "library",
    "bom-ref": `c${i}`,
    name: `pkg-${String(i).padStart(4, "0")}`,
    version: `1.${i}.0`,
    purl: `pkg:npm/pkg-${String(i).padStart(4, "0")}@1.${i}.0`,
    licenses: i % 3 === 0 ? [{ license: { id: "MIT" } }] : i % 3 === 1 ? [{ expression: "Apache-2.0 OR GPL-2.0-only" }] : [{ license: { name: "Acme Proprietary" } }],
    ...(i % 3 === 0 ? { hashes: [{ alg: "SHA-1", content: "0".repeat(40) }, { alg: "SHA-256", content: (i % 16).toString(16).repeat(64) }] } : {}),
  }));
  return new TextEncoder().encode(JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, metadata: { component: { type: "application", name: "big", version: "1" } }, components }));
}

describe("GET /api/v1/sboms/{id}/components", () => {
  it("pages an SBOM's components with every field (type, licences, sha256), total before paging", async () => {
    const { id } = await h.service.ingestSbom({ bytes: bigSbom(250), service: "big", by: "t" });
    const first = await get(`/api/v1/sboms/${id}/components`);
    expect(first.statusCode, first.body).toBe(200);
    const body = first.json();
    expect(body.sbomId).toBe(id);
    expect(body.total).toBe(250);
    expect(body.offset).toBe(0);
    expect(body.components).toHaveLength(100);
    expect(body.components[0]).toEqual({ name: "pkg-0000", version: "1.0.0", purl: "pkg:npm/pkg-0000@1.0.0", type: "framework", licenses: ["MIT"], sha256: "0".repeat(64) });
    expect(body.components[1]).toEqual({ name: "pkg-0001", version: "1.1.0", purl: "pkg:npm/pkg-0001@1.1.0", type: "library", licenses: ["Apache-2.0 OR GPL-2.0-only"] });
    expect(body.components[2]).toEqual({ name: "pkg-0002", version: "1.2.0", purl: "pkg:npm/pkg-0002@1.2.0", type: "library", licenses: ["Acme Proprietary"] });
    const last = (await get(`/api/v1/sboms/${id}/components?offset=200&limit=1000`)).json();
    expect(last).toMatchObject({ total: 250, offset: 200 });
    expect(last.components.map((c: { name: string }) => c.name)).toEqual(Array.from({ length: 50 }, (_, i) => `pkg-${String(200 + i).padStart(4, "0")}`));
    expect((await get(`/api/v1/sboms/${id}/components?offset=250`)).json()).toEqual({ sbomId: id, total: 250, offset: 250, components: [] });
  });

  it("searches name, version, purl and licences case-insensitively", async () => {
    const { id } = await h.service.ingestSbom({ bytes: bigSbom(250), service: "big", by: "t" });
    const names = async (q: string, extra = "") => (await get(`/api/v1/sboms/${id}/components?q=${encodeURIComponent(q)}${extra}`)).json();
    expect((await names("PKG-012")).components.map((c: { name: string }) => c.name)).toEqual(Array.from({ length: 10 }, (_, i) => `pkg-012${i}`));
    expect((await names("1.249.0")).components.map((c: { name: string }) => c.name)).toEqual(["pkg-0249"]);
    expect((await names("pkg:npm/pkg-0007@")).total).toBe(1);
    expect((await names("acme proprietary")).total).toBe(83);
    expect((await names("gpl-2.0", "&limit=5")).total).toBe(83);
    expect((await names("gpl-2.0", "&limit=5")).components).toHaveLength(5);
    expect((await names("mit")).total).toBe(84);
    expect(await names("no such thing")).toEqual({ sbomId: id, total: 0, offset: 0, components: [] });
  });

  it("reads SPDX documents with the same reader (components without purl or version keep what they have)", async () => {
    const { id } = await h.service.ingestSbom({ bytes: fixture("search-2.0.0-log4j-2.0-beta9.spdx.json"), service: "search", by: "t" });
    const body = (await get(`/api/v1/sboms/${id}/components`)).json();
    expect(body.total).toBeGreaterThan(0);
    expect(body.components.some((c: { purl?: string }) => c.purl?.startsWith("pkg:maven/org.apache.logging.log4j/log4j-core@2.0-beta9"))).toBe(true);
    for (const c of body.components) expect(Array.isArray(c.licenses)).toBe(true);
  });

  it("answers 404 for an SBOM the index does not hold; 400 for bad ids, offsets, limits and queries", async () => {
    const { id } = await h.service.ingestSbom({ bytes: bigSbom(3), service: "big", by: "t" });
    const missing = await get(`/api/v1/sboms/${digest("d")}/components`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 404, message: expect.stringContaining("no SBOM") });
    for (const url of [`/api/v1/sboms/abc/components`, `/api/v1/sboms/${id}/components?offset=-1`, `/api/v1/sboms/${id}/components?limit=0`, `/api/v1/sboms/${id}/components?limit=1001`, `/api/v1/sboms/${id}/components?q=${"x".repeat(201)}`, `/api/v1/sboms/${id}/components?q=%01`]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code, url).toBe(400);
    }
    expect((await get(`/api/v1/sboms/${id}/components`, null)).statusCode).toBe(401);
    expect((await get(`/api/v1/sboms/${id}/components`)).json().total).toBe(3);
  });
});

describe("GET /api/v1/attestations and /api/v1/attestations/{id}", () => {
  const pushBundle = () => h.app.inject({ method: "POST", url: "/api/v1/attestations", payload: BUNDLE_TEXT, headers: { "content-type": "application/json", authorization: `Bearer ${h.ingest}` } });

  it("lists newest ingest first with every record field, filtered by verified and digest, in pages", async () => {
    await seed(h);
    const pushed = await pushBundle();
    expect(pushed.statusCode, pushed.body).toBe(201);
    const stored = pushed.json().attestation;
    const all = await get("/api/v1/attestations");
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toEqual({ attestations: [stored, UNVERIFIED, ATTESTATION] });
    expect((await get("/api/v1/attestations?verified=false")).json()).toEqual({ attestations: [stored, UNVERIFIED] });
    expect((await get("/api/v1/attestations?verified=true")).json()).toEqual({ attestations: [ATTESTATION] });
    expect((await get(`/api/v1/attestations?digest=${digest("b")}&verified=false`)).json()).toEqual({ attestations: [UNVERIFIED] });
    const first = (await get("/api/v1/attestations?limit=2")).json();
    expect(first.attestations).toEqual([stored, UNVERIFIED]);
    expect((await get(`/api/v1/attestations?limit=2&cursor=${first.next}`)).json()).toEqual({ attestations: [ATTESTATION] });
  });

  it("answers one attestation with each log entry's kind, leaf hash, inclusion proof and checkpoint from the stored bundle", async () => {
    const pushed = (await pushBundle()).json().attestation;
    const res = await get(`/api/v1/attestations/${pushed.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const leaf = createHash("sha256").update(Buffer.from([0])).update(Buffer.from(TLOG.canonicalizedBody, "base64")).digest("hex");
    expect(res.json()).toEqual({
      record: pushed,
      logEntries: [
        {
          logId: b64hex(TLOG.logId.keyId),
          logIndex: TLOG.logIndex,
          integratedTime: pushed.logEntries[0].integratedTime,
          kind: "intoto 0.0.2",
          leafHash: leaf,
          inclusionProof: {
            logIndex: TLOG.inclusionProof.logIndex,
            treeSize: TLOG.inclusionProof.treeSize,
            rootHash: b64hex(TLOG.inclusionProof.rootHash),
            hashes: TLOG.inclusionProof.hashes.map(b64hex),
            checkpoint: TLOG.inclusionProof.checkpoint.envelope,
          },
          ownLog: true,
        },
      ],
    });
    expect(res.json().logEntries[0].inclusionProof.hashes.length).toBeGreaterThan(0);
  });

  it("an entry of another log is not ownLog; a record without log entries answers none", async () => {
    await seed(h);
    const other = await get(`/api/v1/attestations/${ATTESTATION.id}`);
    // Its entry is on a log this server is not; the stored document is not a bundle, so nothing more is known of it.
    expect(other.json()).toEqual({ record: ATTESTATION, logEntries: [{ logId: "c".repeat(64), logIndex: "12", integratedTime: "2025-05-31T00:00:00Z", ownLog: false }] });
    expect((await get(`/api/v1/attestations/${UNVERIFIED.id}`)).json()).toEqual({ record: UNVERIFIED, logEntries: [] });
  });

  it("answers 404 for an unknown id, 400 for bad parameters; reads need the read scope", async () => {
    const missing = await get(`/api/v1/attestations/${digest("f")}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ code: 404, message: expect.stringContaining("no attestation") });
    for (const url of ["/api/v1/attestations/not-an-id", "/api/v1/attestations?verified=perhaps", "/api/v1/attestations?digest=sha256:short", "/api/v1/attestations?limit=0", "/api/v1/attestations?limit=501", "/api/v1/attestations?cursor=%2F%2F", "/api/v1/attestations?cursor=Zm9v"]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code, url).toBe(400);
    }
    expect((await get("/api/v1/attestations", null)).statusCode).toBe(401);
    expect((await get(`/api/v1/attestations/${digest("f")}`, h.ingest)).statusCode).toBe(403);
  });
});

describe("OpenAPI", () => {
  it("publishes the new read endpoints with their query and response schemas", async () => {
    const doc = (await h.app.inject({ url: "/openapi.json" })).json();
    for (const path of ["/api/v1/decisions", "/api/v1/services", "/api/v1/artifacts/{digest}", "/api/v1/sboms/{id}/components", "/api/v1/attestations/{id}"]) {
      expect(doc.paths[path]?.get, path).toBeDefined();
      expect(doc.paths[path].get.responses["200"], path).toBeDefined();
    }
    expect(doc.paths["/api/v1/attestations"].get.responses["200"]).toBeDefined();
    expect(doc.paths["/api/v1/attestations"].post).toBeDefined();
    expect(doc.paths["/api/v1/decisions"].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["allowed", "cursor", "limit", "pending", "since", "source", "until"]);
  });
});
