import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../test/support/postgres.js";
import { VouchError } from "../core/errors.js";
import type { AttestationRecord, AttestationStore, DecisionEvent, IndexStore } from "../store/ports.js";
import { openPostgresAttestationStore } from "../store/postgres/attestation-store.js";
import { openPostgresIndexStore } from "../store/postgres/index-store.js";
import { openSqliteAttestationStore } from "../store/sqlite/attestation-store.js";
import { openSqliteDecisionStore } from "../store/sqlite/decision-store.js";
import { openSqliteIndexStore } from "../store/sqlite/index-store.js";
import { createSliService, MAX_BUCKETS, type SliRatio, type SliValues } from "./sli.js";

/**
 * The SLIs on a seeded index and attestation store (both real, on SQLite and PostgreSQL):
 *
 * | digest | service  | SBOM ingested          | signed by (verified)               | provenance |
 * | A      | checkout | 2025-05-01 (1.4.0)     | ci@checkout (05-01)                | -          |
 * | B      | checkout | 2025-05-10 (1.5.0)     | ci@checkout (05-10), mallory (05-12)| complete   |
 * | C      | billing  | 2025-05-20 (after its deploy) | ci@billing (05-15)          | incomplete |
 * | D      | search   | none                   | unverified only                    | -          |
 *
 * Deployments: checkout prod A (05-02) then B (05-11); checkout staging B (05-10 12:00); billing prod C (05-15);
 * search prod D (05-16). Teams: payments = checkout, billing; discovery = search.
 */

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const CLOCK = () => new Date("2025-06-01T00:00:00Z");
const TEAMS = { payments: ["checkout", "billing"], discovery: ["search"] };
const ISSUER = "https://token.actions.githubusercontent.com";

async function seedIndex(store: IndexStore): Promise<void> {
  const sbom = (seed: string, service: string, version: string, d: string, ingestedAt: string) =>
    store.ingestSbom({
      sbom: { id: sha(seed), service, version, digest: d, format: "cyclonedx", specVersion: "1.6", components: 0, withoutPurl: 0, ingestedAt, ingestedBy: "t" },
      document: new TextEncoder().encode(seed),
      components: [],
    });
  await sbom("a", "checkout", "1.4.0", digest("a"), "2025-05-01T00:00:00Z");
  await sbom("b", "checkout", "1.5.0", digest("b"), "2025-05-10T00:00:00Z");
  await sbom("c", "billing", "3.2.0", digest("c"), "2025-05-20T00:00:00Z");
  const deploy = (id: string, service: string, environment: string, d: string, deployedAt: string) =>
    store.ingestDeployment({ id, service, environment, digest: d, deployedAt, source: "push", by: "t", recordedAt: deployedAt });
  await deploy("d1", "checkout", "prod", digest("a"), "2025-05-02T00:00:00Z");
  await deploy("d2", "checkout", "staging", digest("b"), "2025-05-10T12:00:00Z");
  await deploy("d3", "checkout", "prod", digest("b"), "2025-05-11T00:00:00Z");
  await deploy("d4", "billing", "prod", digest("c"), "2025-05-15T00:00:00Z");
  await deploy("d5", "search", "prod", digest("d"), "2025-05-16T00:00:00Z");
}

async function seedAttestations(store: AttestationStore): Promise<void> {
  const attest = (seed: string, d: string, identity: string, signedAt: string, change: Partial<AttestationRecord> = {}) =>
    store.ingest({
      record: {
        id: sha(`attestation ${seed}`),
        kind: "bundle",
        predicateType: "https://slsa.dev/provenance/v1",
        subjects: [{ name: "app", digest: d }],
        signer: { kind: "certificate", identity, issuer: ISSUER },
        verified: true,
        logEntries: [],
        signedAt,
        ingestedAt: signedAt,
        ingestedBy: "t",
        ...change,
      },
      document: new TextEncoder().encode(seed),
    });
  const complete = { predicateType: "https://slsa.dev/provenance/v1", builderId: "https://github.com/actions/runner", buildType: "https://actions.github.io/buildtypes/workflow/v1", sourceRepo: "https://github.com/acme/checkout", sourceCommit: "0".repeat(40), invocationId: "run-1", complete: true };
  await attest("a", digest("a"), "ci@checkout", "2025-05-01T00:00:00Z");
  await attest("b", digest("b"), "ci@checkout", "2025-05-10T00:00:00Z", { provenance: complete });
  await attest("b2", digest("b"), "mallory@example.com", "2025-05-12T00:00:00Z", { predicateType: "https://cyclonedx.org/bom" });
  await attest("c", digest("c"), "ci@billing", "2025-05-15T00:00:00Z", { provenance: { ...complete, invocationId: undefined, complete: false } });
  // Stored as unverified: never counts as signed.
  await attest("d", digest("d"), "ci@search", "2025-05-16T00:00:00Z", { verified: false, reason: "VERIFY_CHAIN: untrusted" });
}

