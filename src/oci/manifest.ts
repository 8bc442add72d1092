import { VouchError } from "../core/errors.js";
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPES, type Descriptor, type Platform } from "../catalog/sources/image/types.js";
import { parseDigest } from "./digest.js";

/**
 * Manifests and indexes as the distribution API serves them, parsed once into narrow shapes (image-spec
 * manifest.md, image-index.md; Docker manifest v2 schema 2 and manifest list). Every field vouch follows is
 * checked here, and an error names the field: the bytes come from a registry, which is not trusted.
 */

export interface ImageIndexDocument {
  kind: "index";
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
  /** image-spec 1.1: what kind of artifact the index is. */
  artifactType?: string;
  /** image-spec 1.1: the manifest this one refers to (a signature, an SBOM of an image). */
  subject?: Descriptor;
}

export interface ImageManifestDocument {
  kind: "manifest";
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  /** image-spec 1.1: what kind of artifact the manifest is (required when config is the empty descriptor). */
  artifactType?: string;
  /** image-spec 1.1: the manifest this one refers to (a signature, an SBOM of an image). */
  subject?: Descriptor;
}

export type ManifestDocument = ImageIndexDocument | ImageManifestDocument;

const DOCKER_SCHEMA1 = ["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"];

/**
 * Parses manifest or index bytes. The media type is the document's own `mediaType` when it has one, else the
 * Content-Type the registry sent (image-spec: `mediaType` SHOULD be set; both must agree when both are set, since
 * a client that trusted the header could be shown an index as a manifest). `where` names the document in errors.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string | undefined, where: string): ManifestDocument {
  const malformed = (why: string, cause?: unknown): never => {
    throw new VouchError("INPUT_MALFORMED", `${where}: ${why}`, cause === undefined ? undefined : { cause });
  };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    malformed(`not JSON (${(error as Error).message})`, error);
  }
  if (!isObject(json)) return malformed("not a JSON object");
  const header = contentType?.split(";")[0]?.trim().toLowerCase() || undefined;
  if (json.mediaType !== undefined && typeof json.mediaType !== "string") malformed("mediaType is not a string");
  const own = json.mediaType as string | undefined;
  if (json.schemaVersion === 1 || DOCKER_SCHEMA1.includes(own ?? header ?? "")) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${where}: Docker image manifest schema 1 is deprecated and not supported (push the image again with a current client)`);
  }
  if (json.schemaVersion !== 2) malformed(`schemaVersion is ${JSON.stringify(json.schemaVersion)}, expected 2`);
  let mediaType = own ?? header;
  if (mediaType === undefined || mediaType === "application/json" || mediaType === "text/plain" || mediaType === "application/octet-stream") {
    // Neither names it (some OCI writers omit mediaType): the shape decides, as containerd does.
    mediaType = Array.isArray(json.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
  } else if (own !== undefined && header !== undefined && header !== own && (INDEX_MEDIA_TYPES.has(header) || MANIFEST_MEDIA_TYPES.has(header))) {
    malformed(`mediaType ${own} does not match the Content-Type ${header} it was served with`);
  }

  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    if (json.config !== undefined || json.layers !== undefined) malformed("an index must not have config or layers");
    if (!Array.isArray(json.manifests)) return malformed("manifests is not an array");
    const manifests = json.manifests.map((entry, i) => parseDescriptor(entry, `manifests[${i}]`, malformed));
    const out: ImageIndexDocument = { kind: "index", mediaType, manifests };
    const annotations = parseAnnotations(json.annotations, "annotations", malformed);
    if (annotations !== undefined) out.annotations = annotations;
    parseArtifactFields(json, out, malformed);
    return out;
  }
  if (MANIFEST_MEDIA_TYPES.has(mediaType)) {
    if (json.manifests !== undefined) malformed("an image manifest must not have manifests");
    const config = parseDescriptor(json.config, "config", malformed);
    if (!Array.isArray(json.layers)) return malformed("layers is not an array");
    const layers = json.layers.map((entry, i) => parseDescriptor(entry, `layers[${i}]`, malformed));
    const out: ImageManifestDocument = { kind: "manifest", mediaType, config, layers };
    const annotations = parseAnnotations(json.annotations, "annotations", malformed);
    if (annotations !== undefined) out.annotations = annotations;
    parseArtifactFields(json, out, malformed);
    return out;
  }
  throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${where}: media type ${JSON.stringify(mediaType)} is not an image manifest or index vouch reads`);
}

/** A descriptor, every field checked; `malformed` throws (it names the document). */
export function parseDescriptor(value: unknown, field: string, malformed: (why: string) => never): Descriptor {
  if (!isObject(value)) return malformed(`${field} is not an object`);
  if (typeof value.mediaType !== "string" || value.mediaType === "") malformed(`${field}.mediaType is missing`);
  if (typeof value.digest !== "string") malformed(`${field}.digest is missing`);
  try {
    parseDigest(value.digest as string);
  } catch (error) {
    malformed(`${field}.digest: ${(error as Error).message}`);
  }
  if (typeof value.size !== "number" || !Number.isSafeInteger(value.size) || value.size < 0) malformed(`${field}.size is not a non-negative integer`);
  const out: Descriptor = { mediaType: value.mediaType as string, digest: value.digest as string, size: value.size as number };
  const annotations = parseAnnotations(value.annotations, `${field}.annotations`, malformed);
  if (annotations !== undefined) out.annotations = annotations;
  if (value.platform !== undefined) out.platform = parsePlatformField(value.platform, `${field}.platform`, malformed);
  if (value.urls !== undefined) {
    if (!Array.isArray(value.urls) || !value.urls.every((u) => typeof u === "string")) malformed(`${field}.urls is not a list of strings`);
    out.urls = value.urls as string[];
  }
  if (value.artifactType !== undefined) out.artifactType = parseMediaTypeField(value.artifactType, `${field}.artifactType`, malformed);
  return out;
}

