import { bundleVersion, parseBundle } from "../../bundle/parse.js";
import { BUNDLE_V03_MEDIA_TYPE, type Bundle } from "../../bundle/types.js";
import type { Descriptor } from "../../catalog/sources/image/types.js";
import { VouchError } from "../../core/errors.js";
import { parseDigest } from "../digest.js";
import type { ManifestDocument } from "../manifest.js";
import {
  ANNOTATION_CREATED,
  ANNOTATION_TITLE,
  buildManifest,
  checkBlob,
  describe,
  EMPTY_BLOB,
  EMPTY_DESCRIPTOR,
  isRecord,
  parseJsonBytes,
  rfc3339,
  type BuiltArtifact,
} from "./encode.js";

/**
 * Sigstore bundles as OCI 1.1 referrers, the way cosign v3 stores signatures and attestations (cosign
 * specs/BUNDLE_SPEC.md): an image manifest with artifactType application/vnd.dev.sigstore.bundle.v0.3+json, the
 * empty descriptor as config, ONE layer holding the bundle JSON, `subject` = the signed image, and annotations that
 * let a client pick bundles out of a referrers list without fetching them.
 */

/** The artifactType (and layer media type) of a bundle referrer. */
export const BUNDLE_ARTIFACT_TYPE = BUNDLE_V03_MEDIA_TYPE;
export const ANNOTATION_BUNDLE_CONTENT = "dev.sigstore.bundle.content";
export const ANNOTATION_BUNDLE_PREDICATE_TYPE = "dev.sigstore.bundle.predicateType";

/**
 * Whether an artifact or layer media type is a Sigstore bundle: cosign v3 writes the v0.3 type; the older
 * `application/vnd.dev.sigstore.bundle+json;version=0.x` spellings (other tools) are bundles vouch reads too.
 */
export function isBundleArtifactType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && bundleVersion(mediaType.replace(/\s+/g, "")) !== undefined;
}

export type BundleContentKind = "dsse-envelope" | "message-signature";

export interface BundleReferrerInput {
  /** The bundle as serialized (v0.3 JSON); its bytes are the layer, unchanged. */
  bundleJson: Uint8Array;
  /** The image the bundle is about (its manifest or index descriptor). */
  subject: Descriptor;
  content: BundleContentKind;
  /** The in-toto predicate type of a DSSE bundle (cosign v3 image signatures: https://sigstore.dev/cosign/sign/v1). */
  predicateType?: string;
  /** `org.opencontainers.image.created` (a parameter: this module reads no clock). */
  created: Date;
}

/**
 * The referrer manifest for a bundle, and the blobs to push before it (the empty config `{}` and the bundle).
 * The layer is titled `sha256-<hex>.sigstore.json` (BUNDLE_SPEC "Layer Annotations") so `oras pull` saves it
 * under a name that cannot collide.
 *
 * @throws VouchError INPUT_USAGE when the bytes are not a v0.3 bundle holding the stated content (the artifactType
 *   would then lie to every client that filters on it).
 * @example
 *   const { manifest, blobs } = bundleReferrerManifest({ bundleJson, subject, content: "dsse-envelope",
 *     predicateType: IMAGE_SIGNATURE_PREDICATE, created: new Date() });
 */
export function bundleReferrerManifest(input: BundleReferrerInput): BuiltArtifact {
  const document = parseJsonBytes(input.bundleJson, "bundle");
  if (!isRecord(document) || document.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    throw new VouchError("INPUT_USAGE", `a bundle referrer holds a ${BUNDLE_V03_MEDIA_TYPE} bundle; this one is ${isRecord(document) ? JSON.stringify(document.mediaType) : "not a JSON object"}`);
  }
  const holds: BundleContentKind | undefined = isRecord(document.dsseEnvelope) ? "dsse-envelope" : isRecord(document.messageSignature) ? "message-signature" : undefined;
  if (holds !== input.content) throw new VouchError("INPUT_USAGE", `the bundle holds ${holds ?? "neither a DSSE envelope nor a message signature"}, not the ${input.content} the referrer would announce`);
  if (input.predicateType !== undefined && input.content !== "dsse-envelope") {
    throw new VouchError("INPUT_USAGE", "only a DSSE bundle has a predicate type");
  }
  try {
    parseDigest(input.subject.digest);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `bundle referrer subject: ${(error as Error).message}`, { cause: error });
  }
  const title = `${describe(input.bundleJson, BUNDLE_ARTIFACT_TYPE).digest.replace(":", "-")}.sigstore.json`;
  const layer = describe(input.bundleJson, BUNDLE_ARTIFACT_TYPE, { [ANNOTATION_TITLE]: title });
  const annotations: Record<string, string> = { [ANNOTATION_BUNDLE_CONTENT]: input.content };
  if (input.predicateType !== undefined) annotations[ANNOTATION_BUNDLE_PREDICATE_TYPE] = input.predicateType;
  annotations[ANNOTATION_CREATED] = rfc3339(input.created);
  const manifest = buildManifest({ artifactType: BUNDLE_ARTIFACT_TYPE, config: EMPTY_DESCRIPTOR, layers: [layer], subject: input.subject, annotations });
  return {
    manifest,
    blobs: [
      { descriptor: EMPTY_DESCRIPTOR, bytes: EMPTY_BLOB },
      { descriptor: layer, bytes: input.bundleJson },
    ],
  };
}

