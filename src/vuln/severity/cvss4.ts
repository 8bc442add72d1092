import { VouchError } from "../../core/errors.js";
import { MACROVECTOR_SCORES } from "./cvss4-lookup.js";
import { type MetricDefinition, parseVector } from "./vector.js";

/**
 * CVSS v4.0 score from a vector string, computed as FIRST's calculator computes it (CVSS v4.0 specification
 * section 8, "CVSS v4.0 Scoring": MacroVectors, their scores, and interpolation by severity distance).
 *
 * The score uses every metric the vector defines: Threat (E) and Environmental metrics change it as the
 * specification says (an undefined E counts as Attacked, undefined CR/IR/AR as High, a defined Modified metric
 * replaces its base metric); Supplemental metrics are parsed and never change it.
 *
 * The arithmetic is done in the calculator's order with its constants (levels in steps of 0.1, depths × 0.1), so
 * floating-point results, and therefore rounding at the .x5 edges, are the calculator's too.
 *
 * @example
 *   cvss4Score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").score // 9.3
 */

export interface Cvss4Score {
  readonly version: "4.0";
  /** Every metric the vector names, as written (absent optional metrics are X, Not Defined). */
  readonly metrics: ReadonlyMap<string, string>;
  /** EQ1…EQ6, e.g. "000200"; empty when every impact is None (score 0.0 without a MacroVector lookup). */
  readonly macroVector: string;
  readonly score: number;
  /** CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE: which metric groups the score reflects (spec section 1.3). */
  readonly nomenclature: "CVSS-B" | "CVSS-BT" | "CVSS-BE" | "CVSS-BTE";
}

const IMPACT = ["H", "L", "N"];
const MODIFIED_IMPACT = ["X", "H", "L", "N"];
const MODIFIED_SUBSEQUENT = ["X", "S", "H", "L", "N"];
const REQUIREMENT = ["X", "H", "M", "L"];

/** The metrics of spec section 7 (Table 23), in the calculator's order. */
const METRICS: Readonly<Record<string, MetricDefinition>> = {
  AV: { values: ["N", "A", "L", "P"], base: true },
  AC: { values: ["L", "H"], base: true },
  AT: { values: ["N", "P"], base: true },
  PR: { values: ["N", "L", "H"], base: true },
  UI: { values: ["N", "P", "A"], base: true },
  VC: { values: IMPACT, base: true },
  VI: { values: IMPACT, base: true },
  VA: { values: IMPACT, base: true },
  SC: { values: IMPACT, base: true },
  SI: { values: IMPACT, base: true },
  SA: { values: IMPACT, base: true },
  E: { values: ["X", "A", "P", "U"], base: false },
  CR: { values: REQUIREMENT, base: false },
  IR: { values: REQUIREMENT, base: false },
  AR: { values: REQUIREMENT, base: false },
  MAV: { values: ["X", "N", "A", "L", "P"], base: false },
  MAC: { values: ["X", "L", "H"], base: false },
  MAT: { values: ["X", "N", "P"], base: false },
  MPR: { values: ["X", "N", "L", "H"], base: false },
  MUI: { values: ["X", "N", "P", "A"], base: false },
  MVC: { values: MODIFIED_IMPACT, base: false },
  MVI: { values: MODIFIED_IMPACT, base: false },
  MVA: { values: MODIFIED_IMPACT, base: false },
  // MSC has no Safety value; MSI and MSA do (spec section 4.2).
  MSC: { values: MODIFIED_IMPACT, base: false },
  MSI: { values: MODIFIED_SUBSEQUENT, base: false },
  MSA: { values: MODIFIED_SUBSEQUENT, base: false },
  S: { values: ["X", "N", "P"], base: false },
  AU: { values: ["X", "N", "Y"], base: false },
  R: { values: ["X", "A", "U", "I"], base: false },
  V: { values: ["X", "D", "C"], base: false },
  RE: { values: ["X", "L", "M", "H"], base: false },
  U: { values: ["X", "Clear", "Green", "Amber", "Red"], base: false },
};

const ENVIRONMENTAL = ["CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA"];

/**
 * Severity level of each value, in the calculator's units (0.1 per step; a lower level is more severe). The
 * distance of a vector from a highest-severity vector of its MacroVector is measured in these.
 */
