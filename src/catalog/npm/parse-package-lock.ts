import { posix } from "node:path";
import { lineOfOffset, VouchError } from "../../core/errors.js";
import { mergeHashes, sriHashes } from "../../sbom/model/hash.js";
import type { ExternalRef, Property, Scope } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, SourceFile } from "../types.js";
import {
  dependencyOrder,
  dirPrefix,
  distributionRef,
  gitVcsUrl,
  isRecord,
  npmRecord,
  parseJsonDocument,
  rootPath,
  sortedUnique,
  sourceQualifiers,
  splitAtVersion,
  stringEntries,
  stringField,
  type JsonObject,
} from "./common.js";
import { projectFromManifest, readManifest, workspacePatterns, workspaceProject, type PackageManifest } from "./manifest.js";
import { matchesWorkspacePatterns } from "./workspaces.js";

/**
 * package-lock.json (lockfileVersion 1, 2, 3), npm-shrinkwrap.json (the same format, published with a
 * package) and node_modules/.package-lock.json (npm's hidden lockfile: the installed tree, v3 format).
 *
 * v2/v3 are read from "packages", whose keys are install paths ("node_modules/a/node_modules/b"), so one
 * name can be installed at several versions: the path is each record's id. v1 is read from its recursive
 * "dependencies", turned into the same paths. Edges are resolved the way Node resolves require() from a
 * package folder, so they land on the copy that is actually loaded.
 */

/** One lockfile entry, format-independent. `key` is the path relative to the project folder. */
interface LockEntry {
  key: string;
  /** The real package name (npm aliases install "real" under another folder name). */
  name: string;
  version: string;
  resolved?: string;
  integrity?: string;
  license?: string | string[];
  dev: boolean;
  optional: boolean;
  devOptional: boolean;
  inBundle: boolean;
  extraneous: boolean;
  /** Set on `"link": true` entries: the project-relative folder the symlink points at. */
  linkTarget?: string;
  /** Names this package requires; `optional` ones may legitimately be absent. */
  deps: { name: string; optional: boolean }[];
}

interface LockTree {
  entries: Map<string, LockEntry>;
  root: LockEntry;
  workspaceGlobs: string[];
}

const HIDDEN_LOCKFILE = "node_modules/.package-lock.json";

export function parsePackageLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const json = parseJsonDocument(file.text, "lockfile");
  if (!isRecord(json)) throw new VouchError("INPUT_MALFORMED", "lockfile is not a JSON object", { line: 1 });
  const hidden = file.path === HIDDEN_LOCKFILE || file.path.endsWith(`/${HIDDEN_LOCKFILE}`);
  // Paths in the lockfile are relative to the project folder: the hidden lockfile's is node_modules' parent.
  const prefix = dirPrefix(posix.dirname(hidden ? posix.dirname(file.path) : file.path));
  const manifest = readManifest(ctx, `${prefix}package.json`);
  const tree = readLockTree(json, file.text, manifest, prefix, ctx);
  const result = new TreeCataloger(tree, prefix, manifest, json, ctx).run();
  // The hidden lockfile's folder is node_modules; its project is the folder above.
  if (hidden) result.projectDir = posix.dirname(posix.dirname(file.path));
  return result;
}

