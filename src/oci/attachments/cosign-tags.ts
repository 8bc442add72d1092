import type { Bundle, DsseEnvelope, TlogEntry, VerificationMaterial } from "../../bundle/types.js";
import type { Descriptor } from "../../catalog/sources/image/types.js";
import { VouchError } from "../../core/errors.js";
import { decodePemBlocks } from "../../core/encoding/pem.js";
import { digestOf, parseDigest } from "../digest.js";
import type { ManifestDocument } from "../manifest.js";
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./simple-signing.js";
import {
  buildManifest,
  checkBlob,
  decodeStdBase64,
  describe,
  encodeStdBase64,
  goJson,
  isRecord,
  OCI_CONFIG_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  parseJsonBytes,
  utf8,
  type BuiltArtifact,
} from "./encode.js";

/**
 * cosign's tag layout (cosign v1/v2, and v3 with `--tag-fallback`-style registries; specs/SIGNATURE_SPEC.md,
 * specs/ATTESTATION_SPEC.md): every signature of an image is a layer of ONE image tagged `sha256-<hex>.sig`,
 * every attestation a layer of `sha256-<hex>.att`. A signature layer is the simple-signing payload; an attestation
 * layer is the DSSE envelope JSON. What a verifier needs besides the payload travels as layer annotations, written
 * here exactly as cosign's pkg/oci/static does:
 *   - `dev.cosignproject.cosign/signature`: the base64 signature ("" on attestations: the envelope holds it);
 *   - `dev.sigstore.cosign/certificate` and `dev.sigstore.cosign/chain`: PEM (the chain is "" when there is none,
 *     but present whenever the certificate is);
 *   - `dev.sigstore.cosign/bundle`: the Rekor entry with its SET, cosign's RekorBundle JSON
 *     `{"SignedEntryTimestamp":…,"Payload":{"body":…,"integratedTime":…,"logIndex":…,"logID":…}}`;
 *   - `dev.sigstore.cosign/rfc3161timestamp`: `{"SignedRFC3161Timestamp":"<base64 DER>"}`;
 *   - `predicateType` on attestations.
 * The image's config is what go-containerregistry writes for cosign's empty image with these layers appended.
 */

export type CosignTagSuffix = ".sig" | ".att" | ".sbom";

export const DSSE_ENVELOPE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
export const ANNOTATION_SIGNATURE = "dev.cosignproject.cosign/signature";
export const ANNOTATION_CERTIFICATE = "dev.sigstore.cosign/certificate";
export const ANNOTATION_CHAIN = "dev.sigstore.cosign/chain";
export const ANNOTATION_BUNDLE = "dev.sigstore.cosign/bundle";
export const ANNOTATION_RFC3161_TIMESTAMP = "dev.sigstore.cosign/rfc3161timestamp";
export const ANNOTATION_PREDICATE_TYPE = "predicateType";

/** The media type of a bundle read from cosign's tag layout: its entries carry a SET and no inclusion proof. */
const LEGACY_BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.1";

/**
 * The tag cosign stores an image's signatures (`.sig`), attestations (`.att`) or SBOMs (`.sbom`) under:
 * `sha256:<hex>` → `sha256-<hex>.sig` (SIGNATURE_SPEC "Tag-based Discovery").
 *
 * @example
 *   cosignTag("sha256:9f86…0a08", ".sig"); // "sha256-9f86…0a08.sig"
 */
export function cosignTag(digest: string, suffix: CosignTagSuffix): string {
  let parsed;
  try {
    parsed = parseDigest(digest);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `cosign tag: ${(error as Error).message}`, { cause: error });
  }
  return `${parsed.algorithm}-${parsed.hex}${suffix}`;
}

