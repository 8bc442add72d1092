import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";
import { isVouchError, VouchError, type VouchErrorCode } from "../core/errors.js";
import { canonicalizeProposedEntry, canonicalizeV2Request, type CanonicalEntry } from "./entries/index.js";

/**
 * Where a log submission is checked: validated, canonicalised and signature-verified (src/tlog/entries). The check is
 * pure, synchronous and CPU-bound (about half of a log server's CPU per hashedrekord entry, most of it the ECDSA
 * verification), so a server with spare cores runs it on worker threads and keeps its own thread for HTTP, the
 * Sequencer and the answers. Either way a submission gets the same entry or the same coded error.
 */
export interface EntryChecker {
  /**
   * canonicalizeProposedEntry (form "v1") or canonicalizeV2Request ("v2") of `input`, with `maxBytes`.
   * @throws (rejects with) exactly what that function throws: VouchError LOG_ENTRY_TOO_LARGE / LOG_INVALID_ENTRY.
   */
  check(form: EntryForm, input: unknown, maxBytes: number): Promise<CanonicalEntry>;
}

/** "v1": a Rekor v1 proposed entry (/api/v1/log/entries); "v2": a Rekor v2 CreateEntryRequest (/api/v2/log/entries). */
export type EntryForm = "v1" | "v2";

/** The check on this thread: what a log without a pool does, what a pool's worker does, and the pool's fallback. */
export function checkEntry(form: EntryForm, input: unknown, maxBytes: number): CanonicalEntry {
  return form === "v1" ? canonicalizeProposedEntry(input, { maxBytes }) : canonicalizeV2Request(input, { maxBytes });
}

