/** The keyless CA (`vouch ca …`). */
export { caDir, initCertificateAuthority, openCertificateAuthority } from "../api/ca.js";
export type { CaInitOptions } from "../api/ca.js";
export { terminalPrompt } from "../sign/password.js";
