import { VouchError } from "../../core/errors.js";
import { isValidSpdxExpression } from "../../sbom/model/license.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { addFileProperties, addProperty, looksBinary, Warnings, type OsCatalogOptions } from "../os/common.js";
import { distroQualifier, readDistro, rootOf, type Distro } from "../os/os-release.js";

/**
 * Installed Alpine (and Wolfi, Chainguard, postmarketOS) packages from apk's database `lib/apk/db/installed`
 * (https://wiki.alpinelinux.org/wiki/Apk_spec): one block of `X:value` lines per package, blocks separated by
 * a blank line. P name, V version, A arch, L license, o origin (the source package, an aport), m maintainer,
 * T description, U url, I installed size, C checksum of the package's control segment ("Q1" + base64 SHA-1),
 * c aports commit, D dependencies, p provides, k provider priority, F/R/Z the owned files (F a directory, R a
 * file in it, Z the file's checksum).
 *
 * Dependencies name packages, `so:` shared objects, `cmd:` commands, `pc:` pkg-config modules or file paths:
 * each is resolved through the packages' names and `p:` provides (the provider with the highest k: priority);
 * conflicts (`!name`) are not edges. The purl is syft's:
 * `pkg:apk/alpine/<name>@<version>?arch=<arch>&distro=alpine-<version_id>`, `upstream=<origin>` when the origin
 * differs from the name.
 */

const DB = "lib/apk/db/installed";
const PREFIX = "vouch:apk";

export const APK_PROP = {
  origin: `${PREFIX}:origin`,
  checksum: `${PREFIX}:checksum`,
  commit: `${PREFIX}:commit`,
  installedSize: `${PREFIX}:installedSize`,
  fileCount: `${PREFIX}:fileCount`,
  file: `${PREFIX}:file`,
  distro: "vouch:os:distro",
} as const;

/** apk package names: Alpine's abuild allows these characters (upper case exists in old packages). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
/** apk versions (apk_version_validate, loosely): digits and dots, letter, _suffix, -rN. */
const VERSION = /^[0-9][A-Za-z0-9._+~-]*$/;

export function isApkInstalled(path: string): boolean {
  return rootOf(path, DB) !== undefined;
}

export function createApkCatalogers(options: OsCatalogOptions = {}): Cataloger[] {
  return [{ name: "apk-installed", ecosystem: "apk", matches: isApkInstalled, parse: (file, ctx) => parseApkInstalled(file, ctx, options) }];
}

interface Block {
  line: number;
  /** Single-valued fields (the first occurrence). */
  fields: Map<string, string>;
  files: { path: string; digest?: string }[];
}

interface Entry {
  pkg: PackageRecord;
  block: Block;
  priority: number;
}

export function parseApkInstalled(file: SourceFile, ctx: CatalogContext, options: OsCatalogOptions = {}): ParseResult {
  if (looksBinary(file.text)) throw new VouchError("INPUT_MALFORMED", "an apk installed database is text; this file holds binary data", { line: 1 });
  const warnings = new Warnings(ctx);
  const blocks = readBlocks(file.text, warnings);
  if (file.text.trim() !== "" && !blocks.some((b) => b.fields.has("P"))) {
    throw new VouchError("INPUT_MALFORMED", "no block with a P: (package name) line: not an apk installed database", { line: 1 });
  }
  const distro = readDistro(ctx, rootOf(file.path, DB) ?? "");

  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const block of blocks) {
    const name = block.fields.get("P");
    const version = block.fields.get("V");
    if (name === undefined || !NAME.test(name)) {
      warnings.warn(name === undefined ? "package block without a P: line; skipped" : `P:${JSON.stringify(name.slice(0, 60))} is not a package name; skipped`, block.line);
      continue;
    }
    if (version === undefined || !VERSION.test(version)) {
      warnings.warn(`${name}: ${version === undefined ? "no V: line" : `V:${JSON.stringify(version.slice(0, 60))} is not an apk version`}; skipped`, block.line);
      continue;
    }
    const pkg = newPackage(name, version, block, distro, options);
    if (seen.has(pkg.id)) {
      warnings.warn(`${name} ${version} listed twice; the first block is kept`, block.line);
      continue;
    }
    seen.add(pkg.id);
    const k = Number(block.fields.get("k") ?? "0");
    entries.push({ pkg, block, priority: Number.isFinite(k) ? k : 0 });
  }

  const byName = new Map(entries.map((e) => [e.pkg.name, e]));
  const providers = new Map<string, Entry[]>();
  for (const e of entries) {
    for (const p of (e.block.fields.get("p") ?? "").split(/\s+/)) if (p !== "") addProvider(providers, stripConstraint(p), e);
  }
  for (const e of entries) {
    for (const dep of (e.block.fields.get("D") ?? "").split(/\s+/)) {
      if (dep === "" || dep.startsWith("!")) continue;
      const wanted = stripConstraint(dep);
      const target = byName.get(wanted) ?? best(providers.get(wanted));
      if (target && target !== e && !e.pkg.dependsOn.includes(target.pkg.id)) e.pkg.dependsOn.push(target.pkg.id);
    }
  }
  warnings.flush();
  return { directDependencies: [], packages: entries.map((e) => e.pkg) };
}

