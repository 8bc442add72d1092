import { posix } from "node:path";
import { isVouchError } from "../../core/errors.js";
import { normalizePypiName } from "../../sbom/model/purl.js";
import type { ExternalRef } from "../../sbom/model/types.js";
import type { CatalogContext, ProjectRecord } from "../types.js";
import { isTable, type NameIndex, parseRequirement, parseToml, pypiPurl, str, strings, tables, type Table } from "./common.js";

/**
 * pyproject.toml read as the manifest beside a lockfile (never as a source of components: its ranges are
 * what the lockfile resolved). Understands PEP 621 [project], PEP 735 [dependency-groups], [tool.poetry],
 * [tool.pdm.dev-dependencies] and [tool.uv] dev-dependencies.
 */

/** A dependency the manifest declares: PEP 503-normalised name and the extras it asks for. */
export interface DeclaredDependency {
  name: string;
  extras: string[];
}

export interface PyprojectManifest {
  project?: ProjectRecord;
  /** PEP 503-normalised project name ("" when the manifest names none). */
  normalizedName: string;
  main: DeclaredDependency[];
  /** Extras ([project.optional-dependencies], [tool.poetry.extras]) by name. */
  optional: Map<string, DeclaredDependency[]>;
  /** Dev groups ([dependency-groups], poetry groups and dev-dependencies, pdm dev-dependencies). */
  dev: Map<string, DeclaredDependency[]>;
}

/** Read `<dir>/pyproject.toml` through the context; undefined when absent. A broken one is a warning. */
export function readPyproject(ctx: CatalogContext, dir: string): PyprojectManifest | undefined {
  const path = posix.join(dir, "pyproject.toml");
  const text = ctx.readFile(path);
  if (text === undefined) return undefined;
  let doc: Table;
  try {
    doc = parseToml(text, path);
  } catch (err) {
    if (!isVouchError(err)) throw err;
    ctx.warn(`${path}: ${err.message}; project name and direct dependencies unknown`, undefined);
    return undefined;
  }
  return manifestOf(doc);
}

export function manifestOf(doc: Table): PyprojectManifest {
  const project = isTable(doc.project) ? doc.project : {};
  const tool = isTable(doc.tool) ? doc.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : {};
  const record = projectRecord(project, poetry);
  const normalizedName = record ? normalizePypiName(record.name) : "";

  const main = [...pep508List(project.dependencies), ...poetryTable(poetry.dependencies, false)];
  const optional = new Map<string, DeclaredDependency[]>();
  if (isTable(project["optional-dependencies"])) {
    for (const [extra, list] of Object.entries(project["optional-dependencies"])) addGroup(optional, extra, pep508List(list));
  }
  addPoetryExtras(poetry, optional);

  const dev = new Map<string, DeclaredDependency[]>();
  addDependencyGroups(doc["dependency-groups"], dev);
  addGroup(dev, "dev", poetryTable(poetry["dev-dependencies"], true));
  if (isTable(poetry.group)) {
    for (const [group, def] of Object.entries(poetry.group)) if (isTable(def)) addGroup(dev, group, poetryTable(def.dependencies, true));
  }
  const pdm = isTable(tool.pdm) ? tool.pdm : {};
  if (isTable(pdm["dev-dependencies"])) {
    for (const [group, list] of Object.entries(pdm["dev-dependencies"])) addGroup(dev, group, pep508List(list));
  }
  const uv = isTable(tool.uv) ? tool.uv : {};
  addGroup(dev, "dev", pep508List(uv["dev-dependencies"]));

  const manifest: PyprojectManifest = { project: record, normalizedName, main, optional, dev };
  expandSelfReferences(manifest);
  return manifest;
}

function projectRecord(project: Table, poetry: Table): ProjectRecord | undefined {
  const name = str(project.name) ?? str(poetry.name);
  if (!name) return undefined;
  const version = str(project.version) ?? str(poetry.version) ?? "";
  const record: ProjectRecord = { name, version, ecosystem: "pypi", purl: pypiPurl(name, version) };
  const license = licenseOf(project.license) ?? str(poetry.license);
  if (license) record.licenseDeclared = license;
  const description = str(project.description) ?? str(poetry.description);
  if (description) record.description = description;
  const author = firstAuthor(project.authors) ?? strings(poetry.authors)[0];
  if (author) record.author = author;
  const refs = externalRefs(project, poetry);
  if (refs.length > 0) record.externalRefs = refs;
  return record;
}

/** PEP 621 `license`: an SPDX expression string (PEP 639) or `{ text = "..." }`; `{ file = ... }` declares none here. */
function licenseOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isTable(value)) return str(value.text);
  return undefined;
}

function firstAuthor(value: unknown): string | undefined {
  const a = tables(value)[0];
  if (!a) return undefined;
  const name = str(a.name);
  const email = str(a.email);
  if (name && email) return `${name} <${email}>`;
  return name ?? email;
}

