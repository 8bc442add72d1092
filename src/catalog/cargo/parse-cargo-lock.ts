import { posix } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { VouchError, lineOfOffset } from "../../core/errors.js";
import { hexHash } from "../../sbom/model/hash.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { ExternalRef, Hash, Property, Scope } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";
import { crateKey, readCargoManifests, type CargoManifests, type CrateManifest } from "./cargo-manifest.js";
import { cargoScopes } from "./cargo-scope.js";

/**
 * Cargo.lock, every format Cargo has written (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html,
 * cargo/src/cargo/core/resolver/encode.rs):
 * - V1 (no `version`): dependencies always "name version (source)"; checksums in [metadata] as
 *   `"checksum NAME VERSION (SOURCE)" = "<hex>"`; very old files put the root package in [root].
 * - V2 (no `version` either), V3 (`version = 3`), V4 (`version = 4`): `checksum` on each [[package]];
 *   dependencies "name", or "name version" when several versions are locked, or "name version (source)"
 *   when that is still ambiguous.
 * One reader handles all of them: an entry's checksum is its own or the [metadata] one, and a dependency string
 * is resolved by whatever parts it has.
 *
 * Every [[package]] is a library component, local crates (no `source`: workspace members and path
 * dependencies) included, since they are built into the result as much as registry crates are.
 *
 * The project: Cargo.toml's [package] beside the lockfile. Its crate is also a [[package]] of the lockfile;
 * the project carries that crate's purl, so the catalog merges the two and the crate becomes the SBOM's root
 * (with its own dependencies as the root's). The other local crates are `workspaces` whose purl is their
 * crate's purl, so the catalog merges each into its component, marks it an application, and makes the root
 * depend on it.
 */

const CRATES_IO_SOURCES = new Set([
  "registry+https://github.com/rust-lang/crates.io-index",
  "sparse+https://index.crates.io/",
]);

export const SOURCE_PROPERTY = "vouch:cargo:source";

interface LockPackage {
  /** Cargo's own package id encoding: "name version" or "name version (source)". */
  id: string;
  name: string;
  version: string;
  source?: string;
  checksum?: string;
  /** Raw dependency strings, resolved later. */
  dependencies: string[];
  line?: number;
}

type Table = Record<string, unknown>;

export function parseCargoLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = readLockToml(file.text);
  checkLockVersion(doc, file.text);
  const entries = lockEntries(doc, file.text, ctx);
  const edges = resolveDependencies(entries, ctx);

  const dir = posix.dirname(file.path) === "." ? "" : posix.dirname(file.path);
  const manifests = readCargoManifests(dir, ctx);
  const local = entries.filter((e) => e.source === undefined);
  const manifestOf = matchManifests(local, manifests);
  const scopes = scopeEntries(entries, edges, local, manifestOf);

  const packages = entries.map((e) => packageRecord(e, edges.get(e.id)!, scopes.get(e.id)!, manifestOf.get(e.id), ctx));
  const recordOf = new Map(packages.map((p) => [p.id, p]));
  const rootCrate = manifests?.root && local.find((e) => manifestOf.get(e.id) === manifests.root);
  if (manifests?.root && !rootCrate) ctx.warn(`Cargo.toml's package ${manifests.root.name} is not in Cargo.lock (out of date?)`);

  return {
    project: manifests?.root && projectRecord(manifests.root, rootCrate && recordOf.get(rootCrate.id)),
    directDependencies: rootCrate ? edges.get(rootCrate.id)! : [],
    packages,
    workspaces: local
      .filter((e) => e !== rootCrate)
      .map((e) => ({ project: localCrateProject(recordOf.get(e.id)!, manifestOf.get(e.id)), id: e.id, directDependencies: edges.get(e.id)! })),
  };
}

export const cargoLockCataloger: Cataloger = {
  name: "cargo-lock",
  ecosystem: "cargo",
  matches: (path) => posix.basename(path) === "Cargo.lock",
  parse: parseCargoLock,
};

// ---- the TOML document ----

function readLockToml(text: string): Table {
  try {
    return parseToml(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new VouchError("INPUT_MALFORMED", `invalid TOML: ${reason}`, { line: err.line, cause: err });
    }
    throw err;
  }
}

/** Cargo writes `version = 3` and `version = 4`; no version field means V1 or V2. A later one is unknown. */
function checkLockVersion(doc: Table, text: string): void {
  const version = doc.version;
  if (version === undefined || (Number.isInteger(version) && (version as number) >= 1 && (version as number) <= 4)) return;
  const at = /^[ \t]*version[ \t]*=/m.exec(text);
  throw new VouchError("INPUT_MALFORMED", `unsupported Cargo.lock version ${JSON.stringify(version)}`, {
    line: at ? lineOfOffset(text, at.index) : undefined,
  });
}

