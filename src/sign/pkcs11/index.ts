/** Hardware-backed keys: a Signer and public-key reader over PKCS #11 tokens named by RFC 7512 URIs. */
export { MODULE_ENV, Pkcs11Signer, pkcs11PublicKey, resolveModulePath, type Pkcs11Options, type Pkcs11PublicKey } from "./pkcs11-signer.js";
export { PIN_ENV } from "./pin.js";
