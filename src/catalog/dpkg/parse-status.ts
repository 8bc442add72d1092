import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { addFileProperties, addProperty, looksBinary, Warnings, type OsCatalogOptions } from "../os/common.js";
import { distroQualifier, isLike, readDistro, rootOf, type Distro } from "../os/os-release.js";
import { field, parseParagraphs, relationshipGroups, type Paragraph } from "./control.js";
import { licensesFromCopyright } from "./copyright.js";

/**
 * Installed Debian packages from the dpkg database: `var/lib/dpkg/status` (one paragraph per package) and the
 * distroless form `var/lib/dpkg/status.d/<name>` (one file per package, `<name>.md5sums` beside it).
 *
 * A package is installed when its Status' state (third word) is `installed`, or `triggers-awaited` /
 * `triggers-pending` (unpacked and configured, a trigger not yet run): what `dpkg-query -W` lists with
 * `${db:Status-Status}` one of those. config-files (removed, not purged), half-installed, unpacked and
 * not-installed entries are skipped with a warning naming the state. The selection (install, hold,
 * deinstall) does not matter: a package selected for removal is still on disk.
 *
 * The purl follows syft/grype: `pkg:deb/<distro id>/<name>@<version>?arch=<arch>&distro=<id>-<version_id>`, with
 * `upstream=<source>[@<source version>]` when the Source field names the source package. The source package is
 * always recorded as properties too (vulnerability data for Debian and Ubuntu is keyed by source package).
 * Licenses come from `usr/share/doc/<name>/copyright` when it is machine-readable (DEP-5); the files a
 * package owns from `var/lib/dpkg/info/<name>[:<arch>].list` and their MD5 digests from `.md5sums`.
 */

const STATUS = "var/lib/dpkg/status";
const STATUS_D = "var/lib/dpkg/status.d";
const PREFIX = "vouch:deb";

/** Property names of the dpkg catalogers. */
export const DEB_PROP = {
  source: `${PREFIX}:source`,
  sourceVersion: `${PREFIX}:sourceVersion`,
  installedSize: `${PREFIX}:installedSizeKiB`,
  status: `${PREFIX}:status`,
  fileCount: `${PREFIX}:fileCount`,
  file: `${PREFIX}:file`,
  distro: "vouch:os:distro",
} as const;

/** States whose files are all on disk (dpkg(1) "Package states"). */
const INSTALLED_STATES = new Set(["installed", "triggers-awaited", "triggers-pending"]);

/** A package name as Debian Policy 5.6.1 allows it (dpkg also accepts upper case from old databases). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9+.-]*$/;
/** [epoch:]upstream[-revision], Policy 5.6.12, loosely: no whitespace and a sane character set. */
const VERSION = /^(\d+:)?[A-Za-z0-9.+~:-]+$/;

export function isDpkgStatus(path: string): boolean {
  return rootOf(path, STATUS) !== undefined;
}

export function isDpkgStatusD(path: string): boolean {
  const dir = posix.dirname(path);
  return rootOf(dir, STATUS_D) !== undefined && !path.endsWith(".md5sums") && !posix.basename(path).startsWith(".");
}

export function createDpkgCatalogers(options: OsCatalogOptions = {}): Cataloger[] {
  return [
    { name: "deb-dpkg-status", ecosystem: "deb", matches: isDpkgStatus, parse: (file, ctx) => parseDpkgStatus(file, ctx, options) },
    { name: "deb-dpkg-status-d", ecosystem: "deb", matches: isDpkgStatusD, parse: (file, ctx) => parseDpkgStatus(file, ctx, options) },
  ];
}

interface Entry {
  pkg: PackageRecord;
  name: string;
  arch: string;
  paragraph: Paragraph;
  /** The file the entry came from (status.d entries are spread over several). */
  file: string;
}

