/** Report writers for scan findings: pure, deterministic, one per format. */
export { renderTable, type TableOptions } from "./table.js";
export { renderJson, toJsonReport, type JsonReport } from "./json.js";
export { toSarif, type SarifOptions } from "./sarif.js";
export { toCycloneDxVex, type CycloneDxVexOptions } from "./cyclonedx.js";
