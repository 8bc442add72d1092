import type { Cataloger } from "../../types.js";

/**
 * Which files of an image keep their content in the squashed view. Everything else keeps metadata only
 * (path, type, size, mode, link target, layer): that is what bounds memory by layer metadata, not layer size.
 *
 * A file is wanted when
 *  1. a cataloger matches it (`matches(path)`, the same test the catalog makes) and the image source lists it
 *     (see `isListed`: nothing under .git, no lockfiles that packages ship inside node_modules), or
 *  2. a cataloger reads it through ctx.readFile/readBytes while parsing another file: COMPANION_RULES below
 *     (os-release, dpkg info lists, copyright files, package.json beside node_modules entries, dist-info
 *     files, the manifests beside lockfiles), or
 *  3. a cataloger says so itself: a cataloger object may carry an optional `wants(path, entry)` (see
 *     ImageAwareCataloger). That is how a cataloger folder extends the set without touching this file, e.g.
 *     a binary cataloger that wants executable regular files under a size: `wants: (p, e) => (e.mode & 0o111) !== 0`.
 *
 * The decision is made from the path and the tar header alone, while the layer streams past: content that
 * was not kept cannot be read later (ctx.readFile answers undefined, as for an unreadable file).
 */

/** What the tar header says about a file, for `wants` decisions. */
export interface WantedEntry {
  size: number;
  mode: number;
}

export type WantsPredicate = (path: string, entry: WantedEntry) => boolean;

/** A cataloger that may also name the files it reads through ctx while parsing (optional, duck-typed). */
export type ImageAwareCataloger = Cataloger & { wants?: WantsPredicate };

/** Version-control folders: never listed. */
const SKIP_SEGMENTS = new Set([".git", ".hg", ".svn"]);
/**
 * Lockfiles that installed packages ship inside node_modules (a package's own development lockfile): they
 * describe how the package was developed, not what is installed, so they are not listed (trivy skips them
 * too). npm's hidden lockfile, node_modules/.package-lock.json, is the installed tree's own record: listed.
 */
const NESTED_LOCKFILES = new Set(["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"]);

/**
 * True when the image source offers this path in files() (cataloger matching happens on these only): every
 * regular file but those under .git/.hg/.svn and the lockfiles packages ship inside node_modules. Unlike a
 * source tree, an image's node_modules is listed: installed packages' package.json are what it has.
 */
export function isListed(path: string): boolean {
  const segments = path.split("/");
  let inNodeModules = false;
  for (let i = 0; i < segments.length - 1; i++) {
    if (SKIP_SEGMENTS.has(segments[i]!)) return false;
    if (segments[i] === "node_modules") inNodeModules = true;
  }
  return !(inNodeModules && NESTED_LOCKFILES.has(segments[segments.length - 1]!));
}

/** Base names of manifests and sidecars that catalogers read beside the file they parse. */
const COMPANION_BASENAMES = new Set([
  // npm: the project manifest beside a lockfile, and node_modules/<pkg>/package.json for installed trees.
  "package.json",
  // go.mod's checksums; composer.json beside composer.lock; pyproject/Pipfile beside Python lockfiles.
  "go.sum",
  "composer.json",
  "pyproject.toml",
  "Pipfile",
  "Gemfile",
  // Gradle and NuGet settings read beside their lockfiles.
  "settings.gradle",
  "settings.gradle.kts",
  "gradle.properties",
  "Directory.Packages.props",
  "Directory.Build.props",
  // Java archives' metadata when unpacked (exploded wars, Maven repositories in images).
  "pom.properties",
  "MANIFEST.MF",
  // Release files that name the distribution (os-release is read by the OS catalogers for purl qualifiers).
  "os-release",
  "lsb-release",
  "debian_version",
  "alpine-release",
  "redhat-release",
  "centos-release",
  "system-release",
]);

/** Path patterns of files catalogers read through ctx (OS package databases and their sidecars). */
export const COMPANION_RULES: readonly RegExp[] = [
  /\.(csproj|fsproj|vbproj)$/,
  // Python: every file of an installed distribution's metadata folder (METADATA, RECORD, top_level.txt, ...).
  /\.(dist|egg)-info(\/|$)/,
  /(^|\/)EGG-INFO\//,
  // dpkg: the status database, distroless status.d, and the per-package file lists and digests.
  /^var\/lib\/dpkg\/(status|available)$/,
  /^var\/lib\/dpkg\/status\.d\//,
  /^var\/lib\/dpkg\/info\/[^/]+\.(list|md5sums|conffiles)$/,
  // Debian machine-readable copyright files (licenses).
  /^usr\/share\/doc\/[^/]+\/copyright$/,
  // apk, rpm databases.
  /^lib\/apk\/db\/installed$/,
  /^(var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/(rpmdb\.sqlite|Packages|Packages\.db)$/,
  // .NET: deps.json files (installed applications), Ruby: installed gemspecs.
  /\.deps\.json$/,
  /\/specifications\/[^/]+\.gemspec$/,
];

/** True when a cataloger reads this path as a companion of the file it parses. */
export function isCompanion(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (COMPANION_BASENAMES.has(base)) return true;
  return COMPANION_RULES.some((r) => r.test(path));
}

/**
 * The wanted-files predicate for a list of catalogers (plus `extra`, e.g. from options): see the module
 * comment for the three reasons a file is kept.
 */
export function wantsFor(catalogers: readonly ImageAwareCataloger[], extra?: WantsPredicate): WantsPredicate {
  const own = catalogers.map((c) => c.wants).filter((w): w is WantsPredicate => typeof w === "function");
  return (path, entry) =>
    (isListed(path) && catalogers.some((c) => c.matches(path))) || isCompanion(path) || own.some((w) => w(path, entry)) || (extra?.(path, entry) ?? false);
}
