import { VouchError } from "../../core/errors.js";
import type { VexStatus } from "../findings.js";
import { FieldReader, isObject, join, parseJsonObject, type JsonObject } from "./read.js";
import type { VexDocument, VexProduct, VexStatement } from "./types.js";
import { parseVers, versScheme, type VersRange } from "./vers.js";

/**
 * CycloneDX VEX (https://cyclonedx.org/capabilities/vex/; `vulnerabilities[]` of a 1.4–1.7 BOM) parsed strictly:
 * each vulnerability's `analysis` becomes a statement about the components its `affects[].ref` names (a bom-ref,
 * a BOM-Link `urn:cdx:serial/version#bom-ref`, or a purl). A vulnerability without `analysis` states nothing
 * (it is a VDR entry) and is left out.
 *
 * Analysis states map onto the OpenVEX statuses vouch reports (as CISA's VEX status mapping and trivy/grype do):
 *   not_affected, false_positive → not_affected (the finding is suppressed; the original state is kept)
 *   resolved, resolved_with_pedigree → fixed
 *   exploitable → affected
 *   in_triage → under_investigation
 */

const STATES = ["resolved", "resolved_with_pedigree", "exploitable", "in_triage", "false_positive", "not_affected"] as const;
type CdxState = (typeof STATES)[number];
const STATUS: Readonly<Record<CdxState, VexStatus>> = {
  not_affected: "not_affected",
  false_positive: "not_affected",
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
  exploitable: "affected",
  in_triage: "under_investigation",
};
const JUSTIFICATIONS = [
  "code_not_present",
  "code_not_reachable",
  "requires_configuration",
  "requires_dependency",
  "requires_environment",
  "protected_by_compiler",
  "protected_at_runtime",
  "protected_at_perimeter",
  "protected_by_mitigating_control",
] as const;
const RESPONSES = ["can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"] as const;
const SPEC_VERSIONS = ["1.4", "1.5", "1.6", "1.7"];

/** Parse CycloneDX VEX JSON text. */
export function parseCycloneDxVexJson(text: string): VexDocument {
  return parseCycloneDxVex(parseJsonObject(text, "CycloneDX VEX document"));
}

/**
 * Parse a CycloneDX BOM carrying VEX (a value from JSON.parse).
 *
 * @example
 * const doc = parseCycloneDxVex(JSON.parse(text));
 * doc.statements[0] // { vulnerability: "CVE-2021-44228", status: "not_affected", justification: "code_not_present", … }
 */
export function parseCycloneDxVex(value: unknown): VexDocument {
  if (!isObject(value)) throw new VouchError("INPUT_MALFORMED", "CycloneDX VEX document: not a JSON object");
  if (value.bomFormat !== "CycloneDX") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "CycloneDX VEX document: bomFormat is not CycloneDX");
  const serial = typeof value.serialNumber === "string" ? value.serialNumber : undefined;
  const id = serial ?? "(no serialNumber)";
  const r = new FieldReader(`CycloneDX VEX document ${id}`);
  const spec = r.string(value, "specVersion", "", true);
  if (!SPEC_VERSIONS.includes(spec)) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `CycloneDX VEX document ${id}: specVersion ${spec} has no VEX (1.4 or later)`);
  }
  const metadata = value.metadata === undefined ? undefined : r.object(value.metadata, "metadata");
  const docTimestamp = metadata ? r.timestamp(metadata, "timestamp", "metadata") : undefined;
  const refs = bomRefPurls(r, value, metadata);
  const subject = subjectIds(metadata);
  const vulns = r.array(value, "vulnerabilities", "", true)!;
  const notes: string[] = [];
  const statements: VexStatement[] = [];
  for (const [i, v] of vulns.entries()) {
    const s = statement(r, v, `vulnerabilities[${i}]`, { document: id, docTimestamp, refs, subject }, notes);
    if (s) statements.push(s);
  }
  return { format: "cyclonedx", id, statements, notes };
}

interface DocContext {
  document: string;
  docTimestamp: string | undefined;
  refs: ReadonlyMap<string, string>;
  /** The BOM's subject (metadata.component): its bom-ref and purl. */
  subject: string[];
}

