import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { err, out } from "../io.js";

interface CheckOptions {
  output: string;
  require?: string;
  minScore?: string;
}

/** `vouch sbom check <file>`: quality report for any tool's SBOM; a gate with --require / --min-score (sbomqs-like). */
export function registerSbomCheck(sbom: Command): void {
  sbom
    .command("check <file>")
    .description("score an SPDX or CycloneDX JSON SBOM (any tool's) and optionally gate on it")
    .option("-o, --output <format>", "table or json", "table")
    .option("--require <list>", "every component must have these: versions,purls,licenses,checksums")
    .option("--min-score <n>", "fail below this score (0-10)")
    .action(async (file: string, opts: CheckOptions) => {
      if (opts.output !== "table" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use table or json`);
      const { checkSbomFile, parseGateRequirements, renderCheckTable } = await import("../../public/sbom-check.js");
      const result = checkSbomFile(file, {
        require: opts.require === undefined ? [] : parseGateRequirements(opts.require),
        minScore: opts.minScore === undefined ? undefined : parseScore(opts.minScore),
      });
      if (result.warningCount > 0) err(`warning: ${file}: ${result.warningCount} unusable field(s) ignored (first: ${result.warnings[0]?.message ?? ""})`);
      out(opts.output === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderCheckTable(result));
      if (!result.gate.passed) process.exitCode = 1;
    });
}

function parseScore(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 10) throw new VouchError("INPUT_USAGE", `--min-score takes a number from 0 to 10, not "${text}"`);
  return n;
}
