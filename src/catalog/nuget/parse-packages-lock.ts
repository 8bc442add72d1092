import { parseJsonText } from "../../core/encoding/json-text.js";
import { posix } from "node:path";
import { lineOfOffset, VouchError } from "../../core/errors.js";
import { base64Hash } from "../../sbom/model/hash.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { Hash } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";
import { childElement, childElements, childText, parseXml } from "../common/xml.js";

/**
 * packages.lock.json (NuGet lock file, versions 1 and 2): "dependencies" maps each target framework, and
 * each runtime-specific target "framework/rid", to the packages restored for it:
 *
 *   "Name": { "type": "Direct" | "Transitive" | "CentralTransitive" | "Project",
 *             "requested": "[1.0.0, )", "resolved": "1.0.0", "contentHash": "<base64 SHA-512>",
 *             "dependencies": { "Other": "1.2.0" } }
 *
 * The same package resolved to the same version in several targets is one package. "Project" entries
 * are the repository's own projects (ProjectReference): they become workspaces, not packages. Edges
 * resolve a dependency's name within the same target (a runtime target falls back to its framework's).
 * The project itself is named by the *.csproj (or .fsproj/.vbproj) beside the lockfile.
 */
export function parsePackagesLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const lock = parseJson(file.text, posix.basename(file.path));
  if (!isObject(lock)) throw new VouchError("INPUT_MALFORMED", "not a NuGet lock file: not a JSON object");
  const version = lock["version"];
  if (version !== 1 && version !== 2) {
    const at = /"version"\s*:/.exec(file.text);
    throw new VouchError("INPUT_MALFORMED", `unsupported NuGet lock file version ${JSON.stringify(version ?? null)} (1 and 2 are read)`, {
      line: at ? lineOfOffset(file.text, at.index) : undefined,
    });
  }
  const targets = lock["dependencies"];
  if (!isObject(targets)) throw new VouchError("INPUT_MALFORMED", 'not a NuGet lock file: no "dependencies" object');

  const graph = new LockGraph();
  for (const [target, entries] of Object.entries(targets)) {
    if (!isObject(entries)) {
      ctx.warn(`target "${target}" is not an object; skipped`);
      continue;
    }
    graph.addTarget(target, entries, ctx);
  }
  graph.link();
  const project = projectBeside(file.path, ctx);
  const workspaces = graph.workspaces();
  return {
    ...(project ? { project } : {}),
    directDependencies: graph.direct(),
    packages: graph.packages(),
    ...(workspaces.length > 0 ? { workspaces } : {}),
  };
}

interface Entry {
  name: string;
  type: string;
  /** The package's id in the ParseResult (a purl, or a workspace id for a Project entry). */
  id: string;
  dependencies: string[];
}

/** Everything the lockfile says, target by target, merged into packages and workspaces. */
class LockGraph {
  private readonly byTarget = new Map<string, Map<string, Entry>>();
  private readonly packagesById = new Map<string, PackageRecord>();
  private readonly projectsById = new Map<string, { name: string; dependsOn: Set<string> }>();
  private readonly directIds = new Set<string>();

  addTarget(target: string, entries: Record<string, unknown>, ctx: CatalogContext): void {
    const byName = new Map<string, Entry>();
    this.byTarget.set(target, byName);
    for (const [name, value] of Object.entries(entries)) {
      const entry = this.addEntry(target, name, value, ctx);
      // NuGet ids compare case-insensitively: "Core" in a dependency list is the "core" Project entry.
      if (entry) byName.set(name.toLowerCase(), entry);
    }
  }

  private addEntry(target: string, name: string, value: unknown, ctx: CatalogContext): Entry | undefined {
    if (!isObject(value) || typeof value["type"] !== "string") {
      ctx.warn(`${target}: "${name}" has no type; skipped`);
      return undefined;
    }
    const type = value["type"];
    const dependencies = isObject(value["dependencies"]) ? Object.keys(value["dependencies"]) : [];
    if (type === "Project") {
      const id = `nuget-project:${name.toLowerCase()}`;
      if (!this.projectsById.has(id)) this.projectsById.set(id, { name, dependsOn: new Set() });
      return { name, type, id, dependencies };
    }
    const resolved = typeof value["resolved"] === "string" ? value["resolved"].trim() : "";
    if (resolved === "") {
      ctx.warn(`${target}: "${name}" (${type}) has no resolved version; skipped`);
      return undefined;
    }
    const purl = buildPurl("nuget", { name, version: resolved });
    let record = this.packagesById.get(purl);
    if (!record) {
      record = { id: purl, ecosystem: "nuget", name, version: resolved, purl, hashes: contentHash(value["contentHash"]), scope: "required", dependsOn: [] };
      this.packagesById.set(purl, record);
    }
    if (type === "Direct") this.directIds.add(purl);
    return { name, type, id: purl, dependencies };
  }

