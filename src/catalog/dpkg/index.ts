import type { Cataloger } from "../types.js";
import type { OsCatalogOptions } from "../os/common.js";
import { createDpkgCatalogers } from "./parse-status.js";

/** The dpkg catalogers: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*`. */
export const dpkgCatalogers: readonly Cataloger[] = createDpkgCatalogers();

/** The same, with options (the owned files listed one property per file). */
export function dpkgCatalogersWith(options: OsCatalogOptions): readonly Cataloger[] {
  return createDpkgCatalogers(options);
}
