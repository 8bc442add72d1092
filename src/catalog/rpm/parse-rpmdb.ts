import Database from "better-sqlite3";
import { VouchError } from "../../core/errors.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";
import { addFileProperties, addProperty, Warnings, type OsCatalogOptions } from "../os/common.js";
import { distroQualifier, readDistro, rootOf, type Distro } from "../os/os-release.js";
import { BdbError, readBerkeleyHashValues } from "./bdb.js";
import { HeaderError, RpmHeader, TAG } from "./header.js";

/**
 * Installed RPM packages from the rpm database's SQLite backend, `rpmdb.sqlite` (RHEL 9, Fedora 33+, CentOS
 * Stream 9, Rocky/Alma 9, Amazon Linux 2023, Mariner 2): table `Packages (hnum, blob)` with one RPM header blob
 * per package (see header.ts). The database is opened from its bytes, in memory: nothing is written anywhere.
 *
 * The purl follows syft: `pkg:rpm/<distro id>/<name>@<version>-<release>?arch=<arch>&epoch=<e>&upstream=<source
 * rpm>&distro=<id>-<version_id>`, with `rhel` namespaced `redhat` and openSUSE flavours `opensuse`; without
 * os-release the namespace comes from the Vendor tag when it names a known distributor. The component version is
 * `[epoch:]version-release`, as syft and rpm itself (`%{EVR}`) write it. gpg-pubkey entries (imported signing
 * keys, not software) are left out, as syft and trivy do.
 */

const PREFIX = "vouch:rpm";
const SQLITE_PATHS = ["var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"] as const;
const BDB_PATH = "var/lib/rpm/Packages";
const NDB_PATHS = ["var/lib/rpm/Packages.db", "usr/lib/sysimage/rpm/Packages.db"] as const;

export const RPM_PROP = {
  sourceRpm: `${PREFIX}:sourceRpm`,
  vendor: `${PREFIX}:vendor`,
  size: `${PREFIX}:size`,
  fileCount: `${PREFIX}:fileCount`,
  file: `${PREFIX}:file`,
  distro: "vouch:os:distro",
} as const;

/** FILEDIGESTALGO values (rpm's pgpHashAlgo, RFC 4880 9.4) to the prefixes vouch writes digests with. */
const DIGEST_ALGO: Record<number, string> = { 1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224" };

export function rpmDbRoot(path: string): string | undefined {
  for (const db of SQLITE_PATHS) {
    const root = rootOf(path, db);
    if (root !== undefined) return root;
  }
  return undefined;
}

export function createRpmCatalogers(options: OsCatalogOptions = {}): Cataloger[] {
  return [
    {
      name: "rpm-sqlite",
      ecosystem: "rpm",
      reads: "bytes",
      matches: (path) => rpmDbRoot(path) !== undefined,
      parse: (file, ctx) => parseRpmSqlite(file, ctx, options),
    },
    {
      name: "rpm-bdb",
      ecosystem: "rpm",
      reads: "bytes",
      matches: (path) => rootOf(path, BDB_PATH) !== undefined,
      parse: (file, ctx) => parseRpmBdb(file, ctx, options),
    },
    {
      name: "rpm-ndb",
      ecosystem: "rpm",
      reads: "bytes",
      matches: (path) => NDB_PATHS.some((db) => rootOf(path, db) !== undefined),
      parse: () => {
        // SUSE's own backend (openSUSE/SLES 15.3+): named so that a user sees the packages were not read.
        throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "rpm ndb databases (Packages.db, SUSE) are not read yet: the packages of this image are not listed");
      },
    },
  ];
}

/**
 * The legacy Berkeley DB backend, `var/lib/rpm/Packages` (RHEL/CentOS 7 and 8, Amazon Linux 2): a hash
 * database whose values are the same header blobs (bdb.ts). Its key-0 record (rpm's instance counter, four
 * bytes) is not a header and is left out.
 */
export function parseRpmBdb(file: SourceFile, ctx: CatalogContext, options: OsCatalogOptions = {}): ParseResult {
  const bytes = file.bytes ?? new TextEncoder().encode(file.text);
  let values: Uint8Array[];
  try {
    values = readBerkeleyHashValues(bytes);
  } catch (err) {
    if (err instanceof BdbError) throw new VouchError("INPUT_MALFORMED", `Berkeley DB rpm database: ${err.message}`, { cause: err });
    throw err;
  }
  const blobs = values.filter((v) => v.byteLength > 8).map((blob, i) => ({ hnum: i + 1, blob }));
  const distro = readDistro(ctx, rootOf(file.path, BDB_PATH) ?? "");
  return packagesFromHeaders(blobs, distro, ctx, options);
}

