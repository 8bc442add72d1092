/**
 * vouch's public library API. Every CLI verb is one of these functions; the CLI only parses flags and prints.
 *
 * The API is split into areas (src/public/*.ts), one per group of verbs, and this file is their union. The CLI
 * imports the areas, not this file: a verb then loads only its own area (`vouch verify` the verifier, not the
 * catalogers), which keeps the CLI's start-up short. A name lives in exactly one area (TypeScript rejects a name
 * two `export *` lines both provide).
 */
export * from "./public/base.js";
export * from "./public/sbom.js";
export * from "./public/sbom-check.js";
export * from "./public/sbom-diff.js";
export * from "./public/verify.js";
export * from "./public/revocation.js";
export * from "./public/keys.js";
export * from "./public/sign.js";
export * from "./public/attest.js";
export * from "./public/log.js";
export * from "./public/monitor.js";
export * from "./public/ca.js";
export * from "./public/conformance.js";
export * from "./public/image.js";
export * from "./public/image-verify.js";
export * from "./public/db.js";
export * from "./public/scan.js";
export * from "./public/index-client.js";
