import type { Cataloger } from "../types.js";
import { gemfileLockCataloger } from "./parse-gemfile-lock.js";

/** The gem catalogers, most authoritative format first. */
export const gemCatalogers: readonly Cataloger[] = [gemfileLockCataloger];
