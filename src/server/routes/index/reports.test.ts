import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToken } from "../../../api/tokens.js";
import { createReleaseDiffer } from "../../../sbom-index/diff.js";
import { createIndexService } from "../../../sbom-index/service.js";
import { createSliService, type SliService } from "../../../sbom-index/sli.js";
import type { IndexService } from "../../../sbom-index/types.js";
import type { SloTargets } from "../../../sbom-index/views.js";
import type { AttestationStore, IndexStore, TokenStore } from "../../../store/ports.js";
import { openSqliteAttestationStore } from "../../../store/sqlite/attestation-store.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * GET /api/v1/slis, GET /api/v1/services/{service}/diff and the SLI gauges on /metrics, over the real index service,
 * attestation store and tokens on one SQLite file (as vouch serve runs them).
 */

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "sbom-index", "fixtures");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const digest = (c: string) => `sha256:${c.repeat(64)}` as const;
const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const CLOCK = () => new Date("2025-06-01T00:00:00Z");

interface Harness {
  app: FastifyInstance;
  index: IndexStore;
  service: IndexService;
  attestations: AttestationStore;
  tokens: TokenStore;
  read: string;
}

async function harness(dir: string, slisOverride?: SliService, targets?: Partial<SloTargets>): Promise<Harness> {
  const file = join(dir, "index.sqlite");
  const index = await openSqliteIndexStore(file);
  const attestations = await openSqliteAttestationStore(file);
  const tokens = await openSqliteTokenStore(file);
  const service = createIndexService({ store: index, clock: CLOCK });
  const slis = slisOverride ?? createSliService({ index, attestations, teams: { payments: ["checkout", "billing"] }, clock: CLOCK, ...(targets === undefined ? {} : { targets }) });
  const read = (await createToken(tokens, { scopes: ["read"] })).token;
  const app = await buildApp({ index: { service, tokens, slis, releases: createReleaseDiffer(index) } });
  return { app, index, service, attestations, tokens, read };
}

/** checkout 1.4.0 (digest a) and 1.5.0 (b), billing 3.2.0 (c); b signed with complete provenance; c unsigned. */
async function seed(h: Harness): Promise<void> {
  await h.service.ingestSbom({ bytes: fixture("checkout-1.4.0-log4j-2.14.1.cdx.json"), service: "checkout", version: "1.4.0", by: "t" });
  await h.service.ingestSbom({ bytes: fixture("checkout-1.5.0-log4j-2.16.0.cdx.json"), service: "checkout", version: "1.5.0", by: "t" });
  await h.service.ingestSbom({ bytes: fixture("billing-3.2.0-log4j-2.17.1.cdx.json"), service: "billing", version: "3.2.0", by: "t" });
  await h.service.ingestDeployment({ service: "checkout", environment: "prod", digest: digest("b"), at: "2025-06-01T00:00:00Z", by: "t" });
  await h.service.ingestDeployment({ service: "checkout", environment: "staging", digest: digest("b"), at: "2025-06-01T00:00:00Z", by: "t" });
  await h.service.ingestDeployment({ service: "billing", environment: "prod", digest: digest("c"), at: "2025-06-01T00:00:00Z", by: "t" });
  await h.attestations.ingest({
    record: {
      id: sha("attestation b"),
      kind: "bundle",
      predicateType: "https://slsa.dev/provenance/v1",
      subjects: [{ name: "checkout", digest: digest("b") }],
      signer: { kind: "certificate", identity: "https://github.com/acme/checkout/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" },
      verified: true,
      logEntries: [],
      signedAt: "2025-05-31T00:00:00Z",
      provenance: { predicateType: "https://slsa.dev/provenance/v1", builderId: "b", buildType: "t", sourceRepo: "https://github.com/acme/checkout", sourceCommit: "1".repeat(40), invocationId: "i", complete: true },
      ingestedAt: "2025-05-31T00:00:00Z",
      ingestedBy: "t",
    },
    document: new TextEncoder().encode("b"),
  });
}

