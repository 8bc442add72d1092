import { emptyRoot, foldProofElement, leafHash, perfectRoot, rangeNodes } from "../../core/merkle/index.js";
import type { LogEntryBundle, LogTile } from "../../store/ports.js";
import { encodedEntryBytes, encodeEntryBundle } from "./bundle.js";
import { TILE_HEIGHT, TILE_WIDTH } from "./path.js";

/**
 * Integration, the one algorithm every storage driver shares (after tessera's storage/internal/integrate.go):
 * given the right edge of the tree and a batch of new entries, which tiles and bundles change and what the new
 * root is. Pure: the sequencer reads the edge once, keeps it in memory, and hands the result to LogStore.append.
 */

/**
 * The right edge of a tree of `size` leaves: for each level L, the hashes of its last, partial tile (the
 * floor(size / 256^L) mod 256 complete nodes at height 8L past the last full tile), and the entries of the last
 * partial bundle. Every node of the root's decomposition lies in these tiles, so they alone give the root.
 */
export interface RightEdge {
  size: number;
  tiles: Uint8Array[][];
  bundle: Uint8Array[];
}

export const EMPTY_EDGE: RightEdge = { size: 0, tiles: [], bundle: [] };

export interface Integration {
  edge: RightEdge;
  rootHash: Uint8Array;
  leafHashes: Uint8Array[];
  /** Each new entry's byte offset in its entry bundle (where its length prefix starts). */
  bundleOffsets: number[];
  tiles: LogTile[];
  bundles: LogEntryBundle[];
}

export function integrate(edge: RightEdge, entries: readonly Uint8Array[]): Integration {
  const leafHashes = entries.map((entry) => leafHash(entry));
  const tiles: LogTile[] = [];
  const nextTiles: Uint8Array[][] = [];
  let newNodes: Uint8Array[] = leafHashes;
  for (let level = 0; newNodes.length > 0 || level < edge.tiles.length; level++) {
    const current = edge.tiles[level] ?? [];
    if (newNodes.length === 0) {
      nextTiles.push(current);
      continue;
    }
    const countBefore = Math.floor(edge.size / TILE_WIDTH ** level);
    const firstTile = Math.floor(countBefore / TILE_WIDTH);
    const { chunks, last } = chunk([...current, ...newNodes]);
    const parents: Uint8Array[] = [];
    chunks.forEach((hashes, i) => {
      tiles.push({ level, index: firstTile + i, hashes: concat(hashes) });
      if (hashes.length === TILE_WIDTH) parents.push(perfectRoot(hashes));
    });
    nextTiles.push(last);
    newNodes = parents;
  }
  while (nextTiles.length > 0 && nextTiles[nextTiles.length - 1]!.length === 0) nextTiles.pop();

  const firstBundle = Math.floor(edge.size / TILE_WIDTH);
  const bundled = chunk([...edge.bundle, ...entries]);
  const bundles: LogEntryBundle[] =
    entries.length === 0 ? [] : bundled.chunks.map((list, i) => ({ index: firstBundle + i, data: encodeEntryBundle(list) }));

  const bundleOffsets: number[] = [];
  let offset = edge.bundle.reduce((bytes, entry) => bytes + encodedEntryBytes(entry), 0);
  entries.forEach((entry, i) => {
    if ((edge.size + i) % TILE_WIDTH === 0) offset = 0;
    bundleOffsets.push(offset);
    offset += encodedEntryBytes(entry);
  });

  const next: RightEdge = { size: edge.size + entries.length, tiles: nextTiles, bundle: bundled.last };
  return { edge: next, rootHash: rootOfEdge(next), leafHashes, bundleOffsets, tiles, bundles };
}

/** The root hash of the tree whose right edge this is (RFC 6962 MTH of all leaves). */
export function rootOfEdge(edge: RightEdge): Uint8Array {
  if (edge.size === 0) return emptyRoot();
  return foldProofElement(rangeNodes(0, edge.size).map(({ height, index }) => edgeNode(edge, height, index)));
}

/** The hash of a perfect node that lies in the right edge (a node of the root's decomposition). */
function edgeNode(edge: RightEdge, height: number, index: number): Uint8Array {
  const level = Math.floor(height / TILE_HEIGHT);
  const span = 2 ** (height - level * TILE_HEIGHT);
  const count = Math.floor(edge.size / TILE_WIDTH ** level);
  const base = count - (count % TILE_WIDTH);
  const hashes = edge.tiles[level] ?? [];
  const from = index * span - base;
  return perfectRoot(hashes.slice(from, from + span));
}

/** Splits into tiles of 256 from the start of the current partial tile; `last` is the new partial tile (maybe empty). */
function chunk<T>(items: T[]): { chunks: T[][]; last: T[] } {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += TILE_WIDTH) chunks.push(items.slice(i, i + TILE_WIDTH));
  const tail = chunks[chunks.length - 1];
  return { chunks, last: tail === undefined || tail.length === TILE_WIDTH ? [] : tail };
}

export function concat(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * 32);
  hashes.forEach((h, i) => out.set(h, i * 32));
  return out;
}

export function splitHashes(bytes: Uint8Array, width: number): Uint8Array[] {
  const out: Uint8Array[] = new Array<Uint8Array>(width);
  for (let i = 0; i < width; i++) out[i] = bytes.subarray(i * 32, i * 32 + 32);
  return out;
}
