import type { AdvisoryPackageKey, EpssScore, KevEntry } from "../store/ports.js";
import { parsePurl } from "../sbom/model/purl.js";
import { severitiesFromOsv, severityRank, type Finding, type FindingSeverity, type SeverityBucket } from "./findings.js";
import { matchRecord, schemesFor, type RecordMatch } from "./match.js";
import { keyEcosystem, mapPurl, type OsvPackageKey, type SourceHint } from "./osv/purl.js";
import type { OsvRecord } from "./osv/parse.js";
import type { OsvSeverityEntry } from "./severity/index.js";
import { schemeForEcosystem } from "./versions/index.js";

/**
 * The pure half of `vouch scan`: SBOM components in, findings out, in three steps around the advisory store's
 * lookups (src/api/scan.ts does the lookups):
 *
 * 1. planScan: each component's purl mapped to the OSV package it is (src/vuln/osv/purl.ts; for OS packages the
 *    source package, from the purl's `upstream` qualifier or the SBOM's properties), and the distinct
 *    (ecosystem, name) keys to look up. A component that cannot be looked up (no purl, a purl that does not parse,
 *    a purl type or distribution OSV has no ecosystem for, no version) is kept in `unmatched` with its reason:
 *    never silently dropped (the "Bad input").
 * 2. matchPlan: every record found for a component's key evaluated at the component's version (src/vuln/match.ts:
 *    OSV's evaluation algorithm, with the release checked: a `Debian:9` advisory never matches a Debian 12 package).
 * 3. findingsFrom: the records that matched one component merged by alias group (the store's groups: CVE ↔ GHSA ↔
 *    distro ids), so one vulnerability is reported once per component, as osv-scanner groups them; each finding
 *    enriched with EPSS and KEV by its CVE ids (aliases, and the `upstream` ids distro advisories name their CVEs by).
 */

export interface ScanComponent {
  readonly bomRef?: string;
  /** The name to show ("org.apache.logging.log4j:log4j-core", "libssl3"). */
  readonly name: string;
  /** Empty when the SBOM pins none. */
  readonly version: string;
  readonly purl?: string;
  /** The SBOM wrote a purl that is not a package URL (the reader left `purl` unset). */
  readonly invalidPurl?: string;
  /** CycloneDX properties: where vouch (`vouch:deb:source`) and trivy (`aquasecurity:trivy:SrcName`) record source packages. */
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
  /** Where it was found (a lockfile path), for SARIF locations. */
  readonly location?: string;
}

export interface PlannedComponent {
  readonly component: ScanComponent;
  readonly purl: string;
  readonly key: OsvPackageKey & { version: string };
  /** Index into ScanPlan.keys. */
  readonly lookup: number;
  readonly via: "source package" | "package";
}

export interface UnmatchedComponent {
  readonly component: ScanComponent;
  /** Why it could not be looked up; components are counted per reason, so it names no component. */
  readonly reason: string;
}

export interface ScanPlan {
  readonly components: number;
  readonly planned: readonly PlannedComponent[];
  readonly unmatched: readonly UnmatchedComponent[];
  /** The distinct keys to look up (AdvisoryStore.findByPackages), in first-seen order. */
  readonly keys: readonly AdvisoryPackageKey[];
  /** Things that limit what can match, each once with the number of components it concerns. */
  readonly notes: readonly string[];
}

export const UNMATCHED = {
  noPurl: "no purl",
  invalidPurl: "purl is not a valid package URL",
  noVersion: "no version",
} as const;

/** Property names SBOM tools record a component's source package under (name, version). */
const SOURCE_PROPERTIES: readonly { name: string; version?: string; types: readonly string[] }[] = [
  { name: "vouch:deb:source", version: "vouch:deb:sourceVersion", types: ["deb"] },
  { name: "vouch:apk:origin", types: ["apk"] },
  { name: "aquasecurity:trivy:SrcName", version: "aquasecurity:trivy:SrcVersion", types: ["deb", "apk", "rpm"] },
  { name: "syft:metadata:source", version: "syft:metadata:sourceVersion", types: ["deb"] },
  { name: "syft:metadata:originPackage", types: ["apk"] },
];

/**
 * The source package an SBOM records outside the purl, for OS packages. trivy's SrcVersion lacks the release
 * (`aquasecurity:trivy:SrcRelease`) and epoch (`SrcEpoch`) Debian versions need, so they are put back together.
 */
