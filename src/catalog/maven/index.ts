import type { Cataloger } from "../types.js";

/** The maven catalogers, most authoritative format first. */
export const mavenCatalogers: readonly Cataloger[] = [];