const LEVELS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0.0, L: 0.1, H: 0.2 },
  UI: { N: 0.0, P: 0.1, A: 0.2 },
  AC: { L: 0.0, H: 0.1 },
  AT: { N: 0.0, P: 0.1 },
  VC: { H: 0.0, L: 0.1, N: 0.2 },
  VI: { H: 0.0, L: 0.1, N: 0.2 },
  VA: { H: 0.0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0.0, M: 0.1, L: 0.2 },
  IR: { H: 0.0, M: 0.1, L: 0.2 },
  AR: { H: 0.0, M: 0.1, L: 0.2 },
  E: { U: 0.2, P: 0.1, A: 0.0 },
};

type Values = Readonly<Record<string, string>>;

/**
 * The highest-severity vectors of each EQ level (spec section 8.2, Tables 24-29), for the calculator's search of
 * a maximal vector the scored vector is no more severe than. EQ3 and EQ6 are joint: indexed [eq3][eq6].
 * Order matters: the first combination that dominates the scored vector is the one used.
 */
const EQ1_MAX: readonly (readonly Values[])[] = [
  [{ AV: "N", PR: "N", UI: "N" }],
  [
    { AV: "A", PR: "N", UI: "N" },
    { AV: "N", PR: "L", UI: "N" },
    { AV: "N", PR: "N", UI: "P" },
  ],
  [
    { AV: "P", PR: "N", UI: "N" },
    { AV: "A", PR: "L", UI: "P" },
  ],
];
const EQ2_MAX: readonly (readonly Values[])[] = [
  [{ AC: "L", AT: "N" }],
  [
    { AC: "H", AT: "N" },
    { AC: "L", AT: "P" },
  ],
];
const impacts = (text: string): Values => Object.fromEntries(text.split("/").map((part) => part.split(":") as [string, string]));
const EQ3EQ6_MAX: readonly (readonly (readonly Values[])[])[] = [
  [
    [impacts("VC:H/VI:H/VA:H/CR:H/IR:H/AR:H")],
    [impacts("VC:H/VI:H/VA:L/CR:M/IR:M/AR:H"), impacts("VC:H/VI:H/VA:H/CR:M/IR:M/AR:M")],
  ],
  [
    [impacts("VC:L/VI:H/VA:H/CR:H/IR:H/AR:H"), impacts("VC:H/VI:L/VA:H/CR:H/IR:H/AR:H")],
    [
      impacts("VC:L/VI:H/VA:L/CR:H/IR:M/AR:H"),
      impacts("VC:L/VI:H/VA:H/CR:H/IR:M/AR:M"),
      impacts("VC:H/VI:L/VA:H/CR:M/IR:H/AR:M"),
      impacts("VC:H/VI:L/VA:L/CR:M/IR:H/AR:H"),
      impacts("VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"),
    ],
  ],
  // EQ3=2 (no High impact on the vulnerable system) implies EQ6=1: there is no [2][0].
  [[], [impacts("VC:L/VI:L/VA:L/CR:H/IR:H/AR:H")]],
];
const EQ4_MAX: readonly (readonly Values[])[] = [
  [{ SC: "H", SI: "S", SA: "S" }],
  [{ SC: "H", SI: "H", SA: "H" }],
  [{ SC: "L", SI: "L", SA: "L" }],
];
const EQ5_MAX: readonly (readonly Values[])[] = [[{ E: "A" }], [{ E: "P" }], [{ E: "U" }]];

/** The depth of each EQ level (its greatest severity distance, + 1), in steps; the calculator's MAX_SEVERITY. */
const EQ1_DEPTH = [1, 4, 5];
const EQ2_DEPTH = [1, 2];
const EQ3EQ6_DEPTH: readonly (readonly number[])[] = [
  [7, 6],
  [8, 8],
  [Number.NaN, 10],
];
const EQ4_DEPTH = [6, 5, 4];
const STEP = 0.1;

const DISTANCE_METRICS = Object.keys(LEVELS);

/**
 * Parse a CVSS v4.0 vector strictly and compute its score.
 * Throws VouchError INPUT_MALFORMED for a vector that is not valid v4.0 (see vector.ts for the rules).
 */
