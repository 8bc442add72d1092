import { posix } from "node:path";
import { parseSyml } from "@yarnpkg/parsers";
import { VouchError } from "../../core/errors.js";
import { hexHash, mergeHashes, sriHashes } from "../../sbom/model/hash.js";
import type { Hash, Property } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";
import {
  dependencyOrder,
  dirPrefix,
  distributionRef,
  isRecord,
  npmRecord,
  sortedUnique,
  sourceQualifiers,
  splitAtVersion,
  stringEntries,
  stringField,
  type JsonObject,
} from "./common.js";
import { projectFromManifest, readManifest, workspaceProject, type PackageManifest } from "./manifest.js";
import { computeScopes, type EdgeKind } from "./scope.js";
import { expandWorkspacePatterns } from "./workspaces.js";

/**
 * yarn.lock: yarn classic (v1, its own syntax) and yarn berry (v2+, YAML with a __metadata block), both read
 * with @yarnpkg/parsers' parseSyml, the parser yarn itself uses.
 *
 * An entry is keyed by the descriptors ("name@range", comma-separated) that resolved to it; dependencies are
 * descriptors again, so edges are found by looking the descriptor up. yarn.lock records no dev/optional
 * split: scopes are computed from the projects' package.json files (see scope.ts).
 */

/** The highest berry __metadata.version whose layout vouch knows (yarn 4 writes 8 and 10). */
const MAX_BERRY_VERSION = 10;

interface YarnPackage {
  id: string;
  fullName: string;
  version: string;
  hashes: Hash[];
  resolved?: string;
  properties: Property[];
  /** Dependency descriptors ("name@range") and how they are depended on. */
  deps: { descriptor: string; fallback?: string; kind: EdgeKind }[];
}

interface YarnWorkspace {
  /** Project-relative folder ("" for the root). */
  folder: string;
  project?: ProjectRecord;
  deps: { descriptor: string; fallback?: string; kind: EdgeKind | "dev" }[];
}

/** Everything parsed from one yarn.lock before edges and scopes are resolved. */
interface YarnModel {
  packages: Map<string, YarnPackage>;
  /** Descriptor ("name@range" as written in keys) -> package id or workspace id. */
  descriptors: Map<string, string>;
  workspaces: YarnWorkspace[];
}

export function parseYarnLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = parseYarnDocument(file.text);
  const prefix = dirPrefix(posix.dirname(file.path));
  const manifest = readManifest(ctx, `${prefix}package.json`);
  const model = isRecord(doc.__metadata) ? readBerry(doc, prefix, manifest, ctx) : readClassic(doc, prefix, manifest, ctx);
  return assemble(model, resolutionOverrides(manifest), ctx);
}

function parseYarnDocument(text: string): JsonObject {
  let doc: unknown;
  try {
    doc = parseSyml(text);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `yarn.lock cannot be parsed (${firstLine(err)})`, { line: errorLine(err), cause: err });
  }
  if (!isRecord(doc)) throw new VouchError("INPUT_MALFORMED", "yarn.lock is not a map of entries");
  return doc;
}

