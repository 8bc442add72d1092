/**
 * vouch's RFC 6962 certificate transparency log: the service (CtLog), the TLS structures it logs and signs, and the
 * trusted-root entry verifiers need. The HTTP API is src/server/routes/ct.
 */
export {
  CtLog,
  ctLogOrigin,
  ctLogTrustedRootEntry,
  loadOrCreateCtLogKey,
  type AddedSct,
  type CtLogOptions,
  type CtLogTrustedRootEntry,
  type LogEntryWithExtra,
  type SignedTreeHead,
} from "./ct-log.js";
export { fileExtraDataStore, memoryExtraDataStore, type ExtraDataStore } from "./extra-data.js";
export {
  CT_OIDS,
  decodeDigitallySigned,
  decodeMerkleTreeLeaf,
  encodeDigitallySigned,
  encodeExtraData,
  encodeMerkleTreeLeaf,
  encodeSct,
  encodeSctList,
  finalTbsFromPrecert,
  issuerKeyHash,
  precertificateParts,
  sctSignatureInput,
  tbsOf,
  treeHeadSignatureInput,
  type DigitallySigned,
  type Sct,
  type SignedEntry,
  type TimestampedEntry,
  type TreeHead,
} from "./structures.js";
