import { VouchError } from "../../core/errors.js";
import { parsePurl } from "../../sbom/model/purl.js";
import { normalizePackageName, parseEcosystem, type ParsedEcosystem } from "./ecosystems.js";

/**
 * OSV records (https://ossf.github.io/osv-schema/, schema 1.x) parsed once, at the edge, into the narrow shape the
 * matcher and the advisory store use. A record is attacker-influenced input (anyone can publish an OSV feed), so
 * every field the matcher reads is checked for its type and the constraints the schema states; the first problem
 * throws VouchError INPUT_MALFORMED naming the record id and the field (`affected[0].ranges[1].events[2]`), so
 * the importer can skip the record with a warning naming the file and id. A record of schema 2.x or later is
 * INPUT_UNSUPPORTED_FORMAT (a new major version may change the meaning of old fields).
 *
 * Fields the schema adds in later 1.x minor versions are ignored (minor versions only add fields). Fields that
 * never affect matching (`references[].type`, `credits`) are checked for their JSON type only, so a reference
 * type added later does not cost the whole record. `ecosystem_specific` and `database_specific` are kept opaque.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export type OsvRangeType = "SEMVER" | "ECOSYSTEM" | "GIT";

export type OsvEventKind = "introduced" | "fixed" | "last_affected" | "limit";

export interface OsvEvent {
  kind: OsvEventKind;
  /** The version (or full commit hash in a GIT range). `introduced: "0"` sorts before every version. */
  version: string;
}

export interface OsvRange {
  type: OsvRangeType;
  /** The repository URL (required for GIT ranges). */
  repo?: string;
  /** In record order: the matcher sorts them (the schema only recommends sorting). */
  events: OsvEvent[];
  databaseSpecific?: JsonObject;
}

export interface OsvPackage {
  /** The ecosystem string as written ("Debian:12"). */
  ecosystem: string;
  /** The ecosystem string split into name and release or repository. */
  parsedEcosystem: ParsedEcosystem;
  /** The name as written. */
  name: string;
  /** The name normalised per ecosystem (PEP 503 for PyPI…): what matching and the store index compare. */
  normalizedName: string;
  purl?: string;
}

export interface OsvSeverity {
  /** "CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu", or a type a later schema adds. */
  type: string;
  score: string;
}

export interface OsvAffected {
  /** Absent only in ecosystem-less records (GIT ranges over a repository). */
  package?: OsvPackage;
  severity: OsvSeverity[];
  ranges: OsvRange[];
  /** Explicitly affected versions, compared as strings (the schema's IncludedInVersions). */
  versions: string[];
  ecosystemSpecific?: JsonObject;
  databaseSpecific?: JsonObject;
}

export interface OsvReference {
  type: string;
  url: string;
}

export interface OsvRecord {
  /** "1.0.0" when the record names none (the schema's default). */
  schemaVersion: string;
  id: string;
  /** RFC 3339 timestamps, as written. */
  modified: string;
  published?: string;
  /** Set when the record was withdrawn: matching ignores it. */
  withdrawn?: string;
  aliases: string[];
  upstream: string[];
  related: string[];
  summary?: string;
  details?: string;
  severity: OsvSeverity[];
  affected: OsvAffected[];
  references: OsvReference[];
  databaseSpecific?: JsonObject;
}

const RANGE_TYPES: ReadonlySet<string> = new Set(["SEMVER", "ECOSYSTEM", "GIT"]);
const EVENT_KINDS: readonly OsvEventKind[] = ["introduced", "fixed", "last_affected", "limit"];
/** schema.json: GIT range events are full-length commit hashes (SHA-1 or SHA-256), or "0". */
const GIT_EVENT = /^(0|[a-f0-9]{40}|[a-f0-9]{64})$/;
/** RFC 3339 date-time; osv.dev writes UTC with up to nine fraction digits. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
/** Ids are `<DB>-<ENTRYID>`; no whitespace or control characters, bounded (they end up in file names and URLs). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}$/;

/** Parse OSV JSON text (one record). */
export function parseOsvJson(text: string): OsvRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new VouchError("INPUT_MALFORMED", `OSV record: not JSON (${(e as Error).message})`, { cause: e });
  }
  return parseOsvRecord(value);
}

/**
 * The id of something that looks like an OSV record, for warnings about records that fail to parse;
 * undefined when it has no usable id.
 */
export function osvRecordId(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const id = value.id;
  return typeof id === "string" && ID.test(id) ? id : undefined;
}

/**
 * Parse one OSV record (a value from JSON.parse).
 *
 * @example
 * const record = parseOsvRecord(JSON.parse(text));
 * record.affected[0]?.package?.parsedEcosystem // { ecosystem: "Debian", known: true, release: "12" }
 */
