import { parseJsonText } from "../../core/encoding/json-text.js";
import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { hexHash } from "../../sbom/model/hash.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { ExternalRef, Hash, Property, Scope } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";

/**
 * composer.lock: "packages" (required) and "packages-dev" (dev), each entry with name "vendor/name",
 * version, source/dist, license, authors and require. The project and its direct requirements come from
 * composer.json beside the lockfile.
 *
 * Versions are kept as written, "v" prefix included ("v6.4.8"): that is the package's version string
 * (the tag), and syft writes composer purls the same way. composer.lock records no normalised version.
 */
export function parseComposerLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const lock = parseJson(file.text, "composer.lock");
  if (!isObject(lock) || (!Array.isArray(lock["packages"]) && !Array.isArray(lock["packages-dev"]))) {
    throw new VouchError("INPUT_MALFORMED", 'not a composer.lock: no "packages" or "packages-dev" array');
  }
  const entries: { entry: Record<string, unknown>; record: PackageRecord }[] = [];
  const seen = new Set<string>();
  for (const [section, scope] of [["packages", "required"], ["packages-dev", "dev"]] as const) {
    const list = lock[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      ctx.warn(`"${section}" is not an array; skipped`);
      continue;
    }
    for (const [index, entry] of list.entries()) {
      if (!isObject(entry)) {
        ctx.warn(`${section}[${index}] is not an object; skipped`);
        continue;
      }
      const record = packageRecord(entry, scope, `${section}[${index}]`, ctx);
      if (!record || seen.has(record.id)) continue;
      seen.add(record.id);
      entries.push({ entry, record });
    }
  }
  const providers = providerIndex(entries);
  for (const { entry, record } of entries) {
    record.dependsOn = resolveNames(requiredNames(entry["require"]), providers).filter((id) => id !== record.id);
  }
  const manifest = readComposerJson(file.path, ctx);
  return {
    ...(manifest?.project ? { project: manifest.project } : {}),
    directDependencies: manifest ? resolveNames(manifest.requires, providers) : [],
    packages: entries.map((e) => e.record),
  };
}

function packageRecord(entry: Record<string, unknown>, scope: Scope, where: string, ctx: CatalogContext): PackageRecord | undefined {
  const fullName = stringField(entry, "name");
  const version = stringField(entry, "version");
  if (!fullName || !version) {
    ctx.warn(`${where}${fullName ? ` (${fullName})` : ""} has no name or version; skipped`);
    return undefined;
  }
  const { vendor, name } = splitName(fullName);
  const purl = buildPurl("composer", { namespace: vendor, name, version });
  const author = authorsOf(entry["authors"]);
  const description = stringField(entry, "description");
  const licenses = licensesOf(entry["license"]);
  const externalRefs = externalRefsOf(entry);
  const properties = propertiesOf(entry);
  return {
    id: purl,
    ecosystem: "composer",
    name,
    ...(vendor ? { group: vendor } : {}),
    version,
    purl,
    hashes: distHashes(entry["dist"]),
    scope,
    dependsOn: [],
    ...(licenses ? { licenseDeclared: licenses } : {}),
    ...(author ? { author } : {}),
    ...(description ? { description } : {}),
    ...(externalRefs.length > 0 ? { externalRefs } : {}),
    ...(properties.length > 0 ? { properties } : {}),
  };
}

/** "vendor/name" -> vendor and name; the purl-spec composer type lower-cases both (buildPurl does). */
function splitName(fullName: string): { vendor?: string; name: string } {
  const slash = fullName.indexOf("/");
  return slash > 0 ? { vendor: fullName.slice(0, slash), name: fullName.slice(slash + 1) } : { name: fullName };
}

/** dist.shasum is the SHA-1 of the dist archive; Composer writes "" when it has none (GitHub zipballs). */
function distHashes(dist: unknown): Hash[] {
  const shasum = isObject(dist) ? stringField(dist, "shasum") : undefined;
  const hash = shasum ? hexHash("sha1", shasum) : undefined;
  return hash ? [hash] : [];
}

/** "license" is an array of SPDX identifiers (alternatives); a plain string is accepted too. */
function licensesOf(value: unknown): string | string[] | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (!Array.isArray(value)) return undefined;
  const names = value.filter((v): v is string => typeof v === "string" && v.trim() !== "");
  return names.length > 0 ? names : undefined;
}

/** "Name <email>" for each author, comma-separated. */
function authorsOf(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const people = value
    .filter(isObject)
    .map((a) => {
      const name = stringField(a, "name");
      const email = stringField(a, "email");
      return name && email ? `${name} <${email}>` : (name ?? email);
    })
    .filter((a): a is string => a !== undefined);
  return people.length > 0 ? people.join(", ") : undefined;
}

