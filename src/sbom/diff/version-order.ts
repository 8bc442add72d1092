/**
 * A generic version order for telling upgrades from downgrades when the two SBOMs may come from any ecosystem.
 * Not exact per ecosystem (that is vuln/versions' job), but right for the common shapes:
 *
 *  - numeric segments compare as numbers, of any length ("1.2.10" > "1.2.9", "1.0" == "1.0.0");
 *  - semver pre-releases sort before the release, their identifiers per semver 2.0 §11
 *    ("1.0.0-alpha" < "1.0.0-alpha.1" < "1.0.0-beta" < "1.0.0-rc.1" < "1.0.0");
 *  - Go: the "v" prefix is ignored, pseudo-versions are pre-releases, "+incompatible" is ignored;
 *  - PEP 440 / Maven qualifiers: dev < alpha/a < beta/b < milestone/m < rc/cr/pre < snapshot < release
 *    ("final", "ga", "release" equal the release) < post/sp/patch;
 *  - Debian/RPM/Alpine: an epoch ("1:2.0") outranks everything, "~" sorts before anything (even the end),
 *    a revision after "-" sorts after the bare version ("2.36-9" > "2.36", "3.4.0-r10" > "3.4.0-r9").
 *
 * The one ambiguity, "X.Y.Z-suffix" (semver pre-release or Debian/RPM revision?), is settled by the suffix: a
 * pre-release word or a Go pseudo-version timestamp makes it a pre-release, as does a "v" prefix (Go); anything
 * else is a revision.
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseVersion(a);
  const y = parseVersion(b);
  return (
    compareNumbers(x.epoch, y.epoch) ||
    compareTokens(x.release, y.release, "release") ||
    comparePreRelease(x.preRelease, y.preRelease)
  );
}

/** Sort helper: ascending. */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => compareVersions(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

type Token = { kind: "number"; value: string } | { kind: "word"; value: string } | { kind: "tilde" };

interface ParsedVersion {
  epoch: string;
  release: Token[];
  preRelease?: Token[];
}

/** Ranks of the qualifiers ecosystems agree on; unknown words rank just after the release (Maven, dpkg). A Map: "constructor" is a word too. */
const QUALIFIER_RANK: ReadonlyMap<string, number> = new Map([
  ["dev", -6],
  ["alpha", -5],
  ["a", -5],
  ["beta", -4],
  ["b", -4],
  ["milestone", -3],
  ["m", -3],
  ["rc", -2],
  ["cr", -2],
  ["pre", -2],
  ["preview", -2],
  ["snapshot", -1],
  ["final", 0],
  ["ga", 0],
  ["release", 0],
  ["post", 2],
  ["sp", 2],
  ["patch", 2],
]);
const UNKNOWN_WORD_RANK = 1;

const PRE_RELEASE_START = /^(dev|alpha|a|beta|b|milestone|m|rc|cr|pre|preview|snapshot|canary|nightly|next|ea)(?![a-z])/i;
/** Go pseudo-versions: vX.Y.Z-yyyymmddhhmmss-abcdef123456 and vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456. */
const GO_PSEUDO = /^(0\.)?\d{14}-[0-9a-f]{12}/;

function parseVersion(raw: string): ParsedVersion {
  let text = raw.trim();
  let epoch = "0";
  const epochMatch = /^(\d+):(.+)$/.exec(text);
  if (epochMatch) {
    epoch = epochMatch[1]!;
    text = epochMatch[2]!;
  }
  const goStyle = /^[vV]\d/.test(text);
  if (goStyle) text = text.slice(1).replace(/\+[0-9A-Za-z.-]*$/, "");

  const dash = text.indexOf("-");
  if (dash > 0 && /^\d+(\.\d+)*$/.test(text.slice(0, dash))) {
    const suffix = text.slice(dash + 1);
    if (goStyle || PRE_RELEASE_START.test(suffix) || GO_PSEUDO.test(suffix)) {
      return { epoch, release: tokenize(text.slice(0, dash)), preRelease: tokenize(suffix) };
    }
  }
  return { epoch, release: tokenize(text) };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/(\d+)|([A-Za-z]+)|(~)/g)) {
    if (match[1] !== undefined) tokens.push({ kind: "number", value: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: "word", value: match[2].toLowerCase() });
    else tokens.push({ kind: "tilde" });
  }
  return tokens;
}

/**
 * In a release, a number outranks a word ("1.0.1" > "1.0.beta"); in a semver pre-release the reverse holds
 * (§11.4.3: numeric identifiers have lower precedence than alphanumeric ones).
 */
function compareTokens(a: readonly Token[], b: readonly Token[], part: "release" | "pre-release"): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i];
    const y = b[i];
    // Semver §11.4.4: a longer set of pre-release identifiers has the higher precedence.
    if (x === undefined) return part === "pre-release" ? -1 : -tailSign(b, i);
    if (y === undefined) return part === "pre-release" ? 1 : tailSign(a, i);
    const order = compareToken(x, y, part);
    if (order !== 0) return order;
  }
  return 0;
}

function compareToken(x: Token, y: Token, part: "release" | "pre-release"): number {
  if (x.kind === "tilde" || y.kind === "tilde") return x.kind === y.kind ? 0 : x.kind === "tilde" ? -1 : 1;
  if (x.kind === "number" && y.kind === "number") return compareNumbers(x.value, y.value);
  if (x.kind === "word" && y.kind === "word") return compareWords(x.value, y.value);
  const numberFirst = x.kind === "number" ? 1 : -1;
  return part === "release" ? numberFirst : -numberFirst;
}

/**
 * How the longer version compares with the shorter one that ended at `from`: zeros and release words add nothing
 * ("1.0.0" == "1", "1.0.Final" == "1.0"), a pre-release word or "~" makes it smaller, anything else larger.
 */
function tailSign(tokens: readonly Token[], from: number): number {
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "tilde") return -1;
    if (t.kind === "number") {
      if (/^0+$/.test(t.value)) continue;
      return 1;
    }
    const rank = QUALIFIER_RANK.get(t.value) ?? UNKNOWN_WORD_RANK;
    if (rank === 0) continue;
    return rank < 0 ? -1 : 1;
  }
  return 0;
}

function compareWords(a: string, b: string): number {
  const ra = QUALIFIER_RANK.get(a) ?? UNKNOWN_WORD_RANK;
  const rb = QUALIFIER_RANK.get(b) ?? UNKNOWN_WORD_RANK;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Digit strings of any length, compared as numbers. */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A release outranks its pre-releases; two pre-releases compare identifier by identifier. */
function comparePreRelease(a: readonly Token[] | undefined, b: readonly Token[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return compareTokens(a, b, "pre-release");
}
