import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { normalizePypiName } from "../../sbom/model/purl.js";
import type { ExternalRef } from "../../sbom/model/types.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { addProperty, isValidName, newPackage, parseRequirement, PROP, type Requirement } from "./common.js";
import { licensesFromClassifiers } from "./license-classifiers.js";
import { urlLabelType } from "./pyproject.js";

/**
 * Installed distributions in a site-packages directory (of a source tree's virtualenv or an image's rootfs):
 * `*.dist-info/METADATA` (wheels, PEP 427/566), `*.egg-info/PKG-INFO` and `*.egg/EGG-INFO/PKG-INFO`
 * (setuptools), and single-file `*.egg-info` beside them (distutils). The core metadata
 * (https://packaging.python.org/en/latest/specifications/core-metadata/) is an email-header block.
 *
 * License: License-Expression (PEP 639) first, then a one-line License field, then the license classifiers.
 * Requires-Dist entries become edges when the required distribution is installed in the same directory
 * (its own METADATA names the version); requirements that only apply to an extra are not followed.
 * RECORD (dist-info) gives the count of installed files as a property.
 */

export const installedCataloger: Cataloger = {
  name: "pypi-installed",
  ecosystem: "pypi",
  matches: isInstalledMetadata,
  parse: parseInstalled,
};

export function isInstalledMetadata(path: string): boolean {
  if (path.endsWith(".dist-info/METADATA") || path.endsWith(".egg-info/PKG-INFO") || path.endsWith(".egg/EGG-INFO/PKG-INFO")) return true;
  // distutils wrote a single file `name-version-pyX.Y.egg-info` into site-packages.
  return path.endsWith(".egg-info") && /(^|\/)(site|dist)-packages$/.test(posix.dirname(path));
}

export function parseInstalled(file: SourceFile, ctx: CatalogContext): ParseResult {
  const headers = parseHeaders(file.text);
  const name = first(headers, "name");
  const version = first(headers, "version");
  if (!name || !version) throw new VouchError("INPUT_MALFORMED", "core metadata without Name and Version headers", { line: 1 });
  if (!isValidName(name)) throw new VouchError("INPUT_MALFORMED", `core metadata Name ${JSON.stringify(name)} is not a valid distribution name`, { line: 1 });

  const pkg = newPackage(name, version, "required");
  describe(pkg, headers);
  const distDir = file.path.endsWith(".egg-info") ? file.path : posix.dirname(file.path);
  const installedFiles = recordCount(ctx, distDir);
  if (installedFiles !== undefined) addProperty(pkg, PROP.installedFiles, String(installedFiles));

  const packages = [pkg];
  const requires = (headers.get("requires-dist") ?? [])
    .map(parseRequirement)
    .filter((r): r is Requirement => r !== undefined && !/\bextra\s*==/.test(r.markers ?? ""));
  if (requires.length > 0) {
    const site = new SiteDirectory(ctx, file.path.endsWith("EGG-INFO/PKG-INFO") ? posix.dirname(posix.dirname(distDir)) : posix.dirname(distDir));
    for (const req of requires) {
      const target = site.find(req.name);
      if (!target || target.id === pkg.id) continue;
      if (!packages.some((p) => p.id === target.id)) packages.push(target);
      if (!pkg.dependsOn.includes(target.id)) pkg.dependsOn.push(target.id);
    }
  }
  return { directDependencies: [], packages };
}

/**
 * Email-style headers (RFC 822 folding) up to the first empty line; keys lower-cased, values in order. Like
 * Python's email parser, a line of only spaces is a continuation (setuptools writes them inside License).
 */
