import { VouchError } from "../core/errors.js";

/**
 * A version range as people type it into an impact query: `<2.17.1`, `>=2.0.0 <2.17.1`, `>=2.0-beta9, <2.17.1`,
 * `=2.14.1`, `!=2.16.0`, a bare `2.14.1` (equality), and `||` between alternatives (`<1.2.3 || >=2.0.0 <2.0.5`).
 * Comparators within an alternative are joined by AND (whitespace or a comma between them, as npm and Maven users
 * write them); the range holds when any alternative holds.
 *
 * Parsing is pure and knows no version syntax: bounds are compared with the ecosystem's own scheme at query time
 * (src/vuln/versions), the same ordering the vulnerability matcher uses, so `<2.17.1` means Maven order for a Maven
 * component and PEP 440 order for a PyPI one. A range that does not parse is refused (INPUT_MALFORMED) with the
 * position and text of the first thing wrong: an impact query must never silently widen to "every version".
 */

export type RangeOperator = "<" | "<=" | ">" | ">=" | "=" | "!=";

export interface Comparator {
  op: RangeOperator;
  version: string;
}

export interface VersionRange {
  /** The text as given (trimmed). */
  text: string;
  /** Alternatives (OR) of comparators (AND); never empty, and no alternative is empty. */
  anyOf: Comparator[][];
}

/** Long enough for any real range; a longer one is refused before any work. */
export const MAX_RANGE_LENGTH = 1024;

/**
 * One comparator: an optional operator, optional blanks, then a version that starts with a letter or digit and holds
 * no blank, comma, bar or operator character.
 */
const COMPARATOR = /(<=|>=|!=|==|<|>|=)?[ \t]*([A-Za-z0-9][^\s,|<>=!]*)/y;

/**
 * Parse a range.
 *
 * @example
 * parseRange(">=2.0-beta9, <2.17.1")
 * // { text: ">=2.0-beta9, <2.17.1", anyOf: [[{ op: ">=", version: "2.0-beta9" }, { op: "<", version: "2.17.1" }]] }
 */
export function parseRange(input: string): VersionRange {
  if (typeof input !== "string") throw malformed(String(input), "a range must be text");
  if (input.length > MAX_RANGE_LENGTH) throw malformed(input.slice(0, 40), `a range is at most ${MAX_RANGE_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(input)) throw malformed(input, "a range contains a control character");
  const text = input.trim();
  if (text === "") throw malformed(input, "the range is empty");
  const anyOf: Comparator[][] = [];
  let offset = 0;
  for (const part of text.split("||")) {
    anyOf.push(parseAlternative(part, offset, text));
    offset += part.length + 2;
  }
  return { text, anyOf };
}

function parseAlternative(part: string, offset: number, text: string): Comparator[] {
  const out: Comparator[] = [];
  let i = skipBlanks(part, 0);
  if (i === part.length) throw malformed(text, `an empty alternative at ${offset + i + 1}${text.includes("||") ? " (around ||)" : ""}`);
  let bare = false;
  while (i < part.length) {
    COMPARATOR.lastIndex = i;
    const m = COMPARATOR.exec(part);
    if (m === null) {
      const rest = part.slice(i).trimStart();
      if (/^[~^*]/.test(rest)) {
        throw malformed(text, `${JSON.stringify(rest[0])} ranges are npm shorthand, not read here: write the bounds (>=1.2.0 <1.3.0)`);
      }
      const what = /^(<=|>=|!=|==|<|>|=)/.test(rest) ? `an operator without a version` : `unexpected ${JSON.stringify(rest.slice(0, 12))}`;
      throw malformed(text, `${what} at ${offset + i + 1}`);
    }
    const op = m[1] === undefined || m[1] === "==" ? "=" : (m[1] as RangeOperator);
    if (m[1] === undefined) bare = true;
    out.push({ op, version: m[2]! });
    i = COMPARATOR.lastIndex;
    // Between comparators: blanks, or one comma with blanks around it; after the last, blanks only.
    const afterBlanks = skipBlanks(part, i);
    if (part[afterBlanks] === ",") {
      i = skipBlanks(part, afterBlanks + 1);
      if (i === part.length) throw malformed(text, `a comma with nothing after it at ${offset + afterBlanks + 1}`);
    } else if (afterBlanks === i && afterBlanks < part.length) {
      throw malformed(text, `unexpected ${JSON.stringify(part.slice(i, i + 12))} at ${offset + i + 1}`);
    } else {
      i = afterBlanks;
    }
  }
  // "1.0 2.0" reads as "=1.0 AND =2.0", which nothing satisfies: almost certainly a typo for a list or a range.
  if (bare && out.length > 1) throw malformed(text, "a version without an operator must stand alone (write =1.0 || =2.0 for a list)");
  return out;
}

function skipBlanks(s: string, i: number): number {
  while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  return i;
}

function malformed(text: string, why: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `version range ${JSON.stringify(text.slice(0, 80))}: ${why}`);
}

/**
 * Whether a version lies in the range under `compare` (the ecosystem's order). Throws whatever `compare` throws
 * for a version it cannot read (VouchError INPUT_MALFORMED from src/vuln/versions): the caller decides.
 */
export function inRange(range: VersionRange, version: string, compare: (a: string, b: string) => number): boolean {
  return range.anyOf.some((all) => all.every((c) => holds(c, compare(version, c.version))));
}

function holds(c: Comparator, order: number): boolean {
  switch (c.op) {
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
    case "=":
      return order === 0;
    case "!=":
      return order !== 0;
  }
}

/** Every version the range names, for checking them against a scheme before a query runs. */
export function rangeVersions(range: VersionRange): string[] {
  return [...new Set(range.anyOf.flatMap((all) => all.map((c) => c.version)))];
}
