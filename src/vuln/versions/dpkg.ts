/**
 * Debian package versions (deb-version(7), dpkg's lib/dpkg/version.c and parsehelp.c): `[epoch:]upstream[-revision]`,
 * the order of the OSV `Debian` and `Ubuntu` ecosystems and of `dpkg --compare-versions`.
 *
 * Parsing follows dpkg's `parseversion`: surrounding blanks are trimmed; the epoch is the decimal number before the
 * first ":" (0 when there is none); the revision is what follows the last "-" ("" when there is none, which orders
 * the same as "0"). What dpkg refuses, `compare` refuses with VouchError INPUT_MALFORMED: an empty version, embedded
 * spaces, an empty or non-numeric or too large epoch, nothing after the colon, an empty upstream or revision. What
 * dpkg only warns about (an upstream that does not start with a digit, characters outside deb-version's alphabet)
 * is compared as dpkg compares it; `isValid` is false for those, as for anything dpkg refuses.
 *
 * Ordering is dpkg's `verrevcmp`, applied to upstream then revision after the epochs: alternating runs of non-digits
 * (compared character by character: "~" before the end of the run, the end before letters, letters before every
 * other character) and digits (compared as unbounded numbers). dpkg works on bytes, so a non-ASCII character is
 * compared as its UTF-8 bytes.
 */
import { VouchError } from "../../core/errors.js";
import type { VersionScheme } from "./types.js";
import { memoizeParse } from "./numeric.js";

/** A parsed Debian version. `upstream` and `revision` are byte strings (one char per UTF-8 byte). */
export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const INT_MAX = 2147483647;

/** dpkg's `parseversion`: throws INPUT_MALFORMED where dpkg reports an error (see `dpkgWarning` for its warnings). */
export function parseDpkgVersion(version: string): DpkgVersion {
  const fail = (why: string): never => {
    throw new VouchError("INPUT_MALFORMED", `not a Debian version (${why}): ${JSON.stringify(version)}`);
  };
  let s = trimBlanks(version);
  if (s === "") fail("version string is empty");
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) fail("version string has embedded spaces");
    if (c > 127) ascii = false;
  }
  // dpkg compares bytes: a non-ASCII character is compared as its UTF-8 bytes, one char each here.
  if (!ascii) s = String.fromCharCode(...new TextEncoder().encode(s));

  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(":");
  if (colon >= 0) {
    // strtol: optional sign, then digits, which must end exactly at the colon.
    const m = /^([+-]?)(\d*)/.exec(s)!;
    if (m[2] === "") fail("epoch in version is empty");
    if (m[0].length !== colon) fail("epoch in version is not number");
    if (m[1] === "-" && !/^0+$/.test(m[2]!)) fail("epoch in version is negative");
    const digits = m[2]!.replace(/^0+(?=\d)/, "");
    if (digits.length > 10 || Number(digits) > INT_MAX) fail("epoch in version is too big");
    epoch = Number(digits);
    rest = s.slice(colon + 1);
    if (rest === "") fail("nothing after colon in version number");
  }

  const hyphen = rest.lastIndexOf("-");
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : "";
  if (hyphen >= 0 && revision === "") fail("revision number is empty");
  if (upstream === "") fail("version number is empty");

  return { epoch, upstream, revision };
}

/** What dpkg warns about in a version it still accepts and compares, or undefined when it is clean. */
export function dpkgWarning(v: DpkgVersion): string | undefined {
  if (!isDigit(v.upstream.charCodeAt(0))) return "version number does not start with digit";
  if (!/^[0-9A-Za-z.+~:-]*$/.test(v.upstream)) return "invalid character in version number";
  if (!/^[0-9A-Za-z.+~]*$/.test(v.revision)) return "invalid character in revision number";
  return undefined;
}

/** dpkg's `dpkg_version_compare`: epoch, then upstream, then revision. */
export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

export const dpkg: VersionScheme = {
  name: "dpkg",
  compare(a: string, b: string): number {
    return compareDpkgVersions(parseCached(a), parseCached(b));
  },
  isValid(version: string): boolean {
    try {
      return dpkgWarning(parseDpkgVersion(version)) === undefined;
    } catch {
      return false;
    }
  },
};

/** Versions parsed recently (a matcher compares one version with many range events); bounded, never mutated. */
const parseCached = memoizeParse<DpkgVersion>(parseDpkgVersion);

/** The weight of one character of a non-digit run (dpkg's `order`): 0 stands for a digit or the end. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    // Digit runs as numbers of any size: leading zeros dropped, then the longer run wins, else the first difference.
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

/** Strip spaces and tabs (dpkg's c_isblank) from both ends. */
function trimBlanks(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && isBlank(s.charCodeAt(i))) i++;
  while (j > i && isBlank(s.charCodeAt(j - 1))) j--;
  return i === 0 && j === s.length ? s : s.slice(i, j);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

