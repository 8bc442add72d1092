import { VouchError } from "../../core/errors.js";
import { CYCLONEDX_VERSIONS, readCycloneDx } from "./cyclonedx.js";
import { parseJsonText } from "../../core/encoding/json-text.js";
import { readSpdx, SPDX_VERSIONS } from "./spdx.js";
import type { ReadSbom } from "./types.js";
import { describeType, isObject, quote, Wire } from "./wire.js";

export type { ComponentFacts, DocumentFacts, LicenseText, PurlState, ReadSbom, ReadWarning, SbomFormat } from "./types.js";

/**
 * Read an SBOM written by any tool: SPDX 2.2/2.3 JSON or CycloneDX 1.4–1.7 JSON, told apart by their marker
 * fields (`spdxVersion`, `bomFormat`). Anything else is refused with a VouchError naming the file (and line):
 * INPUT_MALFORMED for text that is not JSON or a document whose structure is broken, INPUT_UNSUPPORTED_FORMAT for
 * well-formed input that is not an SBOM vouch reads.
 */
export function readSbom(text: string, fileName: string, parsed?: { json: unknown }): ReadSbom {
  refuseOtherEncodings(text, fileName);
  // A caller that had to parse the text already (the index's HTTP route, for a 100,000-component SBOM) passes it.
  const doc = parsed === undefined ? parseJsonText(text, fileName) : parsed.json;
  const wire = new Wire(text, fileName);
  if (!isObject(doc)) return wire.unsupported([], `not an SBOM: the JSON document is ${describeType(doc)}, not an SPDX or CycloneDX object`);

  if ("spdxVersion" in doc) return readSpdx(doc, spdxVersion(doc, wire), wire);
  if ("bomFormat" in doc) return readCycloneDx(doc, cycloneDxVersion(doc, wire), wire);
  if (isSpdx3(doc)) wire.unsupported([], "SPDX 3 (JSON-LD) is not supported: vouch reads SPDX 2.2 and 2.3 JSON");
  return wire.unsupported([], "not an SBOM: neither SPDX JSON (no spdxVersion) nor CycloneDX JSON (no bomFormat)");
}

/** The other encodings both specs allow, named rather than reported as a JSON syntax error. */
function refuseOtherEncodings(text: string, file: string): void {
  const start = text.replace(/^\uFEFF/, "").trimStart();
  if (start.startsWith("<")) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "XML SBOMs are not supported: vouch reads SPDX and CycloneDX JSON", { file, line: 1 });
  }
  if (/^(SPDXVersion|DataLicense|SPDXID)\s*:/m.test(start.slice(0, 4096))) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "SPDX tag-value is not supported: vouch reads SPDX JSON", { file, line: 1 });
  }
}

function spdxVersion(doc: Readonly<Record<string, unknown>>, wire: Wire): string {
  const raw = doc["spdxVersion"];
  if (typeof raw !== "string") return wire.fail(["spdxVersion"], `expected a string like "SPDX-2.3", found ${describeType(raw)}`);
  const version = /^SPDX-(\d+\.\d+)$/.exec(raw.trim())?.[1];
  if (version === undefined || !(SPDX_VERSIONS as readonly string[]).includes(version)) {
    return wire.unsupported(["spdxVersion"], `SPDX version ${quote(raw)} is not supported: vouch reads SPDX ${SPDX_VERSIONS.join(" and ")} JSON`);
  }
  return version;
}

function cycloneDxVersion(doc: Readonly<Record<string, unknown>>, wire: Wire): string {
  const format = doc["bomFormat"];
  if (format !== "CycloneDX") {
    return wire.unsupported(["bomFormat"], `bomFormat ${quote(format)} is not "CycloneDX": not an SBOM vouch reads`);
  }
  const raw = doc["specVersion"];
  if (typeof raw !== "string") return wire.fail(["specVersion"], `expected a string like "1.6", found ${describeType(raw)}`);
  if (!(CYCLONEDX_VERSIONS as readonly string[]).includes(raw.trim())) {
    return wire.unsupported(["specVersion"], `CycloneDX ${quote(raw)} is not supported: vouch reads CycloneDX ${CYCLONEDX_VERSIONS.join(", ")} JSON`);
  }
  return raw.trim();
}

function isSpdx3(doc: Readonly<Record<string, unknown>>): boolean {
  const context = doc["@context"];
  const texts = Array.isArray(context) ? context : [context];
  return texts.some((c) => typeof c === "string" && c.includes("spdx.org/rdf/3"));
}