export function cvss4Score(vector: string): Cvss4Score {
  if (typeof vector !== "string" || !vector.startsWith("CVSS:4.0/")) {
    throw new VouchError(
      "INPUT_MALFORMED",
      `not a CVSS v4.0 vector (expected the prefix CVSS:4.0/): ${JSON.stringify(String(vector).slice(0, 80))}`,
    );
  }
  const metrics = parseVector(vector, "CVSS:4.0", METRICS);
  const threat = (metrics.get("E") ?? "X") !== "X";
  const environmental = ENVIRONMENTAL.some((key) => (metrics.get(key) ?? "X") !== "X");
  const nomenclature = threat ? (environmental ? "CVSS-BTE" : "CVSS-BT") : environmental ? "CVSS-BE" : "CVSS-B";
  const effective = effectiveValues(metrics);

  // No impact on the vulnerable or any subsequent system: 0.0, whatever else the vector says.
  if (["VC", "VI", "VA", "SC", "SI", "SA"].every((key) => effective(key) === "N")) {
    return { version: "4.0", metrics, macroVector: "", score: 0, nomenclature };
  }
  const eq = equivalenceClasses(effective);
  const macroVector = eq.join("");
  return { version: "4.0", metrics, macroVector, score: interpolate(eq, effective), nomenclature };
}

/**
 * The value each metric takes in scoring (spec section 8.1): an undefined E is A (Attacked) and an undefined
 * CR/IR/AR is H, the worst case; a defined Modified metric (MAV, MVC, …) replaces its base metric.
 */
function effectiveValues(metrics: ReadonlyMap<string, string>): (key: string) => string {
  const worstCase: Readonly<Record<string, string>> = { E: "A", CR: "H", IR: "H", AR: "H" };
  return (key) => {
    const selected = metrics.get(key) ?? "X";
    const fallback = worstCase[key];
    if (selected === "X" && fallback !== undefined) return fallback;
    const override = metrics.get(`M${key}`);
    if (override !== undefined && override !== "X") return override;
    return selected;
  };
}

/** EQ1…EQ6 (spec section 8.2, Table 24). */
function equivalenceClasses(m: (key: string) => string): [number, number, number, number, number, number] {
  const av = m("AV");
  const pr = m("PR");
  const ui = m("UI");
  // EQ1: 0 = AV:N and PR:N and UI:N; 1 = (AV:N or PR:N or UI:N), not all three, and not AV:P; 2 = the rest.
  let eq1: number;
  if (av === "N" && pr === "N" && ui === "N") eq1 = 0;
  else if ((av === "N" || pr === "N" || ui === "N") && av !== "P") eq1 = 1;
  else eq1 = 2;
  // EQ2: 0 = AC:L and AT:N; 1 = not.
  const eq2 = m("AC") === "L" && m("AT") === "N" ? 0 : 1;
  // EQ3: 0 = VC:H and VI:H; 1 = not both, but one of VC, VI, VA is H; 2 = none is H.
  const vc = m("VC");
  const vi = m("VI");
  const va = m("VA");
  const eq3 = vc === "H" && vi === "H" ? 0 : vc === "H" || vi === "H" || va === "H" ? 1 : 2;
  // EQ4: 0 = MSI:S or MSA:S (Safety); 1 = one of SC, SI, SA is H; 2 = the rest.
  const safety = m("MSI") === "S" || m("MSA") === "S";
  const eq4 = safety ? 0 : m("SC") === "H" || m("SI") === "H" || m("SA") === "H" ? 1 : 2;
  // EQ5: E:A 0, E:P 1, E:U 2.
  const e = m("E");
  const eq5 = e === "A" ? 0 : e === "P" ? 1 : 2;
  // EQ6: 0 = (CR:H and VC:H) or (IR:H and VI:H) or (AR:H and VA:H); 1 = not.
  const eq6 = (m("CR") === "H" && vc === "H") || (m("IR") === "H" && vi === "H") || (m("AR") === "H" && va === "H") ? 0 : 1;
  return [eq1, eq2, eq3, eq4, eq5, eq6];
}

/** The MacroVector score, or NaN for a MacroVector that does not exist (the calculator's `undefined` arithmetic). */
function lookup(eq: readonly number[]): number {
  return MACROVECTOR_SCORES[eq.join("")] ?? Number.NaN;
}

/**
 * Spec section 8.2 steps 1-3, as the calculator does them: the MacroVector's score, less the mean over the EQs
 * that have a next-lower MacroVector of (score difference to it) × (severity distance from the highest vector /
 * depth of the MacroVector), rounded to one decimal.
 */
