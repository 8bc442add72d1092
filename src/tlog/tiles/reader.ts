import { VouchError } from "../../core/errors.js";
import {
  bytesEqual,
  consistencyProofNodes,
  emptyRoot,
  foldProofElement,
  inclusionProofNodes,
  leafHash,
  rangeNodes,
  type PerfectNode,
  type ProofElement,
} from "../../core/merkle/index.js";
import type { LogStore } from "../../store/ports.js";
import { decodeEntryBundle, entryAtStart, IndexedEntryBundle } from "./bundle.js";
import { rootOfEdge, splitHashes, type RightEdge } from "./integrate.js";
import { TILE_HEIGHT, TILE_WIDTH } from "./path.js";
import { TileTree } from "./tile-tree.js";

/**
 * Reads a log's tiles, entries and proofs from a LogStore, trusting nothing the store returns: every tile is checked
 * against the signed head before it is used or served (issue 4: "a tampered tile or entry on disk is detected on
 * read"). The right edge is checked by recomputing the root; a full tile by hashing it into the node its parent
 * tile holds, up to the right edge. Full tiles never change, so once checked they are cached (FullTileCache).
 *
 * Proofs are computed from tiles in O(log n) tile reads: each proof hash is a perfect node (one tile entry, or a run
 * of up to 128 entries of one tile, both kept in the tile's TileTree) or an ephemeral right-edge node folded from
 * perfect ones.
 */

/** What a reader needs from a store: only tiles and bundles (a remote tlog-tiles log can provide them too). */
export type TileSource = Pick<LogStore, "readTile" | "readEntryBundle"> & Partial<Pick<LogStore, "readBundleRange">>;

/** Where an entry lies in its bundle, from its record (LogEntryRecord.bundleOffset): a hint, checked by hashing. */
export interface EntryRange {
  start: number;
  /** Where the next entry starts; undefined for a bundle's last entry (read to the bundle's end). */
  end?: number;
}

export interface Head {
  size: number;
  rootHash: Uint8Array;
}

/** Default bytes of full entry bundles a FullTileCache keeps: 128 MiB, about 550 bundles (140,000 entries) of ~1 KiB entries. */
export const DEFAULT_BUNDLE_CACHE_BYTES = 128 * 1024 * 1024;

/** Checked full tiles, shared by every reader of one log (they hold for every later head of an append-only log). */
export class FullTileCache {
  readonly #tiles = new Map<string, TileTree>();
  constructor(
    readonly capacity = 4096,
    readonly bundleBytes = DEFAULT_BUNDLE_CACHE_BYTES,
  ) {}