function readLockTree(json: JsonObject, text: string, manifest: PackageManifest | undefined, prefix: string, ctx: CatalogContext): LockTree {
  const version = json.lockfileVersion;
  let entries: Map<string, LockEntry>;
  if ((version === 2 || version === 3) && isRecord(json.packages)) {
    entries = entriesFromPackages(json.packages, ctx);
  } else if (version === 1 || version === 2 || (version === undefined && isRecord(json.dependencies))) {
    // v2 always carries the v1 "dependencies" too; without "packages" it is read like v1. A lockfile without
    // lockfileVersion is npm-shrinkwrap.json from npm <= 4, also the v1 shape.
    entries = entriesFromV1(json.dependencies, prefix, ctx);
  } else {
    const at = text.indexOf('"lockfileVersion"');
    const line = at < 0 ? undefined : lineOfOffset(text, at);
    if (version === 3) throw new VouchError("INPUT_MALFORMED", 'lockfileVersion 3 without a "packages" object', { line });
    throw new VouchError("INPUT_MALFORMED", `unsupported lockfileVersion ${JSON.stringify(version ?? null)}`, { line });
  }
  const rootJson = isRecord(json.packages) && isRecord(json.packages[""]) ? json.packages[""] : undefined;
  const root = entries.get("") ?? entryFromManifest("", manifest, stringField(json, "name") ?? "", stringField(json, "version") ?? "");
  entries.set("", root);
  const workspaceGlobs = rootJson && rootJson.workspaces !== undefined ? workspacePatterns(rootJson.workspaces) : (manifest?.workspaces ?? []);
  addMissingLinkTargets(entries, prefix, ctx);
  return { entries, root, workspaceGlobs };
}

/** v2/v3 "packages": one entry per install path (or workspace/linked folder). */
function entriesFromPackages(packages: JsonObject, ctx: CatalogContext): Map<string, LockEntry> {
  const entries = new Map<string, LockEntry>();
  for (const [key, value] of Object.entries(packages)) {
    if (!isRecord(value)) {
      ctx.warn(`packages["${key}"] is not an object; skipped`);
      continue;
    }
    const folder = !isInstallPath(key);
    const name = stringField(value, "name") ?? (folder ? "" : nameFromInstallPath(key));
    const entry = baseEntry(key, name, stringField(value, "version") ?? "", value);
    entry.resolved = stringField(value, "resolved");
    entry.integrity = stringField(value, "integrity");
    entry.license = lockLicense(value.license);
    if (value.link === true) {
      if (entry.resolved === undefined) {
        ctx.warn(`packages["${key}"] is a link without "resolved"; skipped`);
        continue;
      }
      entry.linkTarget = normalizeFolder(entry.resolved);
    }
    entry.deps = dependencyNames(value, key === "" || folder);
    entries.set(key, entry);
  }
  return entries;
}

/**
 * Real trees nest a few levels; each level lengthens every key below it, so a hostile file nesting
 * thousands of levels would cost quadratic memory. Deeper entries are skipped with a warning.
 */
const MAX_V1_DEPTH = 256;

/** v1 "dependencies", recursive: each level is the node_modules folder of the entry above it. */
function entriesFromV1(dependencies: unknown, prefix: string, ctx: CatalogContext): Map<string, LockEntry> {
  const entries = new Map<string, LockEntry>();
  // An explicit stack: nesting depth is attacker-controlled and must not overflow the call stack.
  const stack: { parentKey: string; deps: unknown; depth: number }[] = [{ parentKey: "", deps: dependencies, depth: 0 }];
  while (stack.length > 0) {
    const { parentKey, deps, depth } = stack.pop()!;
    if (!isRecord(deps)) continue;
    if (depth >= MAX_V1_DEPTH) {
      ctx.warn(`dependencies nested deeper than ${MAX_V1_DEPTH} levels under ${parentKey}; the deeper ones are skipped`);
      continue;
    }
    const nested: { parentKey: string; deps: unknown; depth: number }[] = [];
    for (const [folderName, value] of Object.entries(deps)) {
      const key = parentKey === "" ? `node_modules/${folderName}` : `${parentKey}/node_modules/${folderName}`;
      if (!isRecord(value)) {
        ctx.warn(`dependencies entry ${key} is not an object; skipped`);
        continue;
      }
      const entry = v1Entry(key, folderName, value, prefix, ctx);
      entries.set(key, entry);
      nested.push({ parentKey: key, deps: value.dependencies, depth: depth + 1 });
    }
    stack.push(...nested.reverse());
  }
  return entries;
}