export function parseDpkgStatus(file: SourceFile, ctx: CatalogContext, options: OsCatalogOptions = {}): ParseResult {
  const statusD = isDpkgStatusD(file.path);
  const root = statusD ? rootOf(posix.dirname(file.path), STATUS_D)! : (rootOf(file.path, STATUS) ?? "");
  const warnings = new Warnings(ctx);
  const distro = readDistro(ctx, root);
  const own = readEntries(file.path, file.text, distro, warnings, true);
  const result: ParseResult = { directDependencies: [], packages: own.map((e) => e.pkg) };
  if (own.length === 0) {
    warnings.flush();
    return result;
  }

  // Edges point at packages of the same database: the whole status file, or every file of status.d.
  const all = [...own];
  if (statusD) {
    const dir = posix.dirname(file.path);
    for (const name of ctx.listDir(dir)) {
      const path = `${dir}/${name}`;
      if (path === file.path || !isDpkgStatusD(path)) continue;
      const text = ctx.readFile(path);
      if (text !== undefined && !looksBinary(text)) all.push(...readEntries(path, text, distro, warnings, false));
    }
  }
  const index = new Index(all);
  const included = new Set(own.map((e) => e.pkg.id));
  for (const entry of own) {
    for (const group of [...relationshipGroups(field(entry.paragraph, "pre-depends")), ...relationshipGroups(field(entry.paragraph, "depends"))]) {
      for (const target of index.resolve(group, entry)) {
        if (target.pkg.id === entry.pkg.id) continue;
        if (!entry.pkg.dependsOn.includes(target.pkg.id)) entry.pkg.dependsOn.push(target.pkg.id);
        if (!included.has(target.pkg.id)) {
          included.add(target.pkg.id);
          result.packages.push(target.pkg);
        }
      }
    }
  }

  for (const entry of own) {
    addLicenses(entry, root, ctx);
    addFiles(entry, root, statusD, ctx, options);
  }
  warnings.flush();
  return result;
}

/** Parse one status file's paragraphs into installed packages; `report` false when re-reading a sibling. */
function readEntries(path: string, text: string, distro: Distro | undefined, warnings: Warnings, report: boolean): Entry[] {
  const warn = (message: string, line?: number) => {
    if (report) warnings.warn(message, line);
  };
  if (looksBinary(text)) {
    if (!report) return [];
    throw new VouchError("INPUT_MALFORMED", "a dpkg status database is text; this file holds binary data", { line: 1 });
  }
  const paragraphs = parseParagraphs(text, (p) => warn(p.message, p.line));
  if (report && text.trim() !== "" && !paragraphs.some((p) => p.fields.has("package"))) {
    throw new VouchError("INPUT_MALFORMED", "no paragraph with a Package field: not a dpkg status database", { line: 1 });
  }
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const p of paragraphs) {
    const name = field(p, "package");
    if (name === undefined) {
      warn("paragraph without a Package field; skipped", p.line);
      continue;
    }
    if (!NAME.test(name)) {
      warn(`Package ${JSON.stringify(name.slice(0, 60))} is not a valid package name; skipped`, p.line);
      continue;
    }
    const status = field(p, "status");
    // status.d (distroless) entries carry no Status field: every one of them is installed.
    const state = status === undefined ? (isDpkgStatusD(path) ? "installed" : undefined) : status.split(/\s+/)[2];
    if (state === undefined || !INSTALLED_STATES.has(state)) {
      warn(`${name}: not installed (Status: ${status ?? "missing"}); skipped`, p.fields.get("status")?.line ?? p.line);
      continue;
    }
    const version = field(p, "version");
    if (version === undefined || !VERSION.test(version)) {
      warn(`${name}: ${version === undefined ? "no Version field" : `Version ${JSON.stringify(version.slice(0, 60))} is not a Debian version`}; skipped`, p.fields.get("version")?.line ?? p.line);
      continue;
    }
    const arch = field(p, "architecture") ?? "";
    if (arch === "") warn(`${name}: no Architecture field`, p.line);
    const pkg = newPackage(name, version, arch, p, distro, status);
    if (seen.has(pkg.id)) {
      warn(`${name} ${version} (${arch}) listed twice; the first entry is kept`, p.line);
      continue;
    }
    seen.add(pkg.id);
    entries.push({ pkg, name, arch, paragraph: p, file: path });
  }
  return entries;
}

function newPackage(name: string, version: string, arch: string, p: Paragraph, distro: Distro | undefined, status: string | undefined): PackageRecord {
  const sourceField = field(p, "source");
  const source = sourceField ? /^(\S+)(?:\s+\(([^)]*)\))?/.exec(sourceField) : null;
  const sourceName = source?.[1] ?? name;
  const sourceVersion = source?.[2]?.trim() || version;
  const qualifiers: Record<string, string> = {};
  if (arch !== "") qualifiers.arch = arch;
  const dq = distroQualifier(distro);
  if (dq) qualifiers.distro = dq;
  if (source) qualifiers.upstream = source[2] ? `${sourceName}@${sourceVersion}` : sourceName;
  // Ubuntu, Raspbian, Kali... are namespaced by their own ID; a database without os-release is Debian's format.
  const namespace = distro && isLike(distro, "debian") ? distro.id : "debian";
  const purl = buildPurl("deb", { namespace, name, version, qualifiers });
  const pkg: PackageRecord = { id: purl, ecosystem: "deb", name, version, purl, hashes: [], scope: "required", dependsOn: [] };
  const maintainer = field(p, "maintainer");
  if (maintainer) pkg.supplier = maintainer.split("\n")[0];
  const description = field(p, "description")?.split("\n")[0]?.trim();
  if (description) pkg.description = description;
  const homepage = field(p, "homepage");
  if (homepage && /^https?:\/\/\S+$/i.test(homepage)) pkg.externalRefs = [{ type: "website", url: homepage }];
  addProperty(pkg, DEB_PROP.source, sourceName);
  addProperty(pkg, DEB_PROP.sourceVersion, sourceVersion);
  const size = field(p, "installed-size");
  if (size && /^\d{1,15}$/.test(size)) addProperty(pkg, DEB_PROP.installedSize, size);
  if (status && status.split(/\s+/)[2] !== "installed") addProperty(pkg, DEB_PROP.status, status);
  if (distro?.prettyName) addProperty(pkg, DEB_PROP.distro, distro.prettyName);
  return pkg;
}

