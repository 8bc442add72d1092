import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { mergeHashes } from "../../sbom/model/hash.js";
import { normalizePypiName } from "../../sbom/model/purl.js";
import type { Hash, Scope } from "../../sbom/model/types.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";
import {
  addProperty,
  arrayTableLineFinder,
  isTable,
  isValidName,
  NameIndex,
  newPackage,
  parseToml,
  prefixedHashes,
  PROP,
  pypiPurl,
  scopesByReachability,
  str,
  strings,
  tables,
  widerScope,
  type Table,
} from "./common.js";
import { readPyproject } from "./pyproject.js";

/**
 * uv.lock (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile), version 1, any revision.
 *
 * Every [[package]] is a component except workspace members (source `editable` or `virtual`): the one at
 * "." is the project, the others are workspaces. Hashes: the sdist's and every wheel's. Edges: `dependencies`,
 * plus a package's `optional-dependencies` for the extras something in the lock asks for. Scope by
 * reachability from the members: `dependencies` reach required packages, `optional-dependencies` optional
 * ones, `dev-dependencies` (dependency groups) dev ones.
 */

export const uvLockCataloger: Cataloger = {
  name: "pypi-uv-lock",
  ecosystem: "pypi",
  matches: (path) => posix.basename(path) === "uv.lock",
  parse: parseUvLock,
};

interface UvEntry {
  raw: Table;
  name: string;
  version: string;
  /** Component id, or the workspace id of a member. */
  id: string;
  /** Set for packages; members have none. */
  pkg?: PackageRecord;
  /** Set for workspace members: their path (relative to the lock's directory). */
  memberPath?: string;
}

/** A dependency entry (`{ name, version?, source?, extra?, marker? }`) resolved to the ids it can mean. */
interface UvDependency {
  targets: readonly string[];
  extras: string[];
}

/** One entry's dependency tables, each resolved once. */
interface UvDependencies {
  main: UvDependency[];
  optional: Map<string, UvDependency[]>;
  dev: UvDependency[];
}

export function parseUvLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = parseToml(file.text, "uv.lock");
  if (doc.version !== 1) throw new VouchError("INPUT_MALFORMED", `uv.lock: unsupported lockfile version ${JSON.stringify(doc.version ?? null)}`);
  if (doc.package !== undefined && !Array.isArray(doc.package)) throw new VouchError("INPUT_MALFORMED", "uv.lock: `package` is not an array of tables");

  const entries = readEntries(Array.isArray(doc.package) ? doc.package : [], arrayTableLineFinder(file.text, "package"), ctx);
  const names = new NameIndex();
  for (const e of entries) names.add(e.name, e.version, e.id);
  const graph = new UvGraph(entries, names);

  const members = entries.filter((e) => e.memberPath !== undefined);
  const packages = entries.flatMap((e) => (e.pkg ? [e.pkg] : []));
  for (const e of entries) if (e.pkg) e.pkg.dependsOn = graph.edgesOf(e);
  assignScopes(packages, members, graph);

  const result: ParseResult = { directDependencies: [], packages };
  const root = members.find((m) => m.memberPath === ".");
  if (root) {
    result.project = rootProject(root, ctx, posix.dirname(file.path));
    result.directDependencies = graph.memberDirect(root).filter((id) => id !== root.id);
  }
  const workspaces = members
    .filter((m) => m !== root)
    .map((m) => ({ project: memberProject(m), id: m.id, directDependencies: graph.memberDirect(m).filter((id) => id !== m.id) }));
  if (workspaces.length > 0) result.workspaces = workspaces;
  return result;
}

function readEntries(raw: unknown[], lineOf: (index: number) => number | undefined, ctx: CatalogContext): UvEntry[] {
  const entries: UvEntry[] = [];
  const byId = new Map<string, UvEntry>();
  raw.forEach((value, i) => {
    const name = isTable(value) ? str(value.name) : undefined;
    if (!isTable(value) || !name) return ctx.warn("[[package]] without a name; skipped", lineOf(i));
    if (!isValidName(name)) return ctx.warn(`[[package]] with an invalid name ${JSON.stringify(name)}; skipped`, lineOf(i));
    // uv leaves out the version of a member whose version is dynamic.
    const version = str(value.version) ?? "";
    const source = isTable(value.source) ? value.source : {};
    const memberPath = str(source.editable) ?? str(source.virtual);
    if (memberPath !== undefined) {
      const entry = { raw: value, name, version, id: `uv-workspace:${memberPath}:${name}`, memberPath };
      entries.push(entry);
      return;
    }
    const pkg = newPackage(name, version, "required", distributionHashes(value));
    const known = byId.get(pkg.id);
    if (known?.pkg) {
      // One name@version from two indexes (markers pick one per platform): one component, every hash.
      known.pkg.hashes = mergeHashes(known.pkg.hashes, pkg.hashes);
      known.raw = mergeDependencyTables(known.raw, value);
      return;
    }
    const origin = sourceDescription(source);
    if (origin) addProperty(pkg, PROP.source, origin);
    const entry = { raw: value, name, version, id: pkg.id, pkg };
    byId.set(pkg.id, entry);
    entries.push(entry);
  });
  return entries;
}

function distributionHashes(raw: Table): Hash[] {
  const sdist = isTable(raw.sdist) ? [raw.sdist] : [];
  return prefixedHashes([...sdist, ...tables(raw.wheels)].map((d) => d.hash));
}

