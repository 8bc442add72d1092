/**
 * Transparency-log verification steps over one TlogEntry and the trusted root's logs: inclusion proof and signed
 * checkpoint, signed entry timestamp (Rekor v1), and the entry body against the bundle's content and signer.
 */
export { verifyEntryBody, type LoggedContent, type LoggedMessageSignature, type SignerMaterial } from "./body.js";
export { parseEntryBody, type LogEntryBody, type LoggedSignature, type LoggedVerifier } from "./body-parse.js";
export { verifyInclusionProof, type InclusionProofOptions, type VerifiedInclusion } from "./inclusion-proof.js";
export { isValidAt, selectLogKey } from "./select-log-key.js";
export { verifySignedEntryTimestamp, type VerifiedSet } from "./set.js";
export { checkWitnessCosignatures, witnessKeys, type WitnessCosignature, type WitnessPolicy } from "./witnesses.js";
