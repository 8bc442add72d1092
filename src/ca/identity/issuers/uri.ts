import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, tokenInvalid } from "./claims.js";

/**
 * URI identities (Fulcio's pkg/identity/uri): `sub` is a URI that becomes the SAN, and its scheme and host must be
 * exactly the configured subject domain's: the issuer may only name subjects in the domain its operator proved.
 */
export function uriPrincipal(issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  if (sub.includes("@") && !sub.includes("://")) throw tokenInvalid('claim "sub" is an email address, not a URI');
  let subject: URL;
  try {
    subject = new URL(sub);
  } catch {
    throw tokenInvalid(`claim "sub" is not a URI: ${JSON.stringify(sub)}`);
  }
  if (/[^\x21-\x7e]/.test(sub)) throw tokenInvalid('claim "sub" must be a URI of printable ASCII characters');
  const domain = new URL(issuer.subjectDomain ?? "");
  if (subject.protocol !== domain.protocol) throw tokenInvalid(`subject URI scheme ${subject.protocol} must be the subject domain's ${domain.protocol}`);
  if (subject.hostname !== domain.hostname) throw tokenInvalid(`subject host ${subject.hostname} must be the subject domain ${domain.hostname}`);
  return { issuer: iss, proofSubject: sub, san: { kind: "uri", value: sub }, extensions: defined(commonExtensions(iss, sub)) };
}