export function sourceHint(type: string, properties: readonly { name: string; value: string }[] = []): SourceHint | undefined {
  const prop = (name: string | undefined) => (name === undefined ? undefined : properties.find((p) => p.name === name)?.value.trim() || undefined);
  for (const s of SOURCE_PROPERTIES) {
    if (!s.types.includes(type)) continue;
    const name = prop(s.name);
    if (name === undefined) continue;
    let version = prop(s.version);
    if (version !== undefined && s.name.startsWith("aquasecurity:")) {
      // trivy: SrcEpoch, SrcVersion and SrcRelease are the parts of [epoch:]version[-release].
      const release = prop("aquasecurity:trivy:SrcRelease");
      const epoch = prop("aquasecurity:trivy:SrcEpoch");
      if (release !== undefined) version = `${version}-${release}`;
      if (epoch !== undefined && epoch !== "0") version = `${epoch}:${version}`;
    }
    // An rpm's release is part of every version OSV compares, and apk origins have no version of their own.
    if (type === "rpm" || type === "apk") return { name };
    return version === undefined ? { name } : { name, version };
  }
  return undefined;
}

const OS_TYPES: ReadonlySet<string> = new Set(["deb", "apk", "rpm"]);

/**
 * Map every component to the OSV package to look up.
 *
 * @example
 * const plan = planScan(sbom.components.map(componentFromSbom));
 * const records = await store.findByPackages(plan.keys);
 */
export function planScan(components: readonly ScanComponent[]): ScanPlan {
  const planned: PlannedComponent[] = [];
  const unmatched: UnmatchedComponent[] = [];
  const keys: AdvisoryPackageKey[] = [];
  const keyIndex = new Map<string, number>();
  const notes = new Map<string, number>();
  const note = (text: string) => notes.set(text, (notes.get(text) ?? 0) + 1);
  for (const component of components) {
    if (component.purl === undefined) {
      unmatched.push({ component, reason: component.invalidPurl !== undefined ? UNMATCHED.invalidPurl : UNMATCHED.noPurl });
      continue;
    }
    const parsed = parsePurl(component.purl);
    if (parsed === undefined) {
      unmatched.push({ component, reason: UNMATCHED.invalidPurl });
      continue;
    }
    const mapping = mapPurl(component.purl, OS_TYPES.has(parsed.type) ? sourceHint(parsed.type, component.properties) : undefined);
    if (!mapping.ok) {
      unmatched.push({ component, reason: mapping.reason });
      continue;
    }
    const key = mapping.key;
    // The purl's version is the one advisories speak of; an SBOM may leave it out of the purl but state it.
    const version = key.version ?? (component.version === "" ? undefined : component.version);
    if (version === undefined) {
      unmatched.push({ component, reason: UNMATCHED.noVersion });
      continue;
    }
    for (const n of key.notes) if (n.startsWith("no release") || n.startsWith("no Alpine release")) note(`${keyEcosystem(key)}: ${n}`);
    if (schemeForEcosystem(key.ecosystem) === undefined) note(`${key.ecosystem}: no version scheme, so only advisories listing exact versions can match`);
    const id = `${key.ecosystem}\u0000${key.name}`;
    let lookup = keyIndex.get(id);
    if (lookup === undefined) {
      lookup = keys.length;
      keys.push({ ecosystem: key.ecosystem, name: key.name });
      keyIndex.set(id, lookup);
    }
    const via = OS_TYPES.has(parsed.type) && key.name !== parsed.name ? "source package" : "package";
    planned.push({ component, purl: component.purl, key: { ...key, version }, lookup, via });
  }
  return {
    components: components.length,
    planned,
    unmatched,
    keys,
    notes: [...notes.entries()].map(([text, n]) => `${text} (${n} component${n === 1 ? "" : "s"})`).sort(),
  };
}

/** One record that affects one planned component (every affected entry of the record that contains its version). */
export interface RawMatch {
  readonly planned: PlannedComponent;
  readonly record: OsvRecord;
  readonly matches: readonly RecordMatch[];
}

/**
 * Evaluate the records found for each key (`records[i]` for `plan.keys[i]`, as findByPackages returns them) at
 * each component's version.
 */
export function matchPlan(plan: ScanPlan, records: readonly (readonly OsvRecord[])[]): RawMatch[] {
  const out: RawMatch[] = [];
  for (const planned of plan.planned) {
    for (const record of records[planned.lookup] ?? []) {
      const matches = matchRecord(record, planned.key);
      if (matches.length > 0) out.push({ planned, record, matches });
    }
  }
  return out;
}

