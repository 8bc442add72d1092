import type { Cataloger } from "../types.js";
import { goModCataloger } from "./parse-go-mod.js";

/** The golang catalogers, most authoritative format first. */
export const golangCatalogers: readonly Cataloger[] = [goModCataloger];
