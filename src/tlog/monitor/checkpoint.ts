import { VouchError, isVouchError } from "../../core/errors.js";
import { HASH_SIZE, bytesEqual, emptyRoot } from "../../core/merkle/index.js";
import {
  loadVerificationKey,
  noteVerifierFromKey,
  parseCheckpoint,
  parseSignedNote,
  parseVerifierKey,
  verifyNoteSignature,
  type NoteVerifier,
} from "../../core/note/index.js";

/** A checkpoint whose signature, origin and fields were checked: what the monitor reasons about. */
export interface VerifiedHead {
  size: number;
  rootHash: Uint8Array;
  /** The signed note exactly as the log served it. */
  checkpoint: string;
}

/** The log a monitor follows: its origin line and the key(s) its checkpoints must be signed with. */
export interface MonitoredLog {
  /** The checkpoint origin line (for Rekor v1: "<hostname> - <tree ID>"). */
  origin: string;
  /**
   * Checkpoint keys: vkeys ("<name>+<key ID>+<key>", type 0x01 Ed25519 or 0x02 ECDSA), or NoteVerifiers (e.g. from a
   * PEM public key: {name: origin, publicKeyDer, keyDetails: ""}). A checkpoint is accepted when one verifies.
   */
  keys: readonly (string | NoteVerifier)[];
}

export type CheckpointCheck = { ok: true; head: VerifiedHead } | { ok: false; kind: "bad-signature" | "bad-checkpoint"; message: string };

/** The checkpoint verifier of one log, compiled once (keys are loaded and checked up front). */
export interface CheckpointVerifier {
  readonly origin: string;
  check(text: string): CheckpointCheck;
}

/**
 * @throws VouchError INPUT_USAGE without keys or origin; INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT for an unusable
 *   key (a configuration error now, not a bad-signature alert on every round).
 * @example
 *   const verifier = checkpointVerifier({ origin: "log.example.com/vouch", keys: ["log.example.com/vouch+1a2b3c4d+Ab..."] });
 */
export function checkpointVerifier(log: MonitoredLog): CheckpointVerifier {
  if (log.origin === "" || [...log.origin].some((c) => c.charCodeAt(0) < 0x20)) throw new VouchError("INPUT_USAGE", `log origin ${JSON.stringify(log.origin)} is not one line`);
  if (log.keys.length === 0) throw new VouchError("INPUT_USAGE", `no checkpoint key for log ${log.origin}`);
  const verifiers = log.keys.map((key) => (typeof key === "string" ? noteVerifierFromKey(parseVerifierKey(key)) : key));
  for (const v of verifiers) loadVerificationKey(v.publicKeyDer, v.keyDetails);
  return {
    origin: log.origin,
    check(text) {
      // Signature first (issue 4): nothing a checkpoint says is looked at before the log's key vouches for it. The
      // note's syntax has to be read to find its signature lines; that is all.
      let note;
      try {
        note = parseSignedNote(text);
      } catch (error) {
        return { ok: false, kind: "bad-checkpoint", message: `the checkpoint is not a signed note: ${messageOf(error)}` };
      }
      const reasons: string[] = [];
      const verified = verifiers.some((v) => {
        const result = verifyNoteSignature(note, v);
        if (!result.ok) reasons.push(result.reason);
        return result.ok;
      });
      if (!verified) return { ok: false, kind: "bad-signature", message: `the checkpoint is not signed by the log's key: ${reasons.join("; ")}` };
      let checkpoint;
      try {
        checkpoint = parseCheckpoint(note.text);
      } catch (error) {
        return { ok: false, kind: "bad-checkpoint", message: `the signed checkpoint does not parse: ${messageOf(error)}` };
      }
      if (checkpoint.origin !== log.origin) {
        return { ok: false, kind: "bad-checkpoint", message: `the checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(log.origin)}` };
      }
      if (checkpoint.size > BigInt(Number.MAX_SAFE_INTEGER)) {
        return { ok: false, kind: "bad-checkpoint", message: `tree size ${checkpoint.size} is beyond what vouch handles (2^53-1)` };
      }
      if (checkpoint.rootHash.length !== HASH_SIZE) {
        return { ok: false, kind: "bad-checkpoint", message: `the root hash is ${checkpoint.rootHash.length} bytes, not a SHA-256 hash` };
      }
      const size = Number(checkpoint.size);
      // RFC 6962 §2.1: the empty tree has exactly one root; a size-0 checkpoint with another one is a lie.
      if (size === 0 && !bytesEqual(checkpoint.rootHash, emptyRoot())) {
        return { ok: false, kind: "bad-checkpoint", message: "a checkpoint of size 0 must carry the empty tree's root hash" };
      }
      return { ok: true, head: { size, rootHash: checkpoint.rootHash, checkpoint: text } };
    },
  };
}

function messageOf(error: unknown): string {
  if (isVouchError(error)) return error.message;
  throw error;
}
