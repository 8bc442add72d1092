import { VouchError } from "../core/errors.js";
import { DIFF_KINDS, diffFails, diffSboms, renderDiffTable, type DiffKind, type SbomDiff } from "../sbom/diff/index.js";
import { readSbom } from "../sbom/read/index.js";
import { readTextFile } from "./files.js";

export interface SbomDiffResult {
  old: { file: string; format: string; specVersion: string };
  new: { file: string; format: string; specVersion: string };
  diff: SbomDiff;
  /** True when a change of a `failOn` kind is present. */
  failed: boolean;
}

/**
 * Compare two SBOMs, across formats: added, removed, upgraded, downgraded, license changed, and the same
 * name and version with a different checksum (a substitution).
 *
 * @example
 *   const r = diffSbomFiles("v1.spdx.json", "v2.cdx.json", ["hash-mismatch"]);
 *   if (r.failed) process.exitCode = 1;
 */
export function diffSbomFiles(oldFile: string, newFile: string, failOn: readonly DiffKind[] = []): SbomDiffResult {
  const before = readSbom(readTextFile(oldFile), oldFile);
  const after = readSbom(readTextFile(newFile), newFile);
  const diff = diffSboms(before.sbom, after.sbom);
  return {
    old: { file: oldFile, format: before.format, specVersion: before.specVersion },
    new: { file: newFile, format: after.format, specVersion: after.specVersion },
    diff,
    failed: diffFails(diff, failOn),
  };
}

export function renderSbomDiffTable(result: SbomDiffResult): string {
  return `${result.old.file} (${result.old.format} ${result.old.specVersion}) -> ${result.new.file} (${result.new.format} ${result.new.specVersion})\n${renderDiffTable(result.diff)}`;
}

/** Parse `--fail-on added,hash-mismatch` ("any" means every kind). */
export function parseDiffKinds(text: string): DiffKind[] {
  const words = text.split(",").map((w) => w.trim()).filter((w) => w.length > 0);
  if (words.includes("any")) return [...DIFF_KINDS];
  for (const w of words) {
    if (!(DIFF_KINDS as readonly string[]).includes(w)) {
      throw new VouchError("INPUT_USAGE", `--fail-on: unknown change kind "${w}" (one of: ${DIFF_KINDS.join(", ")}, any)`);
    }
  }
  return words as DiffKind[];
}
