import type { KeyObject } from "node:crypto";
import type { LogStore, SequencerLease } from "../store/ports.js";
import { createLogSigner } from "../tlog/log-signer.js";
import { TransparencyLog } from "../tlog/log.js";
import { QueueDrain } from "../tlog/queue-relay.js";
import { Sequencer } from "../tlog/sequencer.js";
import { CheckpointWitnessing, type WitnessingOptions } from "../tlog/witnessing.js";

export interface LogServiceOptions {
  store: LogStore;
  privateKey: KeyObject;
  /**
   * The host name clients reach the log at: the note key name and the default checkpoint origin (see
   * tlog/log-signer.ts). It must be the host of the baseUrl in the trusted root clients use.
   */
  name?: string;
  /** A checkpoint origin other than the name (keep it stable: monitors and witnesses know a log by it). */
  origin?: string;
  maxBatch?: number;
  maxDelayMs?: number;
  maxEntryBytes?: number;
  /** How often a process without the sequencer lease tries to take it, in milliseconds. */
  leaseRetryMs?: number;
  now?: () => number;
  /** Told when this process starts or stops sequencing (for logs). */
  onSequencing?: (sequencing: boolean) => void;
  /** Witnesses to cosign the log's checkpoints, the threshold and how long answers wait (src/tlog/witnessing.ts). */
  witnessing?: Omit<WitnessingOptions, "store">;
}

/**
 * A transparency log in one process: the read side always, the write side whenever this process holds the store's
 * sequencer lease. With a shared store (PostgreSQL) several processes run this; one sequences, and when it dies the
 * others' retry loop takes the lease within `leaseRetryMs` (ARCHITECTURE.md: one sequencer at a time).
 */
export class LogService {
  readonly log: TransparencyLog;
  readonly #options: LogServiceOptions;
  #sequencer: Sequencer | undefined;
  #lease: SequencerLease | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #acquiring: Promise<void> | undefined;
  #drain: QueueDrain | undefined;
  readonly #witnessing: CheckpointWitnessing | undefined;

  private constructor(options: LogServiceOptions, log: TransparencyLog, witnessing: CheckpointWitnessing | undefined) {
    this.#options = options;
    this.log = log;
    this.#witnessing = witnessing;
  }

  /** Starts the service and tries for the lease once; a process that does not get it keeps trying in the background. */
  static async start(options: LogServiceOptions): Promise<LogService> {
    const signer = createLogSigner(options.privateKey, options.name ?? options.origin ?? "localhost", options.origin);
    const witnessing = options.witnessing?.witnesses.length ? new CheckpointWitnessing({ ...options.witnessing, store: options.store }) : undefined;
    const log = new TransparencyLog({ store: options.store, signer, maxEntryBytes: options.maxEntryBytes, witnessing });
    const service = new LogService(options, log, witnessing);
    await service.#tryAcquire();
    return service;
  }

  get sequencing(): boolean {
    return this.#sequencer !== undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#acquiring;
    await this.#witnessing?.close();
    await this.#stepDown();
    await this.#options.store.close();
  }

  #tryAcquire(): Promise<void> {
    this.#acquiring ??= this.#acquire().finally(() => {
      this.#acquiring = undefined;
    });
    return this.#acquiring;
  }

  async #acquire(): Promise<void> {
    if (this.#closed || this.#sequencer) return;
    const lease = await this.#options.store.tryAcquireSequencer();
    if (lease === undefined) {
      this.#scheduleRetry();
      return;
    }
    try {
      const sequencer = await Sequencer.start({
        store: this.#options.store,
        signCheckpoint: ({ size, rootHash }) => this.log.signer.checkpoint(size, rootHash),
        maxBatch: this.#options.maxBatch,
        maxDelayMs: this.#options.maxDelayMs,
        now: this.#options.now,
      });
      this.#lease = lease;
      this.#sequencer = sequencer;
      this.log.setSequencer(sequencer);
      // Replicas sharing the store queue their submissions for whoever sequences: drain them into this sequencer.
      const queue = this.#options.store.queue;
      this.#drain = queue ? new QueueDrain(queue, sequencer, { maxBatch: this.#options.maxBatch }).start() : undefined;
      // The committed head (a restart's, or a new log's empty tree) goes to the witnesses without waiting for a write.
      this.#witnessing?.observe(sequencer.head);
      this.#options.onSequencing?.(true);
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
    this.log.setSequencer(undefined);
    if (sequencer) {
      await sequencer.stop();
      this.#options.onSequencing?.(false);
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
