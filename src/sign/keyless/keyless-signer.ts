import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { publicKeyDer, publicKeyPem, sign } from "../../core/crypto/keys.js";
import { VouchError } from "../../core/errors.js";
import { parseCertificate } from "../../core/x509/certificate.js";
import type { Signer, SignatureResult, SignerMaterial } from "../signer.js";
import { requestSigningCertificate } from "./fulcio-client.js";
import type { KeylessFetch } from "./http.js";
import { decodeJwtClaims, proofOfPossessionSubject } from "./identity-token.js";

export interface KeylessSignerOptions {
  /** The CA's base URL (Fulcio v2 API). */
  caUrl: string;
  /** The OIDC identity token the certificate is bound to (see getIdentityToken). */
  identityToken: string;
  fetch?: KeylessFetch;
}

/**
 * A Signer with a short-lived certificate instead of a long-lived key (after sigstore-js FulcioSigner with its
 * EphemeralSigner): an ECDSA P-256 key made in memory for this signer only, certified by the CA for the token's
 * identity on first use, and never written anywhere. Its material is the CA's chain, leaf first; the bundle builder
 * keeps only the leaf (bundle v0.3: the verifier has the rest in its trusted root).
 *
 * @example
 *   const signer = new KeylessSigner({ caUrl: "https://fulcio.sigstore.dev", identityToken });
 *   const { signature, material } = await signer.sign(bytes);
 */
export class KeylessSigner implements Signer {
  readonly #privateKey: KeyObject;
  readonly #publicKeyDer: Uint8Array;
  readonly #options: KeylessSignerOptions;
  #material: Promise<SignerMaterial> | undefined;

  constructor(options: KeylessSignerOptions) {
    this.#options = options;
    // P-256 with SHA-256: the one key type every Fulcio accepts and the keyDetails Rekor v2 entries name.
    this.#privateKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    this.#publicKeyDer = publicKeyDer(this.#privateKey);
  }

  async sign(data: Uint8Array): Promise<SignatureResult> {
    // One certificate per signer: it is asked for once and reused while the signer lives (its 10 minutes are the
    // caller's to respect; a signature made after the leaf expired fails verification without a earlier timestamp).
    this.#material ??= this.#certify();
    const material = await this.#material;
    return { signature: sign(this.#privateKey, data), material };
  }

  async #certify(): Promise<SignerMaterial> {
    const claims = decodeJwtClaims(this.#options.identityToken);
    // Proof of possession: the key signs the identity the certificate will name, so a token intercepted in flight
    // cannot be turned into a certificate for another key (Fulcio's challenge).
    const challenge = sign(this.#privateKey, Buffer.from(proofOfPossessionSubject(claims), "utf8"));
    const certificates = await requestSigningCertificate(
      { url: this.#options.caUrl, fetch: this.#options.fetch },
      { identityToken: this.#options.identityToken, publicKeyPem: publicKeyPem(this.#privateKey), proofOfPossession: challenge },
    );
    // A CA (or something in between) answering with a certificate for another key would make every signature
    // unverifiable, or worse, bind this signature to someone else's certificate: check before signing anything.
    const leaf = parseCertificate(certificates[0]!);
    if (!Buffer.from(leaf.publicKeyDer).equals(Buffer.from(this.#publicKeyDer))) {
      throw new VouchError("SERVICE_UNAVAILABLE", `the certificate authority at ${this.#options.caUrl} issued a certificate for another public key`);
    }
    return { kind: "certificate", certificates };
  }
}
