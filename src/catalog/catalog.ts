import { posix } from "node:path";
import { isVouchError } from "../core/errors.js";
import { mergeHashes } from "../sbom/model/hash.js";
import { licenseKey, normalizeLicense, normalizeLicenses } from "../sbom/model/license.js";
import type { Component, Dependency, License, Property, Scope } from "../sbom/model/types.js";
import type {
  CatalogContext,
  Cataloger,
  CatalogWarning,
  FileSource,
  LayerOrigin,
  PackageRecord,
  ParseResult,
  ProjectRecord,
} from "./types.js";

/** One version of a file in a layered source: the layer that wrote it, and what it wrote. */
export interface FileVersion {
  origin: LayerOrigin;
  bytes: Uint8Array;
}

/**
 * A source whose files have a history (an image's layers). `versionsOf` gives every version of a file a
 * cataloger parses, oldest first, the last being the current one ([] when unknown).
 */
export interface LayeredFileSource extends FileSource {
  versionsOf?(path: string): FileVersion[];
}

export interface CatalogOutput {
  /** The project the scanned tree is (from its top-level manifest), or undefined when none names it. */
  rootProject?: Component;
  /** What the root depends on directly (bomRefs). */
  rootDependsOn: string[];
  components: Component[];
  dependencies: Dependency[];
  warnings: CatalogWarning[];
  /** Files each cataloger read, for the summary. */
  filesCataloged: { path: string; cataloger: string; packages: number }[];
}

/**
 * Run every cataloger over the files of a source and merge what they find into one component list and
 * one dependency graph. Pure over the FileSource: all I/O is the source's.
 */
export function catalogSource(source: LayeredFileSource, catalogers: readonly Cataloger[]): CatalogOutput {
  const warnings: CatalogWarning[] = [];
  const merger = new ComponentMerger();
  const filesCataloged: CatalogOutput["filesCataloged"] = [];
  const projects: { dir: string; component: Component; deps: string[]; cataloger: number }[] = [];
  const looseDeps: { dir: string; deps: string[] }[] = [];

  for (const { path, cataloger, priority } of planFiles(source.files(), catalogers)) {
    const binary = cataloger.reads === "bytes";
    const bytes = binary ? source.readBytes?.(path) : undefined;
    const text = binary ? (bytes === undefined ? undefined : "") : source.readFile(path);
    if (text === undefined) {
      warnings.push({ file: path, message: "could not be read (unreadable, too large, or a link out of the tree); skipped", fileSkipped: true });
      continue;
    }
    const ctx: CatalogContext = {
      readFile: (p) => source.readFile(p),
      readBytes: source.readBytes ? (p) => source.readBytes!(p) : undefined,
      listDir: (p) => source.listDir(p),
      warn: (message, line, file) => warnings.push({ file: file ?? path, line, message }),
    };
    let result: ParseResult;
    try {
      result = cataloger.parse(binary ? { path, text, bytes } : { path, text }, ctx);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      warnings.push({ file: path, line: err.location.line, message: `${err.message}; skipped`, fileSkipped: true });
      continue;
    }
    // In an image, what a file declares came with the layer that last wrote the file (syft's layerID)...
    const origin = source.originOf?.(path);
    const layerProps = origin ? layerProperties(origin) : [];
    // ...unless earlier layers wrote the file too: a package database that every layer rewrites credits each
    // package to the oldest version of the file from which on it is listed without a break.
    const introduced = origin ? introducingLayers(source, path, cataloger, binary, result, ctx) : undefined;
    const propsOf = (pkg: PackageRecord) => {
      const layer = introduced?.get(pkg.purl);
      return layer ? layerProperties(layer) : layerProps;
    };
    const refs = merger.addResult(result, path, propsOf);
    filesCataloged.push({ path, cataloger: cataloger.name, packages: result.packages.length });
    const fileDir = posix.dirname(path) === "." ? "" : posix.dirname(path);
    const dir = result.projectDir !== undefined ? posix.normalize(result.projectDir).replace(/^\.$/, "") : fileDir;
    const direct = result.directDependencies.map((id) => refs.get(id)).filter((r): r is string => r !== undefined);
    for (const ws of result.workspaces ?? []) {
      merger.addEdges(refs.get(ws.id)!, ws.directDependencies.map((id) => refs.get(id)).filter((r): r is string => r !== undefined));
    }
    if (result.project) {
      const component = merger.addProject(result.project, path, layerProps);
      projects.push({ dir, component, deps: direct, cataloger: priority });
      for (const ws of result.workspaces ?? []) direct.push(refs.get(ws.id)!);
    } else {
      for (const ws of result.workspaces ?? []) direct.push(refs.get(ws.id)!);
      looseDeps.push({ dir, deps: direct });
    }
  }

  // The root project is the top-level manifest's project (the first cataloger in priority order wins).
  const topLevel = projects.filter((p) => p.dir === "").sort((a, b) => a.cataloger - b.cataloger);
  const root = topLevel[0];
  const rootDependsOn = new Set<string>();
  for (const p of projects) {
    if (root && p.component.bomRef === root.component.bomRef) {
      for (const d of p.deps) rootDependsOn.add(d);
    } else {
      merger.addEdges(p.component.bomRef, p.deps);
      rootDependsOn.add(p.component.bomRef);
    }
  }
  for (const loose of looseDeps) for (const d of loose.deps) rootDependsOn.add(d);
  if (root) {
    rootDependsOn.delete(root.component.bomRef);
    merger.remove(root.component.bomRef);
  }

  const { components, dependencies } = merger.finish();
  return {
    rootProject: root?.component,
    rootDependsOn: [...rootDependsOn].sort(),
    components,
    dependencies,
    warnings,
    filesCataloged,
  };
}

