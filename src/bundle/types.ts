/**
 * The narrow internal shapes a Sigstore bundle (v0.1, v0.2, v0.3) and a trusted root are parsed into, once, at the
 * edge (bundle/parse.ts, bundle/trusted-root.ts). Every verification step works on these, never on wire JSON:
 * bytes are bytes (base64 decoded), integers that can exceed 2^53 are bigint, times are Date.
 */

export type BundleVersion = "0.1" | "0.2" | "0.3";

/** The v0.3 media type vouch writes (protobuf-specs: application/vnd.dev.sigstore.bundle.v0.3+json). */
export const BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

export interface Bundle {
  mediaType: string;
  version: BundleVersion;
  material: VerificationMaterial;
  /** Transparency-log entries (Rekor v1 or v2), in bundle order. */
  tlogEntries: TlogEntry[];
  /** RFC 3161 signed timestamps (DER TimeStampResp.timeStampToken or TimeStampToken), in bundle order. */
  timestamps: Uint8Array[];
  content: MessageSignatureContent | DsseContent;
}

export type VerificationMaterial =
  /** A key the verifier must be given out of band; `hint` is the bundle's keyid hint ("" when none). */
  | { kind: "publicKey"; hint: string }
  /** DER certificates, leaf first (v0.3 `certificate` gives only the leaf; v0.1/v0.2 `x509CertificateChain` may give more). */
  | { kind: "certificate"; certificates: Uint8Array[] };

export type DigestAlgorithm = "SHA2_256" | "SHA2_384" | "SHA2_512";

export interface MessageSignatureContent {
  kind: "messageSignature";
  /** The artifact digest the signature covers; absent in some v0.1 bundles. */
  digest?: { algorithm: DigestAlgorithm; value: Uint8Array };
  signature: Uint8Array;
}

export interface DsseEnvelope {
  payload: Uint8Array;
  payloadType: string;
  signatures: { sig: Uint8Array; keyid: string }[];
}

export interface DsseContent {
  kind: "dsseEnvelope";
  envelope: DsseEnvelope;
}

export interface InclusionProof {
  logIndex: bigint;
  rootHash: Uint8Array;
  treeSize: bigint;
  /** Audit path, leaf to root. */
  hashes: Uint8Array[];
  /** C2SP signed-note checkpoint text (with its signature lines). */
  checkpoint: string;
}

export interface TlogEntry {
  logIndex: bigint;
  /** SHA-256 of the log's public key (Rekor v1 log ID / key ID). */
  logId: Uint8Array;
  kind: string;
  kindVersion: string;
  /** Seconds since the epoch; Rekor v2 entries carry none (0 or absent). */
  integratedTime?: bigint;
  /** Signed entry timestamp (Rekor v1's promise of inclusion). */
  signedEntryTimestamp?: Uint8Array;
  inclusionProof?: InclusionProof;
  /** The entry body exactly as the log hashed it (leaf = SHA-256(0x00 || body)). */
  canonicalizedBody: Uint8Array;
}

/** Validity window of a trusted key or CA; `end` absent = still valid. */
export interface ValidityPeriod {
  start: Date;
  end?: Date;
}

export interface TransparencyLogInstance {
  baseUrl: string;
  hashAlgorithm: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKeyDer: Uint8Array;
  /** protobuf-specs PublicKeyDetails, e.g. "PKIX_ECDSA_P256_SHA_256", "PKIX_ED25519". */
  keyDetails: string;
  validFor: ValidityPeriod;
  logId: Uint8Array;
  /** C2SP checkpoint key ID when the root states one (trusted_root v0.2). */
  checkpointKeyId?: Uint8Array;
}

export interface CertificateAuthority {
  uri: string;
  subject: { organization?: string; commonName?: string };
  /** DER certificates, as the root lists them (leaf-most first, root last). */
  certChain: Uint8Array[];
  validFor: ValidityPeriod;
}

export interface TrustedRoot {
  mediaType: string;
  tlogs: TransparencyLogInstance[];
  certificateAuthorities: CertificateAuthority[];
  ctlogs: TransparencyLogInstance[];
  timestampAuthorities: CertificateAuthority[];
}
