/**
 * Verifying Sigstore bundles (`vouch verify`, `vouch conformance verify-bundle`): bundle and trusted-root parsing,
 * the verifier, and the many-bundle verifier on worker threads.
 */
export { verifyArtifact, loadBundle, loadTrustedRoot } from "../api/verify.js";
export { verificationPolicy } from "../api/verify.js";
export type { VerifyOptions, VerificationInputs } from "../api/verify.js";
export { verifyBundle } from "../verify/verifier.js";
export type { VerificationPolicy, VerificationResult, ArtifactInput, CheckResult, TrustedTime } from "../verify/verifier.js";
export type { IdentityPolicy, Identity } from "../verify/certificate/index.js";
export { parseBundle } from "../bundle/parse.js";
export { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
export type { Bundle, TrustedRoot } from "../bundle/types.js";
export { createVerifier } from "../api/verify-many.js";
export type { Verifier, VerifierOptions, VerifyRequest, VerifyThresholds, VerifyManyOptions, VerificationOutcome, IndexedOutcome, OutcomeCode } from "../api/verify-many.js";