describe("SLI and SBOM diff routes, and the SLI gauges", () => {
  let dir: string;
  let h: Harness;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-reports-"));
    h = await harness(dir);
    await seed(h);
  });
  afterEach(async () => {
    await h.app.close();
    await h.index.close();
    await h.attestations.close();
    await h.tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const get = (url: string, token?: string) => h.app.inject({ method: "GET", url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it("answers the SLIs with a read token (2 of 3 deployments signed), refuses without one", async () => {
    const res = await get("/api/v1/slis", h.read);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.overall.signedDeploymentRatio).toEqual({ numerator: 2, denominator: 3, value: 0.667 });
    expect(body.overall.provenanceCompleteness).toEqual({ numerator: 2, denominator: 3, value: 0.667 });
    expect(body.overall.sbomAlignment.value).toBe(1);
    // No index.slo given: the defaults, every one of them answered.
    expect(body.targets).toEqual({ signedDeploymentRatio: 0.95, sbomCoverage: 0.9, sbomAlignment: 0.9, provenanceCompleteness: 0.8, denyRate: 0.05 });
    expect(body.overall.denyRate).toMatchObject({ absent: true });
    expect(body.overall.denyRate.reason).toContain("no policy decision store");
    expect(body.byTeam.map((g: { key: string }) => g.key)).toEqual(["payments"]);
    // The per-deployment rows only when asked for: the summary stays small however many deployments run.
    expect(body.deployments).toBeUndefined();
    expect((await get("/api/v1/slis?deployments=true", h.read)).json().deployments).toHaveLength(3);
    expect(body.signers.keyUsage[0].signatures).toBe(1);
    expect((await get("/api/v1/slis?environment=prod", h.read)).json().overall.signedDeploymentRatio.value).toBe(0.5);
    expect((await get("/api/v1/slis?bucket=day&from=2025-05-31T00:00:00Z&to=2025-06-01T00:00:00Z", h.read)).json().series.map((b: { values: { deployments: number } }) => b.values.deployments)).toEqual([0, 3]);
    expect((await get("/api/v1/slis")).statusCode).toBe(401);
  });

  it("answers the configured SLO targets (index.slo), defaults for those not given", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "vouch-index-slo-"));
    const other = await harness(otherDir, undefined, { sbomCoverage: 0.75, denyRate: 0.01 });
    try {
      const res = await other.app.inject({ url: "/api/v1/slis?bucket=day", headers: { authorization: `Bearer ${other.read}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().targets).toEqual({ signedDeploymentRatio: 0.95, sbomCoverage: 0.75, sbomAlignment: 0.9, provenanceCompleteness: 0.8, denyRate: 0.01 });
    } finally {
      await other.app.close();
      for (const s of [other.index, other.attestations, other.tokens]) await s.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
    expect(() => createSliService({ index: h.index, targets: { sbomCoverage: 2 } })).toThrow(expect.objectContaining({ code: "INPUT_USAGE", message: expect.stringContaining("index.slo.sbomCoverage") }));
    expect(() => createSliService({ index: h.index, targets: { denyRate: Number.NaN } })).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }));
  });

  it("refuses bad SLI queries with 4xx and a reason; SQL-significant characters are data", async () => {
    expect((await get("/api/v1/slis?bucket=fortnight", h.read)).statusCode).toBe(400);
    expect((await get("/api/v1/slis?from=yesterday", h.read)).statusCode).toBe(400);
    expect((await get("/api/v1/slis?from=2025-06-02T00:00:00Z&to=2025-06-01T00:00:00Z", h.read)).json()).toMatchObject({ code: 400, message: expect.stringContaining("is after to") });
    expect((await get("/api/v1/slis?bucket=hour&from=2000-01-01T00:00:00Z", h.read)).statusCode).toBe(400);
    const team = await get("/api/v1/slis?team=nobody", h.read);
    expect(team.statusCode).toBe(404);
    expect(team.json().message).toContain('no team "nobody"');
    const sql = await get(`/api/v1/slis?service=${encodeURIComponent("checkout' or '1'='1")}`, h.read);
    expect(sql.statusCode).toBe(200);
    expect(sql.json().overall.deployments).toBe(0);
  });

  it("diffs two releases of a service over HTTP; unknown release 404, bad input 400", async () => {
    const res = await get("/api/v1/services/checkout/diff?from=1.4.0&to=1.5.0", h.read);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.from).toMatchObject({ release: "1.4.0", digest: digest("a"), format: "cyclonedx" });
    expect(body.diff.summary).toEqual({ added: 1, removed: 1, upgraded: 2, downgraded: 0, license: 0, "hash-mismatch": 0, unchanged: 0 });
    expect(body.diff.upgraded.map((c: { name: string; to: string }) => `${c.name}@${c.to}`)).toContain("org.apache.logging.log4j:log4j-core@2.16.0");
    expect(body.diff.added[0]).toMatchObject({ name: "Vendored-Zlib", version: "1.2.11" });
    const missing = await get("/api/v1/services/checkout/diff?from=1.4.0&to=9.9.9", h.read);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toContain('no SBOM for release "9.9.9"');
    expect((await get("/api/v1/services/billing/diff?from=1.4.0&to=1.5.0", h.read)).statusCode).toBe(404);
    expect((await get("/api/v1/services/checkout/diff?from=1.4.0", h.read)).statusCode).toBe(400);
    expect((await get(`/api/v1/services/${encodeURIComponent("../../etc")}/diff?from=1&to=2`, h.read)).statusCode).toBe(400);
    expect((await get("/api/v1/services/checkout/diff?from=1.4.0&to=1.5.0")).statusCode).toBe(401);
  });

  it("publishes both routes in the OpenAPI document with the read scope", async () => {
    const doc = (await get("/openapi.json")).json() as { paths: Record<string, { get?: { security?: unknown[] } }> };
    expect(doc.paths["/api/v1/slis"]?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/api/v1/services/{service}/diff"]?.get?.security).toEqual([{ bearerAuth: [] }]);
  });

  it("exports every SLI as gauges on /metrics, labelled by service, environment and team, fresh on each scrape", async () => {
    const text = (await get("/metrics")).body;
    expect(text).toContain('vouch_sli_signed_deployment_ratio{service="checkout",environment="prod",team="payments"} 1');
    expect(text).toContain('vouch_sli_signed_deployment_ratio{service="billing",environment="prod",team="payments"} 0');
    expect(text).toContain('vouch_sli_sbom_alignment_ratio{service="billing",environment="prod",team="payments"} 1');
    expect(text).toContain('vouch_sli_sbom_coverage_ratio{service="checkout",environment="staging",team="payments"} 1');
    expect(text).toContain('vouch_sli_provenance_complete_ratio{service="checkout",environment="staging",team="payments"} 1');
    expect(text).toContain('vouch_sli_deployments{service="billing",environment="prod",team="payments"} 1');
    expect(text).toMatch(/vouch_sli_sbom_age_at_deploy_seconds\{service="checkout",environment="prod",team="payments"\} \d+/);
    expect(text).toContain('vouch_sli_new_signer_identities{service="checkout"} 0');
    expect(text).toContain('vouch_sli_signer_signatures{identity="https://github.com/acme/checkout/.github/workflows/release.yml@refs/heads/main",issuer="https://token.actions.githubusercontent.com"} 1');
    expect(text).toMatch(/vouch_sli_absent\{sli="deny_rate",reason="[^"]*no policy decision store[^"]*"\} 1/);
    expect(text).not.toMatch(/^vouch_sli_admission_deny_ratio\{/m);
    expect(text).toContain("vouch_sli_scrape_error 0");
    expect(text).not.toContain('sli="signed_deployment_ratio"');
    // A new deployment shows on the next scrape; an unsigned, SBOM-less service in no team gets team="".
    await h.service.ingestDeployment({ service: "search", environment: "prod", digest: digest("e"), at: "2025-06-01T00:00:00Z", by: "t" });
    const next = (await get("/metrics")).body;
    expect(next).toContain('vouch_sli_signed_deployment_ratio{service="search",environment="prod",team=""} 0');
    expect(next).toContain('vouch_sli_sbom_alignment_ratio{service="search",environment="prod",team=""} 0');
    expect(next).not.toMatch(/vouch_sli_sbom_age_at_deploy_seconds\{service="search"/);
  });
});

describe("SLI gauges when the SLIs fail", () => {
  it("keeps /metrics answering: vouch_sli_scrape_error 1, no SLI values, request metrics intact", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-index-reports-"));
    const failing: SliService = { report: () => Promise.reject(new Error("database on fire")) };
    const h = await harness(dir, failing);
    try {
      const res = await h.app.inject({ method: "GET", url: "/metrics" });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain("vouch_sli_scrape_error 1");
      expect(res.body).not.toMatch(/^vouch_sli_deployments\{/m);
      expect(res.body).toContain("vouch_http_requests_total");
      const slis = await h.app.inject({ method: "GET", url: "/api/v1/slis", headers: { authorization: `Bearer ${h.read}` } });
      expect(slis.statusCode).toBe(500);
      expect(slis.json()).toEqual({ code: 500, message: "internal error" });
    } finally {
      await h.app.close();
      await h.index.close();
      await h.attestations.close();
      await h.tokens.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
