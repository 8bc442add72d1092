import { VouchError } from "../core/errors.js";
import { DEFAULT_REPOSITORY, normalizePackageName, sameRepository } from "./osv/ecosystems.js";
import type { OsvAffected, OsvEvent, OsvPackage, OsvRange, OsvRecord } from "./osv/parse.js";
import type { OsvPackageKey } from "./osv/purl.js";
import { schemeForEcosystem, semverSchemeForEcosystem } from "./versions/index.js";
import type { VersionScheme } from "./versions/types.js";

/**
 * Whether a package version is affected by an OSV record: the schema's evaluation algorithm
 * (https://ossf.github.io/osv-schema/#evaluation), exactly.
 *
 * A version is affected when it is listed in `versions` (string equality) or lies in any range. A range is
 * evaluated over its events sorted by the range's ordering (SemVer 2.0 for SEMVER ranges, the ecosystem's own
 * scheme for ECOSYSTEM ranges; the schema only recommends that records sort them, and real ones do not):
 * walking them in order, `introduced` at or below the version makes it vulnerable, `fixed` at or below it makes
 * it not vulnerable, `last_affected` strictly below it makes it not vulnerable. `introduced: "0"` sorts before
 * every version. A range with `limit` events only applies to versions below one of them (`*` is infinity).
 *
 * Events at the same version are walked fixed, then introduced, then last_affected, so the outcome never depends on
 * the order the record wrote them in (the schema's `sorted(range.events)` leaves ties open). fixed before
 * introduced: `fixed: 2, introduced: 2` is two adjacent stretches joined (a false negative otherwise), where the
 * other order would drop the second one; an empty `introduced: 2, fixed: 2` then reads as introduced at 2, a false
 * positive rather than a missed vulnerability. last_affected takes effect just above its version, so it comes last.
 *
 * GIT ranges need the repository's commit graph: they are skipped with a note (the record's `versions` list, which
 * osv.dev fills from GIT ranges, still applies). An ECOSYSTEM range whose ecosystem has no scheme, or whose events
 * or version the scheme cannot read, is not evaluated and says so in `notes`: never guessed.
 */

export interface AffectsResult {
  affected: boolean;
  /** Why, in words: "introduced 2.13.0, fixed 2.15.0 (ECOSYSTEM)", "listed in versions", "no range contains 2.15.0". */
  reason: string;
  /** When affected through a range: the version that fixes it (the range's next fixed event above the version). */
  fixed?: string;
  /** When affected through a range closed by last_affected instead: the last affected version. */
  lastAffected?: string;
  /** Ranges not evaluated and why (GIT ranges, no scheme, versions the scheme cannot read). */
  notes: string[];
}

export interface MatchSchemes {
  /** The ecosystem's scheme, for ECOSYSTEM ranges. Without it ECOSYSTEM ranges are not evaluated. */
  ecosystem?: VersionScheme | undefined;
  /** For SEMVER ranges; semverSchemeForEcosystem of the package's ecosystem by default (SemVer 2.0; Go's for Go). */
  semver?: VersionScheme;
}

/** The schemes of an affected entry's ecosystem (schemeForEcosystem, semverSchemeForEcosystem). */
export function schemesFor(ecosystem: string | undefined): MatchSchemes {
  if (ecosystem === undefined) return {};
  return { ecosystem: schemeForEcosystem(ecosystem), semver: semverSchemeForEcosystem(ecosystem) };
}

/** The event order at one version (see the module comment): fixed, introduced, then last_affected (above v). */
const TIE_ORDER: Readonly<Record<OsvEvent["kind"], number>> = { fixed: 0, introduced: 1, last_affected: 2, limit: 3 };

/**
 * Evaluate one `affected` entry for a version of its package, with the schemes of the entry's ecosystem
 * (schemesFor(affected.package.ecosystem)) unless `schemes` is given.
 *
 * @example
 * affects(record.affected[0], "2.14.1") // Log4Shell, Maven order: { affected: true, fixed: "2.15.0", … }
 */
export function affects(affected: OsvAffected, version: string, schemes: MatchSchemes = schemesFor(affected.package?.ecosystem)): AffectsResult {
  const notes: string[] = [];
  const inRanges: { range: OsvRange; hit: RangeHit }[] = [];
  for (const [i, range] of affected.ranges.entries()) {
    const hit = evaluateRange(range, i, version, schemes, notes);
    if (hit) inRanges.push({ range, hit });
  }
  const first = inRanges[0];
  if (first) {
    const result: AffectsResult = { affected: true, reason: `${describeRange(first.range)}`, notes };
    if (first.hit.fixed !== undefined) result.fixed = first.hit.fixed;
    if (first.hit.lastAffected !== undefined) result.lastAffected = first.hit.lastAffected;
    return result;
  }
  if (affected.versions.includes(version)) return { affected: true, reason: "listed in versions", notes };
  const evaluated = affected.ranges.length > 0 && notes.length < affected.ranges.length;
  const reason =
    affected.ranges.length === 0
      ? "not listed in versions"
      : evaluated
        ? `no range contains ${version}`
        : `no range could be evaluated for ${version}${affected.versions.length > 0 ? " and it is not listed in versions" : ""}`;
  return { affected: false, reason, notes };
}

interface RangeHit {
  fixed?: string;
  lastAffected?: string;
}

