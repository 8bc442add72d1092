import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, tokenInvalid } from "./claims.js";

// SPIFFE ID spec §2: spiffe://<trust domain>[/<segment>...]; trust domain [a-z0-9._-], segments [A-Za-z0-9._-]
// and neither empty nor "." / "..", no query, fragment, port or userinfo, at most 2048 bytes.
const SPIFFE_ID = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)*)$/;

/**
 * SPIFFE identities (Fulcio's pkg/identity/spiffe): `sub` is a SPIFFE ID, which becomes the URI SAN, and it must be
 * in the trust domain configured for this issuer, so that one workload issuer cannot speak for another domain.
 */
export function spiffePrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  const match = sub.length <= 2048 ? SPIFFE_ID.exec(sub) : null;
  if (match === null || (match[2] ?? "").split("/").some((segment) => segment === "." || segment === "..")) {
    throw tokenInvalid(`claim "sub" is not a valid SPIFFE ID: ${JSON.stringify(sub)}`);
  }
  if (match[1] !== issuer.spiffeTrustDomain) {
    throw tokenInvalid(`SPIFFE ID trust domain ${match[1]} is not the configured trust domain ${issuer.spiffeTrustDomain ?? "(none)"}`);
  }
  return { issuer: iss, proofSubject: sub, san: { kind: "uri", value: sub }, extensions: defined(commonExtensions(iss, sub)) };
}
