import { parseJsonText } from "../../core/encoding/json-text.js";
import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { npmPurl } from "../../sbom/model/purl.js";
import type { ExternalRef, Hash, Property, Scope } from "../../sbom/model/types.js";
import type { CatalogContext, PackageRecord } from "../types.js";

/** Helpers shared by the npm, yarn and pnpm lockfile parsers. Every field read is type-checked: lockfiles are input. */

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stringField(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === "string" ? v : undefined;
}

/** The string-valued entries of a `{ name: spec }` map (dependencies, requires); other values are dropped. */
export function stringEntries(value: unknown): [string, string][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string");
}

/** The directory a lockfile sits in, as a prefix for root-relative paths: "" or "sub/dir/". */
export function dirPrefix(dir: string): string {
  return dir === "" || dir === "." ? "" : `${dir.replace(/\/+$/, "")}/`;
}

/** Join a directory prefix and a lockfile-relative path into a normalised root-relative POSIX path. */
export function rootPath(prefix: string, relative: string): string {
  const joined = posix.normalize(`${prefix}${relative}`);
  return joined === "." ? "" : joined.replace(/\/+$/, "");
}

/** Parse a JSON lockfile or manifest; a syntax error becomes INPUT_MALFORMED with its line. */
export function parseJsonDocument(text: string, what: string): unknown {
  try {
    return parseJsonText(text);
  } catch (err) {
    if (err instanceof VouchError) throw new VouchError(err.code, `${what}: ${err.message}`, { line: err.location.line, cause: err });
    throw err;
  }
}

/** "@scope/name" -> group "@scope", name "name" (how PackageRecord and the npm purl split it). */
export function splitNpmName(fullName: string): { group?: string; name: string } {
  const slash = fullName.startsWith("@") ? fullName.indexOf("/") : -1;
  return slash > 0 ? { group: fullName.slice(0, slash), name: fullName.slice(slash + 1) } : { name: fullName };
}

/**
 * Split "name@rest" where the name may carry a scope ("@scope/name@^1.0.0"): the separator is the first "@"
 * after the first character. undefined when there is none.
 */
export function splitAtVersion(spec: string): { name: string; rest: string } | undefined {
  const at = spec.indexOf("@", 1);
  if (at <= 0) return undefined;
  return { name: spec.slice(0, at), rest: spec.slice(at + 1) };
}

/** A plausible npm package name: what the purl and the SBOM can carry (npm's own rule is stricter). */
export function isPackageName(name: string): boolean {
  if (name.length === 0 || name.length > 214 || /\s/.test(name)) return false;
  if (name.startsWith("@")) {
    const slash = name.indexOf("/");
    return slash > 1 && slash < name.length - 1 && name.indexOf("/", slash + 1) < 0;
  }
  return !name.includes("/") && name !== "." && name !== "..";
}

/**
 * purl qualifiers for a package that did not come from a registry. The purl spec's `vcs_url` names the
 * repository and commit ("git+https://host/repo.git@<commit>"); a registry tarball needs none.
 */
export function sourceQualifiers(resolved: string | undefined): Record<string, string> | undefined {
  const vcsUrl = resolved === undefined ? undefined : gitVcsUrl(resolved);
  return vcsUrl === undefined ? undefined : { vcs_url: vcsUrl };
}

/**
 * A git source as a purl vcs_url, or undefined when the spec is not git. Accepts what the lockfiles write:
 * "git+ssh://git@host/repo.git#<sha>" (npm), "github:org/repo#<sha>" (npm v1),
 * "https://github.com/org/repo.git#commit=<sha>" (yarn berry).
 */
export function gitVcsUrl(spec: string): string | undefined {
  const hash = spec.indexOf("#");
  const url = hash < 0 ? spec : spec.slice(0, hash);
  if (!/^(git\+|git:\/\/|github:|gitlab:|bitbucket:)/.test(url) && !/\.git$/.test(url)) return undefined;
  const fragment = hash < 0 ? "" : spec.slice(hash + 1);
  const commit = /^(?:commit=)?([0-9a-f]{7,40})$/.exec(fragment)?.[1];
  const repo = /^https?:\/\//.test(url) ? `git+${url}` : url;
  return commit === undefined ? repo : `${repo}@${commit}`;
}

/** A registry/tarball URL as a distribution reference (not a git repository, a file: path or a git spec). */
export function distributionRef(resolved: string | undefined): ExternalRef | undefined {
  return resolved && /^https?:\/\//.test(resolved) && gitVcsUrl(resolved) === undefined ? { type: "distribution", url: resolved } : undefined;
}

export interface NpmRecordInput {
  id: string;
  /** The real package name, scope included. */
  fullName: string;
  version: string;
  scope: Scope;
  hashes?: Hash[];
  dependsOn?: string[];
  licenseDeclared?: string | readonly string[];
  author?: string;
  description?: string;
  externalRefs?: ExternalRef[];
  properties?: Property[];
  qualifiers?: Record<string, string>;
}

/** A PackageRecord for an npm package; undefined (with a warning) when the name cannot make a purl. */
export function npmRecord(input: NpmRecordInput, ctx: CatalogContext): PackageRecord | undefined {
  if (!isPackageName(input.fullName)) {
    ctx.warn(`package "${input.fullName}" (${input.id}) has no valid npm name; skipped`);
    return undefined;
  }
  const { group, name } = splitNpmName(input.fullName);
  const record: PackageRecord = {
    id: input.id,
    ecosystem: "npm",
    name,
    version: input.version,
    purl: npmPurl(input.fullName, input.version, input.qualifiers),
    hashes: input.hashes ?? [],
    scope: input.scope,
    dependsOn: input.dependsOn ?? [],
  };
  if (group !== undefined) record.group = group;
  if (input.licenseDeclared !== undefined) record.licenseDeclared = input.licenseDeclared;
  if (input.author !== undefined) record.author = input.author;
  if (input.description !== undefined) record.description = input.description;
  if (input.externalRefs && input.externalRefs.length > 0) record.externalRefs = input.externalRefs;
  if (input.properties && input.properties.length > 0) record.properties = input.properties;
  return record;
}

/** Sorted unique strings (deterministic edge lists). */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Order workspaces so that one a workspace depends on comes before it. The catalog links a workspace's
 * direct dependencies to the workspaces it has already seen, so this keeps workspace-to-workspace edges.
 */
export function dependencyOrder<T extends { id: string; directDependencies: string[] }>(workspaces: T[]): T[] {
  const byId = new Map(workspaces.map((w) => [w.id, w]));
  const done = new Set<string>();
  const out: T[] = [];
  const visit = (w: T, stack: Set<string>): void => {
    if (done.has(w.id) || stack.has(w.id)) return;
    stack.add(w.id);
    for (const dep of w.directDependencies) {
      const target = byId.get(dep);
      if (target) visit(target, stack);
    }
    stack.delete(w.id);
    done.add(w.id);
    out.push(w);
  };
  for (const w of [...workspaces].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) visit(w, new Set());
  return out;
}
