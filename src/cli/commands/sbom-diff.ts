import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { out } from "../io.js";

interface DiffOptions {
  output: string;
  failOn?: string;
}

/** `vouch sbom diff <old> <new>`: what changed between two releases' SBOMs, across formats. */
export function registerSbomDiff(sbom: Command): void {
  sbom
    .command("diff <old> <new>")
    .description("compare two SBOMs (SPDX or CycloneDX, mixed): added, removed, upgraded, downgraded, license, hash-mismatch")
    .option("-o, --output <format>", "table or json", "table")
    .option("--fail-on <kinds>", "exit 1 when changes of these kinds exist: added,removed,upgraded,downgraded,license,hash-mismatch or any")
    .action(async (oldFile: string, newFile: string, opts: DiffOptions) => {
      if (opts.output !== "table" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use table or json`);
      const { diffSbomFiles, parseDiffKinds, renderSbomDiffTable } = await import("../../public/sbom-diff.js");
      const result = diffSbomFiles(oldFile, newFile, opts.failOn === undefined ? [] : parseDiffKinds(opts.failOn));
      out(opts.output === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderSbomDiffTable(result));
      if (result.failed) process.exitCode = 1;
    });
}
