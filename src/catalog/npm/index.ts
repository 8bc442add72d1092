import type { Cataloger } from "../types.js";
import { npmInstalledPackageCataloger } from "./parse-installed-package.js";
import { npmHiddenLockfileCataloger, npmPackageLockCataloger, npmShrinkwrapCataloger } from "./parse-package-lock.js";
import { pnpmLockCataloger } from "./parse-pnpm-lock.js";
import { yarnLockCataloger } from "./parse-yarn-lock.js";

/**
 * The npm catalogers, most authoritative format first: npm's own lockfiles (shrinkwrap over package-lock
 * over the hidden lockfile of an installed tree), then pnpm's and yarn's.
 */
export const npmCatalogers: readonly Cataloger[] = [
  npmShrinkwrapCataloger,
  npmPackageLockCataloger,
  npmHiddenLockfileCataloger,
  pnpmLockCataloger,
  yarnLockCataloger,
];

/**
 * Installed packages read from node_modules/<name>/package.json (no lockfile needed): for images and rootfs, where
 * global installs and copied node_modules have none. Not for source trees, where the lockfiles above say more
 * (scopes, integrity, the whole graph) and the directory source does not walk node_modules.
 */
export const installedNpmCatalogers: readonly Cataloger[] = [npmInstalledPackageCataloger];
