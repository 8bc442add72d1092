/**
 * PyPI version order: PEP 440 (https://peps.python.org/pep-0440/), as Python's `packaging.version.Version` sorts —
 * the comparator pip and the PyPI OSV ranges use.
 *
 * - Parsed with PEP 440 Appendix B's regular expression (case-insensitive, surrounding whitespace allowed), so the
 *   permitted spellings normalise: `1.0.0-ALPHA.1` = `1.0.0a1`, `1.0-1` = `1.0.post1`, `1.0c1` = `1.0rc1`,
 *   `1.0.r2` = `1.0.post2`, `v1.0` = `1.0`.
 * - Order: epoch, release (trailing zeros insignificant: `1.0` = `1.0.0`), then dev-only releases before
 *   pre-releases (`1.0.dev0` < `1.0a0`), pre-releases (a < b < rc) before the release, post-releases after it,
 *   `.devN` before what it qualifies (`1.0a1.dev1` < `1.0a1`), and a local label after the public version
 *   (`1.0+local` > `1.0`; segments numeric > alphanumeric, more segments win).
 *
 * A string PEP 440 does not accept is not refused: it is read as a "legacy version" the way `packaging` before 22
 * (setuptools' parse_version) did, which sorts every legacy version before every PEP 440 version. OSV PyPI records
 * still name such versions (`0.1-bulbasaur`); modern pip would skip them, so `isValid` says false. Only the empty
 * string throws VouchError INPUT_MALFORMED.
 */
import { VouchError } from "../../core/errors.js";
import { compareComponents } from "./semver.js";
import { compareDigits, compareText, isDigits, sign, memoizeParse } from "./numeric.js";
import type { VersionScheme } from "./types.js";

const PATTERN = new RegExp(
  "^\\s*v?(?:(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)" +
    "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?" +
    "(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?" +
    "(?:[-_.]?(dev)[-_.]?([0-9]+)?)?)" +
    "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$",
  "i",
);

interface Pep440 {
  kind: "pep440";
  epoch: string;
  release: string[];
  /** Normalised phase ("a", "b", "rc") and number; undefined when there is no pre-release. */
  pre?: [string, string];
  post?: string;
  dev?: string;
  local?: string[];
}

interface Legacy {
  kind: "legacy";
  parts: string[];
}

type Parsed = Pep440 | Legacy;

const PRE_SPELLING: Record<string, string> = { alpha: "a", a: "a", beta: "b", b: "b", c: "rc", pre: "rc", preview: "rc", rc: "rc" };

function parse(version: string): Parsed {
  const m = PATTERN.exec(version);
  if (!m) {
    if (version.trim() === "") throw new VouchError("INPUT_MALFORMED", "not a PyPI version: an empty string");
    return { kind: "legacy", parts: legacyParts(version) };
  }
  const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m;
  const v: Pep440 = { kind: "pep440", epoch: epoch ?? "0", release: release!.split(".") };
  if (preL !== undefined) v.pre = [PRE_SPELLING[preL.toLowerCase()]!, preN ?? "0"];
  if (postN1 !== undefined) v.post = postN1;
  else if (postL !== undefined) v.post = postN2 ?? "0";
  if (devL !== undefined) v.dev = devN ?? "0";
  if (local !== undefined) v.local = local.toLowerCase().split(/[-_.]/);
  return v;
}

/**
 * setuptools' legacy parse (packaging < 22 `_legacy_cmpkey`): split into runs of digits, runs of letters, "." and
 * "-" (keeping whatever lies between them), numbers zero-padded to 8 for text comparison, words prefixed with "*",
 * `pre`/`preview`/`rc` → `c`, `dev` → `@`, `-` → `final-`, trailing zeros and `final-` markers before a
 * pre-release word dropped, `*final` appended.
 */
function legacyParts(version: string): string[] {
  const pieces: string[] = [];
  const s = version.toLowerCase();
  const re = /\d+|[a-z]+|\.|-/g;
  let last = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    pieces.push(s.slice(last, m.index), m[0]);
    last = m.index + m[0].length;
  }
  pieces.push(s.slice(last));

  const parts: string[] = [];
  const replace: Record<string, string> = { pre: "c", preview: "c", "-": "final-", rc: "c", dev: "@" };
  for (const piece of [...pieces, "final"]) {
    const p = replace[piece] ?? piece;
    if (p === "" || p === ".") continue;
    const part = isDigits(p.slice(0, 1)) ? p.padStart(8, "0") : `*${p}`;
    if (part.startsWith("*")) {
      if (part < "*final") while (parts.length > 0 && parts[parts.length - 1] === "*final-") parts.pop();
      while (parts.length > 0 && parts[parts.length - 1] === "00000000") parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

function compareLegacy(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareText(a[i]!, b[i]!);
    if (d !== 0) return d;
  }
  return sign(a.length - b.length);
}

/** packaging's `_pre` key: -inf for a dev-only release, +inf for none, else (phase, number). */
function comparePre(a: Pep440, b: Pep440): number {
  const rank = (v: Pep440) => (v.pre !== undefined ? 0 : v.post === undefined && v.dev !== undefined ? -1 : 1);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb || ra !== 0) return sign(ra - rb);
  return compareText(a.pre![0], b.pre![0]) || compareDigits(a.pre![1], b.pre![1]);
}

/** A missing segment sorts `missing` (-1: before any value, 1: after any value). */
function compareOptional(a: string | undefined, b: string | undefined, missing: number): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? missing : -missing;
  return compareDigits(a, b);
}

/** Local labels: none first; segments numeric (numerically) > alphanumeric (as text); a longer label wins ties. */
function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xNum = isDigits(x);
    const yNum = isDigits(y);
    const d = xNum && yNum ? compareDigits(x, y) : xNum ? 1 : yNum ? -1 : compareText(x, y);
    if (d !== 0) return d;
  }
  return sign(a.length - b.length);
}

/** Parsed versions, reused (as in maven.ts: parsing is most of a comparison's cost); never mutated; bounded. */
const parseCached = memoizeParse<Parsed>(parse);

export const pep440: VersionScheme = {
  name: "pep440",
  compare(a: string, b: string): number {
    const va = parseCached(a);
    const vb = parseCached(b);
    if (va.kind === "legacy" || vb.kind === "legacy") {
      if (va.kind !== vb.kind) return va.kind === "legacy" ? -1 : 1;
      return compareLegacy((va as Legacy).parts, (vb as Legacy).parts);
    }
    return (
      compareDigits(va.epoch, vb.epoch) ||
      compareComponents(va.release, vb.release) ||
      comparePre(va, vb) ||
      compareOptional(va.post, vb.post, -1) ||
      compareOptional(va.dev, vb.dev, 1) ||
      compareLocal(va.local, vb.local)
    );
  },
  isValid(version: string): boolean {
    return PATTERN.test(version);
  },
};
