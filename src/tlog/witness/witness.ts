import { VouchError, isVouchError } from "../../core/errors.js";
import { bytesEqual, emptyRoot, verifyConsistency } from "../../core/merkle/index.js";
import {
  cosignCheckpoint,
  isValidKeyName,
  loadVerificationKey,
  noteVerifierFromKey,
  parseCheckpoint,
  parseSignedNote,
  parseVerifierKey,
  verifyNoteSignature,
  type Checkpoint,
  type Cosigner,
  type NoteSignature,
  type NoteVerifier,
  type SignedNote,
} from "../../core/note/index.js";
import type { AddCheckpointRequest } from "./request.js";
import type { WitnessStateStore } from "./state.js";

/** A log the witness follows: its origin line and the keys it signs checkpoints with. */
export interface WitnessedLog {
  origin: string;
  /**
   * The log's checkpoint keys: vkeys (type 0x01 Ed25519, or 0x02 ECDSA as Rekor signs) or NoteVerifiers. A
   * checkpoint is accepted when one of them verifies (several keys: a key rotation in progress).
   */
  keys: readonly (string | NoteVerifier)[];
}

export interface WitnessOptions {
  /** The witness's own cosigning key. */
  cosigner: Cosigner;
  logs: readonly WitnessedLog[];
  state: WitnessStateStore;
  /** The time to put in cosignatures, in POSIX seconds (default: the system clock). */
  now?: () => number;
}

/**
 * Why a witness refused a checkpoint, one reason per tlog-witness status:
 * malformed 400 · unknown-log 404 · bad-signature 403 · old-size-too-large 400 · conflict 409 (with the stored size) ·
 * root-mismatch 409 · bad-proof 422.
 */
export type WitnessRefusal =
  | "malformed"
  | "unknown-log"
  | "bad-signature"
  | "old-size-too-large"
  | "conflict"
  | "root-mismatch"
  | "bad-proof";

export type AddCheckpointOutcome =
  | { ok: true; cosignatures: NoteSignature[] }
  | { ok: false; refusal: Exclude<WitnessRefusal, "conflict">; message: string }
  | { ok: false; refusal: "conflict"; message: string; /** The size of the latest checkpoint the witness cosigned. */ size: number };

/** A tlog witness: cosigns a log's checkpoints only while they stay consistent with what it cosigned before. */
export interface Witness {
  readonly name: string;
  addCheckpoint(request: AddCheckpointRequest): Promise<AddCheckpointOutcome>;
}

/**
 * A witness after c2sp.org/tlog-witness "add-checkpoint". For each configured log it remembers the latest checkpoint
 * it cosigned, and cosigns a new one only when:
 * 1. the checkpoint parses and its origin is a configured log (else unknown-log);
 * 2. a trusted key of that log signed it (signature lines of other keys are ignored);
 * 3. old size <= new size, and old size is the size it last cosigned (else conflict, with that size: the client
 *    retries from there);
 * 4. same size: the same root hash (else root-mismatch: a split view); larger: the consistency proof leads from the
 *    stored root to the new root (else bad-proof). From nothing (old size 0) the first checkpoint is trusted on
 *    first use, as the spec prescribes.
 * The new state is persisted with compare-and-set on the old size before the cosignature is released, so two
 * concurrent requests can never roll it back, and a cosignature is never given for a state that was not saved.
 *
 * @throws VouchError INPUT_MALFORMED when the configuration is unusable (a bad vkey, an origin listed twice).
 * @example
 *   const witness = createWitness({ cosigner, logs: [{ origin: "log.example.com/vouch", keys: [logVkey] }], state: memoryWitnessState() });
 *   const outcome = await witness.addCheckpoint(parseAddCheckpointRequest(body));
 */
