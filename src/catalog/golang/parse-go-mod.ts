import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { golangPurl } from "../../sbom/model/purl.js";
import type { Property } from "../../sbom/model/types.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";
import { parseGoSum } from "./go-sum.js";
import { compareGoVersions } from "./go-version.js";
import { parseGoModDirectives, type GoModDirective } from "./gomod-syntax.js";

/**
 * go.mod (+ go.sum beside it) -> the modules the main module requires.
 *
 * What is reported, and why (matching syft's go-module-file-cataloger, syft/pkg/cataloger/golang/parse_go_mod.go):
 * - Components are go.mod's `require` list, direct and `// indirect` alike. Since Go 1.17 (module graph pruning)
 *   go.mod lists every module that provides a package the main module's build needs. go.sum lists more: the
 *   go.mod files and old versions it met while pruning the graph, which are not built; it is used only for
 *   hashes. `go list -m all` would add the rest of the pruned graph, which needs the module cache to compute.
 * - `replace old[@v] => new vN`: the component is the replacement new@vN (what actually gets built), with the
 *   replaced requirement kept as a property. A replace naming a version applies to that version only, one
 *   without a version to every version; the versioned one wins when both match.
 * - `replace old => ./dir` (a local directory): the component keeps the ORIGINAL module path with version ""
 *   (syft does the same: the directory's code has no version, and the required version is not what is built),
 *   with the directory as a property.
 * - A replace for a module that is not required changes nothing and is ignored. (syft adds the replacement as a
 *   component anyway; the go command does not build it, so neither does this report it.)
 * - `exclude m v`: a requirement of exactly that version is not reported (warned: `go mod tidy` never leaves
 *   one, the go command would pick a later version we cannot know from these files).
 * - `retract`, `go`, `toolchain`, `godebug`, `tool`, `ignore`: nothing to report.
 * go.mod records no module-to-module edges, so `dependsOn` is empty; the project depends directly on the
 * requirements not marked `// indirect`. go.mod makes no dev/test distinction: every module is "required".
 */

export const H1_PROPERTY = "vouch:golang:h1";
export const INDIRECT_PROPERTY = "vouch:golang:indirect";
export const REPLACES_PROPERTY = "vouch:golang:replaces";
export const REPLACEMENT_DIR_PROPERTY = "vouch:golang:replacementDir";

interface Requirement {
  path: string;
  version: string;
  indirect: boolean;
  line: number;
}

interface Replacement {
  oldPath: string;
  /** undefined: the replace applies to every version of oldPath. */
  oldVersion?: string;
  newPath: string;
  /** undefined for a local-directory replacement. */
  newVersion?: string;
  line: number;
}

interface GoModFile {
  modulePath: string;
  requires: Requirement[];
  replaces: Replacement[];
  /** "path version" of every excluded module version. */
  excludes: Set<string>;
}

/** A required module after exclusion and replacement: what the build uses. */
interface ResolvedModule {
  path: string;
  version: string;
  indirect: boolean;
  /** The requirement a replace swapped out, "path@version". */
  replaces?: string;
  /** The directory of a local replacement. */
  replacementDir?: string;
}

export function parseGoMod(file: SourceFile, ctx: CatalogContext): ParseResult {
  const mod = readGoMod(file.text, ctx);
  const modules = resolveModules(mod, ctx);
  const h1 = readGoSumHashes(file.path, ctx);

  const byPurl = new Map<string, { pkg: PackageRecord; module: ResolvedModule }>();
  const direct = new Set<string>();
  for (const module of modules) {
    const purl = golangPurl(module.path, module.version);
    const seen = byPurl.get(purl);
    if (seen) {
      // Two requirements built from one module (both replaced by the same target): one component, indirect
      // only if both were.
      seen.module.indirect &&= module.indirect;
    } else {
      byPurl.set(purl, { pkg: packageRecord(module, purl), module });
    }
    if (!module.indirect) direct.add(purl);
  }

  const packages = [...byPurl.values()].map(({ pkg, module }) => withProperties(pkg, module, h1));
  return {
    project: projectRecord(mod.modulePath),
    directDependencies: [...direct],
    packages,
  };
}

export const goModCataloger: Cataloger = {
  name: "golang-go-mod",
  ecosystem: "golang",
  matches: (path) => posix.basename(path) === "go.mod",
  parse: parseGoMod,
};

// ---- go.mod directives -> requirements, replaces, excludes ----