/** A referrer manifest as manifest.ts parses it (artifactType and subject included). */
export type ReferrerManifest = ManifestDocument;

export interface BundleReferrer {
  /** The layer holding the bundle JSON: fetch it by this descriptor (digest and size are checked on read). */
  layer: Descriptor;
  content?: BundleContentKind;
  predicateType?: string;
  created?: Date;
  /** The manifest's subject, when it states one. */
  subject?: Descriptor;
}

/**
 * The bundle layer of a referrer manifest, after checking it is one (BUNDLE_SPEC): an image manifest whose
 * artifactType is the bundle type, with exactly one layer of that media type. The annotations are hints for
 * listing; the bundle itself is what gets verified. With `subject`, a manifest whose own subject is another image
 * is refused: a referrers index (the tag schema is writable by anyone who can push) could list it under this one.
 *
 * @throws VouchError INPUT_UNSUPPORTED_FORMAT when the manifest is not a bundle referrer (another artifact type),
 *   INPUT_MALFORMED when it claims to be one but is not shaped like one.
 * @example
 *   const layer = parseBundleReferrer(fetched.document, { subject: image.digest });
 */
export function parseBundleReferrer(doc: ReferrerManifest, options: { subject?: string } = {}): Descriptor {
  return inspectBundleReferrer(doc, options).layer;
}

/** parseBundleReferrer with what the manifest's annotations say (content, predicate type, creation time) and its subject. */
export function inspectBundleReferrer(doc: ReferrerManifest, options: { subject?: string } = {}): BundleReferrer {
  if (doc.kind !== "manifest") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "a bundle referrer is an image manifest, not an index");
  // image-spec: without artifactType the config media type is the artifact's type, and artifactType MUST be set
  // when the config is the empty descriptor (BUNDLE_SPEC: "The manifest must have an artifactType field").
  const declared = doc.artifactType ?? (doc.config.mediaType === EMPTY_DESCRIPTOR.mediaType ? undefined : doc.config.mediaType);
  if (declared === undefined) throw new VouchError("INPUT_MALFORMED", "the manifest has the empty config and no artifactType: image-spec requires one");
  if (!isBundleArtifactType(declared)) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `artifactType ${JSON.stringify(declared)} is not a Sigstore bundle (${BUNDLE_ARTIFACT_TYPE})`);
  }
  if (doc.layers.length !== 1) throw new VouchError("INPUT_MALFORMED", `a bundle referrer has exactly one layer, this one has ${doc.layers.length}`);
  const layer = doc.layers[0]!;
  if (!isBundleArtifactType(layer.mediaType)) {
    throw new VouchError("INPUT_MALFORMED", `the layer's media type ${JSON.stringify(layer.mediaType)} is not ${BUNDLE_ARTIFACT_TYPE}`);
  }
  if (options.subject !== undefined && doc.subject !== undefined && doc.subject.digest !== options.subject) {
    throw new VouchError("INPUT_MALFORMED", `the referrer's subject is ${doc.subject.digest}, not ${options.subject}`);
  }
  const out: BundleReferrer = { layer };
  const annotations = doc.annotations ?? {};
  const content = annotations[ANNOTATION_BUNDLE_CONTENT];
  if (content !== undefined) {
    if (content !== "dsse-envelope" && content !== "message-signature") {
      throw new VouchError("INPUT_MALFORMED", `${ANNOTATION_BUNDLE_CONTENT} is ${JSON.stringify(content.slice(0, 100))}, not "dsse-envelope" or "message-signature"`);
    }
    out.content = content;
  }
  const predicateType = annotations[ANNOTATION_BUNDLE_PREDICATE_TYPE];
  if (predicateType !== undefined && predicateType !== "") out.predicateType = predicateType;
  // The creation time is display only: one that does not parse is left out rather than failing the bundle.
  const created = annotations[ANNOTATION_CREATED];
  if (created !== undefined && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(created) && !Number.isNaN(Date.parse(created))) {
    out.created = new Date(created);
  }
  if (doc.subject !== undefined) out.subject = doc.subject;
  return out;
}

/**
 * The bundle in a referrer's layer: the bytes are checked against the layer descriptor (a registry is not trusted),
 * parsed, and held to the content the manifest or index entry announced (a list filtered on it must not be shown
 * another kind).
 *
 * @throws VouchError INPUT_MALFORMED (wrong bytes, a bundle that does not parse, content other than announced).
 */
export function readBundleLayer(layer: Descriptor, bytes: Uint8Array, announced?: BundleContentKind): Bundle {
  checkBlob(layer, bytes, "bundle layer");
  const bundle = parseBundle(new TextDecoder().decode(bytes), `bundle ${layer.digest}`);
  const holds: BundleContentKind = bundle.content.kind === "dsseEnvelope" ? "dsse-envelope" : "message-signature";
  if (announced !== undefined && announced !== holds) {
    throw new VouchError("INPUT_MALFORMED", `the referrer announces a ${announced} bundle but the bundle holds a ${holds}`);
  }
  return bundle;
}
