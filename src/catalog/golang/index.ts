import type { Cataloger } from "../types.js";
import { goBinaryCataloger } from "./parse-go-binary.js";
import { goModCataloger } from "./parse-go-mod.js";

/** The golang catalogers, most authoritative format first. */
export const golangCatalogers: readonly Cataloger[] = [goModCataloger];

/**
 * Go binaries (the build info the linker embeds in ELF files): for images and rootfs. Not for source trees,
 * where go.mod says what a build would use and a stray binary in bin/ is a build output, not the source.
 */
export const golangBinaryCatalogers: readonly Cataloger[] = [goBinaryCataloger];
