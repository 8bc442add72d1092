import { VouchError } from "../errors.js";
import { decodeBase64Strict, encodeBase64 } from "./base64.js";

/**
 * C2SP signed note (c2sp.org/signed-note): a text that ends in a newline, a blank line, then one or more signature
 * lines "— <key name> <base64(key ID (4 bytes) || signature)>". The text is what every signature covers, final
 * newline included.
 */
export interface SignedNote {
  /** The signed text, ending in "\n" (the separating blank line and the signature lines excluded). */
  text: string;
  /** Signature lines in note order. Which ones matter is the verifier's business (unknown keys are ignored). */
  signatures: NoteSignature[];
}

export interface NoteSignature {
  /** Key name as written on the signature line. */
  name: string;
  /** The 4-byte key ID ("key hint") that prefixes the signature. */
  keyId: Uint8Array;
  /** The signature proper (after the key ID). */
  signature: Uint8Array;
}

/** Go's golang.org/x/mod/sumdb/note caps a note at 100 signatures; so do we. */
export const MAX_NOTE_SIGNATURES = 100;
/** A defensive cap on the whole note (checkpoints are a few hundred bytes; cosigned ones a few kilobytes). */
export const MAX_NOTE_LENGTH = 1 << 20;

const SIGNATURE_PREFIX = "\u2014 ";
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Go's unicode.IsSpace (JS \s lacks U+0085) plus "+", which the spec reserves for verifier-key encodings.
const NOT_IN_NAME = /[\s\u0085+]/u;

/** C2SP signed-note: a key name is non-empty UTF-8 with no Unicode spaces and no "+". */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !NOT_IN_NAME.test(name) && !LONE_SURROGATE.test(name);
}

/**
 * Parses a signed note, checking its syntax exactly as golang.org/x/mod/sumdb/note.Open does before verifying
 * anything: well-formed text with no control characters but newline, split at the LAST blank line, every line after
 * it a well-formed signature line, at least one signature. Signatures are not verified here
 * (see verifyNoteSignature).
 *
 * @throws VouchError INPUT_MALFORMED saying which rule the note breaks.
 * @example
 *   const note = parseSignedNote(entry.inclusionProof.checkpoint);
 */
export function parseSignedNote(message: string): SignedNote {
  if (message.length > MAX_NOTE_LENGTH) throw malformed(`note is longer than ${MAX_NOTE_LENGTH} characters`);
  if (LONE_SURROGATE.test(message)) throw malformed("note is not well-formed UTF-8");
  const control = firstControlCharacter(message);
  if (control !== undefined) throw malformed(`note contains control character U+${control.toString(16).padStart(4, "0")}`);
  const split = message.lastIndexOf("\n\n");
  if (split < 0) throw malformed("note has no blank line before its signatures");
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0) throw malformed("note has no signature lines");
  if (!block.endsWith("\n")) throw malformed("note's last signature line does not end in a newline");

  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line, i): NoteSignature => {
    const where = `signature line ${i + 1}`;
    if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed(`${where} does not start with "\u2014 "`);
    const fields = line.slice(SIGNATURE_PREFIX.length).split(" ");
    if (fields.length !== 2) throw malformed(`${where} is not "\u2014 <name> <signature>"`);
    const [name, b64] = fields as [string, string];
    if (!isValidKeyName(name)) throw malformed(`${where} has an invalid key name ${JSON.stringify(name)}`);
    const bytes = decodeBase64Strict(b64);
    if (bytes === undefined) throw malformed(`${where} signature is not canonical base64`);
    if (bytes.length < 5) throw malformed(`${where} signature is ${bytes.length} bytes, shorter than key ID + signature`);
    return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { text, signatures };
}

/** Writes a signed note (the inverse of parseSignedNote), e.g. for a log that signs checkpoints. */
export function formatSignedNote(note: SignedNote): string {
  if (!note.text.endsWith("\n")) throw malformed("note text must end in a newline");
  const lines = note.signatures.map((s) => {
    if (!isValidKeyName(s.name)) throw malformed(`invalid key name ${JSON.stringify(s.name)}`);
    if (s.keyId.length !== 4) throw malformed("key ID must be 4 bytes");
    const sig = new Uint8Array(4 + s.signature.length);
    sig.set(s.keyId);
    sig.set(s.signature, 4);
    return `${SIGNATURE_PREFIX}${s.name} ${encodeBase64(sig)}\n`;
  });
  return `${note.text}\n${lines.join("")}`;
}

/** The first ASCII control character other than newline (Go note.Open: r < 0x20 && r != '\n'). */
function firstControlCharacter(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return c;
  }
  return undefined;
}

function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `signed note: ${message}`);
}
