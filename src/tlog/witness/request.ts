import { VouchError } from "../../core/errors.js";
import { decodeBase64Strict, encodeBase64, parseSignedNote, type NoteSignature } from "../../core/note/index.js";

/** An add-checkpoint request (c2sp.org/tlog-witness): old size, consistency proof, new signed checkpoint. */
export interface AddCheckpointRequest {
  /** The tree size of the checkpoint the client believes the witness last cosigned (0 for none). */
  oldSize: number;
  /** RFC 6962 consistency proof from oldSize to the new checkpoint's size. */
  proof: Uint8Array[];
  /** The new checkpoint as a signed note (it may carry several signatures). */
  checkpoint: string;
}

/** "The client MUST NOT send more than 63 consistency proof lines" (a proof in a 2^64 tree is at most 63 hashes). */
export const MAX_PROOF_LINES = 63;
const OLD_SIZE = /^old (0|[1-9][0-9]*)$/;
const HASH_SIZE = 32;

/**
 * Parses an add-checkpoint request body: "old <size>\n", zero to 63 base64 hash lines, an empty line, then the
 * checkpoint. The checkpoint is returned as text; the witness parses and verifies it.
 *
 * @throws VouchError INPUT_MALFORMED saying which part is malformed (HTTP 400).
 * @example
 *   const { oldSize, proof, checkpoint } = parseAddCheckpointRequest(body);
 */
export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  const firstEnd = body.indexOf("\n");
  if (firstEnd < 0) throw malformed("no old size line");
  const match = OLD_SIZE.exec(body.slice(0, firstEnd));
  if (match === null) throw malformed(`first line ${JSON.stringify(clip(body.slice(0, firstEnd)))} is not "old <size>"`);
  const oldSize = Number(match[1]);
  if (!Number.isSafeInteger(oldSize)) throw malformed(`old size ${match[1]} is too large`);

  const proof: Uint8Array[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = body.indexOf("\n", at);
    if (end < 0) throw malformed("no empty line before the checkpoint");
    const line = body.slice(at, end);
    at = end + 1;
    if (line === "") break;
    if (proof.length === MAX_PROOF_LINES) throw malformed(`more than ${MAX_PROOF_LINES} consistency proof lines`);
    const hash = decodeBase64Strict(line);
    if (hash === undefined || hash.length !== HASH_SIZE) throw malformed(`consistency proof line ${proof.length + 1} is not a base64 SHA-256 hash`);
    proof.push(hash);
  }
  const checkpoint = body.slice(at);
  if (checkpoint === "") throw malformed("no checkpoint after the empty line");
  return { oldSize, proof, checkpoint };
}

/** The request body a log sends to a witness (the inverse of parseAddCheckpointRequest). */
export function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0) throw malformed(`old size ${request.oldSize} is not a tree size`);
  if (request.proof.length > MAX_PROOF_LINES) throw malformed(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  return `old ${request.oldSize}\n${request.proof.map((h) => `${encodeBase64(h)}\n`).join("")}\n${request.checkpoint}`;
}

/** One signature line, "— <name> <base64(key ID || signature)>\n" (c2sp.org/signed-note). */
export function formatSignatureLine(signature: NoteSignature): string {
  const bytes = new Uint8Array(signature.keyId.length + signature.signature.length);
  bytes.set(signature.keyId);
  bytes.set(signature.signature, signature.keyId.length);
  return `\u2014 ${signature.name} ${encodeBase64(bytes)}\n`;
}

/**
 * The cosignature lines of a 200 response ("a sequence of one or more note signature lines"), parsed with the
 * signed-note rules. The client verifies them against the witness keys it trusts (verifyCosignatures).
 *
 * @throws VouchError INPUT_MALFORMED when the body is not signature lines.
 */
export function parseAddCheckpointResponse(body: string): NoteSignature[] {
  if (body === "" || !body.startsWith("\u2014 ")) throw malformed("the response is not signature lines");
  // The lines are the signature block of a note: borrow the note parser with a placeholder text.
  return parseSignedNote(`-\n\n${body}`).signatures;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `add-checkpoint: ${message}`);
}
