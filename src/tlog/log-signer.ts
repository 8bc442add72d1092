import { createHash, sign, type KeyObject } from "node:crypto";
import { createNoteSigner, signCheckpoint, type NoteSigner } from "../core/note/index.js";

/**
 * Everything the log signs with its one key: checkpoints (C2SP signed notes) and Rekor v1 signed entry timestamps.
 * The log ID is SHA-256 of the public key's SubjectPublicKeyInfo DER, as Rekor and the trusted-root format define it.
 */
export interface LogSigner {
  readonly origin: string;
  readonly logId: Uint8Array;
  readonly note: NoteSigner;
  /** A checkpoint of (size, root) as a signed note: origin line, size, base64 root, then the signature. */
  checkpoint(size: number, rootHash: Uint8Array): string;
  /** A Rekor v1 SET over the canonical JSON payload: ECDSA-SHA256 (DER) or Ed25519. */
  signEntryTimestamp(payload: Uint8Array): Uint8Array;
}

/**
 * @example
 *   const signer = createLogSigner(privateKey, "log.example.com/vouch");
 *   const note = signer.checkpoint(10, root);
 */
export function createLogSigner(privateKey: KeyObject, origin: string): LogSigner {
  const note = createNoteSigner({ name: origin, privateKey });
  const logId = new Uint8Array(createHash("sha256").update(note.publicKeyDer).digest());
  const digest = privateKey.asymmetricKeyType === "ed25519" ? null : "sha256";
  return {
    origin,
    logId,
    note,
    checkpoint: (size, rootHash) => signCheckpoint({ origin, size: BigInt(size), rootHash }, [note]),
    signEntryTimestamp: (payload) => new Uint8Array(sign(digest, payload, privateKey)),
  };
}
