/**
 * Verifying images in registries (`vouch verify IMAGE`) alone: what the verify verb loads. The rest of the image
 * area (src/public/image.ts: signing, attaching, the tree) pulls in the signing stack (X.509 builders, keyless
 * client), which verification never uses and which roughly doubles the CLI's import time.
 */
export { verifyImage, createImageVerifier, imageNotVerified } from "../api/image-verify.js";
export type { ImageVerifyOptions, ImageVerification, ImageVerifier, CheckedAttachment } from "../api/image-verify.js";
