import { VouchError } from "../core/errors.js";
import type { DecisionEvent, DecisionStore } from "../store/ports.js";

export interface DecisionWriterOptions {
  store: DecisionStore;
  /** Events waiting to be written at most; past it, `add` waits for room (default 10,000). */
  maxQueue?: number;
  /** Events per write at most (default 64: a write blocks the event loop for its batch, a few ms at most). */
  maxBatch?: number;
  /** Told about a batch the store refused or could not take (the events of that batch are not recorded). */
  onError: (error: unknown, doing: string) => void;
}

/**
 * Records the policy engine's decisions off the answer's path (as Kyverno writes its reports in the background): an
 * admission answer does not wait for the store. `add` queues an event; the queue is written in batches
 * (DecisionStore.recordBatch: one statement and one commit per batch) from the next turn of the event loop, so the
 * answer is sent first and the decisions that arrive while a batch is being written go into the next one.
 *
 * What "recorded" means with it: an event is in the store once `flush()` (or `close()`) resolves after its `add`, or
 * within one batch write of its decision otherwise. A batch the store refuses or cannot take is reported to
 * `onError` and dropped, as a failed `record` was before (the decision stands; nothing retries it). Memory is
 * bounded: past `maxQueue` waiting events, `add` resolves only when a batch has made room (the answers wait rather
 * than events being dropped). A process killed without `close()` loses the events still queued.
 */
export class DecisionWriter {
  readonly #store: DecisionStore;
  readonly #maxQueue: number;
  readonly #maxBatch: number;
  readonly #onError: DecisionWriterOptions["onError"];
  #queue: DecisionEvent[] = [];
  #draining: Promise<void> | undefined;
  #waitingForRoom: (() => void)[] = [];
  #closed = false;

  constructor(options: DecisionWriterOptions) {
    this.#store = options.store;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#onError = options.onError;
    for (const [name, value] of [["maxQueue", this.#maxQueue], ["maxBatch", this.#maxBatch]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${value}`);
    }
  }

  /** Events queued and not yet handed to the store. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues `event`. Resolves at once, or, with `maxQueue` events already waiting, once a batch has made room.
   * @throws VouchError STORE_UNAVAILABLE after close().
   */
  async add(event: DecisionEvent): Promise<void> {
    if (this.#closed) throw new VouchError("STORE_UNAVAILABLE", "the decision writer is closed");
    while (this.#queue.length >= this.#maxQueue) {
      this.#drain();
      await new Promise<void>((room) => this.#waitingForRoom.push(room));
      if (this.#closed) throw new VouchError("STORE_UNAVAILABLE", "the decision writer is closed");
    }
    this.#queue.push(event);
    this.#drain();
  }

  /** Resolves once every event added before the call is written (or its batch's failure reported). */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /** Writes what is queued and refuses further events. The store stays open (its owner closes it). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    for (const room of this.#waitingForRoom.splice(0)) room();
  }

  #drain(): void {
    this.#draining ??= this.#writeAll().finally(() => {
      this.#draining = undefined;
      // An event added while the last batch was settling: start again.
      if (this.#queue.length > 0) this.#drain();
    });
  }

  async #writeAll(): Promise<void> {
    // The next turn of the event loop: the answer that queued this event goes out first, and the decisions of the
    // requests already read join the batch.
    await new Promise<void>((next) => setImmediate(next));
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      for (const room of this.#waitingForRoom.splice(0)) room();
      try {
        const { conflicts } = await this.#store.recordBatch(batch);
        if (conflicts.length > 0) this.#onError(new VouchError("STORE_CONFLICT", `decision ids already recorded: ${conflicts.slice(0, 5).join(", ")}${conflicts.length > 5 ? ", …" : ""}`), `record ${conflicts.length} decision(s)`);
      } catch (error) {
        this.#onError(error, `record ${batch.length} decision(s)`);
      }
    }
  }
}
