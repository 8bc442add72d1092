/**
 * C2SP signed notes (c2sp.org/signed-note), tlog checkpoints (c2sp.org/tlog-checkpoint) and witness cosignatures
 * (c2sp.org/tlog-cosignature): parsing and verification, and the signing side for a log and a witness.
 */
export { decodeBase64Strict, encodeBase64 } from "./base64.js";
export { parseCheckpoint, type Checkpoint } from "./checkpoint.js";
export { noteKeyId } from "./key-id.js";
export { ed25519RawKey, loadVerificationKey, verifySignature, type VerificationKey } from "./public-key.js";
export {
  MAX_NOTE_LENGTH,
  MAX_NOTE_SIGNATURES,
  formatSignedNote,
  isValidKeyName,
  parseSignedNote,
  type NoteSignature,
  type SignedNote,
} from "./signed-note.js";
export { verifyNoteSignature, type NoteVerification, type NoteVerifier } from "./verify.js";
export {
  SIGNATURE_TYPE,
  ed25519Spki,
  formatVerifierKey,
  noteVerifierFromKey,
  parseVerifierKey,
  verifierKeyId,
  type SignatureType,
  type VerifierKey,
} from "./vkey.js";
export {
  createNoteSigner,
  formatCheckpoint,
  signCheckpoint,
  type CheckpointBody,
  type NoteSigner,
  type NoteSignerOptions,
} from "./signer.js";
export {
  cosignCheckpoint,
  cosignatureKeyId,
  cosignatureMessage,
  cosignatureVerifierFromKey,
  createCosigner,
  verifyCosignature,
  verifyCosignatures,
  type CosignatureCheck,
  type CosignatureVerification,
  type CosignatureVerifier,
  type Cosigner,
} from "./cosignature.js";