/**
 * Which cataloger reads which file. A cataloger's `supersedes` names files beside its own that it makes
 * redundant (package-lock.json over node_modules/.package-lock.json): those are not read at all.
 */
function planFiles(files: readonly string[], catalogers: readonly Cataloger[]) {
  const matched = files.flatMap((path) =>
    catalogers.flatMap((cataloger, priority) => (cataloger.matches(path) ? [{ path, cataloger, priority }] : [])),
  );
  const superseded = new Set<string>();
  for (const m of matched) {
    for (const name of m.cataloger.supersedes ?? []) {
      const target = posix.join(posix.dirname(m.path), name);
      if (target !== m.path) superseded.add(target);
    }
  }
  return matched.filter((m) => !superseded.has(m.path));
}

const SCOPE_RANK: Record<Scope, number> = { required: 3, optional: 2, dev: 1 };

/** Merges packages from many files into components keyed by purl, and edges into one graph. */
class ComponentMerger {
  private readonly components = new Map<string, Component>();
  private readonly edges = new Map<string, Set<string>>();

  /**
   * Add every package and workspace project of one file, and the packages' edges; returns file-local
   * id -> bomRef. Workspaces are registered before any edge is resolved, so that packages, the project and
   * other members may depend on a workspace in any order.
   */
  addResult(result: ParseResult, file: string, extra: (pkg: PackageRecord) => readonly Property[] = () => []): Map<string, string> {
    const refs = new Map<string, string>();
    for (const pkg of result.packages) refs.set(pkg.id, this.addPackage(pkg, file, extra(pkg)).bomRef);
    for (const ws of result.workspaces ?? []) refs.set(ws.id, this.addProject(ws.project, file, extra(EMPTY_PACKAGE)).bomRef);
    for (const pkg of result.packages) {
      const from = refs.get(pkg.id)!;
      const to = pkg.dependsOn.map((id) => refs.get(id)).filter((r): r is string => r !== undefined && r !== from);
      this.addEdges(from, to);
    }
    return refs;
  }

  addProject(project: ProjectRecord, file: string, extra: readonly Property[] = []): Component {
    const bomRef = project.purl ?? `project:${project.ecosystem}/${project.group ? `${project.group}/` : ""}${project.name}@${project.version}`;
    return this.upsert({
      bomRef,
      type: "application",
      ecosystem: project.ecosystem,
      name: project.name,
      group: project.group,
      version: project.version,
      purl: project.purl,
      licenses: licensesOf(project.licenseDeclared),
      hashes: [],
      scope: "required",
      description: project.description,
      author: project.author,
      externalRefs: project.externalRefs ?? [],
      foundIn: [file],
      properties: [...extra],
    });
  }

  addEdges(from: string, to: readonly string[]): void {
    let set = this.edges.get(from);
    if (!set) this.edges.set(from, (set = new Set()));
    for (const t of to) if (t !== from) set.add(t);
  }

  remove(bomRef: string): void {
    this.components.delete(bomRef);
  }

  finish(): { components: Component[]; dependencies: Dependency[] } {
    const components = [...this.components.values()].sort((a, b) => cmp(a.bomRef, b.bomRef));
    for (const c of components) {
      c.foundIn.sort(cmp);
      c.properties.sort((a, b) => cmp(a.name, b.name) || cmp(a.value, b.value));
    }
    const dependencies = [...this.edges.entries()]
      .map(([ref, to]) => ({ ref, dependsOn: [...to].sort(cmp) }))
      .sort((a, b) => cmp(a.ref, b.ref));
    return { components, dependencies };
  }

