import { createApkCatalogers } from "../apk/parse-installed.js";
import { createDpkgCatalogers } from "../dpkg/parse-status.js";
import { createRpmCatalogers } from "../rpm/parse-rpmdb.js";
import type { Cataloger } from "../types.js";
import type { OsCatalogOptions } from "./common.js";

export type { OsCatalogOptions } from "./common.js";
export { distroQualifier, parseOsRelease, readDistro, type Distro } from "./os-release.js";

/** Every OS package cataloger (dpkg, apk, rpm), with options. */
export function createOsCatalogers(options: OsCatalogOptions = {}): Cataloger[] {
  return [...createDpkgCatalogers(options), ...createApkCatalogers(options), ...createRpmCatalogers(options)];
}

/** The OS package catalogers with default options: what `imageCatalogers` should hold. */
export const osCatalogers: readonly Cataloger[] = createOsCatalogers();

/**
 * Files the OS catalogers read through `ctx.readFile` besides the databases they match: os-release, dpkg's
 * per-package file lists and digests, Debian copyright files. An image's squashed view that keeps only what
 * catalogers need must keep these too (paths root-relative, as `FileSource.files()` gives them).
 */
export function isOsSupportFile(path: string): boolean {
  return (
    path === "etc/os-release" ||
    path === "usr/lib/os-release" ||
    /^var\/lib\/dpkg\/info\/[^/]+\.(list|md5sums)$/.test(path) ||
    /^var\/lib\/dpkg\/status\.d\/[^/]+\.md5sums$/.test(path) ||
    /^usr\/share\/doc\/[^/]+\/copyright$/.test(path)
  );
}
