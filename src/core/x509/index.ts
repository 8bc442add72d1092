/**
 * X.509 for Sigstore verification: a narrow certificate view over a strict DER reader, signature checks
 * with node:crypto, and the RFC 6962 embedded-SCT structures. Pure (no I/O); parsed certificates and keys are cached.
 */
export {
  clearCertificateCache,
  describeCertificate,
  extensionText,
  fulcioName,
  parseCertificate,
  type Certificate,
  type DistinguishedName,
  type Extension,
  type KeyUsage,
  type SubjectAltName,
} from "./certificate.js";
export { bytesEqual, hex } from "./der.js";
export { certificateKey, verifyIssuedBy } from "./issued.js";
export { DIGEST_OIDS, FULCIO_EXTENSIONS, FULCIO_OID_PREFIX, OID, type FulcioClaimName } from "./oids.js";
export { parseSctList, precertificateTbs, sctSignedData, type SignedCertificateTimestamp } from "./sct.js";
export {
  digestAlgorithm,
  isSupported,
  publicKey,
  RSA_ENCRYPTION,
  signatureAlgorithm,
  verifySignature,
  type HashName,
  type SignatureAlgorithm,
} from "./signature.js";
