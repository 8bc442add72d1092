import { VouchError } from "../../core/errors.js";
import { golangPurl } from "../../sbom/model/purl.js";
import type { Property } from "../../sbom/model/types.js";
import { EMPTY_RESULT, type Cataloger, type CatalogContext, type PackageRecord, type ParseResult, type SourceFile } from "../types.js";
import { readGoBuildInfo } from "./go-buildinfo.js";
import { H1_PROPERTY, REPLACEMENT_DIR_PROPERTY, REPLACES_PROPERTY } from "./parse-go-mod.js";

/**
 * Go binaries in an image or rootfs: the modules the linker recorded in the binary's build info (see
 * go-buildinfo.ts for the bytes), as `go version -m` prints them and as syft's go-module-binary-cataloger
 * (syft/pkg/cataloger/golang/parse_go_binary.go) reports them.
 *
 * - The main module (`mod` line) is a component of its own, marked with vouch:golang:main-module, that depends on
 *   every other module of the binary (build info records no module-to-module edges). Its version is the one the
 *   go command stamped; a "(devel)" build takes the version from `-ldflags -X …version=…` when one was recorded,
 *   else a pseudo-version from vcs.revision/vcs.time (as syft does), else none ("(devel)" is kept as a property).
 * - `dep` lines are components; `=> path version sum` replaces the line above it: the replacement is what was built
 *   (a directory replacement keeps the original path with no version, as the go.mod cataloger does).
 * - `h1:` sums are kept as vouch:golang:h1 properties (a dirhash, not an artifact digest: see go-sum.ts).
 * - The Go toolchain is the component `pkg:golang/stdlib@<version without "go">`, the name and version OSV's Go
 *   advisories (and syft's purl) use for the standard library, which is compiled into every binary.
 * - Build settings (GOOS, GOARCH, CGO_ENABLED, vcs.revision, -tags, …) become vouch:golang:build:<key> properties of
 *   the main module.
 */

export const MAIN_MODULE_PROPERTY = "vouch:golang:main-module";
export const TOOLCHAIN_PROPERTY = "vouch:golang:toolchain";
export const BUILD_PROPERTY_PREFIX = "vouch:golang:build:";
export const DEVEL_VERSION_PROPERTY = "vouch:golang:main-module-version";
export const BUILDINFO_FORMAT_PROPERTY = "vouch:golang:buildinfo-format";

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string;
  /** The main package's import path (`path` line). */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  /** Build settings in order (`build` lines). */
  settings: [string, string][];
}

export const goBinaryCataloger: Cataloger = {
  name: "golang-binary",
  ecosystem: "golang",
  reads: "bytes",
  matches: isExecutablePath,
  parse: parseGoBinary,
};

/**
 * Where executables live in an image: bin/, sbin/ and libexec/ folders at any depth (/usr/local/bin, /go/bin,
 * /opt/x/bin, /usr/libexec/docker/cli-plugins), /opt, /ko-app, and the top folder (scratch and distroless images
 * put the program at /app, /manager, /server). The path decides only whether the bytes are looked at: anything
 * that is not ELF with Go build info yields nothing.
 */
export function isExecutablePath(path: string): boolean {
  const parts = path.split("/");
  const base = parts[parts.length - 1]!;
  if (base === "" || base.startsWith(".")) return false;
  const dirs = parts.slice(0, -1);
  if (dirs.some((d) => d === "bin" || d === "sbin" || d === "libexec")) return !NOT_BINARY_EXTENSION.test(base);
  // Elsewhere the name must look like a program's: no extension (python3.11 and the like live in bin/).
  if (base.includes(".")) return false;
  if (dirs.length === 0) return !NOT_PROGRAM_NAME.has(base);
  return dirs[0] === "opt" || dirs[0] === "ko-app";
}

const NOT_BINARY_EXTENSION =
  /\.(sh|bash|py|pl|pm|rb|lua|js|mjs|cjs|ts|php|tcl|awk|sed|txt|md|rst|json|ya?ml|toml|xml|html?|conf|cfg|ini|desktop|service|1|gz|bz2|xz|zst|tar|zip|jar|so(\.\d+)*|a|o|h|c)$/i;
const NOT_PROGRAM_NAME = new Set(["Dockerfile", "Containerfile", "LICENSE", "NOTICE", "README", "Makefile", "VERSION", "AUTHORS", "CHANGELOG"]);

export function parseGoBinary(file: SourceFile, ctx: CatalogContext): ParseResult {
  const bytes = file.bytes;
  if (!bytes) return EMPTY_RESULT;
  const raw = readGoBuildInfo(bytes);
  if (!raw) return EMPTY_RESULT;
  const info = parseModInfo(raw.modinfo, raw.goVersion, (message, line) => ctx.warn(message, line));
  const result = buildInfoToResult(info);
  const main = result.packages.find((p) => p.properties?.some((q) => q.name === MAIN_MODULE_PROPERTY));
  main?.properties?.push({ name: BUILDINFO_FORMAT_PROPERTY, value: raw.format });
  return result;
}

