/**
 * OSV ecosystem strings and package names, as the OSV schema defines them
 * (https://ossf.github.io/osv-schema/#affectedpackage-field, "Defined ecosystems").
 *
 * An ecosystem string is a defined ecosystem name, optionally followed by `:` and a suffix whose meaning the
 * ecosystem defines: a release (`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS`,
 * `Rocky Linux:9`, `Red Hat:enterprise_linux:9::baseos`), or, for Maven, Packagist and VSCode, the URL of the
 * repository that is the package's source of truth (`Maven:https://maven.google.com`). Names are case-sensitive:
 * `pypi` is not an ecosystem, and an unknown name is reported as unknown, never mapped to a near miss.
 */

import { normalizePypiName } from "../../sbom/model/purl.js";

/**
 * Language purl types whose OSV ecosystem needs nothing but the type (OS package types need their distro: see
 * osv/purl.ts). Shared by the purl → OSV mapping and the version scheme of a purl type (versions/index.ts).
 */
export const LANGUAGE_PURL_ECOSYSTEMS: Readonly<Record<string, string>> = {
  npm: "npm",
  pypi: "PyPI",
  golang: "Go",
  cargo: "crates.io",
  gem: "RubyGems",
  composer: "Packagist",
  maven: "Maven",
  nuget: "NuGet",
  hex: "Hex",
  pub: "Pub",
  hackage: "Hackage",
  cran: "CRAN",
  conan: "ConanCenter",
  swift: "SwiftURL",
  bitnami: "Bitnami",
};

/** The ecosystem names osv-schema 1.7 defines (schema.json `ecosystemName`), plus `GIT` (ecosystem-less ranges). */
export const OSV_ECOSYSTEMS = [
  "AlmaLinux",
  "Alpaquita",
  "Alpine",
  "Android",
  "Azure Linux",
  "BellSoft Hardened Containers",
  "Bioconductor",
  "Bitnami",
  "Chainguard",
  "CleanStart",
  "ConanCenter",
  "CRAN",
  "crates.io",
  "Debian",
  "Docker Hardened Images",
  "Echo",
  "FreeBSD",
  "GHC",
  "GIT",
  "GitHub Actions",
  "Go",
  "Hackage",
  "Hex",
  "Julia",
  "Kubernetes",
  "Linux",
  "Mageia",
  "Maven",
  "MinimOS",
  "npm",
  "NuGet",
  "opam",
  "openEuler",
  "openSUSE",
  "OSS-Fuzz",
  "Packagist",
  "Photon OS",
  "Pub",
  "PyPI",
  "Red Hat",
  "Rocky Linux",
  "Root",
  "RubyGems",
  "SUSE",
  "SwiftURL",
  "TuxCare",
  "Ubuntu",
  "VSCode",
  "Wolfi",
] as const;

export type OsvEcosystemName = (typeof OSV_ECOSYSTEMS)[number];

const KNOWN: ReadonlySet<string> = new Set(OSV_ECOSYSTEMS);

/** Ecosystems whose suffix names a package repository (a URL without trailing slash), not a release. */
const REPOSITORY_SUFFIX: ReadonlySet<string> = new Set(["Maven", "Packagist", "VSCode"]);

/** Default repositories: an ecosystem string without a repository suffix means this one (per the schema). */
export const DEFAULT_REPOSITORY: Readonly<Record<string, string>> = {
  Maven: "https://repo.maven.apache.org/maven2",
  Packagist: "https://packagist.org",
  VSCode: "https://marketplace.visualstudio.com/vscode",
};

export interface ParsedEcosystem {
  /** The ecosystem name before the first `:` ("Debian", "Ubuntu", "Maven"). */
  ecosystem: string;
  /** Whether `ecosystem` is one of OSV_ECOSYSTEMS (exact case). */
  known: boolean;
  /** The release suffix: "12" for `Debian:12`, "v3.19" for `Alpine:v3.19`, "22.04:LTS" for `Ubuntu:22.04:LTS`. */
  release?: string;
  /** The repository suffix of Maven, Packagist and VSCode: "https://maven.google.com". */
  repository?: string;
}

/**
 * Split an OSV ecosystem string at its first `:`. Everything after it is the suffix (suffixes contain colons:
 * `Ubuntu:Pro:18.04:LTS`, `Maven:https://…`). An empty name or an empty suffix (`Debian:`) is not an ecosystem
 * string (schema pattern `(:.+)?`): undefined.
 *
 * @example parseEcosystem("Debian:12") // { ecosystem: "Debian", known: true, release: "12" }
 */
export function parseEcosystem(value: string): ParsedEcosystem | undefined {
  const colon = value.indexOf(":");
  const ecosystem = colon < 0 ? value : value.slice(0, colon);
  const suffix = colon < 0 ? undefined : value.slice(colon + 1);
  if (ecosystem === "" || suffix === "" || [...value].some((c) => c < " " || c === "\u007f")) return undefined;
  const parsed: ParsedEcosystem = { ecosystem, known: KNOWN.has(ecosystem) };
  if (suffix !== undefined) {
    if (REPOSITORY_SUFFIX.has(ecosystem)) parsed.repository = suffix;
    else parsed.release = suffix;
  }
  return parsed;
}

/** The ecosystem string for a name and an optional release or repository: the inverse of parseEcosystem. */
export function ecosystemString(ecosystem: string, suffix?: string): string {
  return suffix === undefined ? ecosystem : `${ecosystem}:${suffix}`;
}

export { normalizePypiName };

/**
 * A package name in the form OSV records name it, so that two spellings of one package compare equal:
 * - PyPI: PEP 503 normalised (`Flask_Cors` and `flask-cors` are one project; the schema says names are normalised).
 * - NuGet: lower case (package ids are case-insensitive; advisories write `Newtonsoft.Json`, lock files vary).
 * - Packagist: lower case (Composer names are case-insensitive and lower case by convention).
 * - Maven: `groupId:artifactId`, as given (Maven coordinates are case-sensitive).
 * - Go: the module path as given (module paths are case-sensitive; `stdlib` and `toolchain` are OSV's names for
 *   the standard library and the go command).
 * - npm: as given, scope included (`@babel/core`): the registry is case-sensitive for the legacy upper-case names.
 * - everything else (crates.io, RubyGems, Debian, Alpine, RPM-based…): as given.
 * Surrounding whitespace is never part of a name.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  const n = name.trim();
  const base = ecosystem.includes(":") ? ecosystem.slice(0, ecosystem.indexOf(":")) : ecosystem;
  switch (base) {
    case "PyPI":
      return normalizePypiName(n);
    case "NuGet":
    case "Packagist":
      return n.toLowerCase();
    default:
      return n;
  }
}

/**
 * Whether two repository URLs name the same repository (trailing slashes and the scheme's case do not matter;
 * Maven Central's two host names are one repository).
 */
export function sameRepository(a: string, b: string): boolean {
  const norm = (u: string) =>
    u
      .trim()
      .replace(/\/+$/, "")
      .replace(/^https?:\/\//i, "https://")
      .replace(/^https:\/\/repo1\.maven\.org\/maven2$/i, "https://repo.maven.apache.org/maven2")
      .toLowerCase();
  return norm(a) === norm(b);
}
