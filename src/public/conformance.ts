/**
 * The sigstore-conformance client protocol's signing side (`vouch conformance sign-bundle`): keyless signing with a
 * signing config's services, checked against a trusted root before the bundle is written.
 */
export { conformanceSignBundle } from "../api/conformance.js";
export type { ConformanceSignOptions, ConformanceSignResult } from "../api/conformance.js";
export { PRODUCTION_SIGNING_CONFIG, STAGING_SIGNING_CONFIG } from "../api/conformance-signing-configs.js";
