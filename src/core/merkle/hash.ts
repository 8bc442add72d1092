import { createHash } from "node:crypto";

/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 hashing with SHA-256: leaves and interior nodes are hashed with different
 * one-byte prefixes so that a leaf can never be passed off as an interior node (second-preimage resistance).
 */

/** Size in bytes of every hash in a SHA-256 Merkle tree. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH({d(0)}) = SHA-256(0x00 || d(0)) (RFC 6962 §2.1). */
export function leafHash(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 || left || right): the hash of an interior node (RFC 6962 §2.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) = SHA-256() — the root of the empty tree (RFC 6962 §2.1). */
export function emptyRoot(): Uint8Array {
  return createHash("sha256").digest();
}

/** Constant-length byte comparison (hashes here are public, so timing does not matter; this is for clarity). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
