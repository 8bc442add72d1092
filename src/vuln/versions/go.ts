/**
 * Go version order: module versions are SemVer 2.0 (https://go.dev/ref/mod#versions) and the Go vulnerability
 * database writes them in OSV without the "v" (`1.2.3`, SEMVER ranges), so precedence is the semver scheme's:
 * - pseudo-versions are SemVer pre-releases and sort by their timestamp, between the release they build on and the
 *   next one: `0.0.0-20191109021931-daa7c04131f5`, `1.2.4-0.20191109021931-daa7c04131f5` (after 1.2.3),
 *   `1.2.3-pre.0.20191109021931-daa7c04131f5` (after 1.2.3-pre);
 * - `+incompatible` is build metadata: `2.0.0+incompatible` = `2.0.0`.
 * The standard library (`stdlib`, `toolchain`) is versioned by Go releases, which vouch's Go cataloger records as
 * the toolchain names them without "go" (`1.21.5`, `1.21rc2`, `1.20`); the vulnerability database writes those in
 * SemVer (`1.21.0-rc.2`, `1.20.0`), and so are they read here (`1.21rc2` → `1.21.0-rc.2`, `go1.21beta1` →
 * `1.21.0-beta.1`; before 1.21, `1.20` was the first release of 1.20 as well).
 *
 * `compare` reads the rest leniently as the semver scheme does (and throws VouchError INPUT_MALFORMED for a string
 * with no leading number). `isValid`: a canonical module version (with or without "v"; build metadata only
 * `+incompatible`, and only from major version 2) or a Go release name.
 */
import { semver } from "./semver.js";
import type { VersionScheme } from "./types.js";

/** A Go release as the toolchain names it: go1.21.5, go1.21rc2, go1.9beta1, go1.20. */
const RELEASE = /^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$/;

/** `1.21rc2` → `1.21.0-rc.2`; any other string is returned as it is. */
export function goReleaseToSemver(version: string): string {
  const m = RELEASE.exec(version);
  if (!m) return version;
  const [, major, minor, patch, pre, n] = m;
  return `${major}.${minor}.${patch ?? "0"}${pre === undefined ? "" : `-${pre}.${n}`}`;
}

export const go: VersionScheme = {
  name: "go",
  compare(a: string, b: string): number {
    return semver.compare(goReleaseToSemver(a), goReleaseToSemver(b));
  },
  isValid(version: string): boolean {
    if (RELEASE.test(version) && !version.startsWith("v")) return true;
    if (!semver.isValid(version)) return false;
    const plus = version.indexOf("+");
    if (plus < 0) return true;
    const major = Number(/^v?(\d+)/.exec(version)![1]);
    return version.slice(plus) === "+incompatible" && major >= 2;
  },
};
