import { constants, readFileSync, readSync } from "node:fs";
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from "node:fs/promises";
import { join, resolve } from "node:path";
import { VouchError } from "../../core/errors.js";
import { pollingLease, tryLockFile } from "../lockfile.js";
import {
  checkAppendsToHead,
  checkEntryRange,
  checkLogAppend,
  duplicateLeaf,
  HASH_BYTES,
  isTileAddress,
  plainBytes,
  sameBytes,
  storeFailure,
  type LogStoreTestHooks,
} from "../log-common.js";
import type { LogAppend, LogEntryRecord, LogHead, LogStore, SequencerLease } from "../ports.js";
import { clearTemporaryFiles, isCode, replaceFile, syncDirectories, syncDirectory, TEMP_DIR } from "./durable.js";
import { encodeHead, parseHead } from "./head-file.js";
import { LeafIndex } from "./leaf-index.js";
import { decodeRecord, encodeRecords, RECORD_BYTES } from "./records.js";
import { bundleFile, tileFile } from "./tile-path.js";

export interface FsLogStoreOptions {
  /** For the conformance suite only (log-common.ts). */
  testHooks?: LogStoreTestHooks;
}

/**
 * The transparency log in a directory, the default store (after Tessera's POSIX driver):
 *
 *   head            the commit point: size, root hash and checkpoint (head-file.ts)
 *   checkpoint      the checkpoint text alone, rewritten after each commit for operators and static serving
 *   entry-records   fixed-width records by entry index (records.ts)
 *   tile/<L>/<N>    latest version of each hash tile; tile/entries/<N> latest version of each entry bundle
 *   append.lock     held for the duration of one append; sequencer.lock held by the sequencer (lockfile.ts)
 *   tmp/            files being written, renamed into place when complete
 *
 * An append writes every tile and bundle atomically (temp file, fsync, rename), writes and flushes the records past
 * the committed size, flushes the directories, and only then replaces `head` — the one step that commits. A crash at
 * any point before leaves the old head in force: tiles may be longer than it covers (allowed by the port, and their
 * first hashes are the committed ones) and records past it are never read; the next append overwrites both.
 *
 * Several processes may open one directory (one sequencer, other readers): `head` is read from disk on each
 * readHead, and the de-duplication index catches up with it on a miss.
 *
 * The head, tiles and records — small files the page cache holds, read on every proof — are read synchronously:
 * about 10 µs each, where a promise-based read costs 150-250 µs of thread-pool round trips on a busy 2-core machine,
 * most of a proof's 2 ms budget (issue 4). Entry bundles (up to megabytes) and every write stay asynchronous.
 */
export async function openFsLogStore(dir: string, options: FsLogStoreOptions = {}): Promise<LogStore> {
  const root = resolve(dir);
  let records: FileHandle;
  try {
    await mkdir(join(root, TEMP_DIR), { recursive: true });
    records = await open(join(root, RECORDS_FILE), constants.O_RDWR | constants.O_CREAT, 0o644);
    // The record file may be new: its directory entry must be durable before a head can point past it.
    await syncDirectory(root);
  } catch (err) {
    throw storeFailure(err, `cannot open the log store in ${root}`);
  }
  const store = new FsLogStore(root, records, options.testHooks);
  try {
    await store.catchUp(await store.readCommittedHead());
  } catch (err) {
    await records.close();
    throw storeFailure(err, `cannot open the log store in ${root}`);
  }
  return store;
}

const HEAD_FILE = "head";
const CHECKPOINT_FILE = "checkpoint";
const RECORDS_FILE = "entry-records";
const APPEND_LOCK = "append.lock";
const SEQUENCER_LOCK = "sequencer.lock";
/** Records read per positioned read while loading the index: 2.5 MiB. */
const RECORDS_PER_READ = 65536;

class FsLogStore implements LogStore {
  readonly #root: string;
  readonly #records: FileHandle;
  readonly #hooks: LogStoreTestHooks | undefined;
  readonly #index = new LeafIndex();
  /** Entries [0, #indexed) are in #index: always a size that was committed. */
  #indexed = 0;
  /** Changes to #index and #indexed, one at a time (two lookups may miss and catch up at once). */
  #indexing: Promise<unknown> = Promise.resolve();
  /** Appends of this store run one after another (other processes are excluded by append.lock). */
  #appending: Promise<unknown> = Promise.resolve();
  readonly #leases = new Set<SequencerLease>();
  #closing: Promise<void> | undefined;