  /** Resolve every entry's dependency names to ids, within its target and then its framework's target. */
  link(): void {
    const edges = new Map<string, Set<string>>();
    for (const [target, own] of this.byTarget) {
      const framework = target.includes("/") ? this.byTarget.get(target.slice(0, target.indexOf("/"))) : undefined;
      for (const entry of own.values()) {
        let set = edges.get(entry.id);
        if (!set) edges.set(entry.id, (set = new Set()));
        for (const dep of entry.dependencies) {
          const key = dep.toLowerCase();
          const found = own.get(key) ?? framework?.get(key);
          if (found && found.id !== entry.id) set.add(found.id);
        }
      }
    }
    for (const [id, to] of edges) {
      const pkg = this.packagesById.get(id);
      if (pkg) pkg.dependsOn = [...to];
      const project = this.projectsById.get(id);
      if (project) for (const t of to) project.dependsOn.add(t);
    }
  }

  packages(): PackageRecord[] {
    return [...this.packagesById.values()];
  }

  direct(): string[] {
    return [...this.directIds];
  }

  /**
   * Project entries as workspaces, each project listed after the projects it references: the catalog
   * links a workspace's edges when it adds it, so a referenced project must already be there.
   */
  workspaces(): NonNullable<ParseResult["workspaces"]> {
    const ordered: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (id: string) => {
      if (state.has(id)) return;
      state.set(id, "visiting");
      const deps = [...(this.projectsById.get(id)?.dependsOn ?? [])].filter((d) => this.projectsById.has(d)).sort();
      for (const dep of deps) visit(dep);
      state.set(id, "done");
      ordered.push(id);
    };
    for (const id of [...this.projectsById.keys()].sort()) visit(id);
    return ordered.map((id) => {
      const project = this.projectsById.get(id)!;
      return { id, project: { name: project.name, version: "", ecosystem: "nuget" }, directDependencies: [...project.dependsOn] };
    });
  }
}

/** contentHash: the base64 SHA-512 of the .nupkg. */
function contentHash(value: unknown): Hash[] {
  const hash = typeof value === "string" ? base64Hash("sha512", value) : undefined;
  return hash ? [hash] : [];
}

const PROJECT_FILE = /\.(?:csproj|fsproj|vbproj)$/;

/**
 * The project the lockfile belongs to: the one project file beside it, or, with several, the one named by
 * "packages.<project>.lock.json" (NuGet's name for the lockfile when projects share a folder).
 */
function projectBeside(lockPath: string, ctx: CatalogContext): ProjectRecord | undefined {
  const dir = posix.dirname(lockPath);
  const candidates = ctx.listDir(dir === "." ? "" : dir).filter((f) => PROJECT_FILE.test(f));
  const named = /^packages\.(.+)\.lock\.json$/.exec(posix.basename(lockPath))?.[1];
  const fileName = named ? candidates.find((f) => f.replace(PROJECT_FILE, "") === named) : candidates.length === 1 ? candidates[0] : undefined;
  if (!fileName) return undefined;
  const name = fileName.replace(PROJECT_FILE, "");
  const path = dir === "." ? fileName : posix.join(dir, fileName);
  const version = projectVersion(path, ctx) ?? "";
  return { name, version, ecosystem: "nuget", purl: buildPurl("nuget", { name, version }) };
}

/** <Version> (else <VersionPrefix>) of an SDK-style project, when it is a literal and not an MSBuild expression. */
function projectVersion(path: string, ctx: CatalogContext): string | undefined {
  const text = ctx.readFile(path);
  if (text === undefined) return undefined;
  let project;
  try {
    project = childElement(parseXml(text, posix.basename(path)), "Project");
  } catch (err) {
    if (!(err instanceof VouchError)) throw err;
    ctx.warn(`${path}: ${err.message}; project version unknown`, err.location.line);
    return undefined;
  }
  for (const key of ["Version", "VersionPrefix"]) {
    for (const group of childElements(project, "PropertyGroup")) {
      const value = childText(group, key);
      if (value && !value.includes("$(")) return value;
    }
  }
  return undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return parseJsonText(text);
  } catch (err) {
    if (err instanceof VouchError) throw new VouchError(err.code, `${what}: ${err.message}`, { line: err.location.line, cause: err });
    throw err;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const packagesLockCataloger: Cataloger = {
  name: "nuget-packages-lock",
  ecosystem: "nuget",
  matches: (path) => /^packages(?:\.[^/]+)?\.lock\.json$/.test(posix.basename(path)),
  parse: parsePackagesLock,
};
