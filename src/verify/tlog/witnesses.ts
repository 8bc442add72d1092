import { VouchError, isVouchError } from "../../core/errors.js";
import {
  cosignatureVerifierFromKey,
  parseVerifierKey,
  verifyCosignatures,
  type CosignatureVerifier,
  type SignedNote,
} from "../../core/note/index.js";

/**
 * Which witnesses must have cosigned a checkpoint (c2sp.org/tlog-cosignature): a checkpoint that `threshold`
 * independent witnesses cosigned was seen, consistent with their history, by all of them, so a log that shows one
 * view to this verifier and another to the rest of the world (a split view) must also fool that many witnesses.
 */
export interface WitnessPolicy {
  /**
   * The trusted witnesses: vkeys ("<name>+<key ID>+<base64(0x04 || Ed25519 key)>"; a 0x01 Ed25519 vkey is read as
   * the same key used for cosignatures) or parsed keys.
   */
  keys: readonly (string | CosignatureVerifier)[];
  /** How many distinct witnesses must have cosigned (0 requires nothing). */
  threshold: number;
}

/** A verified witness cosignature: who, and when the witness says it saw the checkpoint (POSIX seconds). */
export interface WitnessCosignature {
  name: string;
  timestamp: number;
}

/**
 * Checks a checkpoint's witness cosignatures against the policy:
 * - a cosignature line carrying a trusted witness's name and key ID that does not verify rejects the checkpoint
 *   (signed-note: "if a signature from a known key fails to verify, clients SHOULD reject the whole note"): someone
 *   forged or altered it, and the checkpoint is not what the witnesses signed;
 * - each trusted witness counts once, however many lines or names it appears under (verifyCosignatures);
 * - fewer than `threshold` valid witnesses fail with VERIFY_THRESHOLD, as every other "fewer verified X than
 *   required" in the verifier does.
 *
 * @throws VouchError INPUT_USAGE for an unusable policy (a bad vkey, a threshold no key set can meet);
 *   VERIFY_TLOG_INCLUSION for an invalid cosignature by a trusted witness; VERIFY_THRESHOLD below the threshold.
 */
export function checkWitnessCosignatures(note: SignedNote, policy: WitnessPolicy): WitnessCosignature[] {
  const keys = witnessKeys(policy);
  if (policy.threshold === 0) return [];
  const check = verifyCosignatures(note, keys);
  const invalid = check.invalid[0];
  if (invalid !== undefined) throw new VouchError("VERIFY_TLOG_INCLUSION", `checkpoint: ${invalid.reason}`);
  if (check.valid.length < policy.threshold) {
    const names = check.valid.map((v) => v.key.name).join(", ");
    throw new VouchError(
      "VERIFY_THRESHOLD",
      `the checkpoint has ${check.valid.length} valid witness cosignature(s)${names ? ` (${names})` : ""}, ${policy.threshold} required`,
    );
  }
  return check.valid.map((v) => ({ name: v.key.name, timestamp: v.timestamp }));
}

/** The policy's keys, parsed (vkey strings are parsed once per process). */
export function witnessKeys(policy: WitnessPolicy): CosignatureVerifier[] {
  if (!Number.isSafeInteger(policy.threshold) || policy.threshold < 0) {
    throw new VouchError("INPUT_USAGE", `witness threshold ${policy.threshold} is not a whole number`);
  }
  const keys = policy.keys.map((key) => (typeof key === "string" ? parsedKey(key) : key));
  // A threshold above the number of distinct keys can never be met: say so instead of failing every bundle.
  const distinct = new Set(keys.map((k) => Buffer.from(k.publicKey).toString("hex"))).size;
  if (policy.threshold > distinct) {
    throw new VouchError("INPUT_USAGE", `witness threshold ${policy.threshold} needs at least that many distinct witness keys (${distinct} given)`);
  }
  return keys;
}

const parsed = new Map<string, CosignatureVerifier>();

function parsedKey(vkey: string): CosignatureVerifier {
  let key = parsed.get(vkey);
  if (key === undefined) {
    try {
      key = cosignatureVerifierFromKey(parseVerifierKey(vkey));
    } catch (error) {
      if (isVouchError(error)) throw new VouchError("INPUT_USAGE", `witness key: ${error.message}`, { cause: error });
      throw error;
    }
    if (parsed.size < 256) parsed.set(vkey, key);
  }
  return key;
}
