import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import ajvFormats from "ajv-formats";

/**
 * Validators for the official CycloneDX 1.5/1.6/1.7 and SPDX 2.3 JSON schemas (test/fixtures/schemas), with
 * every `format` keyword enforced. CycloneDX uses two formats ajv-formats lacks (iri-reference, idn-email):
 * they are defined here from their RFCs rather than ignored.
 */
const DIR = join(import.meta.dirname, "..", "fixtures", "schemas");
const load = (name: string) => JSON.parse(readFileSync(join(DIR, name), "utf8")) as Record<string, unknown>;

// RFC 3987 IRI-reference, as a validator can check it without a full grammar: no whitespace or control
// characters, no characters RFC 3987 excludes, well-formed percent escapes, and a valid scheme if one is present.
// eslint-disable-next-line no-control-regex -- control characters are exactly what an IRI may not contain
const IRI_FORBIDDEN = /[\s\u0000-\u001f\u007f<>"{}|\\^`]/u;
function isIriReference(value: string): boolean {
  if (IRI_FORBIDDEN.test(value)) return false;
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return false;
  const colon = value.indexOf(":");
  const firstDelimiter = value.search(/[/?#]/);
  if (colon >= 0 && (firstDelimiter < 0 || colon < firstDelimiter)) return /^[A-Za-z][A-Za-z0-9+.-]*$/.test(value.slice(0, colon));
  return true;
}
const IDN_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

// ajv-formats is CommonJS (module.exports = plugin, plugin.default = plugin); under NodeNext the default
// import is typed as the module object, so take the plugin from its `default`.
const addFormats = ajvFormats.default;

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat("iri-reference", { type: "string", validate: isIriReference });
  ajv.addFormat("idn-email", { type: "string", validate: (s: string) => IDN_EMAIL.test(s) });
  return ajv;
}

let cdx: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

export type SchemaName = "cyclonedx-1.5" | "cyclonedx-1.6" | "cyclonedx-1.7" | "spdx-2.3";

export function validator(name: SchemaName): ValidateFunction {
  const hit = compiled.get(name);
  if (hit) return hit;
  let fn: ValidateFunction;
  if (name === "spdx-2.3") {
    fn = makeAjv().compile(load("spdx-2.3.schema.json"));
  } else {
    if (!cdx) {
      cdx = makeAjv();
      for (const f of ["spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json"]) cdx.addSchema(load(f));
    }
    const version = name.slice("cyclonedx-".length);
    fn = cdx.compile(load(`bom-${version}.schema.json`));
  }
  compiled.set(name, fn);
  return fn;
}

/** Schema errors in a readable form ([] when valid). */
export function schemaErrors(name: SchemaName, doc: unknown): string[] {
  const validate = validator(name);
  if (validate(doc)) return [];
  return (validate.errors ?? []).slice(0, 20).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}
