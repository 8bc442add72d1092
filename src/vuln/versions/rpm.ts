/**
 * RPM package versions, `[epoch:]version[-release]`: the order of the OSV `Red Hat`, `Rocky Linux`, `AlmaLinux`,
 * `openSUSE` and `SUSE` ecosystems. Each part is compared with rpm's `rpmvercmp` (rpmio/rpmvercmp.c, rpm 4.15+):
 * separators (anything but ASCII letters, digits, "~" and "^") are skipped; "~" sorts before everything, even the
 * end of the string; "^" sorts after the end of the string but before anything else; then runs of digits (compared
 * as unbounded numbers, leading zeros dropped) or of letters (compared bytewise), a number beating letters; when one
 * side runs out, the side with characters left is newer.
 *
 * Splitting follows osv-scanner (osv-scalibr `semantic`), the reference for OSV ranges, which differs from rpm's
 * `rpmverParse` only for strings rpm itself would never build (a version or release cannot hold "-"):
 * - the epoch is the run of digits before the first ":" (a ":" after anything else is part of the version), and a
 *   missing epoch is 0;
 * - the release starts at the first "-" after the epoch, not the last;
 * - a missing release sorts before any release, even an empty one (`1` < `1-` < `1-0`), where rpm leaves the release
 *   out of the comparison when either side has none. Advisories name full EVRs, so this only decides whether a bare
 *   upstream version is below the fixed EVR with that upstream version: it is, which reports rather than hides.
 *
 * rpm accepts any string as an EVR, so `compare` never throws; `isValid` is false only for an empty string or one
 * with whitespace or control characters, which no rpm header carries.
 */
import { compareDigits } from "./numeric.js";
import type { VersionScheme } from "./types.js";

export interface RpmVersion {
  epoch: string;
  version: string;
  /** undefined when the string has no "-"; "" for a trailing "-". */
  release: string | undefined;
}

export function parseRpmVersion(evr: string): RpmVersion {
  let epoch = "0";
  let rest = evr;
  const m = /^(\d*):/.exec(evr);
  if (m !== null) {
    if (m[1] !== "") epoch = m[1]!;
    rest = evr.slice(m[0].length);
  }
  const hyphen = rest.indexOf("-");
  if (hyphen < 0) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

export function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  const e = rpmvercmp(a.epoch, b.epoch);
  if (e !== 0) return e;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  if (a.release === undefined || b.release === undefined) {
    return a.release === b.release ? 0 : a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

export const rpm: VersionScheme = {
  name: "rpm",
  compare(a: string, b: string): number {
    return compareRpmVersions(parseRpmVersion(a), parseRpmVersion(b));
  },
  isValid(version: string): boolean {
    // eslint-disable-next-line no-control-regex
    return version !== "" && !/[\s\x00-\x1f\x7f]/.test(version);
  },
};

/** rpm's `rpmvercmp`, -1/0/1. Characters outside ASCII are separators, as rpm's `risalnum` makes them. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
    const x = a.charCodeAt(i); // NaN at the end
    const y = b.charCodeAt(j);

    // "~" sorts before everything else, the end of the string included.
    if (x === TILDE || y === TILDE) {
      if (x !== TILDE) return 1;
      if (y !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // "^" sorts after the end of the string (a base version), before anything else.
    if (x === CARET || y === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (x !== CARET) return 1;
      if (y !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(x);
    const run = numeric ? isDigit : isLetter;
    const si = i;
    const sj = j;
    while (i < a.length && run(a.charCodeAt(i))) i++;
    while (j < b.length && run(b.charCodeAt(j))) j++;
    // A number against letters (an empty run of digits on b's side): the number is newer.
    if (j === sj) return numeric ? 1 : -1;
    const d = numeric ? compareDigits(a.slice(si, i), b.slice(sj, j)) : compareBytes(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

const TILDE = 126;
const CARET = 94;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isSeparator(c: number): boolean {
  return !isDigit(c) && !isLetter(c) && c !== TILDE && c !== CARET;
}

/** strcmp over ASCII letters. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
