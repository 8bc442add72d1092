/**
 * Storage ports: the interfaces every driver implements, written as MUST / MUST NOT contracts (after
 * transparency-dev/tessera's lifecycle.go). Services hold these interfaces only; `runtime.ts` picks the driver.
 * One conformance suite (`store/log-store.contract.ts`) runs against every driver.
 */

/**
 * The committed head of a transparency log: what the last published checkpoint commits to.
 * `checkpoint` is the signed note text exactly as served at /checkpoint.
 */
export interface LogHead {
  size: number;
  rootHash: Uint8Array;
  checkpoint: string;
}

/**
 * One log entry's record beside the tree: its leaf hash (the identity used to de-duplicate, and the Rekor v1 UUID in
 * hex) and when it was integrated (Unix seconds; every entry of one batch shares the batch's time).
 */
export interface LogEntryRecord {
  index: number;
  leafHash: Uint8Array;
  integratedTime: number;
}

/**
 * A hash tile (c2sp.org/tlog-tiles) in its latest version: level L, tile index N, and 1..256 hashes of 32 bytes
 * concatenated. Tile (L, N) at width W is the first W hashes of the stored version.
 */
export interface LogTile {
  level: number;
  index: number;
  hashes: Uint8Array;
}

/**
 * An entry bundle (c2sp.org/tlog-tiles "entries" tile) in its latest version: bundle N holds entries 256N..256N+W-1,
 * each a big-endian uint16 length followed by that many bytes.
 */
export interface LogEntryBundle {
  index: number;
  data: Uint8Array;
}

/** One integration step, computed by the sequencer from the current head and a batch of new entries. */
export interface LogAppend {
  /** The head this batch extends. */
  from: { size: number; rootHash: Uint8Array };
  /** The head after the batch (checkpoint already signed). */
  to: LogHead;
  /** Records of the new entries, indexes from.size .. to.size-1 in order. */
  entries: LogEntryRecord[];
  /** Every tile the batch changed, each in full (its new latest version). */
  tiles: LogTile[];
  /** Every entry bundle the batch changed, each in full. */
  bundles: LogEntryBundle[];
}

/**
 * Exclusive right to append, held by at most one process sharing a store (one sequencer at a time, ARCHITECTURE.md).
 * `lost` resolves when the driver learns the lease is gone (connection dropped); the holder MUST stop appending then.
 */
export interface SequencerLease {
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/**
 * Submissions waiting for the sequencer, shared by every process on one store (SQL drivers): a process without the
 * lease enqueues a checked canonical body and waits for it to appear through `findEntry`; the lease holder takes
 * bodies and integrates them. Nothing is acknowledged until it is in the tree, so a body taken by a sequencer that
 * then dies is simply not acknowledged (its submitter times out and retries; resubmission is de-duplicated).
 *
 * Contract: `take` MUST hand each enqueued body to at most one caller, oldest first, and remove it.
 */
export interface SubmissionQueue {
  enqueue(body: Uint8Array): Promise<void>;
  take(max: number): Promise<Uint8Array[]>;
}

/**
 * Where a transparency log keeps its tree, entries and head.
 *
 * Contract (every driver; checked by store/log-store.contract.ts):
 * - `append` MUST be atomic: when it resolves, the whole batch is durable (survives SIGKILL and power loss as far as
 *   the medium allows) and `readHead` returns `to`; when it rejects, or the process dies before it resolves,
 *   `readHead` keeps returning `from` and no new record is visible through `findEntry` or `readEntries`.
 * - `append` MUST reject with VouchError STORE_CONFLICT, changing nothing, when `from` is not the committed head
 *   (size and root hash). This compare-and-swap keeps the tree append-only even if two sequencers ever race. A store
 *   never appended to has the empty tree as its head (size 0): the sequencer's first append commits its checkpoint.
 * - `readTile` / `readEntryBundle` return the latest stored version. After an interrupted append a stored version MAY
 *   be longer than the committed tree covers (callers truncate to the committed width), but its first hashes or
 *   entries MUST equal the committed ones: a driver MUST NOT expose a torn or partially written tile or bundle.
 * - `findEntry` and `readEntries` MUST return only entries below the committed size.
 * - A driver MUST NOT verify or repair what it reads: hashes are checked above it, against the signed head, so that
 *   tampering in any driver is caught the same way. It MUST return bytes exactly as they were stored.
 * - `tryAcquireSequencer` MUST grant at most one live lease per store across processes; a lease held by a process
 *   that died MUST become available again within seconds.
 */
export interface LogStore {
  /** The committed head, or undefined for a log that was never appended to. */
  readHead(): Promise<LogHead | undefined>;
  readTile(level: number, index: number): Promise<Uint8Array | undefined>;
  readEntryBundle(index: number): Promise<Uint8Array | undefined>;
  /** The committed entry whose leaf hash this is, if any (de-duplication, lookup by Rekor UUID). */
  findEntry(leafHash: Uint8Array): Promise<LogEntryRecord | undefined>;
  /** Committed entry records from `index`, at most `count` of them, in index order. */
  readEntries(index: number, count: number): Promise<LogEntryRecord[]>;
  append(batch: LogAppend): Promise<void>;
  /** The sequencer lease, or undefined when another live process holds it. */
  tryAcquireSequencer(): Promise<SequencerLease | undefined>;
  /** Present when several processes can share this store (SQLite, PostgreSQL); the filesystem driver has one process. */
  readonly queue?: SubmissionQueue;
  close(): Promise<void>;
}
