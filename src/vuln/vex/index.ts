/** VEX: OpenVEX v0.2.0 and CycloneDX VEX parsed into one shape, applied to findings. Pure. */
export { parseOpenVex, parseOpenVexJson } from "./openvex.js";
export { parseCycloneDxVex, parseCycloneDxVexJson } from "./cyclonedx.js";
export { applyVex, identifierCovers, purlCovers, type ApplyVexOptions } from "./apply.js";
export { parseVexJson } from "./detect.js";
export type { Identifier, VexDocument, VexProduct, VexStatement } from "./types.js";
