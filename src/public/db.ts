/** The advisory database (`vouch db import`, `vouch db status`). */
export { importAdvisories, MAX_WARNINGS } from "../vuln/import/import.js";
export type { AdvisoryImportOptions, AdvisoryImportSummary, AdvisoryImportWarning } from "../vuln/import/import.js";
export { openEpssCsv } from "../vuln/import/epss.js";
export { parseKevJson } from "../vuln/import/kev.js";
export { renderImportSummary, renderStatusTable } from "../api/db.js";
export type { AdvisoryStatus, AdvisoryStore, AdvisoryPackageKey, EpssScore, KevEntry } from "../store/ports.js";
