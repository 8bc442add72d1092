import { VouchError } from "../../core/errors.js";
import type { VexStatus } from "../findings.js";
import { FieldReader, isObject, join, parseJsonObject, type JsonObject } from "./read.js";
import type { Identifier, VexDocument, VexProduct, VexStatement } from "./types.js";

/**
 * OpenVEX v0.2.0 (https://github.com/openvex/spec, OPENVEX-SPEC.md and openvex_json_schema.json) parsed strictly:
 * every field vouch reads is checked against the schema's type and enum, the schema's conditional rules are
 * enforced (a not_affected statement MUST carry a justification or an impact_statement; an affected one an
 * action_statement), and the first problem throws INPUT_MALFORMED naming the field. A VEX document switches
 * findings off, so a half-read one must not: anything unclear is refused, never guessed. Fields the schema does
 * not name are ignored (a later minor version may add them).
 *
 * Inheritance as the spec's "Data Inheritance" section says: a statement without a timestamp takes the document's.
 */

const STATUSES: readonly VexStatus[] = ["not_affected", "affected", "fixed", "under_investigation"];
const JUSTIFICATIONS = [
  "component_not_present",
  "vulnerable_code_not_present",
  "vulnerable_code_not_in_execute_path",
  "vulnerable_code_cannot_be_controlled_by_adversary",
  "inline_mitigations_already_exist",
] as const;
export type OpenVexJustification = (typeof JUSTIFICATIONS)[number];

/** `@context` values read as v0.2.0: the versioned one, and the unversioned one the spec's own examples use. */
const CONTEXTS = new Set(["https://openvex.dev/ns/v0.2.0", "https://openvex.dev/ns"]);

/** Parse OpenVEX JSON text. */
export function parseOpenVexJson(text: string): VexDocument {
  return parseOpenVex(parseJsonObject(text, "OpenVEX document"));
}

/**
 * Parse an OpenVEX v0.2.0 document (a value from JSON.parse).
 *
 * @example
 * const doc = parseOpenVex(JSON.parse(text));
 * doc.statements[0].status // "not_affected"
 */
export function parseOpenVex(value: unknown): VexDocument {
  if (!isObject(value)) throw new VouchError("INPUT_MALFORMED", "OpenVEX document: not a JSON object");
  const context = value["@context"];
  if (typeof context !== "string") throw new VouchError("INPUT_MALFORMED", "OpenVEX document: @context is missing or not a string");
  if (!CONTEXTS.has(context)) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `OpenVEX document: @context ${JSON.stringify(context)} is not OpenVEX v0.2.0`);
  }
  const id = typeof value["@id"] === "string" ? value["@id"] : "(no @id)";
  const r = new FieldReader(`OpenVEX document ${id}`);
  r.string(value, "@id", "", true);
  r.string(value, "author", "", true);
  r.string(value, "role", "");
  r.string(value, "tooling", "");
  const timestamp = r.timestamp(value, "timestamp", "", true)!;
  r.timestamp(value, "last_updated", "");
  const version = value.version;
  if (version === undefined) r.fail("version", "is missing");
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) r.fail("version", "must be an integer ≥ 1");
  const raw = r.array(value, "statements", "", true)!;
  if (raw.length === 0) r.fail("statements", "must not be empty");
  const statements = raw.map((s, i) => statement(r, s, `statements[${i}]`, id, timestamp));
  // The schema lets a statement leave its products to an encapsulating document (an in-toto attestation's
  // subject); read on its own, such a statement covers nothing, and says so rather than guessing a product.
  const notes = statements.flatMap((s, i) => (s.products.length === 0 ? [`statements[${i}] names no products: it applies to nothing`] : []));
  return { format: "openvex", id, statements, notes };
}

function statement(r: FieldReader, value: unknown, path: string, document: string, docTimestamp: string): VexStatement {
  const s = r.object(value, path);
  const vuln = r.object(s.vulnerability ?? r.fail(join(path, "vulnerability"), "is missing"), join(path, "vulnerability"));
  const vpath = join(path, "vulnerability");
  const name = r.string(vuln, "name", vpath, true);
  const aliases = r.stringList(vuln, "aliases", vpath);
  r.string(vuln, "@id", vpath);
  r.string(vuln, "description", vpath);
  const status = r.enumString(s, "status", path, STATUSES, true)!;
  const justification = r.enumString(s, "justification", path, JUSTIFICATIONS, false);
  const impactStatement = r.string(s, "impact_statement", path);
  const actionStatement = r.string(s, "action_statement", path);
  if (status === "not_affected" && justification === undefined && impactStatement === undefined) {
    r.fail(path, "is not_affected without a justification or an impact_statement (OpenVEX requires one)");
  }
  if (status === "affected" && actionStatement === undefined) r.fail(join(path, "action_statement"), "is missing (OpenVEX requires one for affected)");
  r.string(s, "status_notes", path);
  r.string(s, "supplier", path);
  r.string(s, "@id", path);
  r.timestamp(s, "action_statement_timestamp", path);
  const own = r.timestamp(s, "timestamp", path);
  const updated = r.timestamp(s, "last_updated", path);
  const products = (r.array(s, "products", path) ?? []).map((p, i) => product(r, p, `${join(path, "products")}[${i}]`));
  const timestamp = updated ?? own ?? docTimestamp;
  return {
    vulnerability: name,
    aliases,
    status,
    ...(justification !== undefined ? { justification } : {}),
    ...(impactStatement !== undefined ? { impactStatement } : {}),
    ...(actionStatement !== undefined ? { actionStatement } : {}),
    timestamp,
    products,
    source: { format: "openvex", document, timestamp },
  };
}

function product(r: FieldReader, value: unknown, path: string): VexProduct {
  const p = r.object(value, path);
  const ids = identifiers(r, p, path);
  const subcomponents = (r.array(p, "subcomponents", path) ?? []).map((s, i) => {
    const spath = `${join(path, "subcomponents")}[${i}]`;
    return identifiers(r, r.object(s, spath), spath);
  });
  return { ids, subcomponents };
}

/** A component's @id and identifiers (purl, cpe22, cpe23); the schema requires at least one of @id or identifiers. */
function identifiers(r: FieldReader, c: JsonObject, path: string): Identifier[] {
  const out: Identifier[] = [];
  const id = r.string(c, "@id", path);
  if (id !== undefined && id !== "") out.push(id);
  if (c.identifiers !== undefined) {
    const ipath = join(path, "identifiers");
    const idents = r.object(c.identifiers, ipath);
    for (const key of ["purl", "cpe22", "cpe23"]) {
      const v = r.string(idents, key, ipath);
      if (v !== undefined && v !== "" && !out.includes(v)) out.push(v);
    }
  }
  if (c.hashes !== undefined) r.object(c.hashes, join(path, "hashes"));
  if (out.length === 0) r.fail(path, "names no product: it needs an @id or identifiers");
  return out;
}
