/**
 * Signing (`vouch sign`): key files, PKCS#11 (loaded only when a pkcs11: URI is used), keyless (OIDC token, CA
 * certificate, RFC 3161 timestamps, Rekor v1/v2 entries), bundle building.
 */
export { signFile, signBytes, openSigner, openSigningSession, bundleToJson, certificateIdentity } from "../api/sign.js";
export type { SignerOptions, SignedArtifact, KeylessOptions, SigningSession, CertificateIdentity } from "../api/sign.js";
export { serializeBundle } from "../bundle/serialize.js";
export { KeySigner } from "../sign/key-signer.js";
export { KeyFileSigner, parseKeyRef } from "../sign/key-file.js";
export type { KeyRef, KeyFileSignerOptions } from "../sign/key-file.js";
export type { Signer, SignatureResult, SignerMaterial } from "../sign/signer.js";
export { messageSignatureBundle, dsseBundle } from "../sign/bundle-builder.js";
export { signDsse } from "../sign/dsse.js";
export { KeylessSigner } from "../sign/keyless/keyless-signer.js";
export type { KeylessSignerOptions } from "../sign/keyless/keyless-signer.js";
export { getIdentityToken, decodeJwtClaims, proofOfPossessionSubject } from "../sign/keyless/identity-token.js";
export type { IdentityToken, IdentityTokenOptions, IdentityTokenSource, JwtClaims } from "../sign/keyless/identity-token.js";
export { requestSigningCertificate, parseSigningCertificateResponse } from "../sign/keyless/fulcio-client.js";
export type { FulcioClientOptions, SigningCertificateRequest } from "../sign/keyless/fulcio-client.js";
export { requestTimestamp, witnessWithTimestamp, timestampEndpoint } from "../sign/keyless/tsa-client.js";
export type { TimestampOptions } from "../sign/keyless/tsa-client.js";
export { parseSigningConfig, selectService, selectServices, SIGNING_CONFIG_V02_MEDIA_TYPE } from "../sign/keyless/signing-config.js";
export type { SigningConfig, SigningService, ServiceConfiguration, ServiceSelector } from "../sign/keyless/signing-config.js";
export { resolveKeylessServices, SUPPORTED_API_VERSIONS } from "../sign/keyless/services.js";
export type { KeylessServices, KeylessServiceSources, TlogService } from "../sign/keyless/services.js";
export type { KeylessFetch } from "../sign/keyless/http.js";
export { witnessInRekorV2 } from "../sign/witness/rekor-v2.js";
export type { RekorV2WitnessOptions } from "../sign/witness/rekor-v2.js";
