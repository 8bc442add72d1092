import { VouchError } from "../../../core/errors.js";
import type { FulcioClaimName } from "../../../core/x509/oids.js";
import type { Principal, TokenClaims } from "../types.js";

/**
 * Claim readers shared by the issuer types. Claims come from a token whose signature has been verified, but what a
 * CI user can influence (branch names, workflow file names) still reaches them, so every value is checked before it
 * is written into a certificate: strings only, no control characters (they would render misleadingly in tools that
 * print extensions), and URIs that parse.
 */

function invalid(message: string): VouchError {
  return new VouchError("CA_TOKEN_INVALID", message);
}

// C0 controls and DEL. Legitimate claim values (refs, paths, emails, names) never contain them.
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function checked(name: string, value: string): string {
  if (hasControlCharacter(value)) throw invalid(`claim "${name}" contains control characters`);
  return value;
}

/** A claim that must be a non-empty string. `label` names it in refusals when it is nested (kubernetes.io.namespace). */
export function requireString(claims: TokenClaims, name: string, label: string = name): string {
  const value = claims[name];
  if (value === undefined || value === null || value === "") throw invalid(`missing claim "${label}"`);
  if (typeof value !== "string") throw invalid(`claim "${label}" must be a string`);
  return checked(label, value);
}

/** A claim that may be absent (or empty, which Fulcio treats as absent); present, it must be a string. */
export function optionalString(claims: TokenClaims, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw invalid(`claim "${name}" must be a string`);
  return checked(name, value);
}

/** A claim some issuers send as a number and others as a string (Buildkite's build_number): decimal text either way. */
export function requireIdentifier(claims: TokenClaims, name: string): string {
  const value = claims[name];
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(`claim "${name}" must be a non-negative integer`);
    return String(value);
  }
  return requireString(claims, name);
}

/** A nested object claim (kubernetes.io), or undefined. */
export function objectClaim(claims: TokenClaims, name: string): TokenClaims | undefined {
  const value = claims[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(`claim "${name}" must be an object`);
  return value as TokenClaims;
}

/**
 * A URI for the SAN or a *URI extension. Non-ASCII and spaces are percent-encoded the way Go's url.URL.String()
 * writes them (the SAN is an IA5String; a branch may be named "ünïcode"), and the result must parse as a URL.
 */
export function toUri(raw: string, from: string): string {
  const encoded = raw.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  if (!URL.canParse(encoded)) throw invalid(`${from} does not form a URI: ${JSON.stringify(raw)}`);
  return encoded;
}

/** `<base>/<path>` for claims that are paths under a server URL (Fulcio's `{{ .url }}/{{ .claim }}` templates). */
export function joinUrl(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ""), ...parts].join("/");
}

/**
 * Extensions every Fulcio certificate carries: the issuer, in the deprecated raw form (1.1) and as UTF8String
 * (1.8), and the token's raw `sub` (1.24, Fulcio's Extensions.Subject, set by current Fulcio for every issuer type),
 * which lets a verifier pin the exact subject even where the SAN is derived from other claims.
 */
export function commonExtensions(iss: string, sub: string | undefined): Partial<Record<FulcioClaimName, string>> {
  return { issuerV1: iss, issuer: iss, ...(sub === undefined ? {} : { tokenSubject: sub }) };
}

/** Drops undefined values, so the extension map holds only what the certificate will carry (Fulcio skips empty strings). */
export function defined(extensions: Partial<Record<FulcioClaimName, string | undefined>>): Principal["extensions"] {
  const out: Principal["extensions"] = {};
  for (const [name, value] of Object.entries(extensions) as [FulcioClaimName, string | undefined][]) {
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/** The token's `iss` and `sub`, which jwtVerify already required to be present. */
export function issuerAndSubject(claims: TokenClaims): { iss: string; sub: string } {
  return { iss: requireString(claims, "iss"), sub: requireString(claims, "sub") };
}

export { invalid as tokenInvalid };
