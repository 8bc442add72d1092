import type { FulcioClaimName } from "../core/x509/oids.js";
import { leafTbs, randomSerial, signCertificate, subjectOf, type LeafOptions, type LeafSan, type TbsSigner } from "./certificates.js";
import { checkProofOfPossession, parseSigningRequest } from "./signing-request.js";

/**
 * The keyless CA (Fulcio's role): an OIDC identity token and a proven public key in, a short-lived code-signing
 * certificate out, logged in certificate transparency first so that every certificate it ever issues is public.
 */

/** Who the token says the signer is, as the certificate will state it (src/ca/identity derives it per issuer type). */
export interface CertifiedIdentity {
  /** The OIDC issuer URL (Fulcio extension 1.8). */
  issuer: string;
  /** What the proof of possession signs: the token's challenge claim (email for email issuers, else `sub`). */
  proofSubject: string;
  san: LeafSan;
  extensions: Partial<Record<FulcioClaimName, string>>;
}

/** Verifies an identity token (signature, issuer, audience, expiry) and derives the identity. */
export interface IdentityTokenVerifier {
  verify(token: string): Promise<CertifiedIdentity>;
}

/**
 * Logs a precertificate in certificate transparency and returns the extnValue of the SCT-list extension to embed
 * (RFC 6962 §3.3). `chain` is [precertificate, issuer, …, root].
 */
export type PrecertificateLogger = (chain: Uint8Array[]) => Promise<Uint8Array>;

export interface CertificateAuthorityOptions {
  /** The intermediate's key. */
  signer: TbsSigner;
  /** [intermediate, root] DER. */
  chain: Uint8Array[];
  identity: IdentityTokenVerifier;
  logPrecertificate: PrecertificateLogger;
  now?: () => Date;
  /** Leaf lifetime in seconds (Fulcio: 10 minutes). */
  validitySeconds?: number;
}

export interface IssuedCertificate {
  /** DER, leaf first, then the intermediate and the root (Fulcio's signedCertificateEmbeddedSct.chain). */
  chain: Uint8Array[];
  identity: CertifiedIdentity;
}

export class CertificateAuthority {
  readonly chain: readonly Uint8Array[];
  readonly #options: CertificateAuthorityOptions;
  readonly #issuerName: LeafOptions["issuer"];

  constructor(options: CertificateAuthorityOptions) {
    this.#options = options;
    this.chain = options.chain;
    this.#issuerName = subjectOf(options.chain[0]!);
  }

  /**
   * Issues a certificate for a Fulcio v2 signing request (the JSON body of POST /api/v2/signingCert): verify the
   * token, check the proof of possession against the token's subject, build the precertificate, log it in CT, and
   * issue the final certificate with the SCT embedded. Nothing is issued unless every step succeeds.
   *
   * @throws VouchError CA_REQUEST_INVALID (malformed request, bad proof), CA_TOKEN_INVALID, CA_ISSUER_UNAVAILABLE
   */
  async issue(body: unknown): Promise<IssuedCertificate> {
    const request = parseSigningRequest(body);
    const identity = await this.#options.identity.verify(request.token);
    const publicKey = checkProofOfPossession(request, identity.proofSubject);
    const notBefore = this.#options.now?.() ?? new Date();
    // X.509 times have whole seconds: round down so the certificate is never valid "before" it was issued.
    notBefore.setMilliseconds(0);
    const leaf: LeafOptions = {
      issuer: this.#issuerName,
      issuerPublicKeyDer: this.#options.signer.publicKeyDer,
      signatureAlgorithm: this.#options.signer.algorithm,
      subjectPublicKeyDer: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
      san: identity.san,
      fulcioExtensions: identity.extensions,
      notBefore,
      notAfter: new Date(notBefore.getTime() + (this.#options.validitySeconds ?? 600) * 1000),
      serial: randomSerial(),
    };
    const precertificate = await signCertificate(leafTbs(leaf, { kind: "poison" }), this.#options.signer);
    const sctList = await this.#options.logPrecertificate([precertificate, ...this.chain]);
    const certificate = await signCertificate(leafTbs(leaf, { kind: "sctList", extnValue: sctList }), this.#options.signer);
    return { chain: [certificate, ...this.chain], identity };
  }
}