  private addPackage(pkg: PackageRecord, file: string, extra: readonly Property[]): Component {
    return this.upsert({
      bomRef: pkg.purl,
      type: "library",
      ecosystem: pkg.ecosystem,
      name: pkg.name,
      group: pkg.group,
      version: pkg.version,
      purl: pkg.purl,
      licenses: licensesOf(pkg.licenseDeclared),
      hashes: pkg.hashes,
      scope: pkg.scope,
      supplier: pkg.supplier,
      author: pkg.author,
      description: pkg.description,
      externalRefs: pkg.externalRefs ?? [],
      foundIn: [file],
      properties: [...(pkg.properties ?? []), ...extra],
    });
  }

  private upsert(next: Component): Component {
    const prev = this.components.get(next.bomRef);
    if (!prev) {
      this.components.set(next.bomRef, next);
      return next;
    }
    // The same package seen again (another file, or another copy in one node_modules tree): keep every fact.
    if (!prev.foundIn.includes(next.foundIn[0]!)) prev.foundIn.push(...next.foundIn);
    prev.hashes = mergeHashes(prev.hashes, next.hashes);
    if (SCOPE_RANK[next.scope] > SCOPE_RANK[prev.scope]) prev.scope = next.scope;
    // A package that is also a project of the tree (a workspace member, the root crate) is an application.
    if (next.type === "application") prev.type = "application";
    if (prev.licenses.length === 0) prev.licenses = next.licenses;
    else if (next.licenses.length > 0) prev.licenses = unionLicenses(prev.licenses, next.licenses);
    prev.supplier ??= next.supplier;
    prev.author ??= next.author;
    prev.description ??= next.description;
    for (const ref of next.externalRefs) if (!prev.externalRefs.some((r) => r.type === ref.type && r.url === ref.url)) prev.externalRefs.push(ref);
    for (const p of next.properties) if (!prev.properties.some((q) => q.name === p.name && q.value === p.value)) prev.properties.push(p);
    return prev;
  }
}

const EMPTY_PACKAGE = { purl: "" } as PackageRecord;

/**
 * For a file earlier layers wrote too, the layer that introduced each package (by purl) of the current
 * version: walking back from the current version while the package is listed. undefined when the file has a
 * single version. Earlier versions are parsed with the same cataloger; one that cannot be parsed ends the walk.
 */
function introducingLayers(
  source: LayeredFileSource,
  path: string,
  cataloger: Cataloger,
  binary: boolean,
  current: ParseResult,
  ctx: CatalogContext,
): Map<string, LayerOrigin> | undefined {
  const versions = source.versionsOf?.(path) ?? [];
  if (versions.length < 2) return undefined;
  const quiet: CatalogContext = { ...ctx, warn: () => undefined };
  const listed: Set<string>[] = versions.slice(0, -1).map((v) => {
    try {
      const text = binary ? "" : Buffer.from(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength).toString("utf8");
      const parsed = cataloger.parse(binary ? { path, text, bytes: v.bytes } : { path, text }, quiet);
      return new Set(parsed.packages.map((p) => p.purl));
    } catch (err) {
      if (!isVouchError(err)) throw err;
      return new Set<string>();
    }
  });
  const out = new Map<string, LayerOrigin>();
  for (const pkg of current.packages) {
    let k = versions.length - 1;
    while (k > 0 && listed[k - 1]!.has(pkg.purl)) k--;
    out.set(pkg.purl, versions[k]!.origin);
  }
  return out;
}

/**
 * Component properties naming the image layer a file came from: the layer blob's digest, its diffID and the
 * build step that made it (syft records the same as syft:location:N:layerID).
 */
export function layerProperties(origin: LayerOrigin): Property[] {
  return [
    { name: "vouch:layer:digest", value: origin.digest },
    { name: "vouch:layer:diffID", value: origin.diffId },
    { name: "vouch:layer:index", value: String(origin.index) },
    ...(origin.createdBy !== undefined ? [{ name: "vouch:layer:createdBy", value: origin.createdBy }] : []),
  ];
}

function licensesOf(declared: string | readonly string[] | undefined): License[] {
  if (declared === undefined) return [];
  return typeof declared === "string" ? normalizeLicense(declared) : normalizeLicenses(declared);
}

function unionLicenses(a: License[], b: License[]): License[] {
  const keys = new Set(a.map(licenseKey));
  return [...a, ...b.filter((l) => !keys.has(licenseKey(l)))];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