/** The default pool size: the cores this thread does not use, at most 4 (1 on a 2-core machine; none on 1 core). */
export function defaultCheckWorkers(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

/** One submission, as JSON text or bytes (see EntryCheckPool.check). Main thread → worker: an array of them. */
export interface EntryCheckRequest {
  id: number;
  form: EntryForm;
  input: string | Uint8Array;
  maxBytes: number;
}

/** The answer to one EntryCheckRequest. */
export type EntryCheckAnswer = { id: number; entry: CanonicalEntry } | { id: number; error: WireError };

/**
 * Worker → main thread: `ready` once its modules are loaded, then for each message of requests one message of their
 * answers, in order.
 */
export type EntryCheckReply = { ready: true } | EntryCheckAnswer[];

/**
 * An error as it crosses threads. A VouchError goes as its parts (structured clone keeps only an Error's name,
 * message and stack, not its class or code) and is rebuilt as the same VouchError; anything else (a bug: RangeError,
 * TypeError) is cloned as is.
 */
export type WireError = { code: VouchErrorCode; message: string; cause?: unknown; file?: string; line?: number } | { other: unknown };

export function toWireError(error: unknown): WireError {
  if (!isVouchError(error)) return { other: error };
  const { file, line } = error.location;
  return {
    code: error.code,
    message: error.message,
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    ...(file === undefined ? {} : { file }),
    ...(line === undefined ? {} : { line }),
  };
}

export function fromWireError(wire: WireError): unknown {
  if ("other" in wire) return wire.other;
  const { code, message, cause, file, line } = wire;
  return new VouchError(code, message, { ...(cause === undefined ? {} : { cause }), file, line });
}

/**
 * Submissions posted ahead to one worker. A check takes about a quarter of a millisecond, but the main thread reads a
 * worker's reply (and posts more) only once per turn of its event loop, which under load takes 5-20 ms: the pool
 * moves at most PIPELINE_DEPTH per worker per turn. At 16, with 256 submissions in flight, ~130 of them waited on
 * this thread (about 90 ms of each one's ~130) while the sequencer's batches stayed small. 64 lets the worker
 * drain them at its own pace. 128 with 16 per message cost 10-150 µs more server CPU per entry in the bench, and its
 * fetch rows were slower (issue 4, docs/benchmarks.md).
 */
const PIPELINE_DEPTH = 64;

/**
 * Most submissions in one message. Each message costs both threads a fixed amount (an event, a MessageEvent, a
 * structured clone) on top of its contents; under load one message carries several. Small next to the pipeline, so
 * that the worker has the next messages waiting while it answers this one, and a message does not wait long for room.
 */
const MESSAGE_BATCH = 8;

interface Job {
  form: EntryForm;
  input: string | Uint8Array;
  maxBytes: number;
  resolve: (entry: CanonicalEntry) => void;
  reject: (error: unknown) => void;
  /**
   * It was in a message of several that a worker died on (or whose answers could not be read): which of them caused
   * it is unknown, so it is posted alone from then on, where a failure is its own.
   */
  alone?: boolean;
}

interface Slot {
  worker: Worker;
  /** Jobs posted to this worker and not yet answered, oldest first (a worker answers in order). */
  jobs: Map<number, Job>;
  /** The ids of each message posted and not yet answered, oldest first (one answer message per request message). */
  messages: number[][];
  ready: boolean;
  lost: boolean;
}

export interface EntryCheckPoolOptions {
  /** Worker threads, at least 1 (LogService passes defaultCheckWorkers(), and checks inline when that is 0). */
  workers: number;
  /** Start a worker thread (default: the entry-check-worker module beside this one). */
  spawn?: () => Worker;
}

/**
 * Up to `workers` threads that check log submissions, started when the first submission arrives; idle workers do not
 * keep the process alive. Submissions wait in a FIFO on this thread and each worker holds at most PIPELINE_DEPTH.
 *
 * Failures never change what a submission is answered:
 * - a check that throws in a worker rejects with the same error the inline check would have thrown;
 * - input that cannot be handed over as JSON text (a value JSON.stringify refuses) is checked inline, which throws
 *   the same LOG_INVALID_ENTRY it always did;
 * - a worker that dies before it is ready (its modules cannot load) turns the pool off: its jobs, and every later
 *   one, are checked inline on this thread;
 * - a worker that dies later fails only the submission it was checking (a 500, as any crash in a request is), and
 *   the ones queued behind it go back to the front of the queue; one that kills workers cannot do so in a loop, as
 *   every death consumes one submission. When the message it died on held several, none fails yet: they go back
 *   marked to be posted one per message, so the next death is pinned to one. Dead workers are replaced when a
 *   submission needs one.
 * - after close(), submissions reject with LOG_UNAVAILABLE (503), as a log that is shutting down does.
 */
export class EntryCheckPool implements EntryChecker {
  readonly workers: number;
  readonly #spawn: () => Worker;
  readonly #queue: Job[] = [];
  readonly #slots = new Set<Slot>();
  #nextId = 0;
  #closed = false;
  /** Set when a worker could not start: from then on every check runs inline. */
  #disabled = false;

  constructor(options: EntryCheckPoolOptions) {
    if (!Number.isSafeInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a whole number ≥ 1, not ${options.workers}`);
    this.workers = options.workers;
    this.#spawn = options.spawn ?? spawnEntryCheckWorker;
  }

  /** Whether checks still go to worker threads (false once a worker failed to start). */
  get active(): boolean {
    return !this.#disabled && !this.#closed;
  }

  check(form: EntryForm, input: unknown, maxBytes: number): Promise<CanonicalEntry> {
    if (this.#closed) return Promise.reject(closedError());
    // The worker gets JSON text (cheaper to send than an object graph, and what readSubmission would serialise the
    // value to anyway) or the raw bytes. A value that JSON.stringify refuses or turns into nothing is checked here,
    // so its error is the inline one, word for word.
    let wire: string | Uint8Array | undefined;
    if (typeof input === "string" || input instanceof Uint8Array) wire = input;
    else {
      try {
        wire = JSON.stringify(input);
      } catch {
        wire = undefined;
      }
    }
    if (wire === undefined || this.#disabled) return inline(form, input, maxBytes);
    return new Promise((resolve, reject) => {
      this.#queue.push({ form, input: wire, maxBytes, resolve, reject });
      this.#pump();
    });
  }

  /** Stops the workers. Submissions queued or being checked reject with LOG_UNAVAILABLE. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(closedError());
    const slots = [...this.#slots];
    for (const slot of slots) this.#lose(slot, closedError());
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #pump(): void {
    while (!this.#closed && this.#queue.length > 0) {
      if (this.#disabled) {
        for (const job of this.#queue.splice(0)) settle(job, () => checkEntry(job.form, job.input, job.maxBytes));
        return;
      }
      let slot = this.#leastBusy();
      if ((slot === undefined || slot.jobs.size > 0) && this.#slots.size < this.workers) {
        try {
          slot = this.#start();
        } catch {
          this.#disabled = true;
          continue;
        }
      }
      if (slot === undefined) return;
      // With submissions piling up, wait until a whole message fits rather than post them one by one as answers
      // free room (which, under load, is what would happen every time).
      const room = PIPELINE_DEPTH - slot.jobs.size;
      if (room < (this.#queue[0]!.alone ? 1 : Math.min(this.#queue.length, MESSAGE_BATCH))) return;
      this.#dispatch(slot, this.#nextMessage(room));
    }
  }

  /** The jobs of the next message, from the front of the queue: up to `room` of them, or one to be posted alone. */
  #nextMessage(room: number): Job[] {
    if (this.#queue[0]!.alone) return this.#queue.splice(0, 1);
    const limit = Math.min(room, MESSAGE_BATCH, this.#queue.length);
    let count = 1;
    while (count < limit && !this.#queue[count]!.alone) count++;
    return this.#queue.splice(0, count);
  }

  #leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) if (best === undefined || slot.jobs.size < best.jobs.size) best = slot;
    return best;
  }

  #dispatch(slot: Slot, jobs: Job[]): void {
    const requests = jobs.map((job): EntryCheckRequest => ({ id: this.#nextId++, form: job.form, input: job.input, maxBytes: job.maxBytes }));
    try {
      slot.worker.postMessage(requests);
    } catch {
      // Text and bytes always clone; should posting fail anyway, the checks still happen, here.
      for (const job of jobs) settle(job, () => checkEntry(job.form, job.input, job.maxBytes));
      return;
    }
    jobs.forEach((job, i) => slot.jobs.set(requests[i]!.id, job));
    slot.messages.push(requests.map((r) => r.id));
    slot.worker.ref(); // a submission being checked keeps the process alive until it is answered
  }

  #start(): Slot {
    const worker = this.#spawn();
    const slot: Slot = { worker, jobs: new Map(), messages: [], ready: false, lost: false };
    worker.unref();
    worker.on("message", (reply: EntryCheckReply) => {
      if ("ready" in reply) slot.ready = true;
      else this.#answer(slot, reply);
    });
    worker.on("messageerror", (err) => {
      // Answers that could not be deserialized: those of the oldest message. The worker itself is fine. One submission
      // alone fails; several go back to be checked one per message, where the unreadable one fails by itself.
      const ids = slot.messages[0];
      if (ids === undefined || slot.lost) return;
      if (ids.length === 1) {
        this.#answer(slot, [{ id: ids[0]!, error: { other: new Error(`the entry check worker's reply could not be read: ${err.message}`) } }]);
        return;
      }
      slot.messages.shift();
      const jobs = ids.flatMap((id) => {
        const job = slot.jobs.get(id);
        slot.jobs.delete(id);
        return job === undefined ? [] : [{ ...job, alone: true }];
      });
      if (slot.jobs.size === 0) slot.worker.unref();
      this.#queue.unshift(...jobs);
      this.#pump();
    });
    worker.on("error", (err) => this.#lose(slot, new Error(`the entry check worker crashed: ${err.message}`, { cause: err })));
    worker.on("exit", (code) => this.#lose(slot, new Error(`the entry check worker exited unexpectedly (exit code ${code})`)));
    this.#slots.add(slot);
    return slot;
  }

  #answer(slot: Slot, answers: EntryCheckAnswer[]): void {
    if (slot.lost) return;
    slot.messages.shift();
    for (const answer of answers) {
      const job = slot.jobs.get(answer.id);
      if (job === undefined) continue;
      slot.jobs.delete(answer.id);
      if ("entry" in answer) job.resolve(answer.entry);
      else job.reject(fromWireError(answer.error));
    }
    if (slot.jobs.size === 0) slot.worker.unref();
    this.#pump();
  }

  /** Forget a dead (or closing) worker: see the class comment for what happens to its submissions. */
  #lose(slot: Slot, error: unknown): void {
    if (slot.lost) return;
    slot.lost = true;
    this.#slots.delete(slot);
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    if (this.#closed) {
      for (const job of jobs) job.reject(error);
      return;
    }
    void slot.worker.terminate();
    if (!slot.ready) {
      // It never loaded: nothing it was given was checked, and no worker will do better. Check inline from now on.
      this.#disabled = true;
      this.#queue.unshift(...jobs);
    } else if (slot.messages[0]?.length === 1) {
      // It died on a message of one: that submission's.
      jobs[0]?.reject(error);
      this.#queue.unshift(...jobs.slice(1));
    } else {
      // It died on a message of several: each is posted alone from now on (see the class comment).
      this.#queue.unshift(...jobs.map((job, i) => (i < slot.messages[0]!.length ? { ...job, alone: true } : job)));
    }
    this.#pump();
  }
}