/**
 * The module info text (runtime/debug.ParseBuildInfo's input): tab-separated lines `path`, `mod`, `dep`, `=>`
 * and `build`. Lines it does not know are skipped (Go itself refuses them; a newer Go may add kinds). A line that
 * is known but malformed makes the whole file malformed, as for Go.
 */
export function parseModInfo(text: string, goVersion: string, warn: (message: string, line: number) => void = () => {}): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: [] };
  let last: GoModule | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const kind = line.slice(0, tab);
    const rest = line.slice(tab + 1);
    switch (kind) {
      case "go":
        info.goVersion ||= rest.trim();
        break;
      case "path":
        info.path = rest;
        break;
      case "mod":
      case "dep": {
        const m = moduleLine(rest);
        if (typeof m === "string") {
          warn(`Go module info: ${kind} line ${m}; skipped`, i + 1);
          // Its replacement line (if any) belongs to the skipped module: a sentinel swallows it.
          last = { path: "", version: "" };
          break;
        }
        last = m;
        if (kind === "mod") info.main = m;
        else info.deps.push(m);
        break;
      }
      case "=>": {
        if (!last) throw new VouchError("INPUT_MALFORMED", "Go module info: replacement without a module line before it", { line: i + 1 });
        const m = moduleLine(rest);
        if (typeof m === "string") warn(`Go module info: replacement ${m}; the module is reported as required`, i + 1);
        else if (last.path !== "") last.replace = m;
        last = undefined;
        break;
      }
      case "build":
        info.settings.push(buildSetting(rest, i + 1));
        break;
      default:
        break;
    }
  }
  return info;
}

/** A module line's fields, or why they are unusable (hostile text must not reach a purl). */
function moduleLine(rest: string): GoModule | string {
  const [path, version = "", sum = ""] = rest.split("\t");
  if (!path || !isSafeModulePath(path)) return "without a valid module path";
  if (hasSpaceOrControl(version)) return `for ${path} with a malformed version`;
  const m: GoModule = { path, version };
  if (sum !== "") m.sum = sum;
  return m;
}

function isSafeModulePath(path: string): boolean {
  return !hasSpaceOrControl(path);
}

function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || /\s/.test(s[i]!)) return true;
  }
  return false;
}

/** `key=value`, either side possibly a Go-quoted string (`-ldflags="-s -w"`). */
function buildSetting(kv: string, line: number): [string, string] {
  let key: string;
  let rawValue: string;
  if (kv.startsWith('"') || kv.startsWith("`")) {
    const quoted = quotedPrefix(kv);
    if (quoted === undefined || kv[quoted.length] !== "=") throw new VouchError("INPUT_MALFORMED", "Go module info: malformed quoted build key", { line });
    key = unquoteGo(quoted) ?? quoted;
    rawValue = kv.slice(quoted.length + 1);
  } else {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new VouchError("INPUT_MALFORMED", "Go module info: build line without key=value", { line });
    key = kv.slice(0, eq);
    rawValue = kv.slice(eq + 1);
  }
  const value = rawValue.startsWith('"') || rawValue.startsWith("`") ? unquoteGo(rawValue) : rawValue;
  if (value === undefined) throw new VouchError("INPUT_MALFORMED", `Go module info: malformed quoted value for build setting ${key}`, { line });
  return [key, value];
}

function quotedPrefix(s: string): string | undefined {
  const q = s[0]!;
  for (let i = 1; i < s.length; i++) {
    if (q === '"' && s[i] === "\\") {
      i++;
      continue;
    }
    if (s[i] === q) return s.slice(0, i + 1);
  }
  return undefined;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'" };

/** strconv.Unquote for the forms strconv.Quote writes; undefined when `s` is not one quoted string. */
export function unquoteGo(s: string): string | undefined {
  if (s.length < 2 || s[s.length - 1] !== s[0]) return undefined;
  const body = s.slice(1, -1);
  if (s[0] === "`") return body.includes("`") ? undefined : body;
  if (s[0] !== '"') return undefined;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '"') return undefined;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      continue;
    }
    const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : /[0-7]/.test(e) ? 3 : 0;
    if (width === 0) return undefined;
    const digits = e === "x" || e === "u" || e === "U" ? body.slice(i + 1, i + 1 + width) : body.slice(i, i + 3);
    const valid = /[0-7]/.test(e) ? /^[0-7]{3}$/.test(digits) : new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits);
    if (!valid) return undefined;
    const code = parseInt(digits, /[0-7]/.test(e) ? 8 : 16);
    if (code > 0x10ffff) return undefined;
    out += String.fromCodePoint(code);
    i += /[0-7]/.test(e) ? 2 : width;
  }
  return out;
}

// ---- build info -> packages ----