function externalRefsOf(entry: Record<string, unknown>): ExternalRef[] {
  const refs: ExternalRef[] = [];
  const source = entry["source"];
  const sourceUrl = isObject(source) ? stringField(source, "url") : undefined;
  if (sourceUrl) refs.push({ type: "vcs", url: sourceUrl });
  const dist = entry["dist"];
  const distUrl = isObject(dist) ? stringField(dist, "url") : undefined;
  // A "path" repository's dist url is a directory of the developer's machine, not a distribution.
  if (distUrl && /^[a-z][a-z0-9+.-]*:\/\//i.test(distUrl)) refs.push({ type: "distribution", url: distUrl });
  const homepage = stringField(entry, "homepage");
  if (homepage) refs.push({ type: "website", url: homepage });
  const support = entry["support"];
  const issues = isObject(support) ? stringField(support, "issues") : undefined;
  if (issues) refs.push({ type: "issue-tracker", url: issues });
  return refs;
}

/** The VCS commit the version was locked to (source.reference), which a branch version like dev-main needs. */
function propertiesOf(entry: Record<string, unknown>): Property[] {
  const source = entry["source"];
  const reference = isObject(source) ? stringField(source, "reference") : undefined;
  return reference ? [{ name: "vouch:composer:source-reference", value: reference }] : [];
}

/**
 * Platform requirements are not packages of the lockfile: PHP itself, its extensions and system libraries,
 * and Composer's own plugin/runtime APIs.
 */
function isPlatformPackage(name: string): boolean {
  return /^(?:php(?:-64bit|-ipv6|-zts|-debug)?|hhvm|composer|composer-plugin-api|composer-runtime-api)$/i.test(name) || /^(?:ext|lib)-/i.test(name);
}

function requiredNames(require: unknown): string[] {
  if (!isObject(require)) return [];
  return Object.keys(require).filter((name) => !isPlatformPackage(name));
}

/**
 * Which package satisfies a required name: the package of that name, else every package that "provide"s
 * or "replace"s it (psr/log-implementation is provided by monolog). Composer names compare case-insensitively.
 */
function providerIndex(entries: { entry: Record<string, unknown>; record: PackageRecord }[]) {
  const byName = new Map<string, string[]>();
  const provided = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, name: string, id: string) => {
    const key = name.toLowerCase();
    const ids = map.get(key);
    if (!ids) map.set(key, [id]);
    else if (!ids.includes(id)) ids.push(id);
  };
  for (const { entry, record } of entries) {
    add(byName, stringField(entry, "name")!, record.id);
    for (const field of ["provide", "replace"]) {
      const links = entry[field];
      if (isObject(links)) for (const name of Object.keys(links)) add(provided, name, record.id);
    }
  }
  return { byName, provided };
}

function resolveNames(names: string[], index: ReturnType<typeof providerIndex>): string[] {
  const ids = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    for (const id of index.byName.get(key) ?? index.provided.get(key) ?? []) ids.add(id);
  }
  return [...ids];
}

/** composer.json beside the lockfile: the project (when it has a name) and its require/require-dev names. */
function readComposerJson(lockPath: string, ctx: CatalogContext): { project?: ProjectRecord; requires: string[] } | undefined {
  const dir = posix.dirname(lockPath);
  const path = dir === "." ? "composer.json" : posix.join(dir, "composer.json");
  const text = ctx.readFile(path);
  if (text === undefined) return undefined;
  let manifest: unknown;
  try {
    manifest = parseJson(text, path);
  } catch (err) {
    if (!(err instanceof VouchError)) throw err;
    ctx.warn(`${err.message}; project and direct dependencies unknown`, err.location.line);
    return undefined;
  }
  if (!isObject(manifest)) return undefined;
  const requires = [...requiredNames(manifest["require"]), ...requiredNames(manifest["require-dev"])];
  const fullName = stringField(manifest, "name");
  if (!fullName) return { requires };
  const { vendor, name } = splitName(fullName);
  const version = stringField(manifest, "version") ?? "";
  const licenses = licensesOf(manifest["license"]);
  const description = stringField(manifest, "description");
  return {
    requires,
    project: {
      name,
      version,
      ...(vendor ? { group: vendor } : {}),
      ecosystem: "composer",
      purl: buildPurl("composer", { namespace: vendor, name, version }),
      ...(licenses ? { licenseDeclared: licenses } : {}),
      ...(description ? { description } : {}),
    },
  };
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

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export const composerLockCataloger: Cataloger = {
  name: "composer-lock",
  ecosystem: "composer",
  matches: (path) => posix.basename(path) === "composer.lock",
  parse: parseComposerLock,
};
