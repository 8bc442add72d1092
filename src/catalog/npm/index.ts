import type { Cataloger } from "../types.js";

/** The npm catalogers, most authoritative format first. */
export const npmCatalogers: readonly Cataloger[] = [];
