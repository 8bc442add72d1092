import { cargoCatalogers } from "./cargo/index.js";
import { composerCatalogers } from "./composer/index.js";
import { gemCatalogers, installedGemCatalogers } from "./gem/index.js";
import { golangBinaryCatalogers, golangCatalogers } from "./golang/index.js";
import { javaArchiveCatalogers, mavenCatalogers } from "./maven/index.js";
import { installedNpmCatalogers, npmCatalogers } from "./npm/index.js";
import { dotnetDepsCatalogers, nugetCatalogers } from "./nuget/index.js";
import { createOsCatalogers, osCatalogers } from "./os/index.js";
import { pypiCatalogers } from "./pypi/index.js";
import type { Cataloger } from "./types.js";

/**
 * Every source-tree cataloger, in priority order: when several manifests sit at the top of a tree, the
 * first one's project names the SBOM's root component.
 */
export const sourceCatalogers: readonly Cataloger[] = [
  ...npmCatalogers,
  ...pypiCatalogers,
  ...golangCatalogers,
  ...cargoCatalogers,
  ...mavenCatalogers,
  ...gemCatalogers,
  ...composerCatalogers,
  ...nugetCatalogers,
];

/** What is installed in an image or rootfs besides OS packages, then the source-tree catalogers (an app's lockfiles). */
const installedCatalogers: readonly Cataloger[] = [
  ...golangBinaryCatalogers,
  ...javaArchiveCatalogers,
  ...dotnetDepsCatalogers,
  ...installedGemCatalogers,
  ...installedNpmCatalogers,
  ...sourceCatalogers,
];

/** imageCatalogers with options: `packageFiles` lists every file an OS package owns, with its digest (large). */
export function imageCatalogersWith(options: { packageFiles?: boolean }): readonly Cataloger[] {
  return [...(options.packageFiles ? createOsCatalogers({ listFiles: true }) : osCatalogers), ...installedCatalogers];
}

/**
 * Every cataloger for container images and root filesystems: the OS package databases first (their distro names the
 * image's packages), then what is installed (binaries, archives, installed package metadata), then the source-tree
 * catalogers, for lockfiles an image carries (an app's package-lock.json under /app).
 */
export const imageCatalogers: readonly Cataloger[] = imageCatalogersWith({});
