import { VouchError } from "../errors.js";

/** Bit helpers over bigint (tree sizes and indexes are unsigned 64-bit in RFC 6962 logs; bigint keeps them exact). */

/** Number of bits needed to write n (0 for 0): Go's bits.Len64. */
export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Number of one bits in n: Go's bits.OnesCount64. */
export function onesCount(n: bigint): number {
  let count = 0;
  for (const c of n.toString(2)) if (c === "1") count++;
  return count;
}

/** Number of trailing zero bits of n > 0: Go's bits.TrailingZeros64. */
export function trailingZeros(n: bigint): number {
  let count = 0;
  while (((n >> BigInt(count)) & 1n) === 0n) count++;
  return count;
}

/** The error every malformed proof input raises (callers map it to their own step code). */
export function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", message);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
