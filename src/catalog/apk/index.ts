import type { Cataloger } from "../types.js";
import { createApkCatalogers } from "./parse-installed.js";

/** The apk cataloger: `lib/apk/db/installed`. */
export const apkCatalogers: readonly Cataloger[] = createApkCatalogers();
