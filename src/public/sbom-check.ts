/** Reading any tool's SBOM and scoring it (`vouch sbom check`): the SPDX/CycloneDX readers and the quality gate. */
export { checkSbomFile, checkSbomText, renderCheckTable, parseGateRequirements, GATE_REQUIREMENTS } from "../api/sbom-check.js";
export type { CheckSbomOptions, SbomCheckResult } from "../api/sbom-check.js";
export { readSbom } from "../sbom/read/index.js";
export type { ReadSbom } from "../sbom/read/index.js";
export { assessQuality, checkGate } from "../sbom/quality/index.js";
export type { QualityReport, GateRequirement, GateResult } from "../sbom/quality/index.js";
