import { VouchError } from "../core/errors.js";
import type { LogEntryRecord, LogHead, LogStore } from "../store/ports.js";
import { MAX_ENTRY_BYTES } from "./tiles/bundle.js";
import { EMPTY_EDGE, integrate, type RightEdge } from "./tiles/integrate.js";
import { LogReader } from "./tiles/reader.js";

/**
 * The sequencer: batches submissions, integrates them into the tree, signs a checkpoint and commits everything in
 * one LogStore.append. A submission's promise resolves only after that append — the entry is durable before the
 * client hears about it (issue 4: "a submission is answered only after its entry is durably in the tree").
 *
 * One batch is in flight at a time (appends are ordered by construction); submissions arriving meanwhile wait for
 * the next batch, which starts as soon as the previous one commits or when `maxBatch` entries are waiting.
 */

export interface SequencerOptions {
  store: LogStore;
  /** Signs the checkpoint of a new head: returns the whole signed note text. */
  signCheckpoint: (head: { size: number; rootHash: Uint8Array }) => string | Promise<string>;
  /** Unix seconds now (injected so tests can fix time). */
  now?: () => number;
  /** Most entries integrated in one append. */
  maxBatch?: number;
  /**
   * Longest a submission waits for others to share its batch, in milliseconds. Default 0: group commit — a batch
   * starts as soon as no other is in flight (what arrives in the same tick shares it), and under load batches grow
   * by themselves while the previous one commits. A positive delay trades latency for fewer, larger appends.
   */
  maxDelayMs?: number;
}

export interface Sequenced {
  record: LogEntryRecord;
  /** True when an identical entry was already in the log (or in the same batch) and no new leaf was added. */
  duplicate: boolean;
}

interface Waiting {
  body: Uint8Array;
  key: string;
  resolve: (sequenced: Sequenced) => void;
  reject: (error: unknown) => void;
}

export class Sequencer {
  readonly #store: LogStore;
  readonly #signCheckpoint: SequencerOptions["signCheckpoint"];
  readonly #now: () => number;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  #edge: RightEdge = EMPTY_EDGE;
  #head: LogHead | undefined;
  #queue: Waiting[] = [];
  /** Submissions of this event-loop turn, waiting for their de-duplication lookup (see #lookupOrQueue). */
  #lookups: Waiting[] = [];
  /** Submissions waiting or in flight, by leaf hash: identical submissions share one entry. */
  readonly #pending = new Map<string, Promise<Sequenced>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #stopped: VouchError | undefined;

  private constructor(options: SequencerOptions) {
    this.#store = options.store;
    this.#signCheckpoint = options.signCheckpoint;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#maxBatch = options.maxBatch ?? 1024;
    this.#maxDelayMs = options.maxDelayMs ?? 0;
  }

  /**
   * Loads the committed head and its right edge (checked against the signed root) and, for a new log, commits the
   * empty tree's checkpoint so that readers always have one.
   */
  static async start(options: SequencerOptions): Promise<Sequencer> {
    const sequencer = new Sequencer(options);
    await sequencer.#load();
    return sequencer;
  }

  get head(): LogHead {
    return this.#head!;
  }

  /** The right edge of `head`, as this sequencer integrated it (or read and checked it at start): never re-read. */
  get edge(): RightEdge {
    return this.#edge;
  }