  constructor(root: string, records: FileHandle, hooks: LogStoreTestHooks | undefined) {
    this.#root = root;
    this.#records = records;
    this.#hooks = hooks;
  }

  readHead(): Promise<LogHead | undefined> {
    return this.#guard("read the head", () => this.readCommittedHead());
  }

  readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    return this.#guard("read a tile", async () => {
      if (!isTileAddress(level, index)) return undefined;
      const bytes = whenExists(() => readFileSync(join(this.#root, tileFile(level, index))));
      return bytes === undefined ? undefined : plainBytes(bytes);
    });
  }

  readEntryBundle(index: number): Promise<Uint8Array | undefined> {
    return this.#guard("read an entry bundle", async () => {
      if (!isTileAddress(0, index)) return undefined;
      try {
        return plainBytes(await readFile(join(this.#root, bundleFile(index))));
      } catch (err) {
        if (isCode(err, "ENOENT")) return undefined;
        throw err;
      }
    });
  }

  async findEntry(leafHash: Uint8Array): Promise<LogEntryRecord | undefined> {
    return (await this.findEntries([leafHash]))[0];
  }

  findEntries(leafHashes: readonly Uint8Array[]): Promise<(LogEntryRecord | undefined)[]> {
    return this.#guard("find entries", async () => {
      const found: (LogEntryRecord | undefined)[] = [];
      for (const leafHash of leafHashes) found.push(leafHash.length === HASH_BYTES ? await this.#lookup(leafHash) : undefined);
      if (found.some((record, i) => record === undefined && leafHashes[i]!.length === HASH_BYTES)) {
        // Another process may have committed since we last looked: once for the whole burst, then look again.
        await this.catchUp(await this.readCommittedHead());
        for (let i = 0; i < found.length; i++) {
          if (found[i] === undefined && leafHashes[i]!.length === HASH_BYTES) found[i] = await this.#lookup(leafHashes[i]!);
        }
      }
      return found;
    });
  }

