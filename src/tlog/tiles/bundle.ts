import { VouchError } from "../../core/errors.js";

/**
 * Entry bundles of c2sp.org/tlog-tiles: each entry is a big-endian uint16 length followed by that many bytes, so one
 * entry is at most 65,535 bytes (the log refuses larger canonical bodies before they reach the tree).
 */

export const MAX_ENTRY_BYTES = 0xffff;

export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const entry of entries) total += 2 + entry.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const entry of entries) {
    if (entry.length > MAX_ENTRY_BYTES) {
      throw new VouchError("LOG_ENTRY_TOO_LARGE", `an entry of ${entry.length} bytes does not fit a tile entry (at most ${MAX_ENTRY_BYTES})`);
    }
    out[offset] = entry.length >> 8;
    out[offset + 1] = entry.length & 0xff;
    out.set(entry, offset + 2);
    offset += 2 + entry.length;
  }
  return out;
}

/**
 * Splits a stored bundle into its entries. Stored bytes are not trusted: a length running past the end is
 * STORE_CORRUPT, never a short entry.
 */
export function decodeEntryBundle(data: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (offset + 2 > data.length) throw corrupt(`a length prefix is cut off at byte ${offset}`);
    const length = (data[offset]! << 8) | data[offset + 1]!;
    const end = offset + 2 + length;
    if (end > data.length) throw corrupt(`entry ${entries.length} claims ${length} bytes past the end of the bundle`);
    entries.push(data.subarray(offset + 2, end));
    offset = end;
  }
  return entries;
}

function corrupt(message: string): VouchError {
  return new VouchError("STORE_CORRUPT", `entry bundle: ${message}`);
}
