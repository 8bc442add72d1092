/**
 * SemVer 2.0 precedence (https://semver.org/spec/v2.0.0.html §11): the order of OSV `SEMVER` ranges and of the
 * npm, crates.io and Go (see go.ts) ecosystems.
 *
 * `compare` is lenient the way osv-scanner's (osv-scalibr `semantic`) comparator is, because advisories and SBOMs
 * carry versions that are not strict SemVer and a matcher must still order them the way osv-scanner users expect:
 * - a leading "v" is ignored (`v1.2.3` = `1.2.3`);
 * - missing components are 0 (`1.2` = `1.2.0`), numbers have no size limit and leading zeros are insignificant;
 * - the text after the numeric components is the pre-release (a "-" before it is dropped, so `1.0.0rc1` has the
 *   pre-release `rc1`), up to a "+" that starts build metadata, which never affects precedence;
 * - components past the third are appended to that text, as osv-scanner does (`1.2.3.4` sorts as `1.2.3-.4`).
 * A string that does not start with a digit (after the "v") has no SemVer reading at all (`latest`, `*`, ``):
 * `compare` throws VouchError INPUT_MALFORMED rather than guess where it sorts.
 *
 * `isValid` is strict SemVer 2.0 (the regular expression from semver.org) with an optional leading "v".
 */
import { VouchError } from "../../core/errors.js";
import { compareDigits, compareText, isDigits, sign } from "./numeric.js";
import type { VersionScheme } from "./types.js";

/** semver.org's suggested regular expression, with an optional "v" in front. */
const STRICT =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** A version read leniently: numeric components (digit strings) and the text that follows them. */
export interface SemverLike {
  components: string[];
  /** Everything after the numeric components (pre-release and build, with their "-" and "+"), plus extras. */
  rest: string;
}

/**
 * Read `v1.2.3-rc.1+build` as components ["1","2","3"] and rest "-rc.1+build". Components past `maxComponents`
 * are moved onto the end of `rest` as ".N" (osv-scanner's reading; SemVer has 3, NuGet 4).
 * Throws INPUT_MALFORMED when there is no leading number.
 */
export function parseSemverLike(version: string, maxComponents: number, scheme: string): SemverLike {
  const s = version.startsWith("v") ? version.slice(1) : version;
  const first = s.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) {
    throw new VouchError("INPUT_MALFORMED", `not a ${scheme} version: ${JSON.stringify(version)}`);
  }
  const components: string[] = [];
  let i = 0;
  let start = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (i > start) components.push(s.slice(start, i));
    if (c !== 46 /* . */) break;
    start = i + 1;
  }
  let rest = "";
  if (i >= s.length) {
    if (s.length > start) components.push(s.slice(start));
  } else {
    rest = s.slice(i);
  }
  if (components.length > maxComponents) {
    rest += components
      .slice(maxComponents)
      .map((n) => `.${n}`)
      .join("");
    components.length = maxComponents;
  }
  return { components, rest };
}

/** Compare numeric components, the shorter padded with zeros. */
export function compareComponents(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a[i] ?? "0", b[i] ?? "0");
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Compare the text after the components as a SemVer pre-release: build metadata ("+…") dropped, one leading "-"
 * dropped, none > some (§11.3), then dot-separated identifiers (§11.4).
 */
export function comparePrereleaseText(a: string, b: string): number {
  const pa = prerelease(a);
  const pb = prerelease(b);
  if (pa === pb) return 0;
  if (pa === "") return 1;
  if (pb === "") return -1;
  return compareIdentifiers(pa.split("."), pb.split("."));
}

function prerelease(rest: string): string {
  const plus = rest.indexOf("+");
  const text = plus < 0 ? rest : rest.slice(0, plus);
  return text.startsWith("-") ? text.slice(1) : text;
}

/** §11.4: numeric identifiers numerically, others in ASCII order, numeric < non-numeric, longer list wins ties. */
function compareIdentifiers(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xNum = isDigits(x);
    const yNum = isDigits(y);
    const d = xNum && yNum ? compareDigits(x, y) : xNum ? -1 : yNum ? 1 : compareText(x, y);
    if (d !== 0) return d;
  }
  return sign(a.length - b.length);
}

export const semver: VersionScheme = {
  name: "semver",
  compare(a: string, b: string): number {
    const va = parseSemverLike(a, 3, "SemVer");
    const vb = parseSemverLike(b, 3, "SemVer");
    return compareComponents(va.components, vb.components) || comparePrereleaseText(va.rest, vb.rest);
  },
  isValid(version: string): boolean {
    return STRICT.test(version);
  },
};
