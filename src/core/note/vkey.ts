import { createHash } from "node:crypto";
import { VouchError } from "../errors.js";
import { decodeBase64Strict, encodeBase64 } from "./base64.js";
import { isValidKeyName } from "./signed-note.js";
import type { NoteVerifier } from "./verify.js";

/**
 * c2sp.org/signed-note signature type bytes vouch reads and writes:
 * - 0x01 Ed25519 note signatures (a log's checkpoint key);
 * - 0x02 ECDSA with SHA-256 (transparency-dev/formats, what Rekor's checkpoints use), key ID = SHA-256(SPKI DER)[:4];
 * - 0x04 timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature).
 */
export const SIGNATURE_TYPE = { ed25519: 0x01, ecdsaSha256: 0x02, cosignatureV1: 0x04 } as const;
export type SignatureType = (typeof SIGNATURE_TYPE)[keyof typeof SIGNATURE_TYPE];

/** A parsed verifier key ("vkey"): `<name>+<hex key ID>+<base64(type || public key)>`. */
export interface VerifierKey {
  name: string;
  /** The 4-byte key ID, checked against the key when parsed. */
  keyId: Uint8Array;
  type: SignatureType;
  /** Key material after the type byte: the raw 32-byte key for Ed25519 types, SPKI DER for ECDSA. */
  publicKey: Uint8Array;
}

const ED25519_KEY_SIZE = 32;
// SubjectPublicKeyInfo DER prefix for an Ed25519 key (RFC 8410 §4): SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING }.
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const KEY_ID = /^[0-9a-fA-F]{8}$/;

/**
 * The key ID a vkey of this type must carry. Ed25519 types follow the signed-note recommendation
 * SHA-256(name || 0x0A || type || key)[:4]; ECDSA (0x02) hashes the SPKI DER alone, as transparency-dev/formats and
 * Rekor do (the name is not part of it).
 */
export function verifierKeyId(name: string, type: SignatureType, publicKey: Uint8Array): Uint8Array {
  const hash = createHash("sha256");
  if (type === SIGNATURE_TYPE.ecdsaSha256) hash.update(publicKey);
  else hash.update(name).update("\n").update(Uint8Array.of(type)).update(publicKey);
  return new Uint8Array(hash.digest().subarray(0, 4));
}

/**
 * Parses a verifier key as golang.org/x/mod/sumdb/note.NewVerifier and transparency-dev/formats NewVerifier do: the
 * name up to the first "+", eight hex digits of key ID up to the second, then base64 of the type byte and the key.
 * The key ID must be the one the key and name give: a vkey whose ID does not match is a typo or a substitution.
 *
 * @throws VouchError INPUT_MALFORMED naming what is wrong; INPUT_UNSUPPORTED_FORMAT for other signature types.
 * @example
 *   const key = parseVerifierKey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) throw malformed(vkey, "is not <name>+<key ID>+<key>");
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  if (!isValidKeyName(name)) throw malformed(vkey, `has an invalid key name ${JSON.stringify(name)}`);
  if (!KEY_ID.test(idHex)) throw malformed(vkey, "key ID is not 8 hex digits");
  const bytes = decodeBase64Strict(vkey.slice(second + 1));
  if (bytes === undefined || bytes.length < 2) throw malformed(vkey, "key is not base64 of a type byte and a key");
  const type = bytes[0]!;
  const publicKey = bytes.slice(1);
  if (type === SIGNATURE_TYPE.ed25519 || type === SIGNATURE_TYPE.cosignatureV1) {
    if (publicKey.length !== ED25519_KEY_SIZE) throw malformed(vkey, `Ed25519 key is ${publicKey.length} bytes, expected 32`);
  } else if (type !== SIGNATURE_TYPE.ecdsaSha256) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `verifier key ${clip(vkey)}: signature type 0x${type.toString(16).padStart(2, "0")} is not supported`);
  }
  const keyId = Uint8Array.from(Buffer.from(idHex, "hex"));
  const expected = verifierKeyId(name, type, publicKey);
  if (!bytesEqual(keyId, expected)) {
    throw malformed(vkey, `key ID ${idHex.toLowerCase()} does not match the key (expected ${hex(expected)})`);
  }
  return { name, keyId, type, publicKey };
}

/**
 * Writes a verifier key (the inverse of parseVerifierKey), computing its key ID.
 *
 * @throws VouchError INPUT_MALFORMED for an invalid name or a key of the wrong size for its type.
 */
export function formatVerifierKey(name: string, type: SignatureType, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new VouchError("INPUT_MALFORMED", `verifier key: invalid key name ${JSON.stringify(name)}`);
  if (type !== SIGNATURE_TYPE.ecdsaSha256 && publicKey.length !== ED25519_KEY_SIZE) {
    throw new VouchError("INPUT_MALFORMED", `verifier key: Ed25519 key is ${publicKey.length} bytes, expected 32`);
  }
  const material = new Uint8Array(1 + publicKey.length);
  material[0] = type;
  material.set(publicKey, 1);
  return `${name}+${hex(verifierKeyId(name, type, publicKey))}+${encodeBase64(material)}`;
}

/**
 * A NoteVerifier for a log's checkpoint key given as a vkey (type 0x01 Ed25519 or 0x02 ECDSA P-256), for
 * verifyNoteSignature. The signature line must carry the vkey's name.
 *
 * @throws VouchError INPUT_MALFORMED for a cosignature (0x04) key: it signs a different message, not the note text.
 */
export function noteVerifierFromKey(key: VerifierKey): NoteVerifier {
  switch (key.type) {
    case SIGNATURE_TYPE.ed25519:
      return { name: key.name, publicKeyDer: ed25519Spki(key.publicKey), keyDetails: "PKIX_ED25519", keyId: key.keyId };
    case SIGNATURE_TYPE.ecdsaSha256:
      // Type 0x02 is "ECDSA with SHA-256": bound to P-256 here, the curve Rekor and transparency-dev logs use, so a
      // key on another curve is refused when loaded instead of being verified with a hash its vkey does not name.
      return { name: key.name, publicKeyDer: key.publicKey, keyDetails: "PKIX_ECDSA_P256_SHA_256", keyId: key.keyId };
    case SIGNATURE_TYPE.cosignatureV1:
      throw new VouchError("INPUT_MALFORMED", `verifier key ${key.name} is a cosignature (type 0x04) key, not a note signing key`);
  }
}

/** SubjectPublicKeyInfo DER of a raw 32-byte Ed25519 public key. */
export function ed25519Spki(raw: Uint8Array): Uint8Array {
  if (raw.length !== ED25519_KEY_SIZE) throw new VouchError("INPUT_MALFORMED", `Ed25519 key is ${raw.length} bytes, expected 32`);
  const der = new Uint8Array(ED25519_SPKI_PREFIX.length + ED25519_KEY_SIZE);
  der.set(ED25519_SPKI_PREFIX);
  der.set(raw, ED25519_SPKI_PREFIX.length);
  return der;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function malformed(vkey: string, message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `verifier key ${JSON.stringify(clip(vkey))} ${message}`);
}
