import { SEVERITY_ORDER, isSuppressed, sortFindings, type Finding } from "../findings.js";

/**
 * The JSON report: every finding (suppressed ones too, flagged, with the VEX justification that suppressed them),
 * in the table's order, and a summary. Deterministic: same findings, same bytes.
 */

export interface JsonReport {
  readonly findings: readonly (Finding & { readonly suppressed: boolean })[];
  readonly summary: {
    readonly total: number;
    readonly suppressed: number;
    readonly kev: number;
    readonly fixable: number;
    /** Counted over findings not suppressed; `unknown` has no scored severity. */
    readonly bySeverity: Readonly<Record<string, number>>;
  };
}

export function toJsonReport(findings: readonly Finding[]): JsonReport {
  const sorted = sortFindings(findings);
  const bySeverity: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, none: 0, unknown: 0 };
  let suppressed = 0;
  for (const f of sorted) {
    if (isSuppressed(f)) suppressed++;
    else bySeverity[f.vulnerability.severity?.bucket ?? "unknown"]! += 1;
  }
  // Keys from worst to least, then unknown: the order a reader scans them in.
  const ordered = Object.fromEntries([...[...SEVERITY_ORDER].reverse(), "unknown"].map((k) => [k, bySeverity[k]!]));
  return {
    findings: sorted.map((f) => ({ ...f, suppressed: isSuppressed(f) })),
    summary: {
      total: sorted.length,
      suppressed,
      kev: sorted.filter((f) => !isSuppressed(f) && f.vulnerability.kev !== undefined).length,
      fixable: sorted.filter((f) => !isSuppressed(f) && f.vulnerability.fixedIn.length > 0).length,
      bySeverity: ordered,
    },
  };
}

/** The JSON report as text (two-space indented, trailing newline). */
export function renderJson(findings: readonly Finding[]): string {
  return JSON.stringify(toJsonReport(findings), null, 2) + "\n";
}
