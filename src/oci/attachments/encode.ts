import type { Descriptor } from "../../catalog/sources/image/types.js";
import { VouchError } from "../../core/errors.js";
import { digestOf, parseDigest } from "../digest.js";

/**
 * Shared pieces of the attachment formats: JSON written the way cosign's Go code writes it (so a vouch `.sig` image
 * is byte-for-byte what cosign would push for the same layers), OCI descriptors and manifests in
 * go-containerregistry's field order, and the narrow readers the parsers share.
 */

/** A blob to push before the manifest that names it. */
export interface BuiltBlob {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** A manifest ready to PUT: its bytes, media type and descriptor, plus what a referrers index entry should carry. */
export interface BuiltManifest {
  bytes: Uint8Array;
  mediaType: string;
  /** mediaType, digest and size of `bytes` (and the artifactType, for an index entry). */
  descriptor: Descriptor;
  /** The manifest's artifactType (OCI 1.1 referrers), for the tag-schema index entry. */
  artifactType?: string;
  /** The manifest's annotations, for the tag-schema index entry (BUNDLE_SPEC: registries copy them to the index). */
  annotations?: Record<string, string>;
}

/** What a builder returns: the manifest and every blob it references that the caller must push first. */
export interface BuiltArtifact {
  manifest: BuiltManifest;
  blobs: BuiltBlob[];
}

export const OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const OCI_CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";

/** image-spec manifest.md "Guidance for an Empty Descriptor": the two bytes `{}`. */
export const EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json";
export const EMPTY_BLOB: Uint8Array = new TextEncoder().encode("{}");
export const EMPTY_DESCRIPTOR: Descriptor = Object.freeze({ mediaType: EMPTY_MEDIA_TYPE, digest: digestOf(EMPTY_BLOB), size: 2 });

/** image-spec annotations.md pre-defined keys. */
export const ANNOTATION_CREATED = "org.opencontainers.image.created";
export const ANNOTATION_TITLE = "org.opencontainers.image.title";

const encoder = new TextEncoder();

/**
 * JSON as Go's encoding/json writes it: object keys of maps sorted (Go sorts map keys; struct fields are written in
 * declaration order, which callers get by building objects in that order and passing `sortKeys: false` for them),
 * and `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c … (Go's HTML-safe default). Cosign's annotations and
 * simple-signing payloads go through it, so matching it byte for byte keeps digests equal to cosign's.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A copy of a JSON map value with its keys sorted at every depth (Go's map[string]interface{} order). */
export function sortedMap(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedMap);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortedMap((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A descriptor for bytes. */
export function describe(bytes: Uint8Array, mediaType: string, annotations?: Record<string, string>): Descriptor {
  const out: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
  if (annotations !== undefined) out.annotations = annotations;
  return out;
}

/** A descriptor as JSON fields in go-containerregistry's order (mediaType, size, digest, annotations, artifactType). */
export function descriptorJson(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.annotations !== undefined && Object.keys(d.annotations).length > 0) out.annotations = sortedMap(d.annotations);
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  return out;
}

/** An OCI image manifest's bytes and descriptor, fields in a fixed order so the same inputs give the same digest. */
export function buildManifest(parts: {
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}): BuiltManifest {
  const mediaType = parts.mediaType ?? OCI_MANIFEST_MEDIA_TYPE;
  const json: Record<string, unknown> = { schemaVersion: 2, mediaType };
  if (parts.artifactType !== undefined) json.artifactType = parts.artifactType;
  json.config = descriptorJson(parts.config);
  json.layers = parts.layers.map(descriptorJson);
  // A subject names a manifest, so only what identifies it: a platform or annotations would be copied for nothing.
  if (parts.subject !== undefined) json.subject = { mediaType: parts.subject.mediaType, size: parts.subject.size, digest: parts.subject.digest };
  const annotations = parts.annotations !== undefined && Object.keys(parts.annotations).length > 0 ? parts.annotations : undefined;
  if (annotations !== undefined) json.annotations = sortedMap(annotations);
  const bytes = utf8(goJson(json));
  const descriptor = describe(bytes, mediaType);
  if (parts.artifactType !== undefined) descriptor.artifactType = parts.artifactType;
  const out: BuiltManifest = { bytes, mediaType, descriptor };
  if (parts.artifactType !== undefined) out.artifactType = parts.artifactType;
  if (annotations !== undefined) out.annotations = { ...annotations };
  return out;
}

/** RFC 3339 in UTC with milliseconds, as BUNDLE_SPEC's examples write `org.opencontainers.image.created`. */
export function rfc3339(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new VouchError("INPUT_USAGE", "the creation time is not a valid date");
  return date.toISOString();
}

/** Throws INPUT_MALFORMED when `bytes` are not what `descriptor` names (digest and size): a registry is not trusted. */
export function checkBlob(descriptor: Descriptor, bytes: Uint8Array, what: string): void {
  let algorithm;
  try {
    algorithm = parseDigest(descriptor.digest).algorithm;
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", `${what}: ${(error as Error).message}`, { cause: error });
  }
  const actual = digestOf(bytes, algorithm);
  if (actual !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new VouchError("INPUT_MALFORMED", `${what}: the bytes (${actual}, ${bytes.length} bytes) are not the ${descriptor.digest} (${descriptor.size} bytes) the manifest names`);
  }
}

/** Strict base64 (standard alphabet, padded), as Go's encoding/base64 StdEncoding writes []byte in JSON. */
export function decodeStdBase64(value: string, what: string): Uint8Array {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new VouchError("INPUT_MALFORMED", `${what} is not base64`);
  return new Uint8Array(Buffer.from(value, "base64"));
}

export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** JSON text → value; INPUT_MALFORMED naming `what` when it is not UTF-8 JSON. */
export function parseJsonBytes(bytes: Uint8Array | string, what: string): unknown {
  try {
    const text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return JSON.parse(text);
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", `${what}: not UTF-8 JSON (${(error as Error).message})`, { cause: error });
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
