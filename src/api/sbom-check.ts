import { VouchError } from "../core/errors.js";
import { assessQuality, checkGate, renderQualityTable, type GateRequirement, type GateResult, type QualityReport } from "../sbom/quality/index.js";
import { readSbom, type ReadSbom, type ReadWarning } from "../sbom/read/index.js";
import { readTextFile } from "./files.js";

export const GATE_REQUIREMENTS: readonly GateRequirement[] = ["versions", "purls", "licenses", "checksums"];

export interface CheckSbomOptions {
  /** Every component must have these (`--require`). */
  require?: readonly GateRequirement[];
  /** The score must reach this, 0..10 (`--min-score`). */
  minScore?: number;
}

export interface SbomCheckResult {
  file: string;
  format: ReadSbom["format"];
  specVersion: string;
  report: QualityReport;
  gate: GateResult;
  /** Fields that were present but unusable, each ignored (capped; `warningCount` is the total). */
  warnings: ReadWarning[];
  warningCount: number;
}

/**
 * Assess an SBOM from any tool (SPDX 2.2/2.3, CycloneDX 1.4–1.7 JSON) and apply the quality gate.
 * Throws VouchError INPUT_* when the file is not a readable SBOM.
 *
 * @example
 *   const r = checkSbomFile("app.spdx.json", { require: ["purls", "versions"], minScore: 7 });
 *   if (!r.gate.passed) console.error(r.gate.failures.join("\n"));
 */
export function checkSbomFile(file: string, options: CheckSbomOptions = {}): SbomCheckResult {
  return checkSbomText(readTextFile(file), file, options);
}

/** The same over text already in memory. */
export function checkSbomText(text: string, fileName: string, options: CheckSbomOptions = {}): SbomCheckResult {
  const read = readSbom(text, fileName);
  const report = assessQuality(read);
  const gate = checkGate(report, { require: options.require ?? [], minScore: options.minScore });
  return { file: fileName, format: read.format, specVersion: read.specVersion, report, gate, warnings: read.warnings, warningCount: read.warningCount };
}

export function renderCheckTable(result: SbomCheckResult): string {
  const gate = result.gate.passed ? "" : `\nGATE FAILED\n${result.gate.failures.map((f) => `  - ${f}`).join("\n")}\n`;
  return `${result.file} (${result.format} ${result.specVersion})\n${renderQualityTable(result.report)}${gate}`;
}

/** Parse `--require versions,purls`: an unknown word is a usage error naming the choices. */
export function parseGateRequirements(text: string): GateRequirement[] {
  const words = text.split(",").map((w) => w.trim()).filter((w) => w.length > 0);
  for (const w of words) {
    if (!(GATE_REQUIREMENTS as readonly string[]).includes(w)) {
      throw new VouchError("INPUT_USAGE", `--require: unknown requirement "${w}" (one of: ${GATE_REQUIREMENTS.join(", ")})`);
    }
  }
  return words as GateRequirement[];
}
