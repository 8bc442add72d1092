import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, tokenInvalid } from "./claims.js";

/**
 * Username identities (Fulcio's pkg/identity/username): the SAN is an otherName (OID 1.3.6.1.4.1.57264.1.7,
 * UTF8String) `<sub>!<subjectDomain>`, which cannot collide with a real email address the way `<sub>@<domain>`
 * could. The proof of possession signs the bare username.
 */
export function usernamePrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  if (sub.includes("!")) throw tokenInvalid('claim "sub": a username cannot contain "!"');
  if (sub.includes("@")) throw tokenInvalid('claim "sub": a username cannot be an email address');
  return {
    issuer: iss,
    proofSubject: sub,
    san: { kind: "otherName", value: `${sub}!${issuer.subjectDomain ?? ""}` },
    extensions: defined(commonExtensions(iss, sub)),
  };
}
