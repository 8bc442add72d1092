import { VouchError } from "../../core/errors.js";
import { HASH_SIZE, nodeHash } from "../../core/merkle/index.js";
import { splitHashes } from "./integrate.js";
import { TILE_HEIGHT, TILE_WIDTH } from "./path.js";

/** Slots of a tile's packed tree: 256 entries, then 128 nodes of height 1, … , 1 root of height 8. */
const SLOTS = 2 * TILE_WIDTH - 1;

/** Where the nodes of height h start in the packed tree (in hashes): 0, 256, 384, …, 510. */
function levelStart(height: number): number {
  return 2 * TILE_WIDTH - ((2 * TILE_WIDTH) >> height);
}

/**
 * Every perfect node one tile holds: its hashes (height 0 inside the tile) and the roots of their aligned runs of
 * 2^h, up to the tile's own root when it is full, packed in one buffer.
 *
 * Why: a proof hash inside a tile is the root of a run of up to 128 of its hashes. Computing those once per tile (a
 * full tile's check computes them anyway, to compare its root with the parent tile's entry) makes every proof that
 * crosses the tile a handful of lookups, where it was an async recursion of up to 255 calls, each slicing the
 * tile's hash list: on a 100,000-entry log that allocated ~80 KB per entries?logIndex read, and the young-generation
 * collections it caused (4–9 ms each) were the read path's tail.
 */
export class TileTree {
  readonly #packed: Uint8Array;

  private constructor(
    /** How many hashes the tile has (256 when full). */
    readonly width: number,
    packed: Uint8Array,
  ) {
    this.#packed = packed;
  }

  /**
   * The tree of a tile from its first `width` hashes, packed 32 bytes each (a stored tile, or a right-edge tile).
   * The bytes are copied: a store may hand out a pooled or shared buffer.
   */
  static fromBytes(bytes: Uint8Array, width: number): TileTree {
    if (!Number.isInteger(width) || width < 0 || width > TILE_WIDTH || bytes.length < width * HASH_SIZE) {
      throw new VouchError("INPUT_MALFORMED", `a tile of width ${width} needs ${width * HASH_SIZE} bytes, not ${bytes.length}`);
    }
    const packed = new Uint8Array(SLOTS * HASH_SIZE);
    packed.set(bytes.subarray(0, width * HASH_SIZE));
    return TileTree.#build(packed, width);
  }

  /** The tree of a tile from its hashes (each 32 bytes). */
  static fromHashes(hashes: readonly Uint8Array[]): TileTree {
    if (hashes.length > TILE_WIDTH) throw new VouchError("INPUT_MALFORMED", `a tile holds at most ${TILE_WIDTH} hashes, not ${hashes.length}`);
    const packed = new Uint8Array(SLOTS * HASH_SIZE);
    hashes.forEach((hash, i) => {
      if (hash.length !== HASH_SIZE) throw new VouchError("INPUT_MALFORMED", `tile hash ${i} has ${hash.length} bytes, not ${HASH_SIZE}`);
      packed.set(hash, i * HASH_SIZE);
    });
    return TileTree.#build(packed, hashes.length);
  }

  static #build(packed: Uint8Array, width: number): TileTree {
    for (let height = 1; height <= TILE_HEIGHT; height++) {
      const below = levelStart(height - 1);
      const here = levelStart(height);
      const count = width >> height;
      for (let i = 0; i < count; i++) {
        const left = packed.subarray((below + 2 * i) * HASH_SIZE, (below + 2 * i + 1) * HASH_SIZE);
        const right = packed.subarray((below + 2 * i + 1) * HASH_SIZE, (below + 2 * i + 2) * HASH_SIZE);
        packed.set(nodeHash(left, right), (here + i) * HASH_SIZE);
      }
    }
    return new TileTree(width, packed);
  }

  /**
   * The root of the `offset`-th aligned run of 2^height of this tile's hashes (height 0: the hash itself), as a view
   * of the packed tree; undefined when the run reaches past the tile's width (the node is not perfect yet).
   */
  node(height: number, offset: number): Uint8Array | undefined {
    if (height < 0 || height > TILE_HEIGHT || offset < 0 || (offset + 1) << height > this.width) return undefined;
    const slot = levelStart(height) + offset;
    return this.#packed.subarray(slot * HASH_SIZE, (slot + 1) * HASH_SIZE);
  }

  /** The tile's root (a full tile only: it is its parent tile's entry). */
  get root(): Uint8Array | undefined {
    return this.node(TILE_HEIGHT, 0);
  }

  /** The tile's first `width` hashes as they are served: 32 bytes each, back to back (a view). */
  bytes(width = this.width): Uint8Array {
    return this.#packed.subarray(0, Math.min(width, this.width) * HASH_SIZE);
  }

  /** The tile's first `width` hashes, each a view. */
  hashes(width = this.width): Uint8Array[] {
    return splitHashes(this.#packed, Math.min(width, this.width));
  }
}