function v1Entry(key: string, folderName: string, value: JsonObject, prefix: string, ctx: CatalogContext): LockEntry {
  const spec = stringField(value, "version") ?? "";
  const entry = baseEntry(key, folderName, spec, value);
  entry.resolved = stringField(value, "resolved");
  entry.integrity = stringField(value, "integrity");
  entry.inBundle = value.bundled === true;
  // v1 "requires" lists every dependency by name; which are optional is not recorded.
  entry.deps = stringEntries(value.requires).map(([name]) => ({ name, optional: false }));
  if (spec.startsWith("npm:")) {
    // An alias: "version": "npm:real-name@1.2.3".
    const real = splitAtVersion(spec.slice(4));
    if (real) [entry.name, entry.version] = [real.name, real.rest];
  } else if (spec.startsWith("file:") && !/\.(tgz|tar\.gz|tar)$/.test(spec)) {
    entry.linkTarget = normalizeFolder(spec.slice(5));
  } else if (gitVcsUrl(spec) !== undefined || spec.includes("://")) {
    // A git or URL dependency: v1 keeps the source in "version"; the package's own version is only in its
    // installed package.json (read later), else the commit is the best name for what was locked.
    entry.resolved ??= spec;
    entry.version = /#([0-9a-f]{7,40})$/.exec(spec)?.[1] ?? "";
  } else if (spec.startsWith("file:")) {
    entry.version = "";
  }
  if (entry.version === "" && entry.linkTarget === undefined) {
    const installed = readManifest(ctx, `${prefix}${key}/package.json`);
    if (installed?.version) entry.version = installed.version;
  }
  return entry;
}

function baseEntry(key: string, name: string, version: string, value: JsonObject): LockEntry {
  return {
    key,
    name,
    version,
    dev: value.dev === true,
    optional: value.optional === true,
    devOptional: value.devOptional === true,
    inBundle: value.inBundle === true,
    extraneous: value.extraneous === true,
    deps: [],
  };
}

/** A synthetic entry for a folder the lockfile does not describe (the hidden lockfile's workspaces, the root). */
function entryFromManifest(key: string, manifest: PackageManifest | undefined, name: string, version: string): LockEntry {
  const entry = baseEntry(key, manifest?.name ?? name, manifest?.version ?? version, {});
  entry.license = manifest?.license;
  if (manifest) {
    const optional = new Set([...manifest.optionalDependencies.map(([n]) => n), ...manifest.optionalPeers]);
    const names = [...manifest.dependencies, ...manifest.devDependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies].map(([n]) => n);
    entry.deps = sortedUnique(names).map((n) => ({ name: n, optional: optional.has(n) }));
  }
  return entry;
}

/**
 * A link's target folder is normally an entry of its own; the hidden lockfile leaves workspace folders out
 * (they live outside node_modules), so describe those from their package.json.
 */
function addMissingLinkTargets(entries: Map<string, LockEntry>, prefix: string, ctx: CatalogContext): void {
  for (const link of [...entries.values()]) {
    const target = link.linkTarget;
    if (target === undefined || target === "") continue;
    let entry = entries.get(target);
    if (!entry) {
      entry = entryFromManifest(target, readManifest(ctx, `${rootPath(prefix, target)}/package.json`), link.name, "");
      entries.set(target, entry);
    }
    // The link's folder name is the package's name when the folder entry does not repeat it.
    if (entry.name === "") entry.name = link.name;
    if (!entry.dev && !entry.optional && !entry.devOptional) [entry.dev, entry.optional, entry.devOptional] = [link.dev, link.optional, link.devOptional];
  }
}

/**
 * The names a package depends on. npm installs dependencies, optionalDependencies and peerDependencies
 * (npm >= 7), and devDependencies only for the root, workspaces and linked folders ("top" nodes in arborist).
 */