const ratio = (numerator: number, denominator: number, value: number | null): SliRatio => ({ numerator, denominator, value });

function describeSlis(name: string, open: () => Promise<{ index: IndexStore; attestations: AttestationStore; dispose(): Promise<void> }>): void {
  describe(`${name}: supply-chain SLIs`, () => {
    it("computes each SLI over the current deployments, overall and per service, environment and team", async () => {
      const { index, attestations, dispose } = await open();
      try {
        await seedIndex(index);
        await seedAttestations(attestations);
        const slis = createSliService({ index, attestations, teams: TEAMS, clock: CLOCK });
        const report = await slis.report();
        expect(report.at).toBe("2025-06-01T00:00:00.000Z");
        expect(report.overall).toEqual<SliValues>({
          deployments: 4,
          signedDeploymentRatio: ratio(3, 4, 0.75),
          sbomCoverage: ratio(3, 4, 0.75),
          sbomAlignment: ratio(3, 4, 0.75),
          // checkout prod: B one day old at deploy; staging: half a day; billing's SBOM came after its deploy.
          sbomFreshness: { measured: 2, late: 1, medianSeconds: 64800, maxSeconds: 86400 },
          provenanceCompleteness: ratio(2, 4, 0.5),
          denyRate: { absent: true, reason: "this server has no policy decision store (admission decisions are recorded there)" },
        });
        expect(report.byTeam.map((g) => [g.key, g.values.deployments, (g.values.signedDeploymentRatio as SliRatio).value])).toEqual([
          ["discovery", 1, 0],
          ["payments", 3, 1],
        ]);
        expect(report.byEnvironment.map((g) => [g.key, (g.values.signedDeploymentRatio as SliRatio).value, (g.values.provenanceCompleteness as SliRatio).value])).toEqual([
          ["prod", 0.667, 0.333],
          ["staging", 1, 1],
        ]);
        expect(report.byService.map((g) => g.key)).toEqual(["billing", "checkout", "search"]);
        expect(report.deployments.find((d) => d.service === "billing")).toEqual({
          service: "billing",
          environment: "prod",
          team: "payments",
          digest: digest("c"),
          deployedAt: "2025-05-15T00:00:00Z",
          signed: true,
          sbom: true,
          sbomAfterDeploy: true,
          serviceHasSbom: true,
          provenanceComplete: false,
        });
        expect(report.series).toBeUndefined();

        // 2 of 3 production deployments signed.
        const prod = await slis.report({ environment: "prod" });
        expect(prod.overall.signedDeploymentRatio).toEqual(ratio(2, 3, 0.667));
        const payments = await slis.report({ team: "payments" });
        expect(payments.overall.deployments).toBe(3);
        expect(payments.overall.sbomCoverage).toEqual(ratio(3, 3, 1));
        const none = await slis.report({ service: "checkout'; --" });
        expect(none.overall.signedDeploymentRatio).toEqual(ratio(0, 0, null));
        expect(none.overall.sbomFreshness).toEqual({ measured: 0, late: 0, medianSeconds: null, maxSeconds: null });
      } finally {
        await dispose();
      }
    });

    it("reports a new signer of a service as an anomaly, and key usage per signer", async () => {
      const { index, attestations, dispose } = await open();
      try {
        await seedIndex(index);
        await seedAttestations(attestations);
        const slis = createSliService({ index, attestations, teams: TEAMS, clock: CLOCK });
        const { signers } = await slis.report();
        if ("absent" in signers) throw new Error("signers absent");
        expect(signers.anomalies).toEqual([{ service: "checkout", identity: "mallory@example.com", issuer: ISSUER, digest: digest("b"), firstSeen: "2025-05-12T00:00:00Z" }]);
        expect(signers.keyUsage.map((u) => [u.identity, u.signatures, u.artifacts, u.services])).toEqual([
          ["ci@checkout", 2, 2, ["checkout"]],
          ["ci@billing", 1, 1, ["billing"]],
          ["mallory@example.com", 1, 1, ["checkout"]],
        ]);
        // A window that ends before mallory's first signature has no event; the team scope leaves other services out.
        const early = await slis.report({ from: "2025-05-01T00:00:00Z", to: "2025-05-11T23:59:59Z" });
        expect(early.signers).toMatchObject({ anomalies: [] });
        const discovery = await slis.report({ team: "discovery" });
        expect(discovery.signers).toEqual({ anomalies: [], keyUsage: [] });
      } finally {
        await dispose();
      }
    });

    it("gives a daily series of the deployments made, each judged as of its deploy", async () => {
      const { index, attestations, dispose } = await open();
      try {
        await seedIndex(index);
        await seedAttestations(attestations);
        const slis = createSliService({ index, attestations, teams: TEAMS, clock: CLOCK });
        const report = await slis.report({ from: "2025-05-02T10:00:00Z", to: "2025-05-16T00:00:00Z", bucket: "day" });
        const series = report.series!;
        expect(series).toHaveLength(15);
        expect(series[0]!.start).toBe("2025-05-02T00:00:00.000Z");
        const busy = series.filter((b) => b.values.deployments > 0).map((b) => [b.start.slice(0, 10), b.values.deployments, (b.values.signedDeploymentRatio as SliRatio).value, b.values.sbomAlignment.value, b.values.sbomCoverage.value]);
        expect(busy).toEqual([
          ["2025-05-02", 1, 1, 1, 1],
          ["2025-05-10", 1, 1, 1, 1],
          ["2025-05-11", 1, 1, 1, 1],
          // billing's SBOM arrived five days after this deploy: not aligned, not covered, late.
          ["2025-05-15", 1, 1, 0, 0],
          ["2025-05-16", 1, 0, 0, 0],
        ]);
        expect(series.find((b) => b.start.startsWith("2025-05-15"))!.values.sbomFreshness).toEqual({ measured: 0, late: 1, medianSeconds: null, maxSeconds: null });
        expect(series.find((b) => b.start.startsWith("2025-05-02"))!.values.sbomFreshness.medianSeconds).toBe(86400);
        const weekly = await slis.report({ from: "2025-05-01T00:00:00Z", to: "2025-05-31T00:00:00Z", bucket: "week" });
        // ISO weeks start on Monday: 2025-04-28 is the Monday before May 1st.
        expect(weekly.series![0]!.start).toBe("2025-04-28T00:00:00.000Z");
        expect(weekly.series!.reduce((n, b) => n + b.values.deployments, 0)).toBe(5);
      } finally {
        await dispose();
      }
    });
  });
}