  readEntries(index: number, count: number): Promise<LogEntryRecord[]> {
    return this.#guard("read entries", async () => {
      checkEntryRange(index, count);
      const size = (await this.readCommittedHead())?.size ?? 0;
      const end = Math.min(size, index + count);
      return end > index ? this.#readRecords(index, end - index) : [];
    });
  }

  append(batch: LogAppend): Promise<void> {
    return this.#guard("append to the log", () => {
      checkLogAppend(batch);
      const run = this.#appending.then(() => this.#appendLocked(batch));
      this.#appending = run.catch(() => undefined);
      return run;
    });
  }

  tryAcquireSequencer(): Promise<SequencerLease | undefined> {
    return this.#guard("acquire the sequencer lease", async () => {
      const lock = await tryLockFile(join(this.#root, SEQUENCER_LOCK));
      if (lock === undefined) return undefined;
      const lease = pollingLease(
        () => lock.isHeld(),
        async () => {
          this.#leases.delete(lease);
          await lock.release();
        },
      );
      this.#leases.add(lease);
      return lease;
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const lease of [...this.#leases]) await lease.release().catch(() => undefined);
      await this.#appending;
      await this.#records.close();
    })();
    return this.#closing;
  }

  /** The head as committed on disk now (never a cached copy: another process may have appended). */
  async readCommittedHead(): Promise<LogHead | undefined> {
    const file = join(this.#root, HEAD_FILE);
    const text = whenExists(() => readFileSync(file, "utf8"));
    return text === undefined ? undefined : parseHead(text, file);
  }

  /** Loads records up to the committed size into the index. */
  catchUp(head: LogHead | undefined): Promise<void> {
    const size = head?.size ?? 0;
    return this.#serially(async () => {
      while (this.#indexed < size) {
        const count = Math.min(RECORDS_PER_READ, size - this.#indexed);
        const records = await this.#readRecords(this.#indexed, count);
        for (const record of records) this.#index.add(record.leafHash, record.index);
        this.#indexed += count;
      }
    });
  }

  #serially(work: () => Promise<void> | void): Promise<void> {
    const run = this.#indexing.then(work);
    this.#indexing = run.catch(() => undefined);
    return run;
  }

  async #appendLocked(batch: LogAppend): Promise<void> {
    const lock = await tryLockFile(join(this.#root, APPEND_LOCK));
    if (lock === undefined) throw new VouchError("STORE_CONFLICT", "another process is appending to this log");
    try {
      const head = await this.readCommittedHead();
      checkAppendsToHead(batch.from, head);
      await this.catchUp(head);
      await this.#checkNewLeaves(batch.entries);
      await clearTemporaryFiles(this.#root);

      const written = await Promise.all([
        ...batch.tiles.map((tile) => replaceFile(this.#root, tileFile(tile.level, tile.index), tile.hashes)),
        ...batch.bundles.map((bundle) => replaceFile(this.#root, bundleFile(bundle.index), bundle.data)),
      ]);
      const records = encodeRecords(batch.entries);
      await this.#records.write(records, 0, records.length, batch.from.size * RECORD_BYTES);
      // Records of an interrupted append may lie past the new end: cut them, so the file ends at the head.
      await this.#records.truncate(batch.to.size * RECORD_BYTES);
      await this.#records.datasync();
      await syncDirectories(written.flat());
      await this.#hooks?.beforeCommit?.();

      // The commit point. (Should flushing the directory fail after the rename, the append rejects with the new
      // head possibly in place: a disk that fails fsync cannot promise either outcome, and the sequencer reloads.)
      await replaceFile(this.#root, HEAD_FILE, encodeHead(batch.to));
      await syncDirectory(this.#root);

      await this.#serially(() => {
        // Unless a lookup has already loaded them from disk.
        if (this.#indexed !== batch.from.size) return;
        for (const entry of batch.entries) this.#index.add(entry.leafHash, entry.index);
        this.#indexed = batch.to.size;
      });
      await this.#writeCheckpointCopy(batch.to.checkpoint);
    } finally {
      // Never turn a committed append into a failure: a lock we cannot remove is ours, and stale once we move on.
      await lock.release().catch(() => undefined);
    }
  }

  /** Leaves are unique in the log (log-common.ts duplicateLeaf), within the batch and against committed entries. */
  async #checkNewLeaves(entries: readonly LogEntryRecord[]): Promise<void> {
    const seen = new Set<string>();
    for (const entry of entries) {
      const key = Buffer.from(entry.leafHash).toString("hex");
      if (seen.has(key) || (await this.#lookup(entry.leafHash)) !== undefined) throw duplicateLeaf(`entry ${entry.index}`);
      seen.add(key);
    }
  }

  /**
   * `checkpoint` is a convenience copy, written after the commit: never ahead of `head` (a copy of an uncommitted
   * checkpoint could be served, then contradicted by the next append). Failing to write it does not undo a commit,
   * so it is best effort; it can lag by one append after a crash, until the next.
   */
  async #writeCheckpointCopy(checkpoint: string): Promise<void> {
    const temp = join(this.#root, TEMP_DIR, CHECKPOINT_FILE);
    try {
      await writeFile(temp, checkpoint);
      await rename(temp, join(this.#root, CHECKPOINT_FILE));
    } catch {
      // Best effort (see above).
    }
  }

  async #lookup(leafHash: Uint8Array): Promise<LogEntryRecord | undefined> {
    for (const index of this.#index.candidates(leafHash)) {
      const [record] = await this.#readRecords(index, 1);
      if (record !== undefined && sameBytes(record.leafHash, leafHash)) return record;
    }
    return undefined;
  }

  async #readRecords(index: number, count: number): Promise<LogEntryRecord[]> {
    const bytes = Buffer.alloc(count * RECORD_BYTES);
    const bytesRead = readSync(this.#records.fd, bytes, 0, bytes.length, index * RECORD_BYTES);
    if (bytesRead < bytes.length) {
      throw new VouchError("STORE_CORRUPT", `the entry-record file ends before entry ${index + Math.floor(bytesRead / RECORD_BYTES)}, which is committed`, {
        file: join(this.#root, RECORDS_FILE),
      });
    }
    const out: LogEntryRecord[] = [];
    for (let i = 0; i < count; i++) out.push(decodeRecord(bytes, i * RECORD_BYTES, index + i));
    return out;
  }

  async #guard<T>(doing: string, run: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) throw new VouchError("STORE_UNAVAILABLE", `cannot ${doing}: the store is closed`);
    try {
      return await run();
    } catch (err) {
      throw storeFailure(err, `cannot ${doing}`);
    }
  }
}

/** The result of reading a file, or undefined when it does not exist. */
function whenExists<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (isCode(err, "ENOENT")) return undefined;
    throw err;
  }
}
