export { diffFails, diffSboms } from "./diff.js";
export { renderDiffTable } from "./render.js";
export { compareVersions, sortVersions } from "./version-order.js";
export { DIFF_KINDS } from "./types.js";
export type { DiffComponent, DiffKind, DigestMismatch, HashMismatch, LicenseChange, SbomDiff, VersionChange } from "./types.js";
