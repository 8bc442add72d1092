import { performance } from "node:perf_hooks";
import { VouchError } from "../core/errors.js";
import type { AttestationStore, DecisionStore, IndexDeploymentSbomFacts, IndexStore } from "../store/ports.js";
import { canonicalTimestamp } from "../core/time.js";
import type { SloTargets } from "./views.js";
import { servicesOfDigests } from "./digest-services.js";
import { byCodeUnits } from "./order.js";

/**
 * Supply-chain SLIs over the index (issue 9): what runs where, and how much of it is signed, described by an SBOM,
 * and built with complete provenance; who signs, and when a service meets a signer it has never had.
 *
 * Definitions (each over the current deployment of every (service, environment) in scope; for a time series, over
 * the deployments MADE in each bucket, each judged as of its deploy time where the index keeps times):
 * - signed deployment ratio: deployments whose artifact digest is the subject of a verified attestation or
 *   signature (AttestationStore.signedDigests);
 * - SBOM coverage: deployments whose service has an SBOM in the index at all (any release), as Dependency-Track
 *   counts projects with a BOM;
 * - SBOM alignment: deployments whose exact artifact digest has an SBOM (the SBOM describes what runs);
 * - SBOM freshness: the age at deploy of the newest SBOM of the deployed digest ingested at or before the deploy
 *   (deployedAt − ingestedAt); an SBOM that arrived only after the deploy counts as `late`, never as age 0;
 * - provenance completeness: deployments whose digest has verified SLSA provenance with every required field
 *   (ProvenanceFacts.complete: builder.id, buildType, externalParameters, a resolved source commit, invocationId);
 * - attestation deny rate: admission decisions denied ÷ made (the policy decision store's `admission` events) over the
 *   series' window, each bucket's, else the last 24 hours; absent (never 0) without a decision store and in scopes
 *   decisions do not carry (service, environment, team);
 * - new signer identities (anomaly events): a verified signer (keyless SAN + issuer, or key id) of an artifact of a
 *   service that no earlier artifact of that service was signed by; a service's first signer is its baseline;
 * - key usage: verified signatures per signer identity, with the artifacts and services they cover.
 * Signatures and provenance are taken as the attestation store holds them now (a series' past buckets included).
 */

/** A ratio, with the counts it is made of; `value` is null when nothing is in scope (never a made-up 0 or 1). */
export interface SliRatio {
  numerator: number;
  denominator: number;
  value: number | null;
}

/** An SLI vouch cannot compute here, with why (never reported as 0). */
export interface SliAbsent {
  absent: true;
  reason: string;
}

export interface SliFreshness {
  /** Deployments whose digest had an SBOM at deploy time. */
  measured: number;
  /** Deployments whose digest's SBOM arrived only after the deploy. */
  late: number;
  /** Seconds; null when nothing was measured. */
  medianSeconds: number | null;
  maxSeconds: number | null;
}

export interface SliValues {
  /** Deployments in scope. */
  deployments: number;
  signedDeploymentRatio: SliRatio | SliAbsent;
  sbomCoverage: SliRatio;
  sbomAlignment: SliRatio;
  sbomFreshness: SliFreshness;
  provenanceCompleteness: SliRatio | SliAbsent;
  /**
   * Admission decisions denied ÷ made (the decision store's `admission` events, never re-checks or CI gates), over
   * the report's window: the series' from–to, each bucket's own, else the last 24 hours. Decisions are recorded per
   * namespace and resource, not per service, so the rate is absent in per-service / environment / team scopes.
   */
  denyRate: SliRatio | SliAbsent;
}

/** One deployment as the SLIs judged it (what the per-(service, environment) gauges show). */
export interface SliDeployment {
  service: string;
  environment: string;
  team?: string;
  digest: string;
  deployedAt: string;
  signed?: boolean;
  /** The deployed digest has an SBOM (alignment). */
  sbom: boolean;
  /** Its SBOMs all arrived after the deploy (freshness: late). */
  sbomAfterDeploy: boolean;
  /** The service has an SBOM of any release (coverage). */
  serviceHasSbom: boolean;
  /** Seconds; absent without an SBOM at deploy time. */
  sbomAgeSeconds?: number;
  provenanceComplete?: boolean;
}

export interface SliGroup {
  key: string;
  values: SliValues;
}

export interface SliBucket {
  /** RFC 3339, inclusive. */
  start: string;
  /** RFC 3339, exclusive. */
  end: string;
  values: SliValues;
}

