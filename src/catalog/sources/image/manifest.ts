import { VouchError } from "../../../core/errors.js";
import { digestOf, isDigest as isOciDigest } from "../../../oci/digest.js";
import { formatPlatform, hostPlatform as ociHostPlatform, parsePlatform as parsePlatformText, pickPlatform } from "../../../oci/platform.js";
import { CONFIG_MEDIA_TYPES, INDEX_MEDIA_TYPES, layerCompression, MANIFEST_MEDIA_TYPES, MEDIA_TYPES, type Descriptor, type Platform } from "./types.js";

/**
 * Image index, manifest and config JSON parsed once, at the edge, into narrow shapes; every field vouch uses
 * is checked and a bad one is named. Shared by the local layouts and (through ImageLayout) the registry client.
 */

export interface ImageIndex {
  mediaType: string;
  manifests: Descriptor[];
  annotations: Record<string, string>;
}

export interface ImageManifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  createdBy?: string;
  comment?: string;
  emptyLayer: boolean;
}

export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  created?: string;
  diffIds: string[];
  history: HistoryEntry[];
  labels: Record<string, string>;
}


function bad(what: string, message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `${what}: ${message}`);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `${what} is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(what, "not a JSON object");
  return value as Record<string, unknown>;
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw bad(what, "annotations/labels must be an object of strings");
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

export function isDigest(value: unknown): value is string {
  return typeof value === "string" && isOciDigest(value);
}

/** Check a descriptor's shape: media type, digest (sha256/sha512, lowercase hex), non-negative size. */
export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (typeof value !== "object" || value === null) throw bad(what, "descriptor is not an object");
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== "string" || d.mediaType === "") throw bad(what, "descriptor without mediaType");
  if (!isDigest(d.digest)) throw bad(what, `descriptor digest ${JSON.stringify(d.digest)} is not sha256:<64 hex> or sha512:<128 hex>`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(what, `descriptor size ${JSON.stringify(d.size)} is not a byte count`);
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations !== undefined) out.annotations = stringMap(d.annotations, what);
  if (d.platform !== undefined) out.platform = parsePlatform(d.platform, what);
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === "string");
  return out;
}

function parsePlatform(value: unknown, what: string): Platform {
  if (typeof value !== "object" || value === null) throw bad(what, "platform is not an object");
  const p = value as Record<string, unknown>;
  if (typeof p.os !== "string" || typeof p.architecture !== "string") throw bad(what, "platform without os and architecture");
  return {
    os: p.os,
    architecture: p.architecture,
    ...(typeof p.variant === "string" && p.variant !== "" ? { variant: p.variant } : {}),
    ...(typeof p["os.version"] === "string" ? { "os.version": p["os.version"] } : {}),
  };
}

/** The JSON document kind: index or manifest (mediaType, else inferred from the fields, as image-spec allows). */
export function documentKind(bytes: Uint8Array, what: string): "index" | "manifest" {
  const doc = parseJson(bytes, what);
  return kindOf(doc, what);
}

function kindOf(doc: Record<string, unknown>, what: string): "index" | "manifest" {
  const mediaType = doc.mediaType;
  if (typeof mediaType === "string") {
    if (INDEX_MEDIA_TYPES.has(mediaType)) return "index";
    if (MANIFEST_MEDIA_TYPES.has(mediaType)) return "manifest";
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${what}: unsupported media type ${mediaType} (vouch reads OCI image indexes and manifests, and Docker manifest v2 schema 2 and manifest lists)`);
  }
  if (doc.schemaVersion === 1) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${what}: Docker manifest schema 1 is not supported (deprecated since 2017; re-push the image)`);
  if (Array.isArray(doc.manifests)) return "index";
  if (Array.isArray(doc.layers) && doc.config !== undefined) return "manifest";
  throw bad(what, "neither an image index nor an image manifest");
}

export function parseIndex(bytes: Uint8Array, what = "image index"): ImageIndex {
  const doc = parseJson(bytes, what);
  if (kindOf(doc, what) !== "index") throw bad(what, "is a manifest, not an index");
  if (doc.schemaVersion !== 2) throw bad(what, `schemaVersion ${JSON.stringify(doc.schemaVersion)} (expected 2)`);
  const manifests = (doc.manifests as unknown[]).map((m, i) => parseDescriptor(m, `${what} manifests[${i}]`));
  return { mediaType: typeof doc.mediaType === "string" ? doc.mediaType : MEDIA_TYPES.ociIndex, manifests, annotations: stringMap(doc.annotations, what) };
}

export function parseManifest(bytes: Uint8Array, what = "image manifest"): ImageManifest {
  const doc = parseJson(bytes, what);
  if (kindOf(doc, what) !== "manifest") throw bad(what, "is an index, not a manifest");
  if (doc.schemaVersion !== 2) throw bad(what, `schemaVersion ${JSON.stringify(doc.schemaVersion)} (expected 2)`);
  const config = parseDescriptor(doc.config, `${what} config`);
  if (!CONFIG_MEDIA_TYPES.has(config.mediaType)) {
    throw new VouchError(
      "INPUT_UNSUPPORTED_FORMAT",
      `${what}: config media type ${config.mediaType} is not an image config (an artifact, a Helm chart, a signature?): vouch reads container images`,
    );
  }
  if (!Array.isArray(doc.layers)) throw bad(what, "layers is not an array");
  const layers = doc.layers.map((l, i) => parseDescriptor(l, `${what} layers[${i}]`));
  for (const [i, layer] of layers.entries()) {
    if (layerCompression(layer.mediaType) === undefined) {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${what} layers[${i}]: unsupported layer media type ${layer.mediaType} (vouch reads tar layers: uncompressed, gzip or zstd)`);
    }
  }
  return { mediaType: typeof doc.mediaType === "string" ? doc.mediaType : MEDIA_TYPES.ociManifest, config, layers, annotations: stringMap(doc.annotations, what) };
}

