import { cargoCatalogers } from "./cargo/index.js";
import { composerCatalogers } from "./composer/index.js";
import { gemCatalogers } from "./gem/index.js";
import { golangCatalogers } from "./golang/index.js";
import { mavenCatalogers } from "./maven/index.js";
import { npmCatalogers } from "./npm/index.js";
import { nugetCatalogers } from "./nuget/index.js";
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
