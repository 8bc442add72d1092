/**
 * RubyGems versions (`Gem::Version`, rubygems/version.rb), the order of the OSV `RubyGems` ecosystem.
 *
 * A version is read as RubyGems reads it: surrounding whitespace stripped, an empty string is "0", every "-" becomes
 * ".pre." (so `1.0-1` is the pre-release `1.0.pre.1`), then the segments are the runs of digits (numbers, no size
 * limit) and of ASCII letters (strings), whatever separates them. The canonical segments drop trailing zeros from the
 * leading numbers and from what follows the first string (`1.0.a.0` = `1.a`). Two versions compare segment by
 * segment, a missing segment counting as 0: numbers numerically, strings bytewise, and a string (a pre-release) is
 * older than a number (`1.0.a10` > `1.0.a9`, `1.0.b1` < `1.0`, `1.0.a2` = `1.0.a.2`).
 *
 * `isValid` is `Gem::Version.correct?` (`[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, or blank).
 * `Gem::Version.new` raises on anything else; `compare` still orders such a string by the same segments rather than
 * throwing, as osv-scanner does (advisories hold strings like `1beta`, which sorts as `1.beta`). A string with no
 * digit or letter at all reads as "0".
 */
import { compareDigits, memoizeParse } from "./numeric.js";
import type { VersionScheme } from "./types.js";

/** Ruby's `\s`: space, \t, \n, \v, \f, \r. */
const CORRECT = /^[ \t\n\v\f\r]*(?:[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?[ \t\n\v\f\r]*$/;

/** A segment: a digit string (a number) or a string of ASCII letters. */
type Segment = { num: string } | { str: string };

/** `Gem::Version#canonical_segments`. */
export function rubygemsSegments(version: string): Segment[] {
  // Stripping whitespace (as RubyGems does first) changes nothing here: only digits and letters are read.
  const raw: Segment[] = [];
  for (const m of version.replaceAll("-", ".pre.").matchAll(/[0-9]+|[a-zA-Z]+/g)) {
    raw.push(isNum(m[0]) ? { num: m[0] } : { str: m[0] });
  }
  const firstString = raw.findIndex((s) => "str" in s);
  const numbers = firstString < 0 ? raw : raw.slice(0, firstString);
  const rest = firstString < 0 ? [] : raw.slice(firstString);
  return [...dropTrailingZeros(numbers), ...dropTrailingZeros(rest)];
}

export function compareRubygemsVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = segmentsCached(a);
  const y = segmentsCached(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i] ?? ZERO;
    const r = y[i] ?? ZERO;
    if ("num" in l && "num" in r) {
      const d = compareDigits(l.num, r.num);
      if (d !== 0) return d;
    } else if ("str" in l && "str" in r) {
      if (l.str !== r.str) return l.str < r.str ? -1 : 1;
    } else {
      return "str" in l ? -1 : 1;
    }
  }
  return 0;
}

export const rubygems: VersionScheme = {
  name: "rubygems",
  compare: compareRubygemsVersions,
  isValid(version: string): boolean {
    return CORRECT.test(version);
  },
};

const ZERO: Segment = { num: "0" };

/** Segments of versions seen recently (a matcher compares one version with many range events); bounded, never mutated. */
const segmentsCached = memoizeParse<readonly Segment[]>(rubygemsSegments);

function isNum(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0) {
    const s = segments[end - 1]!;
    if (!("num" in s) || compareDigits(s.num, "0") !== 0) break;
    end--;
  }
  return segments.slice(0, end);
}
