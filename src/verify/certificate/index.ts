/**
 * Certificate-side verification steps: the Fulcio chain to a trusted CA at the signing time, the embedded SCTs, and
 * the signer's identity against a policy. Pure functions over parsed input that throw VouchError VERIFY_*.
 */
export { verifyCertificateChain, type VerifiedChain } from "./chain.js";
export { checkIdentity, type Identity, type IdentityPolicy } from "./identity.js";
export { verifyScts, type VerifiedSct } from "./sct.js";