/** Where a package that is not from a registry came from (git, url, path, directory). */
function sourceDescription(source: Table): string | undefined {
  if (str(source.registry)) return undefined;
  const git = str(source.git);
  if (git) return git.startsWith("git+") ? git : `git+${git}`;
  return str(source.url) ?? str(source.path) ?? str(source.directory);
}

function mergeDependencyTables(a: Table, b: Table): Table {
  return { ...a, dependencies: [...tables(a.dependencies), ...tables(b.dependencies)] };
}

/**
 * The lock's dependency graph over nodes "id" (a package or member) and "id[extra]" (an extra of it), so that
 * an extra's dependencies are only reached by what asks for that extra. Every table is parsed and resolved once.
 */
class UvGraph {
  private readonly deps = new Map<string, UvDependencies>();
  /** Extras of each id that some dependency entry asks for. */
  private readonly requested = new Map<string, Set<string>>();

  constructor(entries: UvEntry[], names: NameIndex) {
    const resolve = (value: unknown): UvDependency[] => {
      const out: UvDependency[] = [];
      for (const d of tables(value)) {
        const name = str(d.name);
        if (name) out.push({ targets: names.resolve(name, str(d.version)), extras: strings(d.extra).map(normalizePypiName) });
      }
      return out;
    };
    for (const e of entries) {
      const optional = new Map<string, UvDependency[]>();
      if (isTable(e.raw["optional-dependencies"])) {
        for (const [extra, list] of Object.entries(e.raw["optional-dependencies"])) optional.set(normalizePypiName(extra), resolve(list));
      }
      const dev: UvDependency[] = [];
      if (isTable(e.raw["dev-dependencies"])) for (const list of Object.values(e.raw["dev-dependencies"])) dev.push(...resolve(list));
      const deps = { main: resolve(e.raw.dependencies), optional, dev };
      this.deps.set(e.id, deps);
      for (const list of [deps.main, ...optional.values(), dev]) for (const d of list) this.request(d);
    }
  }

  /** Component edges: the dependencies plus those of every extra asked for. */
  edgesOf(e: UvEntry): string[] {
    const own = this.deps.get(e.id);
    if (!own) return [];
    const out = new Set<string>();
    const add = (list: UvDependency[]) => {
      for (const d of list) for (const id of d.targets) if (id !== e.id) out.add(id);
    };
    add(own.main);
    for (const extra of this.requested.get(e.id) ?? []) add(own.optional.get(extra) ?? []);
    return [...out];
  }

  /** A member's direct dependencies: main, every extra, every group. */
  memberDirect(m: UvEntry): string[] {
    const own = this.deps.get(m.id);
    if (!own) return [];
    const out = new Set<string>();
    for (const list of [own.main, ...own.optional.values(), own.dev]) for (const d of list) for (const id of d.targets) out.add(id);
    return [...out];
  }

  /** Root nodes of one kind of a member's dependencies. */
  roots(m: UvEntry, kind: "main" | "optional" | "dev"): string[] {
    const own = this.deps.get(m.id);
    if (!own) return [];
    const out: string[] = [];
    for (const list of kind === "main" ? [own.main] : kind === "dev" ? [own.dev] : [...own.optional.values()]) pushNodes(list, out);
    return out;
  }

  readonly next = (node: string): string[] => {
    const bracket = node.indexOf("[");
    const own = this.deps.get(bracket < 0 ? node : node.slice(0, bracket));
    const out: string[] = [];
    if (own) pushNodes(bracket < 0 ? own.main : (own.optional.get(node.slice(bracket + 1, -1)) ?? []), out);
    return out;
  };

  private request(d: UvDependency): void {
    if (d.extras.length === 0) return;
    for (const id of d.targets) {
      let set = this.requested.get(id);
      if (!set) this.requested.set(id, (set = new Set()));
      for (const x of d.extras) set.add(x);
    }
  }
}

/** The graph nodes a dependency reaches: each target, and "target[extra]" for each extra it asks for. */
function pushNodes(list: UvDependency[], out: string[]): void {
  for (const d of list) {
    for (const id of d.targets) {
      out.push(id);
      for (const x of d.extras) out.push(`${id}[${x}]`);
    }
  }
}

function assignScopes(packages: PackageRecord[], members: UvEntry[], graph: UvGraph): void {
  if (members.length === 0) return;
  const reached = scopesByReachability(
    {
      required: members.flatMap((m) => graph.roots(m, "main")),
      optional: members.flatMap((m) => graph.roots(m, "optional")),
      dev: members.flatMap((m) => graph.roots(m, "dev")),
    },
    graph.next,
  );
  // A package's scope is the widest of its nodes (itself and its extras).
  const byId = new Map<string, Scope>();
  for (const [node, scope] of reached) {
    const bracket = node.indexOf("[");
    const id = bracket < 0 ? node : node.slice(0, bracket);
    const known = byId.get(id);
    byId.set(id, known ? widerScope(known, scope) : scope);
  }
  for (const p of packages) p.scope = byId.get(p.id) ?? "required";
}

function memberProject(m: UvEntry): ProjectRecord {
  return { name: m.name, version: m.version, ecosystem: "pypi", purl: pypiPurl(m.name, m.version) };
}

/** The project at ".": pyproject.toml's metadata when it names the same project, else the lock's name/version. */
function rootProject(root: UvEntry, ctx: CatalogContext, dir: string): ProjectRecord {
  const fromLock = memberProject(root);
  const manifest = readPyproject(ctx, dir)?.project;
  if (!manifest || normalizePypiName(manifest.name) !== normalizePypiName(root.name)) return fromLock;
  return { ...manifest, version: manifest.version || fromLock.version, purl: pypiPurl(manifest.name, manifest.version || fromLock.version) };
}
