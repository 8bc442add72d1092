import type { LogStore, SequencerLease } from "../store/ports.js";
import { QueueDrain } from "./queue-relay.js";
import { Sequencer, type SequencerOptions } from "./sequencer.js";

/**
 * Sequencing under the store's lease, for any log on a LogStore (the transparency log, the CT log): with a shared
 * store (PostgreSQL) several processes run one of these each; exactly one holds the lease and runs the Sequencer
 * (ARCHITECTURE.md: one sequencer at a time), draining the submissions the others queue. A process without the lease
 * retries every `leaseRetryMs`, and takes over within that time when the holder dies (its lease is `lost`).
 */

export interface LeasedSequencingOptions {
  store: LogStore;
  /** How the Sequencer is made once the lease is held. */
  sequencer: Omit<SequencerOptions, "store">;
  /** How often a process without the lease tries to take it, in milliseconds (default 1000). */
  leaseRetryMs?: number;
  /** This process has started sequencing: the Sequencer is loaded and the queue is being drained into it. */
  onStart?(sequencer: Sequencer): void;
  /** This process stops sequencing (lease lost, or closing); called before the Sequencer stops. */
  onStop?(): void;
  /** What submissions still queued in the Sequencer are failed with when it stops. */
  stopReason?: string;
}

export class LeasedSequencing {
  readonly #options: LeasedSequencingOptions;
  #sequencer: Sequencer | undefined;
  #lease: SequencerLease | undefined;
  #drain: QueueDrain | undefined;
  #retry: NodeJS.Timeout | undefined;
  #acquiring: Promise<void> | undefined;
  #closed = false;

  private constructor(options: LeasedSequencingOptions) {
    this.#options = options;
  }

  /** Tries for the lease once (a failure to start the Sequencer is thrown); without it, keeps trying in the background. */
  static async start(options: LeasedSequencingOptions): Promise<LeasedSequencing> {
    const sequencing = new LeasedSequencing(options);
    await sequencing.#tryAcquire();
    return sequencing;
  }

  /** The Sequencer while this process holds the lease. */
  get sequencer(): Sequencer | undefined {
    return this.#sequencer;
  }

  /** Stops sequencing (the batch in flight commits) and releases the lease; the store stays open. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#acquiring;
    await this.#stepDown();
  }

  #tryAcquire(): Promise<void> {
    this.#acquiring ??= this.#acquire().finally(() => {
      this.#acquiring = undefined;
    });
    return this.#acquiring;
  }

  async #acquire(): Promise<void> {
    if (this.#closed || this.#sequencer) return;
    const { store } = this.#options;
    const lease = await store.tryAcquireSequencer();
    if (lease === undefined) {
      this.#scheduleRetry();
      return;
    }
    try {
      const sequencer = await Sequencer.start({ ...this.#options.sequencer, store });
      this.#lease = lease;
      this.#sequencer = sequencer;
      // Replicas sharing the store queue their submissions for whoever sequences: drain them into this sequencer.
      this.#drain = store.queue ? new QueueDrain(store.queue, sequencer, { maxBatch: this.#options.sequencer.maxBatch }).start() : undefined;
      this.#options.onStart?.(sequencer);
      void lease.lost.then(async () => {
        if (this.#lease !== lease) return;
        await this.#stepDown();
        this.#scheduleRetry();
      });
    } catch (error) {
      await lease.release().catch(() => {});
      throw error;
    }
  }

  async #stepDown(): Promise<void> {
    const sequencer = this.#sequencer;
    const lease = this.#lease;
    const drain = this.#drain;
    this.#drain = undefined;
    await drain?.stop();
    this.#sequencer = undefined;
    this.#lease = undefined;
    if (sequencer) {
      this.#options.onStop?.();
      await sequencer.stop(this.#options.stopReason);
    }
    await lease?.release().catch(() => {});
  }

  #scheduleRetry(): void {
    if (this.#closed) return;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#tryAcquire().catch(() => this.#scheduleRetry());
    }, this.#options.leaseRetryMs ?? 1000);
    this.#retry.unref();
  }
}