/** cosign's RekorBundle (pkg/cosign/bundle/rekor.go) in a narrow shape: bytes as bytes, integers as bigint. */
export interface RekorBundle {
  signedEntryTimestamp: Uint8Array;
  /** The canonicalized entry body, as the log hashed it. */
  body: Uint8Array;
  integratedTime: bigint;
  logIndex: bigint;
  /** SHA-256 of the log's public key. */
  logId: Uint8Array;
}

/**
 * The Rekor bundle cosign writes for a log entry (the write side of `dev.sigstore.cosign/bundle`).
 *
 * @throws VouchError INPUT_USAGE when the entry has no SET or integrated time (Rekor v2 entries have neither: cosign's
 *   tag layout cannot carry them, only a bundle referrer can).
 */
export function rekorBundleFromTlogEntry(entry: TlogEntry): RekorBundle {
  if (entry.signedEntryTimestamp === undefined || entry.signedEntryTimestamp.length === 0 || entry.integratedTime === undefined || entry.integratedTime === 0n) {
    throw new VouchError("INPUT_USAGE", `log index ${entry.logIndex} has no signed entry timestamp and integrated time, which cosign's bundle annotation needs`);
  }
  return {
    signedEntryTimestamp: entry.signedEntryTimestamp,
    body: entry.canonicalizedBody,
    integratedTime: entry.integratedTime,
    logIndex: entry.logIndex,
    logId: entry.logId,
  };
}

/** The annotation value, byte for byte what Go's json.Marshal of cosign's RekorBundle gives. */
export function encodeRekorBundle(bundle: RekorBundle): string {
  return (
    `{"SignedEntryTimestamp":"${encodeStdBase64(bundle.signedEntryTimestamp)}","Payload":{"body":"${encodeStdBase64(bundle.body)}",` +
    `"integratedTime":${bundle.integratedTime},"logIndex":${bundle.logIndex},"logID":"${Buffer.from(bundle.logId).toString("hex")}"}}`
  );
}

/** Parses `dev.sigstore.cosign/bundle`; every field is required and type-checked (INPUT_MALFORMED naming it). */
export function parseRekorBundle(text: string, where = ANNOTATION_BUNDLE): RekorBundle {
  const root = parseJsonBytes(text, where);
  if (!isRecord(root)) throw malformed(where, "is not a JSON object");
  const set = root.SignedEntryTimestamp;
  if (typeof set !== "string" || set === "") throw malformed(where, "SignedEntryTimestamp is missing");
  const payload = root.Payload;
  if (!isRecord(payload)) throw malformed(where, "Payload is not an object");
  if (typeof payload.body !== "string" || payload.body === "") throw malformed(where, "Payload.body is missing");
  const integer = (value: unknown, name: string): bigint => {
    // Rekor v1 indices and Unix times are far below 2^53; a value JSON.parse cannot hold exactly is refused.
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw malformed(where, `Payload.${name} is not a non-negative integer`);
    return BigInt(value);
  };
  const integratedTime = integer(payload.integratedTime, "integratedTime");
  const logIndex = integer(payload.logIndex, "logIndex");
  if (typeof payload.logID !== "string" || !/^[0-9a-fA-F]{64}$/.test(payload.logID)) throw malformed(where, "Payload.logID is not a hex SHA-256");
  return {
    signedEntryTimestamp: decodeStdBase64(set, `${where}: SignedEntryTimestamp`),
    body: decodeStdBase64(payload.body, `${where}: Payload.body`),
    integratedTime,
    logIndex,
    logId: new Uint8Array(Buffer.from(payload.logID, "hex")),
  };
}