/** The classic parser (peggy) reports location.start.line, 1-based; js-yaml reports mark.line, 0-based. */
function errorLine(err: unknown): number | undefined {
  if (!isRecord(err)) return undefined;
  const start = isRecord(err.location) && isRecord(err.location.start) ? err.location.start.line : undefined;
  if (typeof start === "number") return start;
  const mark = isRecord(err.mark) ? err.mark.line : undefined;
  return typeof mark === "number" ? mark + 1 : undefined;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

// ---------------------------------------------------------------------------------------------- classic

/**
 * yarn classic: "name@range" keys (an alias is "alias@npm:real@range"), "version", "resolved" (whose
 * "#<hex>" fragment is the tarball's SHA-1), "integrity" (SRI, newer yarn 1 releases), "dependencies" and
 * "optionalDependencies" as name -> range. Workspaces are not in the file: package.json's globs name them.
 */
function readClassic(doc: JsonObject, prefix: string, manifest: PackageManifest | undefined, ctx: CatalogContext): YarnModel {
  const model: YarnModel = { packages: new Map(), descriptors: new Map(), workspaces: [] };
  // The parser gives each key of "a@^1, a@^1.1" its own property, all holding the same entry object.
  const idOfEntry = new Map<unknown, string>();
  for (const [descriptor, value] of Object.entries(doc)) {
    const known = idOfEntry.get(value);
    if (known !== undefined) {
      model.descriptors.set(descriptor, known);
      continue;
    }
    const parsed = splitAtVersion(descriptor);
    const version = isRecord(value) ? stringField(value, "version") : undefined;
    if (!parsed || !isRecord(value) || version === undefined) {
      ctx.warn(`entry "${descriptor}" has no name@range key or no version; skipped`);
      continue;
    }
    const fullName = parsed.rest.startsWith("npm:") ? (splitAtVersion(parsed.rest.slice(4))?.name ?? parsed.rest.slice(4)) : parsed.name;
    const id = `${fullName}@${version}`;
    model.descriptors.set(descriptor, id);
    idOfEntry.set(value, id);
    const resolved = stringField(value, "resolved");
    const existing = model.packages.get(id);
    const deps = [
      ...stringEntries(value.dependencies).map(([name, range]) => ({ descriptor: `${name}@${range}`, kind: "prod" as const })),
      ...stringEntries(value.optionalDependencies).map(([name, range]) => ({ descriptor: `${name}@${range}`, kind: "optional" as const })),
    ];
    const hashes = mergeHashes(sriHashes(stringField(value, "integrity")), tarballSha1(resolved));
    if (existing) {
      // Several keys share one entry (or two entries resolved to one name@version): one package.
      existing.deps.push(...deps);
      existing.hashes = mergeHashes(existing.hashes, hashes);
      continue;
    }
    model.packages.set(id, { id, fullName, version, hashes, resolved, properties: [], deps });
  }
  model.workspaces = classicWorkspaces(prefix, manifest, ctx);
  for (const ws of model.workspaces) if (ws.folder !== "") model.descriptors.set(workspaceId(ws.folder), workspaceId(ws.folder));
  return model;
}

/** yarn 1 writes the tarball's SHA-1 as the URL fragment of a registry "resolved" (not of a git URL). */
function tarballSha1(resolved: string | undefined): Hash[] {
  if (!resolved || !/^https?:\/\//.test(resolved)) return [];
  const fragment = /#([0-9a-fA-F]{40})$/.exec(resolved)?.[1];
  const hash = fragment === undefined ? undefined : hexHash("sha1", fragment);
  return hash ? [hash] : [];
}

/** The root project and the workspaces package.json's globs name, each with its dependency sections. */
function classicWorkspaces(prefix: string, manifest: PackageManifest | undefined, ctx: CatalogContext): YarnWorkspace[] {
  const out: YarnWorkspace[] = [];
  if (!manifest) return out;
  const members = expandWorkspacePatterns(ctx, prefix, manifest.workspaces);
  const byName = new Map<string, string>();
  const memberManifests = members.map((folder) => ({ folder, manifest: readManifest(ctx, `${prefix}${folder}/package.json`) }));
  for (const m of memberManifests) if (m.manifest?.name) byName.set(m.manifest.name, m.folder);
  const depsOf = (m: PackageManifest) =>
    manifestDeps(m).map((d) => {
      // A workspace depending on a sibling by name: yarn links it and writes no lockfile entry.
      const sibling = byName.get(d.name);
      return { descriptor: `${d.name}@${d.range}`, fallback: sibling === undefined ? undefined : workspaceId(sibling), kind: d.kind };
    });
  out.push({ folder: "", project: projectFromManifest(manifest), deps: depsOf(manifest) });
  for (const m of memberManifests) {
    if (!m.manifest) continue;
    out.push({ folder: m.folder, project: workspaceProject(m.manifest, undefined, undefined, m.folder), deps: depsOf(m.manifest) });
  }
  return out;
}

/** A manifest's dependencies by section; a name in both dependencies and devDependencies counts as prod. */
function manifestDeps(m: PackageManifest): { name: string; range: string; kind: EdgeKind | "dev" }[] {
  const out = new Map<string, { name: string; range: string; kind: EdgeKind | "dev" }>();
  for (const [name, range] of m.devDependencies) out.set(name, { name, range, kind: "dev" });
  for (const [name, range] of m.optionalDependencies) out.set(name, { name, range, kind: "optional" });
  for (const [name, range] of m.dependencies) out.set(name, { name, range, kind: "prod" });
  return [...out.values()];
}

// ---------------------------------------------------------------------------------------------- berry

/**
 * yarn berry: keys are descriptors with a protocol ("name@npm:^1.0.0"), "resolution" is the locator the
 * descriptors resolved to ("name@npm:1.2.3", "name@workspace:packages/x", "name@patch:name@npm%3A1.2.3#..."),
 * dependencies are descriptors too, optional ones flagged in dependenciesMeta.
 */
function readBerry(doc: JsonObject, prefix: string, manifest: PackageManifest | undefined, ctx: CatalogContext): YarnModel {
  const metadata = doc.__metadata as JsonObject;
  const version = Number(stringField(metadata, "version") ?? metadata.version);
  if (!Number.isInteger(version) || version < 1 || version > MAX_BERRY_VERSION) {
    throw new VouchError("INPUT_MALFORMED", `unsupported yarn lockfile __metadata.version ${JSON.stringify(metadata.version ?? null)}`);
  }
  const model: YarnModel = { packages: new Map(), descriptors: new Map(), workspaces: [] };
  const byResolution = new Map<string, JsonObject>();
  const patches: { keys: string[]; resolution: string; value: JsonObject }[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === "__metadata") continue;
    const resolution = isRecord(value) ? stringField(value, "resolution") : undefined;
    const locator = resolution === undefined ? undefined : splitAtVersion(resolution);
    if (!isRecord(value) || resolution === undefined || !locator) {
      ctx.warn(`entry "${key}" has no valid "resolution"; skipped`);
      continue;
    }
    const keys = key.split(/\s*,\s*/).filter((k) => k.length > 0);
    byResolution.set(resolution, value);
    if (locator.rest.startsWith("workspace:")) {
      const folder = normalizeWorkspaceFolder(locator.rest.slice("workspace:".length));
      for (const k of keys) model.descriptors.set(k, workspaceId(folder));
      model.workspaces.push(berryWorkspace(folder, locator.name, value, prefix, manifest, ctx));
    } else if (locator.rest.startsWith("patch:")) {
      patches.push({ keys, resolution, value });
    } else {
      const pkg = berryPackage(resolution, locator.name, value);
      for (const k of keys) model.descriptors.set(k, pkg.id);
      model.packages.set(pkg.id, pkg);
    }
  }
  for (const patch of patches) addBerryPatch(model, patch, byResolution);
  return model;
}

function berryPackage(resolution: string, fullName: string, value: JsonObject): YarnPackage {
  const protocol = splitAtVersion(resolution)!.rest.split(":")[0]!;
  const rawVersion = stringField(value, "version") ?? "";
  const properties: Property[] = [];
  // "checksum" is "<cacheKey>/<hex>": the SHA-512 of the zip yarn re-packs the package into for its cache,
  // not of the registry tarball. Presented as the package's SHA-512 it would fail every verification
  // against the npm tarball, so it is kept as a yarn-specific property, not as a hash.
  const checksum = stringField(value, "checksum");
  if (checksum) properties.push({ name: "vouch:yarn:checksum", value: checksum });
  if (protocol !== "npm") properties.push({ name: "vouch:yarn:resolution", value: resolution });
  return {
    id: resolution,
    fullName,
    // Local folders (link:, portal:, file:) carry the placeholder version yarn gives unversioned packages.
    version: rawVersion === "0.0.0-use.local" ? "" : rawVersion,
    hashes: [],
    resolved: protocol === "npm" ? undefined : splitAtVersion(resolution)!.rest,
    properties,
    deps: berryDeps(value),
  };
}

/**
 * A patch: entry ("typescript@patch:typescript@npm%3A5.0.0#optional!builtin<compat/typescript>") is the npm
 * package with a patch applied: the same name@version, so it names the npm entry it patches when that is in
 * the file, and becomes a package of its own otherwise.
 */
function addBerryPatch(model: YarnModel, patch: { keys: string[]; resolution: string; value: JsonObject }, byResolution: Map<string, JsonObject>): void {
  const locator = splitAtVersion(patch.resolution)!;
  const inner = /^patch:(.*?)#(.*?)(?:::.*)?$/.exec(locator.rest);
  const base = inner ? safeDecode(inner[1]!) : undefined;
  const builtin = inner?.[2]?.startsWith("optional!builtin") || inner?.[2]?.startsWith("builtin") || false;
  const baseId = base !== undefined && byResolution.has(base) ? base : undefined;
  const target = baseId !== undefined ? model.packages.get(baseId) : undefined;
  if (target) {
    for (const k of patch.keys) model.descriptors.set(k, target.id);
    // yarn's own compatibility patches (builtin<compat/...>) apply to everyone; a project's patch is news.
    if (!builtin) target.properties.push({ name: "vouch:yarn:patch", value: patch.resolution });
    return;
  }
  const pkg = berryPackage(patch.resolution, locator.name, patch.value);
  pkg.properties.push({ name: "vouch:yarn:patch", value: patch.resolution });
  for (const k of patch.keys) model.descriptors.set(k, pkg.id);
  model.packages.set(pkg.id, pkg);
}

function berryDeps(value: JsonObject): YarnPackage["deps"] {
  const optional = new Set<string>();
  if (isRecord(value.dependenciesMeta)) {
    for (const [name, meta] of Object.entries(value.dependenciesMeta)) if (isRecord(meta) && String(meta.optional) === "true") optional.add(name);
  }
  return stringEntries(value.dependencies).map(([name, range]) => ({
    descriptor: `${name}@${range}`,
    // Older berry lockfiles (metadata 4-5) wrote dependency ranges without the "npm:" their keys carry.
    fallback: range.includes(":") ? undefined : `${name}@npm:${range}`,
    kind: optional.has(name) ? "optional" : "prod",
  }));
}

/**
 * A workspace entry lists prod, optional and dev dependencies together; which is which is only in the
 * workspace's package.json (without one, all count as prod: nothing says otherwise).
 */
function berryWorkspace(folder: string, lockName: string, value: JsonObject, prefix: string, rootManifest: PackageManifest | undefined, ctx: CatalogContext): YarnWorkspace {
  const manifest = folder === "" ? rootManifest : readManifest(ctx, `${prefix}${folder}/package.json`);
  const sections = new Map((manifest ? manifestDeps(manifest) : []).map((d) => [d.name, d.kind]));
  const deps = berryDeps(value).map((d) => {
    const name = splitAtVersion(d.descriptor)?.name ?? "";
    return { ...d, kind: d.kind === "optional" ? d.kind : (sections.get(name) ?? "prod") };
  });
  // The root's project comes from its package.json only: yarn invents "root-workspace-0b6124" for a nameless root.
  const project = folder === "" ? projectFromManifest(manifest) : workspaceProject(manifest, lockName, undefined, folder);
  return { folder, project, deps };
}

function normalizeWorkspaceFolder(folder: string): string {
  const normal = posix.normalize(folder).replace(/\/+$/, "");
  return normal === "." ? "" : normal;
}

/** A workspace's id in the ParseResult (and its descriptor, for classic's sibling references). */
function workspaceId(folder: string): string {
  return `workspace:${folder === "" ? "." : folder}`;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- assembly

/**
 * The root package.json's "resolutions" by the package name they override: yarn resolves every descriptor of
 * that name with the given range instead, and the lockfile keeps the original descriptor only in the
 * dependent's list. The pattern's parent path ("a/b", "**\/b") is not matched: the name alone decides.
 */
function resolutionOverrides(manifest: PackageManifest | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [pattern, range] of manifest?.resolutions ?? []) {
    const name = /(?:^|\/)((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?$/.exec(pattern)?.[1];
    if (name !== undefined) out.set(name, [...(out.get(name) ?? []), range]);
  }
  return out;
}

/** Resolve descriptors to ids, compute scopes, and build the ParseResult. */
function assemble(model: YarnModel, overrides: Map<string, string[]>, ctx: CatalogContext): ParseResult {
  const unresolved: string[] = [];
  const lookup = (descriptor: string | undefined) => (descriptor === undefined ? undefined : model.descriptors.get(descriptor));
  const overridden = (descriptor: string): string | undefined => {
    const name = splitAtVersion(descriptor)?.name;
    for (const range of (name === undefined ? undefined : overrides.get(name)) ?? []) {
      const id = lookup(`${name}@${range}`) ?? lookup(`${name}@npm:${range}`);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const resolve = (dep: { descriptor: string; fallback?: string }, from: string): string | undefined => {
    const id = lookup(dep.descriptor) ?? lookup(dep.fallback) ?? overridden(dep.descriptor);
    if (id === undefined) unresolved.push(`${from} -> ${dep.descriptor}`);
    return id;
  };
  const edges = new Map<string, { to: string; kind: EdgeKind }[]>();
  for (const pkg of model.packages.values()) {
    const out: { to: string; kind: EdgeKind }[] = [];
    for (const dep of pkg.deps) {
      const to = resolve(dep, pkg.id);
      if (to !== undefined && to !== pkg.id) out.push({ to, kind: dep.kind });
    }
    edges.set(pkg.id, out);
  }
  const workspaceDeps = model.workspaces.map((ws) => {
    const resolved = ws.deps.map((d) => ({ id: resolve(d, ws.folder || "(root)"), kind: d.kind }));
    return { ws, deps: resolved.filter((d): d is { id: string; kind: EdgeKind | "dev" } => d.id !== undefined) };
  });
  if (unresolved.length > 0) {
    ctx.warn(`${unresolved.length} dependency descriptor(s) match no entry of the lockfile (${unresolved.slice(0, 3).join("; ")}); left out`);
  }
  const roots = workspaceDeps.flatMap(({ deps }) => deps);
  const scopes = computeScopes({ edges, roots });

  const packages: PackageRecord[] = [];
  for (const pkg of model.packages.values()) {
    const record = npmRecord(
      {
        id: pkg.id,
        fullName: pkg.fullName,
        version: pkg.version,
        // Reachable from nowhere (no package.json beside the lockfile): nothing says it is dev-only.
        scope: scopes.get(pkg.id) ?? "required",
        hashes: pkg.hashes,
        dependsOn: sortedUnique(edges.get(pkg.id)!.map((e) => e.to)),
        // yarn 1 appends the tarball's SHA-1 to the URL as a fragment: a hash (kept above), not part of the address.
        externalRefs: [distributionRef(pkg.resolved?.replace(/#[0-9a-fA-F]{40}$/, ""))].filter((r) => r !== undefined),
        properties: pkg.properties,
        qualifiers: sourceQualifiers(pkg.resolved),
      },
      ctx,
    );
    if (record) packages.push(record);
  }

  const result: ParseResult = { directDependencies: [], packages };
  const workspaces: NonNullable<ParseResult["workspaces"]> = [];
  for (const { ws, deps } of workspaceDeps) {
    const ids = sortedUnique(deps.map((d) => d.id));
    if (ws.folder === "") {
      result.directDependencies = ids;
      if (ws.project) result.project = ws.project;
    } else if (ws.project) {
      const id = workspaceId(ws.folder);
      workspaces.push({ project: ws.project, id, directDependencies: ids.filter((dep) => dep !== id) });
    }
  }
  if (workspaces.length > 0) result.workspaces = dependencyOrder(workspaces);
  return result;
}

export const yarnLockCataloger: Cataloger = {
  name: "npm-yarn-lock",
  ecosystem: "npm",
  matches: (path) => path === "yarn.lock" || path.endsWith("/yarn.lock"),
  parse: parseYarnLock,
};
