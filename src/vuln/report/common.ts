import { parsePurl } from "../../sbom/model/purl.js";
import type { Epss, Finding, SeverityBucket } from "../findings.js";

/** Helpers shared by the writers. */

/** "Critical", "High", …; "Unknown" when no severity could be scored (grype's spelling). */
export function severityLabel(bucket: SeverityBucket | undefined): string {
  if (bucket === undefined) return "Unknown";
  return bucket[0]!.toUpperCase() + bucket.slice(1);
}

/** EPSS as grype prints it: "94.4% (99th)"; scores under 0.1% as "< 0.1%". */
export function epssLabel(epss: Epss | undefined): string {
  if (epss === undefined) return "";
  const pct = epss.score * 100;
  const score = pct < 0.1 ? "< 0.1%" : `${pct.toFixed(1)}%`;
  return `${score} (${ordinal(Math.floor(epss.percentile * 100))})`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

/** The package type column: the purl type (maven, deb, npm), as grype's TYPE names the package kind. */
export function packageType(finding: Finding): string {
  return parsePurl(finding.component.purl)?.type ?? finding.component.ecosystem.toLowerCase();
}

/** The reference a writer gives a component: its bom-ref, else its purl. */
export function componentRef(finding: Finding): string {
  return finding.component.bomRef ?? finding.component.purl;
}

/** Where an id is published, for CycloneDX `source` and SARIF help links. */
export function advisorySource(id: string): { name: string; url: string } {
  if (/^CVE-\d{4}-\d+$/.test(id)) return { name: "NVD", url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (id.startsWith("GHSA-")) return { name: "GitHub", url: `https://github.com/advisories/${id}` };
  return { name: "OSV", url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
}