export function parseOsvRecord(value: unknown): OsvRecord {
  if (!isObject(value)) throw new VouchError("INPUT_MALFORMED", "OSV record: not a JSON object");
  const rawId = value.id;
  if (typeof rawId !== "string" || !ID.test(rawId)) {
    throw new VouchError("INPUT_MALFORMED", `OSV record: id ${rawId === undefined ? "is missing" : "must be a string <DB>-<ENTRYID>"}`);
  }
  const r: Reader = new Reader(rawId);

  const schemaVersion = r.optionalString(value, "schema_version") ?? "1.0.0";
  const major = /^(\d+)\.\d+\.\d+/.exec(schemaVersion)?.[1];
  if (major === undefined) r.fail("schema_version", "must be a SemVer version");
  if (major !== "1") {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `OSV record ${rawId}: schema_version ${schemaVersion} is not 1.x`);
  }

  const record: OsvRecord = {
    schemaVersion,
    id: rawId,
    modified: r.timestamp(value, "modified", true)!,
    aliases: r.stringList(value, "aliases", true),
    upstream: r.stringList(value, "upstream", false),
    related: r.stringList(value, "related", false),
    severity: r.severityList(value, "severity"),
    affected: [],
    references: [],
  };
  const published = r.timestamp(value, "published", false);
  if (published !== undefined) record.published = published;
  const withdrawn = r.timestamp(value, "withdrawn", false);
  if (withdrawn !== undefined) record.withdrawn = withdrawn;
  const summary = r.optionalString(value, "summary");
  if (summary !== undefined) record.summary = summary;
  const details = r.optionalString(value, "details");
  if (details !== undefined) record.details = details;
  const dbs = r.optionalObject(value, "database_specific");
  if (dbs !== undefined) record.databaseSpecific = dbs;

  const affected = r.optionalArray(value, "affected", true) ?? [];
  affected.forEach((a, i) => record.affected.push(r.affected(a, `affected[${i}]`)));
  if (record.severity.length > 0) {
    const i = record.affected.findIndex((a) => a.severity.length > 0);
    // schema: "If any package level severity fields are set, the top level severity must not be set."
    if (i >= 0) r.fail(`affected[${i}].severity`, "must not be set when the top-level severity is");
  }

  const references = r.optionalArray(value, "references", true) ?? [];
  references.forEach((ref, i) => {
    const path = `references[${i}]`;
    if (!isObject(ref)) r.fail(path, "must be an object");
    record.references.push({ type: r.requiredString(ref, "type", path), url: r.requiredString(ref, "url", path) });
  });
  if (value.credits !== undefined && !Array.isArray(value.credits)) r.fail("credits", "must be an array");
  return record;
}

/** Field readers that know the record id and build the path of the field they read, for the error message. */
class Reader {
  constructor(private readonly id: string) {}

  fail(path: string, problem: string): never {
    throw new VouchError("INPUT_MALFORMED", `OSV record ${this.id}: ${path} ${problem}`);
  }

  private at(parent: string | undefined, key: string): string {
    return parent === undefined ? key : `${parent}.${key}`;
  }

