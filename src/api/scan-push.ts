import { namingFile, readBytesFile } from "./files.js";
import type { VulnerabilityReport } from "../sbom-index/scans.js";
import type { ScanRecord } from "../store/ports.js";
import type { IndexClient } from "./index-client.js";

/**
 * `vouch push scan FILE --service S [--digest D]`: a `vouch scan -o json` report (or CycloneDX VEX/VDR) into the
 * index, for the artifact it scanned.
 *
 * @example
 *   const { scan } = await pushScanFile(new IndexClient({ server, token }), "scan.json", { service: "checkout" });
 *   scan.findingCount;
 */
export async function pushScanFile(client: IndexClient, file: string, options: { service: string; digest?: string }): Promise<{ created: boolean; scan: ScanRecord }> {
  const bytes = readBytesFile(file);
  return namingFile(file, client.pushScan(bytes, options));
}

export function renderScanPush(result: { created: boolean; scan: ScanRecord }): string {
  const s = result.scan;
  return `${result.created ? "stored" : "already stored"} scan ${s.id} of ${s.service} (${s.digest}): ${s.findingCount} finding${s.findingCount === 1 ? "" : "s"} (${s.format})\n`;
}

/** One row per (vulnerability, deployment): what runs now and is affected, worst first as the server sorts. */
export function renderVulnerabilityTable(report: VulnerabilityReport): string {
  const rows: string[][] = [["VULNERABILITY", "SEVERITY", "KEV", "COMPONENTS", "FIXED IN", "SERVICE", "ENVIRONMENT"]];
  for (const v of report.vulnerabilities) {
    const components = v.components.map((c) => `${c.name}@${c.version}`).join(", ");
    const severity = v.score !== undefined ? `${v.severity} (${v.score.toFixed(1)})` : v.severity;
    for (const d of v.deployments) rows.push([v.id, severity, v.kev ? "yes" : "", components, v.fixedIn.join(", "), d.service, d.environment]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
  const summary = `${report.vulnerabilities.length} vulnerabilit${report.vulnerabilities.length === 1 ? "y" : "ies"} in ${report.deployments} current deployment${report.deployments === 1 ? "" : "s"}${report.unscanned > 0 ? ` (${report.unscanned} with no scan)` : ""}`;
  return `${report.vulnerabilities.length === 0 ? "" : `${lines.join("\n")}\n`}${summary}\n`;
}
