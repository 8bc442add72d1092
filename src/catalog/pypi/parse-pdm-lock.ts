import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { mergeHashes } from "../../sbom/model/hash.js";
import { normalizePypiName } from "../../sbom/model/purl.js";
import type { Scope } from "../../sbom/model/types.js";
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
  pushUnique,
  PROP,
  scopesByReachability,
  str,
  strings,
  tables,
  widerScope,
  type Table,
} from "./common.js";
import { allOf, manifestDirectIds, readPyproject, type DeclaredDependency, type PyprojectManifest } from "./pyproject.js";

/**
 * pdm.lock, lock_version 4.x (and the 3.x layout with hashes in `[metadata.files]`). Entries that differ only
 * by `extras` (pdm locks "coverage" and "coverage[toml]" separately) are one component. Edges come from the
 * PEP 508 `dependencies` strings.
 *
 * Scope: with per-package `groups` (lock 4.4+, inherit_metadata), "default" is required, a group that is one
 * of the project's extras ([project.optional-dependencies]) optional, any other group dev. Older locks record
 * no groups per package, so scope is reachability from pyproject.toml's dependencies, extras and dev groups.
 */

export const pdmLockCataloger: Cataloger = {
  name: "pypi-pdm-lock",
  ecosystem: "pypi",
  matches: (path) => posix.basename(path) === "pdm.lock",
  parse: parsePdmLock,
};

interface PdmEntry {
  pkg: PackageRecord;
  groups: Set<string>;
  dependencies: string[];
}

export function parsePdmLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = parseToml(file.text, "pdm.lock");
  const metadata = isTable(doc.metadata) ? doc.metadata : {};
  checkLockVersion(metadata.lock_version);
  if (doc.package !== undefined && !Array.isArray(doc.package)) throw new VouchError("INPUT_MALFORMED", "pdm.lock: `package` is not an array of tables");

  const legacyFiles = isTable(metadata.files) ? metadata.files : {};
  const lineOf = arrayTableLineFinder(file.text, "package");
  const entries = new Map<string, PdmEntry>();
  const names = new NameIndex();
  const rawPackages: unknown[] = Array.isArray(doc.package) ? doc.package : [];
  rawPackages.forEach((raw, i) => {
    const entry = readEntry(raw, legacyFiles);
    if (typeof entry === "string") return ctx.warn(`[[package]] ${entry}; skipped`, lineOf(i));
    const known = entries.get(entry.pkg.id);
    if (known) {
      known.pkg.hashes = mergeHashes(known.pkg.hashes, entry.pkg.hashes);
      for (const g of entry.groups) known.groups.add(g);
      pushUnique(known.dependencies, entry.dependencies);
      for (const p of entry.pkg.properties ?? []) addProperty(known.pkg, p.name, p.value);
      return;
    }
    entries.set(entry.pkg.id, entry);
    names.add(entry.pkg.name, entry.pkg.version, entry.pkg.id);
  });

  const all = [...entries.values()];
  for (const e of all) {
    for (const dep of e.dependencies) {
      const req = parseRequirement(dep);
      if (req) pushUnique(e.pkg.dependsOn, names.resolve(req.name, pinnedVersion(req.specifier)).filter((id) => id !== e.pkg.id));
    }
  }

  const manifest = readPyproject(ctx, posix.dirname(file.path));
  assignScopes(all, names, manifest);
  const result: ParseResult = { directDependencies: manifest ? manifestDirectIds(manifest, names) : [], packages: all.map((e) => e.pkg) };
  if (manifest?.project) result.project = manifest.project;
  return result;
}

function checkLockVersion(value: unknown): void {
  const version = str(value);
  if (version === undefined || !/^[34](\.\d+)*$/.test(version)) {
    throw new VouchError("INPUT_MALFORMED", `pdm.lock: unsupported lock_version ${JSON.stringify(value ?? null)}`);
  }
}

function readEntry(raw: unknown, legacyFiles: Table): PdmEntry | string {
  if (!isTable(raw)) return "is not a table";
  const name = str(raw.name);
  if (!name) return "without a name";
  if (!isValidName(name)) return `with an invalid name ${JSON.stringify(name)}`;
  const version = str(raw.version) ?? "";
  // lock 3.x: `"name version" = [{url, hash}]` under [metadata.files].
  const legacy = tables(legacyFiles[`${name} ${version}`]);
  const pkg = newPackage(name, version, "required", prefixedHashes([...tables(raw.files), ...legacy].map((f) => f.hash)));
  const summary = str(raw.summary);
  if (summary) pkg.description = summary;
  const git = str(raw.git);
  if (git) addProperty(pkg, PROP.source, `git+${git}${str(raw.revision) ? `@${str(raw.revision)}` : ""}`);
  else {
    const local = str(raw.url) ?? str(raw.path);
    if (local) addProperty(pkg, PROP.source, local);
  }
  return { pkg, groups: new Set(strings(raw.groups)), dependencies: strings(raw.dependencies) };
}

function assignScopes(entries: PdmEntry[], names: NameIndex, manifest: PyprojectManifest | undefined): void {
  if (entries.some((e) => e.groups.size > 0)) {
    const extras = new Set([...(manifest?.optional.keys() ?? [])].map(normalizePypiName));
    for (const e of entries) e.pkg.scope = scopeOfGroups(e.groups, extras);
    return;
  }
  if (!manifest) return;
  const graph = new Map(entries.map((e) => [e.pkg.id, e.pkg.dependsOn]));
  const ids = (deps: DeclaredDependency[]) => deps.flatMap((d) => names.resolve(d.name));
  const reached = scopesByReachability(
    { required: ids(manifest.main), optional: ids(allOf(manifest.optional)), dev: ids(allOf(manifest.dev)) },
    (id) => graph.get(id) ?? [],
  );
  for (const e of entries) e.pkg.scope = reached.get(e.pkg.id) ?? "required";
}

function scopeOfGroups(groups: Set<string>, extras: Set<string>): Scope {
  // An entry without groups cannot be placed: keep it required rather than hide it as dev.
  if (groups.size === 0) return "required";
  let scope: Scope = "dev";
  for (const g of groups) {
    if (g === "default") return "required";
    if (extras.has(normalizePypiName(g))) scope = widerScope(scope, "optional");
  }
  return scope;
}
