import { VouchError } from "../core/errors.js";
import { BUNDLE_V03_MEDIA_TYPE, type Bundle, type DigestAlgorithm, type DsseEnvelope, type VerificationMaterial } from "../bundle/types.js";
import type { SignerMaterial } from "./signer.js";

/**
 * Bundle builders (after sigstore-js packages/sign/src/bundler): a signature and the signer's material become a
 * Sigstore bundle v0.3. No transparency-log entries or timestamps yet: a Witness (the log issue) appends those to
 * `tlogEntries` / `timestamps` before the bundle is written.
 */

const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { SHA2_256: 32, SHA2_384: 48, SHA2_512: 64 };

/** A messageSignature bundle: the signature is over the artifact, whose digest the bundle records (Sigstore bundle spec). */
export function messageSignatureBundle(
  artifactDigest: { algorithm: DigestAlgorithm; value: Uint8Array },
  signature: Uint8Array,
  material: SignerMaterial,
): Bundle {
  const expected = DIGEST_LENGTH[artifactDigest.algorithm];
  if (artifactDigest.value.length !== expected) {
    throw new VouchError("INPUT_MALFORMED", `a ${artifactDigest.algorithm} digest is ${expected} bytes, not ${artifactDigest.value.length}`);
  }
  if (signature.length === 0) throw new VouchError("INPUT_MALFORMED", "empty signature");
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    version: "0.3",
    material: bundleMaterial(material),
    tlogEntries: [],
    timestamps: [],
    content: { kind: "messageSignature", digest: { algorithm: artifactDigest.algorithm, value: artifactDigest.value }, signature },
  };
}

/** A DSSE bundle: the envelope's one signature is over PAE(payloadType, payload) (DSSE v1 protocol). */
export function dsseBundle(envelope: DsseEnvelope, material: SignerMaterial): Bundle {
  if (envelope.signatures.length !== 1) {
    throw new VouchError("INPUT_MALFORMED", `a bundle's DSSE envelope holds exactly one signature, not ${envelope.signatures.length}`);
  }
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    version: "0.3",
    material: bundleMaterial(material),
    tlogEntries: [],
    timestamps: [],
    content: { kind: "dsseEnvelope", envelope },
  };
}

/**
 * What the bundle says about the key: the hint for a public key (the key itself travels out of band), the leaf
 * certificate alone for a chain (bundle v0.3 `certificate`: the verifier builds the chain from its trusted root).
 */
function bundleMaterial(material: SignerMaterial): VerificationMaterial {
  if (material.kind === "publicKey") return { kind: "publicKey", hint: material.hint };
  const leaf = material.certificates[0];
  if (leaf === undefined) throw new VouchError("INPUT_MALFORMED", "certificate material without a certificate");
  return { kind: "certificate", certificates: [leaf] };
}
