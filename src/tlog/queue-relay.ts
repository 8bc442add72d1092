import { setTimeout as sleep } from "node:timers/promises";
import { VouchError } from "../core/errors.js";
import { leafHash } from "../core/merkle/index.js";
import type { LogStore, SubmissionQueue } from "../store/ports.js";
import type { Sequenced, Sequencer } from "./sequencer.js";

/**
 * Submissions between processes sharing one store: a replica without the sequencer lease puts a checked canonical
 * body on the store's queue and waits until the entry is committed; the lease holder drains the queue into its
 * Sequencer. Bodies are checked (signature verified, canonicalised) by the replica that received them, and again
 * hashed by the sequencer, which integrates exactly the bytes it took.
 */

export interface RelayTiming {
  /** How long a replica waits for its entry to be committed before answering 503. */
  timeoutMs?: number;
  /** First and longest pause between checks (replica) or queue polls (sequencer), in milliseconds. */
  minPollMs?: number;
  maxPollMs?: number;
}

/** How long a replica waits for its queued entry before queuing it again. */
const REQUEUE_MS = 2000;

/** Replica side: enqueue (unless already logged) and resolve once the entry is in the committed tree. */
export async function submitThroughQueue(store: LogStore, body: Uint8Array, timing: RelayTiming = {}): Promise<Sequenced> {
  const queue = store.queue;
  if (queue === undefined) throw new VouchError("LOG_UNAVAILABLE", "this process is not sequencing the log and its store has no shared queue");
  const hash = leafHash(body);
  const existing = await store.findEntry(hash);
  if (existing) return { record: existing, duplicate: true };
  await queue.enqueue(body);
  const deadline = Date.now() + (timing.timeoutMs ?? 15_000);
  let pause = timing.minPollMs ?? 5;
  let requeueAt = Date.now() + REQUEUE_MS;
  while (Date.now() < deadline) {
    await sleep(pause);
    const record = await store.findEntry(hash);
    if (record) return { record, duplicate: false };
    pause = Math.min(pause * 2, timing.maxPollMs ?? 100);
    if (Date.now() >= requeueAt) {
      // A sequencer that took the body and died before committing lost it (the take removed it from the queue).
      // Queue it again: harmless if it was committed meanwhile, the sequencer finds it and adds nothing.
      await queue.enqueue(body);
      requeueAt = Date.now() + REQUEUE_MS;
    }
  }
  // Not acknowledged: the client retries, and a retry of an entry that did get in is answered as a duplicate.
  throw new VouchError("LOG_UNAVAILABLE", "the entry was queued but no sequencer committed it in time; retry");
}

/** Sequencer side: takes queued bodies and submits them to the sequencer until stopped. */
export class QueueDrain {
  readonly #queue: SubmissionQueue;
  readonly #sequencer: Sequencer;
  readonly #maxBatch: number;
  readonly #minPollMs: number;
  readonly #maxPollMs: number;
  readonly #onError: (error: unknown) => void;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(queue: SubmissionQueue, sequencer: Sequencer, options: RelayTiming & { maxBatch?: number; onError?: (error: unknown) => void } = {}) {
    this.#queue = queue;
    this.#sequencer = sequencer;
    this.#maxBatch = options.maxBatch ?? 1024;
    this.#minPollMs = options.minPollMs ?? 5;
    this.#maxPollMs = options.maxPollMs ?? 100;
    this.#onError = options.onError ?? (() => {});
  }

  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    let pause = this.#minPollMs;
    while (!this.#stopped) {
      let bodies: Uint8Array[] = [];
      try {
        bodies = await this.#queue.take(this.#maxBatch);
      } catch (error) {
        this.#onError(error);
      }
      for (const body of bodies) {
        // The replica that queued it waits for it through findEntry; here only failures are worth a word.
        this.#sequencer.submit(body, Buffer.from(leafHash(body)).toString("hex")).catch(this.#onError);
      }
      pause = bodies.length > 0 ? this.#minPollMs : Math.min(pause * 2, this.#maxPollMs);
      if (!this.#stopped) await sleep(pause);
    }
  }
}
