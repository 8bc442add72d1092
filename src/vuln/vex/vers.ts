import { VouchError } from "../../core/errors.js";
import { schemeForPurlType, semver, type VersionScheme } from "../versions/index.js";

/**
 * Version ranges in the `vers` syntax (https://github.com/package-url/vers-spec), as CycloneDX VEX writes them in
 * `affects[].versions[].range`: `vers:<scheme>/<constraint>|<constraint>…`, each constraint a comparator (=, !=, <,
 * <=, >, >=) and a version, or `*` alone. Evaluated with vouch's own version schemes (src/vuln/versions), so
 * `vers:maven/>=2.0|<2.17.1` orders 2.0-beta9 as Maven does.
 */

export type VersComparator = "=" | "!=" | "<" | "<=" | ">" | ">=";

export interface VersConstraint {
  readonly comparator: VersComparator;
  readonly version: string;
}

export interface VersRange {
  /** The versioning scheme as written (a purl type: maven, npm, pypi, deb, …, or semver). */
  readonly scheme: string;
  /** Empty for `*` (every version). */
  readonly constraints: readonly VersConstraint[];
  readonly any: boolean;
}

/** The version scheme a vers range is evaluated with (vers schemes are purl types, or semver), undefined when vouch has none. */
export function versScheme(scheme: string): VersionScheme | undefined {
  return scheme === "semver" ? semver : schemeForPurlType(scheme);
}

const COMPARATORS: readonly VersComparator[] = [">=", "<=", "!=", "<", ">", "="];

/** Parses a vers string strictly; INPUT_MALFORMED names what is wrong. */
export function parseVers(text: string): VersRange {
  const fail = (why: string): never => {
    throw new VouchError("INPUT_MALFORMED", `vers range ${JSON.stringify(text)}: ${why}`);
  };
  const body = text.trim();
  if (!body.toLowerCase().startsWith("vers:")) fail('must start with "vers:"');
  const slash = body.indexOf("/");
  if (slash < 0) fail('needs "<scheme>/<constraints>"');
  const scheme = body.slice(5, slash).toLowerCase();
  if (!/^[a-z][a-z0-9.+-]*$/.test(scheme)) fail("the versioning scheme is missing or not a purl type");
  const rest = body.slice(slash + 1).replace(/\s+/g, "");
  if (rest === "*") return { scheme, constraints: [], any: true };
  if (rest === "") fail("has no constraint");
  const constraints = rest.split("|").map((part): VersConstraint => {
    if (part === "") fail("has an empty constraint");
    if (part === "*") fail('"*" must be the only constraint');
    const comparator = COMPARATORS.find((c) => part.startsWith(c)) ?? "=";
    const raw = part.slice(comparator === "=" && !part.startsWith("=") ? 0 : comparator.length);
    if (raw === "") fail(`constraint ${JSON.stringify(part)} has no version`);
    let version: string;
    try {
      version = decodeURIComponent(raw);
    } catch {
      return fail(`constraint ${JSON.stringify(part)} is not percent-encoded correctly`);
    }
    return { comparator, version };
  });
  return { scheme, constraints, any: false };
}

/**
 * Whether `version` is in the range, step by step as the vers spec's containment algorithm says: equal to the version
 * of an `=`, `<=` or `>=` constraint → in; equal to a `!=` one → out; then, over the other constraints in version
 * order, below a leading `<`/`<=`, above a trailing `>`/`>=`, or between a `>`/`>=` and the `<`/`<=` after it → in.
 * A single remaining constraint is simply evaluated (the pairwise walk of the spec needs two). Versions the scheme
 * cannot read throw.
 */
export function versContains(range: VersRange, version: string, scheme: VersionScheme): boolean {
  if (range.any) return true;
  const cmp = (a: string, b: string) => scheme.compare(a, b);
  for (const c of range.constraints) {
    if ((c.comparator === "=" || c.comparator === "<=" || c.comparator === ">=") && cmp(version, c.version) === 0) return true;
  }
  if (range.constraints.some((c) => c.comparator === "!=" && cmp(version, c.version) === 0)) return false;
  const bounds = range.constraints.filter((c) => c.comparator !== "=" && c.comparator !== "!=").sort((a, b) => cmp(a.version, b.version));
  if (bounds.length === 0) return false;
  const isUpper = (c: VersConstraint) => c.comparator === "<" || c.comparator === "<=";
  const isLower = (c: VersConstraint) => c.comparator === ">" || c.comparator === ">=";
  if (bounds.length === 1) {
    const only = bounds[0]!;
    return isUpper(only) ? cmp(version, only.version) < 0 : cmp(version, only.version) > 0;
  }
  for (let i = 0; i + 1 < bounds.length; i++) {
    const current = bounds[i]!;
    const next = bounds[i + 1]!;
    if (i === 0 && isUpper(current) && cmp(version, current.version) < 0) return true;
    if (i + 2 === bounds.length && isLower(next) && cmp(version, next.version) > 0) return true;
    if (isLower(current) && isUpper(next) && cmp(version, current.version) > 0 && cmp(version, next.version) < 0) return true;
  }
  return false;
}
