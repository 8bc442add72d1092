import type { LogEntryRecord } from "../ports.js";

/**
 * The entry-record file: one fixed-width record per committed entry, at offset index × RECORD_BYTES, so that a
 * lookup by index is one positioned read. A record is the 32-byte leaf hash followed by the integrated time as a
 * big-endian unsigned 64-bit integer (Unix seconds).
 */

export const RECORD_BYTES = 40;
const HASH_BYTES = 32;

/** Records for entries that the caller has checked (log-common.ts checkLogAppend), back to back. */
export function encodeRecords(entries: readonly LogEntryRecord[]): Buffer {
  const out = Buffer.alloc(entries.length * RECORD_BYTES);
  entries.forEach((entry, i) => {
    const at = i * RECORD_BYTES;
    out.set(entry.leafHash, at);
    // Two 32-bit halves: integratedTime is a safe integer (< 2^53), which a BigInt round trip would only slow down.
    out.writeUInt32BE(Math.floor(entry.integratedTime / 2 ** 32), at + HASH_BYTES);
    out.writeUInt32BE(entry.integratedTime % 2 ** 32, at + HASH_BYTES + 4);
  });
  return out;
}

/** The record at `offset` in `bytes` (which holds whole records), for entry `index`. */
export function decodeRecord(bytes: Uint8Array, offset: number, index: number): LogEntryRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_BYTES);
  const integratedTime = view.getUint32(HASH_BYTES) * 2 ** 32 + view.getUint32(HASH_BYTES + 4);
  // A copy: `bytes` is usually a Buffer, whose slices would share (and pin) the whole read buffer.
  return { index, leafHash: new Uint8Array(bytes.subarray(offset, offset + HASH_BYTES)), integratedTime };
}
