import type { FulcioClaimName } from "../../core/x509/oids.js";

/**
 * What a verified identity token certifies, derived per issuer type the way Fulcio's identity.Principal does
 * (Name() and Embed()). Plain strings: the CA DER-encodes them (extensions 1.8+ as UTF8String, 1.1-1.6 raw).
 */
export interface Principal {
  /** The token's `iss`: the issuer the verifier checked the signature against. */
  issuer: string;
  /** What the proof of possession signs (Fulcio's principal.Name()): the email for email issuers, else the token's `sub`. */
  proofSubject: string;
  /** The one Subject Alternative Name of the leaf. `otherName` is Fulcio's 1.3.6.1.4.1.57264.1.7 UTF8String (username issuers). */
  san: { kind: "uri" | "email" | "otherName"; value: string };
  /** Fulcio extensions by name (src/core/x509/oids.ts FULCIO_EXTENSIONS); absent when the token has no value. */
  extensions: Partial<Record<FulcioClaimName, string>>;
}

/** A verified token's claims set (JSON object). Attacker-influenced only as far as the issuer lets users shape claims. */
export type TokenClaims = Readonly<Record<string, unknown>>;
