import type { Cataloger } from "../types.js";
import { depsJsonCataloger } from "./parse-deps-json.js";
import { packagesLockCataloger } from "./parse-packages-lock.js";

/** The nuget catalogers, most authoritative format first. */
export const nugetCatalogers: readonly Cataloger[] = [packagesLockCataloger];

/**
 * Published .NET applications (`<app>.deps.json`): for images and rootfs. In a source tree a deps.json is a build
 * output under bin/ (packages.lock.json is the source's record), so it is not among nugetCatalogers.
 */
export const dotnetDepsCatalogers: readonly Cataloger[] = [depsJsonCataloger];