describe("the admission deny rate from the policy decision store (SQLite)", () => {
  it("counts the admission decisions of the last day (never re-checks or CI gates), per series bucket, and is absent per service", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-sli-deny-"));
    const index = await openSqliteIndexStore(join(dir, "index.sqlite"));
    const decisions = await openSqliteDecisionStore(join(dir, "decisions.sqlite"));
    try {
      await seedIndex(index);
      const decide = (id: string, time: string, allowed: boolean, source: DecisionEvent["source"] = "admission") =>
        decisions.record({
          id,
          time,
          source,
          resource: { kind: "Pod", namespace: "shop", name: id },
          allowed,
          needsReconciliation: false,
          decision: { allowed, reasons: allowed ? [] : ["denied"], warnings: [], images: [], needsReconciliation: false, decidedAt: time },
        });
      await decide("a1", "2025-05-31T01:00:00Z", true);
      await decide("a2", "2025-05-31T02:00:00Z", false);
      await decide("a3", "2025-05-31T23:00:00Z", true);
      await decide("a4", "2025-05-31T23:30:00Z", true);
      await decide("re", "2025-05-31T23:40:00Z", false, "reconcile"); // a re-check of a1: not a new admission
      await decide("ci", "2025-05-31T23:50:00Z", false, "cli");
      await decide("old", "2025-05-30T12:00:00Z", false); // before the last day
      const slis = createSliService({ index, decisions, teams: TEAMS, clock: CLOCK });

      expect((await slis.report()).overall.denyRate).toEqual(ratio(1, 4, 0.25));
      const series = await slis.report({ bucket: "day", from: "2025-05-30T00:00:00Z", to: "2025-05-31T23:59:59Z" });
      expect(series.series!.map((b) => [b.start, b.values.denyRate])).toEqual([
        ["2025-05-30T00:00:00.000Z", ratio(1, 1, 1)],
        ["2025-05-31T00:00:00.000Z", ratio(1, 4, 0.25)],
      ]);
      expect(series.overall.denyRate).toEqual(ratio(2, 5, 0.4));
      // Decisions carry a namespace, not a service: a scoped report says so rather than guessing.
      expect((await slis.report({ service: "checkout" })).overall.denyRate).toMatchObject({ absent: true, reason: expect.stringContaining("not per service") });
      expect((await slis.report()).byService[0]!.values.denyRate).toMatchObject({ absent: true });
      // No decision in the window: no rate (null), not 0%.
      const later = createSliService({ index, decisions, clock: () => new Date("2025-07-01T00:00:00Z") });
      expect((await later.report()).overall.denyRate).toEqual(ratio(0, 0, null));
    } finally {
      await decisions.close();
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("supply-chain SLIs without an attestation store, and refused queries", () => {
  it("reports signature and provenance SLIs as absent with the reason, never as 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-sli-"));
    const index = await openSqliteIndexStore(join(dir, "index.sqlite"));
    try {
      await seedIndex(index);
      const report = await createSliService({ index, clock: CLOCK }).report();
      expect(report.overall.signedDeploymentRatio).toEqual({ absent: true, reason: "this index has no attestation store" });
      expect(report.overall.provenanceCompleteness).toMatchObject({ absent: true });
      expect(report.signers).toMatchObject({ absent: true });
      expect(report.overall.sbomAlignment).toEqual(ratio(3, 4, 0.75));
      expect(report.byTeam).toEqual([]);
      expect("signed" in report.deployments[0]!).toBe(false);
    } finally {
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses malformed times, a reversed window, too many buckets, an unknown team, a service in two teams", async () => {
    const index = { deploymentSbomFacts: async () => [], listDeployments: async () => [], listSboms: async () => [] };
    const slis = createSliService({ index, teams: TEAMS, clock: CLOCK });
    const code = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        if (err instanceof VouchError) return [err.code, err.message];
        throw err;
      }
      return ["resolved"];
    };
    expect(await code(() => slis.report({ from: "last tuesday" }))).toEqual(["INPUT_MALFORMED", expect.stringContaining("from is not an RFC 3339 timestamp")]);
    expect(await code(() => slis.report({ from: "2025-05-02T00:00:00Z", to: "2025-05-01T00:00:00Z" }))).toEqual(["INPUT_USAGE", expect.stringContaining("is after to")]);
    expect(await code(() => slis.report({ from: "2020-01-01T00:00:00Z", bucket: "hour" }))).toEqual(["INPUT_USAGE", expect.stringContaining(`at most ${MAX_BUCKETS}`)]);
    expect(await code(() => slis.report({ bucket: "fortnight" as "day" }))).toEqual(["INPUT_USAGE", expect.stringContaining("bucket is one of hour, day, week")]);
    expect(await code(() => slis.report({ bucket: "constructor" as "day" }))).toEqual(["INPUT_USAGE", expect.stringContaining("bucket is one of hour, day, week")]);
    expect(await code(() => slis.report({ team: "nobody" }))).toEqual(["INPUT_NOT_FOUND", expect.stringContaining("teams: discovery, payments")]);
    expect(() => createSliService({ index, teams: { a: ["x"], b: ["x"] } })).toThrow(/service "x" is in two teams/);
    // A day's series by default: the 30 days up to now.
    expect((await slis.report({ bucket: "day" })).series).toHaveLength(30);
  });
});

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeSlis("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sli-"));
  temps.push(dir);
  // One file, as vouch serve keeps them.
  const file = join(dir, "index.sqlite");
  const index = await openSqliteIndexStore(file);
  const attestations = await openSqliteAttestationStore(file);
  return {
    index,
    attestations,
    dispose: async () => {
      await index.close();
      await attestations.close();
    },
  };
});

const unavailable = await postgresUnavailable();
if (unavailable === undefined) {
  describeSlis("PostgreSQL", async () => {
    const database = await createTestDatabase();
    const index = await openPostgresIndexStore(database.url);
    const attestations = await openPostgresAttestationStore(database.url);
    return {
      index,
      attestations,
      dispose: async () => {
        await index.close();
        await attestations.close();
        await database.drop();
      },
    };
  });
}
// Without a server, postgresUnavailable() has printed why the PostgreSQL half is not run.
