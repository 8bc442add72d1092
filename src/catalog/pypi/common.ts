import { parse as parseTomlText } from "smol-toml";
import { VouchError } from "../../core/errors.js";
import { mergeHashes, prefixedHexHash } from "../../sbom/model/hash.js";
import { buildPurl, normalizePypiName } from "../../sbom/model/purl.js";
import type { Hash, Property, Scope } from "../../sbom/model/types.js";
import type { PackageRecord } from "../types.js";

/** Shared helpers of the PyPI catalogers: defensive field access, PEP 508, hashes, TOML, graph scope. */

export type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function strings(value: unknown): string[] {
  return arr(value).filter((v): v is string => typeof v === "string");
}

export function tables(value: unknown): Table[] {
  return arr(value).filter(isTable);
}

/** Property names vouch gives PyPI-specific facts. */
export const PROP = {
  extras: "vouch:pypi:extras",
  markers: "vouch:pypi:markers",
  versionConstraint: "vouch:pypi:versionConstraint",
  source: "vouch:pypi:source",
  installedFiles: "vouch:pypi:installedFiles",
} as const;

export function pypiPurl(name: string, version: string): string {
  return buildPurl("pypi", { name, version });
}

/** A PackageRecord with the fields every PyPI cataloger fills the same way; id = purl. */
export function newPackage(name: string, version: string, scope: Scope, hashes: Hash[] = []): PackageRecord {
  const purl = pypiPurl(name, version);
  return { id: purl, ecosystem: "pypi", name, version, purl, hashes: hashes.length > 1 ? mergeHashes(hashes) : hashes, scope, dependsOn: [] };
}

export function addProperty(pkg: PackageRecord, name: string, value: string): void {
  const props: Property[] = (pkg.properties ??= []);
  if (!props.some((p) => p.name === name && p.value === value)) props.push({ name, value });
}

/** "sha256:<hex>" strings (pip, poetry, uv, pdm, Pipfile.lock) to hashes; malformed ones are dropped. */
export function prefixedHashes(values: readonly unknown[]): Hash[] {
  const out: Hash[] = [];
  for (const v of values) {
    const h = typeof v === "string" ? prefixedHexHash(v) : undefined;
    if (h) out.push(h);
  }
  return out;
}

/** A PEP 508 requirement, split into its parts (nothing here is validated beyond the name). */
export interface Requirement {
  name: string;
  extras: string[];
  /** Version specifier text, without parentheses ("" when none). */
  specifier: string;
  url?: string;
  markers?: string;
}

// PEP 508: a name starts and ends with a letter or digit; `.`, `_` and `-` may appear inside.
const NAME_RE = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*/;
const VALID_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * A distribution name as PEP 508 / core metadata allow it. Lockfile entries are checked with this before a
 * purl is built from them: a name outside it is a hostile or broken entry.
 */
export function isValidName(name: string): boolean {
  return VALID_NAME.test(name);
}

/** Parse "name[extra1,extra2] (>=1.0) ; markers" or "name @ url ; markers"; undefined without a name. */
export function parseRequirement(text: string): Requirement | undefined {
  const m = NAME_RE.exec(text);
  if (!m) return undefined;
  const extras = (m[2] ?? "").split(",").map((e) => e.trim()).filter((e) => e.length > 0);
  const rest = text.slice(m[0].length);
  if (rest.startsWith("@")) {
    // PEP 508: in the URL form the marker separator needs whitespace before it (a URL may contain ";").
    const semi = /\s;/.exec(rest);
    const url = (semi ? rest.slice(1, semi.index) : rest.slice(1)).trim();
    const markers = semi ? rest.slice(semi.index + 2).trim() : undefined;
    return { name: m[1]!, extras, specifier: "", url: url || undefined, markers: markers || undefined };
  }
  const semi = rest.indexOf(";");
  const spec = (semi >= 0 ? rest.slice(0, semi) : rest).trim().replace(/^\((.*)\)$/s, "$1").trim();
  if (spec !== "" && !/^[~=!<>]/.test(spec)) return undefined;
  const markers = semi >= 0 ? rest.slice(semi + 1).trim() : undefined;
  return { name: m[1]!, extras, specifier: spec, markers: markers || undefined };
}

