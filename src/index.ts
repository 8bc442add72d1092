/**
 * vouch's public library API. Every CLI verb is one of these functions; the CLI only parses flags and prints.
 */
export { generateSbom, encodeSbom, parseSbomFormat, SBOM_FORMAT_NAMES } from "./api/sbom.js";
export type { GenerateSbomOptions, GeneratedSbom, SbomFormat, EncodeOptions } from "./api/sbom.js";
export { VouchError, isVouchError } from "./core/errors.js";
export type { VouchErrorCode } from "./core/errors.js";
export type { Sbom, Component, Dependency, License, Hash, Scope, Ecosystem } from "./sbom/model/types.js";
export type { CatalogWarning } from "./catalog/types.js";
export { VOUCH_VERSION } from "./version.js";