function externalRefs(project: Table, poetry: Table): ExternalRef[] {
  const refs: ExternalRef[] = [];
  const add = (type: ExternalRef["type"], url: string | undefined) => {
    if (url && /^https?:\/\//i.test(url) && !refs.some((r) => r.type === type && r.url === url)) refs.push({ type, url });
  };
  add("website", str(poetry.homepage));
  add("vcs", str(poetry.repository));
  if (isTable(project.urls)) {
    for (const [label, url] of Object.entries(project.urls)) {
      const type = urlLabelType(label);
      if (type) add(type, str(url));
    }
  }
  return refs;
}

/** Project-URL labels (pyproject [project.urls], METADATA Project-URL) to external reference types. */
export function urlLabelType(label: string): ExternalRef["type"] | undefined {
  const l = label.toLowerCase().replace(/[^a-z]/g, "");
  if (/^(source|sourcecode|repository|repo|code|github|gitlab|git)$/.test(l)) return "vcs";
  if (/^(homepage|home|website)$/.test(l)) return "website";
  if (/^(issues|issuetracker|bugtracker|bugs|tracker|bugreports)$/.test(l)) return "issue-tracker";
  if (/^(download|downloadurl)$/.test(l)) return "distribution";
  return undefined;
}

function pep508List(value: unknown): DeclaredDependency[] {
  const out: DeclaredDependency[] = [];
  for (const text of strings(value)) {
    const req = parseRequirement(text);
    if (req) out.push({ name: normalizePypiName(req.name), extras: req.extras });
  }
  return out;
}

/** Poetry's `name = "^1.0"` / `name = { version, optional, extras }` / `name = [ {...}, {...} ]` tables. */
function poetryTable(value: unknown, includeOptional: boolean): DeclaredDependency[] {
  if (!isTable(value)) return [];
  const out: DeclaredDependency[] = [];
  for (const [name, spec] of Object.entries(value)) {
    if (name.toLowerCase() === "python") continue;
    const specs = Array.isArray(spec) ? tables(spec) : [spec];
    // An optional dependency is only installed through an extra: [tool.poetry.extras] names it.
    if (!includeOptional && specs.every((s) => isTable(s) && s.optional === true)) continue;
    const extras = specs.flatMap((s) => (isTable(s) ? strings(s.extras) : []));
    out.push({ name: normalizePypiName(name), extras: [...new Set(extras)] });
  }
  return out;
}

function addPoetryExtras(poetry: Table, optional: Map<string, DeclaredDependency[]>): void {
  if (!isTable(poetry.extras)) return;
  const declared = isTable(poetry.dependencies) ? poetry.dependencies : {};
  const extrasOf = new Map(Object.entries(declared).map(([n, s]) => [normalizePypiName(n), isTable(s) ? strings(s.extras) : []]));
  for (const [extra, names] of Object.entries(poetry.extras)) {
    addGroup(
      optional,
      extra,
      strings(names).map((n) => {
        const name = normalizePypiName(parseRequirement(n)?.name ?? n);
        return { name, extras: extrasOf.get(name) ?? [] };
      }),
    );
  }
}

/** PEP 735 groups: PEP 508 strings and `{ include-group = "other" }` (resolved, cycles ignored). */
function addDependencyGroups(value: unknown, dev: Map<string, DeclaredDependency[]>): void {
  if (!isTable(value)) return;
  const groups = value;
  const resolve = (group: string, seen: Set<string>): DeclaredDependency[] => {
    if (seen.has(group)) return [];
    seen.add(group);
    const out: DeclaredDependency[] = [];
    for (const entry of Array.isArray(groups[group]) ? (groups[group] as unknown[]) : []) {
      if (typeof entry === "string") out.push(...pep508List([entry]));
      else if (isTable(entry) && typeof entry["include-group"] === "string") out.push(...resolve(entry["include-group"], seen));
    }
    return out;
  };
  for (const group of Object.keys(groups)) addGroup(dev, group, resolve(group, new Set()));
}

function addGroup(map: Map<string, DeclaredDependency[]>, group: string, deps: DeclaredDependency[]): void {
  if (deps.length === 0) return;
  const list = map.get(group);
  if (list) list.push(...deps);
  else map.set(group, deps);
}

/**
 * "pdm[pytest]" in pdm's own dev group means "the project's pytest extra": replace such self-references by
 * the extra's dependencies (transitively; an extra naming itself is ignored).
 */
function expandSelfReferences(manifest: PyprojectManifest): void {
  const self = manifest.normalizedName;
  if (!self) return;
  const expand = (deps: DeclaredDependency[], seen: Set<string>): DeclaredDependency[] =>
    deps.flatMap((d) => {
      if (d.name !== self) return [d];
      return d.extras.flatMap((extra) => {
        if (seen.has(extra)) return [];
        return expand(manifest.optional.get(extra) ?? [], new Set([...seen, extra]));
      });
    });
  manifest.main = expand(manifest.main, new Set());
  for (const [extra, deps] of manifest.optional) manifest.optional.set(extra, expand(deps, new Set([extra])));
  for (const [group, deps] of manifest.dev) manifest.dev.set(group, expand(deps, new Set()));
}

/** Every dependency of a group map, flattened. */
export function allOf(groups: Map<string, DeclaredDependency[]>): DeclaredDependency[] {
  return [...groups.values()].flat();
}

/** Ids of the locked packages the manifest declares (main, extras, groups): the project's direct dependencies. */
export function manifestDirectIds(manifest: PyprojectManifest, names: NameIndex): string[] {
  const out = new Set<string>();
  for (const d of [...manifest.main, ...allOf(manifest.optional), ...allOf(manifest.dev)]) for (const id of names.resolve(d.name)) out.add(id);
  return [...out];
}