  optionalString(obj: JsonObject, key: string, parent?: string): string | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string") this.fail(this.at(parent, key), "must be a string");
    return v;
  }

  requiredString(obj: JsonObject, key: string, parent?: string): string {
    const v = this.optionalString(obj, key, parent);
    if (v === undefined) this.fail(this.at(parent, key), "is missing");
    if (v.trim() === "") this.fail(this.at(parent, key), "must not be empty");
    return v;
  }

  optionalObject(obj: JsonObject, key: string, parent?: string): JsonObject | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (!isObject(v)) this.fail(this.at(parent, key), "must be an object");
    return v;
  }

  /** An array; `null` is allowed where the schema says `["array", "null"]` and reads as absent. */
  optionalArray(obj: JsonObject, key: string, nullable: boolean, parent?: string): unknown[] | undefined {
    const v = obj[key];
    if (v === undefined || (nullable && v === null)) return undefined;
    if (!Array.isArray(v)) this.fail(this.at(parent, key), "must be an array");
    return v;
  }

  stringList(obj: JsonObject, key: string, nullable: boolean, parent?: string): string[] {
    const list = this.optionalArray(obj, key, nullable, parent) ?? [];
    return list.map((s, i) => {
      if (typeof s !== "string" || s === "") this.fail(`${this.at(parent, key)}[${i}]`, "must be a non-empty string");
      return s;
    });
  }

  timestamp(obj: JsonObject, key: string, required: boolean): string | undefined {
    const v = required ? this.requiredString(obj, key) : this.optionalString(obj, key);
    if (v === undefined) return undefined;
    const m = TIMESTAMP.exec(v);
    const ok =
      m !== null &&
      Number(m[2]) >= 1 &&
      Number(m[2]) <= 12 &&
      Number(m[3]) >= 1 &&
      Number(m[3]) <= 31 &&
      Number(m[4]) <= 23 &&
      Number(m[5]) <= 59 &&
      Number(m[6]) <= 60;
    if (!ok) this.fail(key, `must be an RFC 3339 timestamp (got ${JSON.stringify(v.slice(0, 40))})`);
    return v;
  }

  severityList(obj: JsonObject, key: string, parent?: string): OsvSeverity[] {
    const list = this.optionalArray(obj, key, true, parent) ?? [];
    return list.map((s, i) => {
      const path = `${this.at(parent, key)}[${i}]`;
      if (!isObject(s)) this.fail(path, "must be an object");
      return { type: this.requiredString(s, "type", path), score: this.requiredString(s, "score", path) };
    });
  }

  affected(a: unknown, path: string): OsvAffected {
    if (!isObject(a)) this.fail(path, "must be an object");
    const out: OsvAffected = {
      severity: this.severityList(a, "severity", path),
      ranges: [],
      versions: this.stringList(a, "versions", false, path),
    };
    const pkg = this.optionalObject(a, "package", path);
    if (pkg !== undefined) out.package = this.package(pkg, `${path}.package`);
    const ranges = this.optionalArray(a, "ranges", false, path) ?? [];
    ranges.forEach((rg, i) => out.ranges.push(this.range(rg, `${path}.ranges[${i}]`)));
    const es = this.optionalObject(a, "ecosystem_specific", path);
    if (es !== undefined) out.ecosystemSpecific = es;
    const ds = this.optionalObject(a, "database_specific", path);
    if (ds !== undefined) out.databaseSpecific = ds;
    return out;
  }

  private package(pkg: JsonObject, path: string): OsvPackage {
    const ecosystem = this.requiredString(pkg, "ecosystem", path);
    const parsedEcosystem = parseEcosystem(ecosystem);
    if (parsedEcosystem === undefined) this.fail(`${path}.ecosystem`, `is not an ecosystem string (got ${JSON.stringify(ecosystem.slice(0, 60))})`);
    const name = this.requiredString(pkg, "name", path);
    const out: OsvPackage = { ecosystem, parsedEcosystem, name, normalizedName: normalizePackageName(parsedEcosystem.ecosystem, name) };
    const purl = this.optionalString(pkg, "purl", path);
    if (purl !== undefined) {
      if (parsePurl(purl) === undefined) this.fail(`${path}.purl`, `is not a package URL (got ${JSON.stringify(purl.slice(0, 80))})`);
      out.purl = purl;
    }
    return out;
  }

  private range(rg: unknown, path: string): OsvRange {
    if (!isObject(rg)) this.fail(path, "must be an object");
    const type = this.requiredString(rg, "type", path);
    if (!RANGE_TYPES.has(type)) this.fail(`${path}.type`, `must be SEMVER, ECOSYSTEM or GIT (got ${JSON.stringify(type.slice(0, 40))})`);
    const out: OsvRange = { type: type as OsvRangeType, events: [] };
    const repo = this.optionalString(rg, "repo", path);
    if (repo !== undefined) out.repo = repo;
    if (type === "GIT" && (repo === undefined || repo.trim() === "")) this.fail(`${path}.repo`, "is required for a GIT range");
    const events = this.optionalArray(rg, "events", false, path);
    if (events === undefined) this.fail(`${path}.events`, "is missing");
    if (events.length === 0) this.fail(`${path}.events`, "must not be empty");
    events.forEach((e, i) => {
      const at = `${path}.events[${i}]`;
      if (!isObject(e)) this.fail(at, "must be an object");
      // schema: "Only a single type (either introduced, fixed, last_affected, limit) is allowed in each event object."
      const kinds = EVENT_KINDS.filter((k) => e[k] !== undefined);
      if (kinds.length !== 1) {
        this.fail(at, kinds.length === 0 ? "names none of introduced, fixed, last_affected, limit" : `names more than one event (${kinds.join(", ")})`);
      }
      const kind = kinds[0]!;
      const version = this.requiredString(e, kind, at);
      if (type === "GIT" && !GIT_EVENT.test(version)) this.fail(`${at}.${kind}`, "must be a full-length commit hash in a GIT range");
      out.events.push({ kind, version });
    });
    if (!out.events.some((e) => e.kind === "introduced")) this.fail(`${path}.events`, "must contain an introduced event");
    // schema: "Entries in the events array can contain either last_affected or fixed events, but not both."
    if (out.events.some((e) => e.kind === "fixed") && out.events.some((e) => e.kind === "last_affected")) {
      this.fail(`${path}.events`, "must not contain both fixed and last_affected events");
    }
    const ds = this.optionalObject(rg, "database_specific", path);
    if (ds !== undefined) out.databaseSpecific = ds;
    return out;
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