export function parseRpmSqlite(file: SourceFile, ctx: CatalogContext, options: OsCatalogOptions = {}): ParseResult {
  const bytes = file.bytes ?? new TextEncoder().encode(file.text);
  const blobs = readSqliteBlobs(bytes);
  const distro = readDistro(ctx, rpmDbRoot(file.path) ?? "");
  return packagesFromHeaders(blobs, distro, ctx, options);
}

/** The header blobs of an rpmdb.sqlite, in hnum order. */
export function readSqliteBlobs(bytes: Uint8Array): { hnum: number; blob: Uint8Array }[] {
  if (bytes.byteLength < 100 || Buffer.from(bytes.subarray(0, 16)).toString("latin1") !== "SQLite format 3\u0000") {
    throw new VouchError("INPUT_MALFORMED", "not a SQLite database (no \"SQLite format 3\" header)", { line: 1 });
  }
  // A copy: the WAL flags are cleared so SQLite reads the main file in memory (a deserialized database cannot
  // open its -wal file), and the caller's bytes stay untouched.
  const copy = Buffer.from(bytes);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(copy);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `SQLite cannot open the rpm database: ${(err as Error).message}`, { cause: err });
  }
  try {
    // A hostile database could make Packages a view over an endless recursive query: only a table is read.
    const kind = db.prepare("SELECT type FROM sqlite_master WHERE name = 'Packages'").pluck().get() as string | undefined;
    if (kind !== "table") throw new VouchError("INPUT_MALFORMED", kind === undefined ? "no Packages table: not an rpm database" : `Packages is a ${kind}, not a table`);
    const rows = db.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").all() as { hnum: unknown; blob: unknown }[];
    return rows.flatMap((r) => (typeof r.hnum === "number" && r.blob instanceof Uint8Array ? [{ hnum: r.hnum, blob: r.blob }] : []));
  } catch (err) {
    if (err instanceof VouchError) throw err;
    throw new VouchError("INPUT_MALFORMED", `the rpm database cannot be read: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}

interface Entry {
  pkg: PackageRecord;
  requires: string[];
}

/** Packages from header blobs (any backend), with edges from Requires to the installed packages' Provides and files. */
export function packagesFromHeaders(
  blobs: readonly { hnum: number; blob: Uint8Array }[],
  distro: Distro | undefined,
  ctx: CatalogContext,
  options: OsCatalogOptions,
): ParseResult {
  const warnings = new Warnings(ctx);
  const entries: Entry[] = [];
  const providers = new Map<string, Entry[]>();
  const seen = new Set<string>();
  for (const { hnum, blob } of blobs) {
    let header: RpmHeader;
    let entry: Entry | undefined;
    let files: { path: string; digest?: string }[];
    try {
      header = RpmHeader.parse(blob);
      const name = header.string(TAG.NAME);
      if (name === "gpg-pubkey") continue;
      entry = newEntry(header, distro);
      files = ownedFiles(header);
    } catch (err) {
      if (!(err instanceof HeaderError)) throw err;
      warnings.warn(`package header ${hnum}: ${err.message}; skipped`);
      continue;
    }
    if (!entry) {
      warnings.warn(`package header ${hnum}: no name or version; skipped`);
      continue;
    }
    if (seen.has(entry.pkg.id)) continue;
    seen.add(entry.pkg.id);
    addFileProperties(entry.pkg, PREFIX, files.filter((f) => f.path !== ""), options);
    entries.push(entry);
    for (const p of [entry.pkg.name, ...header.strings(TAG.PROVIDENAME), ...files.map((f) => f.path)]) {
      const list = providers.get(p);
      if (!list) providers.set(p, [entry]);
      else if (!list.includes(entry)) list.push(entry);
    }
  }
  for (const e of entries) {
    for (const req of e.requires) {
      if (req.startsWith("rpmlib(") || req.startsWith("config(")) continue;
      for (const target of providers.get(req) ?? []) {
        if (target !== e && !e.pkg.dependsOn.includes(target.pkg.id)) e.pkg.dependsOn.push(target.pkg.id);
      }
    }
  }
  if (blobs.length > 0 && entries.length === 0 && !blobs.every((b) => isPubkey(b.blob))) {
    warnings.flush();
    throw new VouchError("INPUT_MALFORMED", "no package header of the rpm database could be read");
  }
  warnings.flush();
  return { directDependencies: [], packages: entries.map((e) => e.pkg) };
}

function isPubkey(blob: Uint8Array): boolean {
  try {
    return RpmHeader.parse(blob).string(TAG.NAME) === "gpg-pubkey";
  } catch {
    return false;
  }
}

function newEntry(h: RpmHeader, distro: Distro | undefined): Entry | undefined {
  const name = h.string(TAG.NAME);
  const version = h.string(TAG.VERSION);
  const release = h.string(TAG.RELEASE);
  if (!name || !version || /\s/.test(name) || /\s/.test(version)) return undefined;
  const epoch = h.has(TAG.EPOCH) ? h.int(TAG.EPOCH) : undefined;
  const arch = h.string(TAG.ARCH);
  const sourceRpm = h.string(TAG.SOURCERPM);
  const vendor = h.string(TAG.VENDOR);
  const vr = release ? `${version}-${release}` : version;
  const qualifiers: Record<string, string> = {};
  if (arch) qualifiers.arch = arch;
  if (epoch !== undefined) qualifiers.epoch = String(epoch);
  if (sourceRpm && sourceRpm !== "(none)") qualifiers.upstream = sourceRpm;
  const dq = distroQualifier(distro);
  if (dq) qualifiers.distro = dq;
  const purl = buildPurl("rpm", { namespace: rpmNamespace(distro, vendor), name, version: vr, qualifiers });
  const pkg: PackageRecord = {
    id: purl,
    ecosystem: "rpm",
    name,
    version: epoch !== undefined ? `${epoch}:${vr}` : vr,
    purl,
    hashes: [],
    scope: "required",
    dependsOn: [],
  };
  const license = h.string(TAG.LICENSE);
  if (license) pkg.licenseDeclared = license;
  if (vendor) pkg.supplier = vendor;
  const summary = h.string(TAG.SUMMARY);
  if (summary) pkg.description = summary;
  const url = h.string(TAG.URL);
  if (url && /^https?:\/\/\S+$/i.test(url)) pkg.externalRefs = [{ type: "website", url }];
  if (sourceRpm && sourceRpm !== "(none)") addProperty(pkg, RPM_PROP.sourceRpm, sourceRpm);
  if (vendor) addProperty(pkg, RPM_PROP.vendor, vendor);
  const size = h.int(TAG.SIZE);
  if (size !== undefined) addProperty(pkg, RPM_PROP.size, String(size));
  if (distro?.prettyName) addProperty(pkg, RPM_PROP.distro, distro.prettyName);
  return { pkg, requires: [...new Set(h.strings(TAG.REQUIRENAME))] };
}

/** syft's namespaces: the os-release ID, with rhel as "redhat" and every openSUSE flavour as "opensuse". */
export function rpmNamespace(distro: Distro | undefined, vendor: string | undefined): string | undefined {
  const id = distro?.id ?? vendorNamespace(vendor);
  if (id === undefined) return undefined;
  if (id === "rhel") return "redhat";
  if (id.startsWith("opensuse")) return "opensuse";
  return id;
}

function vendorNamespace(vendor: string | undefined): string | undefined {
  if (!vendor) return undefined;
  const known: [RegExp, string][] = [
    [/^Red Hat/i, "redhat"],
    [/^Fedora/i, "fedora"],
    [/^CentOS/i, "centos"],
    [/^Rocky/i, "rocky"],
    [/^AlmaLinux/i, "almalinux"],
    [/^Amazon/i, "amzn"],
    [/^openSUSE/i, "opensuse"],
    [/^SUSE/i, "sles"],
    [/^Oracle/i, "ol"],
    [/^Microsoft/i, "mariner"],
  ];
  return known.find(([re]) => re.test(vendor))?.[1];
}

/** dirnames[dirindexes[i]] + basenames[i], with the FILEDIGESTS entry in the FILEDIGESTALGO (MD5 by default). */
function ownedFiles(h: RpmHeader): { path: string; digest?: string; dir: boolean }[] {
  const basenames = h.strings(TAG.BASENAMES);
  if (basenames.length === 0) return [];
  const dirnames = h.strings(TAG.DIRNAMES);
  const dirindexes = h.ints(TAG.DIRINDEXES);
  const digests = h.strings(TAG.FILEDIGESTS);
  const modes = h.ints(TAG.FILEMODES);
  const algo = DIGEST_ALGO[h.int(TAG.FILEDIGESTALGO) ?? 1] ?? "unknown";
  const out: { path: string; digest?: string; dir: boolean }[] = [];
  for (let i = 0; i < basenames.length; i++) {
    const dir = dirnames[dirindexes[i] ?? -1];
    if (dir === undefined) throw new HeaderError(`file ${i} names directory index ${dirindexes[i]}, past the ${dirnames.length} directories`);
    const digest = digests[i] && /^[0-9a-f]+$/.test(digests[i]!) ? `${algo}:${digests[i]}` : undefined;
    // S_IFDIR: a directory the package owns is not one of its files.
    const isDir = ((modes[i] ?? 0) & 0o170000) === 0o040000;
    out.push({ path: `${dir}${basenames[i]}`, digest, dir: isDir });
  }
  return out.filter((f) => !f.dir);
}
