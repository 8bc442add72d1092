import type { AdvisoryStatus } from "../store/ports.js";
import type { AdvisoryImportSummary } from "../vuln/import/import.js";

/**
 * `vouch db`: the advisory database's import and status, as text for the terminal. The import itself is
 * src/vuln/import (one transaction per import); the store is opened by runtime.ts (SQLite, or PostgreSQL with
 * DATABASE_URL).
 */

/** The import's outcome in a few lines, as osv-scanner and grype summarise a database update. */
export function renderImportSummary(summary: AdvisoryImportSummary): string {
  const lines: string[] = [];
  if (summary.read + summary.unchangedEntries > 0 || summary.inserted + summary.updated + summary.unchanged + summary.older > 0) {
    lines.push(
      `OSV records: ${summary.read} read` +
        (summary.unchangedEntries > 0 ? ` (${summary.unchangedEntries} zip entries unchanged since the last import, not read)` : "") +
        `, ${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged` +
        (summary.older > 0 ? `, ${summary.older} older than stored (kept the stored)` : "") +
        `, ${summary.skipped} skipped`,
    );
  }
  const unknown = Object.entries(summary.unknownEcosystems).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (unknown.length > 0) lines.push(`unknown ecosystems (stored, never matched): ${unknown.map(([name, n]) => `${name} (${n})`).join(", ")}`);
  if (summary.epssRows !== undefined) lines.push(`EPSS: ${summary.epssRows} scores (replaced)`);
  if (summary.kevEntries !== undefined) lines.push(`KEV: ${summary.kevEntries} entries (replaced)`);
  return `${lines.join("\n")}\n`;
}

/** `vouch db status` as a table: records per ecosystem, then freshness. */
export function renderStatusTable(status: AdvisoryStatus, description: string): string {
  const rows: [string, string][] = status.ecosystems.map((e) => [e.ecosystem, String(e.records)]);
  const width = Math.max("ECOSYSTEM".length, ...rows.map(([name]) => name.length));
  const lines = [`database: ${description}`, ""];
  if (rows.length > 0) {
    lines.push(`${"ECOSYSTEM".padEnd(width)}  RECORDS`);
    for (const [name, n] of rows) lines.push(`${name.padEnd(width)}  ${n.padStart(7)}`);
    lines.push("");
  }
  lines.push(`records: ${status.records} (${status.withdrawn} withdrawn)`);
  lines.push(`newest modified: ${status.newestModified ?? "-"}`);
  const feed = (name: string, f: AdvisoryStatus["feeds"]["osv"], what: string) =>
    f === undefined
      ? `${name}: never imported`
      : `${name}: imported ${f.importedAt}` + (f.count !== undefined ? `, ${f.count} ${what}` : "") + (f.version !== undefined ? `, version ${f.version}` : "") + (f.date !== undefined ? `, dated ${f.date}` : "");
  lines.push(feed("OSV", status.feeds.osv, "records"));
  lines.push(feed("EPSS", status.feeds.epss, "scores"));
  lines.push(feed("KEV", status.feeds.kev, "entries"));
  return `${lines.join("\n")}\n`;
}
