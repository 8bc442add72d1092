import type { Cataloger } from "../types.js";
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
