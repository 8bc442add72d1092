import { VouchError } from "../errors.js";
import { bitLength, hex, malformed, onesCount } from "./bits.js";
import { HASH_SIZE, bytesEqual, nodeHash } from "./hash.js";

/** Result of a proof check: why it failed, when it did (the caller turns it into its own step's error code). */
export type ProofCheck = { ok: true } | { ok: false; reason: string };

const MAX_U64 = (1n << 64n) - 1n;

/**
 * The root hash that an inclusion proof (audit path) leads to, per RFC 9162 §2.1.3.2 in the form
 * transparency-dev/merkle `proof.RootFromInclusionProof` uses: the path is split where the paths to `index` and to
 * `size - 1` diverge; the lower ("inner") part is chained by the index bits, the upper ("border") part only ever has
 * left siblings.
 *
 * `index`, `size` and every hash come from the bundle and are attacker-controlled: the index must be inside the
 * tree, and the proof must have exactly the length the tree shape dictates (a longer or shorter path could
 * otherwise prove a node other than a leaf).
 *
 * @throws VouchError INPUT_MALFORMED when the index, size, leaf hash or proof length cannot describe a leaf of
 *   this tree.
 * @example
 *   const root = rootFromInclusionProof(3n, 8n, leafHash(body), proofHashes);
 */
export function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (size <= 0n || size > MAX_U64) throw malformed(`tree size ${size} is not in 1..2^64-1`);
  if (index < 0n || index >= size) throw malformed(`leaf index ${index} is outside a tree of size ${size}`);
  if (leaf.length !== HASH_SIZE) throw malformed(`leaf hash is ${leaf.length} bytes, expected ${HASH_SIZE}`);
  const inner = bitLength(index ^ (size - 1n));
  const border = onesCount(index >> BigInt(inner));
  if (proof.length !== inner + border) {
    throw malformed(`inclusion proof has ${proof.length} hashes, a leaf at ${index} of ${size} needs ${inner + border}`);
  }
  proof.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw malformed(`inclusion proof hash ${i} is ${h.length} bytes, expected ${HASH_SIZE}`);
  });
  let hash = leaf;
  for (let i = 0; i < inner; i++) {
    const sibling = proof[i]!;
    hash = ((index >> BigInt(i)) & 1n) === 0n ? nodeHash(hash, sibling) : nodeHash(sibling, hash);
  }
  for (let i = inner; i < proof.length; i++) hash = nodeHash(proof[i]!, hash);
  return hash;
}

/**
 * Checks that `leaf` is the leaf hash at `index` in the tree of `size` leaves whose root is `root`
 * (RFC 9162 §2.1.3.2). Never throws for a bad proof: the result says what was wrong.
 *
 * @example
 *   const check = verifyInclusion(index, size, leafHash(body), hashes, rootHash);
 *   if (!check.ok) throw new VouchError("VERIFY_TLOG_INCLUSION", check.reason);
 */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofCheck {
  let computed: Uint8Array;
  try {
    computed = rootFromInclusionProof(index, size, leaf, proof);
  } catch (error) {
    if (error instanceof VouchError) return { ok: false, reason: error.message };
    throw error;
  }
  if (!bytesEqual(computed, root)) {
    return {
      ok: false,
      reason: `inclusion proof leads to root ${hex(computed)}, expected ${hex(root)}`,
    };
  }
  return { ok: true };
}