function dependencyNames(value: JsonObject, isTop: boolean): { name: string; optional: boolean }[] {
  const optionalPeers = new Set<string>();
  if (isRecord(value.peerDependenciesMeta)) {
    for (const [name, meta] of Object.entries(value.peerDependenciesMeta)) if (isRecord(meta) && meta.optional === true) optionalPeers.add(name);
  }
  const out = new Map<string, boolean>();
  const add = (section: unknown, optional: (name: string) => boolean) => {
    for (const name of Object.keys(isRecord(section) ? section : {})) out.set(name, (out.get(name) ?? true) && optional(name));
  };
  add(value.dependencies, () => false);
  if (isTop) add(value.devDependencies, () => false);
  add(value.optionalDependencies, () => true);
  add(value.peerDependencies, (name) => optionalPeers.has(name));
  return [...out].map(([name, optional]) => ({ name, optional }));
}

/** v2/v3 entries copy package.json's "license" (a string, rarely the legacy { type } object). */
function lockLicense(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim().length > 0) return value.trim();
  if (isRecord(value)) return stringField(value, "type");
  return undefined;
}

function isInstallPath(key: string): boolean {
  return key.startsWith("node_modules/") || key.includes("/node_modules/");
}

function nameFromInstallPath(key: string): string {
  const at = key.lastIndexOf("node_modules/");
  return key.slice(at + "node_modules/".length);
}

function normalizeFolder(path: string): string {
  const normal = posix.normalize(path.replace(/^file:/, "")).replace(/\/+$/, "");
  return normal === "." ? "" : normal;
}

/** Builds the ParseResult from a LockTree: which entries are packages, their metadata, and the edges. */
class TreeCataloger {
  /** Entry key -> record id for every entry that became a package or a workspace. */
  private readonly idOf = new Map<string, string>();
  private readonly records: { entry: LockEntry; record: PackageRecord }[] = [];
  private readonly workspaceEntries: LockEntry[] = [];
  private readonly linkTargets = new Set<string>();
  private readonly versionDrift: string[] = [];
  /** Folder -> (name -> entry key) of what is installed in its node_modules. */
  private readonly installedNames = new Map<string, Map<string, string>>();

  constructor(
    private readonly tree: LockTree,
    private readonly prefix: string,
    private readonly manifest: PackageManifest | undefined,
    private readonly json: JsonObject,
    private readonly ctx: CatalogContext,
  ) {
    for (const entry of tree.entries.values()) {
      if (entry.linkTarget !== undefined) this.linkTargets.add(entry.linkTarget);
      const at = entry.key.lastIndexOf("node_modules/");
      if (at < 0 || (at > 0 && entry.key[at - 1] !== "/")) continue;
      const folder = at === 0 ? "" : entry.key.slice(0, at - 1);
      let names = this.installedNames.get(folder);
      if (!names) this.installedNames.set(folder, (names = new Map()));
      names.set(entry.key.slice(at + "node_modules/".length), entry.key);
    }
  }

  run(): ParseResult {
    const installed = this.nodeModulesInstalled();
    for (const entry of this.tree.entries.values()) this.catalogEntry(entry, installed);
    if (this.versionDrift.length > 0) {
      this.ctx.warn(
        `${this.versionDrift.length} installed package(s) differ from the lockfile (${this.versionDrift.slice(0, 3).join("; ")}); the installed versions are reported`,
      );
    }
    const unresolved: string[] = [];
    for (const { entry, record } of this.records) record.dependsOn = this.resolveAll(entry, unresolved);
    const workspaces = this.workspaceEntries.map((entry) => ({
      project: workspaceProject(readManifest(this.ctx, `${rootPath(this.prefix, entry.key)}/package.json`), entry.name || undefined, entry.version || undefined, entry.key),
      id: entry.key,
      directDependencies: this.resolveAll(entry, unresolved),
    }));
    const directDependencies = this.resolveAll(this.tree.root, unresolved);
    if (unresolved.length > 0) {
      this.ctx.warn(`${unresolved.length} dependency edge(s) name a package the lockfile does not contain (${unresolved.slice(0, 3).join("; ")}); left out`);
    }
    const result: ParseResult = { directDependencies, packages: this.records.map((r) => r.record) };
    const project = projectFromManifest(this.manifest, { name: this.tree.root.name || stringField(this.json, "name"), version: this.tree.root.version });
    if (project) {
      if (project.licenseDeclared === undefined && this.tree.root.license !== undefined) project.licenseDeclared = this.tree.root.license;
      result.project = project;
    }
    if (workspaces.length > 0) result.workspaces = dependencyOrder(workspaces);
    return result;
  }

