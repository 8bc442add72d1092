import { posix } from "node:path";
import { parseJsonText } from "../../core/encoding/json-text.js";
import { VouchError } from "../../core/errors.js";
import { base64Hash } from "../../sbom/model/hash.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { Hash } from "../../sbom/model/types.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";

/**
 * `<app>.deps.json`: the dependency manifest the .NET SDK writes beside a published application
 * (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md), which the host
 * reads at start-up to resolve assemblies. In an image it is the record of what the application runs with.
 *
 * - `libraries` lists every library: `"Name/Version": { type, sha512, path, … }`. Type "package" (a NuGet
 *   package) and "runtimepack" (the runtime of a self-contained app, a NuGet package too) become pkg:nuget
 *   components with the nupkg's SHA-512; "project" entries are the application (the one named like the file) and
 *   the projects it references; "referenceassembly" (framework facades, nothing shipped) is not reported.
 * - The runtime target (`runtimeTarget.name`, e.g. ".NETCoreApp,Version=v8.0/linux-x64") gives the edges: each
 *   entry's `dependencies` map names the libraries it loads. A library whose entry there is `compileOnly` (analyzers,
 *   build-time packages) is not deployed and not reported, as the host never loads it.
 */

export const LIBRARY_TYPE_PROPERTY = "vouch:nuget:library-type";
export const TARGET_PROPERTY = "vouch:nuget:target";

export const depsJsonCataloger: Cataloger = {
  name: "nuget-deps-json",
  ecosystem: "nuget",
  matches: (path) => path.endsWith(".deps.json") && posix.basename(path).length > ".deps.json".length,
  parse: parseDepsJson,
};

interface Library {
  key: string;
  name: string;
  version: string;
  type: string;
  sha512?: string;
}

export function parseDepsJson(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = parseJsonText(file.text);
  if (!isObject(doc)) throw new VouchError("INPUT_MALFORMED", "not a .deps.json file: not a JSON object", { line: 1 });
  const libraries = doc["libraries"];
  const targets = doc["targets"];
  if (!isObject(libraries)) throw new VouchError("INPUT_MALFORMED", 'not a .deps.json file: no "libraries" object', { line: 1 });
  if (targets !== undefined && !isObject(targets)) throw new VouchError("INPUT_MALFORMED", 'not a .deps.json file: "targets" is not an object', { line: 1 });

  const targetName = runtimeTargetName(doc, targets);
  const target = targetName !== undefined && targets && Object.hasOwn(targets, targetName) && isObject(targets[targetName]) ? (targets[targetName] as Record<string, unknown>) : {};

  const libs = new Map<string, Library>();
  const byNameLower = new Map<string, Library>();
  for (const [key, value] of Object.entries(libraries)) {
    const lib = readLibrary(key, value);
    if (typeof lib === "string") {
      ctx.warn(`libraries["${key}"]: ${lib}; skipped`);
      continue;
    }
    libs.set(key, lib);
    byNameLower.set(lib.name.toLowerCase(), lib);
  }

  const appName = posix.basename(file.path).slice(0, -".deps.json".length);
  const projects = [...libs.values()].filter((l) => l.type === "project");
  const app = projects.find((p) => p.name === appName) ?? projects.find((p) => p.name.toLowerCase() === appName.toLowerCase()) ?? projects[0];

  const packages = new Map<string, PackageRecord>();
  const idOf = new Map<string, string>();
  for (const lib of libs.values()) {
    if (lib === app || !isReported(lib)) continue;
    const entry = own(target, lib.key);
    if (isObject(entry) && entry["compileOnly"] === true) continue;
    const pkg = record(lib, targetName);
    if (!packages.has(pkg.id)) packages.set(pkg.id, pkg);
    idOf.set(lib.key, pkg.id);
  }

  const edgesOf = (key: string): string[] => {
    const entry = own(target, key);
    const deps = isObject(entry) ? entry["dependencies"] : undefined;
    if (!isObject(deps)) return [];
    const out: string[] = [];
    for (const [name, version] of Object.entries(deps)) {
      if (typeof version !== "string") continue;
      const lib = libs.get(`${name}/${version}`) ?? byNameLower.get(name.toLowerCase());
      const id = lib ? idOf.get(lib.key) : undefined;
      if (id !== undefined && !out.includes(id)) out.push(id);
    }
    return out;
  };
  for (const lib of libs.values()) {
    const id = idOf.get(lib.key);
    if (id !== undefined) packages.get(id)!.dependsOn = edgesOf(lib.key).filter((d) => d !== id);
  }

  if (!app) return { directDependencies: [...packages.keys()], packages: [...packages.values()] };
  const project: ProjectRecord = { name: app.name, version: app.version, ecosystem: "nuget", purl: nugetPurl(app) };
  const direct = own(target, app.key) !== undefined ? edgesOf(app.key) : [...packages.keys()];
  return { project, directDependencies: direct, packages: [...packages.values()] };
}

function runtimeTargetName(doc: Record<string, unknown>, targets: Record<string, unknown> | undefined): string | undefined {
  const rt = doc["runtimeTarget"];
  const name = isObject(rt) && typeof rt["name"] === "string" ? rt["name"] : undefined;
  if (name !== undefined && targets && Object.hasOwn(targets, name)) return name;
  // Older files name the target only by the keys of "targets"; a RID-specific one ("…/linux-x64") is what runs.
  const keys = Object.keys(targets ?? {});
  return keys.find((k) => k.includes("/")) ?? keys[0];
}

function readLibrary(key: string, value: unknown): Library | string {
  const slash = key.lastIndexOf("/");
  if (slash <= 0 || slash === key.length - 1) return 'the key is not "Name/Version"';
  const name = key.slice(0, slash);
  const version = key.slice(slash + 1);
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || !/^[A-Za-z0-9_.+-]+$/.test(version)) return "name or version with characters NuGet does not allow";
  if (!isObject(value)) return "not an object";
  const type = typeof value["type"] === "string" ? value["type"] : "";
  const sha512 = typeof value["sha512"] === "string" && value["sha512"] !== "" ? value["sha512"] : undefined;
  return { key, name, version, type, ...(sha512 ? { sha512 } : {}) };
}

function isReported(lib: Library): boolean {
  return lib.type === "package" || lib.type === "runtimepack" || lib.type === "project";
}

function nugetPurl(lib: Library): string {
  return buildPurl("nuget", { name: lib.name, version: lib.version });
}

function record(lib: Library, targetName: string | undefined): PackageRecord {
  const purl = nugetPurl(lib);
  const properties = [{ name: LIBRARY_TYPE_PROPERTY, value: lib.type }];
  if (targetName) properties.push({ name: TARGET_PROPERTY, value: targetName });
  return {
    id: purl,
    ecosystem: "nuget",
    name: lib.name,
    version: lib.version,
    purl,
    hashes: sha512Hash(lib.sha512),
    scope: "required",
    dependsOn: [],
    properties,
  };
}

/** "sha512-<base64>": the SHA-512 of the .nupkg (the hash NuGet's own .nupkg.sha512 file holds). */
function sha512Hash(value: string | undefined): Hash[] {
  const m = value === undefined ? undefined : /^sha512-([A-Za-z0-9+/=]+)$/.exec(value);
  const hash = m ? base64Hash("sha512", m[1]!) : undefined;
  return hash ? [hash] : [];
}

/** A key of a parsed document, never one of Object.prototype's ("constructor" is a valid library name). */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