export interface SignerAnomaly {
  service: string;
  identity: string;
  issuer?: string;
  /** The artifact it first signed for this service. */
  digest: string;
  /** RFC 3339 */
  firstSeen: string;
}

export interface KeyUsage {
  identity: string;
  issuer?: string;
  signatures: number;
  artifacts: number;
  services: string[];
  /** RFC 3339 */
  firstSeen: string;
}

export interface SliReport {
  /** RFC 3339: when the SLIs were computed. */
  at: string;
  query: SliQuery;
  /** The current deployments in scope, together. */
  overall: SliValues;
  byService: SliGroup[];
  byEnvironment: SliGroup[];
  byTeam: SliGroup[];
  /** Every current deployment in scope, judged. */
  deployments: SliDeployment[];
  /** With `bucket` (or from / to): the deployments made in each bucket. */
  series?: SliBucket[];
  signers: { anomalies: SignerAnomaly[]; keyUsage: KeyUsage[] } | SliAbsent;
  /** The SLO targets (index.slo in vouch.yaml): what the dashboard draws the SLIs against. */
  targets: SloTargets;
  /** Milliseconds (reported, never asserted). */
  tookMs: number;
}

export type SliBucketSize = "hour" | "day" | "week";

export interface SliQuery {
  service?: string;
  environment?: string;
  team?: string;
  /** RFC 3339: the series' start (default: 30 buckets before `to`). */
  from?: string;
  /** RFC 3339: the series' end (default: now). */
  to?: string;
  /** Bucket size of the series; a series is computed when bucket, from or to is given. Default day. */
  bucket?: SliBucketSize;
}

export interface SliService {
  report(query?: SliQuery): Promise<SliReport>;
}

/** What the SLIs read from the attestation store (helper A's port); without it, those SLIs are absent. */
export type SliAttestations = Pick<AttestationStore, "signedDigests" | "signerIdentities" | "provenanceFacts">;

export interface SliServiceOptions {
  index: Pick<IndexStore, "deploymentSbomFacts" | "listDeployments" | "listSboms">;
  attestations?: SliAttestations;
  /** The policy decision store (issue 10): the deny rate. Without it, the deny rate is absent. */
  decisions?: Pick<DecisionStore, "counts">;
  /** index.teams in vouch.yaml: team → its services. A service belongs to one team at most. */
  teams?: Record<string, readonly string[]>;
  /** index.slo in vouch.yaml; each target not given takes its DEFAULT_SLO_TARGETS value. */
  targets?: Partial<SloTargets>;
  clock?: () => Date;
}

/**
 * Defaults a Grafana SLO panel user would start from: nearly every deployment signed, most described by an SBOM and
 * built with complete provenance, and admission denying at most 1 request in 20 (more means a broken pipeline or an
 * attack, either worth a page).
 */
export const DEFAULT_SLO_TARGETS: Readonly<SloTargets> = Object.freeze({
  signedDeploymentRatio: 0.95,
  sbomCoverage: 0.9,
  sbomAlignment: 0.9,
  provenanceCompleteness: 0.8,
  denyRate: 0.05,
});

/** The targets with defaults filled in; INPUT_USAGE for a ratio outside [0, 1] (vouch.yaml is checked by schema too). */
export function sloTargets(given: Partial<SloTargets> = {}): SloTargets {
  const out: SloTargets = { ...DEFAULT_SLO_TARGETS };
  for (const key of Object.keys(DEFAULT_SLO_TARGETS) as (keyof SloTargets)[]) {
    const value = given[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new VouchError("INPUT_USAGE", `index.slo.${key} is a ratio from 0 to 1, not ${String(value)}`);
    out[key] = value;
  }
  return out;
}

const BUCKET_MS: Record<SliBucketSize, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };
/** Longest series answered: a year of days, a month of hours. */
export const MAX_BUCKETS = 1000;
const NO_DECISIONS: SliAbsent = { absent: true, reason: "this server has no policy decision store (admission decisions are recorded there)" };
const NOT_PER_SCOPE: SliAbsent = { absent: true, reason: "admission decisions are recorded per namespace and resource, not per service, environment or team" };
/** The deny rate's window when the report has no series: the last day. */
const DENY_WINDOW_MS = 86_400_000;
const NO_ATTESTATIONS = "this index has no attestation store";