  /**
   * Whether node_modules holds an installed tree beside the lockfile. A node_modules with only dot entries
   * (.cache of babel/eslint, .bin) is not an install, so every lockfile entry is kept then.
   */
  private nodeModulesInstalled(): boolean {
    return this.ctx.listDir(`${this.prefix}node_modules`).some((name) => !name.startsWith("."));
  }

  private catalogEntry(entry: LockEntry, installed: boolean): void {
    if (entry.key === "" || entry.linkTarget !== undefined) return;
    if (!isInstallPath(entry.key)) {
      // A folder outside node_modules: a workspace, or a linked local package ("file:../lib"). A folder
      // nothing links to is a leftover (npm marks it extraneous) and is not part of the tree.
      if (!this.linkTargets.has(entry.key)) return;
      if (matchesWorkspacePatterns(entry.key, this.tree.workspaceGlobs)) {
        this.workspaceEntries.push(entry);
        this.idOf.set(entry.key, entry.key);
        return;
      }
    }
    const installedManifest = installed && isInstallPath(entry.key) ? readManifest(this.ctx, `${rootPath(this.prefix, entry.key)}/package.json`) : undefined;
    if (installed && isInstallPath(entry.key) && installedManifest === undefined && (entry.optional || entry.devOptional)) {
      // npm skips an optional package that cannot be installed here (another platform's binary, a failed
      // build) and `npm ls` does not list it: with an installed tree beside the lockfile, the missing folder
      // is the proof. Without node_modules every lockfile entry is kept (the lockfile is all we know).
      return;
    }
    const record = this.packageRecord(entry, installedManifest);
    if (!record) return;
    this.records.push({ entry, record });
    this.idOf.set(entry.key, record.id);
  }

  private packageRecord(entry: LockEntry, installed: PackageManifest | undefined): PackageRecord | undefined {
    let version = entry.version;
    let hashes = sriHashes(entry.integrity);
    if (installed?.version !== undefined && installed.version !== version) {
      // `npm ls` reports what is installed; a lockfile out of step with node_modules loses to the tree, and
      // the lockfile's integrity (of the other version) no longer describes the package.
      if (version !== "") this.versionDrift.push(`${entry.key}: ${installed.version} installed, ${version} locked`);
      version = installed.version;
      hashes = [];
    }
    const fullName = entry.name || (isInstallPath(entry.key) ? nameFromInstallPath(entry.key) : "");
    if (fullName === "") {
      this.ctx.warn(`packages["${entry.key}"] names no package; skipped`);
      return undefined;
    }
    const externalRefs: ExternalRef[] = [];
    const dist = distributionRef(entry.resolved);
    if (dist) externalRefs.push(dist);
    if (installed) externalRefs.push(...installed.externalRefs);
    return npmRecord(
      {
        id: entry.key,
        fullName,
        version,
        scope: scopeOf(entry),
        hashes: mergeHashes(hashes),
        licenseDeclared: entry.license ?? installed?.license,
        author: installed?.author,
        description: installed?.description,
        externalRefs,
        properties: this.properties(entry),
        qualifiers: sourceQualifiers(entry.resolved),
      },
      this.ctx,
    );
  }

  private properties(entry: LockEntry): Property[] {
    const props: Property[] = [];
    const folderName = isInstallPath(entry.key) ? nameFromInstallPath(entry.key) : undefined;
    if (folderName !== undefined && entry.name !== "" && folderName !== entry.name) props.push({ name: "vouch:npm:alias", value: folderName });
    if (entry.inBundle) props.push({ name: "vouch:npm:bundled", value: "true" });
    if (entry.extraneous) props.push({ name: "vouch:npm:extraneous", value: "true" });
    if (!isInstallPath(entry.key)) props.push({ name: "vouch:npm:local-path", value: entry.key });
    return props;
  }

