/**
 * Shared by the version-scheme tests: the `A <op> B` comparison fixtures of osv-scalibr's semantic/testdata
 * (copied into each scheme's fixtures folder), parsed and checked against a VersionScheme.
 *
 * Format (../shared/testdata/version-compare/SOURCE.md): one comparison per line, `A <op> B` with `<op>` one of
 * `<`, `>`, `=`, separated by single spaces; `#` and `//` lines are comments (some hold comparisons the native tool
 * gets wrong, commented out upstream: they are not checked); anything that is not exactly three fields is skipped.
 *
 * Pure (strings in, values out): the test reads the file and asserts on what `checkComparisons` returns, so a
 * failure lists every wrong line at once instead of stopping at the first.
 */
import type { VersionScheme } from "./types.js";

export type CompareOp = "<" | ">" | "=";

export interface Comparison {
  a: string;
  op: CompareOp;
  b: string;
  /** 1-based line number in the fixture. */
  line: number;
  /** The line as written (`A <op> B`), for failure lists and exception lists. */
  text: string;
}

/** Every comparison line of a fixture file, in file order. */
export function parseComparisons(text: string): Comparison[] {
  const out: Comparison[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "" || raw.startsWith("#") || raw.startsWith("//")) continue;
    const fields = raw.split(" ");
    if (fields.length !== 3) continue;
    const [a, op, b] = fields as [string, string, string];
    if (op !== "<" && op !== ">" && op !== "=") continue;
    out.push({ a, op, b, line: i + 1, text: raw });
  }
  return out;
}

/**
 * The comparisons the scheme gets wrong, as `"<line>: <text> (compare gave <n>, reversed <m>)"`. Each comparison is
 * checked both ways round (compare(a, b) and compare(b, a) must have opposite signs), so an asymmetric comparator
 * fails even where one direction happens to be right. A comparator that throws is a failure with its message.
 *
 * `expectedFailures` lists lines (by `text`) known to fail, each with its reason; they are left out of the result,
 * and one that unexpectedly passes is reported too, so the exception list cannot go stale.
 */
export function checkComparisons(
  scheme: VersionScheme,
  comparisons: readonly Comparison[],
  expectedFailures: ReadonlyMap<string, string> = new Map(),
): string[] {
  const failures: string[] = [];
  for (const c of comparisons) {
    const problem = checkOne(scheme, c);
    const expected = expectedFailures.has(c.text);
    if (problem !== undefined && !expected) failures.push(`${c.line}: ${c.text} (${problem})`);
    if (problem === undefined && expected) failures.push(`${c.line}: ${c.text} (listed as a known failure, but passes)`);
  }
  return failures;
}

function checkOne(scheme: VersionScheme, c: Comparison): string | undefined {
  let forward: number;
  let backward: number;
  try {
    forward = Math.sign(scheme.compare(c.a, c.b));
    backward = Math.sign(scheme.compare(c.b, c.a));
  } catch (e) {
    return `threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  const want = c.op === "<" ? -1 : c.op === ">" ? 1 : 0;
  if (forward === want && backward === -want) return undefined;
  return `compare gave ${forward}, reversed ${backward}`;
}
