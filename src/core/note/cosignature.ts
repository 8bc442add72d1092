import { createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { VouchError } from "../errors.js";
import { parseCheckpoint } from "./checkpoint.js";
import { isValidKeyName, type NoteSignature, type SignedNote } from "./signed-note.js";
import { ed25519Raw } from "./signer.js";
import { SIGNATURE_TYPE, bytesEqual, ed25519Spki, formatVerifierKey, verifierKeyId, type VerifierKey } from "./vkey.js";

/**
 * c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1":
 * - key ID = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4];
 * - signed message = "cosignature/v1\n" || "time <T>\n" || the whole checkpoint note text (extension lines included);
 * - signature bytes = timestamp T (u64, big-endian, POSIX seconds, at most 2^63-1) || 64-byte Ed25519 signature.
 */
const TIMESTAMP_SIZE = 8;
const ED25519_SIGNATURE_SIZE = 64;
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** A witness's Ed25519 cosigning key. `sign` is the seam for keys held elsewhere (HSM, KMS). */
export interface Cosigner {
  /** The cosigner's key name (SHOULD be a schema-less URL naming the witness). */
  readonly name: string;
  /** The 4-byte cosignature key ID (type 0x04). */
  readonly keyId: Uint8Array;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** A raw Ed25519 signature over `message` (cosignCheckpoint builds the message). */
  sign(message: Uint8Array): Uint8Array;
  /** The cosigner's verifier key: `<name>+<key ID>+<base64(0x04 || key)>`. */
  formatVerifierKey(): string;
}

/** A witness key a verifier trusts, as parsed from a vkey. */
export interface CosignatureVerifier {
  name: string;
  keyId: Uint8Array;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/**
 * A cosigner for an Ed25519 private key. The spec forbids sharing one key between cosigners (the v1 message does not
 * name the cosigner), so give each witness its own key.
 *
 * @throws VouchError INPUT_MALFORMED for an invalid name or a public key; INPUT_UNSUPPORTED_FORMAT for a key that is
 *   not Ed25519.
 */
export function createCosigner(options: { name: string; privateKey: KeyObject }): Cosigner {
  const { name, privateKey } = options;
  if (!isValidKeyName(name)) throw new VouchError("INPUT_MALFORMED", `cosigner: invalid key name ${JSON.stringify(name)}`);
  if (privateKey.type !== "private") throw new VouchError("INPUT_MALFORMED", "cosigner: the key is not a private key");
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `cosigner: cosignature/v1 needs an Ed25519 key, not ${privateKey.asymmetricKeyType ?? "unknown"}`);
  }
  const publicKey = ed25519Raw(createPublicKey(privateKey));
  return {
    name,
    keyId: cosignatureKeyId(name, publicKey),
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
    formatVerifierKey: () => formatVerifierKey(name, SIGNATURE_TYPE.cosignatureV1, publicKey),
  };
}

/** SHA-256(name || 0x0A || 0x04 || public key)[:4] (c2sp.org/tlog-cosignature). */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return verifierKeyId(name, SIGNATURE_TYPE.cosignatureV1, publicKey);
}

/**
 * The witness key a vkey names. Type 0x04 is the cosignature key itself; a type 0x01 (plain Ed25519) vkey is read as
 * the same key used for cosignatures, with the 0x04 key ID, as transparency-dev/formats NewVerifierForCosignatureV1
 * does (witness operators often publish their key that way).
 *
 * @throws VouchError INPUT_MALFORMED for an ECDSA key (cosignature/v1 is Ed25519 only).
 */
export function cosignatureVerifierFromKey(key: VerifierKey): CosignatureVerifier {
  if (key.type === SIGNATURE_TYPE.cosignatureV1) return { name: key.name, keyId: key.keyId, publicKey: key.publicKey };
  if (key.type === SIGNATURE_TYPE.ed25519) {
    return { name: key.name, keyId: cosignatureKeyId(key.name, key.publicKey), publicKey: key.publicKey };
  }
  throw new VouchError("INPUT_MALFORMED", `verifier key ${key.name} is not an Ed25519 key: it cannot verify cosignatures`);
}

/** "cosignature/v1\ntime <T>\n" || checkpoint text: the bytes a v1 cosignature signs. */
export function cosignatureMessage(checkpointText: string, timestamp: bigint): Uint8Array {
  return Buffer.from(`cosignature/v1\ntime ${timestamp.toString()}\n${checkpointText}`, "utf8");
}

/**
 * Cosigns a checkpoint at `timestamp` (POSIX seconds): the witness's statement that, as of that time, this is the
 * largest consistent tree head it has seen for the origin. The checkpoint must be well formed (a witness never signs
 * text it did not parse as a checkpoint).
 *
 * @param checkpointText the note text (SignedNote.text), not the signed note.
 * @throws VouchError INPUT_MALFORMED for text that is not a checkpoint or a timestamp outside 0..2^63-1.
 * @example
 *   const line = cosignCheckpoint(parseSignedNote(note).text, witness, Math.floor(Date.now() / 1000));
 *   const cosigned = formatSignedNote({ ...parsed, signatures: [...parsed.signatures, line] });
 */