/** A layer of a cosign `.sig`/`.att` image: its descriptor (annotations included) and the blob to push. */
export interface LegacyLayer {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

interface LegacyMaterial {
  /** The signer's certificate (PEM), keyless; absent for a key. */
  certificatePem?: string;
  /** The rest of the chain (PEM, concatenated). */
  chainPem?: string;
  rekorBundle?: RekorBundle;
  /** An RFC 3161 timestamp (DER) over the signature. */
  rfc3161Timestamp?: Uint8Array;
}

/**
 * A `.sig` layer: the simple-signing payload, its signature and the verifier's material as annotations.
 *
 * @example
 *   legacySignatureLayer({ payload, signature, rekorBundle: rekorBundleFromTlogEntry(bundle.tlogEntries[0]!) });
 */
export function legacySignatureLayer(input: { payload: Uint8Array; signature: Uint8Array } & LegacyMaterial): LegacyLayer {
  if (input.signature.length === 0) throw new VouchError("INPUT_USAGE", "a signature layer needs a signature");
  return layer(input.payload, SIMPLE_SIGNING_MEDIA_TYPE, { [ANNOTATION_SIGNATURE]: encodeStdBase64(input.signature), ...materialAnnotations(input) });
}

/** An `.att` layer: the DSSE envelope JSON (cosign's signed payload), with an empty signature annotation as cosign writes. */
export function legacyAttestationLayer(input: { envelopeJson: Uint8Array; predicateType: string } & LegacyMaterial): LegacyLayer {
  parseEnvelope(input.envelopeJson, "attestation envelope"); // an envelope a reader would refuse is not written
  if (input.predicateType === "") throw new VouchError("INPUT_USAGE", "an attestation layer needs a predicate type");
  return layer(input.envelopeJson, DSSE_ENVELOPE_MEDIA_TYPE, { [ANNOTATION_SIGNATURE]: "", [ANNOTATION_PREDICATE_TYPE]: input.predicateType, ...materialAnnotations(input) });
}

function layer(bytes: Uint8Array, mediaType: string, annotations: Record<string, string>): LegacyLayer {
  return { descriptor: describe(bytes, mediaType, annotations), bytes };
}

function materialAnnotations(input: LegacyMaterial): Record<string, string> {
  const out: Record<string, string> = {};
  if (input.chainPem !== undefined && input.chainPem !== "" && input.certificatePem === undefined) {
    throw new VouchError("INPUT_USAGE", "a certificate chain needs the certificate (SIGNATURE_SPEC: chain requires certificate)");
  }
  if (input.certificatePem !== undefined) {
    out[ANNOTATION_CERTIFICATE] = input.certificatePem;
    out[ANNOTATION_CHAIN] = input.chainPem ?? "";
  }
  if (input.rekorBundle !== undefined) out[ANNOTATION_BUNDLE] = encodeRekorBundle(input.rekorBundle);
  if (input.rfc3161Timestamp !== undefined) out[ANNOTATION_RFC3161_TIMESTAMP] = goJson({ SignedRFC3161Timestamp: encodeStdBase64(input.rfc3161Timestamp) });
  return out;
}

/**
 * The `.sig`/`.att` image with `layer` appended to what the tag held (`existing`, the parsed manifest; undefined
 * when the tag does not exist yet), and the blobs to push: the new layer and the new config. An identical layer
 * (same blob and same signature) is not added twice, as cosign's dupe detection does; the order of the others is
 * kept. The config is go-containerregistry's for these images: empty architecture and os, one diff ID and one
 * empty history entry per layer, `created` the zero time unless given (cosign's `--record-creation-timestamp`).
 *
 * @throws VouchError INPUT_MALFORMED when the tag holds an index (not a cosign signature image).
 */
export function appendLegacyLayer(existing: ManifestDocument | undefined, add: LegacyLayer, options: { created?: Date } = {}): BuiltArtifact {
  if (existing !== undefined && existing.kind !== "manifest") throw new VouchError("INPUT_MALFORMED", "the cosign tag holds an image index, not a signature image");
  const layers = [...(existing?.layers ?? [])];
  const signature = add.descriptor.annotations?.[ANNOTATION_SIGNATURE];
  const duplicate = layers.some((l) => l.digest === add.descriptor.digest && l.annotations?.[ANNOTATION_SIGNATURE] === signature);
  if (!duplicate) layers.push(add.descriptor);
  const built = cosignImage(layers, {
    ...(existing ? { mediaType: existing.mediaType, configMediaType: existing.config.mediaType } : {}),
    ...(existing?.annotations ? { annotations: existing.annotations } : {}),
    ...(options.created ? { created: options.created } : {}),
  });
  return { manifest: built.manifest, blobs: duplicate ? built.blobs : [...built.blobs, { descriptor: add.descriptor, bytes: add.bytes }] };
}

/**
 * An image as cosign builds them on go-containerregistry's empty image (signatures, attestations, `.sbom` files):
 * the layers as given (uncompressed, so each diff ID is the layer digest) and the config ggcr derives. Returns the
 * manifest and the config blob (the caller adds the layer blobs it has).
 */
export function cosignImage(
  layers: Descriptor[],
  options: { mediaType?: string; configMediaType?: string; annotations?: Record<string, string>; created?: Date } = {},
): BuiltArtifact {
  const config = {
    architecture: "",
    created: goTime(options.created),
    history: layers.map(() => ({ created: goTime(undefined) })),
    os: "",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  const configBytes = utf8(goJson(config));
  const configDescriptor = describe(configBytes, options.configMediaType ?? OCI_CONFIG_MEDIA_TYPE);
  const manifest = buildManifest({
    mediaType: options.mediaType ?? OCI_MANIFEST_MEDIA_TYPE,
    config: configDescriptor,
    layers,
    ...(options.annotations ? { annotations: options.annotations } : {}),
  });
  return { manifest, blobs: [{ descriptor: configDescriptor, bytes: configBytes }] };
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped); undefined is Go's zero time. */
function goTime(date: Date | undefined): string {
  if (date === undefined) return "0001-01-01T00:00:00Z";
  if (Number.isNaN(date.getTime())) throw new VouchError("INPUT_USAGE", "the creation time is not a valid date");
  return date.toISOString().replace(/\.?0+Z$/, "Z");
}

/** A layer of a `.sig`/`.att` image, with its annotations read and checked. */
export interface LegacyLayerInfo {
  /** Position in the manifest's layers. */
  index: number;
  descriptor: Descriptor;
  /** "signature": a payload signed directly (simple signing); "attestation": a DSSE envelope. */
  kind: "signature" | "attestation";
  /** The signature over the payload (empty for attestations: it is in the envelope). */
  signature: Uint8Array;
  /** DER: the signer's certificate first, then the chain annotation's certificates. Absent for a key. */
  certificates?: Uint8Array[];
  rekorBundle?: RekorBundle;
  rfc3161Timestamp?: Uint8Array;
  /** The `predicateType` annotation of an attestation (a hint: the signed statement is what counts). */
  predicateType?: string;
}

/**
 * The layers of a cosign `.sig` or `.att` image. Annotations are attacker-controlled (anyone who can push the tag
 * writes them), so each is decoded and checked here and a bad one is named (INPUT_MALFORMED: layer and annotation);
 * whether they verify is the verifier's business. Layers of another media type than simple signing or DSSE (cosign
 * `attach signature` with a custom payload) are read as signatures over their bytes.
 */
export function parseLegacyManifest(doc: ManifestDocument): LegacyLayerInfo[] {
  if (doc.kind !== "manifest") throw new VouchError("INPUT_MALFORMED", "a cosign signature image is an image manifest, not an index");
  return doc.layers.map((descriptor, index) => parseLegacyLayer(descriptor, index));
}

function parseLegacyLayer(descriptor: Descriptor, index: number): LegacyLayerInfo {
  const where = (key?: string) => `layers[${index}]${key ? ` annotation ${key}` : ""}`;
  const annotations = descriptor.annotations ?? {};
  const kind = descriptor.mediaType === DSSE_ENVELOPE_MEDIA_TYPE ? "attestation" : "signature";
  const encoded = annotations[ANNOTATION_SIGNATURE];
  let signature: Uint8Array = new Uint8Array(0);
  if (kind === "signature") {
    if (encoded === undefined || encoded === "") throw new VouchError("INPUT_MALFORMED", `${where(ANNOTATION_SIGNATURE)} is missing: a signature layer carries its signature`);
    signature = decodeStdBase64(encoded, where(ANNOTATION_SIGNATURE));
  }
  const out: LegacyLayerInfo = { index, descriptor, kind, signature };
  const certificate = annotations[ANNOTATION_CERTIFICATE];
  const chain = annotations[ANNOTATION_CHAIN];
  if (certificate !== undefined && certificate !== "") {
    const leaf = certificatesIn(certificate, where(ANNOTATION_CERTIFICATE));
    if (leaf.length !== 1) throw new VouchError("INPUT_MALFORMED", `${where(ANNOTATION_CERTIFICATE)} holds ${leaf.length} certificates, not the one signer's`);
    out.certificates = [...leaf, ...(chain ? certificatesIn(chain, where(ANNOTATION_CHAIN)) : [])];
  } else if (chain !== undefined && chain !== "") {
    throw new VouchError("INPUT_MALFORMED", `${where(ANNOTATION_CHAIN)} is given without a certificate`);
  }
  const rekor = annotations[ANNOTATION_BUNDLE];
  if (rekor !== undefined) out.rekorBundle = parseRekorBundle(rekor, where(ANNOTATION_BUNDLE));
  const timestamp = annotations[ANNOTATION_RFC3161_TIMESTAMP];
  if (timestamp !== undefined) {
    const parsed = parseJsonBytes(timestamp, where(ANNOTATION_RFC3161_TIMESTAMP));
    const value = isRecord(parsed) ? parsed.SignedRFC3161Timestamp : undefined;
    if (typeof value !== "string" || value === "") throw new VouchError("INPUT_MALFORMED", `${where(ANNOTATION_RFC3161_TIMESTAMP)} has no SignedRFC3161Timestamp`);
    out.rfc3161Timestamp = decodeStdBase64(value, where(ANNOTATION_RFC3161_TIMESTAMP));
  }
  const predicateType = annotations[ANNOTATION_PREDICATE_TYPE];
  if (kind === "attestation" && predicateType !== undefined && predicateType !== "") out.predicateType = predicateType;
  return out;
}

function certificatesIn(pem: string, where: string): Uint8Array[] {
  let blocks;
  try {
    blocks = decodePemBlocks(pem);
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", `${where}: ${(error as Error).message}`, { cause: error });
  }
  const certificates = blocks.filter((b) => b.label === "CERTIFICATE");
  if (certificates.length === 0 || certificates.length !== blocks.length) throw new VouchError("INPUT_MALFORMED", `${where} is not PEM certificates`);
  return certificates.map((b) => b.der);
}

/**
 * A Sigstore bundle for one layer of cosign's tag layout, for src/verify/verifier.ts: the payload bytes (fetched by
 * the layer's descriptor, checked against it here) become a message signature over the payload (`.sig`) or the DSSE
 * envelope (`.att`); the certificate and chain, or a public key the verifier must be given, the material; the SET
 * bundle, a tlog entry with its inclusion promise; the RFC 3161 timestamp, a timestamp. The bundle is v0.1: cosign's
 * layout carries a SET and no inclusion proof, which only v0.1 allows (the verifier then rests on the SET).
 *
 * What the bundle does not check: that the payload names the image. For a signature, parse the payload
 * (parseSimpleSigningPayload) and compare its manifestDigest; the verifier checks a DSSE statement's subject.
 *
 * @throws VouchError INPUT_MALFORMED (payload bytes not the layer's, a log body that is not JSON, a bad envelope),
 *   INPUT_UNSUPPORTED_FORMAT (an envelope with several signatures: a bundle carries one).
 * @example
 *   const bundle = legacyToBundle(layer, payload);
 *   verifyBundle(bundle, { artifact: { kind: "bytes", data: payload }, trustedRoot, publicKey });
 */
export function legacyToBundle(layer: LegacyLayerInfo, payloadBytes: Uint8Array): Bundle {
  checkBlob(layer.descriptor, payloadBytes, `layers[${layer.index}]`);
  const material: VerificationMaterial = layer.certificates ? { kind: "certificate", certificates: layer.certificates } : { kind: "publicKey", hint: "" };
  const tlogEntries: TlogEntry[] = layer.rekorBundle ? [tlogEntryOf(layer.rekorBundle, `layers[${layer.index}] annotation ${ANNOTATION_BUNDLE}`)] : [];
  const timestamps = layer.rfc3161Timestamp ? [layer.rfc3161Timestamp] : [];
  const content: Bundle["content"] =
    layer.kind === "attestation"
      ? { kind: "dsseEnvelope", envelope: parseEnvelope(payloadBytes, `layers[${layer.index}] envelope`) }
      : { kind: "messageSignature", digest: { algorithm: "SHA2_256", value: new Uint8Array(Buffer.from(digestOf(payloadBytes).slice(7), "hex")) }, signature: layer.signature };
  return { mediaType: LEGACY_BUNDLE_MEDIA_TYPE, version: "0.1", material, tlogEntries, timestamps, content };
}

function tlogEntryOf(rekor: RekorBundle, where: string): TlogEntry {
  // kind and version are not in cosign's annotation: they are read from the body, which the SET signs.
  const body = parseJsonBytes(rekor.body, `${where}: Payload.body`);
  if (!isRecord(body) || typeof body.kind !== "string" || typeof body.apiVersion !== "string") {
    throw new VouchError("INPUT_MALFORMED", `${where}: Payload.body is not a Rekor entry (no kind and apiVersion)`);
  }
  return {
    logIndex: rekor.logIndex,
    logId: rekor.logId,
    kind: body.kind,
    kindVersion: body.apiVersion,
    integratedTime: rekor.integratedTime,
    signedEntryTimestamp: rekor.signedEntryTimestamp,
    canonicalizedBody: rekor.body,
  };
}

/** A DSSE envelope as JSON (DSSE envelope.md): payload and signatures base64; exactly one signature for a bundle. */
function parseEnvelope(bytes: Uint8Array, where: string): DsseEnvelope {
  const root = parseJsonBytes(bytes, where);
  if (!isRecord(root)) throw malformed(where, "is not a JSON object");
  if (typeof root.payloadType !== "string" || root.payloadType === "") throw malformed(where, "payloadType is missing");
  if (typeof root.payload !== "string") throw malformed(where, "payload is missing");
  if (!Array.isArray(root.signatures) || root.signatures.length === 0) throw malformed(where, "has no signatures");
  if (root.signatures.length !== 1) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${where} has ${root.signatures.length} signatures; a Sigstore bundle carries exactly one`);
  }
  const signatures = root.signatures.map((s: unknown, i) => {
    if (!isRecord(s) || typeof s.sig !== "string" || s.sig === "") throw malformed(where, `signatures[${i}].sig is missing`);
    if (s.keyid !== undefined && typeof s.keyid !== "string") throw malformed(where, `signatures[${i}].keyid is not a string`);
    return { sig: envelopeBase64(s.sig, `${where}: signatures[${i}].sig`), keyid: (s.keyid as string | undefined) ?? "" };
  });
  return { payload: envelopeBase64(root.payload, `${where}: payload`), payloadType: root.payloadType, signatures };
}

/** DSSE: "either standard or URL-safe" base64, padding optional (DSSE protocol.md); anything else is refused. */
function envelopeBase64(value: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value) || value.replace(/=+$/, "").length % 4 === 1) throw malformed(where, "is not base64");
  return new Uint8Array(Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

function malformed(where: string, why: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `${where} ${why}`);
}
