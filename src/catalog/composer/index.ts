import type { Cataloger } from "../types.js";
import { composerLockCataloger } from "./parse-composer-lock.js";

/** The composer catalogers, most authoritative format first. */
export const composerCatalogers: readonly Cataloger[] = [composerLockCataloger];
