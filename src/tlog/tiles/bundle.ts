import { VouchError } from "../../core/errors.js";

/**
 * Entry bundles of c2sp.org/tlog-tiles: each entry is a big-endian uint16 length followed by that many bytes, so one
 * entry is at most 65,535 bytes (the log refuses larger canonical bodies before they reach the tree).
 */

export const MAX_ENTRY_BYTES = 0xffff;

/** Bytes an entry takes in a bundle: its 2-byte length prefix, then the entry. */
export function encodedEntryBytes(entry: Uint8Array): number {
  return 2 + entry.length;
}

export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const entry of entries) total += encodedEntryBytes(entry);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const entry of entries) {
    if (entry.length > MAX_ENTRY_BYTES) {
      throw new VouchError("LOG_ENTRY_TOO_LARGE", `an entry of ${entry.length} bytes does not fit a tile entry (at most ${MAX_ENTRY_BYTES})`);
    }
    out[offset] = entry.length >> 8;
    out[offset + 1] = entry.length & 0xff;
    out.set(entry, offset + 2);
    offset += encodedEntryBytes(entry);
  }
  return out;
}

/**
 * The entry whose length prefix starts `bytes` (a range read from a stored bundle), as a view; undefined when the
 * bytes do not hold a whole entry there, or, with `exact`, hold more than that one entry. Stored bytes are not
 * trusted: the caller still hashes the entry against its leaf.
 */
export function entryAtStart(bytes: Uint8Array, exact: boolean): Uint8Array | undefined {
  if (bytes.length < 2) return undefined;
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (bytes.length < 2 + length || (exact && bytes.length !== 2 + length)) return undefined;
  return bytes.subarray(2, 2 + length);
}

/**
 * Splits a stored bundle into its entries. Stored bytes are not trusted: a length running past the end is
 * STORE_CORRUPT, never a short entry.
 */
export function decodeEntryBundle(data: Uint8Array): Uint8Array[] {
  const bundle = IndexedEntryBundle.of(data);
  return Array.from({ length: bundle.count }, (_, i) => bundle.entry(i)!);
}

/**
 * A stored bundle split without a view per entry: the end offset of each entry in `data` (entry i is
 * data[ends[i-1] + 2, ends[i])). What the read cache keeps: one buffer and one small array per bundle, not 256
 * objects for the garbage collector to trace. Stored bytes are not trusted: a length running past the end is
 * STORE_CORRUPT, never a short entry.
 */
export class IndexedEntryBundle {
  private constructor(
    readonly data: Uint8Array,
    private readonly ends: Uint32Array,
  ) {}

  static of(data: Uint8Array): IndexedEntryBundle {
    const ends: number[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (offset + 2 > data.length) throw corrupt(`a length prefix is cut off at byte ${offset}`);
      const length = (data[offset]! << 8) | data[offset + 1]!;
      const end = offset + 2 + length;
      if (end > data.length) throw corrupt(`entry ${ends.length} claims ${length} bytes past the end of the bundle`);
      ends.push(end);
      offset = end;
    }
    return new IndexedEntryBundle(data, Uint32Array.from(ends));
  }

  get count(): number {
    return this.ends.length;
  }

  /** Entry i (a view into the bundle), or undefined past the last one. */
  entry(i: number): Uint8Array | undefined {
    if (i < 0 || i >= this.ends.length) return undefined;
    const start = i === 0 ? 2 : this.ends[i - 1]! + 2;
    return this.data.subarray(start, this.ends[i]);
  }
}

function corrupt(message: string): VouchError {
  return new VouchError("STORE_CORRUPT", `entry bundle: ${message}`);
}
