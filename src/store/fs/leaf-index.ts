import { randomInt } from "node:crypto";

/**
 * The de-duplication index of the filesystem driver: leaf hash → entry index for every committed entry, in memory,
 * rebuilt from the record file on open.
 *
 * An open-addressing table in typed arrays rather than a Map keyed by hex: a V8 Map holds at most 2^24 entries (a
 * busy log passes that in days) and costs about 100 bytes per hex key; a slot here costs 16 bytes, at most half the
 * slots are used, and loading is a tight loop over the record file.
 *
 * A slot keeps 64 bits of the hash, so a hit is only a candidate: the caller confirms it against the record on disk.
 * Leaf hashes are chosen by submitters (any body they like), and a 64-bit collision, or 20 bits of one to crowd a
 * probe sequence, is cheap to grind; so probing starts at a position mixed with a per-process random key that a
 * submitter cannot know, and a collision costs one extra positioned read, never a wrong answer.
 */
export class LeafIndex {
  #high: Uint32Array;
  #low: Uint32Array;
  /** Entry index + 1; 0 marks a free slot. Float64 so indexes past 2^32 fit. */
  #value: Float64Array;
  #mask: number;
  #count = 0;
  readonly #seedHigh = randomInt(2 ** 32 - 1);
  readonly #seedLow = randomInt(2 ** 32 - 1);

  constructor(capacity = 1024) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(capacity, 16)));
    this.#high = new Uint32Array(slots);
    this.#low = new Uint32Array(slots);
    this.#value = new Float64Array(slots);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#count;
  }

  add(leafHash: Uint8Array, index: number): void {
    if ((this.#count + 1) * 2 > this.#value.length) this.#grow();
    this.#insert(readUint32(leafHash, 0), readUint32(leafHash, 4), index + 1);
    this.#count++;
  }

  /** Indexes of entries whose leaf hash starts with the same 64 bits as `leafHash` (usually none or the one). */
  candidates(leafHash: Uint8Array): number[] {
    const high = readUint32(leafHash, 0);
    const low = readUint32(leafHash, 4);
    const out: number[] = [];
    for (let slot = this.#slot(high, low); this.#value[slot] !== 0; slot = (slot + 1) & this.#mask) {
      if (this.#high[slot] === high && this.#low[slot] === low) out.push(this.#value[slot]! - 1);
    }
    return out;
  }

  #insert(high: number, low: number, value: number): void {
    let slot = this.#slot(high, low);
    while (this.#value[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#high[slot] = high;
    this.#low[slot] = low;
    this.#value[slot] = value;
  }

  #grow(): void {
    const high = this.#high;
    const low = this.#low;
    const value = this.#value;
    const slots = value.length * 2;
    this.#high = new Uint32Array(slots);
    this.#low = new Uint32Array(slots);
    this.#value = new Float64Array(slots);
    this.#mask = slots - 1;
    for (let i = 0; i < value.length; i++) if (value[i] !== 0) this.#insert(high[i]!, low[i]!, value[i]!);
  }

  /** A keyed mix of the 64 bits (murmur3's finaliser over both halves). */
  #slot(high: number, low: number): number {
    let h = Math.imul(high ^ this.#seedHigh, 0xcc9e2d51) ^ Math.imul(low ^ this.#seedLow, 0x1b873593);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.#mask;
  }
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
