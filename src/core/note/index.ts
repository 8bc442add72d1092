/** C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint). */
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
