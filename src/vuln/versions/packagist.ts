/**
 * Packagist (Composer) versions, the order of the OSV `Packagist` ecosystem: PHP's `version_compare`
 * (ext/standard/versioning.c) after Composer's removal of a leading "v" — as osv.dev and osv-scanner evaluate
 * Packagist ranges, and as the generated ground truth was produced (`version_compare(ltrim($a, "vV"), …)`).
 *
 * Canonical form: every "-", "_" and "+" becomes ".", and a "." goes between a digit and a non-digit (`1.0rc1` →
 * `1.0.rc.1`); the parts between dots compare left to right:
 * - two numbers numerically (no size limit: PHP's `long` would saturate, osv-scanner does not);
 * - two words by their special form, the first that prefixes the word: `dev` < `alpha`/`a` < `beta`/`b` <
 *   `RC`/`rc` < (a number) < `pl`/`p`, any other word lowest of all (`1.0-foo` < `1.0-dev`);
 * - a number against a word as the number's place in that list (`1.0.1` > `1.0.rc1`, `1.0.p1` > `1.0.1`);
 * - when one runs out, a number left over makes it newer, a word is compared against a number's place
 *   (`1.0.0` > `1.0`, `1.0-beta` < `1.0`, `1.0-pl1` > `1.0`).
 *
 * Like osv.dev's and osv-scanner's reading (and unlike PHP's C code, for strings no package uses) other characters
 * are kept in the parts rather than turned into separators, so `1.2.3.#` has the part `#`, which ranks as a number.
 * `version_compare` orders any string, so `compare` never throws. `isValid` is Composer's `VersionParser::normalize`
 * grammar for a release version (`v1.2.3`, `1.2.3.4`, `1.0.0-beta.2`, `1.0RC1`, `2.0-patch1`, `1.0.x-dev`, date
 * versions), without branch names (`dev-main`), which never appear in advisory ranges.
 */
import { compareDigits, isDigits, memoizeParse } from "./numeric.js";
import type { VersionScheme } from "./types.js";

/** PHP's special forms, in `compare_special_version_forms` order (the first whose name prefixes the part wins). */
const SPECIAL_FORMS: readonly [string, number][] = [
  ["dev", 0],
  ["alpha", 1],
  ["a", 1],
  ["beta", 2],
  ["b", 2],
  ["RC", 3],
  ["rc", 3],
  ["#", 4],
  ["pl", 5],
  ["p", 5],
];

/** The weight of a number against the special forms. */
const NUMBER = "#";

/** Composer's release-version grammar (VersionParser::normalize's classical and date patterns, no branches). */
const MODIFIER = String.raw`[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`;
const CLASSICAL = new RegExp(String.raw`^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + MODIFIER + String.raw`(?:\+[0-9A-Za-z.-]+)?$`, "i");
const DATE = new RegExp(String.raw`^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + MODIFIER + String.raw`(?:\+[0-9A-Za-z.-]+)?$`, "i");
const X_DEV = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?\.[xX*]-dev$/i;

/** The parts of a version as `version_compare` splits it, after Composer's "v" removal. */
export function packagistParts(version: string): string[] {
  const canonical = version
    .replace(/^[vV]+/, "")
    .replace(/[-_+]/g, ".")
    .replace(/([^\d.])(?=\d)/g, "$1.")
    .replace(/(\d)(?=[^\d.])/g, "$1.");
  return canonical.split(".");
}

export function comparePackagistVersions(a: string, b: string): number {
  if (a === b) return 0;
  // PHP: an empty version is older than any other.
  if (a === "" || b === "") return a === "" ? -1 : 1;
  return compareParts(partsCached(a), partsCached(b));
}

export const packagist: VersionScheme = {
  name: "packagist",
  compare: comparePackagistVersions,
  isValid(version: string): boolean {
    const v = version.trim();
    return v === version && (CLASSICAL.test(v) || DATE.test(v) || X_DEV.test(v));
  },
};

/** Parts of versions seen recently (a matcher compares one version with many range events); bounded, never mutated. */
const partsCached = memoizeParse<readonly string[]>(packagistParts);

function compareParts(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xNum = isDigits(x);
    const yNum = isDigits(y);
    const d = xNum && yNum ? compareDigits(x, y) : compareForms(xNum ? NUMBER : x, yNum ? NUMBER : y);
    if (d !== 0) return d;
  }
  if (a.length > b.length) return isDigits(a[n]!) ? 1 : compareParts(a.slice(n), [NUMBER]);
  if (a.length < b.length) return isDigits(b[n]!) ? -1 : compareParts([NUMBER], b.slice(n));
  return 0;
}

function compareForms(x: string, y: string): number {
  const d = formOrder(x) - formOrder(y);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

function formOrder(part: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (part.startsWith(name)) return order;
  return -1;
}
