/** The keyless CA's OIDC side: issuer configuration, token verification and Fulcio-style principals. */
export {
  challengeClaim,
  DEFAULT_CLIENT_ID,
  fulcioConfiguration,
  ISSUER_TYPES,
  ISSUERS_SCHEMA,
  matchIssuer,
  resolveIssuers,
  type FulcioIssuerConfiguration,
  type IssuerConfig,
  type IssuerType,
  type MatchedIssuer,
  type ResolvedIssuer,
} from "./config.js";
export { principalFromClaims } from "./principal.js";
export type { Principal, TokenClaims } from "./types.js";
export { ACCEPTED_ALGORITHMS, IdentityVerifier, type IdentityVerifierOptions, type OidcFetch } from "./verifier.js";