/**
 * `artifactType` and `subject` (image-spec 1.1 manifest.md, image-index.md). A subject is what a referrer is
 * attached to, so it is checked like every descriptor: a referrers list built from a bad one would point nowhere.
 */
function parseArtifactFields(json: Record<string, unknown>, out: { artifactType?: string; subject?: Descriptor }, malformed: (why: string) => never): void {
  if (json.artifactType !== undefined) out.artifactType = parseMediaTypeField(json.artifactType, "artifactType", malformed);
  if (json.subject !== undefined) out.subject = parseDescriptor(json.subject, "subject", malformed);
}

/**
 * image-spec: artifactType "MUST comply with RFC 6838": type "/" subtype with restricted names, and parameters
 * (RFC 6838 section 4.3; `;version=0.2` as actions/attest v1 wrote `application/vnd.dev.sigstore.bundle+json;version=0.2`).
 * A parameter is kept as written: matching on it is the reader's business.
 */
const RESTRICTED_NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
const MEDIA_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}(\\s*;\\s*${RESTRICTED_NAME}=(${RESTRICTED_NAME}|"[^"\\\\]{0,256}"))*$`);

function parseMediaTypeField(value: unknown, field: string, malformed: (why: string) => never): string {
  if (typeof value !== "string") return malformed(`${field} is not a string`);
  if (value.length > 1024 || !MEDIA_TYPE.test(value)) {
    return malformed(`${field} ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} is not a media type (RFC 6838)`);
  }
  return value;
}

function parsePlatformField(value: unknown, field: string, malformed: (why: string) => never): Platform {
  if (!isObject(value)) return malformed(`${field} is not an object`);
  if (typeof value.os !== "string" || typeof value.architecture !== "string") return malformed(`${field} needs os and architecture strings`);
  const out: Platform = { os: value.os, architecture: value.architecture };
  if (value.variant !== undefined) {
    if (typeof value.variant !== "string") malformed(`${field}.variant is not a string`);
    if (value.variant !== "") out.variant = value.variant as string;
  }
  if (value["os.version"] !== undefined) {
    if (typeof value["os.version"] !== "string") malformed(`${field}["os.version"] is not a string`);
    out["os.version"] = value["os.version"] as string;
  }
  return out;
}

function parseAnnotations(value: unknown, field: string, malformed: (why: string) => never): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) return malformed(`${field} is not an object`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") malformed(`${field}[${JSON.stringify(key)}] is not a string`);
    out[key] = v as string;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
