import { VouchError } from "../errors.js";
import { bitLength, hex, malformed, onesCount, trailingZeros } from "./bits.js";
import { HASH_SIZE, bytesEqual, nodeHash } from "./hash.js";
import type { ProofCheck } from "./inclusion.js";

const MAX_U64 = (1n << 64n) - 1n;

/**
 * The root of the tree of `size2` leaves that a consistency proof from the tree of `size1` leaves (root `root1`)
 * leads to, after checking that the same proof reproduces `root1` (RFC 9162 §2.1.4.2, in the form
 * transparency-dev/merkle `proof.RootFromConsistencyProof` uses).
 *
 * A consistency proof is a suffix of the inclusion proof of leaf `size1 - 1` in the larger tree, from the level of
 * the largest complete subtree that ends at `size1`; the first hash is that subtree's root unless `size1` is itself
 * a power of two (then it is `root1`).
 *
 * @throws VouchError INPUT_MALFORMED when the sizes or proof length cannot describe two versions of one log, or
 *   when the proof does not reproduce `root1`.
 */
export function rootFromConsistencyProof(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): Uint8Array {
  if (size1 < 0n || size2 > MAX_U64) throw malformed(`tree sizes ${size1} and ${size2} are not in 0..2^64-1`);
  if (size2 < size1) throw malformed(`tree size ${size2} is smaller than the earlier size ${size1}`);
  proof.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw malformed(`consistency proof hash ${i} is ${h.length} bytes, expected ${HASH_SIZE}`);
  });
  if (size1 === size2) {
    // RFC 9162 §2.1.4.2 step 1 treats equal sizes as "nothing to prove": the proof must be empty.
    if (proof.length > 0) throw malformed(`sizes are equal (${size1}) but the consistency proof is not empty`);
    return root1;
  }
  // A consistency proof from the empty tree is meaningless (RFC 9162 §2.1.4: 0 < first).
  if (size1 === 0n) throw malformed("a consistency proof from the empty tree proves nothing");
  if (proof.length === 0) throw malformed(`empty consistency proof between sizes ${size1} and ${size2}`);

  const index = size1 - 1n;
  let inner = bitLength(index ^ (size2 - 1n));
  const border = onesCount(index >> BigInt(inner));
  const shift = trailingZeros(size1);
  inner -= shift; // shift < inner whenever size1 < size2

  // The proof starts with the root of the subtree of 2^shift leaves ending at size1, unless that subtree is the
  // whole first tree.
  let seed = proof[0]!;
  let start = 1;
  if (size1 === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  }
  if (proof.length !== start + inner + border) {
    throw malformed(
      `consistency proof has ${proof.length} hashes, sizes ${size1} -> ${size2} need ${start + inner + border}`,
    );
  }
  const path = proof.slice(start);
  const mask = index >> BigInt(shift);

  // First root: only the left siblings on the path existed in the smaller tree.
  let hash1 = seed;
  for (let i = 0; i < inner; i++) if (((mask >> BigInt(i)) & 1n) === 1n) hash1 = nodeHash(path[i]!, hash1);
  for (let i = inner; i < path.length; i++) hash1 = nodeHash(path[i]!, hash1);
  if (!bytesEqual(hash1, root1)) {
    throw malformed(`consistency proof leads to first root ${hex(hash1)}, expected ${hex(root1)}`);
  }

  // Second root: all siblings.
  let hash2 = seed;
  for (let i = 0; i < inner; i++) {
    hash2 = ((mask >> BigInt(i)) & 1n) === 0n ? nodeHash(hash2, path[i]!) : nodeHash(path[i]!, hash2);
  }
  for (let i = inner; i < path.length; i++) hash2 = nodeHash(path[i]!, hash2);
  return hash2;
}

/**
 * Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves with root `root1`
 * (append-only: RFC 9162 §2.1.4.2). Never throws for a bad proof: the result says what was wrong.
 *
 * @example
 *   const check = verifyConsistency(oldSize, newSize, hashes, oldRoot, newRoot);
 */
export function verifyConsistency(
  size1: bigint,
  size2: bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): ProofCheck {
  let computed: Uint8Array;
  try {
    computed = rootFromConsistencyProof(size1, size2, proof, root1);
  } catch (error) {
    if (error instanceof VouchError) return { ok: false, reason: error.message };
    throw error;
  }
  if (!bytesEqual(computed, root2)) {
    return { ok: false, reason: `consistency proof leads to root ${hex(computed)}, expected ${hex(root2)}` };
  }
  return { ok: true };
}
