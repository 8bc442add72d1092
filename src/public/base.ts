/**
 * What every verb needs before it knows which one it is: the typed error, vouch's version, and the whole-or-nothing
 * file helpers. Kept to a handful of tiny modules: the CLI imports this eagerly, so everything here is paid by
 * `vouch --version`.
 */
export { VouchError, isVouchError } from "../core/errors.js";
export type { VouchErrorCode } from "../core/errors.js";
export { VOUCH_VERSION } from "../version.js";
export { readTextFile, writeFileAtomic } from "../api/files.js";