function readGoMod(text: string, ctx: CatalogContext): GoModFile {
  let module: { path: string; line: number } | undefined;
  const requires: Requirement[] = [];
  const replaces: Replacement[] = [];
  const excludes = new Set<string>();

  for (const d of parseGoModDirectives(text)) {
    switch (d.verb) {
      case "module": {
        const path = d.args.length === 1 ? d.args[0]! : undefined;
        if (path === undefined || !isModulePath(path)) ctx.warn(`malformed module directive; ignored`, d.line);
        else if (module) ctx.warn(`repeated module directive (first on line ${module.line}); ignored`, d.line);
        else module = { path, line: d.line };
        break;
      }
      case "require": {
        const req = readModuleVersion(d, ctx);
        if (req) requires.push({ ...req, indirect: isIndirectComment(d.comment), line: d.line });
        break;
      }
      case "exclude": {
        const ex = readModuleVersion(d, ctx);
        if (ex) excludes.add(`${ex.path} ${ex.version}`);
        break;
      }
      case "replace": {
        const rep = readReplace(d, ctx);
        if (rep) replaces.push(rep);
        break;
      }
      case "go":
      case "toolchain":
      case "godebug":
      case "retract":
      case "tool":
      case "ignore":
        break;
      default:
        ctx.warn(`unknown go.mod directive "${d.verb}"; ignored`, d.line);
    }
  }

  if (!module) throw new VouchError("INPUT_MALFORMED", "go.mod has no module directive");
  return { modulePath: module.path, requires, replaces, excludes };
}

/** `path version`, as require and exclude take it. */
function readModuleVersion(d: GoModDirective, ctx: CatalogContext): { path: string; version: string } | undefined {
  const [path, version] = d.args;
  if (d.args.length !== 2 || !isModulePath(path!) || !isModuleVersion(version!)) {
    ctx.warn(`malformed ${d.verb} "${d.args.join(" ")}": expected "<module path> <version>"; ignored`, d.line);
    return undefined;
  }
  return { path: path!, version: version! };
}

/** `old [v] => new [v]`; the new side has a version exactly when it is a module, not a directory. */
function readReplace(d: GoModDirective, ctx: CatalogContext): Replacement | undefined {
  const arrow = d.args.indexOf("=>");
  const left = arrow < 0 ? [] : d.args.slice(0, arrow);
  const right = arrow < 0 ? [] : d.args.slice(arrow + 1);
  const fail = (why: string) => {
    ctx.warn(`malformed replace "${d.args.join(" ")}": ${why}; ignored`, d.line);
    return undefined;
  };
  if (left.length < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
    return fail(`expected "<module> [version] => <module> <version>" or "<module> [version] => <directory>"`);
  }
  const [oldPath, oldVersion] = left as [string, string | undefined];
  const [newPath, newVersion] = right as [string, string | undefined];
  if (!isModulePath(oldPath) || (oldVersion !== undefined && !isModuleVersion(oldVersion))) return fail("bad module on the left");
  if (isDirectoryPath(newPath)) {
    if (newVersion !== undefined) return fail("a directory replacement takes no version");
  } else if (newVersion === undefined) {
    // modfile: "replacement module without version must be directory path (rooted or starting with ./ or ../)"
    return fail("a module replacement needs a version");
  } else if (!isModulePath(newPath) || !isModuleVersion(newVersion)) {
    return fail("bad module on the right");
  }
  return { oldPath, oldVersion, newPath, newVersion, line: d.line };
}

/** modfile's isIndirect: the line's comment is "indirect", or starts with "indirect;". */
function isIndirectComment(comment: string): boolean {
  const words = comment.split(/\s+/);
  return (words.length === 1 && words[0] === "indirect") || (words.length > 1 && words[0] === "indirect;");
}

/** modfile.IsDirectoryPath: ./ ../ (either slash), rooted, or a Windows drive path. */
function isDirectoryPath(path: string): boolean {
  return (
    path === "." ||
    path === ".." ||
    /^\.\.?[\\/]/.test(path) ||
    path.startsWith("/") ||
    /^[A-Za-z]:[\\/]/.test(path) ||
    path.startsWith("\\\\")
  );
}

/**
 * Enough of module.CheckPath to keep hostile text out of purls: non-empty slash-separated elements, no
 * spaces or control characters. (Stricter checks would only turn odd but harmless paths into warnings.)
 */
function isModulePath(path: string): boolean {
  const hasControl = [...path].some((ch) => ch.charCodeAt(0) < 0x20 || ch === "\u007f");
  return path.length > 0 && !/\s/.test(path) && !hasControl && path.split("/").every((el) => el.length > 0);
}