function interpolate(eq: readonly [number, number, number, number, number, number], m: (key: string) => string): number {
  const [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
  const value = lookup(eq);
  const with_ = (index: number, delta: number): number[] => eq.map((level, i) => (i === index ? level + delta : level));

  // 1.a Scores of the next lower MacroVector of each EQ (NaN where there is none). EQ3 and EQ6 move together:
  // 00 has two next-lower classes (01 and 10, the higher score is taken), 01 → 11, 10 → 11, 11 → 21, 21 → none.
  const nextEq1 = lookup(with_(0, 1));
  const nextEq2 = lookup(with_(1, 1));
  let nextEq3Eq6: number;
  if (eq3 === 0 && eq6 === 0) nextEq3Eq6 = Math.max(lookup(with_(5, 1)), lookup(with_(2, 1)));
  else if (eq3 === 1 && eq6 === 0) nextEq3Eq6 = lookup(with_(5, 1));
  else if (eq3 === 2) nextEq3Eq6 = Number.NaN;
  else nextEq3Eq6 = lookup(with_(2, 1));
  const nextEq4 = lookup(with_(3, 1));
  const nextEq5 = lookup(with_(4, 1));

  // 1.b Severity distances from the first highest-severity vector (in the calculator's composition order) that
  // is at least as severe as the scored vector in every metric.
  let distances: Record<string, number> = {};
  search: for (const a of EQ1_MAX[eq1]!) {
    for (const b of EQ2_MAX[eq2]!) {
      for (const c of EQ3EQ6_MAX[eq3]![eq6]!) {
        for (const d of EQ4_MAX[eq4]!) {
          for (const e of EQ5_MAX[eq5]!) {
            const max: Values = { ...a, ...b, ...c, ...d, ...e };
            distances = {};
            for (const key of DISTANCE_METRICS) distances[key] = LEVELS[key]![m(key)]! - LEVELS[key]![max[key]!]!;
            if (Object.values(distances).every((distance) => distance >= 0)) break search;
          }
        }
      }
    }
  }
  const d = (key: string): number => distances[key]!;
  const distanceEq1 = d("AV") + d("PR") + d("UI");
  const distanceEq2 = d("AC") + d("AT");
  const distanceEq3Eq6 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
  const distanceEq4 = d("SC") + d("SI") + d("SA");

  // 1.c-d Proportion of the distance to the MacroVector's depth, times the score difference to the next lower.
  // EQ5 has depth 1 and its distance is always 0, but where it has a next lower MacroVector it still counts in
  // the mean.
  const parts: [number, number][] = [
    [value - nextEq1, distanceEq1 / (EQ1_DEPTH[eq1]! * STEP)],
    [value - nextEq2, distanceEq2 / (EQ2_DEPTH[eq2]! * STEP)],
    [value - nextEq3Eq6, distanceEq3Eq6 / (EQ3EQ6_DEPTH[eq3]![eq6]! * STEP)],
    [value - nextEq4, distanceEq4 / (EQ4_DEPTH[eq4]! * STEP)],
    [value - nextEq5, 0],
  ];
  const normalized = parts.map(([available, proportion]) => (Number.isNaN(available) ? 0 : available * proportion));
  const existing = parts.filter(([available]) => !Number.isNaN(available)).length;
  // 2. The mean, summed in the calculator's order (eq1 + eq2 + eq3eq6 + eq4 + eq5).
  const mean = existing === 0 ? 0 : (normalized[0]! + normalized[1]! + normalized[2]! + normalized[3]! + normalized[4]!) / existing;
  // 3. The MacroVector's score less the mean distance, clamped to [0, 10], rounded half up to one decimal.
  return roundHalfUp(Math.max(0, Math.min(10, value - mean)));
}

/**
 * Round half up to one decimal, lifted by 1e-6 first as the reference calculator does since its rounding fix
 * (RedHatProductSecurity/cvss-v4-calculator#67, issue #66; the same in Red Hat's Python library, cvss#65): the
 * interpolation in binary floating point can land one ULP below an x.x5 tie that is exactly x.x5 in decimal
 * (8.6 − 0.05 = 8.549999999999999), and the specification's half-up rounding must take it up. Without the lift,
 * 522 of the 104,976 base vectors score a tenth lower, e.g. CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/
 * SC:H/SI:H/SA:H would be 8.5 instead of 8.6.
 */
function roundHalfUp(value: number): number {
  const EPSILON = 1e-6;
  return Math.round((value + EPSILON) * 10) / 10;
}
