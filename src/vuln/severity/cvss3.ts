import { VouchError } from "../../core/errors.js";
import { type MetricDefinition, parseVector, vectorVersion } from "./vector.js";

/**
 * CVSS v3.0 and v3.1 scores from a vector string, by the formulas of FIRST's specification documents
 * (v3.1 section 7, "CVSS v3.1 Equations", and Appendix A for Roundup; v3.0 section 8, "CVSS v3.0 Equations").
 *
 * @example
 *   cvss3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").baseScore // 10.0 (Log4Shell)
 */

export type Cvss3Version = "3.0" | "3.1";

export interface Cvss3Score {
  readonly version: Cvss3Version;
  /** Every metric the vector names, as written (absent optional metrics are X, Not Defined). */
  readonly metrics: ReadonlyMap<string, string>;
  /** The Base Score: what advisories publish and what vouch ranks findings by. */
  readonly baseScore: number;
  /** The Temporal Score (equal to the Base Score when E, RL and RC are all Not Defined). */
  readonly temporalScore: number;
  /**
   * The Environmental Score, by its formula even when no environmental metric is defined. In v3.1 it can then
   * still differ from the Base Score: the changed-scope impact uses MISS (capped at 0.915) and
   * `(MISS × 0.9731 − 0.02)^13`, so CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H has Base 9.6, Environmental 9.7,
   * as FIRST's v3.1 calculator shows too.
   */
  readonly environmentalScore: number;
  /** Whether the vector defines any temporal (E, RL, RC) or environmental metric other than X. */
  readonly hasTemporal: boolean;
  readonly hasEnvironmental: boolean;
}

const IMPACT = ["H", "L", "N"];
const MODIFIED_IMPACT = ["X", "H", "L", "N"];
const REQUIREMENT = ["X", "H", "M", "L"];

/** v3.0 and v3.1 define the same metrics and values (v3.1 Table 15; v3.0 Table 12). */
const METRICS: Readonly<Record<string, MetricDefinition>> = {
  AV: { values: ["N", "A", "L", "P"], base: true },
  AC: { values: ["L", "H"], base: true },
  PR: { values: ["N", "L", "H"], base: true },
  UI: { values: ["N", "R"], base: true },
  S: { values: ["U", "C"], base: true },
  C: { values: IMPACT, base: true },
  I: { values: IMPACT, base: true },
  A: { values: IMPACT, base: true },
  E: { values: ["X", "H", "F", "P", "U"], base: false },
  RL: { values: ["X", "U", "W", "T", "O"], base: false },
  RC: { values: ["X", "C", "R", "U"], base: false },
  CR: { values: REQUIREMENT, base: false },
  IR: { values: REQUIREMENT, base: false },
  AR: { values: REQUIREMENT, base: false },
  MAV: { values: ["X", "N", "A", "L", "P"], base: false },
  MAC: { values: ["X", "L", "H"], base: false },
  MPR: { values: ["X", "N", "L", "H"], base: false },
  MUI: { values: ["X", "N", "R"], base: false },
  MS: { values: ["X", "U", "C"], base: false },
  MC: { values: MODIFIED_IMPACT, base: false },
  MI: { values: MODIFIED_IMPACT, base: false },
  MA: { values: MODIFIED_IMPACT, base: false },
};

const TEMPORAL = ["E", "RL", "RC"];
const ENVIRONMENTAL = ["CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA"];

// Metric weights (v3.1 section 7.4, Table 16; unchanged from v3.0 section 8.4).
const AV_WEIGHT: Readonly<Record<string, number>> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC_WEIGHT: Readonly<Record<string, number>> = { L: 0.77, H: 0.44 };
/** PR's weight depends on Scope: L and H weigh more when the scope changes. */
const PR_WEIGHT_UNCHANGED: Readonly<Record<string, number>> = { N: 0.85, L: 0.62, H: 0.27 };
const PR_WEIGHT_CHANGED: Readonly<Record<string, number>> = { N: 0.85, L: 0.68, H: 0.5 };
const UI_WEIGHT: Readonly<Record<string, number>> = { N: 0.85, R: 0.62 };
const CIA_WEIGHT: Readonly<Record<string, number>> = { H: 0.56, L: 0.22, N: 0 };
const E_WEIGHT: Readonly<Record<string, number>> = { X: 1, H: 1, F: 0.97, P: 0.94, U: 0.91 };
const RL_WEIGHT: Readonly<Record<string, number>> = { X: 1, U: 1, W: 0.97, T: 0.96, O: 0.95 };
const RC_WEIGHT: Readonly<Record<string, number>> = { X: 1, C: 1, R: 0.96, U: 0.92 };
const REQUIREMENT_WEIGHT: Readonly<Record<string, number>> = { X: 1, H: 1.5, M: 1, L: 0.5 };

/**
 * Parse a CVSS v3.0 or v3.1 vector strictly and compute its Base, Temporal and Environmental scores.
 * Throws VouchError INPUT_MALFORMED for a vector that is not valid v3.x (see vector.ts for the rules).
 */
