import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, optionalString, requireString, tokenInvalid } from "./claims.js";

// An ASCII addr-spec with a dotted domain: the SAN rfc822Name is an IA5String (RFC 5280 §4.2.1.6), and Fulcio
// refuses what govalidator.IsEmail refuses (no quoted local parts, no address literals).
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * Email identities (Fulcio's pkg/identity/email): the SAN is the verified `email` claim, and the proof of possession
 * signs the email, not `sub`.
 */
export function emailPrincipal(_issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const iss = requireString(claims, "iss");
  const email = requireString(claims, "email");
  // An unverified address is one the user typed, not one the issuer proved they control (Fulcio refuses it).
  // Boolean true, or the string "true" that some providers (AWS Cognito) send, as Fulcio's oauthflow accepts.
  const verified = claims.email_verified;
  if (verified === undefined) throw tokenInvalid('missing claim "email_verified"');
  if (!(verified === true || (typeof verified === "string" && verified.toLowerCase() === "true"))) {
    throw tokenInvalid('claim "email_verified" is not true');
  }
  if (email.length > 254 || !EMAIL.test(email)) throw tokenInvalid(`claim "email" is not a valid email address`);
  return { issuer: iss, proofSubject: email, san: { kind: "email", value: email }, extensions: defined(commonExtensions(iss, optionalString(claims, "sub"))) };
}
