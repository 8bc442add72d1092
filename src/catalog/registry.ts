import { cargoCatalogers } from "./cargo/index.js";
import { composerCatalogers } from "./composer/index.js";
import { gemCatalogers, installedGemCatalogers } from "./gem/index.js";
import { golangBinaryCatalogers, golangCatalogers } from "./golang/index.js";
import { javaArchiveCatalogers, mavenCatalogers } from "./maven/index.js";
import { installedNpmCatalogers, npmCatalogers } from "./npm/index.js";
import { dotnetDepsCatalogers, nugetCatalogers } from "./nuget/index.js";
import { osCatalogers } from "./os/index.js";
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

/**
 * Every cataloger for container images and root filesystems: the OS package databases first (their distro names the
 * image's packages), then what is installed (binaries, archives, installed package metadata), then the source-tree
 * catalogers, for lockfiles an image carries (an app's package-lock.json under /app).
 */
export const imageCatalogers: readonly Cataloger[] = [
  ...osCatalogers,
  ...golangBinaryCatalogers,
  ...javaArchiveCatalogers,
  ...dotnetDepsCatalogers,
  ...installedGemCatalogers,
  ...installedNpmCatalogers,
  ...sourceCatalogers,
];
