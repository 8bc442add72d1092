import { VouchError } from "../../core/errors.js";

/**
 * The strict reader shared by CVSS v3.x and v4.0 vector strings: `CVSS:<version>/KEY:VALUE/KEY:VALUE…`.
 *
 * A vector comes from an advisory (attacker-influenced text), so it is read defensively: the prefix must name the
 * expected version; every part must be one `KEY:VALUE` with a key the version defines and a value that key allows;
 * no key may appear twice; every base metric must be there. What is refused throws VouchError INPUT_MALFORMED
 * naming the part that was wrong.
 *
 * Order is not enforced. The v3.0 and v3.1 specifications say so outright ("Metrics can be specified in any order
 * in a vector string, though the order given in Table 15 is preferred"). The v4.0 specification is ambiguous, and
 * real advisories carry reordered v4.0 vectors (GitHub's advisory database published
 * `CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N` for GHSA-28g4-38q8-3cwc): the metrics are all
 * there exactly once, so the score is still well defined and refusing it would hide a real finding.
 */

/** What one metric may hold: its allowed values; `base` metrics are mandatory. */
export interface MetricDefinition {
  readonly values: readonly string[];
  readonly base: boolean;
}

/** A longer string is not a CVSS vector (the longest v4.0 vector with every metric is about 200 characters). */
const MAX_VECTOR_LENGTH = 512;

/**
 * Parse `vector` against `definitions`. Metrics absent from the vector are left out of the returned map (callers
 * treat an absent optional metric as X, Not Defined, as the specifications say).
 */
export function parseVector(
  vector: string,
  prefix: string,
  definitions: Readonly<Record<string, MetricDefinition>>,
): Map<string, string> {
  if (typeof vector !== "string") throw malformed(`a CVSS vector must be a string, got ${typeof vector}`);
  if (vector.length > MAX_VECTOR_LENGTH) {
    throw malformed(`CVSS vector is ${vector.length} characters long, more than any valid vector (${MAX_VECTOR_LENGTH})`);
  }
  if (!vector.startsWith(`${prefix}/`)) {
    throw malformed(`CVSS vector ${quote(vector)} does not start with "${prefix}/"`);
  }
  const metrics = new Map<string, string>();
  const parts = vector.slice(prefix.length + 1).split("/");
  for (const part of parts) {
    const colon = part.indexOf(":");
    if (colon <= 0 || colon !== part.lastIndexOf(":") || colon === part.length - 1) {
      throw malformed(`CVSS vector ${quote(vector)}: ${quote(part)} is not one METRIC:VALUE pair`);
    }
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const definition = Object.hasOwn(definitions, key) ? definitions[key] : undefined;
    if (definition === undefined) throw malformed(`CVSS vector ${quote(vector)}: unknown metric ${quote(key)}`);
    if (metrics.has(key)) throw malformed(`CVSS vector ${quote(vector)}: metric ${key} appears more than once`);
    if (!definition.values.includes(value)) {
      throw malformed(
        `CVSS vector ${quote(vector)}: ${key} cannot be ${quote(value)} (allowed: ${definition.values.join(", ")})`,
      );
    }
    metrics.set(key, value);
  }
  const missing = Object.entries(definitions)
    .filter(([key, definition]) => definition.base && !metrics.has(key))
    .map(([key]) => key);
  if (missing.length > 0) {
    throw malformed(`CVSS vector ${quote(vector)} lacks the base metric${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  }
  return metrics;
}

/** The vector's version label (`3.0`, `3.1`, `4.0`, or what else follows `CVSS:`), or undefined without one. */
export function vectorVersion(vector: string): string | undefined {
  const match = /^CVSS:([0-9]+\.[0-9]+)\//.exec(vector);
  return match?.[1];
}

function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", message);
}

/** JSON quoting keeps control characters and quotes in hostile input from breaking the one-line message. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
