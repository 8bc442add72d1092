import { createPublicKey, sign, type KeyObject } from "node:crypto";
import { VouchError } from "../errors.js";
import { encodeBase64 } from "./base64.js";
import { formatSignedNote, isValidKeyName, type NoteSignature } from "./signed-note.js";
import { SIGNATURE_TYPE, formatVerifierKey, verifierKeyId } from "./vkey.js";

/**
 * Signs note texts with one log key (the signing side of c2sp.org/signed-note). Its signatures verify with
 * verifyNoteSignature given `publicKeyDer` and `keyDetails`.
 */
export interface NoteSigner {
  /** Key name written on every signature line (for a C2SP log, its origin). */
  readonly name: string;
  /** The 4-byte key ID every signature line carries. */
  readonly keyId: Uint8Array;
  /** The public key, SubjectPublicKeyInfo DER (what a trusted root publishes). */
  readonly publicKeyDer: Uint8Array;
  /** protobuf-specs PublicKeyDetails of the key: "PKIX_ED25519" or "PKIX_ECDSA_P256_SHA_256". */
  readonly keyDetails: "PKIX_ED25519" | "PKIX_ECDSA_P256_SHA_256";
  /** Signs `text` (a note text, ending in a newline) and returns its signature line. */
  sign(text: string): NoteSignature;
  /**
   * The verifier key ("vkey") of this signer: `<name>+<hex key ID>+<base64(type || key)>`, type 0x01 and the raw key
   * for Ed25519 (c2sp.org/signed-note), type 0x02 and the SPKI DER for ECDSA (transparency-dev/formats).
   */
  formatVerifierKey(): string;
}

export interface NoteSignerOptions {
  name: string;
  /** An Ed25519 or ECDSA P-256 private key. */
  privateKey: KeyObject;
}

/**
 * A note signer for a log key. Key IDs:
 * - Ed25519: SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4] (c2sp.org/signed-note);
 * - ECDSA P-256: SHA-256(SPKI DER)[:4], what Rekor v1 and rekor-tiles write (the first 4 bytes of the log ID), so
 *   Sigstore clients find the signature; ECDSA signatures are ASN.1 DER over SHA-256 of the text.
 *
 * @throws VouchError INPUT_MALFORMED for an invalid key name or a public key; INPUT_UNSUPPORTED_FORMAT for other key
 *   types (RSA, other curves).
 * @example
 *   const signer = createNoteSigner({ name: "log.example.com/vouch", privateKey });
 *   const note = signCheckpoint({ origin: signer.name, size: 3, rootHash }, [signer]);
 */
export function createNoteSigner(options: NoteSignerOptions): NoteSigner {
  const { name, privateKey } = options;
  if (!isValidKeyName(name)) throw new VouchError("INPUT_MALFORMED", `note signer: invalid key name ${JSON.stringify(name)}`);
  if (privateKey.type !== "private") throw new VouchError("INPUT_MALFORMED", "note signer: the key is not a private key");
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: "spki", format: "der" });
  const publicKeyDer = new Uint8Array(spki.buffer, spki.byteOffset, spki.byteLength);
  const type = privateKey.asymmetricKeyType;
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;

  if (type === "ed25519") {
    const raw = ed25519Raw(publicKey);
    const keyId = verifierKeyId(name, SIGNATURE_TYPE.ed25519, raw);
    return {
      name,
      keyId,
      publicKeyDer,
      keyDetails: "PKIX_ED25519",
      sign: (text) => ({ name, keyId, signature: new Uint8Array(sign(null, noteBytes(text), privateKey)) }),
      formatVerifierKey: () => formatVerifierKey(name, SIGNATURE_TYPE.ed25519, raw),
    };
  }
  if (type === "ec" && curve === "prime256v1") {
    const keyId = verifierKeyId(name, SIGNATURE_TYPE.ecdsaSha256, publicKeyDer);
    return {
      name,
      keyId,
      publicKeyDer,
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      sign: (text) => ({ name, keyId, signature: new Uint8Array(sign("sha256", noteBytes(text), { key: privateKey, dsaEncoding: "der" })) }),
      formatVerifierKey: () => formatVerifierKey(name, SIGNATURE_TYPE.ecdsaSha256, publicKeyDer),
    };
  }
  throw new VouchError(
    "INPUT_UNSUPPORTED_FORMAT",
    `note signer: ${type ?? "unknown"}${curve ? ` ${curve}` : ""} keys cannot sign checkpoints (use Ed25519 or ECDSA P-256)`,
  );
}

/** The checkpoint a log signs (c2sp.org/tlog-checkpoint). Sizes are JS numbers (safe integers) or bigints. */
export interface CheckpointBody {
  origin: string;
  size: number | bigint;
  rootHash: Uint8Array;
  /** Extension lines after the root hash, without newlines (NOT RECOMMENDED by the spec; Rekor v1 uses one). */
  extensions?: readonly string[];
}

const MAX_U64 = (1n << 64n) - 1n;
// An origin or extension line is one line of a note: no newline and no other control character (signed-note).
const hasControl = (line: string): boolean => [...line].some((c) => c.charCodeAt(0) < 0x20);

/**
 * The text of a checkpoint: origin, tree size in decimal, base64 root hash, extension lines, each ending in "\n".
 *
 * @throws VouchError INPUT_MALFORMED for an empty origin, a line with a control character, a size that is not a
 *   64-bit unsigned integer, or an empty root hash.
 */
export function formatCheckpoint(checkpoint: CheckpointBody): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (origin.length === 0 || hasControl(origin)) throw malformed(`origin ${JSON.stringify(origin)} is not one non-empty line`);
  const big = typeof size === "bigint" ? size : Number.isSafeInteger(size) ? BigInt(size) : -1n;
  if (big < 0n || big > MAX_U64) throw malformed(`tree size ${String(size)} is not an unsigned 64-bit integer`);
  if (rootHash.length === 0) throw malformed("root hash is empty");
  for (const line of extensions) {
    if (line.length === 0 || hasControl(line)) throw malformed(`extension line ${JSON.stringify(line)} is not one non-empty line`);
  }
  return [origin, big.toString(), encodeBase64(rootHash), ...extensions].map((line) => `${line}\n`).join("");
}

/**
 * A signed checkpoint note: the checkpoint text followed by one signature line per signer, in order.
 *
 * @throws VouchError INPUT_MALFORMED for a malformed checkpoint or no signers.
 * @example
 *   const note = signCheckpoint({ origin: "log.example.com/vouch", size: head.size, rootHash: head.rootHash }, [logSigner]);
 */
export function signCheckpoint(checkpoint: CheckpointBody, signers: readonly NoteSigner[]): string {
  if (signers.length === 0) throw malformed("at least one signer is needed");
  const text = formatCheckpoint(checkpoint);
  return formatSignedNote({ text, signatures: signers.map((s) => s.sign(text)) });
}

function noteBytes(text: string): Buffer {
  // A note text always ends in a newline; signing anything else would produce a signature no note can carry.
  if (!text.endsWith("\n")) throw new VouchError("INPUT_MALFORMED", "signed note: note text must end in a newline");
  return Buffer.from(text, "utf8");
}

/** The raw 32-byte public key of an Ed25519 KeyObject (RFC 8032 encoding). */
export function ed25519Raw(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new VouchError("INPUT_MALFORMED", "not an Ed25519 key");
  }
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}

function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `checkpoint: ${message}`);
}
