/**
 * A version scheme: how one ecosystem orders its version strings (OSV `ECOSYSTEM` ranges are evaluated with the
 * ecosystem's own ordering; `SEMVER` ranges with SemVer 2.0). Each scheme is a pure module in this folder with its
 * own tests from real edge cases (../shared/testdata/version-compare, copied into fixtures).
 */
export interface VersionScheme {
  /** The scheme's name, e.g. "semver", "pep440", "maven", "dpkg". */
  readonly name: string;
  /**
   * Negative when a < b, 0 when equal, positive when a > b, in the ecosystem's own order. Total for the strings the
   * ecosystem's native tool accepts; for a string it rejects, behaves as that tool's lenient parse does, or throws
   * VouchError INPUT_MALFORMED when the tool would refuse it too (say which in the module's comment).
   */
  compare(a: string, b: string): number;
  /** Whether the string is a valid version in this scheme (the native tool would accept it). */
  isValid(version: string): boolean;
}
