import { VouchError } from "../core/errors.js";
import { SEVERITY_ORDER, isSuppressed, severityRank, type Finding, type SeverityBucket } from "./findings.js";

/**
 * The scan gates, with grype's semantics:
 *   --only-fixed   report only findings with a fix available (grype's `--only-fixed`: the rest are ignored, so
 *                  they are neither shown nor counted by the gates).
 *   --fail-on SEV  fail (exit 1) when a counted finding's severity is SEV or worse. A finding whose severity is
 *                  unknown (no vector vouch could score) never trips it, as grype's Unknown does not.
 *   --fail-on-kev  fail when a counted finding is in CISA's Known Exploited Vulnerabilities catalog.
 * Counted: not suppressed by VEX (not_affected / false_positive), and not stated `fixed` by VEX (the vendor says
 * this version carries the fix: shown, as the issue asks, but it does not fail a build; grype ignores it
 * outright). `affected` and `under_investigation` count.
 */

export interface GateOptions {
  readonly failOn?: SeverityBucket;
  readonly failOnKev?: boolean;
  readonly onlyFixed?: boolean;
}

export interface GateFailure {
  readonly finding: Finding;
  readonly reason: "severity" | "kev";
}

export interface GateResult {
  /** What the writers report: every finding, less those --only-fixed drops. */
  readonly reported: Finding[];
  /** The findings that tripped a gate, in input order (a finding can appear once per reason). */
  readonly failures: GateFailure[];
  readonly failed: boolean;
}

/** The values --fail-on takes (grype's, plus none is refused: it would fail on every scored finding). */
export const FAIL_ON_VALUES: readonly SeverityBucket[] = ["low", "medium", "high", "critical"];

/** Parse a --fail-on value (case-insensitive); INPUT_USAGE for anything else. */
export function parseFailOn(value: string): SeverityBucket {
  const v = value.toLowerCase();
  if (!(FAIL_ON_VALUES as readonly string[]).includes(v)) {
    throw new VouchError("INPUT_USAGE", `--fail-on must be one of ${FAIL_ON_VALUES.join(", ")} (got ${JSON.stringify(value)})`);
  }
  return v as SeverityBucket;
}

/** Whether a finding has a fix available (a fixed version is known). */
export function hasFix(finding: Finding): boolean {
  return finding.vulnerability.fixedIn.length > 0;
}

/** Whether a finding counts for the gates (see the module comment). */
export function counts(finding: Finding): boolean {
  return !isSuppressed(finding) && finding.vex?.status !== "fixed";
}

/**
 * @example
 * const { failed, reported } = evaluateGate(findings, { failOn: "high", failOnKev: true });
 * process.exitCode = failed ? 1 : 0;
 */
export function evaluateGate(findings: readonly Finding[], options: GateOptions = {}): GateResult {
  const reported = options.onlyFixed ? findings.filter(hasFix) : [...findings];
  const threshold = options.failOn === undefined ? undefined : severityRank(options.failOn);
  if (threshold !== undefined && threshold < SEVERITY_ORDER.indexOf("low")) {
    throw new VouchError("INPUT_USAGE", `--fail-on must be one of ${FAIL_ON_VALUES.join(", ")}`);
  }
  const failures: GateFailure[] = [];
  for (const finding of reported) {
    if (!counts(finding)) continue;
    if (threshold !== undefined && severityRank(finding.vulnerability.severity?.bucket) >= threshold) failures.push({ finding, reason: "severity" });
    if (options.failOnKev && finding.vulnerability.kev !== undefined) failures.push({ finding, reason: "kev" });
  }
  return { reported, failures, failed: failures.length > 0 };
}