export function cosignCheckpoint(checkpointText: string, cosigner: Cosigner, timestamp: number | bigint): NoteSignature {
  parseCheckpoint(checkpointText);
  const t = typeof timestamp === "bigint" ? timestamp : Number.isSafeInteger(timestamp) ? BigInt(timestamp) : -1n;
  if (t < 0n || t > MAX_TIMESTAMP) throw new VouchError("INPUT_MALFORMED", `cosignature: timestamp ${String(timestamp)} is not in 0..2^63-1`);
  const signature = cosigner.sign(cosignatureMessage(checkpointText, t));
  if (signature.length !== ED25519_SIGNATURE_SIZE) {
    throw new VouchError("INPUT_MALFORMED", `cosignature: the cosigner returned ${signature.length} bytes, not an Ed25519 signature`);
  }
  const bytes = new Uint8Array(TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE);
  new DataView(bytes.buffer).setBigUint64(0, t);
  bytes.set(signature, TIMESTAMP_SIZE);
  return { name: cosigner.name, keyId: cosigner.keyId, signature: bytes };
}

export type CosignatureVerification = { ok: true; timestamp: number } | { ok: false; reason: string };

// Ed25519 public keys are imported once per trusted witness key.
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

/**
 * Verifies one cosignature line over a checkpoint text with a trusted witness key. The line's name and key ID must be
 * the key's. Timestamps beyond 2^53-1 seconds are refused: they are far in the future, which the spec lets verifiers
 * reject, and cannot be represented as a JS number.
 *
 * @example
 *   const check = verifyCosignature(note.text, line, cosignatureVerifierFromKey(parseVerifierKey(vkey)));
 */
export function verifyCosignature(checkpointText: string, line: NoteSignature, key: CosignatureVerifier): CosignatureVerification {
  if (line.name !== key.name || !bytesEqual(line.keyId, key.keyId)) {
    return { ok: false, reason: `the signature line is not by ${key.name} (key ID ${hex(key.keyId)})` };
  }
  if (line.signature.length !== TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE) {
    return { ok: false, reason: `cosignature by ${key.name} is ${line.signature.length} bytes, expected timestamp + Ed25519 signature (72)` };
  }
  const timestamp = new DataView(line.signature.buffer, line.signature.byteOffset, line.signature.byteLength).getBigUint64(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ok: false, reason: `cosignature by ${key.name} has timestamp ${timestamp}, beyond any plausible time` };
  }
  let ok: boolean;
  try {
    ok = verify(null, cosignatureMessage(checkpointText, timestamp), keyObject(key.publicKey), line.signature.subarray(TIMESTAMP_SIZE));
  } catch {
    ok = false;
  }
  if (!ok) return { ok: false, reason: `cosignature by ${key.name} (key ID ${hex(key.keyId)}) does not verify` };
  return { ok: true, timestamp: Number(timestamp) };
}

export interface CosignatureCheck {
  /** One entry per distinct witness public key with a valid cosignature. */
  valid: { key: CosignatureVerifier; timestamp: number }[];
  /** Lines that carry a trusted key's name and key ID but do not verify. */
  invalid: { key: CosignatureVerifier; reason: string }[];
}

/**
 * The valid cosignatures of `note` by the trusted witness keys, counted once per distinct public key, with the
 * semantics of golang.org/x/mod/sumdb/note.Open:
 * - lines by unknown keys are ignored;
 * - for each trusted (name, key ID), the first matching line decides; later lines by the same key are not consulted;
 * - a matching line that does not verify is reported in `invalid` (signed-note: clients SHOULD reject the note).
 * Keys are grouped by public key, not by name: a v1 cosignature does not sign the cosigner's name, so one signature
 * could be copied under a second name that is configured with the same key. Such aliases count once.
 */
export function verifyCosignatures(note: SignedNote, keys: readonly CosignatureVerifier[]): CosignatureCheck {
  const byPublicKey = new Map<string, CosignatureVerifier[]>();
  for (const key of keys) {
    const id = hex(key.publicKey);
    const aliases = byPublicKey.get(id) ?? [];
    if (!aliases.some((a) => a.name === key.name && bytesEqual(a.keyId, key.keyId))) aliases.push(key);
    byPublicKey.set(id, aliases);
  }
  const result: CosignatureCheck = { valid: [], invalid: [] };
  for (const aliases of byPublicKey.values()) {
    let valid: CosignatureCheck["valid"][number] | undefined;
    for (const key of aliases) {
      const line = note.signatures.find((s) => s.name === key.name && bytesEqual(s.keyId, key.keyId));
      if (line === undefined) continue;
      const check = verifyCosignature(note.text, line, key);
      if (check.ok) valid ??= { key, timestamp: check.timestamp };
      else result.invalid.push({ key, reason: check.reason });
    }
    if (valid !== undefined) result.valid.push(valid);
  }
  return result;
}

function keyObject(raw: Uint8Array): KeyObject {
  let key = keyObjects.get(raw);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.from(ed25519Spki(raw)), format: "der", type: "spki" });
    keyObjects.set(raw, key);
  }
  return key;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
