import { posix } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import type { ExternalRef } from "../../sbom/model/types.js";
import type { CatalogContext } from "../types.js";

/**
 * Cargo.toml, read only for what Cargo.lock lacks: the project's own name/version/license, the workspace
 * members, and which dependencies of each local crate are dev-dependencies
 * (https://doc.rust-lang.org/cargo/reference/manifest.html, .../workspaces.html).
 */

export interface CrateManifest {
  /** Root-relative path of the Cargo.toml. */
  path: string;
  name: string;
  /** undefined when the manifest omits it (Cargo then uses 0.0.0; the lockfile has the real one). */
  version?: string;
  license?: string;
  description?: string;
  authors?: string;
  externalRefs: ExternalRef[];
  /** Package names (normalised, see crateKey) in [dependencies] or [build-dependencies], any target. */
  normalDependencies: Set<string>;
  /** Package names (normalised) in [dev-dependencies], any target. */
  devDependencies: Set<string>;
}

export interface CargoManifests {
  /** The root manifest's [package], when it has one (a virtual workspace has none). */
  root?: CrateManifest;
  /** [workspace] members whose manifests could be read and name a package. */
  members: CrateManifest[];
}

type Table = Record<string, unknown>;

/** The manifests beside a Cargo.lock in `dir` (root-relative, "" for the root). undefined when there is none. */
export function readCargoManifests(dir: string, ctx: CatalogContext): CargoManifests | undefined {
  const rootPath = posix.join(dir, "Cargo.toml");
  const root = readToml(rootPath, ctx);
  if (!root) return undefined;
  const workspace = asTable(root.workspace);
  const members: CrateManifest[] = [];
  for (const memberDir of workspaceMemberDirs(dir, workspace, ctx)) {
    const path = posix.join(memberDir, "Cargo.toml");
    if (path === rootPath) continue;
    const doc = readToml(path, ctx);
    const member = doc && crateManifest(path, doc, workspace);
    if (member) members.push(member);
  }
  return { root: crateManifest(rootPath, root, workspace), members };
}

/**
 * The dependency-table key -> the package name the lockfile uses: `package = "..."` renames, and
 * `workspace = true` inherits (renames included) from [workspace.dependencies].
 */
function dependencyPackageName(key: string, spec: unknown, workspace: Table | undefined): string {
  const table = asTable(spec);
  if (!table) return key;
  if (typeof table.package === "string") return table.package;
  if (table.workspace === true) {
    const inherited = asTable(asTable(workspace?.dependencies)?.[key]);
    if (inherited && typeof inherited.package === "string") return inherited.package;
  }
  return key;
}

/** Crate names compare case-insensitively with - and _ the same (as crates.io treats them). */
export function crateKey(name: string): string {
  return name.toLowerCase().replace(/-/g, "_");
}

function crateManifest(path: string, doc: Table, workspace: Table | undefined): CrateManifest | undefined {
  const pkg = asTable(doc.package) ?? asTable(doc.project); // [project]: the pre-1.0 spelling
  if (!pkg || typeof pkg.name !== "string" || pkg.name === "") return undefined;
  const inherited = asTable(workspace?.package);
  const field = (key: string): unknown => {
    const value = pkg[key];
    return asTable(value)?.workspace === true ? inherited?.[key] : value;
  };
  const authors = field("authors");
  const { normal, dev } = dependencyNames(doc, workspace);
  return {
    path,
    name: pkg.name,
    version: asString(field("version")),
    license: asString(field("license")),
    description: asString(field("description"))?.trim(),
    authors: Array.isArray(authors) && authors.every((a) => typeof a === "string") && authors.length > 0 ? authors.join(", ") : undefined,
    externalRefs: [
      ...urlRef("vcs", field("repository")),
      ...urlRef("website", field("homepage")),
    ],
    normalDependencies: normal,
    devDependencies: dev,
  };
}

const NORMAL_TABLES = ["dependencies", "build-dependencies", "build_dependencies"];
const DEV_TABLES = ["dev-dependencies", "dev_dependencies"];

/** Names from the top-level dependency tables and every [target.<cfg>] one. */
function dependencyNames(doc: Table, workspace: Table | undefined): { normal: Set<string>; dev: Set<string> } {
  const normal = new Set<string>();
  const dev = new Set<string>();
  const scopes = [doc, ...Object.values(asTable(doc.target) ?? {}).map(asTable)];
  for (const scope of scopes) {
    if (!scope) continue;
    for (const [tables, into] of [[NORMAL_TABLES, normal], [DEV_TABLES, dev]] as const) {
      for (const name of tables) {
        for (const [key, spec] of Object.entries(asTable(scope[name]) ?? {})) into.add(crateKey(dependencyPackageName(key, spec, workspace)));
      }
    }
  }
  return { normal, dev };
}

/** [workspace] members (globs with * and ? in any segment), less [workspace] exclude. */
function workspaceMemberDirs(dir: string, workspace: Table | undefined, ctx: CatalogContext): string[] {
  if (!workspace || !Array.isArray(workspace.members)) return [];
  const excluded = new Set(stringsOf(workspace.exclude).map((e) => posix.join(dir, e)));
  const dirs = new Set<string>();
  for (const pattern of stringsOf(workspace.members)) {
    for (const match of expandGlob(dir, pattern.split("/").filter((s) => s !== "" && s !== "."), ctx)) {
      if (!excluded.has(match)) dirs.add(match);
    }
  }
  return [...dirs].sort();
}

function expandGlob(base: string, segments: readonly string[], ctx: CatalogContext): string[] {
  if (segments.length === 0) return [base];
  const [head, ...rest] = segments as [string, ...string[]];
  if (!/[*?]/.test(head)) return expandGlob(posix.join(base, head), rest, ctx);
  const re = new RegExp(`^${head.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  return ctx
    .listDir(base === "" ? "." : base)
    .filter((name) => re.test(name))
    .sort()
    .flatMap((name) => expandGlob(posix.join(base, name), rest, ctx));
}

function readToml(path: string, ctx: CatalogContext): Table | undefined {
  const text = ctx.readFile(path);
  if (text === undefined) return undefined;
  try {
    return parseToml(text) as Table;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    ctx.warn(`${path}:${err.line}: invalid TOML; its project details are not used`);
    return undefined;
  }
}

function urlRef(type: ExternalRef["type"], value: unknown): ExternalRef[] {
  return typeof value === "string" && /^https?:\/\//.test(value) ? [{ type, url: value }] : [];
}

function asTable(value: unknown): Table | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date) ? (value as Table) : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
