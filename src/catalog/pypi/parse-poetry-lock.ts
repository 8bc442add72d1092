import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { mergeHashes } from "../../sbom/model/hash.js";
import { normalizePypiName } from "../../sbom/model/purl.js";
import type { Hash, Scope } from "../../sbom/model/types.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import {
  addProperty,
  arrayTableLineFinder,
  isTable,
  isValidName,
  NameIndex,
  newPackage,
  parseRequirement,
  parseToml,
  pinnedVersion,
  prefixedHashes,
  PROP,
  pushUnique,
  scopesByReachability,
  str,
  strings,
  tables,
  type Table,
} from "./common.js";
import { allOf, manifestDirectIds, readPyproject, type DeclaredDependency, type PyprojectManifest } from "./pyproject.js";

/**
 * poetry.lock, lock-version 1.x (`category`, hashes in a `[metadata.files]` table) and 2.x (hashes inline in
 * `files`; 2.1 adds per-package `groups`). Every [[package]] is a component.
 *
 * Scope: 1.x `category = "dev"` is dev; 2.1 `groups` without "main" is dev; `optional = true` (only installed
 * through one of the project's extras) is optional. Lock-version 2.0 records neither, so scope is what poetry
 * itself computes on export: reachability from pyproject.toml's main dependencies, extras and groups.
 */

export const poetryLockCataloger: Cataloger = {
  name: "pypi-poetry-lock",
  ecosystem: "pypi",
  matches: (path) => posix.basename(path) === "poetry.lock",
  parse: parsePoetryLock,
};

interface PoetryEntry {
  pkg: PackageRecord;
  raw: Table;
  /** Scope the lock itself records (category / groups), when it does. */
  recordedScope?: Scope;
  optional: boolean;
}

export function parsePoetryLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = parseToml(file.text, "poetry.lock");
  const metadata = isTable(doc.metadata) ? doc.metadata : {};
  checkLockVersion(metadata["lock-version"]);
  if (doc.package !== undefined && !Array.isArray(doc.package)) throw new VouchError("INPUT_MALFORMED", "poetry.lock: `package` is not an array of tables");

  const legacyFiles = legacyFileHashes(metadata.files);
  const lineOf = arrayTableLineFinder(file.text, "package");
  const entries = new Map<string, PoetryEntry>();
  const names = new NameIndex();
  const rawPackages: unknown[] = Array.isArray(doc.package) ? doc.package : [];
  rawPackages.forEach((raw, i) => {
    const entry = readEntry(raw, legacyFiles);
    if (typeof entry === "string") return ctx.warn(`[[package]] ${entry}; skipped`, lineOf(i));
    const known = entries.get(entry.pkg.id);
    if (known) {
      // One name@version locked twice (two sources): one component with both sets of hashes.
      known.pkg.hashes = mergeHashes(known.pkg.hashes, entry.pkg.hashes);
      return;
    }
    entries.set(entry.pkg.id, entry);
    names.add(entry.pkg.name, entry.pkg.version, entry.pkg.id);
  });

  const manifest = readPyproject(ctx, posix.dirname(file.path));
  addEdges([...entries.values()], names, manifest);
  assignScopes([...entries.values()], names, manifest);

  const packages = [...entries.values()].map((e) => e.pkg);
  const result: ParseResult = { directDependencies: manifest ? manifestDirectIds(manifest, names) : [], packages };
  if (manifest?.project) result.project = manifest.project;
  return result;
}

function checkLockVersion(value: unknown): void {
  // Poetry before 1.0 wrote no lock-version; 1.0-1.1 wrote "1.0"/"1.1"; 1.2+ write "2.0"/"2.1".
  if (value === undefined) return;
  const version = str(value);
  if (version === undefined || !/^[12](\.\d+)*$/.test(version)) {
    throw new VouchError("INPUT_MALFORMED", `poetry.lock: unsupported lock-version ${JSON.stringify(value)}`);
  }
}

/** Lock-version 1.x keeps every package's files in `[metadata.files]`, keyed by name. */
function legacyFileHashes(value: unknown): Map<string, Table[]> {
  const byName = new Map<string, Table[]>();
  if (!isTable(value)) return byName;
  for (const [name, files] of Object.entries(value)) {
    const key = normalizePypiName(name);
    byName.set(key, [...(byName.get(key) ?? []), ...tables(files)]);
  }
  return byName;
}

function readEntry(raw: unknown, legacyFiles: Map<string, Table[]>): PoetryEntry | string {
  if (!isTable(raw)) return "is not a table";
  const name = str(raw.name);
  const version = str(raw.version);
  if (!name) return "without a name";
  if (!isValidName(name)) return `with an invalid name ${JSON.stringify(name)}`;
  if (version === undefined) return `${name} without a version`;
  const optional = raw.optional === true;
  const pkg = newPackage(name, version, "required", fileHashes(raw, version, legacyFiles));
  const description = str(raw.description);
  if (description) pkg.description = description;
  const source = sourceOf(raw.source);
  if (source) addProperty(pkg, PROP.source, source);
  return { pkg, raw, recordedScope: recordedScope(raw, optional), optional };
}