function statement(r: FieldReader, value: unknown, path: string, ctx: DocContext, notes: string[]): VexStatement | undefined {
  const { document, docTimestamp, refs } = ctx;
  const v = r.object(value, path);
  const name = r.string(v, "id", path, true);
  const aliases: string[] = [];
  for (const [i, ref] of (r.array(v, "references", path) ?? []).entries()) {
    const rpath = `${join(path, "references")}[${i}]`;
    const alias = r.string(r.object(ref, rpath), "id", rpath, true);
    if (alias !== name && !aliases.includes(alias)) aliases.push(alias);
  }
  const updated = r.timestamp(v, "updated", path);
  if (v.analysis === undefined) return undefined;
  const apath = join(path, "analysis");
  const analysis = r.object(v.analysis, apath);
  const state = r.enumString(analysis, "state", apath, STATES, true)!;
  const justification = r.enumString(analysis, "justification", apath, JUSTIFICATIONS, false);
  const detail = r.string(analysis, "detail", apath);
  const responses = responseList(r, analysis, apath);
  const firstIssued = r.timestamp(analysis, "firstIssued", apath);
  const lastUpdated = r.timestamp(analysis, "lastUpdated", apath);
  // Without `affects` the analysis is about the BOM's own subject (a VEX embedded in, or issued for, the product
  // metadata.component names); with neither, it is about nothing anyone can tell, and refused.
  const affects = r.array(v, "affects", path);
  let products: VexProduct[];
  if (affects === undefined || affects.length === 0) {
    if (ctx.subject.length === 0) r.fail(join(path, "affects"), "is missing and metadata.component names no bom-ref or purl: the analysis applies to nothing");
    products = [{ ids: ctx.subject, subcomponents: [] }];
  } else {
    products = affects.map((a, i) => affected(r, a, `${join(path, "affects")}[${i}]`, refs, notes));
  }
  const status = STATUS[state];
  const timestamp = lastUpdated ?? firstIssued ?? updated ?? docTimestamp;
  const explanation = detail ?? r.string(v, "recommendation", path);
  return {
    vulnerability: name,
    aliases,
    status,
    ...(justification !== undefined ? { justification } : {}),
    // CycloneDX has one free-text field: for not_affected it is the impact statement, otherwise what to do.
    ...(explanation !== undefined ? (status === "not_affected" ? { impactStatement: explanation } : { actionStatement: explanation }) : {}),
    ...(responses.length > 0 ? { responses } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    products,
    source: {
      format: "cyclonedx",
      document,
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(state !== status ? { state } : {}),
    },
  };
}

/**
 * `analysis.response` is an array in every CycloneDX schema; the specification's own VEX example
 * (bom-examples VEX/vex.json) writes a lone string, read here as one entry. Values are checked either way.
 */
function responseList(r: FieldReader, analysis: JsonObject, path: string): string[] {
  const raw = analysis.response;
  if (raw === undefined) return [];
  const list = typeof raw === "string" ? [raw] : r.array(analysis, "response", path)!;
  return list.map((item, i) => {
    const p = `${join(path, "response")}[${i}]`;
    if (typeof item !== "string" || !(RESPONSES as readonly string[]).includes(item)) r.fail(p, `must be one of ${RESPONSES.join(", ")}`);
    return item;
  });
}

function affected(r: FieldReader, value: unknown, path: string, refs: ReadonlyMap<string, string>, notes: string[]): VexProduct {
  const a = r.object(value, path);
  const ref = r.string(a, "ref", path, true);
  const ids = [ref];
  // A BOM-Link names a component of another BOM by its bom-ref after '#'.
  const hash = ref.startsWith("urn:cdx:") ? ref.indexOf("#") : -1;
  const local = hash >= 0 ? decodeFragment(ref.slice(hash + 1)) : ref;
  if (local !== ref) ids.push(local);
  const purl = refs.get(local);
  if (purl !== undefined && !ids.includes(purl)) ids.push(purl);
  const rawVersions = r.array(a, "versions", path);
  if (rawVersions === undefined) return { ids, subcomponents: [] };
  const versions: string[] = [];
  const ranges: VersRange[] = [];
  for (const [i, entry] of rawVersions.entries()) {
    const vpath = `${join(path, "versions")}[${i}]`;
    const e = r.object(entry, vpath);
    const version = r.string(e, "version", vpath);
    const range = r.string(e, "range", vpath);
    r.enumString(e, "status", vpath, ["affected", "unaffected", "unknown"], false);
    if (version === undefined && range === undefined) r.fail(vpath, "needs a version or a range");
    if (version !== undefined) versions.push(version);
    if (range === undefined) continue;
    let parsed: VersRange | undefined;
    try {
      parsed = parseVers(range);
    } catch (err) {
      r.fail(`${vpath}.range`, err instanceof VouchError ? err.message : String(err));
    }
    // A scheme vouch cannot order (vers:generic, …) covers no version: the finding stays, with a note saying why.
    if (parsed !== undefined && versScheme(parsed.scheme) !== undefined) ranges.push(parsed);
    else notes.push(`${vpath}: version range ${range} not evaluated (no version scheme for "${parsed?.scheme ?? "?"}"; the statement applies only to listed versions)`);
  }
  return { ids, subcomponents: [], versions, ...(ranges.length > 0 ? { ranges } : {}) };
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

function subjectIds(metadata: JsonObject | undefined): string[] {
  const c = metadata?.component;
  if (!isObject(c)) return [];
  return [c["bom-ref"], c.purl].filter((x, i, all): x is string => typeof x === "string" && x !== "" && all.indexOf(x) === i);
}

/** bom-ref → purl for the document's own components, so an `affects.ref` to one of them matches by purl. */
function bomRefPurls(r: FieldReader, bom: JsonObject, metadata: JsonObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (value: unknown, path: string) => {
    const c = r.object(value, path);
    const ref = r.string(c, "bom-ref", path);
    const purl = r.string(c, "purl", path);
    if (ref !== undefined && purl !== undefined) out.set(ref, purl);
    for (const [i, child] of (r.array(c, "components", path) ?? []).entries()) visit(child, `${join(path, "components")}[${i}]`);
  };
  if (metadata?.component !== undefined) visit(metadata.component, "metadata.component");
  for (const [i, c] of (r.array(bom, "components", "") ?? []).entries()) visit(c, `components[${i}]`);
  return out;
}
