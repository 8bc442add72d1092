import { emptyRoot, leafHash, nodeHash } from "../../src/core/merkle/index.js";

/**
 * RFC 6962 §2.1 written out as its recursive definitions, for tests: an independent reference for roots and proofs
 * (slow, obviously correct).
 */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]). */
export function treeRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leafHash(leaves[0]!);
  const k = split(leaves.length);
  return nodeHash(treeRoot(leaves.slice(0, k)), treeRoot(leaves.slice(k)));
}

/** PROOF(m, D[n]) (§2.1.2): the consistency proof from the first m leaves to all of them. */
export function consistencyProof(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  const sub = (m: number, d: readonly Uint8Array[], complete: boolean): Uint8Array[] => {
    if (m === d.length) return complete ? [] : [treeRoot(d)];
    const k = split(d.length);
    return m <= k ? [...sub(m, d.slice(0, k), complete), treeRoot(d.slice(k))] : [...sub(m - k, d.slice(k), false), treeRoot(d.slice(0, k))];
  };
  return m === 0 || m === leaves.length ? [] : sub(m, leaves, true);
}

/** PATH(m, D[n]) (§2.1.1): the audit path of leaf m. */
export function auditPath(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k ? [...auditPath(m, leaves.slice(0, k)), treeRoot(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), treeRoot(leaves.slice(0, k))];
}

/** n distinct leaves. */
export function leaves(n: number, prefix = "leaf"): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new Uint8Array(Buffer.from(`${prefix} ${i}`)));
}
