import type { Cataloger } from "../types.js";
import { cargoLockCataloger } from "./parse-cargo-lock.js";

/** The cargo catalogers, most authoritative format first. */
export const cargoCatalogers: readonly Cataloger[] = [cargoLockCataloger];
