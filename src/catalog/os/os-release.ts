import type { CatalogContext } from "../types.js";

/**
 * The distribution an OS package database belongs to, from os-release(5): `/etc/os-release`, falling back to
 * `/usr/lib/os-release` (the file systemd names as the vendor's copy; /etc/os-release is often a symlink to it).
 * OS package purls carry it as a namespace and a `distro` qualifier, the way syft and grype write them:
 * `pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12`.
 */
export interface Distro {
  /** ID, lower-case ("debian", "ubuntu", "alpine", "rhel", "fedora"). */
  id: string;
  /** VERSION_ID ("12", "3.19.1", "9.3"), when set (Debian testing/sid have none). */
  versionId?: string;
  /** VERSION_CODENAME ("bookworm"). */
  versionCodename?: string;
  /** BUILD_ID, for rolling distributions that have no VERSION_ID. */
  buildId?: string;
  /** ID_LIKE, split on spaces ("rhel centos fedora"). */
  idLike: string[];
  /** PRETTY_NAME, for display. */
  prettyName?: string;
}

/** The os-release files in the order os-release(5) says to read them (root-relative). */
export const OS_RELEASE_PATHS = ["etc/os-release", "usr/lib/os-release"] as const;

/** os-release is a few hundred bytes; anything much longer is not one and is not parsed past this. */
const MAX_OS_RELEASE_CHARS = 64 * 1024;

/**
 * Parse os-release text (shell-compatible `KEY=value` lines; values unquoted or in single or double quotes,
 * with backslash escapes inside double quotes). undefined when it names no ID.
 */
export function parseOsRelease(text: string): Distro | undefined {
  const vars = new Map<string, string>();
  for (const raw of text.slice(0, MAX_OS_RELEASE_CHARS).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    vars.set(m[1]!, unquote(m[2]!));
  }
  const id = clean(vars.get("ID"))?.toLowerCase();
  if (!id) return undefined;
  const distro: Distro = { id, idLike: (clean(vars.get("ID_LIKE")) ?? "").toLowerCase().split(/\s+/).filter(Boolean) };
  const versionId = clean(vars.get("VERSION_ID"));
  if (versionId) distro.versionId = versionId;
  const codename = clean(vars.get("VERSION_CODENAME"));
  if (codename) distro.versionCodename = codename;
  const buildId = clean(vars.get("BUILD_ID"));
  if (buildId) distro.buildId = buildId;
  const pretty = clean(vars.get("PRETTY_NAME"));
  if (pretty) distro.prettyName = pretty;
  return distro;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(["\\`$])/g, "$1");
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}

/** A value that can go into a purl qualifier: no whitespace or control characters, bounded length. */
function clean(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v || v.length > 256 || [...v].some((c) => c < " " || c === "\u007f")) return undefined;
  return v;
}

/**
 * The distro of the root `root` ("" for the source's root, "path/to/rootfs/" for a rootfs inside a scanned tree),
 * read through the catalog context: /etc/os-release, else /usr/lib/os-release. undefined when neither names one.
 */
export function readDistro(ctx: Pick<CatalogContext, "readFile">, root = ""): Distro | undefined {
  for (const path of OS_RELEASE_PATHS) {
    const text = ctx.readFile(`${root}${path}`);
    if (text === undefined) continue;
    const distro = parseOsRelease(text);
    if (distro) return distro;
  }
  return undefined;
}

/**
 * The purl `distro` qualifier as syft writes it: `<ID>-<VERSION_ID>` ("debian-12", "alpine-3.19.1", "rhel-9.3"),
 * `<ID>-<BUILD_ID>` for rolling releases, `<ID>` alone when neither is set.
 */
export function distroQualifier(distro: Distro | undefined): string | undefined {
  if (!distro) return undefined;
  const version = distro.versionId ?? distro.buildId;
  return version ? `${distro.id}-${version}` : distro.id;
}

/** True when the distro is `family` or says it is like it (ID_LIKE): Ubuntu and Raspbian are Debian-like. */
export function isLike(distro: Distro | undefined, family: string): boolean {
  return distro !== undefined && (distro.id === family || distro.idLike.includes(family));
}

/**
 * The folder a package database lives under, given its path and the database's root-relative location:
 * "" for `var/lib/dpkg/status`, "images/debian/" for `images/debian/var/lib/dpkg/status` (a rootfs inside a
 * scanned tree). undefined when `path` is not that database.
 */
export function rootOf(path: string, dbPath: string): string | undefined {
  if (path === dbPath) return "";
  return path.endsWith(`/${dbPath}`) ? path.slice(0, path.length - dbPath.length) : undefined;
}
