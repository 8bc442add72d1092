import { VouchError } from "../../core/errors.js";
import { parseCycloneDxVex } from "./cyclonedx.js";
import { parseOpenVex } from "./openvex.js";
import { parseJsonObject } from "./read.js";
import type { VexDocument } from "./types.js";

/**
 * Parse a VEX document of either format, told apart by its own markers: OpenVEX's `@context`, CycloneDX's
 * `bomFormat`. Anything else is INPUT_UNSUPPORTED_FORMAT (CSAF VEX is not read yet).
 */
export function parseVexJson(text: string): VexDocument {
  const value = parseJsonObject(text, "VEX document");
  if (typeof value["@context"] === "string") return parseOpenVex(value);
  if (value.bomFormat !== undefined) return parseCycloneDxVex(value);
  throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "VEX document: neither OpenVEX (@context) nor CycloneDX (bomFormat)");
}
