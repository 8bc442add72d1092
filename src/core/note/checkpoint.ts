import { VouchError } from "../errors.js";
import { decodeBase64Strict } from "./base64.js";

/** A C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text a log signs to commit to a tree head. */
export interface Checkpoint {
  /** The log's origin line (its identity, e.g. "log2025-1.rekor.sigstore.dev", or Rekor v1's "host - treeID"). */
  origin: string;
  /** Number of leaves in the tree. */
  size: bigint;
  /** The tree's root hash. */
  rootHash: Uint8Array;
  /** Extension lines after the root hash (e.g. Rekor v1's "Timestamp: …"), without their newlines. */
  extensions: string[];
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const MAX_U64 = (1n << 64n) - 1n;

/**
 * Parses the text of a signed checkpoint (SignedNote.text): origin line, tree size in ASCII decimal without leading
 * zeros, root hash in base64, then optional non-empty extension lines, each line ending in a newline.
 * The note's signatures are not checked here.
 *
 * @throws VouchError INPUT_MALFORMED naming the missing or malformed line.
 * @example
 *   const { origin, size, rootHash } = parseCheckpoint(parseSignedNote(envelope).text);
 */
export function parseCheckpoint(noteText: string): Checkpoint {
  if (!noteText.endsWith("\n")) throw malformed("text does not end in a newline");
  const lines = noteText.slice(0, -1).split("\n");
  if (lines.length < 3) {
    throw malformed(`has ${lines.length} line(s); origin, tree size and root hash are required`);
  }
  const [origin, sizeLine, hashLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw malformed("origin line is empty");
  if (!DECIMAL.test(sizeLine)) throw malformed(`tree size line ${JSON.stringify(clip(sizeLine))} is not a decimal number`);
  const size = BigInt(sizeLine);
  if (size > MAX_U64) throw malformed(`tree size ${sizeLine} does not fit in 64 bits`);
  const rootHash = decodeBase64Strict(hashLine);
  if (rootHash === undefined || rootHash.length === 0) {
    throw malformed(`root hash line ${JSON.stringify(clip(hashLine))} is not base64`);
  }
  extensions.forEach((line, i) => {
    if (line.length === 0) throw malformed(`extension line ${i + 1} is empty`);
  });
  return { origin, size, rootHash, extensions };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `checkpoint: ${message}`);
}
