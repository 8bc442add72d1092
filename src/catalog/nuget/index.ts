import type { Cataloger } from "../types.js";
import { packagesLockCataloger } from "./parse-packages-lock.js";

/** The nuget catalogers, most authoritative format first. */
export const nugetCatalogers: readonly Cataloger[] = [packagesLockCataloger];
