/** Container images as a FileSource: local layouts (oci-dir, oci-archive, docker-archive), rootfs directories, the ImageLayout seam. */
export { ImageSource, type ImageInfo, type ImageSourceOptions, type LayerInfo } from "./image-source.js";
export { openLocalImage, parseLocalImageReference, LOCAL_IMAGE_TRANSPORTS, type LocalImageReference, type LocalImageTransport, type OpenImageOptions } from "./reference.js";
export { imageRootComponent, imagePurl, splitRepoTag } from "./root.js";
export { RootfsSource } from "./rootfs.js";
export { COMPANION_RULES, isCompanion, isListed, wantsFor, type ImageAwareCataloger, type WantedEntry, type WantsPredicate } from "./wants.js";
export { formatPlatform, hostPlatform, parseConfig, parseIndex, parseManifest, parsePlatformFlag, selectManifest, verifyBlob, type ImageConfig, type ImageIndex, type ImageManifest } from "./manifest.js";
export * from "./types.js";
