/** Comparing two SBOMs across formats (`vouch sbom diff`). */
export { diffSbomFiles, renderSbomDiffTable, parseDiffKinds } from "../api/sbom-diff.js";
export type { SbomDiffResult } from "../api/sbom-diff.js";
export { diffSboms, DIFF_KINDS } from "../sbom/diff/index.js";
export type { SbomDiff, DiffKind } from "../sbom/diff/index.js";
