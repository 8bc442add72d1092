import { VouchError } from "../../src/core/errors.js";
import type { LogAppend, LogEntryRecord, LogHead, LogStore, SequencerLease } from "../../src/store/ports.js";

/**
 * An in-memory LogStore for unit tests of the log above the drivers (the drivers have their own contract suite).
 * `tiles` and `bundles` are exposed so tests can tamper with stored bytes.
 */
export class MemoryLogStore implements LogStore {
  head: LogHead | undefined;
  readonly tiles = new Map<string, Uint8Array>();
  readonly bundles = new Map<number, Uint8Array>();
  readonly records: LogEntryRecord[] = [];
  readonly byLeaf = new Map<string, LogEntryRecord>();
  leased = false;
  /** Makes the next append fail, as a crashed disk would. */
  failNextAppend = false;

  async readHead(): Promise<LogHead | undefined> {
    return this.head;
  }
  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    return this.tiles.get(`${level}/${index}`);
  }
  async readEntryBundle(index: number): Promise<Uint8Array | undefined> {
    this.bundleReads++;
    return this.bundles.get(index);
  }
  /** Whole-bundle reads so far (tests of range reads count them). */
  bundleReads = 0;
  async readBundleRange(index: number, start: number, end?: number): Promise<Uint8Array | undefined> {
    return this.bundles.get(index)?.slice(start, end);
  }
  async findEntry(leafHash: Uint8Array): Promise<LogEntryRecord | undefined> {
    return this.byLeaf.get(Buffer.from(leafHash).toString("hex"));
  }
  async findEntries(leafHashes: readonly Uint8Array[]): Promise<(LogEntryRecord | undefined)[]> {
    return Promise.all(leafHashes.map((leafHash) => this.findEntry(leafHash)));
  }
  async readEntries(index: number, count: number): Promise<LogEntryRecord[]> {
    return this.records.slice(index, index + count);
  }
  async append(batch: LogAppend): Promise<void> {
    const size = this.head?.size ?? 0;
    if (batch.from.size !== size) throw new VouchError("STORE_CONFLICT", `append from ${batch.from.size}, head is ${size}`);
    if (this.failNextAppend) {
      this.failNextAppend = false;
      throw new Error("simulated storage failure");
    }
    for (const tile of batch.tiles) this.tiles.set(`${tile.level}/${tile.index}`, tile.hashes);
    for (const bundle of batch.bundles) this.bundles.set(bundle.index, bundle.data);
    for (const record of batch.entries) {
      this.records[record.index] = record;
      this.byLeaf.set(Buffer.from(record.leafHash).toString("hex"), record);
    }
    this.head = batch.to;
  }
  async tryAcquireSequencer(): Promise<SequencerLease | undefined> {
    if (this.leased) return undefined;
    this.leased = true;
    return {
      lost: new Promise<void>(() => {}),
      release: async () => {
        this.leased = false;
      },
    };
  }
  async close(): Promise<void> {}
}
