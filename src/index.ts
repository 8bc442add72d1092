/**
 * vouch's public library API. Every CLI verb is one of these functions; the CLI only parses flags and prints.
 */
export { generateSbom, encodeSbom, parseSbomFormat, SBOM_FORMAT_NAMES } from "./api/sbom.js";
export type { GenerateSbomOptions, GeneratedSbom, SbomFormat, EncodeOptions } from "./api/sbom.js";
export { VouchError, isVouchError } from "./core/errors.js";
export type { VouchErrorCode } from "./core/errors.js";
export type { Sbom, Component, Dependency, License, Hash, Scope, Ecosystem } from "./sbom/model/types.js";
export type { CatalogWarning } from "./catalog/types.js";
export { VOUCH_VERSION } from "./version.js";
export { checkSbomFile, checkSbomText, renderCheckTable, parseGateRequirements, GATE_REQUIREMENTS } from "./api/sbom-check.js";
export type { CheckSbomOptions, SbomCheckResult } from "./api/sbom-check.js";
export { diffSbomFiles, renderSbomDiffTable, parseDiffKinds } from "./api/sbom-diff.js";
export type { SbomDiffResult } from "./api/sbom-diff.js";
export { readSbom } from "./sbom/read/index.js";
export type { ReadSbom } from "./sbom/read/index.js";
export { assessQuality, checkGate } from "./sbom/quality/index.js";
export type { QualityReport, GateRequirement, GateResult } from "./sbom/quality/index.js";
export { diffSboms, DIFF_KINDS } from "./sbom/diff/index.js";
export type { SbomDiff, DiffKind } from "./sbom/diff/index.js";
export { verifyArtifact, loadBundle, loadTrustedRoot } from "./api/verify.js";
export type { VerifyOptions } from "./api/verify.js";
export { verifyBundle } from "./verify/verifier.js";
export type { VerificationPolicy, VerificationResult, ArtifactInput, CheckResult, TrustedTime } from "./verify/verifier.js";
export type { IdentityPolicy, Identity } from "./verify/certificate/index.js";
export { parseBundle } from "./bundle/parse.js";
export { serializeBundle } from "./bundle/serialize.js";
export { parseTrustedRoot, publicGoodTrustedRoot } from "./bundle/trusted-root.js";
export type { Bundle, TrustedRoot } from "./bundle/types.js";