/**
 * @example
 *   const slis = createSliService({ index: store, attestations, teams: { payments: ["checkout", "billing"] } });
 *   const { overall } = await slis.report({ environment: "prod" });
 *   overall.signedDeploymentRatio; // { numerator: 2, denominator: 3, value: 0.667 }
 */
export function createSliService(options: SliServiceOptions): SliService {
  const { index, attestations } = options;
  const clock = options.clock ?? (() => new Date());
  const teamOf = teamMap(options.teams ?? {});
  const targets = sloTargets(options.targets);

  async function report(query: SliQuery = {}): Promise<SliReport> {
    const started = performance.now();
    const now = clock();
    const inScope = scope(query, options.teams ?? {});
    // The store joins each deployment with its SBOM facts (first / latest-at-deploy ingest of its digest, first of
    // its service): one query, never every SBOM row (the summary's cost at portfolio scale).
    const current = (await index.deploymentSbomFacts(filterOf(query))).filter((d) => inScope(d.service));
    const window = seriesWindow(query, now);
    const made =
      window === undefined ? [] : (await index.deploymentSbomFacts({ ...filterOf(query), history: { since: window.from.toISOString(), until: window.to.toISOString() } })).filter((d) => inScope(d.service));

    const digests = [...new Set([...current, ...made].map((d) => d.digest))];
    const [signed, complete] = await Promise.all([
      attestations === undefined || digests.length === 0 ? undefined : attestations.signedDigests(digests),
      attestations === undefined || digests.length === 0 ? undefined : attestations.provenanceFacts(digests),
    ]);
    const facts: Facts = {
      signed: attestations === undefined ? undefined : (signed ?? new Set()),
      complete: attestations === undefined ? undefined : new Set((complete ?? []).filter((f) => f.complete).map((f) => f.digest)),
    };

    const judged = current.map((d) => judge(d, facts, teamOf, false));
    const scoped = query.service !== undefined || query.environment !== undefined || query.team !== undefined;
    const denyWindow = window ?? { from: new Date(now.getTime() - DENY_WINDOW_MS), to: now };
    const result: SliReport = {
      at: now.toISOString(),
      query,
      overall: { ...summarise(judged, facts), denyRate: scoped ? NOT_PER_SCOPE : await denyRate(denyWindow.from, denyWindow.to) },
      byService: rollup(judged, facts, (d) => [d.service]),
      byEnvironment: rollup(judged, facts, (d) => [d.environment]),
      byTeam: rollup(judged, facts, (d) => (d.team === undefined ? [] : [d.team])),
      deployments: judged,
      signers: attestations === undefined ? { absent: true, reason: NO_ATTESTATIONS } : await signers(attestations, inScope, window),
      targets: { ...targets },
      tookMs: 0,
    };
    if (window !== undefined) {
      result.series = series(made.map((d) => judge(d, facts, teamOf, true)), facts, window);
      if (!scoped) for (const b of result.series) b.values.denyRate = await denyRate(new Date(b.start), new Date(b.end));
    }
    result.tookMs = Math.round((performance.now() - started) * 100) / 100;
    return result;
  }

  /** Admission decisions denied ÷ made in [from, to). */
  async function denyRate(from: Date, to: Date): Promise<SliRatio | SliAbsent> {
    if (options.decisions === undefined) return NO_DECISIONS;
    const counts = await options.decisions.counts({ since: from.toISOString(), until: to.toISOString(), source: "admission" });
    return { numerator: counts.denied, denominator: counts.total, value: counts.total === 0 ? null : Math.round((counts.denied / counts.total) * 1000) / 1000 };
  }

  async function signers(store: SliAttestations, inScope: (service: string) => boolean, window: Window | undefined): Promise<{ anomalies: SignerAnomaly[]; keyUsage: KeyUsage[] }> {
    const rows = await store.signerIdentities();
    if (rows.length === 0) return { anomalies: [], keyUsage: [] };
    const digests = [...new Set(rows.map((r) => r.digest))];
    // A digest belongs to the services that deployed it or pushed an SBOM for it.
    const servicesOf = await servicesOfDigests(index, digests);
    const usage = new Map<string, KeyUsage & { digests: Set<string>; serviceSet: Set<string> }>();
    // Per service, in order of first signature: the first signer is the baseline, every later new one an event.
    const seen = new Map<string, Set<string>>();
    const anomalies: SignerAnomaly[] = [];
    const ordered = [...rows].sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || byCodeUnits(a.digest, b.digest) || byCodeUnits(a.identity, b.identity));
    for (const row of ordered) {
      const signer = `${row.identity}\u0000${row.issuer ?? ""}`;
      const owners = [...(servicesOf.get(row.digest) ?? [])].filter(inScope).sort(byCodeUnits);
      const u = usage.get(signer) ?? { identity: row.identity, signatures: 0, artifacts: 0, services: [], firstSeen: row.firstSeen, digests: new Set<string>(), serviceSet: new Set<string>(), ...(row.issuer === undefined ? {} : { issuer: row.issuer }) };
      if (owners.length > 0) {
        u.signatures += row.signatures;
        u.digests.add(row.digest);
        for (const s of owners) u.serviceSet.add(s);
        usage.set(signer, u);
      }
      for (const service of owners) {
        const known = seen.get(service);
        if (known === undefined) {
          seen.set(service, new Set([signer]));
          continue;
        }
        if (known.has(signer)) continue;
        known.add(signer);
        const at = Date.parse(row.firstSeen);
        if (window !== undefined && (at < window.from.getTime() || at > window.to.getTime())) continue;
        anomalies.push({ service, identity: row.identity, digest: row.digest, firstSeen: row.firstSeen, ...(row.issuer === undefined ? {} : { issuer: row.issuer }) });
      }
    }
    const keyUsage = [...usage.values()]
      .map(({ digests: d, serviceSet, ...u }) => ({ ...u, artifacts: d.size, services: [...serviceSet].sort(byCodeUnits) }))
      .sort((a, b) => b.signatures - a.signatures || byCodeUnits(a.identity, b.identity) || byCodeUnits(a.issuer ?? "", b.issuer ?? ""));
    return { anomalies, keyUsage };
  }

  return { report };
}

