import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { npmPurl } from "../../sbom/model/purl.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { isPackageName, isRecord, npmRecord, parseJsonDocument } from "./common.js";
import { manifestFromJson } from "./manifest.js";

/**
 * Installed npm packages without a lockfile: `node_modules/<name>/package.json` and
 * `node_modules/@scope/<name>/package.json` at any depth, as an image holds them (a global install in
 * /usr/lib/node_modules or /usr/local/lib/node_modules, npm's own bundled dependencies, an app's node_modules copied
 * without its lockfile). syft's javascript-package-cataloger and trivy's node-pkg analyzer read the same files.
 *
 * Each package.json is one component (name and version from the file, license, author, links). Its dependencies and
 * optionalDependencies become edges to what Node would load: the nearest node_modules/<dep>/package.json from the
 * package's own folder upwards. Where npm's hidden lockfile (node_modules/.package-lock.json) also lists the tree,
 * both describe the same purls and the catalog merges them.
 */

export const npmInstalledPackageCataloger: Cataloger = {
  name: "npm-installed-package",
  ecosystem: "npm",
  matches: isInstalledPackageJson,
  parse: parseInstalledPackage,
};

export function isInstalledPackageJson(path: string): boolean {
  return /(^|\/)node_modules\/(@[^/]+\/)?[^/.@][^/]*\/package\.json$/.test(path);
}

export function parseInstalledPackage(file: SourceFile, ctx: CatalogContext): ParseResult {
  const json = parseJsonDocument(file.text, "package.json");
  if (!isRecord(json)) throw new VouchError("INPUT_MALFORMED", "package.json is not a JSON object", { line: 1 });
  const manifest = manifestFromJson(json);
  // A package.json without name and version inside node_modules is a fixture or a nested build folder, not a
  // package npm installed (npm always writes both): nothing to report.
  if (!manifest.name || !manifest.version) return { directDependencies: [], packages: [] };
  const folder = posix.dirname(file.path);
  const pkg = npmRecord(
    {
      id: npmPurl(manifest.name, manifest.version),
      fullName: manifest.name,
      version: manifest.version,
      scope: "required",
      licenseDeclared: manifest.license,
      author: manifest.author,
      description: manifest.description,
      externalRefs: manifest.externalRefs,
    },
    ctx,
  );
  if (!pkg) return { directDependencies: [], packages: [] };

  const packages: PackageRecord[] = [pkg];
  for (const [dep] of [...manifest.dependencies, ...manifest.optionalDependencies]) {
    if (!isPackageName(dep)) continue;
    const target = resolveInstalled(ctx, folder, dep);
    if (!target || target.id === pkg.id) continue;
    if (!packages.some((p) => p.id === target.id)) packages.push(target);
    if (!pkg.dependsOn.includes(target.id)) pkg.dependsOn.push(target.id);
  }
  return { directDependencies: [pkg.id], packages };
}

/** Node's lookup: <folder>/node_modules/<dep>, then the node_modules of every ancestor (never node_modules/node_modules). */
function resolveInstalled(ctx: CatalogContext, folder: string, dep: string): PackageRecord | undefined {
  let dir = folder;
  for (;;) {
    if (posix.basename(dir) !== "node_modules") {
      const text = ctx.readFile(`${dir === "." || dir === "" ? "" : `${dir}/`}node_modules/${dep}/package.json`);
      const found = text === undefined ? undefined : describeInstalled(text, dep);
      if (found) return found;
    }
    if (dir === "." || dir === "" || dir === "/") return undefined;
    dir = posix.dirname(dir);
  }
}

function describeInstalled(text: string, dep: string): PackageRecord | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const m = manifestFromJson(json);
  if (m.name !== dep || !m.version) return undefined;
  const noWarnings: CatalogContext = { readFile: () => undefined, listDir: () => [], warn: () => {} };
  return npmRecord({ id: npmPurl(m.name, m.version), fullName: m.name, version: m.version, scope: "required" }, noWarnings);
}