export function parseHeaders(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: { key: string; index: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (/^[ \t]/.test(line) && last) {
      const values = headers.get(last.key)!;
      values[last.index] += `\n${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9_-]*):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(m[2]!.trim());
    headers.set(key, values);
    last = { key, index: values.length - 1 };
  }
  return headers;
}

function first(headers: Map<string, string[]>, key: string): string | undefined {
  const v = headers.get(key)?.[0]?.trim();
  return v ? v : undefined;
}

function describe(pkg: PackageRecord, headers: Map<string, string[]>): void {
  const license = declaredLicense(headers);
  if (license !== undefined) pkg.licenseDeclared = license;
  const author = first(headers, "author") ?? first(headers, "author-email");
  if (author) pkg.author = author;
  const summary = first(headers, "summary");
  if (summary && summary !== "UNKNOWN") pkg.description = summary;
  const refs = externalRefs(headers);
  if (refs.length > 0) pkg.externalRefs = refs;
}

function declaredLicense(headers: Map<string, string[]>): string | string[] | undefined {
  const expression = first(headers, "license-expression");
  if (expression) return expression;
  // Many packages paste the whole license text into License; only a one-line value is a declaration.
  const license = first(headers, "license");
  if (license && !license.includes("\n") && license.toUpperCase() !== "UNKNOWN") return license;
  const fromClassifiers = licensesFromClassifiers(headers.get("classifier") ?? []);
  if (fromClassifiers.length === 1) return fromClassifiers[0];
  return fromClassifiers.length > 1 ? fromClassifiers : undefined;
}

function externalRefs(headers: Map<string, string[]>): ExternalRef[] {
  const refs: ExternalRef[] = [];
  const add = (type: ExternalRef["type"] | undefined, url: string | undefined) => {
    if (type && url && /^https?:\/\//i.test(url) && !refs.some((r) => r.type === type && r.url === url)) refs.push({ type, url });
  };
  add("website", first(headers, "home-page"));
  add("distribution", first(headers, "download-url"));
  for (const entry of headers.get("project-url") ?? []) {
    const comma = entry.indexOf(",");
    if (comma > 0) add(urlLabelType(entry.slice(0, comma)), entry.slice(comma + 1).trim());
  }
  return refs;
}

/** Number of files RECORD lists (one CSV row per installed file), when the distribution has one. */
function recordCount(ctx: CatalogContext, distDir: string): number | undefined {
  if (!distDir.endsWith(".dist-info")) return undefined;
  const record = ctx.readFile(`${distDir}/RECORD`);
  if (record === undefined) return undefined;
  let count = 0;
  for (const line of record.split(/\r?\n/)) if (line.trim() !== "") count++;
  return count;
}

/**
 * The distributions installed beside one: found by directory name (`name-version.dist-info`, escaped per
 * PEP 427), named and versioned by their own metadata so an edge always points at the real component.
 */
class SiteDirectory {
  private index?: Map<string, string[]>;

  constructor(
    private readonly ctx: CatalogContext,
    private readonly dir: string,
  ) {}

  find(requirementName: string): PackageRecord | undefined {
    const key = normalizePypiName(requirementName);
    for (const entry of this.entries().get(key) ?? []) {
      const text = this.ctx.readFile(this.metadataPath(entry));
      if (text === undefined) continue;
      const headers = parseHeaders(text);
      const name = first(headers, "name");
      const version = first(headers, "version");
      if (name && version && isValidName(name) && normalizePypiName(name) === key) return newPackage(name, version, "required");
    }
    return undefined;
  }

  private entries(): Map<string, string[]> {
    if (this.index) return this.index;
    this.index = new Map();
    for (const entry of this.ctx.listDir(this.dir)) {
      if (!/\.(dist-info|egg-info|egg)$/.test(entry)) continue;
      const key = normalizePypiName(entry.split("-")[0]!.replace(/\.(dist-info|egg-info|egg)$/, ""));
      this.index.set(key, [...(this.index.get(key) ?? []), entry]);
    }
    return this.index;
  }

  private metadataPath(entry: string): string {
    const path = this.dir === "." || this.dir === "" ? entry : `${this.dir}/${entry}`;
    if (entry.endsWith(".dist-info")) return `${path}/METADATA`;
    if (entry.endsWith(".egg")) return `${path}/EGG-INFO/PKG-INFO`;
    // An .egg-info is a directory (setuptools) or a single file (distutils).
    return this.ctx.listDir(path).length > 0 ? `${path}/PKG-INFO` : path;
  }
}
