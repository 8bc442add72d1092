import type { Cataloger } from "../types.js";

/** The composer catalogers, most authoritative format first. */
export const composerCatalogers: readonly Cataloger[] = [];