function evaluateRange(range: OsvRange, index: number, version: string, schemes: MatchSchemes, notes: string[]): RangeHit | undefined {
  if (range.type === "GIT") {
    notes.push(`ranges[${index}]: GIT range${range.repo ? ` (${range.repo})` : ""} ignored: commit ranges need the repository's history`);
    return undefined;
  }
  const scheme = range.type === "SEMVER" ? (schemes.semver ?? semverSchemeForEcosystem("")) : schemes.ecosystem;
  if (scheme === undefined) {
    notes.push(`ranges[${index}]: ECOSYSTEM range not evaluated: no version scheme for this ecosystem`);
    return undefined;
  }
  try {
    return walk(range, version, scheme);
  } catch (e) {
    if (!(e instanceof VouchError)) throw e;
    notes.push(`ranges[${index}]: ${range.type} range not evaluated: ${e.message}`);
    return undefined;
  }
}

const isZero = (e: OsvEvent) => e.kind === "introduced" && e.version === "0";

/** The schema's IncludedInRanges for one range, with BeforeLimits; throws VouchError when a version is unreadable. */
function walk(range: OsvRange, version: string, scheme: VersionScheme): RangeHit | undefined {
  const cmp = (a: string, b: string) => scheme.compare(a, b);
  // Read the version once up front, so that an unreadable version is reported as such (not as a bad event).
  cmp(version, version);
  const limits = range.events.filter((e) => e.kind === "limit");
  if (limits.length > 0 && !limits.some((e) => e.version.includes("*") || cmp(version, e.version) < 0)) return undefined;

  const events = range.events
    .filter((e) => e.kind !== "limit")
    .sort((a, b) => {
      if (isZero(a) || isZero(b)) return isZero(a) === isZero(b) ? 0 : isZero(a) ? -1 : 1;
      return cmp(a.version, b.version) || TIE_ORDER[a.kind] - TIE_ORDER[b.kind];
    });

  let vulnerable = false;
  let next = -1;
  for (const [i, e] of events.entries()) {
    if (e.kind === "introduced" && (isZero(e) || cmp(version, e.version) >= 0)) vulnerable = true;
    else if (e.kind === "fixed" && cmp(version, e.version) >= 0) vulnerable = false;
    else if (e.kind === "last_affected" && cmp(version, e.version) > 0) vulnerable = false;
    else continue;
    next = i + 1;
  }
  if (!vulnerable) return undefined;
  // The event that ends the vulnerable stretch the version is in: the first closing event after the last one
  // that took effect (events are sorted, so every later event is above the version).
  const close = events.slice(Math.max(next, 0)).find((e) => e.kind === "fixed" || e.kind === "last_affected");
  if (close?.kind === "fixed") return { fixed: close.version };
  if (close?.kind === "last_affected") return { lastAffected: close.version };
  return {};
}

function describeRange(range: OsvRange): string {
  const events = range.events.map((e) => `${e.kind} ${e.version}`).join(", ");
  return `${events} (${range.type})`;
}

/**
 * Whether an advisory's package is the component's: same ecosystem, same release when the advisory names one
 * (an advisory for `Debian` without a release applies to every release; one for `Debian:12` only to Debian 12),
 * same repository when both name one (Maven, Packagist), and the same name once normalised (PEP 503 for PyPI…).
 */
export function packageMatches(pkg: OsvPackage, key: OsvPackageKey): boolean {
  const eco = pkg.parsedEcosystem;
  if (eco.ecosystem !== key.ecosystem) return false;
  if (eco.release !== undefined && (eco.ecosystem === "Red Hat" ? redHatMajor(eco.release) : eco.release) !== key.release) return false;
  if (eco.repository !== undefined && key.repository !== undefined && !sameRepository(eco.repository, key.repository)) return false;
  if (eco.repository === undefined && key.repository !== undefined) {
    const dflt = DEFAULT_REPOSITORY[eco.ecosystem];
    if (dflt !== undefined && !sameRepository(dflt, key.repository)) return false;
  }
  return pkg.normalizedName === normalizePackageName(key.ecosystem, key.name);
}

/**
 * The RHEL major release of a Red Hat product stream (`enterprise_linux:9::appstream` → "9"), undefined for any other
 * product or stream (EUS, E4S, OpenShift, …): those have fixes of their own and never match a plain RHEL package.
 */
export function redHatMajor(stream: string): string | undefined {
  return /^enterprise_linux:(\d+)(?::|$)/.exec(stream)?.[1];
}

export interface RecordMatch {
  /** Index into record.affected. */
  index: number;
  result: AffectsResult;
}

/**
 * The schema's IsVulnerable for one record and one component: every `affected` entry for the component's package
 * evaluated at its version (a record can list one package several times, as GHSA-jfh8-c2jp-5v3q does for each
 * Log4j branch). Withdrawn records match nothing. `schemes` gives the schemes of an ecosystem string
 * (schemesFor by default). Returns the affected entries that contain the version (empty when none does).
 */
export function matchRecord(
  record: OsvRecord,
  key: OsvPackageKey & { version: string },
  schemes: (ecosystem: string) => MatchSchemes = schemesFor,
): RecordMatch[] {
  if (record.withdrawn !== undefined) return [];
  const out: RecordMatch[] = [];
  for (const [index, a] of record.affected.entries()) {
    if (!a.package || !packageMatches(a.package, key)) continue;
    const result = affects(a, key.version, schemes(a.package.ecosystem));
    if (result.affected) out.push({ index, result });
  }
  return out;
}