interface Facts {
  /** Undefined: no attestation store. */
  signed: Set<string> | undefined;
  complete: Set<string> | undefined;
}

interface Window {
  from: Date;
  to: Date;
  bucket: SliBucketSize;
}

/**
 * One deployment judged: a current one as of now (an SBOM pushed after the deploy still describes what runs), one
 * in a series as of its deploy time (what the index had then). Freshness is always measured at deploy time.
 */
function judge(d: IndexDeploymentSbomFacts, facts: Facts, teamOf: Map<string, string>, atDeploy: boolean): SliDeployment {
  const deployedAt = Date.parse(d.deployedAt);
  // The newest SBOM the index had at deploy time (the store compares instants to the millisecond, as Date does).
  const newest = d.digestSbomAtDeploy === undefined ? undefined : Date.parse(d.digestSbomAtDeploy);
  const serviceFirst = d.serviceFirstSbomAt === undefined ? undefined : Date.parse(d.serviceFirstSbomAt);
  const out: SliDeployment = {
    service: d.service,
    environment: d.environment,
    digest: d.digest,
    deployedAt: d.deployedAt,
    sbom: atDeploy ? newest !== undefined : d.digestFirstSbomAt !== undefined,
    sbomAfterDeploy: d.digestFirstSbomAt !== undefined && newest === undefined,
    serviceHasSbom: serviceFirst !== undefined && (!atDeploy || serviceFirst <= deployedAt),
  };
  const team = teamOf.get(d.service);
  if (team !== undefined) out.team = team;
  if (facts.signed !== undefined) out.signed = facts.signed.has(d.digest);
  if (newest !== undefined) out.sbomAgeSeconds = Math.round((deployedAt - newest) / 1000);
  if (facts.complete !== undefined) out.provenanceComplete = facts.complete.has(d.digest);
  return out;
}

function summarise(judged: readonly SliDeployment[], facts: Facts): SliValues {
  const ratio = (pick: (d: SliDeployment) => boolean | undefined): SliRatio => {
    const numerator = judged.filter((d) => pick(d) === true).length;
    return { numerator, denominator: judged.length, value: judged.length === 0 ? null : Math.round((numerator / judged.length) * 1000) / 1000 };
  };
  const ages = judged.flatMap((d) => (d.sbomAgeSeconds === undefined ? [] : [d.sbomAgeSeconds])).sort((a, b) => a - b);
  return {
    deployments: judged.length,
    signedDeploymentRatio: facts.signed === undefined ? { absent: true, reason: NO_ATTESTATIONS } : ratio((d) => d.signed),
    sbomCoverage: ratio((d) => d.serviceHasSbom),
    sbomAlignment: ratio((d) => d.sbom),
    sbomFreshness: {
      measured: ages.length,
      late: judged.filter((d) => d.sbomAfterDeploy).length,
      medianSeconds: ages.length === 0 ? null : median(ages),
      maxSeconds: ages.length === 0 ? null : ages[ages.length - 1]!,
    },
    provenanceCompleteness: facts.complete === undefined ? { absent: true, reason: NO_ATTESTATIONS } : ratio((d) => d.provenanceComplete),
    denyRate: NOT_PER_SCOPE,
  };
}

