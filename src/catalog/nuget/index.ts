import type { Cataloger } from "../types.js";

/** The nuget catalogers, most authoritative format first. */
export const nugetCatalogers: readonly Cataloger[] = [];
