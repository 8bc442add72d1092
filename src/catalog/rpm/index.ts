import type { Cataloger } from "../types.js";
import { createRpmCatalogers } from "./parse-rpmdb.js";

/** The rpm catalogers: `rpmdb.sqlite` under var/lib/rpm or usr/lib/sysimage/rpm. */
export const rpmCatalogers: readonly Cataloger[] = createRpmCatalogers();