export function parseConfig(bytes: Uint8Array, what = "image config"): ImageConfig {
  const doc = parseJson(bytes, what);
  const rootfs = doc.rootfs as Record<string, unknown> | undefined;
  if (typeof rootfs !== "object" || rootfs === null || !Array.isArray(rootfs.diff_ids)) throw bad(what, "no rootfs.diff_ids");
  const diffIds = rootfs.diff_ids.map((d, i) => {
    if (!isDigest(d)) throw bad(what, `rootfs.diff_ids[${i}] ${JSON.stringify(d)} is not a digest`);
    return d;
  });
  const history = Array.isArray(doc.history)
    ? doc.history.map((h): HistoryEntry => {
        const e = (typeof h === "object" && h !== null ? h : {}) as Record<string, unknown>;
        return {
          ...(typeof e.created === "string" ? { created: e.created } : {}),
          ...(typeof e.created_by === "string" ? { createdBy: e.created_by } : {}),
          ...(typeof e.comment === "string" ? { comment: e.comment } : {}),
          emptyLayer: e.empty_layer === true,
        };
      })
    : [];
  const inner = (typeof doc.config === "object" && doc.config !== null ? doc.config : {}) as Record<string, unknown>;
  return {
    os: typeof doc.os === "string" ? doc.os : "",
    architecture: typeof doc.architecture === "string" ? doc.architecture : "",
    ...(typeof doc.variant === "string" && doc.variant !== "" ? { variant: doc.variant } : {}),
    ...(typeof doc.created === "string" ? { created: doc.created } : {}),
    diffIds,
    history,
    labels: stringMap(inner.Labels, `${what} config.Labels`),
  };
}

/** Check bytes read whole (index, manifest, config) against their descriptor: size and digest. */
export function verifyBlob(bytes: Uint8Array, descriptor: Pick<Descriptor, "digest" | "size">, what: string): void {
  if (bytes.length !== descriptor.size) {
    throw new VouchError("INPUT_MALFORMED", `${what}: ${bytes.length} bytes where the descriptor says ${descriptor.size} (digest ${descriptor.digest})`);
  }
  const actual = digestOf(bytes, descriptor.digest.slice(0, descriptor.digest.indexOf(":")) as "sha256" | "sha512");
  if (actual !== descriptor.digest) throw new VouchError("INPUT_MALFORMED", `${what}: digest mismatch (expected ${descriptor.digest}, got ${actual})`);
}

// One digest and platform vocabulary with the registry client (src/oci).
export { digestOf, formatPlatform };

/** Parse `--platform os/arch[/variant]` (aliases such as x86_64 and aarch64 accepted). */
export function parsePlatformFlag(text: string): Platform {
  return parsePlatformText(text);
}

/** The platform images run on here, as the OCI spec names it (Node's process.platform/arch translated). */
export function hostPlatform(): Platform {
  const armVersion = (process.config.variables as { arm_version?: string | number }).arm_version;
  return ociHostPlatform(process.platform, process.arch, armVersion);
}

/**
 * Pick the image manifest for a platform from an index, as the registry client does (containerd's matcher,
 * src/oci/platform.ts). Entries that are not image manifests (attestation manifests, platform "unknown/unknown")
 * never match; none for the platform is INPUT_USAGE naming the platforms on offer.
 */
export function selectManifest(index: ImageIndex, wanted: Platform, what = "image index"): Descriptor {
  return pickPlatform(index.manifests, wanted, { explicit: true, what });
}