/** The ids of the matched records, for AdvisoryStore.aliasGroups. */
export function matchedIds(raw: readonly RawMatch[]): string[] {
  return [...new Set(raw.map((r) => r.record.id))].sort();
}

/** Every CVE id the matched records name (their id, aliases and upstream), for the EPSS and KEV lookups. */
export function cveIds(raw: readonly RawMatch[], aliasGroups: readonly (readonly string[])[] = []): string[] {
  const ids = new Set<string>();
  for (const r of raw) for (const id of [r.record.id, ...r.record.aliases, ...r.record.upstream]) if (isCve(id)) ids.add(id);
  for (const g of aliasGroups) for (const id of g) if (isCve(id)) ids.add(id);
  return [...ids].sort();
}

/**
 * The CVE ids (aliases and upstream) of matched records that carry no CVSS vector of their own: a distro advisory
 * is scored by its upstream CVE's record when the database holds one (AdvisoryStore.findByIds).
 */
export function unscoredCveIds(raw: readonly RawMatch[]): string[] {
  const ids = new Set<string>();
  for (const { record, matches } of raw) {
    const vectors = [...record.severity, ...matches.flatMap((m) => record.affected[m.index]!.severity)];
    if (vectors.some((v) => v.type === "CVSS_V3" || v.type === "CVSS_V4")) continue;
    for (const id of [...record.aliases, ...record.upstream]) if (isCve(id) && id !== record.id) ids.add(id);
  }
  return [...ids].sort();
}

const CVE_ID = /^CVE-\d{4}-\d+$/;
// Asked for every id and alias of every finding: the prefix test spares the regex for the GHSA, DSA, … ids.
const isCve = (id: string) => id.startsWith("CVE-") && CVE_ID.test(id);

export interface Enrichment {
  /** AdvisoryStore.aliasGroups of matchedIds. */
  readonly aliasGroups: readonly (readonly string[])[];
  readonly epss?: readonly EpssScore[];
  /** The EPSS model's score date (YYYY-MM-DD or RFC 3339). */
  readonly epssDate?: string;
  readonly kev?: readonly KevEntry[];
  /** Records of the CVEs that matched records without a CVSS vector name (unscoredCveIds), to score them by. */
  readonly upstream?: readonly OsvRecord[];
}

/**
 * Findings from the matches: one per (component, alias group). The preferred id is the matched advisory's own
 * (a record whose id is a bare CVE only when nothing else matched), the others are aliases; severities, fixed
 * versions and references are the union over the merged records.
 */
export function findingsFrom(raw: readonly RawMatch[], enrichment: Enrichment): Finding[] {
  const { groupOf, epss, kev, upstream } = lookupsOf(enrichment);
  const context = { epss, kev, upstream, epssDate: enrichment.epssDate };

  // Per component, its matches by alias group (the group's index, or the record's own id when it is in none).
  const byComponent = new Map<PlannedComponent, Map<number | string, RawMatch[]>>();
  for (const r of raw) {
    const gid = groupOf.get(r.record.id) ?? r.record.id;
    let groups = byComponent.get(r.planned);
    if (groups === undefined) byComponent.set(r.planned, (groups = new Map()));
    const list = groups.get(gid);
    if (list === undefined) groups.set(gid, [r]);
    else list.push(r);
  }

  const findings: Finding[] = [];
  for (const [planned, groups] of byComponent) {
    for (const [gid, matches] of groups) {
      const group = typeof gid === "number" ? (enrichment.aliasGroups[gid] ?? []) : [];
      findings.push(mergeGroup(planned, matches, group, context));
    }
  }
  return findings;
}

interface EnrichmentLookups {
  readonly groupOf: ReadonlyMap<string, number>;
  readonly epss: ReadonlyMap<string, EpssScore>;
  readonly kev: ReadonlyMap<string, KevEntry>;
  readonly upstream: ReadonlyMap<string, OsvRecord>;
}

// One enrichment serves every target of a batch (src/api/scan.ts scanMany): its maps are built once, not per target,
// which made a 1,000-SBOM batch quadratic.
const lookups = new WeakMap<Enrichment, EnrichmentLookups>();

function lookupsOf(enrichment: Enrichment): EnrichmentLookups {
  let built = lookups.get(enrichment);
  if (built === undefined) {
    const groupOf = new Map<string, number>();
    enrichment.aliasGroups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    built = {
      groupOf,
      epss: new Map((enrichment.epss ?? []).map((e) => [e.cve, e])),
      kev: new Map((enrichment.kev ?? []).map((k) => [k.cveID, k])),
      upstream: new Map((enrichment.upstream ?? []).map((r) => [r.id, r])),
    };
    lookups.set(enrichment, built);
  }
  return built;
}

