/**
 * The version scheme of each OSV ecosystem: how `ECOSYSTEM` ranges and `versions` lists of an `affected` entry are
 * ordered (SEMVER ranges always use `semver`, whatever the ecosystem).
 *
 * `schemeForEcosystem` takes the ecosystem string as an OSV record or a purl mapping writes it, with its optional
 * suffix (`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS`, `Rocky Linux:9`,
 * `Red Hat:enterprise_linux:9::appstream`, `Maven:https://maven.google.com`): the scheme depends only on the name
 * before the first ":". Names are case-sensitive as the OSV schema defines them (`pypi` is not `PyPI`); an ecosystem
 * without a scheme here gives undefined, for the caller to report as unsupported, never a guess.
 *
 * @example
 *   schemeForEcosystem("PyPI")?.compare("1.0rc1", "1.0") // < 0
 *   schemeForEcosystem("Debian:12")                       // the dpkg scheme
 *   schemeForEcosystem("Pub")                             // undefined: not supported
 */
import { go } from "./go.js";
import { maven } from "./maven.js";
import { nuget } from "./nuget.js";
import { pep440 } from "./pep440.js";
import { semver } from "./semver.js";
import type { VersionScheme } from "./types.js";
import { LANGUAGE_PURL_ECOSYSTEMS } from "../osv/ecosystems.js";
// OS and other language schemes (versions-B).
import { apk } from "./apk.js";
import { dpkg } from "./dpkg.js";
import { packagist } from "./packagist.js";
import { rpm } from "./rpm.js";
import { rubygems } from "./rubygems.js";

export type { VersionScheme } from "./types.js";
export { go, maven, nuget, pep440, semver };
export { apk, dpkg, packagist, rpm, rubygems };

const SCHEMES: ReadonlyMap<string, VersionScheme> = new Map<string, VersionScheme>([
  // Language ecosystems.
  ["npm", semver],
  ["crates.io", semver],
  ["Go", go],
  ["PyPI", pep440],
  ["Maven", maven],
  ["NuGet", nuget],
  // Ecosystems whose versions the OSV schema and their package managers define as SemVer 2.0: Hex (Elixir's
  // Version module), SwiftURL (Swift Package Manager tags).
  ["Hex", semver],
  ["SwiftURL", semver],

  ["RubyGems", rubygems],
  ["Packagist", packagist],

  // Debian and Ubuntu (source packages, dpkg order).
  ["Debian", dpkg],
  ["Ubuntu", dpkg],

  // Alpine and the apk-based distributions osv-scanner orders with apk: Wolfi, Chainguard, MinimOS.
  ["Alpine", apk],
  ["Wolfi", apk],
  ["Chainguard", apk],
  ["MinimOS", apk],

  // RPM distributions (epoch:version-release, rpmvercmp).
  ["Red Hat", rpm],
  ["Rocky Linux", rpm],
  ["AlmaLinux", rpm],
  ["openSUSE", rpm],
  ["SUSE", rpm],
]);

/** The name before the first ":" of an OSV ecosystem string (`Ubuntu:22.04:LTS` → `Ubuntu`). */
export function ecosystemName(ecosystem: string): string {
  const colon = ecosystem.indexOf(":");
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

/** The version scheme for an OSV ecosystem string (suffix allowed), or undefined when vouch has none for it. */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  return SCHEMES.get(ecosystemName(ecosystem));
}

/** The ecosystem names with a scheme, sorted (for messages naming what is supported). */
export function supportedEcosystems(): string[] {
  return [...SCHEMES.keys()].sort();
}

/**
 * The scheme for an ecosystem's OSV `SEMVER` ranges: SemVer 2.0 (`semver`), except for Go, whose scheme is SemVer
 * that also reads Go release names (`1.21rc2` as `1.21.0-rc.2`), the form vouch records the standard library in while
 * the Go vulnerability database's SEMVER ranges write `1.21.0-rc.2` (plain SemVer would put `1.21rc10` before
 * `1.21rc2`). For `affects(…, { ecosystem: schemeForEcosystem(e), semver: semverSchemeForEcosystem(e) })`.
 */
export function semverSchemeForEcosystem(ecosystem: string): VersionScheme {
  return ecosystemName(ecosystem) === "Go" ? go : semver;
}

/**
 * The OSV ecosystem whose version scheme orders a purl type's versions: the matcher's orderings, so a range
 * (`<2.17.1` in an impact query, `vers:maven/…` in a VEX document) means the same as in an advisory. Language
 * types are the OSV mapping's own (osv/ecosystems.ts); OS package types map to their family's scheme (every deb
 * distribution orders versions as dpkg does, every rpm one as rpm does). A type whose ecosystem has no scheme here
 * (pub, cran, …) has none.
 */
const SCHEME_ECOSYSTEM: Readonly<Record<string, string>> = {
  ...LANGUAGE_PURL_ECOSYSTEMS,
  deb: "Debian",
  apk: "Alpine",
  rpm: "Red Hat",
};

/** The version scheme of a purl type, or undefined when vouch has none for it (then a range cannot be evaluated). */
export function schemeForPurlType(type: string): VersionScheme | undefined {
  // Own keys only: a purl type is input, and `constructor` must not find Object.prototype's members.
  const ecosystem = Object.hasOwn(SCHEME_ECOSYSTEM, type) ? SCHEME_ECOSYSTEM[type] : undefined;
  return ecosystem === undefined ? undefined : schemeForEcosystem(ecosystem);
}

/** The purl types with a version scheme, sorted (for messages). */
export function purlTypesWithScheme(): string[] {
  return Object.keys(SCHEME_ECOSYSTEM)
    .filter((type) => schemeForPurlType(type) !== undefined)
    .sort();
}
