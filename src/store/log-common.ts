import { createHash } from "node:crypto";
import { VouchError } from "../core/errors.js";
import type { LogAppend } from "./ports.js";

/**
 * What every LogStore driver shares, so that the filesystem, SQLite and PostgreSQL drivers accept and refuse exactly
 * the same batches: the port's preconditions on an append, the compare-and-swap on `from`, and how driver failures
 * surface. Nothing here reads stored bytes: hashes are checked above the drivers (ports.ts).
 */

/** Bytes of one SHA-256 hash: every leaf hash, root hash and tile element. */
export const HASH_BYTES = 32;
/** c2sp.org/tlog-tiles: a tile holds at most 256 hashes, and `<L>` is between 0 and 63. */
export const TILE_WIDTH = 256;
export const MAX_TILE_LEVEL = 63;

/** RFC 6962 §2.1: MTH({}) = SHA-256(), the head of a store never appended to (ports.ts). */
const EMPTY_TREE_ROOT = createHash("sha256").digest();

/**
 * Seams for the conformance suite, never set in production: `beforeCommit` runs after the batch is written and
 * before the driver's commit point (the head rename, or COMMIT), so a test can make an append fail — or the process
 * die — exactly where atomicity matters.
 */
export interface LogStoreTestHooks {
  beforeCommit?: () => void | Promise<void>;
}

/** The committed head as the compare-and-swap sees it; `undefined` is a store never appended to. */
export interface CommittedHead {
  size: number;
  rootHash: Uint8Array;
}

/**
 * The compare-and-swap every append starts with (ports.ts: STORE_CONFLICT when `from` is not the committed head).
 * Run it inside the driver's exclusive section, against the head read there, never against a cached one.
 */
export function checkAppendsToHead(from: CommittedHead, committed: CommittedHead | undefined): void {
  const head = committed ?? { size: 0, rootHash: EMPTY_TREE_ROOT };
  if (from.size !== head.size || !sameBytes(from.rootHash, head.rootHash)) {
    throw new VouchError(
      "STORE_CONFLICT",
      `the batch extends a tree of size ${from.size}, but the committed head has size ${head.size}` +
        (from.size === head.size ? " and another root hash" : ""),
    );
  }
}

/**
 * The error for a batch whose leaf hash is already committed (or repeated in the batch). A leaf hash names one entry
 * (findEntry, the Rekor UUID), so a second copy would make de-duplication ambiguous; the sequencer de-duplicates
 * first, and meeting one here means another sequencer won a race.
 */
export function duplicateLeaf(which = "an entry"): VouchError {
  return new VouchError("STORE_CONFLICT", `${which} has a leaf hash that is already in the log (de-duplicate before appending)`);
}

/**
 * The shape a batch must have before any driver writes it. A violation is a bug in the caller (the sequencer), not a
 * storage condition, hence RangeError rather than a VouchError code. Checked up front so that no driver writes half
 * of a malformed batch, and so that the fixed-width formats (fs records, tile paths) never see a value they cannot
 * hold.
 */
export function checkLogAppend(batch: LogAppend): void {
  const { from, to, entries, tiles, bundles } = batch;
  const need = (ok: boolean, message: string): void => {
    if (!ok) throw new RangeError(`invalid log append: ${message}`);
  };
  need(isCount(from.size) && isCount(to.size), "sizes must be non-negative safe integers");
  need(from.rootHash.length === HASH_BYTES && to.rootHash.length === HASH_BYTES, "root hashes must be 32 bytes");
  need(typeof to.checkpoint === "string", "the checkpoint must be a string");
  need(to.size === from.size + entries.length, `to.size ${to.size} is not from.size ${from.size} + ${entries.length} entries`);
  entries.forEach((entry, i) => {
    need(entry.index === from.size + i, `entry ${i} has index ${entry.index}, expected ${from.size + i}`);
    need(entry.leafHash.length === HASH_BYTES, `entry ${entry.index}: the leaf hash must be 32 bytes`);
    need(isCount(entry.integratedTime), `entry ${entry.index}: integratedTime must be a non-negative safe integer`);
    need(entry.bundleOffset === undefined || isCount(entry.bundleOffset), `entry ${entry.index}: bundleOffset must be a non-negative safe integer`);
  });
  const tileKeys = new Set<string>();
  for (const tile of tiles) {
    need(isTileAddress(tile.level, tile.index), `tile ${tile.level}/${tile.index}: level must be 0..63 and index a non-negative safe integer`);
    const width = tile.hashes.length / HASH_BYTES;
    need(Number.isInteger(width) && width >= 1 && width <= TILE_WIDTH, `tile ${tile.level}/${tile.index}: ${tile.hashes.length} bytes is not 1..256 hashes`);
    need(!tileKeys.has(`${tile.level}/${tile.index}`), `tile ${tile.level}/${tile.index} appears twice`);
    tileKeys.add(`${tile.level}/${tile.index}`);
  }
  const bundleKeys = new Set<number>();
  for (const bundle of bundles) {
    need(isCount(bundle.index), `entry bundle ${bundle.index}: the index must be a non-negative safe integer`);
    need(bundle.data.length > 0, `entry bundle ${bundle.index} is empty`);
    need(!bundleKeys.has(bundle.index), `entry bundle ${bundle.index} appears twice`);
    bundleKeys.add(bundle.index);
  }
}

/** A (level, index) that can name a tile. Reads of anything else find nothing rather than throw. */
export function isTileAddress(level: number, index: number): boolean {
  return Number.isInteger(level) && level >= 0 && level <= MAX_TILE_LEVEL && isCount(index);
}

/** `readEntries` arguments: a negative or fractional index or count is a caller bug. */
export function checkEntryRange(index: number, count: number): void {
  if (!isCount(index) || !isCount(count)) {
    throw new RangeError(`readEntries(${index}, ${count}): index and count must be non-negative safe integers`);
  }
}

/**
 * A fresh plain Uint8Array with these bytes. Drivers hand out copies so that a caller mutating a result (or a Buffer
 * from a pool, whose `slice` shares memory) can never change what the store returns next.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * What callers see when the backing store fails: the port's own errors (VouchError, RangeError for bad arguments)
 * pass through; anything else (EIO, a dropped connection, SQLITE_BUSY) becomes STORE_UNAVAILABLE with the cause.
 */
export function storeFailure(err: unknown, doing: string): Error {
  if (err instanceof VouchError || err instanceof RangeError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new VouchError("STORE_UNAVAILABLE", `${doing}: ${detail}`, { cause: err });
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
