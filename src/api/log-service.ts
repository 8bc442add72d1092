import type { KeyObject } from "node:crypto";
import type { LogStore } from "../store/ports.js";
import { defaultCheckWorkers, EntryCheckPool } from "../tlog/entry-checks.js";
import { LeasedSequencing } from "../tlog/leased-sequencing.js";
import { createLogSigner } from "../tlog/log-signer.js";
import { TransparencyLog } from "../tlog/log.js";
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
  /**
   * Worker threads that check submissions (validation, canonicalisation, signature verification: about half of the
   * log's CPU per entry), so that they run beside this thread's HTTP and sequencing. Default: one per core beyond the
   * first, at most 4; 0 checks on this thread.
   */
  checkWorkers?: number;
}

/**
 * A transparency log in one process: the read side always, the write side whenever this process holds the store's
 * sequencer lease. With a shared store (PostgreSQL) several processes run this; one sequences, and when it dies the
 * others' retry loop takes the lease within `leaseRetryMs` (ARCHITECTURE.md: one sequencer at a time).
 */
export class LogService {
  readonly log: TransparencyLog;
  readonly #options: LogServiceOptions;
  readonly #witnessing: CheckpointWitnessing | undefined;
  readonly #checks: EntryCheckPool | undefined;
  #sequencing!: LeasedSequencing;

  private constructor(options: LogServiceOptions, log: TransparencyLog, witnessing: CheckpointWitnessing | undefined, checks: EntryCheckPool | undefined) {
    this.#options = options;
    this.log = log;
    this.#witnessing = witnessing;
    this.#checks = checks;
  }

  /** Starts the service and tries for the lease once; a process that does not get it keeps trying in the background. */
  static async start(options: LogServiceOptions): Promise<LogService> {
    const signer = createLogSigner(options.privateKey, options.name ?? options.origin ?? "localhost", options.origin);
    const witnessing = options.witnessing?.witnesses.length ? new CheckpointWitnessing({ ...options.witnessing, store: options.store }) : undefined;
    const workers = options.checkWorkers ?? defaultCheckWorkers();
    const checks = workers > 0 ? new EntryCheckPool({ workers }) : undefined;
    const log = new TransparencyLog({ store: options.store, signer, maxEntryBytes: options.maxEntryBytes, witnessing, checker: checks });
    const service = new LogService(options, log, witnessing, checks);
    service.#sequencing = await LeasedSequencing.start({
      store: options.store,
      sequencer: {
        signCheckpoint: ({ size, rootHash }) => log.signer.checkpoint(size, rootHash),
        maxBatch: options.maxBatch,
        maxDelayMs: options.maxDelayMs,
        now: options.now,
      },
      leaseRetryMs: options.leaseRetryMs,
      onStart: (sequencer) => {
        log.setSequencer(sequencer);
        // The committed head (a restart's, or a new log's empty tree) goes to the witnesses without waiting for a write.
        witnessing?.observe(sequencer.head);
        options.onSequencing?.(true);
      },
      onStop: () => {
        log.setSequencer(undefined);
        options.onSequencing?.(false);
      },
    });
    return service;
  }

  get sequencing(): boolean {
    return this.#sequencing.sequencer !== undefined;
  }

  async close(): Promise<void> {
    await this.#witnessing?.close();
    await this.#sequencing.close();
    await this.#options.store.close();
    await this.#checks?.close();
  }
}
