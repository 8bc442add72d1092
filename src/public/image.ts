/**
 * Images in OCI registries (`vouch sign|attest|verify IMAGE`, `vouch sbom attach`, `vouch tree`, `vouch download`):
 * signatures, attestations and SBOMs stored as OCI 1.1 referrers or in cosign's tag layout, found and verified.
 */
export { signImage, attestImage, attachSbom } from "../api/image-sign.js";
export type { ImageAttachOptions, ImageAttestOptions, SbomAttachOptions, SignedImage, SignedImageEntry, AttestedImage, AttachedSbom, StoredAs } from "../api/image-sign.js";
export { imageTree, downloadFromImage } from "../api/image-tree.js";
export type { ImageTree, TreeNode, CosignTagNode, DownloadKind, DownloadedItem, DownloadOptions } from "../api/image-tree.js";
export { resolveImage, openRegistryClient } from "../api/image-registry.js";
export type { RegistryAccessOptions, ResolvedImage } from "../api/image-registry.js";
export { memoryContentCache, diskContentCache, defaultContentCacheDir } from "../api/oci-content-cache.js";
export type { ContentCache } from "../api/oci-content-cache.js";
export { writeStreamsAtomic, writeStreams } from "../api/files.js";
