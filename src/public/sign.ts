/** Signing with keys (`vouch sign`): key files, PKCS#11 (loaded only when a pkcs11: URI is used), bundle building. */
export { signFile, signBytes, openSigner, bundleToJson } from "../api/sign.js";
export type { SignerOptions, SignedArtifact } from "../api/sign.js";
export { serializeBundle } from "../bundle/serialize.js";
export { KeySigner } from "../sign/key-signer.js";
export { KeyFileSigner, parseKeyRef } from "../sign/key-file.js";
export type { KeyRef, KeyFileSignerOptions } from "../sign/key-file.js";
export type { Signer, SignatureResult, SignerMaterial } from "../sign/signer.js";
export { messageSignatureBundle, dsseBundle } from "../sign/bundle-builder.js";
export { signDsse } from "../sign/dsse.js";
