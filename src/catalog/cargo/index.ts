import type { Cataloger } from "../types.js";

/** The cargo catalogers, most authoritative format first. */
export const cargoCatalogers: readonly Cataloger[] = [];
