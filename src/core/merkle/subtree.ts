import { VouchError } from "../errors.js";
import { nodeHash } from "./hash.js";

/**
 * The root of a perfect subtree from its 2^k bottom hashes (leaf hashes, or the roots of equal smaller subtrees),
 * pairing neighbours level by level (RFC 6962 §2.1).
 *
 * @throws VouchError INPUT_MALFORMED when the count is not a power of two.
 */
export function perfectRoot(hashes: readonly Uint8Array[]): Uint8Array {
  const count = hashes.length;
  if (count === 0 || (count & (count - 1)) !== 0) {
    throw new VouchError("INPUT_MALFORMED", `a perfect subtree needs a power-of-two count of hashes, not ${count}`);
  }
  let level = hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = new Array<Uint8Array>(level.length / 2);
    for (let i = 0; i < next.length; i++) next[i] = nodeHash(level[2 * i]!, level[2 * i + 1]!);
    level = next;
  }
  return level[0]!;
}

/**
 * The hash of one proof element from the hashes of its perfect subtrees, left to right: a single subtree is its own
 * hash; several make the incomplete right-edge subtree, folded from the right as MTH recurses (RFC 6962 §2.1).
 */
export function foldProofElement(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0) throw new VouchError("INPUT_MALFORMED", "a proof element covers no subtree");
  let hash = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(parts[i]!, hash);
  return hash;
}
