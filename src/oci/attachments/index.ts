/**
 * Signatures, attestations and SBOMs attached to images, as bytes in and values out (no fs, no network, no clock:
 * times are parameters): cosign v3's bundle referrers, cosign's `.sig`/`.att`/`.sbom` tag layout, and oras-style SBOM
 * referrers. The registry client pushes and fetches what these build and parse.
 */
export {
  type BuiltArtifact,
  type BuiltBlob,
  type BuiltManifest,
  EMPTY_BLOB,
  EMPTY_DESCRIPTOR,
  EMPTY_MEDIA_TYPE,
  ANNOTATION_CREATED,
  ANNOTATION_TITLE,
  checkBlob,
} from "./encode.js";
export { simpleSigningPayload, parseSimpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE, COSIGN_SIGNATURE_TYPE, type SimpleSigningPayload } from "./simple-signing.js";
export { imageSignatureStatement, IMAGE_SIGNATURE_PREDICATE } from "./image-signature.js";
export {
  bundleReferrerManifest,
  parseBundleReferrer,
  inspectBundleReferrer,
  isBundleArtifactType,
  readBundleLayer,
  BUNDLE_ARTIFACT_TYPE,
  ANNOTATION_BUNDLE_CONTENT,
  ANNOTATION_BUNDLE_PREDICATE_TYPE,
  type BundleContentKind,
  type BundleReferrer,
  type BundleReferrerInput,
  type ReferrerManifest,
} from "./bundle-referrer.js";
export {
  cosignTag,
  legacySignatureLayer,
  legacyAttestationLayer,
  appendLegacyLayer,
  parseLegacyManifest,
  legacyToBundle,
  rekorBundleFromTlogEntry,
  encodeRekorBundle,
  parseRekorBundle,
  cosignImage,
  DSSE_ENVELOPE_MEDIA_TYPE,
  ANNOTATION_SIGNATURE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_BUNDLE,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_PREDICATE_TYPE,
  type CosignTagSuffix,
  type LegacyLayer,
  type LegacyLayerInfo,
  type RekorBundle,
} from "./cosign-tags.js";
export {
  detectSbomFormat,
  sbomReferrerManifest,
  parseSbomManifest,
  parseSbomReferrer,
  resolveSbomArtifactType,
  sbomFormatOfMediaType,
  SBOM_ARTIFACT_TYPES,
  COSIGN_SBOM_MEDIA_TYPES,
  type SbomFormat,
} from "./sbom-referrer.js";
