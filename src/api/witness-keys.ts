import { existsSync } from "node:fs";
import { VouchError } from "../core/errors.js";
import type { WitnessPolicy } from "../verify/tlog/witnesses.js";
import { readTextFile } from "./files.js";

/**
 * The witness policy of `vouch verify --witness-key K... [--witness-threshold N]`: each K is a vkey
 * ("<name>+<key ID>+<key>", c2sp.org/signed-note) or a file of vkeys, one per line ("#" starts a comment, as in
 * transparency-dev witness configs). Keys given without a threshold require one witness; a threshold without keys
 * is a usage error (it could never be met). Undefined when neither is given.
 *
 * @throws VouchError INPUT_USAGE / INPUT_NOT_FOUND; the keys themselves are checked by the verifier (INPUT_USAGE).
 */
export function witnessPolicy(refs: readonly string[] | undefined, threshold: number | undefined): WitnessPolicy | undefined {
  const keys = (refs ?? []).flatMap(readKeys);
  if (keys.length === 0) {
    if (threshold !== undefined && threshold > 0) throw new VouchError("INPUT_USAGE", "--witness-threshold needs the witnesses' keys (--witness-key)");
    if ((refs ?? []).length > 0) throw new VouchError("INPUT_USAGE", "--witness-key: no keys in the given file(s)");
    return undefined;
  }
  return { keys, threshold: threshold ?? 1 };
}

function readKeys(ref: string): string[] {
  // Anything that exists on disk is a file; otherwise a "<name>+<8 hex>+<key>" string is a vkey (names may hold "/").
  if (!existsSync(ref) && /^[^\s+]+\+[0-9a-fA-F]{8}\+\S+$/.test(ref)) return [ref];
  return readTextFile(ref)
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}
