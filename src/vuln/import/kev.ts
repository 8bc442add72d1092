import { VouchError } from "../../core/errors.js";
import type { KevCatalog, KevEntry } from "../../store/ports.js";

/**
 * CISA's Known Exploited Vulnerabilities catalog (known_exploited_vulnerabilities.json, schema
 * https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json), parsed strictly:
 * the catalog replaces the stored one wholesale, so a damaged file must not replace a good one. `count` must equal
 * the number of entries (a cut download that still parses would otherwise drop CVEs silently), each CVE appears
 * once, and every field CISA always writes is checked for its type. `notes` and `cwes` are newer fields: absent
 * reads as "" and [].
 */
export function parseKevJson(text: string, file?: string): KevCatalog {
  const fail = (message: string): never => {
    throw new VouchError("INPUT_MALFORMED", `KEV catalog: ${message}`, { file });
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `KEV catalog: not JSON (${(err as Error).message})`, { file, cause: err });
  }
  if (!isObject(value)) return fail("not a JSON object");
  const catalogVersion = value.catalogVersion;
  const dateReleased = value.dateReleased;
  const count = value.count;
  const list = value.vulnerabilities;
  if (typeof catalogVersion !== "string" || catalogVersion === "") return fail("catalogVersion must be a non-empty string");
  if (typeof dateReleased !== "string" || Number.isNaN(Date.parse(dateReleased))) return fail("dateReleased must be a timestamp");
  if (!Array.isArray(list)) return fail("vulnerabilities must be an array");
  if (count !== list.length) return fail(`count says ${JSON.stringify(count)} but the catalog lists ${list.length} vulnerabilities (truncated?)`);
  const seen = new Set<string>();
  const entries = list.map((v, i): KevEntry => {
    const at = `vulnerabilities[${i}]`;
    if (!isObject(v)) return fail(`${at} must be an object`);
    const str = (key: string, pattern?: RegExp, optional = false): string => {
      const s = v[key];
      if (s === undefined && optional) return "";
      if (typeof s !== "string" || (pattern !== undefined && !pattern.test(s))) return fail(`${at}.${key} ${s === undefined ? "is missing" : "is not valid"}`);
      return s;
    };
    const cveID = str("cveID", /^CVE-\d{4}-\d{4,}$/);
    if (seen.has(cveID)) fail(`${at}.cveID ${cveID} appears twice`);
    seen.add(cveID);
    const cwes = v.cwes ?? [];
    if (!Array.isArray(cwes) || !cwes.every((c) => typeof c === "string")) return fail(`${at}.cwes must be an array of strings`);
    return {
      cveID,
      vendorProject: str("vendorProject"),
      product: str("product"),
      vulnerabilityName: str("vulnerabilityName"),
      dateAdded: str("dateAdded", DATE),
      shortDescription: str("shortDescription"),
      requiredAction: str("requiredAction"),
      dueDate: str("dueDate", DATE),
      knownRansomwareCampaignUse: str("knownRansomwareCampaignUse", undefined, true) || "Unknown",
      notes: str("notes", undefined, true),
      cwes: cwes as string[],
    };
  });
  return { catalogVersion, dateReleased, entries };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
