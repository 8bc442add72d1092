import { isSuppressed, sortFindings, type Finding } from "../findings.js";
import { epssLabel, packageType, severityLabel } from "./common.js";

/**
 * The table a grype user knows: one row per finding, grouped by package (sorted by name and version, worst
 * severity first within a package), installed → fixed-in, id, severity, EPSS and a KEV flag. Findings a VEX
 * statement marks not_affected are hidden unless `showSuppressed` (the JSON output keeps them); a VEX column
 * appears when any shown finding carries a VEX status.
 */

export interface TableOptions {
  readonly showSuppressed?: boolean;
}

const HEADER = ["NAME", "INSTALLED", "FIXED IN", "TYPE", "VULNERABILITY", "SEVERITY", "EPSS", "KEV"] as const;

/**
 * @example
 * process.stdout.write(renderTable(findings));
 * // NAME        INSTALLED  FIXED IN  TYPE   VULNERABILITY        SEVERITY  EPSS          KEV
 * // log4j-core  2.14.1     2.15.0    maven  GHSA-jfh8-c2jp-5v3q  Critical  94.4% (99th)  yes
 */
export function renderTable(findings: readonly Finding[], options: TableOptions = {}): string {
  const sorted = sortFindings(findings);
  const shown = options.showSuppressed ? sorted : sorted.filter((f) => !isSuppressed(f));
  const hidden = sorted.length - shown.length;
  const footer = hidden > 0 ? `${hidden} suppressed by VEX (not_affected); --show-suppressed lists them\n` : "";
  if (shown.length === 0) return `No vulnerabilities found\n${footer}`;
  const withVex = shown.some((f) => f.vex !== undefined);
  const header: string[] = [...HEADER, ...(withVex ? ["VEX"] : [])];
  const rows = shown.map((f) => [
    f.component.name,
    f.component.version,
    f.vulnerability.fixedIn.join(", "),
    packageType(f),
    f.vulnerability.id,
    severityLabel(f.vulnerability.severity?.bucket),
    epssLabel(f.vulnerability.epss),
    f.vulnerability.kev ? "yes" : "",
    ...(withVex ? [f.vex?.status ?? ""] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n" + footer;
}