export function buildInfoToResult(info: GoBuildInfo): ParseResult {
  const packages: PackageRecord[] = [];
  const byPurl = new Map<string, PackageRecord>();
  const add = (pkg: PackageRecord) => {
    const seen = byPurl.get(pkg.purl);
    if (seen) return seen;
    byPurl.set(pkg.purl, pkg);
    packages.push(pkg);
    return pkg;
  };

  const deps: PackageRecord[] = [];
  for (const dep of info.deps) deps.push(add(moduleRecord(dep)));
  const stdlib = stdlibRecord(info.goVersion);
  if (stdlib) deps.push(add(stdlib));

  if (!info.main || info.main.path === "" || info.main.path === "command-line-arguments") {
    // Built outside a module (GOPATH mode, `go build file.go`): no main module to hang the others from.
    return { directDependencies: packages.map((p) => p.id), packages };
  }
  const main = mainModuleRecord(info.main, info);
  if (byPurl.has(main.purl)) return { directDependencies: packages.map((p) => p.id), packages };
  main.dependsOn = [...new Set(deps.map((d) => d.id))].filter((id) => id !== main.id);
  packages.unshift(main);
  return { directDependencies: [main.id], packages };
}

function moduleRecord(dep: GoModule): PackageRecord {
  const properties: Property[] = [];
  let path = dep.path;
  let version = dep.version;
  let sum = dep.sum;
  if (dep.replace) {
    properties.push({ name: REPLACES_PROPERTY, value: `${dep.path}@${dep.version}` });
    if (isDirectoryPath(dep.replace.path)) {
      version = "";
      sum = undefined;
      properties.push({ name: REPLACEMENT_DIR_PROPERTY, value: dep.replace.path });
    } else {
      path = dep.replace.path;
      version = dep.replace.version;
      sum = dep.replace.sum;
    }
  }
  if (version === "(devel)") version = "";
  if (sum?.startsWith("h1:")) properties.unshift({ name: H1_PROPERTY, value: sum });
  return record(path, version, properties);
}

function mainModuleRecord(main: GoModule, info: GoBuildInfo): PackageRecord {
  const settings = new Map(info.settings);
  const properties: Property[] = [
    { name: MAIN_MODULE_PROPERTY, value: "true" },
    { name: TOOLCHAIN_PROPERTY, value: info.goVersion },
  ];
  let version = main.version;
  if (version === "(devel)" || version === "") {
    if (version !== "") properties.push({ name: DEVEL_VERSION_PROPERTY, value: version });
    version = versionFromLdflags(settings.get("-ldflags")) ?? pseudoVersion(settings) ?? "";
  }
  for (const [key, value] of info.settings) properties.push({ name: `${BUILD_PROPERTY_PREFIX}${key}`, value });
  if (main.sum?.startsWith("h1:")) properties.push({ name: H1_PROPERTY, value: main.sum });
  return record(main.path, version, properties);
}

/**
 * `-X <pkg>.<var>=<value>` where the variable is a version and the value looks like one (the convention of
 * goreleaser, ko and most Makefiles). syft accepts the same family of names.
 */
export function versionFromLdflags(ldflags: string | undefined): string | undefined {
  if (!ldflags) return undefined;
  const re = /-X(?:\s+|=)['"]?[^\s'"=]*\.(?:[vV]ersion|gitVersion|GitVersion|appVersion|AppVersion|buildVersion|BuildVersion|VERSION)=['"]?([^\s'"]+)/g;
  for (const m of ldflags.matchAll(re)) {
    const v = m[1]!;
    if (/^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]*)?$/.test(v)) return v.startsWith("v") ? v : `v${v}`;
  }
  return undefined;
}

/** v0.0.0-<yyyymmddhhmmss>-<12 hex of the revision>: what the go command itself would call this commit. */
function pseudoVersion(settings: Map<string, string>): string | undefined {
  const revision = settings.get("vcs.revision");
  const time = settings.get("vcs.time");
  if (!revision || !time || !/^[0-9a-f]{12,}$/.test(revision)) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(time);
  if (!m) return undefined;
  return `v0.0.0-${m.slice(1).join("")}-${revision.slice(0, 12)}`;
}

function stdlibRecord(goVersion: string): PackageRecord | undefined {
  // "go1.21.5", "go1.22.1 X:boringcrypto", "go1.21rc2"; a development toolchain ("devel go1.23-…") has no release.
  const m = /^go(\d+(?:\.\d+){1,2}(?:(?:rc|beta)\d+)?)(?:\s|$)/.exec(goVersion.trim());
  if (!m) return undefined;
  return record("stdlib", m[1]!, [{ name: TOOLCHAIN_PROPERTY, value: goVersion }]);
}

function record(path: string, version: string, properties: Property[]): PackageRecord {
  const purl = golangPurl(path, version);
  const slash = path.lastIndexOf("/");
  return {
    id: purl,
    ecosystem: "golang",
    ...(slash > 0 ? { group: path.slice(0, slash), name: path.slice(slash + 1) } : { name: path }),
    version,
    purl,
    hashes: [],
    scope: "required",
    dependsOn: [],
    ...(properties.length > 0 ? { properties } : {}),
  };
}

function isDirectoryPath(path: string): boolean {
  return path === "." || path === ".." || /^\.\.?[\\/]/.test(path) || path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path);
}