/** Which matched record names the finding: an advisory's own id before a bare CVE record, then the smallest id. */
function preferred(a: RawMatch, b: RawMatch): number {
  const ca = isCve(a.record.id) ? 1 : 0;
  const cb = isCve(b.record.id) ? 1 : 0;
  return ca - cb || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0);
}

function mergeGroup(
  planned: PlannedComponent,
  matches: RawMatch[],
  group: readonly string[],
  { epss, kev, upstream, epssDate }: Omit<EnrichmentLookups, "groupOf"> & { epssDate: string | undefined },
): Finding {
  // Written as plain loops: a scan merges one group per finding, tens of thousands of them for a fleet.
  const sorted = matches.length === 1 ? matches : [...matches].sort(preferred);
  const main = sorted[0]!;
  const record = main.record;
  const first = main.matches[0]!;
  const affected = record.affected[first.index]!;

  const aliases = new Set<string>(group);
  const severityEntries: OsvSeverityEntry[] = [];
  const fixed = new Set<string>();
  const references = new Set<string>();
  const cves = new Set<string>();
  let summary = record.summary;
  let published: string | undefined;
  let publishedAt = NaN;
  let modified: string | undefined;
  let modifiedAt = NaN;
  for (const m of sorted) {
    const r = m.record;
    aliases.add(r.id);
    for (const a of r.aliases) aliases.add(a);
    for (const e of r.severity) severityEntries.push(e);
    for (const x of m.matches) {
      for (const e of r.affected[x.index]!.severity) severityEntries.push(e);
      if (x.result.fixed !== undefined) fixed.add(x.result.fixed);
    }
    for (const ref of r.references) references.add(ref.url);
    for (const id of r.upstream) if (isCve(id)) cves.add(id);
    summary ??= r.summary;
    [published, publishedAt] = pickTime(published, publishedAt, r.published, (a, b) => a < b);
    [modified, modifiedAt] = pickTime(modified, modifiedAt, r.modified, (a, b) => a > b);
  }
  aliases.delete(record.id);
  if (isCve(record.id)) cves.add(record.id);
  for (const id of aliases) if (isCve(id)) cves.add(id);

  const own = severitiesFromOsv(severityEntries);
  const { severity: scored, severities } = own.severity !== undefined ? own : upstreamSeverity(sorted, upstream);
  const severity = scored ?? statedSeverity(sorted.map((m) => m.record));

  const cveList = [...cves].sort();
  let epssBest: EpssScore | undefined;
  let kevEntry: KevEntry | undefined;
  for (const c of cveList) {
    const e = epss.get(c);
    if (e !== undefined && (epssBest === undefined || e.epss > epssBest.epss)) epssBest = e;
    kevEntry ??= kev.get(c);
  }

  const c = planned.component;
  const vulnerability: Finding["vulnerability"] = {
    id: record.id,
    aliases: [...aliases].sort(),
    ...(summary !== undefined ? { summary } : {}),
    ...(record.details !== undefined ? { details: record.details } : {}),
    ...(severity !== undefined ? { severity } : {}),
    severities: dedupeSeverities(severities),
    fixedIn: sortVersions([...fixed], affected.package?.ecosystem),
    references: [...references],
    ...(published !== undefined ? { published } : {}),
    ...(modified !== undefined ? { modified } : {}),
    ...(kevEntry !== undefined
      ? {
          kev: {
            dateAdded: kevEntry.dateAdded,
            dueDate: kevEntry.dueDate,
            knownRansomwareCampaignUse: kevEntry.knownRansomwareCampaignUse,
            requiredAction: kevEntry.requiredAction,
          },
        }
      : {}),
    ...(epssBest !== undefined ? { epss: { score: epssBest.epss, percentile: epssBest.percentile, date: (epssDate ?? "").slice(0, 10) } } : {}),
  };
  return {
    vulnerability,
    component: {
      ...(c.bomRef !== undefined ? { bomRef: c.bomRef } : {}),
      purl: planned.purl,
      name: c.name,
      version: c.version === "" ? planned.key.version : c.version,
      ecosystem: planned.key.ecosystem,
      ...(planned.key.release !== undefined ? { release: planned.key.release } : {}),
      ...(c.location !== undefined ? { location: c.location } : {}),
    },
    match: {
      ecosystem: affected.package?.ecosystem ?? keyEcosystem(planned.key),
      package: affected.package?.name ?? planned.key.name,
      range: first.result.reason,
      via: planned.via,
    },
  };
}

