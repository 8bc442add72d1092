/** Keys and their passwords (`vouch key generate`, and the password prompt every signing verb uses). */
export { generateKeyFiles } from "../api/key.js";
export type { GenerateKeyOptions, GeneratedKeyFiles } from "../api/key.js";
export { GENERATE_ALGORITHMS, KEY_DETAILS, PRIVATE_KEY_ENCRYPTION, generateKeyPair, encryptPrivateKey, importPrivateKey, importPublicKey, publicKeyPem, publicKeyDer, keyId, keyAlgorithm } from "../core/crypto/keys.js";
export type { KeyAlgorithm, GenerateAlgorithm, KeyPair } from "../core/crypto/keys.js";
export { resolvePassword, terminalPrompt, PASSWORD_ENV } from "../sign/password.js";
export type { PasswordSource, PasswordPrompt } from "../sign/password.js";