  get(level: number, index: number): TileTree | undefined {
    const key = `${level}/${index}`;
    const hit = this.#tiles.get(key);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.#tiles.delete(key);
      this.#tiles.set(key, hit);
    }
    return hit;
  }

  set(level: number, index: number, tree: TileTree): void {
    this.#tiles.set(`${level}/${index}`, tree);
    if (this.#tiles.size > this.capacity) this.#tiles.delete(this.#tiles.keys().next().value!);
  }

  /**
   * Full entry bundles (a full bundle never changes), split once and kept, so that reading one entry does not read
   * and copy its whole bundle (~230 KiB) again: that copying drove the read path's GC pauses, and on PostgreSQL the
   * bytea transfer was most of a read. Entries are still hashed against their checked leaf on every read; this only
   * saves the I/O and the decoding. Least recently used first out, kept to `bundleBytes` bytes of bundle data.
   */
  getBundle(index: number): IndexedEntryBundle | undefined {
    const hit = this.#bundles.get(index);
    if (hit !== undefined) {
      this.#bundles.delete(index);
      this.#bundles.set(index, hit);
    }
    return hit;
  }

  /**
   * Caches full bundle `index` from `read` with no one waiting for it, on the second miss of that bundle and only
   * while the cache has room. One read of a bundle is served from its range alone: fetching the whole bundle as
   * well, for a bundle that may never be read again, cost a cold read on PostgreSQL more than it saved; and past the
   * cache's size every miss would fetch a whole bundle just to evict another (LogReader.entry reads ranges then).
   * A failed or odd read is dropped; a foreground read will meet and report it.
   */
  fillInBackground(index: number, read: () => Promise<Uint8Array | undefined>): void {
    if (this.#loading.has(index) || this.#bundles.has(index) || this.#bundleBytesHeld >= this.bundleBytes) return;
    if (!this.#missedOnce.has(index)) {
      // Bounded: forgetting who missed once only delays a bundle's caching by one more range read.
      if (this.#missedOnce.size >= MISSED_ONCE_LIMIT) this.#missedOnce.clear();
      this.#missedOnce.add(index);
      return;
    }
    this.#missedOnce.delete(index);
    this.#loading.add(index);
    void read()
      .then((data) => {
        if (data === undefined || this.#bundleBytesHeld + data.length > this.bundleBytes) return;
        const bundle = IndexedEntryBundle.of(data);
        if (bundle.count === TILE_WIDTH) this.setBundle(index, bundle);
      })
      .catch(() => {})
      .finally(() => this.#loading.delete(index));
  }

  setBundle(index: number, bundle: IndexedEntryBundle): void {
    if (bundle.data.length > this.bundleBytes) return;
    const old = this.#bundles.get(index);
    if (old !== undefined) {
      this.#bundles.delete(index);
      this.#bundleBytesHeld -= old.data.length;
    }
    this.#bundles.set(index, bundle);
    this.#bundleBytesHeld += bundle.data.length;
    while (this.#bundleBytesHeld > this.bundleBytes) {
      const [oldest, evicted] = this.#bundles.entries().next().value!;
      this.#bundles.delete(oldest);
      this.#bundleBytesHeld -= evicted.data.length;
    }
  }

  readonly #bundles = new Map<number, IndexedEntryBundle>();
  #bundleBytesHeld = 0;
  readonly #loading = new Set<number>();
  readonly #missedOnce = new Set<number>();
}

/** Bundles remembered as missed once (see fillInBackground): 64 Ki bundles, 16.7 million entries. */
const MISSED_ONCE_LIMIT = 65_536;

export class LogReader {
  #edge: Promise<RightEdge> | undefined;
  /** The trees of the right edge's partial tiles, by level, once one is needed (they hold for this head only). */
  #edgeTrees: TileTree[] | undefined;
  /** Full tiles being read and checked right now (see #fullTile). */
  readonly #checking = new Map<string, Promise<TileTree>>();

  /**
   * @param edge the right edge of `head`, when the caller holds it in memory: the Sequencer's own, integrated as it
   *   committed that head. It is used as is, not read back from the store and checked: what the store holds can be
   *   tampered with, what this process computed cannot, and reading it back for every batch (the partial tiles, the
   *   partial bundle and a leaf hash per entry in it) cost the append path's main thread several percent of its time.
   */
  constructor(
    private readonly store: TileSource,
    readonly head: Head,
    private readonly cache: FullTileCache = new FullTileCache(),
    edge?: RightEdge,
  ) {
    if (edge !== undefined) {
      if (edge.size !== head.size) throw new RangeError(`a right edge of size ${edge.size} is not the edge of a head of size ${head.size}`);
      this.#edge = Promise.resolve(edge);
    }
  }

  /**
   * The first `width` hashes of tile (level, index) as of this head, checked.
   * @throws VouchError LOG_NOT_FOUND when the tree has no such tile at that width; STORE_CORRUPT on tampering.
   */
  async tileHashes(level: number, index: number, width = TILE_WIDTH): Promise<Uint8Array[]> {
    return (await this.#tileAtWidth(level, index, width)).hashes(width);
  }

  /** The first `width` hashes of tile (level, index) as served: 32 bytes each, back to back. Checked as tileHashes. */
  async tileBytes(level: number, index: number, width = TILE_WIDTH): Promise<Uint8Array> {
    return (await this.#tileAtWidth(level, index, width)).bytes(width);
  }

  async #tileAtWidth(level: number, index: number, width: number): Promise<TileTree> {
    const tree = this.#tileTree(level, index);
    const resolved = tree instanceof Promise ? await tree : tree;
    if (resolved === undefined || width > resolved.width || !Number.isInteger(width) || width < 1) {
      throw new VouchError("LOG_NOT_FOUND", `tile ${level}/${index} at width ${width} is not in a tree of size ${this.head.size}`);
    }
    return resolved;
  }

  /**
   * The checked tree of tile (level, index) as of this head: a full tile, or a partial tile of the right edge;
   * undefined when the tree has no such tile. Synchronous when it is already at hand, so that a proof from cached
   * tiles costs no promise per node.
   */
  #tileTree(level: number, index: number): TileTree | Promise<TileTree> | undefined {
    const count = Math.floor(this.head.size / TILE_WIDTH ** level);
    const lastTile = Math.floor(count / TILE_WIDTH);
    if (index < lastTile) return this.#fullTile(level, index);
    if (index !== lastTile || count % TILE_WIDTH === 0) return undefined;
    const trees = this.#edgeTrees;
    if (trees !== undefined) return trees[level];
    return this.rightEdge().then((edge) => (this.#edgeTrees ??= edge.tiles.map((hashes) => TileTree.fromHashes(hashes)))[level]!);
  }

  /** The right edge as of this head, read once and checked against the head's root. */
  rightEdge(): Promise<RightEdge> {
    if (this.#edge === undefined) {
      const reading = this.#readRightEdge();
      // A failed read (a transient store error, or damage that gets repaired) is not remembered: the next call retries.
      reading.catch(() => {
        if (this.#edge === reading) this.#edge = undefined;
      });
      this.#edge = reading;
    }
    return this.#edge;
  }

  /** The entries of bundle `index` (the first `width`), each checked against its leaf hash. */
  async entries(index: number, width = TILE_WIDTH): Promise<Uint8Array[]> {
    const hashes = await this.tileHashes(0, index, width);
    const data = await this.store.readEntryBundle(index);
    if (data === undefined) throw corrupt(`entry bundle ${index} is missing`);
    const entries = decodeEntryBundle(data);
    if (entries.length < width) throw corrupt(`entry bundle ${index} has ${entries.length} entries, the tree has ${width}`);
    for (let i = 0; i < width; i++) {
      if (!bytesEqual(leafHash(entries[i]!), hashes[i]!)) throw corrupt(`entry ${index * TILE_WIDTH + i} does not hash to its leaf`);
    }
    return entries.slice(0, width);
  }

  /**
   * The entry at a log index, checked. With its range in a full bundle that is not cached (and a store that reads
   * ranges), only that entry's bytes are read: a log larger than the bundle cache would otherwise fetch a whole
   * bundle (~230 KiB) for every read. The bundle is then cached in the background while the cache has room.
   */
  async entry(logIndex: number, range?: EntryRange): Promise<Uint8Array> {
    if (!Number.isSafeInteger(logIndex) || logIndex < 0 || logIndex >= this.head.size) {
      throw new VouchError("LOG_NOT_FOUND", `log index ${logIndex} is not in a tree of size ${this.head.size}`);
    }
    const bundle = Math.floor(logIndex / TILE_WIDTH);
    const position = logIndex % TILE_WIDTH;
    // Only the entry asked for is hashed: its leaf hash (from a checked tile) vouches for it whatever its neighbours
    // hold, so one damaged entry does not take the rest of its bundle offline, and a read costs one hash, not 256.
    const leaf = (await this.#tileAtWidth(0, bundle, position + 1)).node(0, position)!;
    const full = bundle < Math.floor(this.head.size / TILE_WIDTH);
    let entries = full ? this.cache.getBundle(bundle) : undefined;
    if (entries === undefined && full && range !== undefined && this.store.readBundleRange !== undefined) {
      const bytes = await this.store.readBundleRange(bundle, range.start, range.end);
      const entry = bytes === undefined ? undefined : entryAtStart(bytes, range.end !== undefined);
      // A range that does not hold this entry (a stale or damaged offset) is no answer: read the whole bundle instead.
      if (entry !== undefined && bytesEqual(leafHash(entry), leaf)) {
        this.cache.fillInBackground(bundle, () => this.store.readEntryBundle(bundle));
        return entry;
      }
    }
    if (entries === undefined) {
      const data = await this.store.readEntryBundle(bundle);
      if (data === undefined) throw corrupt(`entry bundle ${bundle} is missing`);
      entries = IndexedEntryBundle.of(data);
      if (full && entries.count === TILE_WIDTH) this.cache.setBundle(bundle, entries);
    }
    const entry = entries.entry(position);
    if (entry === undefined) throw corrupt(`entry bundle ${bundle} has ${entries.count} entries, the tree has ${position + 1}`);
    if (!bytesEqual(leafHash(entry), leaf)) throw corrupt(`entry ${logIndex} does not hash to its leaf`);
    return entry;
  }

  /** RFC 6962 inclusion proof (audit path) of a leaf in the tree of `size` ≤ head size, leaf first. */
  async inclusionProof(logIndex: number, size = this.head.size): Promise<Uint8Array[]> {
    this.#assertSize(size);
    return this.#resolve(inclusionProofNodes(logIndex, size));
  }

  /** RFC 6962 consistency proof between two sizes ≤ head size. */
  async consistencyProof(first: number, second = this.head.size): Promise<Uint8Array[]> {
    this.#assertSize(second);
    return this.#resolve(consistencyProofNodes(first, second));
  }

  /** The root hash of an earlier tree of `size` ≤ head size (for consistency answers and monitors). */
  async rootAt(size: number): Promise<Uint8Array> {
    this.#assertSize(size);
    if (size === this.head.size) return this.head.rootHash;
    if (size === 0) return emptyRoot();
    const [root] = await this.#resolve([rangeNodes(0, size)]);
    return root!;
  }

  /**
   * The hashes of proof elements: the tiles holding their perfect nodes are gathered first (read and checked only
   * when not at hand), then every node is a lookup in its tile's tree.
   */
  async #resolve(elements: ProofElement[]): Promise<Uint8Array[]> {
    const trees = new Map<string, TileTree | Promise<TileTree> | undefined>();
    const located = elements.map((parts) =>
      parts.map((node) => {
        const place = tileOf(node);
        if (!trees.has(place.key)) trees.set(place.key, this.#tileTree(place.level, place.tile));
        return { node, place };
      }),
    );
    for (const [key, tree] of trees) if (tree instanceof Promise) trees.set(key, await tree);
    return located.map((parts) =>
      foldProofElement(
        parts.map(({ node, place }) => {
          const hash = (trees.get(place.key) as TileTree | undefined)?.node(place.height, place.offset);
          // The node lists come from core/merkle for sizes checked against this head: a node outside the tree is a bug.
          if (hash === undefined) throw new RangeError(`proof node ${node.height}/${node.index} is not in a tree of size ${this.head.size}`);
          return hash;
        }),
      ),
    );
  }

  #fullTile(level: number, index: number): TileTree | Promise<TileTree> {
    const cached = this.cache.get(level, index);
    if (cached !== undefined) return cached;
    // Concurrent readers of one tile (every answer of a batch that just filled it) share one read and one check.
    const key = `${level}/${index}`;
    let pending = this.#checking.get(key);
    if (pending === undefined) {
      pending = this.#checkFullTile(level, index).finally(() => this.#checking.delete(key));
      this.#checking.set(key, pending);
    }
    return pending;
  }

  async #checkFullTile(level: number, index: number): Promise<TileTree> {
    const stored = await this.store.readTile(level, index);
    if (stored === undefined || stored.length < TILE_WIDTH * 32) throw corrupt(`full tile ${level}/${index} is missing or short`);
    const tree = TileTree.fromBytes(stored, TILE_WIDTH);
    // Its parent node, in the tile above, must be the root of these 256 hashes.
    const parentTile = Math.floor(index / TILE_WIDTH);
    const position = index % TILE_WIDTH;
    const parent = (await this.#tileAtWidth(level + 1, parentTile, position + 1)).node(0, position)!;
    if (!bytesEqual(tree.root!, parent)) throw corrupt(`tile ${level}/${index} does not hash to its parent node`);
    this.cache.set(level, index, tree);
    return tree;
  }

  async #readRightEdge(): Promise<RightEdge> {
    const { size, rootHash } = this.head;
    const tiles: Uint8Array[][] = [];
    for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
      const count = Math.floor(size / TILE_WIDTH ** level);
      const width = count % TILE_WIDTH;
      if (width === 0) {
        tiles.push([]);
        continue;
      }
      const index = Math.floor(count / TILE_WIDTH);
      const stored = await this.store.readTile(level, index);
      if (stored === undefined || stored.length < width * 32) throw corrupt(`tile ${level}/${index} is missing or short`);
      tiles.push(splitHashes(stored, width));
    }
    while (tiles.length > 0 && tiles[tiles.length - 1]!.length === 0) tiles.pop();
    const bundleWidth = size % TILE_WIDTH;
    let bundle: Uint8Array[] = [];
    if (bundleWidth > 0) {
      const data = await this.store.readEntryBundle(Math.floor(size / TILE_WIDTH));
      if (data === undefined) throw corrupt("the last entry bundle is missing");
      bundle = decodeEntryBundle(data).slice(0, bundleWidth);
      if (bundle.length < bundleWidth) throw corrupt("the last entry bundle is short");
    }
    const edge: RightEdge = { size, tiles, bundle };
    if (!bytesEqual(rootOfEdge(edge), rootHash)) throw corrupt(`the stored right edge does not hash to the signed root of size ${size}`);
    bundle.forEach((entry, i) => {
      if (!bytesEqual(leafHash(entry), tiles[0]![i]!)) throw corrupt(`entry ${size - bundleWidth + i} does not hash to its leaf`);
    });
    return edge;
  }

  #assertSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.head.size) {
      throw new VouchError("LOG_NOT_FOUND", `tree size ${size} is not between 0 and the log's size ${this.head.size}`);
    }
  }
}

function corrupt(message: string): VouchError {
  return new VouchError("STORE_CORRUPT", `log storage is damaged: ${message}`);
}

/**
 * Where a perfect node lives: the tile of level ⌊height / 8⌋ holding its leftmost descendant at that level, as the
 * root of the `offset`-th aligned run of 2^(height mod 8) of that tile's hashes.
 */
function tileOf({ height, index }: PerfectNode): { key: string; level: number; tile: number; height: number; offset: number } {
  const level = Math.floor(height / TILE_HEIGHT);
  const inner = height - level * TILE_HEIGHT;
  const perTile = TILE_WIDTH >> inner;
  const tile = Math.floor(index / perTile);
  return { key: `${level}/${tile}`, level, tile, height: inner, offset: index - tile * perTile };
}
