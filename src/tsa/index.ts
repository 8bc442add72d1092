/** The RFC 3161 timestamp authority of `vouch serve` (issue 5): request parsing, signing, key files, trust entry. */
export { rejectionResponse, TimestampAuthority, TSA_POLICY_OID, type TimestampAuthorityOptions } from "./authority.js";
export { createTsaChain, type TsaChainOptions, type TsaKeyAlgorithm } from "./certificates.js";
export { loadOrCreateTsa, readTsaChain, tsaChainFile, tsaKeyFile, type LoadOrCreateTsaOptions } from "./files.js";
export {
  parseJsonTimestampRequest,
  parseTimestampRequest,
  TsaRequestError,
  type ImprintHash,
  type ParseRequestOptions,
  type TimestampRequest,
  type TsaFailure,
} from "./request.js";
export { timestampAuthorityEntry, TSA_PATH, tsaUrl, type TimestampAuthorityEntryOptions, type TimestampAuthorityJson } from "./trust.js";
