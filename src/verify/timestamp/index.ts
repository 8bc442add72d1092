/** RFC 3161 signed timestamps: the trusted signing time from a timestamp authority of the trusted root. */
export { verifyTimestamp } from "./verify.js";
export { parseTimestampToken, type SignerInfo, type TimestampToken } from "./token.js";
