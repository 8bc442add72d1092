import type { Cataloger } from "../types.js";

/** The pypi catalogers, most authoritative format first. */
export const pypiCatalogers: readonly Cataloger[] = [];
