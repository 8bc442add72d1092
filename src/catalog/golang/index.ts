import type { Cataloger } from "../types.js";

/** The golang catalogers, most authoritative format first. */
export const golangCatalogers: readonly Cataloger[] = [];