/** A canonical module version: vMAJOR.MINOR.PATCH[-pre][+build] (pseudo-versions and +incompatible included). */
function isModuleVersion(version: string): boolean {
  return /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version);
}

// ---- requirements -> the modules the build uses ----

function resolveModules(mod: GoModFile, ctx: CatalogContext): ResolvedModule[] {
  const replacements = indexReplacements(mod.replaces, ctx);
  const modules: ResolvedModule[] = [];
  for (const req of highestRequirements(mod.requires, ctx)) {
    if (mod.excludes.has(`${req.path} ${req.version}`)) {
      ctx.warn(`${req.path} ${req.version} is both required and excluded; not reported`, req.line);
      continue;
    }
    const rep = replacements.get(`${req.path} ${req.version}`) ?? replacements.get(req.path);
    modules.push(rep ? applyReplacement(req, rep) : { path: req.path, version: req.version, indirect: req.indirect });
  }
  return modules;
}

/**
 * A module required twice: minimal version selection builds the higher version. The indirect mark is the
 * kept line's.
 */
function highestRequirements(requires: readonly Requirement[], ctx: CatalogContext): Requirement[] {
  const byPath = new Map<string, Requirement>();
  for (const req of requires) {
    const prev = byPath.get(req.path);
    if (!prev) {
      byPath.set(req.path, req);
      continue;
    }
    const keep = compareGoVersions(req.version, prev.version) > 0 ? req : prev;
    ctx.warn(`${req.path} is required twice (lines ${prev.line} and ${req.line}); using ${keep.version}`, req.line);
    byPath.set(req.path, keep);
  }
  return [...byPath.values()];
}

/** "path version" (a versioned replace) or "path" (every version) -> replacement; the first one wins. */
function indexReplacements(replaces: readonly Replacement[], ctx: CatalogContext): Map<string, Replacement> {
  const index = new Map<string, Replacement>();
  for (const rep of replaces) {
    const key = rep.oldVersion === undefined ? rep.oldPath : `${rep.oldPath} ${rep.oldVersion}`;
    const prev = index.get(key);
    if (prev) ctx.warn(`repeated replace for ${key.replace(" ", "@")} (first on line ${prev.line}); ignored`, rep.line);
    else index.set(key, rep);
  }
  return index;
}

function applyReplacement(req: Requirement, rep: Replacement): ResolvedModule {
  const replaces = `${req.path}@${req.version}`;
  if (rep.newVersion === undefined) {
    return { path: req.path, version: "", indirect: req.indirect, replaces, replacementDir: rep.newPath };
  }
  return { path: rep.newPath, version: rep.newVersion, indirect: req.indirect, replaces };
}

// ---- records ----

function readGoSumHashes(goModPath: string, ctx: CatalogContext): Map<string, string> {
  const text = ctx.readFile(posix.join(posix.dirname(goModPath), "go.sum"));
  if (text === undefined) return new Map();
  const sum = parseGoSum(text);
  for (const problem of sum.problems) ctx.warn(problem);
  return sum.h1;
}

function splitModulePath(path: string): { group?: string; name: string } {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? { group: path.slice(0, slash), name: path.slice(slash + 1) } : { name: path };
}

function packageRecord(module: ResolvedModule, purl: string): PackageRecord {
  return {
    id: purl,
    ecosystem: "golang",
    ...splitModulePath(module.path),
    version: module.version,
    purl,
    // The go.sum h1: value is a dirhash, not an artifact digest: it is a property, not a hash (see go-sum.ts).
    hashes: [],
    scope: "required",
    dependsOn: [],
  };
}

/** Properties last: a merged duplicate may have changed the indirect mark. */
function withProperties(pkg: PackageRecord, module: ResolvedModule, h1: Map<string, string>): PackageRecord {
  const properties: Property[] = [];
  const hash = module.version === "" ? undefined : h1.get(`${module.path} ${module.version}`);
  if (hash) properties.push({ name: H1_PROPERTY, value: hash });
  if (module.indirect) properties.push({ name: INDIRECT_PROPERTY, value: "true" });
  if (module.replaces) properties.push({ name: REPLACES_PROPERTY, value: module.replaces });
  if (module.replacementDir) properties.push({ name: REPLACEMENT_DIR_PROPERTY, value: module.replacementDir });
  return properties.length > 0 ? { ...pkg, properties } : pkg;
}

/** The main module: its path is its identity; a module in development has no version. */
function projectRecord(modulePath: string): ProjectRecord {
  return { ...splitModulePath(modulePath), version: "", ecosystem: "golang", purl: golangPurl(modulePath, "") };
}
