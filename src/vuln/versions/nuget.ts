/**
 * NuGet version order (NuGet.Versioning's VersionComparer.Default, https://learn.microsoft.com/nuget/concepts/
 * package-versioning#normalized-version-numbers): up to four numeric parts (Major.Minor.Patch.Revision, missing
 * ones 0, leading zeros insignificant: `1.0.01` = `1.0.1.0`), then SemVer 2.0 release labels compared
 * case-insensitively (`1.0.0-BETA` = `1.0.0-beta`); build metadata never counts.
 *
 * `compare` reads versions leniently with the same reading as the semver scheme (osv-scanner's), with four numeric
 * parts instead of three; a string with no leading number throws VouchError INPUT_MALFORMED.
 * `isValid` is NuGetVersion.TryParse's grammar: 1 to 4 parts each within Int32, dot-separated labels of
 * [0-9A-Za-z-], optional metadata.
 */
import { compareComponents, comparePrereleaseText, parseSemverLike } from "./semver.js";
import type { VersionScheme } from "./types.js";

const LABELS = "[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*";
const GRAMMAR = new RegExp(`^(\\d+(?:\\.\\d+){0,3})(?:-${LABELS})?(?:\\+${LABELS})?$`);
const INT32_MAX = 2147483647;

export const nuget: VersionScheme = {
  name: "nuget",
  compare(a: string, b: string): number {
    const va = parseSemverLike(a, 4, "NuGet");
    const vb = parseSemverLike(b, 4, "NuGet");
    return (
      compareComponents(va.components, vb.components) ||
      comparePrereleaseText(va.rest.toLowerCase(), vb.rest.toLowerCase())
    );
  },
  isValid(version: string): boolean {
    const m = GRAMMAR.exec(version);
    if (!m) return false;
    return m[1]!.split(".").every((part) => part.length <= 10 && Number(part) <= INT32_MAX);
  },
};