function rollup(judged: readonly SliDeployment[], facts: Facts, keys: (d: SliDeployment) => string[]): SliGroup[] {
  const groups = new Map<string, SliDeployment[]>();
  for (const d of judged) {
    for (const k of keys(d)) {
      const members = groups.get(k);
      if (members === undefined) groups.set(k, [d]);
      else members.push(d);
    }
  }
  return [...groups.entries()].sort(([a], [b]) => byCodeUnits(a, b)).map(([key, members]) => ({ key, values: summarise(members, facts) }));
}

function series(judged: readonly SliDeployment[], facts: Facts, window: Window): SliBucket[] {
  const size = BUCKET_MS[window.bucket];
  const buckets: SliBucket[] = [];
  for (let start = window.from.getTime(); start <= window.to.getTime(); start += size) {
    const end = start + size;
    const members = judged.filter((d) => {
      const at = Date.parse(d.deployedAt);
      return at >= start && at < end;
    });
    buckets.push({ start: new Date(start).toISOString(), end: new Date(end).toISOString(), values: summarise(members, facts) });
  }
  return buckets;
}

/** The series' window: buckets aligned to UTC boundaries of their size, `to` inclusive. */
function seriesWindow(query: SliQuery, now: Date): Window | undefined {
  if (query.bucket === undefined && query.from === undefined && query.to === undefined) return undefined;
  const bucket = query.bucket ?? "day";
  if (!Object.hasOwn(BUCKET_MS, bucket)) throw new VouchError("INPUT_USAGE", `bucket is one of ${Object.keys(BUCKET_MS).join(", ")}, not ${JSON.stringify(bucket)}`);
  const size = BUCKET_MS[bucket];
  const to = query.to === undefined ? now : instant(query.to, "to");
  const from = query.from === undefined ? new Date(to.getTime() - 29 * size) : instant(query.from, "from");
  if (from.getTime() > to.getTime()) throw new VouchError("INPUT_USAGE", `from (${query.from}) is after to (${query.to ?? to.toISOString()})`);
  // Weeks start on Monday (ISO 8601): the epoch was a Thursday, the first Monday 1970-01-05.
  const offset = bucket === "week" ? 4 * 86_400_000 : 0;
  const alignedFrom = new Date(Math.floor((from.getTime() - offset) / size) * size + offset);
  const count = Math.floor((to.getTime() - alignedFrom.getTime()) / size) + 1;
  if (count > MAX_BUCKETS) throw new VouchError("INPUT_USAGE", `the series would have ${count} ${bucket} buckets; at most ${MAX_BUCKETS} (narrow from / to or take a larger bucket)`);
  return { from: alignedFrom, to, bucket };
}

function instant(text: string, what: string): Date {
  // The store's parser: RFC 3339 only, offsets honoured.
  const canonical = canonicalTimestamp(text, what);
  return new Date(Date.parse(canonical.replace(/(\.\d{3})\d*Z$/, "$1Z")));
}

function filterOf(query: SliQuery): { service?: string; environment?: string } {
  return { ...(query.service === undefined ? {} : { service: query.service }), ...(query.environment === undefined ? {} : { environment: query.environment }) };
}

function scope(query: SliQuery, teams: Record<string, readonly string[]>): (service: string) => boolean {
  if (query.team === undefined) return () => true;
  const members = teams[query.team];
  if (members === undefined) throw new VouchError("INPUT_NOT_FOUND", `no team ${JSON.stringify(query.team)} in index.teams (teams: ${Object.keys(teams).sort().join(", ") || "none configured"})`);
  const set = new Set(members);
  return (service) => set.has(service);
}

function teamMap(teams: Record<string, readonly string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [team, services] of Object.entries(teams)) {
    for (const service of services) {
      const other = out.get(service);
      if (other !== undefined && other !== team) throw new VouchError("INPUT_USAGE", `index.teams: service ${JSON.stringify(service)} is in two teams (${other}, ${team}); a service belongs to one team`);
      out.set(service, team);
    }
  }
  return out;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}