/**
 * The version a specifier pins exactly: "==1.2.3" or "===1.2.3" as its only clause. Like syft, "==1.2.*"
 * and ranges pin nothing.
 */
export function pinnedVersion(specifier: string): string | undefined {
  const m = /^\s*===?\s*([^\s,;*]+)\s*$/.exec(specifier);
  return m ? m[1] : undefined;
}

/** Parse a TOML document; a syntax error becomes INPUT_MALFORMED at the library's line. */
export function parseToml(text: string, what: string): Table {
  try {
    return parseTomlText(text) as Table;
  } catch (err) {
    const line = typeof (err as { line?: unknown }).line === "number" ? (err as { line: number }).line : undefined;
    const reason = err instanceof Error ? err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "") : String(err);
    throw new VouchError("INPUT_MALFORMED", `${what} is not valid TOML: ${reason}`, { line, cause: err });
  }
}

/**
 * The 1-based line of the i-th `[[name]]` array-table header: lockfile writers emit one header per entry, so
 * the i-th entry of the parsed array starts there. Computed on first use (only warnings need it).
 */
export function arrayTableLineFinder(text: string, name: string): (index: number) => number | undefined {
  let lines: number[] | undefined;
  return (index) => {
    lines ??= headerLines(text, `[[${name}]]`);
    return lines[index];
  };
}

function headerLines(text: string, header: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (text.slice(start, end).trim() === header) lines.push(line);
    line++;
    start = end + 1;
  }
  return lines;
}

/** PackageRecord ids by PEP 503-normalised name (a lockfile can hold several versions of one name). */
export class NameIndex {
  private readonly byName = new Map<string, { ids: string[]; versions: string[] }>();

  add(name: string, version: string, id: string): void {
    const key = normalizePypiName(name);
    const entry = this.byName.get(key);
    if (!entry) this.byName.set(key, { ids: [id], versions: [version] });
    else if (!entry.ids.includes(id)) {
      entry.ids.push(id);
      entry.versions.push(version);
    }
  }

  /**
   * The ids a dependency on `name` can mean. When several versions are locked, a version the dependency pins
   * (uv's `version`, a `==` specifier) narrows it; otherwise every locked version is a possible target.
   */
  resolve(name: string, version?: string): readonly string[] {
    const entry = this.byName.get(normalizePypiName(name));
    if (!entry) return [];
    if (entry.ids.length <= 1 || version === undefined) return entry.ids;
    const exact = entry.ids.filter((_, i) => entry.versions[i] === version);
    return exact.length > 0 ? exact : entry.ids;
  }
}

export function pushUnique(list: string[], values: readonly string[]): void {
  for (const v of values) if (!list.includes(v)) list.push(v);
}

export interface ScopeRoots {
  required: readonly string[];
  optional: readonly string[];
  dev: readonly string[];
}

/**
 * Scope by reachability, the way poetry/uv/pdm decide what an install needs: whatever the project's main
 * dependencies reach is required, whatever only its extras reach is optional, whatever only its dev groups
 * reach is dev. Returns the scope of every reached node; nodes are caller-defined strings.
 */
export function scopesByReachability(roots: ScopeRoots, next: (node: string) => readonly string[]): Map<string, Scope> {
  const scopes = new Map<string, Scope>();
  for (const scope of ["required", "optional", "dev"] as const) {
    const queue = roots[scope].filter((n) => !scopes.has(n));
    for (const n of queue) scopes.set(n, scope);
    for (let i = 0; i < queue.length; i++) {
      for (const m of next(queue[i]!)) {
        if (scopes.has(m)) continue;
        scopes.set(m, scope);
        queue.push(m);
      }
    }
  }
  return scopes;
}

const SCOPE_RANK: Record<Scope, number> = { required: 3, optional: 2, dev: 1 };

export function widerScope(a: Scope, b: Scope): Scope {
  return SCOPE_RANK[a] >= SCOPE_RANK[b] ? a : b;
}
