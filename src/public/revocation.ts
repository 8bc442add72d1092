/** Key revocation (`vouch key revoke`, `vouch key revocations`): the data directory's signed list and the verifier's decision. */
export { revokeKey, loadRevocations, exportRevocations, loadRevocationsExport, revocationsForVerification, REVOCATION_FILES } from "../api/revocation.js";
export type { RevokeKeyOptions, RevokeKeyResult, LoadedRevocations, RevocationsExport } from "../api/revocation.js";
export { checkRevocation, addRevocation, parseRevocationList, openRevocationEnvelope, revocationListDocument, REVOCATIONS_MEDIA_TYPE } from "../verify/revocation.js";
export type { Revocation, RevocationList, RevocationDecision } from "../verify/revocation.js";
