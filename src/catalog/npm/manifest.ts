import { npmPurl } from "../../sbom/model/purl.js";
import type { ExternalRef } from "../../sbom/model/types.js";
import type { CatalogContext, ProjectRecord } from "../types.js";
import { isPackageName, isRecord, splitNpmName, stringEntries, stringField, type JsonObject } from "./common.js";

/** What vouch reads from a package.json: the project beside a lockfile, or an installed package's metadata. */
export interface PackageManifest {
  name?: string;
  version?: string;
  dependencies: [string, string][];
  devDependencies: [string, string][];
  optionalDependencies: [string, string][];
  peerDependencies: [string, string][];
  /** Names of peer dependencies marked optional in peerDependenciesMeta. */
  optionalPeers: Set<string>;
  /** Workspace globs ("workspaces": [...] or yarn's { packages: [...] }). */
  workspaces: string[];
  /** yarn's "resolutions": package pattern ("trim", "**\/trim", "a/b") -> the range that overrides it. */
  resolutions: [string, string][];
  license?: string | string[];
  author?: string;
  description?: string;
  externalRefs: ExternalRef[];
}

/**
 * Read and parse a package.json through the context. undefined when it is absent; a file that is present
 * but not a JSON object is reported once and treated as absent (it must not stop the lockfile's parse).
 */
export function readManifest(ctx: CatalogContext, path: string): PackageManifest | undefined {
  const text = ctx.readFile(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.warn(`${path} is not valid JSON; its metadata is ignored`);
    return undefined;
  }
  if (!isRecord(json)) {
    ctx.warn(`${path} is not a JSON object; its metadata is ignored`);
    return undefined;
  }
  return manifestFromJson(json);
}

export function manifestFromJson(json: JsonObject): PackageManifest {
  const optionalPeers = new Set<string>();
  if (isRecord(json.peerDependenciesMeta)) {
    for (const [name, meta] of Object.entries(json.peerDependenciesMeta)) if (isRecord(meta) && meta.optional === true) optionalPeers.add(name);
  }
  return {
    name: nonEmpty(stringField(json, "name")),
    version: nonEmpty(stringField(json, "version")),
    dependencies: stringEntries(json.dependencies),
    devDependencies: stringEntries(json.devDependencies),
    optionalDependencies: stringEntries(json.optionalDependencies),
    peerDependencies: stringEntries(json.peerDependencies),
    optionalPeers,
    workspaces: workspacePatterns(json.workspaces),
    resolutions: stringEntries(json.resolutions),
    license: declaredLicense(json),
    author: personName(json.author),
    description: nonEmpty(stringField(json, "description")),
    externalRefs: manifestRefs(json),
  };
}

/** npm's "workspaces" is an array of globs; yarn classic also accepts { packages: [...], nohoist: [...] }. */
export function workspacePatterns(value: unknown): string[] {
  const list = isRecord(value) ? value.packages : value;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === "string" && p.length > 0) : [];
}

/**
 * The license exactly as package.json declares it: "license" as a string (an SPDX expression per npm's
 * docs), the legacy object form { type, url }, or the deprecated "licenses" array of either form.
 */
export function declaredLicense(json: JsonObject): string | string[] | undefined {
  const single = licenseText(json.license);
  if (single !== undefined) return single;
  if (Array.isArray(json.licenses)) {
    const all = json.licenses.map(licenseText).filter((l): l is string => l !== undefined);
    if (all.length === 1) return all[0];
    if (all.length > 1) return all;
  }
  return undefined;
}

function licenseText(value: unknown): string | undefined {
  if (typeof value === "string") return nonEmpty(value.trim());
  if (isRecord(value)) return nonEmpty(stringField(value, "type")?.trim());
  return undefined;
}

/** npm's person field: "Name <email> (url)" or { name, email, url }; kept as "Name <email>". */
export function personName(value: unknown): string | undefined {
  if (typeof value === "string") return nonEmpty(value.trim());
  if (!isRecord(value)) return undefined;
  const name = nonEmpty(stringField(value, "name")?.trim());
  const email = nonEmpty(stringField(value, "email")?.trim());
  if (name && email) return `${name} <${email}>`;
  return name ?? email;
}

/** repository -> vcs, homepage -> website, bugs -> issue-tracker. */
function manifestRefs(json: JsonObject): ExternalRef[] {
  const refs: ExternalRef[] = [];
  const repo = typeof json.repository === "string" ? json.repository : isRecord(json.repository) ? stringField(json.repository, "url") : undefined;
  const repoUrl = repo === undefined ? undefined : repositoryUrl(repo.trim());
  if (repoUrl) refs.push({ type: "vcs", url: repoUrl });
  const homepage = nonEmpty(stringField(json, "homepage")?.trim());
  if (homepage) refs.push({ type: "website", url: homepage });
  const bugs = typeof json.bugs === "string" ? json.bugs : isRecord(json.bugs) ? stringField(json.bugs, "url") : undefined;
  const bugsUrl = nonEmpty(bugs?.trim());
  if (bugsUrl) refs.push({ type: "issue-tracker", url: bugsUrl });
  return refs;
}

/**
 * npm accepts shorthand repositories ("user/repo", "github:user/repo", "gitlab:user/repo",
 * "bitbucket:user/repo", "gist:id"); spelled out as the URL npm itself would open.
 */
export function repositoryUrl(repo: string): string | undefined {
  if (repo.length === 0) return undefined;
  const hosts: Record<string, string> = { github: "https://github.com/", gitlab: "https://gitlab.com/", bitbucket: "https://bitbucket.org/", gist: "https://gist.github.com/" };
  const short = /^(?:(github|gitlab|bitbucket|gist):)?([\w.-]+(?:\/[\w.-]+)?)$/.exec(repo);
  if (short && (short[1] !== undefined || short[2]!.includes("/"))) return `${hosts[short[1] ?? "github"]}${short[2]}`;
  return repo;
}

/** The project a manifest names; undefined when it names none (a private root without "name"). */
export function projectFromManifest(manifest: PackageManifest | undefined, fallback?: { name?: string; version?: string }): ProjectRecord | undefined {
  const fullName = manifest?.name ?? fallback?.name;
  if (fullName === undefined || fullName.length === 0) return undefined;
  const version = manifest?.version ?? fallback?.version ?? "";
  const { group, name } = splitNpmName(fullName);
  const project: ProjectRecord = { ecosystem: "npm", name, version };
  if (group !== undefined) project.group = group;
  if (isPackageName(fullName)) project.purl = npmPurl(fullName, version);
  if (manifest?.license !== undefined) project.licenseDeclared = manifest.license;
  if (manifest?.description !== undefined) project.description = manifest.description;
  if (manifest?.author !== undefined) project.author = manifest.author;
  if (manifest && manifest.externalRefs.length > 0) project.externalRefs = manifest.externalRefs;
  return project;
}

/** A workspace member as a project: its manifest when present, else the name the lockfile gives it. */
export function workspaceProject(manifest: PackageManifest | undefined, lockName: string | undefined, lockVersion: string | undefined, path: string): ProjectRecord {
  return projectFromManifest(manifest, { name: lockName, version: lockVersion }) ?? { ecosystem: "npm", name: path, version: lockVersion ?? "" };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}
