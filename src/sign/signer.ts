/**
 * The signing seam (after sigstore-js packages/sign/src/signer/signer.ts): anything that turns bytes into a signature
 * plus the material a verifier needs to check it. A key file, a PKCS#11 token, a KMS or a keyless (Fulcio) signer
 * are all one `sign` call; bundle building and the transparency-log witness never know which one they got.
 */

/** How a verifier finds the key: a public key it must already hold (named by `hint`), or a certificate chain. */
export type SignerMaterial =
  /** `hint` is the key ID (hex SHA-256 of the SPKI DER); `publicKeyDer` is the SPKI itself, for the log entry. */
  | { kind: "publicKey"; hint: string; publicKeyDer: Uint8Array }
  /** DER certificates, leaf first. */
  | { kind: "certificate"; certificates: Uint8Array[] };

export interface SignatureResult {
  /** ASN.1 DER for ECDSA, 64 raw bytes for Ed25519. */
  signature: Uint8Array;
  material: SignerMaterial;
}

export interface Signer {
  /**
   * Sign `data` as given: the signer applies its algorithm's digest itself (ECDSA P-256 hashes with SHA-256), so a
   * messageSignature bundle's digest and a DSSE PAE both go through the same call.
   */
  sign(data: Uint8Array): Promise<SignatureResult>;
}
