import type { Cataloger } from "../types.js";

/** The gem catalogers, most authoritative format first. */
export const gemCatalogers: readonly Cataloger[] = [];