/** The [[package]] entries (plus a V1 [root]), each checked; bad ones are warned about and skipped. */
function lockEntries(doc: Table, text: string, ctx: CatalogContext): LockPackage[] {
  const raw = doc.package ?? [];
  if (!Array.isArray(raw)) throw new VouchError("INPUT_MALFORMED", "`package` is not an array of tables");
  const lines = headerLines(text, /^\[\[\s*package\s*\]\]/);
  const tables: { table: unknown; line?: number }[] = raw.map((table, i) => ({ table, line: lines.length === raw.length ? lines[i] : undefined }));
  if (asTable(doc.root)) tables.unshift({ table: doc.root, line: headerLines(text, /^\[\s*root\s*\]/)[0] });

  const checksums = legacyChecksums(doc);
  const entries: LockPackage[] = [];
  const ids = new Set<string>();
  for (const { table, line } of tables) {
    const entry = lockEntry(table, line, checksums, ctx);
    if (!entry) continue;
    if (ids.has(entry.id)) {
      ctx.warn(`package ${entry.id} is listed twice; the repeat is ignored`, line);
      continue;
    }
    ids.add(entry.id);
    entries.push(entry);
  }
  return entries;
}

function lockEntry(value: unknown, line: number | undefined, checksums: Map<string, string>, ctx: CatalogContext): LockPackage | undefined {
  const t = asTable(value);
  if (!t || !isNonEmptyString(t.name) || !isNonEmptyString(t.version)) {
    ctx.warn("package entry without a name and version; skipped", line);
    return undefined;
  }
  if (t.source !== undefined && !isNonEmptyString(t.source)) ctx.warn(`package ${t.name} ${t.version}: source is not a string; ignored`, line);
  const source = isNonEmptyString(t.source) ? t.source : undefined;
  const id = source === undefined ? `${t.name} ${t.version}` : `${t.name} ${t.version} (${source})`;
  const deps = t.dependencies ?? [];
  const dependencies = Array.isArray(deps) ? deps.filter((d): d is string => typeof d === "string") : [];
  if (!Array.isArray(deps) || dependencies.length !== deps.length) ctx.warn(`package ${id}: dependencies that are not strings are ignored`, line);
  const checksum = typeof t.checksum === "string" ? t.checksum : checksums.get(`checksum ${id}`);
  return { id, name: t.name, version: t.version, source, checksum, dependencies, line };
}

/** V1 [metadata]: "checksum NAME VERSION (SOURCE)" -> hex ("<none>" for git sources: no checksum). */
function legacyChecksums(doc: Table): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(asTable(doc.metadata) ?? {})) {
    if (key.startsWith("checksum ") && typeof value === "string" && value !== "<none>") out.set(key, value);
  }
  return out;
}

/** 1-based lines of every table header that `header` matches (at the line's first non-blank), in order. */
function headerLines(text: string, header: RegExp): number[] {
  const lines: number[] = [];
  let start = 0;
  for (let line = 1; ; line++) {
    const end = text.indexOf("\n", start);
    const stop = end < 0 ? text.length : end;
    let first = start;
    while (first < stop && (text[first] === " " || text[first] === "\t")) first++;
    // Only a line that opens a table can match: the others cost no string.
    if (text[first] === "[" && header.test(text.slice(first, stop))) lines.push(line);
    if (end < 0) return lines;
    start = end + 1;
  }
}

// ---- dependency strings -> package ids ----

/** "name", "name version" or "name version (source)" -> the one package it names. */
function resolveDependencies(entries: readonly LockPackage[], ctx: CatalogContext): Map<string, string[]> {
  const byName = new Map<string, LockPackage[]>();
  for (const e of entries) {
    const list = byName.get(e.name);
    if (list) list.push(e);
    else byName.set(e.name, [e]);
  }
  const edges = new Map<string, string[]>();
  for (const e of entries) {
    const resolved = new Set<string>();
    for (const dep of e.dependencies) {
      const target = resolveDependency(dep, byName);
      if (typeof target === "string") resolved.add(target);
      else ctx.warn(`package ${e.id}: dependency "${dep}" ${target.problem}; edge ignored`, e.line);
    }
    edges.set(e.id, [...resolved]);
  }
  return edges;
}

function resolveDependency(dep: string, byName: Map<string, LockPackage[]>): string | { problem: string } {
  const m = /^(\S+)(?: (\S+))?(?: \((\S+)\))?$/.exec(dep.trim());
  if (!m) return { problem: "is not \"name [version [(source)]]\"" };
  const [, name, version, source] = m as unknown as [string, string, string | undefined, string | undefined];
  let candidates = (byName.get(name) ?? []).filter((p) => version === undefined || p.version === version);
  if (source !== undefined) {
    // Cargo writes the same source string in both places; older versions differed in the `#commit`
    // fragment of git sources, so fall back to comparing without it.
    const exact = candidates.filter((p) => p.source === source);
    candidates = exact.length > 0 ? exact : candidates.filter((p) => p.source !== undefined && withoutFragment(p.source) === withoutFragment(source));
  } else if (candidates.length > 1) {
    // V1 writes path dependencies as "name version" and every other one with its source.
    const local = candidates.filter((p) => p.source === undefined);
    if (local.length === 1) candidates = local;
  }
  if (candidates.length === 1) return candidates[0]!.id;
  return { problem: candidates.length === 0 ? "is not in the lockfile" : "matches several packages" };
}

