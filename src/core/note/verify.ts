import { noteKeyId } from "./key-id.js";
import { loadVerificationKey, verifySignature } from "./public-key.js";
import type { NoteSignature, SignedNote } from "./signed-note.js";

/** The one key a note must be signed by (a log's key, from trust material). */
export interface NoteVerifier {
  /**
   * Key name the signature line must carry (for a C2SP log, its origin). Undefined accepts any name: the key ID and
   * the signature must still match (Rekor v1 checkpoints name a server, not the key).
   */
  name?: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKeyDer: Uint8Array;
  /** protobuf-specs PublicKeyDetails, e.g. "PKIX_ED25519". */
  keyDetails: string;
  /** The key ID to expect when the trust material states one (4+ bytes; the first 4 are used); computed otherwise. */
  keyId?: Uint8Array;
}

export type NoteVerification = { ok: true; signature: NoteSignature } | { ok: false; reason: string };

/**
 * Verifies that `note` carries a valid signature by `verifier`'s key, with the semantics of
 * golang.org/x/mod/sumdb/note.Open and C2SP signed-note:
 * - signature lines from other keys (witness cosignatures, other logs, a second key under the same name) are
 *   ignored, wherever they appear in the note;
 * - the first line whose name and key ID match the verifier decides: if its signature does not verify, the note is
 *   rejected (later lines with the same key ID are not consulted);
 * - no matching line at all is a failure (an unsigned or wrongly hinted note proves nothing).
 *
 * @throws VouchError INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT only when the verifier's own key is unusable.
 * @example
 *   const check = verifyNoteSignature(parseSignedNote(text), { name: "log2025-1.rekor.sigstore.dev", publicKeyDer, keyDetails: "PKIX_ED25519" });
 */
export function verifyNoteSignature(note: SignedNote, verifier: NoteVerifier): NoteVerification {
  const key = loadVerificationKey(verifier.publicKeyDer, verifier.keyDetails);
  const fixedId = verifier.keyId?.subarray(0, 4) ?? (verifier.name === undefined ? undefined : noteKeyId(verifier.name, key));
  const data = Buffer.from(note.text, "utf8");

  for (const line of note.signatures) {
    if (verifier.name !== undefined && line.name !== verifier.name) continue;
    const expectedId = fixedId ?? noteKeyId(line.name, key);
    if (!equal(line.keyId, expectedId)) continue;
    if (!verifySignature(key, data, line.signature)) {
      return {
        ok: false,
        reason: `signature by ${line.name} (key ID ${hex(expectedId)}) does not verify with the trusted key`,
      };
    }
    return { ok: true, signature: line };
  }
  const expected = fixedId === undefined ? "" : ` with key ID ${hex(fixedId)}`;
  const seen = note.signatures.map((s) => `${s.name} ${hex(s.keyId)}`).join(", ");
  return {
    ok: false,
    reason: `no signature by ${verifier.name ?? "the trusted key"}${expected} (signatures: ${seen || "none"})`,
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