/**
 * The earlier (or later) of a running pick and one more time: times that parse win over ones that do not, and the
 * first seen stays on a tie (what earliest/latest over the records in order gave).
 */
function pickTime(out: string | undefined, at: number, t: string | undefined, better: (a: number, b: number) => boolean): [string | undefined, number] {
  if (t === undefined) return [out, at];
  const ms = Date.parse(t);
  if (out === undefined || (Number.isFinite(ms) && (!Number.isFinite(at) || better(ms, at)))) return [t, ms];
  return [out, at];
}

/** The worst CVSS severity of the upstream CVE records the matched records name, each marked with its source. */
function upstreamSeverity(matches: readonly RawMatch[], upstream: ReadonlyMap<string, OsvRecord>): { severity?: FindingSeverity; severities: FindingSeverity[] } {
  const cves = new Set<string>();
  for (const m of matches) for (const id of [...m.record.aliases, ...m.record.upstream]) if (isCve(id)) cves.add(id);
  let severity: FindingSeverity | undefined;
  const severities: FindingSeverity[] = [];
  for (const cve of [...cves].sort()) {
    const record = upstream.get(cve);
    if (record === undefined) continue;
    const found = severitiesFromOsv(record.severity);
    severities.push(...found.severities.map((s) => ({ ...s, from: record.id })));
    if (found.severity !== undefined && (severity === undefined || (found.severity.score ?? 0) > (severity.score ?? 0))) severity = { ...found.severity, from: record.id };
  }
  return severity === undefined ? { severities } : { severity, severities };
}

/**
 * A severity the source states without a vector, for advisories vouch cannot score: GitHub's
 * `database_specific.severity` (LOW, MODERATE, HIGH, CRITICAL) and Ubuntu's priority (`severity[].type: Ubuntu`).
 */
function statedSeverity(records: readonly OsvRecord[]): FindingSeverity | undefined {
  let best: FindingSeverity | undefined;
  const consider = (type: string, label: unknown) => {
    const bucket = typeof label === "string" ? STATED[label.toLowerCase()] : undefined;
    if (bucket !== undefined && (best === undefined || severityRank(bucket) > severityRank(best.bucket))) best = { type, bucket };
  };
  for (const r of records) {
    consider(r.id.startsWith("GHSA-") ? "GHSA" : "database", r.databaseSpecific?.severity);
    for (const s of r.severity) if (s.type === "Ubuntu") consider("Ubuntu", s.score);
  }
  return best;
}

const STATED: Readonly<Record<string, SeverityBucket>> = {
  negligible: "none",
  low: "low",
  moderate: "medium",
  medium: "medium",
  high: "high",
  critical: "critical",
};

function dedupeSeverities(list: readonly FindingSeverity[]): FindingSeverity[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = `${s.type}|${s.vector ?? ""}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Fixed versions lowest first, in the ecosystem's order (string order for anything the scheme cannot read). */
function sortVersions(versions: string[], ecosystem: string | undefined): string[] {
  const scheme = schemesFor(ecosystem).ecosystem;
  return versions.sort((a, b) => {
    if (scheme) {
      try {
        return scheme.compare(a, b);
      } catch {
        // fall through to string order
      }
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

export interface ScanCounts {
  readonly components: number;
  /** Components mapped to an OSV package and looked up. */
  readonly matched: number;
  /** Components with at least one of the findings given (the caller leaves out what VEX suppressed). */
  readonly vulnerable: number;
  /** Components that could not be looked up, counted per reason (most first). */
  readonly unmatched: readonly { readonly reason: string; readonly count: number }[];
}

/** The counts of a plan, with the findings reported. */
export function scanCounts(plan: ScanPlan, findings: readonly Finding[]): ScanCounts {
  const reasons = new Map<string, number>();
  for (const u of plan.unmatched) reasons.set(u.reason, (reasons.get(u.reason) ?? 0) + 1);
  const vulnerable = new Set(findings.map((f) => `${f.component.bomRef ?? ""}\u0000${f.component.purl}`));
  return {
    components: plan.components,
    matched: plan.planned.length,
    vulnerable: vulnerable.size,
    unmatched: [...reasons.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
  };
}
