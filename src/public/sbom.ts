/** Generating SBOMs from a source tree (`vouch sbom`): every cataloger and serializer, the biggest area by far. */
export { generateSbom, generateImageSbom, isImageReference, encodeSbom, parseSbomFormat, SBOM_FORMAT_NAMES } from "../api/sbom.js";
export type { GenerateSbomOptions, GenerateImageSbomOptions, GeneratedSbom, SbomFormat, EncodeOptions } from "../api/sbom.js";
export type { Sbom, Component, Dependency, License, Hash, Scope, Ecosystem } from "../sbom/model/types.js";
export type { CatalogWarning } from "../catalog/types.js";
