import { VouchError, isVouchError } from "../../core/errors.js";
import { HASH_SIZE, leafHash, verifyInclusion } from "../../core/merkle/index.js";
import {
  parseCheckpoint,
  parseSignedNote,
  verifyNoteSignature,
  type Checkpoint,
  type SignedNote,
} from "../../core/note/index.js";
import type { TlogEntry, TransparencyLogInstance } from "../../bundle/types.js";
import { bytesEqual, hex, selectLogKey } from "./select-log-key.js";
import { entryTime } from "./time.js";
import { checkWitnessCosignatures, type WitnessCosignature, type WitnessPolicy } from "./witnesses.js";

export interface InclusionProofOptions {
  /**
   * The verified signing time (e.g. from an RFC 3161 timestamp) at which the log key must have been valid, for
   * Rekor v2 entries, which carry no integrated time. Rekor v1 entries use their integrated time.
   */
  signingTime?: Date;
  /** Witnesses that must have cosigned the checkpoint (checkWitnessCosignatures). */
  witnesses?: WitnessPolicy;
}

export interface VerifiedInclusion {
  /** The trusted log whose key signed the checkpoint. */
  tlog: TransparencyLogInstance;
  /** The signed checkpoint the proof ends in. */
  checkpoint: Checkpoint;
  /** The witness cosignatures that verified, when `options.witnesses` asked for them. */
  witnesses?: WitnessCosignature[];
}

// Rekor v1 signs RFC 6962 STHs as checkpoints whose origin is "<host> - <tree ID>" (one tree per shard); Rekor v2
// (C2SP tlog-checkpoint) uses the log's name alone. Same test as sigstore-go's hasRekorV1STH.
const REKOR_V1_ORIGIN = /^.+ - [0-9]+$/;

/**
 * Verifies that the entry is in the log (Sigstore client spec, "Transparency log inclusion"; RFC 9162 §2.1.3.2;
 * c2sp.org/tlog-checkpoint):
 * 1. the log key is the trusted-root key with the entry's log ID, valid at the integrated time (Rekor v1) or at
 *    `options.signingTime` (Rekor v2);
 * 2. the checkpoint is a signed note carrying a valid signature by that key (other signature lines, such as witness
 *    cosignatures, are ignored); for a C2SP log the checkpoint origin and the signature's key name are the log's
 *    name (the host of its base URL);
 * 3. the checkpoint's tree size and root hash are the proof's;
 * 4. SHA-256(0x00 || canonicalizedBody) at the proof's index leads through the audit path to that root;
 * 5. with `options.witnesses`, enough trusted witnesses cosigned the checkpoint (c2sp.org/tlog-cosignature).
 *
 * @throws VouchError VERIFY_TLOG_INCLUSION naming the check that failed; VERIFY_THRESHOLD for too few witnesses.
 * @example
 *   const { checkpoint } = verifyInclusionProof(entry, trustedRoot.tlogs, { signingTime });
 */
export function verifyInclusionProof(
  entry: TlogEntry,
  tlogs: readonly TransparencyLogInstance[],
  options: InclusionProofOptions = {},
): VerifiedInclusion {
  const proof = entry.inclusionProof;
  if (proof === undefined) throw fail("the entry has no inclusion proof");

  if (proof.checkpoint === "") throw fail("the inclusion proof has no checkpoint");

  const integrated = entryTime(entry, "VERIFY_TLOG_INCLUSION");
  const at = integrated ?? options.signingTime;
  if (at === undefined) {
    throw fail("the entry has no integrated time (Rekor v2): a verified signing time is needed to choose the log key");
  }
  const tlog = selectLogKey(tlogs, entry.logId, at, "VERIFY_TLOG_INCLUSION");
  if (tlog.hashAlgorithm !== "" && tlog.hashAlgorithm !== "SHA2_256") {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `log ${tlog.baseUrl} uses Merkle hash ${tlog.hashAlgorithm}`);
  }
  // A Rekor v2 log is one tree: the entry's index is the leaf index. Binding them makes the index the bundle
  // reports a verified one (Rekor v1 shards number entries globally, so there the SET binds it instead).
  if (integrated === undefined && entry.logIndex !== proof.logIndex) {
    throw fail(`the entry's log index ${entry.logIndex} is not the proof's leaf index ${proof.logIndex}`);
  }

  const { checkpoint, note } = verifyCheckpoint(proof.checkpoint, tlog);
  if (checkpoint.size !== proof.treeSize) {
    throw fail(`the checkpoint's tree size ${checkpoint.size} is not the proof's tree size ${proof.treeSize}`);
  }
  if (!bytesEqual(checkpoint.rootHash, proof.rootHash)) {
    throw fail(`the checkpoint's root hash ${hex(checkpoint.rootHash)} is not the proof's root hash ${hex(proof.rootHash)}`);
  }
  if (proof.rootHash.length !== HASH_SIZE) {
    throw fail(`the proof's root hash is ${proof.rootHash.length} bytes, expected ${HASH_SIZE}`);
  }
  const check = verifyInclusion(proof.logIndex, proof.treeSize, leafHash(entry.canonicalizedBody), proof.hashes, proof.rootHash);
  if (!check.ok) throw fail(check.reason);
  if (options.witnesses === undefined) return { tlog, checkpoint };
  return { tlog, checkpoint, witnesses: checkWitnessCosignatures(note, options.witnesses) };
}

function verifyCheckpoint(envelope: string, tlog: TransparencyLogInstance): { checkpoint: Checkpoint; note: SignedNote } {
  let note: SignedNote;
  let checkpoint: Checkpoint;
  try {
    note = parseSignedNote(envelope);
    checkpoint = parseCheckpoint(note.text);
  } catch (error) {
    if (isVouchError(error) && error.code === "INPUT_MALFORMED") throw fail(error.message, error);
    throw error;
  }
  let name: string | undefined;
  if (!REKOR_V1_ORIGIN.test(checkpoint.origin)) {
    // C2SP tlog-checkpoint: the origin is the log's identity and the log signs under that name. Without it, a
    // checkpoint of another log sharing the key would be accepted. sigstore-go takes the name from the base URL.
    const host = hostname(tlog.baseUrl);
    if (host === undefined) {
      throw fail(`the trusted root gives log ${tlog.baseUrl || "?"} no usable base URL to check the checkpoint origin against`);
    }
    if (checkpoint.origin !== host) {
      throw fail(`the checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the log's name ${JSON.stringify(host)}`);
    }
    name = host;
  }
  const verified = verifyNoteSignature(note, {
    name,
    publicKeyDer: tlog.publicKeyDer,
    keyDetails: tlog.keyDetails,
    keyId: tlog.checkpointKeyId,
  });
  if (!verified.ok) throw fail(`checkpoint: ${verified.reason}`);
  return { checkpoint, note };
}

function hostname(baseUrl: string): string | undefined {
  try {
    const host = new URL(baseUrl).hostname;
    return host === "" ? undefined : host;
  } catch {
    return undefined;
  }
}

function fail(message: string, cause?: unknown): VouchError {
  return new VouchError("VERIFY_TLOG_INCLUSION", message, cause === undefined ? undefined : { cause });
}