/** Split the database into blocks; multi-valued lines (F, R, Z, a, M) build the file list as they come. */
function readBlocks(text: string, warnings: Warnings): Block[] {
  const blocks: Block[] = [];
  let block: Block | undefined;
  let dir = "";
  let lastFile: { path: string; digest?: string } | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line === "") {
      block = undefined;
      continue;
    }
    if (line.length < 2 || line[1] !== ":" || !/[A-Za-z]/.test(line[0]!)) {
      warnings.warn(`not a "X:value" line: ${JSON.stringify(line.slice(0, 60))}`, i + 1);
      continue;
    }
    if (!block) {
      block = { line: i + 1, fields: new Map(), files: [] };
      blocks.push(block);
      dir = "";
      lastFile = undefined;
    }
    const key = line[0]!;
    const value = line.slice(2);
    switch (key) {
      case "F":
        dir = value.replace(/^\/+|\/+$/g, "");
        lastFile = undefined;
        break;
      case "R":
        lastFile = { path: `/${dir === "" ? "" : `${dir}/`}${value}` };
        block.files.push(lastFile);
        break;
      case "Z":
        if (lastFile) lastFile.digest = apkDigest(value);
        break;
      case "a":
      case "M":
        break;
      default:
        if (!block.fields.has(key)) block.fields.set(key, value);
        else warnings.warn(`${key}: line repeated in one package block (a lost blank line?); the first one is kept`, i + 1);
    }
  }
  return blocks;
}

function newPackage(name: string, version: string, block: Block, distro: Distro | undefined, options: OsCatalogOptions): PackageRecord {
  const f = (k: string) => {
    const v = block.fields.get(k)?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const arch = f("A");
  const origin = f("o");
  const qualifiers: Record<string, string> = {};
  if (arch) qualifiers.arch = arch;
  const dq = distroQualifier(distro);
  if (dq) qualifiers.distro = dq;
  if (origin && origin !== name) qualifiers.upstream = origin;
  const purl = buildPurl("apk", { namespace: distro?.id ?? "alpine", name, version, qualifiers });
  const pkg: PackageRecord = { id: purl, ecosystem: "apk", name, version, purl, hashes: [], scope: "required", dependsOn: [] };
  const license = f("L");
  if (license) pkg.licenseDeclared = isValidSpdxExpression(license) ? license : license.split(/\s+/);
  const maintainer = f("m");
  if (maintainer) pkg.supplier = maintainer;
  const description = f("T");
  if (description) pkg.description = description;
  const url = f("U");
  if (url && /^https?:\/\/\S+$/i.test(url)) pkg.externalRefs = [{ type: "website", url }];
  addProperty(pkg, APK_PROP.origin, origin ?? name);
  const checksum = f("C");
  if (checksum) addProperty(pkg, APK_PROP.checksum, checksum);
  const commit = f("c");
  if (commit && /^[0-9a-f]{7,64}$/.test(commit)) addProperty(pkg, APK_PROP.commit, commit);
  const size = f("I");
  if (size && /^\d{1,15}$/.test(size)) addProperty(pkg, APK_PROP.installedSize, size);
  if (distro?.prettyName) addProperty(pkg, APK_PROP.distro, distro.prettyName);
  addFileProperties(pkg, PREFIX, block.files, options);
  return pkg;
}

/** "Q1<base64 SHA-1>" / "Q2<base64 SHA-256>" (apk's checksum encoding) as "<alg>:<hex>"; undefined otherwise. */
export function apkDigest(value: string): string | undefined {
  const m = /^Q([12])([A-Za-z0-9+/]+={0,2})$/.exec(value.trim());
  if (!m) return undefined;
  const bytes = Buffer.from(m[2]!, "base64");
  const [alg, len] = m[1] === "1" ? ["sha1", 20] : ["sha256", 32];
  return bytes.length === len ? `${alg}:${bytes.toString("hex")}` : undefined;
}

/** "so:libc.musl-x86_64.so.1=1" -> "so:libc.musl-x86_64.so.1"; "busybox>=1.36" -> "busybox". */
function stripConstraint(dep: string): string {
  return dep.split(/[<>=~]/)[0]!;
}

function addProvider(map: Map<string, Entry[]>, name: string, e: Entry): void {
  if (name === "") return;
  const list = map.get(name);
  if (!list) map.set(name, [e]);
  else if (!list.includes(e)) list.push(e);
}

/** The provider with the highest provider priority (k:), the first on a tie. */
function best(candidates: Entry[] | undefined): Entry | undefined {
  if (!candidates || candidates.length === 0) return undefined;
  return candidates.reduce((a, b) => (b.priority > a.priority ? b : a));
}