function fileHashes(raw: Table, version: string, legacyFiles: Map<string, Table[]>): Hash[] {
  const inline = tables(raw.files);
  const legacy = legacyFiles.get(normalizePypiName(str(raw.name) ?? "")) ?? [];
  // [metadata.files] lists the files of every locked version of a name: keep this version's files.
  const ofVersion = legacy.filter((f) => fileIsVersion(str(f.file) ?? "", version));
  return prefixedHashes([...inline, ...ofVersion].map((f) => f.hash));
}

/** "name-1.0-py3-none-any.whl" / "name-1.0.tar.gz" belong to version 1.0 (and not to 1.0.1). */
function fileIsVersion(file: string, version: string): boolean {
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`-${escaped}(?:-|\\.tar\\.|\\.tar$|\\.zip$|\\.tgz$|\\.egg$|\\.whl$)`).test(file);
}

function recordedScope(raw: Table, optional: boolean): Scope | undefined {
  const required: Scope = optional ? "optional" : "required";
  if (Array.isArray(raw.groups)) return strings(raw.groups).includes("main") ? required : "dev";
  const category = str(raw.category);
  if (category !== undefined) return category === "dev" ? "dev" : required;
  return undefined;
}

/** `[package.source]`: where a package that is not from the default index came from. */
function sourceOf(value: unknown): string | undefined {
  if (!isTable(value)) return undefined;
  const type = str(value.type);
  const url = str(value.url);
  if (!url) return undefined;
  if (type === "git") {
    const ref = str(value.resolved_reference) ?? str(value.reference);
    return `git+${url}${ref ? `@${ref}` : ""}`;
  }
  return url;
}

/** The dependency specs of `[package.dependencies]`: a string, a table, or an array of tables (per marker). */
function dependencySpecs(value: unknown): Table[] {
  if (typeof value === "string") return [{ version: value }];
  if (isTable(value)) return [value];
  return tables(value);
}

/** A version a poetry constraint pins exactly ("1.2.3", "==1.2.3"), to choose among several locked versions. */
function exactVersion(constraint: string | undefined): string | undefined {
  if (constraint === undefined) return undefined;
  return pinnedVersion(constraint) ?? (/^\d[^\s,<>=!~^*|]*$/.test(constraint.trim()) ? constraint.trim() : undefined);
}

/**
 * Edges from [package.dependencies]. An `optional = true` dependency belongs to one of the package's extras:
 * it is an edge only when something in the lock (or the project) asks for that extra.
 */
function addEdges(entries: PoetryEntry[], names: NameIndex, manifest: PyprojectManifest | undefined): void {
  const requestedExtras = new Map<string, Set<string>>();
  const request = (name: string, extras: readonly string[]) => {
    const key = normalizePypiName(name);
    const set = requestedExtras.get(key) ?? new Set<string>();
    for (const e of extras) set.add(normalizePypiName(e));
    requestedExtras.set(key, set);
  };
  for (const e of entries) {
    for (const [name, spec] of Object.entries(isTable(e.raw.dependencies) ? e.raw.dependencies : {})) {
      for (const s of dependencySpecs(spec)) request(name, strings(s.extras));
    }
  }
  if (manifest) for (const d of [...manifest.main, ...allOf(manifest.optional), ...allOf(manifest.dev)]) request(d.name, d.extras);

  for (const e of entries) {
    const extrasMembers = extraMembers(e.raw.extras, requestedExtras.get(normalizePypiName(e.pkg.name)));
    for (const [name, spec] of Object.entries(isTable(e.raw.dependencies) ? e.raw.dependencies : {})) {
      for (const s of dependencySpecs(spec)) {
        if (s.optional === true && !extrasMembers.has(normalizePypiName(name))) continue;
        pushUnique(e.pkg.dependsOn, names.resolve(name, exactVersion(str(s.version))).filter((id) => id !== e.pkg.id));
      }
    }
  }
}

/** Names of the dependencies that the requested extras of a package pull in ([package.extras]). */
function extraMembers(extras: unknown, requested: Set<string> | undefined): Set<string> {
  const members = new Set<string>();
  if (!isTable(extras) || !requested) return members;
  for (const [extra, reqs] of Object.entries(extras)) {
    if (!requested.has(normalizePypiName(extra))) continue;
    for (const r of strings(reqs)) {
      const req = parseRequirement(r);
      if (req) members.add(normalizePypiName(req.name));
    }
  }
  return members;
}

function assignScopes(entries: PoetryEntry[], names: NameIndex, manifest: PyprojectManifest | undefined): void {
  const needReachability = entries.some((e) => e.recordedScope === undefined);
  const reached = needReachability && manifest ? reachability(entries, names, manifest) : new Map<string, Scope>();
  for (const e of entries) {
    if (e.recordedScope !== undefined) e.pkg.scope = e.recordedScope;
    else {
      const scope = reached.get(e.pkg.id) ?? "required";
      // `optional = true`: installed only through one of the project's extras.
      e.pkg.scope = e.optional && scope === "required" ? "optional" : scope;
    }
  }
}

function reachability(entries: PoetryEntry[], names: NameIndex, manifest: PyprojectManifest): Map<string, Scope> {
  const graph = new Map(entries.map((e) => [e.pkg.id, e.pkg.dependsOn]));
  const ids = (deps: DeclaredDependency[]) => deps.flatMap((d) => names.resolve(d.name));
  return scopesByReachability(
    { required: ids(manifest.main), optional: ids(allOf(manifest.optional)), dev: ids(allOf(manifest.dev)) },
    (id) => graph.get(id) ?? [],
  );
}