export function createWitness(options: WitnessOptions): Witness {
  const { cosigner, state } = options;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const logs = new Map<string, NoteVerifier[]>();
  for (const log of options.logs) {
    if (log.origin === "" || [...log.origin].some((c) => c.charCodeAt(0) < 0x20)) throw new VouchError("INPUT_MALFORMED", `witness: log origin ${JSON.stringify(log.origin)} is not one line`);
    if (logs.has(log.origin)) throw new VouchError("INPUT_MALFORMED", `witness: log origin ${JSON.stringify(log.origin)} is configured twice`);
    if (log.keys.length === 0) throw new VouchError("INPUT_MALFORMED", `witness: log ${log.origin} has no keys`);
    const verifiers = log.keys.map((key) => (typeof key === "string" ? noteVerifierFromKey(parseVerifierKey(key)) : key));
    // An unusable key is a configuration error now, not a failure on the first request.
    for (const v of verifiers) loadVerificationKey(v.publicKeyDer, v.keyDetails);
    logs.set(log.origin, verifiers);
  }
  if (!isValidKeyName(cosigner.name)) throw new VouchError("INPUT_MALFORMED", `witness: invalid name ${JSON.stringify(cosigner.name)}`);

  return {
    name: cosigner.name,
    async addCheckpoint(request) {
      let note: SignedNote;
      let checkpoint: Checkpoint;
      try {
        note = parseSignedNote(request.checkpoint);
        checkpoint = parseCheckpoint(note.text);
      } catch (error) {
        if (isVouchError(error) && error.code === "INPUT_MALFORMED") return refuse("malformed", error.message);
        throw error;
      }
      const keys = logs.get(checkpoint.origin);
      if (keys === undefined) return refuse("unknown-log", `this witness does not follow a log with origin ${JSON.stringify(checkpoint.origin)}`);
      // tlog-witness: verify against the key(s) trusted for the origin, ignoring signatures from unknown keys.
      const reasons: string[] = [];
      if (!keys.some((key) => checkVerified(verifyNoteSignature(note, key), reasons))) {
        return refuse("bad-signature", `no valid signature by the log's key: ${reasons.join("; ")}`);
      }
      if (checkpoint.size > BigInt(Number.MAX_SAFE_INTEGER)) return refuse("malformed", `tree size ${checkpoint.size} is beyond 2^53-1`);
      const size = Number(checkpoint.size);
      if (checkpoint.rootHash.length !== 32) return refuse("malformed", `root hash is ${checkpoint.rootHash.length} bytes, not a SHA-256 hash`);
      if (request.oldSize > size) return refuse("old-size-too-large", `old size ${request.oldSize} is larger than the checkpoint's size ${size}`);

      const stored = await state.get(checkpoint.origin);
      const storedSize = stored?.size ?? 0;
      if (request.oldSize !== storedSize) return conflict(storedSize, request.oldSize);

      const problem = consistencyProblem(request, size, checkpoint.rootHash, stored?.rootHash);
      if (problem !== undefined) return problem;

      // Sign first, store second, answer last: the cosignature leaves only if the state it vouches for is saved.
      const cosignature = cosignCheckpoint(note.text, cosigner, now());
      const saved = await state.compareAndSet(checkpoint.origin, request.oldSize, { size, rootHash: checkpoint.rootHash, note: request.checkpoint });
      if (!saved) {
        // Another request for this log was accepted in between: report where the witness is now.
        return conflict((await state.get(checkpoint.origin))?.size ?? 0, request.oldSize);
      }
      return { ok: true, cosignatures: [cosignature] };
    },
  };
}

/** Steps 4 of createWitness: undefined when the new checkpoint extends the stored one. */
function consistencyProblem(
  request: AddCheckpointRequest,
  size: number,
  rootHash: Uint8Array,
  storedRoot: Uint8Array | undefined,
): AddCheckpointOutcome | undefined {
  const { oldSize, proof } = request;
  if (oldSize === 0) {
    // Nothing to be consistent with yet; "the proof MUST be empty if the old size is zero".
    if (proof.length > 0) return refuse("bad-proof", "the consistency proof must be empty when the old size is 0");
    // The empty tree has one root (RFC 6962 §2.1: MTH({}) = SHA-256()); a size-0 checkpoint with another is a lie.
    const expected = storedRoot ?? emptyRoot();
    if (size === 0 && !bytesEqual(rootHash, expected)) {
      return storedRoot === undefined
        ? refuse("bad-proof", "a checkpoint of size 0 must carry the empty tree's root hash")
        : refuse("root-mismatch", "the checkpoint has the cosigned size but another root hash");
    }
    return undefined;
  }
  if (storedRoot === undefined) throw new VouchError("STORE_CORRUPT", `witness state has size ${oldSize} but no root hash`);
  if (oldSize === size) {
    if (!bytesEqual(rootHash, storedRoot)) return refuse("root-mismatch", `the checkpoint has the cosigned size ${size} but another root hash`);
    if (proof.length > 0) return refuse("bad-proof", "the consistency proof must be empty when the sizes are equal");
    return undefined;
  }
  const check = verifyConsistency(BigInt(oldSize), BigInt(size), proof, storedRoot, rootHash);
  return check.ok ? undefined : refuse("bad-proof", `the consistency proof from size ${oldSize} does not verify: ${check.reason}`);
}

function checkVerified(result: ReturnType<typeof verifyNoteSignature>, reasons: string[]): boolean {
  if (!result.ok) reasons.push(result.reason);
  return result.ok;
}

function refuse(refusal: Exclude<WitnessRefusal, "conflict">, message: string): AddCheckpointOutcome {
  return { ok: false, refusal, message };
}

function conflict(size: number, oldSize: number): AddCheckpointOutcome {
  return { ok: false, refusal: "conflict", message: `the latest cosigned checkpoint has size ${size}, not ${oldSize}`, size };
}