export function cvss3Score(vector: string): Cvss3Score {
  const version = vectorVersion(vector);
  if (version !== "3.0" && version !== "3.1") {
    throw new VouchError(
      "INPUT_MALFORMED",
      `not a CVSS v3 vector (expected the prefix CVSS:3.0/ or CVSS:3.1/): ${JSON.stringify(vector.slice(0, 80))}`,
    );
  }
  const metrics = parseVector(vector, `CVSS:${version}`, METRICS);
  const value = (key: string): string => metrics.get(key) ?? "X";
  /** A modified base metric: its environmental override when defined, else the base value (v3.1 section 4.2). */
  const modified = (key: string): string => {
    const override = value(`M${key}`);
    return override === "X" ? value(key) : override;
  };
  const roundup = version === "3.1" ? roundup31 : roundup30;

  const baseScore = base(value, roundup);
  const temporalFactor = E_WEIGHT[value("E")]! * RL_WEIGHT[value("RL")]! * RC_WEIGHT[value("RC")]!;
  const temporalScore = roundup(baseScore * temporalFactor);
  const environmentalScore = environmental(version, value, modified, temporalFactor, roundup);
  return {
    version,
    metrics,
    baseScore,
    temporalScore,
    environmentalScore,
    hasTemporal: TEMPORAL.some((key) => value(key) !== "X"),
    hasEnvironmental: ENVIRONMENTAL.some((key) => value(key) !== "X"),
  };
}

/** Base Score (v3.1 section 7.1; identical in v3.0 but for Roundup). */
function base(value: (key: string) => string, roundup: (x: number) => number): number {
  const changed = value("S") === "C";
  const iss = 1 - (1 - CIA_WEIGHT[value("C")]!) * (1 - CIA_WEIGHT[value("I")]!) * (1 - CIA_WEIGHT[value("A")]!);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const prWeight = (changed ? PR_WEIGHT_CHANGED : PR_WEIGHT_UNCHANGED)[value("PR")]!;
  const exploitability = 8.22 * AV_WEIGHT[value("AV")]! * AC_WEIGHT[value("AC")]! * prWeight * UI_WEIGHT[value("UI")]!;
  if (impact <= 0) return 0;
  return changed ? roundup(Math.min(1.08 * (impact + exploitability), 10)) : roundup(Math.min(impact + exploitability, 10));
}

/**
 * Environmental Score (v3.1 section 7.3, v3.0 section 8.3). The Modified Scope decides both the impact formula and
 * the weight of Modified Privileges Required. v3.1 changed one term of the changed-scope impact: v3.0 has
 * `3.25 × (MISS − 0.02)^15`, v3.1 `3.25 × (MISS × 0.9731 − 0.02)^13`.
 */
function environmental(
  version: Cvss3Version,
  value: (key: string) => string,
  modified: (key: string) => string,
  temporalFactor: number,
  roundup: (x: number) => number,
): number {
  const changed = modified("S") === "C";
  const weighted = (key: string): number => REQUIREMENT_WEIGHT[value(`${key}R`)]! * CIA_WEIGHT[modified(key)]!;
  const miss = Math.min(1 - (1 - weighted("C")) * (1 - weighted("I")) * (1 - weighted("A")), 0.915);
  let impact: number;
  if (!changed) impact = 6.42 * miss;
  else if (version === "3.1") impact = 7.52 * (miss - 0.029) - 3.25 * Math.pow(miss * 0.9731 - 0.02, 13);
  else impact = 7.52 * (miss - 0.029) - 3.25 * Math.pow(miss - 0.02, 15);
  const prWeight = (changed ? PR_WEIGHT_CHANGED : PR_WEIGHT_UNCHANGED)[modified("PR")]!;
  const exploitability =
    8.22 * AV_WEIGHT[modified("AV")]! * AC_WEIGHT[modified("AC")]! * prWeight * UI_WEIGHT[modified("UI")]!;
  if (impact <= 0) return 0;
  const capped = changed ? Math.min(1.08 * (impact + exploitability), 10) : Math.min(impact + exploitability, 10);
  return roundup(roundup(capped) * temporalFactor);
}

/**
 * Roundup as CVSS v3.1 Appendix A defines it: the smallest number with one decimal that is >= the input, computed
 * on an integer (input × 100,000 rounded) so that floating-point noise such as 4.000000000000001 does not round up
 * to 4.1.
 */
export function roundup31(input: number): number {
  const intInput = Math.round(input * 100000);
  if (intInput % 10000 === 0) return intInput / 100000;
  return (Math.floor(intInput / 10000) + 1) / 10;
}

/**
 * Roundup as CVSS v3.0 defines it (section 8.5: "the smallest number, specified to one decimal place, that is equal
 * to or higher than its input"), computed the way FIRST's v3.0 calculator does: ceil(x × 10) / 10. Floating-point
 * noise just above a tenth therefore rounds up a whole tenth; v3.1 Appendix A exists to fix exactly that.
 */
export function roundup30(input: number): number {
  return Math.ceil(input * 10) / 10;
}