function withoutFragment(source: string): string {
  const hash = source.indexOf("#");
  return hash < 0 ? source : source.slice(0, hash);
}

// ---- local crates and their manifests ----

/** Local crate id -> its manifest (root or workspace member), matched by package name. */
function matchManifests(local: readonly LockPackage[], manifests: CargoManifests | undefined): Map<string, CrateManifest> {
  const out = new Map<string, CrateManifest>();
  if (!manifests) return out;
  for (const manifest of [manifests.root, ...manifests.members]) {
    if (!manifest) continue;
    const sameName = local.filter((e) => e.name === manifest.name && !out.has(e.id));
    const match = sameName.find((e) => e.version === manifest.version) ?? (sameName.length === 1 ? sameName[0] : undefined);
    if (match) out.set(match.id, manifest);
  }
  return out;
}

function scopeEntries(
  entries: readonly LockPackage[],
  edges: Map<string, string[]>,
  local: readonly LockPackage[],
  manifestOf: Map<string, CrateManifest>,
): Map<string, Scope> {
  const nameOf = new Map(entries.map((e) => [e.id, e.name]));
  return cargoScopes(
    entries.map((e) => ({ id: e.id, dependsOn: edges.get(e.id)! })),
    local.map((e) => e.id),
    (from, to) => isDevEdge(manifestOf.get(from), nameOf.get(to)!),
  );
}

/** An edge is a dev edge when the local crate's manifest names the target only as a dev-dependency. */
function isDevEdge(manifest: CrateManifest | undefined, targetName: string): boolean {
  if (!manifest) return false;
  const key = crateKey(targetName);
  return manifest.devDependencies.has(key) && !manifest.normalDependencies.has(key);
}

// ---- records ----

function packageRecord(e: LockPackage, dependsOn: string[], scope: Scope, manifest: CrateManifest | undefined, ctx: CatalogContext): PackageRecord {
  const vcsUrl = e.source?.startsWith("git+") ? gitVcsUrl(e.source) : undefined;
  // A crate built from git is not the crates.io release of the same name and version: the purl spec's
  // vcs_url qualifier keeps the two apart (and tells a vulnerability matcher which one this is).
  const purl = buildPurl("cargo", { name: e.name, version: e.version, qualifiers: vcsUrl ? { vcs_url: vcsUrl } : undefined });
  const hashes: Hash[] = [];
  if (e.checksum !== undefined) {
    const sha256 = hexHash("sha256", e.checksum);
    if (sha256) hashes.push(sha256);
    else ctx.warn(`package ${e.id}: checksum is not a SHA-256 hex digest; ignored`, e.line);
  }
  const properties: Property[] = [];
  const externalRefs: ExternalRef[] = [...(manifest?.externalRefs ?? [])];
  if (e.source !== undefined && !CRATES_IO_SOURCES.has(e.source)) properties.push({ name: SOURCE_PROPERTY, value: e.source });
  if (vcsUrl) externalRefs.push({ type: "vcs", url: vcsUrl });
  return {
    id: e.id,
    ecosystem: "cargo",
    name: e.name,
    version: e.version,
    purl,
    licenseDeclared: manifest?.license,
    hashes,
    scope,
    dependsOn,
    author: manifest?.authors,
    description: manifest?.description,
    ...(externalRefs.length > 0 ? { externalRefs } : {}),
    ...(properties.length > 0 ? { properties } : {}),
  };
}

/**
 * Cargo's git source "git+https://host/repo?branch=b#<commit>" -> the purl/pip VCS URL form
 * "git+https://host/repo@<commit>" (the query only says how the commit was chosen).
 */
function gitVcsUrl(source: string): string {
  const hash = source.indexOf("#");
  const url = (hash < 0 ? source : source.slice(0, hash)).replace(/\?.*$/, "");
  const commit = hash < 0 ? "" : source.slice(hash + 1);
  return commit === "" ? url : `${url}@${commit}`;
}

/** The root project: its crate's purl when the crate is locked (see the file comment). */
function projectRecord(manifest: CrateManifest, crate: PackageRecord | undefined): ProjectRecord {
  return {
    name: manifest.name,
    version: manifest.version ?? crate?.version ?? "",
    ecosystem: "cargo",
    ...(crate ? { purl: crate.purl } : {}),
    licenseDeclared: manifest.license,
    description: manifest.description,
    author: manifest.authors,
    externalRefs: manifest.externalRefs,
  };
}

/** A workspace member or path crate: the purl of its library component, so the catalog merges the two. */
function localCrateProject(crate: PackageRecord, manifest: CrateManifest | undefined): ProjectRecord {
  return {
    name: crate.name,
    version: crate.version,
    ecosystem: "cargo",
    purl: crate.purl,
    licenseDeclared: manifest?.license,
    description: manifest?.description,
    author: manifest?.authors,
    externalRefs: manifest?.externalRefs,
  };
}

function asTable(value: unknown): Table | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date) ? (value as Table) : undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}
