import { VouchError } from "../errors.js";

/**
 * Which tree nodes an RFC 6962 proof is made of, without any hashes: the plan a log follows to build a proof from
 * whatever stores its nodes (tiles here). Sizes and indexes are JS numbers (a log with 2^53 entries is far away).
 *
 * A proof hash is either one perfect subtree root, or the root of an incomplete ("ephemeral") subtree at the right
 * edge of the tree, which is computed from the perfect subtrees covering the same leaves (RFC 6962 §2.1: MTH of a
 * range whose size is not a power of two).
 */

/** The root of the perfect subtree of height `height` covering leaves [index·2^height, (index+1)·2^height). */
export interface PerfectNode {
  height: number;
  index: number;
}

/**
 * One hash of a proof: the perfect subtrees covering its leaves, left to right. One node is that node's hash;
 * several are folded from the right: MTH = H(n0, H(n1, … H(nk-1, nk))).
 */
export type ProofElement = readonly PerfectNode[];

/**
 * The perfect subtrees covering leaves [start, start+size), left to right. Inside the RFC 6962 recursion every range
 * starts at a multiple of a power of two at least as large as the range, so the binary decomposition of `size`,
 * largest part first, gives aligned perfect subtrees.
 */
export function rangeNodes(start: number, size: number): PerfectNode[] {
  const nodes: PerfectNode[] = [];
  let offset = start;
  for (let height = Math.floor(Math.log2(size)); height >= 0 && offset < start + size; height--) {
    const width = 2 ** height;
    if (start + size - offset >= width) {
      nodes.push({ height, index: offset / width });
      offset += width;
    }
  }
  return nodes;
}

/**
 * PATH(m, D[n]) of RFC 6962 §2.1.1 as a list of proof elements, from the leaf up.
 *
 * @throws VouchError LOG_NOT_FOUND when the leaf is not in the tree.
 */
export function inclusionProofNodes(index: number, size: number): ProofElement[] {
  assertCount(index, "leaf index");
  assertCount(size, "tree size");
  if (index >= size) throw new VouchError("LOG_NOT_FOUND", `leaf ${index} is not in a tree of size ${size}`);
  const out: ProofElement[] = [];
  path(index, 0, size, out);
  return out;
}

/** PATH(m, D[start:start+size]) appended to `out` leaf-first: recursion depth is log2(size). */
function path(m: number, start: number, size: number, out: ProofElement[]): void {
  if (size <= 1) return;
  const k = largestPowerOfTwoBelow(size);
  if (m < k) {
    path(m, start, k, out);
    out.push(rangeNodes(start + k, size - k));
  } else {
    path(m - k, start + k, size - k, out);
    out.push(rangeNodes(start, k));
  }
}

/**
 * PROOF(m, D[n]) of RFC 6962 §2.1.2 (consistency between the trees of sizes m and n), as proof elements.
 * Equal sizes need no proof (RFC 9162 §2.1.4.2); an empty first tree proves nothing.
 *
 * @throws VouchError LOG_NOT_FOUND when the sizes cannot describe two versions of the tree.
 */
export function consistencyProofNodes(first: number, second: number): ProofElement[] {
  assertCount(first, "first size");
  assertCount(second, "second size");
  if (first > second) throw new VouchError("LOG_NOT_FOUND", `first size ${first} is larger than the second size ${second}`);
  if (first === second) return [];
  if (first === 0) throw new VouchError("LOG_NOT_FOUND", "a consistency proof from the empty tree proves nothing");
  const out: ProofElement[] = [];
  subproof(first, 0, second, true, out);
  return out;
}

/** SUBPROOF(m, D[start:start+size], b), leaf-first like PATH. */
function subproof(m: number, start: number, size: number, whole: boolean, out: ProofElement[]): void {
  if (m === size) {
    if (!whole) out.push(rangeNodes(start, size));
    return;
  }
  const k = largestPowerOfTwoBelow(size);
  if (m <= k) {
    subproof(m, start, k, whole, out);
    out.push(rangeNodes(start + k, size - k));
  } else {
    subproof(m - k, start + k, size - k, false, out);
    out.push(rangeNodes(start, k));
  }
}

/** The largest power of two strictly below n (n ≥ 2): the RFC 6962 split point k. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function assertCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new VouchError("LOG_NOT_FOUND", `${what} ${n} is not a whole number ≥ 0`);
}
