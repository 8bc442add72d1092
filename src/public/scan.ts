/** `vouch scan`: match an SBOM, a directory or an image against the advisory database (`vouch db`). */
export { readScanTarget, scan, scanMany, renderScan, renderScanSummary, toScanJson, parseScanOutputFormat, SCAN_OUTPUT_FORMATS } from "../api/scan.js";
export type { ScanTarget, ScanOptions, ScanResult, ScanOutputFormat, ReadScanTargetOptions, RenderScanOptions } from "../api/scan.js";
export { planScan, matchPlan, findingsFrom, matchedIds, cveIds, scanCounts, sourceHint } from "../vuln/scan.js";
export type { ScanComponent, ScanPlan, PlannedComponent, UnmatchedComponent, RawMatch, Enrichment, ScanCounts } from "../vuln/scan.js";
export { parseFailOn, evaluateGate, FAIL_ON_VALUES } from "../vuln/gate.js";
export type { GateOptions, GateResult as ScanGateResult } from "../vuln/gate.js";
export { applyVex, parseVexJson } from "../vuln/vex/index.js";
export type { VexDocument } from "../vuln/vex/index.js";
export type { Finding, SeverityBucket } from "../vuln/findings.js";