function inline(form: EntryForm, input: unknown, maxBytes: number): Promise<CanonicalEntry> {
  try {
    return Promise.resolve(checkEntry(form, input, maxBytes));
  } catch (error) {
    return Promise.reject(error);
  }
}

function settle(job: Job, run: () => CanonicalEntry): void {
  try {
    job.resolve(run());
  } catch (error) {
    job.reject(error);
  }
}

function closedError(): VouchError {
  return new VouchError("LOG_UNAVAILABLE", "the log is shutting down");
}

/**
 * Start an entry check worker: entry-check-worker.js beside this module in the build, or entry-check-worker.ts under
 * tsx's loader when running from the sources (vitest, tsx), as src/api/verify-many.ts spawnVerifyWorker does and for
 * the same reasons (an absolute loader URL; execArgv a worker refuses left out).
 */
export function spawnEntryCheckWorker(): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSource ? "./entry-check-worker.ts" : "./entry-check-worker.js", import.meta.url);
  const inherited = process.execArgv.filter((arg) => !arg.startsWith("--input-type"));
  const execArgv = fromSource ? [...inherited, "--import", tsxLoaderUrl()] : inherited;
  try {
    return new Worker(entry, { execArgv } satisfies WorkerOptions);
  } catch (error) {
    // A process started with V8 flags (--max-old-space-size, --trace-gc) cannot pass them to a worker, which refuses
    // them by name; they are process-wide anyway. Without this, such a server silently checked every entry inline.
    const refused = refusedExecArgv(error);
    if (refused === undefined) throw error;
    return new Worker(entry, { execArgv: execArgv.filter((arg) => !refused.has(arg)) } satisfies WorkerOptions);
  }
}

/** The flags named by Node's ERR_WORKER_INVALID_EXEC_ARGV ("…invalid execArgv flags: --a, --b"), else undefined. */
function refusedExecArgv(error: unknown): Set<string> | undefined {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV") return undefined;
  const at = error.message.indexOf(": ");
  return at < 0 ? undefined : new Set(error.message.slice(at + 2).split(", "));
}

let tsxLoader: string | undefined;

function tsxLoaderUrl(): string {
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return tsxLoader;
}
