import { sign, type KeyObject } from "node:crypto";
import { bitString, buildCertificate, extension, ia5, nul, oid, OIDS, seq, utf8, type CertSpec, type TestCertificate } from "./x509-builder.js";

/**
 * Certificates for CT log tests, built with the independent DER writer in x509-builder.ts: a root, an intermediate,
 * precertificates (poison anywhere in the extension list, or broken ones) and final certificates signed over a TBS
 * the test supplies.
 */

export const POISON_OID = "1.3.6.1.4.1.11129.2.4.3";

export interface CaChain {
  root: TestCertificate;
  intermediate: TestCertificate;
}

export function caChain(name = "vouch test"): CaChain {
  const root = buildCertificate({ subject: `${name} root`, ca: true, keyUsage: [5] });
  const intermediate = buildCertificate({ subject: `${name} intermediate`, issuer: root, ca: true, pathLen: 0, keyUsage: [5] });
  return { root, intermediate };
}

export interface PrecertSpec extends Omit<CertSpec, "issuer" | "extensions"> {
  /** Where the poison goes among the extra extensions (default: between a Fulcio issuer extension and an AIA-ish one). */
  poisonAt?: "first" | "middle" | "last" | "only" | "none";
  poisonCritical?: boolean;
  /** The poison's extnValue content (default ASN.1 NULL). */
  poisonValue?: Uint8Array;
}

/** A leaf like Fulcio's, with the poison (RFC 6962 §3.1) at the chosen position. */
export function precertificate(issuer: TestCertificate, spec: PrecertSpec = {}): TestCertificate {
  const poison = extension(POISON_OID, spec.poisonCritical ?? true, spec.poisonValue ?? nul());
  const fulcioIssuer = extension("1.3.6.1.4.1.57264.1.8", false, utf8("https://token.example.test"));
  const other = extension("1.3.6.1.4.1.57264.1.12", false, utf8("https://github.com/x"));
  const at = spec.poisonAt ?? "middle";
  const extensions =
    at === "only" ? [poison] : at === "first" ? [poison, fulcioIssuer, other] : at === "last" ? [fulcioIssuer, other, poison] : at === "none" ? [fulcioIssuer, other] : [fulcioIssuer, poison, other];
  const san = at === "only" ? undefined : [ia5(0x86, "https://github.com/x/y/.github/workflows/release.yml@refs/heads/main")];
  return buildCertificate({ subject: "", eku: at === "only" ? undefined : [OIDS.codeSigning], san, ...spec, issuer, extensions });
}

/** A certificate from a TBS and the issuer's key (ecdsa-with-SHA256). */
export function signTbs(tbs: Uint8Array, issuerKey: KeyObject): Uint8Array {
  const signature = sign("sha256", tbs, { key: issuerKey, dsaEncoding: "der" });
  return seq(tbs, seq(oid(OIDS.ecdsaSha256)), bitString(signature));
}
