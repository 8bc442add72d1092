/**
 * Alpine package versions (apk-package(5): `number{.number}...{letter}{_suffix{number}}...{-r#}`), the order of the
 * OSV `Alpine` ecosystem: apk-tools 2's `apk_version_compare` (src/version.c), the comparator of `apk version -t`
 * that produced the ground-truth fixtures (alpine:3.10's apk over every version in OSV's Alpine export).
 *
 * The string is read as a sequence of typed tokens (first number, ".number", letter, "_suffix", suffix number,
 * "-r" revision); two versions are compared token by token while the token types agree:
 * - numbers compare as numbers, except that a component after a "." that starts with zeros is read as minus the
 *   count of its zeros followed by the rest, so `1.05` < `1.1` and `1.00` < `1.0` (apk's "leading zero" rule);
 * - the letter compares by character; suffixes order alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p;
 * - where the types differ (one version ends, or goes on with another kind of token), the one whose next token kind
 *   comes earlier in that list is newer (`1.2.1` > `1.2a` > `1.2_p1` > `1.2-r1` > `1.2`), except that a pre-release
 *   suffix is older than anything (`1.2_rc1` < `1.2`); text apk cannot read there counts as the earliest kind, so an
 *   invalid continuation ranks newer.
 * apk compares any string this way (invalid ones included: `apk version -t` prints a result for them), so
 * `compare` never throws. Two differences from apk-tools 2's C code, both for strings no Alpine package carries:
 * numbers have no size limit (C's `int` overflows past 2^31), and a NUL character is an ordinary character.
 *
 * apk-tools 3 rewrote the comparator (a leading-zero component compares as a string, `~hash` is read, a number
 * right after the letter is refused). Run over the same 13,979 generated comparisons, its rules differ only on the
 * 32 that have a number after the letter (`6.6.2p1-r0` < `6.6.2p1-r1`, where it sees two equal invalid strings);
 * it also orders some other invalid strings differently (osv-scalibr's hand-written fixtures hold eight such cases,
 * listed in apk.test.ts). apk-tools 2 is kept because it is the ground truth and orders every advisory version.
 *
 * `isValid` is apk-tools 2's `apk_version_validate` for a non-empty string: every token in an allowed place. It is lax
 * where a token is empty (`v1.0`, `0.r1`, `1..0`, `1.0-r` pass: the missing number reads as 0), as apk itself is.
 */
import type { VersionScheme } from "./types.js";

const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

const PRE_SUFFIXES = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES = ["cvs", "svn", "git", "hg", "p"];

/** A read position in a version string and the type of the token that starts there. */
interface Cursor {
  readonly s: string;
  pos: number;
  type: number;
}

export function compareApkVersions(a: string, b: string): number {
  const x: Cursor = { s: a, pos: 0, type: DIGIT };
  const y: Cursor = { s: b, pos: 0, type: DIGIT };
  let xv = 0n;
  let yv = 0n;
  while (x.type === y.type && x.type !== END && x.type !== INVALID && xv === yv) {
    xv = takeToken(x);
    yv = takeToken(y);
  }
  if (xv !== yv) return xv < yv ? -1 : 1;
  if (x.type === y.type) return 0;
  // Equal so far and one goes on: the longer one is newer unless it goes on with a pre-release suffix.
  if (x.type === SUFFIX && takeToken({ ...x }) < 0n) return -1;
  if (y.type === SUFFIX && takeToken({ ...y }) < 0n) return 1;
  return x.type > y.type ? -1 : x.type < y.type ? 1 : 0;
}

export const apk: VersionScheme = {
  name: "apk",
  compare: compareApkVersions,
  isValid(version: string): boolean {
    if (version === "") return false;
    const c: Cursor = { s: version, pos: 0, type: DIGIT };
    while (c.type !== END && c.type !== INVALID) takeToken(c);
    return c.type === END;
  },
};

/** apk's `get_token`: the value of the token at the cursor; moves past it and sets the type of the next one. */
function takeToken(c: Cursor): bigint {
  const { s } = c;
  if (c.pos >= s.length) {
    c.type = END;
    return 0n;
  }
  let i = c.pos;
  let value: bigint;
  let nextType = INVALID;
  switch (c.type) {
    case DIGIT_OR_ZERO:
    case DIGIT:
    case SUFFIX_NO:
    case REVISION_NO: {
      if (c.type === DIGIT_OR_ZERO && s.charCodeAt(i) === 48) {
        // Leading zeros of a later component: worth minus their count, the digits after them are the next token.
        while (i < s.length && s.charCodeAt(i) === 48) i++;
        value = BigInt(c.pos - i);
        nextType = DIGIT;
        break;
      }
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      value = i > c.pos ? BigInt(s.slice(c.pos, i)) : 0n;
      break;
    }
    case LETTER:
      value = BigInt(s.charCodeAt(i));
      i++;
      break;
    case SUFFIX: {
      const pre = PRE_SUFFIXES.findIndex((x) => s.startsWith(x, i));
      const post = pre >= 0 ? -1 : POST_SUFFIXES.findIndex((x) => s.startsWith(x, i));
      if (pre < 0 && post < 0) {
        c.type = INVALID;
        return -1n;
      }
      value = pre >= 0 ? BigInt(pre - PRE_SUFFIXES.length) : BigInt(post);
      i += pre >= 0 ? PRE_SUFFIXES[pre]!.length : POST_SUFFIXES[post]!.length;
      break;
    }
    default:
      c.type = INVALID;
      return -1n;
  }
  c.pos = i;
  if (c.pos >= s.length) c.type = END;
  else if (nextType !== INVALID) c.type = nextType;
  else nextTokenType(c);
  return value;
}

/** apk's `next_token`: the type of the token at the cursor, consuming its separator (".", "_", "-r"). */
function nextTokenType(c: Cursor): void {
  const { s } = c;
  const ch = s.charCodeAt(c.pos);
  let next: number;
  if ((c.type === DIGIT || c.type === DIGIT_OR_ZERO) && ch >= 97 && ch <= 122) {
    next = LETTER;
  } else if ((c.type === LETTER || c.type === SUFFIX) && isDigit(ch)) {
    next = c.type === LETTER ? DIGIT : SUFFIX_NO;
  } else {
    next = INVALID;
    if (ch === 46 /* . */) next = DIGIT_OR_ZERO;
    else if (ch === 95 /* _ */) next = SUFFIX;
    else if (ch === 45 /* - */ && s.charCodeAt(c.pos + 1) === 114 /* r */) {
      next = REVISION_NO;
      c.pos++;
    }
    c.pos++;
  }
  // Tokens only move forward (digits, letter, suffixes, revision), with three allowed steps back.
  if (
    next < c.type &&
    !(
      (next === DIGIT_OR_ZERO && c.type === DIGIT) ||
      (next === SUFFIX && c.type === SUFFIX_NO) ||
      (next === DIGIT && c.type === LETTER)
    )
  ) {
    next = INVALID;
  }
  c.type = next;
}

function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}