  /**
   * Adds a canonical entry body (the Merkle leaf) and resolves once it is committed, with its index and time.
   * @throws VouchError LOG_ENTRY_TOO_LARGE (does not fit a tile entry), LOG_UNAVAILABLE (stopped).
   */
  submit(body: Uint8Array, leafHashHex: string): Promise<Sequenced> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    if (body.length > MAX_ENTRY_BYTES) {
      return Promise.reject(new VouchError("LOG_ENTRY_TOO_LARGE", `the canonical entry is ${body.length} bytes; a log entry holds at most ${MAX_ENTRY_BYTES}`));
    }
    const inFlight = this.#pending.get(leafHashHex);
    if (inFlight) return inFlight.then((s) => ({ ...s, duplicate: true }));
    // Registered before the first await, so an identical submission arriving meanwhile shares this one.
    const promise = this.#lookupOrQueue(body, leafHashHex);
    this.#pending.set(leafHashHex, promise);
    const forget = () => this.#pending.delete(leafHashHex);
    promise.then(forget, forget);
    return promise;
  }

  /**
   * De-duplication against the committed log, then the queue. The submissions of one event-loop turn are looked up
   * together, in one LogStore.findEntries: on PostgreSQL a query per submission cost a round trip each, and its
   * socket writes alone were a fifth of the main thread at 2,000 appends/s.
   */
  #lookupOrQueue(body: Uint8Array, key: string): Promise<Sequenced> {
    return new Promise<Sequenced>((resolve, reject) => {
      this.#lookups.push({ body, key, resolve, reject });
      if (this.#lookups.length === 1) setImmediate(() => void this.#lookUpBurst());
    });
  }

  async #lookUpBurst(): Promise<void> {
    const burst = this.#lookups.splice(0);
    let found: (LogEntryRecord | undefined)[];
    try {
      found = await this.#store.findEntries(burst.map((waiting) => Buffer.from(waiting.key, "hex")));
    } catch (error) {
      for (const waiting of burst) waiting.reject(error);
      return;
    }
    burst.forEach((waiting, i) => {
      const record = found[i];
      if (record !== undefined) waiting.resolve({ record, duplicate: true });
      else if (this.#stopped) waiting.reject(this.#stopped);
      else this.#queue.push(waiting);
    });
    if (this.#queue.length > 0) this.#schedule();
  }

  /** Stops taking submissions, lets the batch in flight commit, and fails whatever is still queued. */
  async stop(reason = "the log is shutting down"): Promise<void> {
    this.#stopped ??= new VouchError("LOG_UNAVAILABLE", reason);
    clearTimeout(this.#timer);
    await this.#flushing;
    for (const waiting of this.#queue.splice(0)) waiting.reject(this.#stopped);
  }

  #schedule(): void {
    if (this.#flushing) return; // the running batch picks the queue up when it finishes
    if (this.#queue.length >= this.#maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#flush();
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#flush();
      }, this.#maxDelayMs);
    }
  }

  #flush(): void {
    if (this.#flushing || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#flushing = this.#commit(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0 && !this.#stopped) {
        // Whatever arrived while this batch was committing has already waited; integrate it right away.
        this.#flush();
      }
    });
  }

  async #commit(batch: Waiting[]): Promise<void> {
    try {
      const step = integrate(this.#edge, batch.map((w) => w.body));
      const integratedTime = this.#now();
      const from = this.#head!;
      const records = batch.map((_, i) => ({ index: from.size + i, leafHash: step.leafHashes[i]!, integratedTime, bundleOffset: step.bundleOffsets[i]! }));
      const checkpoint = await this.#signCheckpoint({ size: step.edge.size, rootHash: step.rootHash });
      const to: LogHead = { size: step.edge.size, rootHash: step.rootHash, checkpoint };
      await this.#store.append({ from, to, entries: records, tiles: step.tiles, bundles: step.bundles });
      this.#edge = step.edge;
      this.#head = to;
      batch.forEach((waiting, i) => waiting.resolve({ record: records[i]!, duplicate: false }));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      // The store may or may not have taken the batch (a lost connection after commit): reload what it holds, so
      // the next batch extends the committed head, never a guess.
      await this.#load().catch((reloadError: unknown) => {
        this.#stopped = new VouchError("LOG_UNAVAILABLE", "the log cannot reload its head after a failed append", { cause: reloadError });
      });
    }
  }

  async #load(): Promise<void> {
    const head = await this.#store.readHead();
    if (head === undefined) {
      const step = integrate(EMPTY_EDGE, []);
      const checkpoint = await this.#signCheckpoint({ size: 0, rootHash: step.rootHash });
      const to: LogHead = { size: 0, rootHash: step.rootHash, checkpoint };
      await this.#store.append({ from: { size: 0, rootHash: step.rootHash }, to, entries: [], tiles: [], bundles: [] });
      this.#edge = EMPTY_EDGE;
      this.#head = to;
      return;
    }
    this.#edge = await new LogReader(this.#store, head).rightEdge();
    this.#head = head;
  }
}
