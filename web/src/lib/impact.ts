import type { AffectedResult } from "../api/types";

/**
 * The impact view's rows and their exports (CSV, JSON). Pure: the view turns them into Blob downloads.
 * One row per (artifact, current deployment), grouped by service then environment; an affected artifact that runs
 * nowhere now is one row with an empty environment (it is still in the index, and a release may ship it again).
 */
export interface ImpactRow {
  service: string;
  /** Empty: not currently deployed. */
  environment: string;
  digest: string;
  version: string;
  sbom: string;
  /** The matching components, `name@version` (or their purls), sorted. */
  components: string[];
  deployedAt: string;
}

export function impactRows(result: AffectedResult): ImpactRow[] {
  const rows: ImpactRow[] = [];
  for (const artifact of result.artifacts) {
    const components = artifact.components
      .map((c) => c.purl ?? (c.version === undefined ? c.name : `${c.name}@${c.version}`))
      .sort();
    const base = { digest: artifact.digest ?? "", version: artifact.version ?? "", sbom: artifact.sbom, components };
    if (artifact.deployments.length === 0) {
      rows.push({ ...base, service: artifact.service, environment: "", deployedAt: "" });
      continue;
    }
    for (const d of artifact.deployments) {
      rows.push({ ...base, service: d.service ?? artifact.service, environment: d.environment, deployedAt: d.deployedAt });
    }
  }
  return rows.sort(
    (a, b) =>
      cmp(a.service, b.service) ||
      // Deployed environments first, then what runs nowhere.
      cmp(a.environment === "" ? "\uffff" : a.environment, b.environment === "" ? "\uffff" : b.environment) ||
      cmp(a.digest, b.digest) ||
      cmp(a.sbom, b.sbom),
  );
}

/** Rows grouped by service, then by environment within it (the view's table sections), in row order. */
export function groupRows(rows: readonly ImpactRow[]): { service: string; environments: { environment: string; rows: ImpactRow[] }[] }[] {
  const out: { service: string; environments: { environment: string; rows: ImpactRow[] }[] }[] = [];
  for (const row of rows) {
    let service = out.at(-1);
    if (service === undefined || service.service !== row.service) {
      service = { service: row.service, environments: [] };
      out.push(service);
    }
    let env = service.environments.at(-1);
    if (env === undefined || env.environment !== row.environment) {
      env = { environment: row.environment, rows: [] };
      service.environments.push(env);
    }
    env.rows.push(row);
  }
  return out;
}

export const CSV_COLUMNS = ["service", "environment", "digest", "version", "sbom", "components", "deployedAt"] as const;

/**
 * One CSV field. A spreadsheet runs a cell that starts with = + - @ (or a tab / CR before them) as a formula
 * (CSV injection, OWASP): package names and versions come from SBOMs anyone can push, so such a cell is prefixed
 * with a single quote. Then RFC 4180 §2: a field holding a comma, a double quote, CR or LF is quoted, and its
 * double quotes doubled.
 */
export function csvField(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/** RFC 4180: a header line, CRLF line breaks (including after the last record). */
export function toCsv(rows: readonly ImpactRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) {
    lines.push(
      CSV_COLUMNS.map((column) => {
        const value = row[column];
        return csvField(Array.isArray(value) ? value.join(" ") : value);
      }).join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** The JSON export: the question, when it was asked, and the rows (machine-readable: no formula guard needed). */
export function toJson(query: Record<string, string>, rows: readonly ImpactRow[], at: Date): string {
  return `${JSON.stringify({ query, exportedAt: at.toISOString(), rows }, null, 2)}\n`;
}

/** An advisory id the query box recognizes (else the text is a purl or a package name). */
const ADVISORY = /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|(PYSEC|RUSTSEC|GO|OSV)-\d{4}-\d+|(DSA|DLA)-\d+(-\d+)?)$/i;

/** What the query box holds → the /api/v1/affected parameters. */
export function impactParams(query: string, range: string, deployedOnly: boolean): Record<string, string> {
  const q = query.trim();
  const params: Record<string, string> = {};
  if (ADVISORY.test(q)) {
    // OSV ids are upper-case prefixes; GHSA ids' three groups are lower-case (GHSA-jfh8-c2jp-5v3q).
    params.advisory = /^ghsa-/i.test(q) ? `GHSA-${q.slice(5).toLowerCase()}` : q.toUpperCase();
  } else if (q.startsWith("pkg:")) {
    params.purl = q;
  } else {
    params.name = q;
  }
  if (range.trim() !== "" && params.advisory === undefined) params.range = range.trim();
  if (deployedOnly) params.deployedOnly = "true";
  return params;
}

/** A file name for a download: `impact-log4j-core-2025-03-14.csv`. */
export function exportFileName(query: string, ext: "csv" | "json", at: Date): string {
  const slug = query.replace(/^pkg:[^/]+\//, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "query";
  return `impact-${slug}-${at.toISOString().slice(0, 10)}.${ext}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