/** Installed packages by name and by what they provide, for resolving Depends. */
class Index {
  private readonly byName = new Map<string, Entry[]>();
  private readonly byProvides = new Map<string, Entry[]>();

  constructor(entries: readonly Entry[]) {
    for (const e of entries) {
      push(this.byName, e.name, e);
      for (const group of relationshipGroups(field(e.paragraph, "provides"))) for (const virtual of group) push(this.byProvides, virtual, e);
    }
  }

  /**
   * The installed packages that satisfy one group of alternatives: each alternative that is installed (by
   * name, else by a package providing it). Among several architectures of one name (multi-arch), those of
   * the depending package's architecture (or `all`) are preferred.
   */
  resolve(alternatives: readonly string[], from: Entry): Entry[] {
    const out: Entry[] = [];
    for (const name of alternatives) {
      const candidates = this.byName.get(name) ?? this.byProvides.get(name) ?? [];
      const sameArch = candidates.filter((c) => c.arch === from.arch || c.arch === "all" || from.arch === "all");
      for (const c of sameArch.length > 0 ? sameArch : candidates) if (!out.includes(c)) out.push(c);
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function addLicenses(entry: Entry, root: string, ctx: CatalogContext): void {
  const text = ctx.readFile(`${root}usr/share/doc/${entry.name}/copyright`);
  if (text === undefined || looksBinary(text)) return;
  const licenses = licensesFromCopyright(text);
  if (licenses.length > 0) entry.pkg.licenseDeclared = licenses.length === 1 ? licenses[0]! : licenses;
}

/**
 * The files a package owns. The `.list` names every path it installed (directories included: a path that is
 * the parent of another listed path is a directory and is not counted); `.md5sums` gives the MD5 dpkg
 * recorded for each regular file (conffiles excluded, as dpkg writes it). Distroless images have only the
 * md5sums beside the status.d entry.
 */
function addFiles(entry: Entry, root: string, statusD: boolean, ctx: CatalogContext, options: OsCatalogOptions): void {
  const keys = entry.arch !== "" && entry.arch !== "all" ? [`${entry.name}:${entry.arch}`, entry.name] : [entry.name];
  const dir = statusD ? posix.dirname(entry.file) : `${root}var/lib/dpkg/info`;
  const read = (ext: string) => {
    for (const k of keys) {
      const text = ctx.readFile(`${dir}/${k}${ext}`);
      if (text !== undefined) return looksBinary(text) ? undefined : text;
    }
    // A status.d entry's file is named after the package; older distroless images named it otherwise.
    return statusD ? ctx.readFile(`${entry.file}${ext}`) : undefined;
  };
  const digests = new Map<string, string>();
  const md5sums = read(".md5sums");
  for (const line of md5sums?.split("\n") ?? []) {
    const m = /^([0-9a-fA-F]{32})\s+\*?(.+)$/.exec(line.trimEnd());
    if (m) digests.set(`/${m[2]!.replace(/^\/+/, "")}`, `md5:${m[1]!.toLowerCase()}`);
  }
  const list = statusD ? undefined : read(".list");
  let paths: string[];
  if (list !== undefined) {
    const all = new Set(list.split("\n").map((l) => l.trimEnd()).filter((l) => l.startsWith("/") && l !== "/."));
    const parents = new Set<string>();
    for (const p of all) for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1)) parents.add(p.slice(0, i));
    paths = [...all].filter((p) => !parents.has(p)).sort();
  } else if (md5sums !== undefined) {
    paths = [...digests.keys()].sort();
  } else {
    return;
  }
  addFileProperties(entry.pkg, PREFIX, paths.map((path) => ({ path, digest: digests.get(path) })), options);
}
