/** vouch's own version, written into every SBOM's tool list. Kept in step with package.json by a test. */
export const VOUCH_VERSION = "0.1.0";
