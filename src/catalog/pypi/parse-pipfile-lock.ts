import { posix } from "node:path";
import { isVouchError, VouchError } from "../../core/errors.js";
import { mergeHashes } from "../../sbom/model/hash.js";
import { normalizePypiName } from "../../sbom/model/purl.js";
import type { Scope } from "../../sbom/model/types.js";
import { parseJsonText } from "../../core/encoding/json-text.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { addProperty, isTable, isValidName, newPackage, parseToml, pinnedVersion, prefixedHashes, PROP, str, strings, type Table } from "./common.js";

/**
 * Pipfile.lock (pipenv, pipfile-spec 6): "default" packages are required, "develop" packages dev (a package
 * in both is required). Versions are written "==x"; hashes "sha256:...". The lock records no edges and
 * Pipfile names no project, so there is no project; the direct dependencies are the Pipfile's [packages] and
 * [dev-packages] (every locked package when no Pipfile is beside the lock).
 */

export const pipfileLockCataloger: Cataloger = {
  name: "pypi-pipfile-lock",
  ecosystem: "pypi",
  matches: (path) => posix.basename(path) === "Pipfile.lock",
  parse: parsePipfileLock,
};

/** The newest pipfile-spec this parser knows (pipenv has written 6 since 2018). */
const MAX_SPEC = 6;

export function parsePipfileLock(file: SourceFile, ctx: CatalogContext): ParseResult {
  const doc = parseJsonText(file.text, file.path);
  if (!isTable(doc)) throw new VouchError("INPUT_MALFORMED", "Pipfile.lock is not a JSON object", { line: 1 });
  checkSpec(doc);

  const packages = new Map<string, PackageRecord>();
  const idsByName = new Map<string, string[]>();
  const sections: [string, Scope][] = [
    ["default", "required"],
    ["develop", "dev"],
  ];
  for (const [section, scope] of sections) {
    const entries = doc[section];
    if (entries === undefined) continue;
    if (!isTable(entries)) {
      ctx.warn(`"${section}" is not an object; skipped`);
      continue;
    }
    for (const [name, entry] of Object.entries(entries)) {
      const pkg = readEntry(name, entry, scope, ctx);
      if (!pkg) continue;
      const known = packages.get(pkg.id);
      if (known) {
        known.hashes = mergeHashes(known.hashes, pkg.hashes);
        continue;
      }
      packages.set(pkg.id, pkg);
      const key = normalizePypiName(name);
      idsByName.set(key, [...(idsByName.get(key) ?? []), pkg.id]);
    }
  }

  const declared = readPipfile(ctx, posix.dirname(file.path));
  const directDependencies = declared === undefined ? [...packages.keys()] : declared.flatMap((n) => idsByName.get(n) ?? []);
  return { directDependencies: [...new Set(directDependencies)], packages: [...packages.values()] };
}

function checkSpec(doc: Table): void {
  const meta = isTable(doc._meta) ? doc._meta : {};
  const spec = meta["pipfile-spec"];
  if (spec !== undefined && !(typeof spec === "number" && Number.isInteger(spec) && spec >= 1 && spec <= MAX_SPEC)) {
    throw new VouchError("INPUT_MALFORMED", `Pipfile.lock: unsupported pipfile-spec ${JSON.stringify(spec)}`);
  }
}

function readEntry(name: string, entry: unknown, scope: Scope, ctx: CatalogContext): PackageRecord | undefined {
  if (!isTable(entry) || !isValidName(name)) {
    ctx.warn(`package ${JSON.stringify(name)} ${isTable(entry) ? "has an invalid name" : "is not an object"}; skipped`);
    return undefined;
  }
  const versionText = str(entry.version);
  // A local path or editable entry (`-e .`) is the project or a sibling source tree, not a package version.
  if (versionText === undefined && (entry.path !== undefined || entry.file !== undefined) && entry.git === undefined) return undefined;
  const version = versionText === undefined ? "" : (pinnedVersion(versionText) ?? versionText.replace(/^==/, ""));
  const pkg = newPackage(name, version, scope, prefixedHashes(strings(entry.hashes)));
  const git = str(entry.git);
  if (git) addProperty(pkg, PROP.source, `git+${git}${str(entry.ref) ? `@${str(entry.ref)}` : ""}`);
  const markers = str(entry.markers);
  if (markers) addProperty(pkg, PROP.markers, markers);
  const extras = strings(entry.extras);
  if (extras.length > 0) addProperty(pkg, PROP.extras, extras.join(","));
  return pkg;
}

/** Normalised names the Pipfile declares ([packages] and [dev-packages]); undefined without a usable Pipfile. */
function readPipfile(ctx: CatalogContext, dir: string): string[] | undefined {
  const path = posix.join(dir, "Pipfile");
  const text = ctx.readFile(path);
  if (text === undefined) return undefined;
  let doc: Table;
  try {
    doc = parseToml(text, path);
  } catch (err) {
    if (!isVouchError(err)) throw err;
    ctx.warn(`${path}: ${err.message}; every locked package taken as direct`);
    return undefined;
  }
  const names: string[] = [];
  for (const section of ["packages", "dev-packages"]) {
    const table = doc[section];
    if (isTable(table)) names.push(...Object.keys(table).map(normalizePypiName));
  }
  return names;
}
