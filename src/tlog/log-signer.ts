import { createHash, sign, type KeyObject } from "node:crypto";
import { createNoteSigner, signCheckpoint, type NoteSigner } from "../core/note/index.js";

/**
 * Everything the log signs with its one key: checkpoints (C2SP signed notes) and Rekor v1 signed entry timestamps.
 * The log ID is SHA-256 of the public key's SubjectPublicKeyInfo DER, as Rekor and the trusted-root format define it.
 *
 * Naming: the note is signed under <name>, the host clients reach the log at, and by default the checkpoint origin is
 * that same name (c2sp.org/tlog-checkpoint, as Rekor v2 does). Sigstore verifiers depend on it: sigstore-js accepts a
 * checkpoint signature only when the trusted root's baseUrl contains the signature's key name, and sigstore-go and
 * vouch require a C2SP origin to equal the host of that baseUrl.
 */
export interface LogSigner {
  /** The host name the log is reached at (the note key name). */
  readonly name: string;
  /** The checkpoint origin line (default: the name). */
  readonly origin: string;
  /** Rekor v1's tree ID: the first 8 bytes of the log ID as a positive int64, stable for a log key. */
  readonly treeId: string;
  readonly logId: Uint8Array;
  readonly note: NoteSigner;
  /** A checkpoint of (size, root) as a signed note: origin line, size, base64 root, then the signature. */
  checkpoint(size: number, rootHash: Uint8Array): string;
  /** A Rekor v1 SET over the canonical JSON payload: ECDSA-SHA256 (DER) or Ed25519. */
  signEntryTimestamp(payload: Uint8Array): Uint8Array;
}

/**
 * @example
 *   const signer = createLogSigner(privateKey, "log.example.com");
 *   signer.checkpoint(3, root); // "log.example.com\n3\n<root>\n\n— log.example.com <sig>\n"
 */
export function createLogSigner(privateKey: KeyObject, name: string, origin = name): LogSigner {
  const note = createNoteSigner({ name, privateKey });
  const logId = new Uint8Array(createHash("sha256").update(note.publicKeyDer).digest());
  // Trillian tree IDs are positive int64s.
  const treeId = (Buffer.from(logId.subarray(0, 8)).readBigUInt64BE() >> 1n).toString();
  const digest = privateKey.asymmetricKeyType === "ed25519" ? null : "sha256";
  return {
    name,
    origin,
    treeId,
    logId,
    note,
    checkpoint: (size, rootHash) => signCheckpoint({ origin: origin, size: BigInt(size), rootHash }, [note]),
    signEntryTimestamp: (payload) => new Uint8Array(sign(digest, payload, privateKey)),
  };
}