  /**
   * Resolve every dependency of an entry to record ids (sorted, unique), the way Node resolves require()
   * from a package folder: <folder>/node_modules/<name>, then the node_modules of every ancestor folder up
   * to the project root. A link resolves to its target folder (Node loads the real path). The ancestors'
   * node_modules are looked up once per entry, then O(depth) map lookups per edge.
   */
  private resolveAll(entry: LockEntry, unresolved: string[]): string[] {
    const chain = this.nodeModulesChain(entry.key);
    const ids: string[] = [];
    for (const dep of entry.deps) {
      const key = findInChain(chain, dep.name);
      const target = key === undefined ? undefined : this.tree.entries.get(key)!;
      const id = target === undefined ? undefined : this.idOf.get(target.linkTarget ?? target.key);
      if (id !== undefined) ids.push(id);
      // Missing optional dependencies, and ones left out above as not installed, are what npm expects.
      else if (key === undefined && !dep.optional) unresolved.push(`${entry.key || "(root)"} -> ${dep.name}`);
    }
    return sortedUnique(ids.filter((id) => id !== entry.key));
  }

  /** The node_modules contents (name -> entry key) visible from a folder, nearest first. */
  private nodeModulesChain(fromKey: string): Map<string, string>[] {
    const chain: Map<string, string>[] = [];
    let dir = fromKey;
    for (;;) {
      const names = this.installedNames.get(dir);
      if (names) chain.push(names);
      if (dir === "" || dir === "..") return chain;
      dir = parentFolder(dir);
    }
  }
}

function findInChain(chain: readonly Map<string, string>[], name: string): string | undefined {
  for (const names of chain) {
    const key = names.get(name);
    if (key !== undefined) return key;
  }
  return undefined;
}

/** The folder above, skipping "node_modules" itself (Node never looks in node_modules/node_modules). */
function parentFolder(dir: string): string {
  let parent = dir;
  do {
    const slash = parent.lastIndexOf("/");
    parent = slash < 0 ? "" : parent.slice(0, slash);
  } while (parent === "node_modules" || parent.endsWith("/node_modules"));
  return parent;
}

/**
 * npm's flags to a scope:
 *  - dev: only reachable from devDependencies (even through optional edges): dropped by --omit=dev;
 *  - devOptional: reachable from devDependencies and, separately, through an optional edge of the
 *    production tree. npm keeps it under --omit=dev and drops it only under --omit=optional too, so in
 *    production it is an optional dependency: "optional", not "dev";
 *  - optional: only reachable through optional edges;
 *  - peer does not change the scope (a peer of a production package is needed in production).
 */
function scopeOf(entry: LockEntry): Scope {
  if (entry.dev) return "dev";
  if (entry.devOptional || entry.optional) return "optional";
  return "required";
}

function makeCataloger(name: string, matches: (path: string) => boolean, supersedes: readonly string[]): Cataloger {
  return { name, ecosystem: "npm", matches, parse: parsePackageLock, supersedes };
}

const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** npm-shrinkwrap.json wins over package-lock.json in the same folder (npm ignores the latter then). */
export const npmShrinkwrapCataloger = makeCataloger("npm-shrinkwrap", (p) => baseName(p) === "npm-shrinkwrap.json", ["package-lock.json", HIDDEN_LOCKFILE]);

export const npmPackageLockCataloger = makeCataloger("npm-package-lock", (p) => baseName(p) === "package-lock.json", [HIDDEN_LOCKFILE]);

/** Only read when no package-lock.json or npm-shrinkwrap.json sits beside node_modules (they supersede it). */
export const npmHiddenLockfileCataloger = makeCataloger("npm-hidden-lockfile", (p) => p === HIDDEN_LOCKFILE || p.endsWith(`/${HIDDEN_LOCKFILE}`), []);
