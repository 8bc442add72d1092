import { VouchError } from "../core/errors.js";
import { BUNDLE_V03_MEDIA_TYPE, type Bundle, type TlogEntry, type VerificationMaterial } from "./types.js";
import { encodeBase64 } from "./wire.js";

/** A Sigstore bundle v0.3 in the protobuf JSON mapping, as vouch writes it. */
export interface SerializedBundle {
  mediaType: typeof BUNDLE_V03_MEDIA_TYPE;
  verificationMaterial: SerializedMaterial & {
    tlogEntries: SerializedTlogEntry[];
    timestampVerificationData?: { rfc3161Timestamps: { signedTimestamp: string }[] };
  };
  messageSignature?: { messageDigest?: { algorithm: string; digest: string }; signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
}

type SerializedMaterial = { publicKey: { hint: string } } | { certificate: { rawBytes: string } };

export interface SerializedTlogEntry {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime?: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  inclusionProof: {
    logIndex: string;
    rootHash: string;
    treeSize: string;
    hashes: string[];
    checkpoint: { envelope: string };
  };
  canonicalizedBody: string;
}

/**
 * Write a bundle as v0.3 (media type application/vnd.dev.sigstore.bundle.v0.3+json), whatever version it was read
 * as: protobuf JSON names in field-number order, int64 as decimal strings, bytes as padded base64. The result is
 * deterministic, so the same bundle always serializes to the same bytes.
 *
 * A certificate chain is written as its leaf (`certificate`): v0.3 forbids `x509CertificateChain`, and the
 * intermediates a v0.1 bundle may carry are not trusted anyway (the chain is built from the trusted root).
 * A bundle v0.3 cannot express is refused (INPUT_UNSUPPORTED_FORMAT) rather than written so that parseBundle would
 * reject it: a log entry without an inclusion proof and checkpoint (a v0.1 SET-only entry), or a DSSE envelope with
 * other than one signature.
 *
 * @example
 *   const text = JSON.stringify(serializeBundle(bundle));
 */
export function serializeBundle(bundle: Bundle): SerializedBundle {
  const verificationMaterial: SerializedBundle["verificationMaterial"] = {
    ...serializeMaterial(bundle.material),
    tlogEntries: bundle.tlogEntries.map(serializeTlogEntry),
  };
  if (bundle.timestamps.length > 0) {
    verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: bundle.timestamps.map((t) => ({ signedTimestamp: encodeBase64(t) })),
    };
  }
  const out: SerializedBundle = { mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial };
  const content = bundle.content;
  if (content.kind === "messageSignature") {
    out.messageSignature = {
      ...(content.digest && {
        messageDigest: { algorithm: content.digest.algorithm, digest: encodeBase64(content.digest.value) },
      }),
      signature: encodeBase64(content.signature),
    };
  } else {
    const { envelope } = content;
    if (envelope.signatures.length !== 1) {
      unwritable(`a bundle's DSSE envelope holds exactly one signature, this one has ${envelope.signatures.length}`);
    }
    out.dsseEnvelope = {
      payload: encodeBase64(envelope.payload),
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ sig: encodeBase64(s.sig), keyid: s.keyid })),
    };
  }
  return out;
}

function serializeMaterial(material: VerificationMaterial): SerializedMaterial {
  if (material.kind === "publicKey") return { publicKey: { hint: material.hint } };
  const leaf = material.certificates[0];
  if (leaf === undefined) unwritable("the certificate material holds no certificate");
  return { certificate: { rawBytes: encodeBase64(leaf) } };
}

function serializeTlogEntry(entry: TlogEntry, index: number): SerializedTlogEntry {
  const proof = entry.inclusionProof;
  if (proof === undefined || proof.checkpoint === "") {
    unwritable(`log entry ${index} (log index ${entry.logIndex}) has no inclusion proof with a checkpoint, which v0.3 requires`);
  }
  return {
    logIndex: entry.logIndex.toString(),
    logId: { keyId: encodeBase64(entry.logId) },
    kindVersion: { kind: entry.kind, version: entry.kindVersion },
    ...(entry.integratedTime !== undefined && entry.integratedTime !== 0n && { integratedTime: entry.integratedTime.toString() }),
    ...(entry.signedEntryTimestamp && {
      inclusionPromise: { signedEntryTimestamp: encodeBase64(entry.signedEntryTimestamp) },
    }),
    inclusionProof: {
      logIndex: proof.logIndex.toString(),
      rootHash: encodeBase64(proof.rootHash),
      treeSize: proof.treeSize.toString(),
      hashes: proof.hashes.map(encodeBase64),
      checkpoint: { envelope: proof.checkpoint },
    },
    canonicalizedBody: encodeBase64(entry.canonicalizedBody),
  };
}

function unwritable(reason: string): never {
  throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `cannot write a v0.3 bundle: ${reason}`);
}
