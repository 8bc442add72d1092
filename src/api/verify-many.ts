import type { KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { isMarkedAsUntransferable, Worker, type WorkerOptions } from "node:worker_threads";
import { parseBundle } from "../bundle/parse.js";
import { trustMaterial } from "../bundle/trust-material.js";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import type { TrustedRoot } from "../bundle/types.js";
import { importPublicKey } from "../core/crypto/keys.js";
import { isVouchError, VouchError, type VouchErrorCode } from "../core/errors.js";
import { resolvePredicateType } from "../core/intoto/statement.js";
import type { IdentityPolicy } from "../verify/certificate/index.js";
import { verifyBundle, type ArtifactInput, type VerificationPolicy, type VerificationResult } from "../verify/verifier.js";
import { readTextFile } from "./files.js";

/** How many tlog entries, SCTs and trusted signing times must verify (verifyBundle's defaults: 1 each). */
export interface VerifyThresholds {
  tlog?: number;
  ctlog?: number;
  timestamp?: number;
}

/** One bundle to verify against the verifier's trusted root. */
export interface VerifyRequest {
  /** The Sigstore bundle (v0.1-v0.3): its JSON text, or the JSON already parsed into a plain object. */
  bundle: string | object;
  /**
   * The artifact's bytes, or its digest. Bytes are moved to the worker thread, not copied, when the Uint8Array spans
   * its whole ArrayBuffer: that buffer is then detached (the caller's array reads as empty) once the request is
   * handed to a worker. Pass a copy to keep using the bytes.
   */
  artifact: ArtifactInput;
  /** Keyless verification: who must have signed. */
  identity?: IdentityPolicy;
  /** Keyed verification: the signer's public key as PEM (parsed once per worker and cached). */
  publicKeyPem?: string;
  /** DSSE: the in-toto predicate type the statement must carry: a name (slsaprovenance, spdx, ...) or a URI. */
  predicateType?: string;
  thresholds?: VerifyThresholds;
  /** How to name the bundle in error messages (a file name, usually). */
  bundleName?: string;
}

/** VouchError codes, plus INTERNAL: a bug or a crashed worker thread, not a verdict on the bundle. */
export type OutcomeCode = VouchErrorCode | "INTERNAL";

/**
 * A verification's outcome. A bundle that does not verify is `ok: false` with the VouchError code of the step that
 * refused (VERIFY_*), or INPUT_* for an unusable request; the promise itself never rejects.
 */
export type VerificationOutcome = { ok: true; result: VerificationResult } | { ok: false; code: OutcomeCode; message: string };

/** An outcome of verifyMany, tagged with its request's 0-based position in the input. */
export type IndexedOutcome = VerificationOutcome & { index: number };

export interface VerifierOptions {
  /** A parsed trusted root or the path of a trusted_root.json; default: the Sigstore public-good root. */
  trustedRoot?: TrustedRoot | string;
  /** Worker threads (default: os.availableParallelism(), at least 1). 0 verifies in-process, on this thread. */
  workers?: number;
}

export interface VerifyManyOptions {
  /** The most requests taken from the input and not yet yielded at any time (default: twice the worker count, 1 in-process). */
  concurrency?: number;
}

export interface Verifier {
  /** Worker threads this verifier uses (0: in-process). */
  readonly workers: number;
  verify(request: VerifyRequest): Promise<VerificationOutcome>;
  /**
   * Verify a stream of requests; outcomes come in input order, each tagged with its request's index. The input is
   * pulled lazily: no more than `concurrency` requests are in flight or waiting to be yielded.
   */
  verifyMany(requests: Iterable<VerifyRequest> | AsyncIterable<VerifyRequest>, options?: VerifyManyOptions): AsyncIterable<IndexedOutcome>;
  /** Stop the worker threads. Requests not yet answered resolve `ok: false`; later ones too. Idempotent. */
  close(): Promise<void>;
}

/**
 * A verifier for many bundles against one trusted root. Each worker thread parses the trusted root and its trust
 * material (log keys, CA chains) once, when it starts, and keeps them; public keys given as PEM are cached per worker.
 * Verification is CPU-bound (ECDSA, hashing), so worker threads let N bundles verify on N cores.
 *
 * Idle workers do not keep the process alive, but call close() when done to stop them.
 *
 * @example
 *   const verifier = createVerifier({ workers: 4 });
 *   try {
 *     const requests = files.map((f) => ({ bundle: readFileSync(f, "utf8"), bundleName: f, artifact: { kind: "digest", algorithm: "sha256", hex }, identity }));
 *     for await (const outcome of verifier.verifyMany(requests)) {
 *       console.log(files[outcome.index], outcome.ok ? "verified" : `${outcome.code}: ${outcome.message}`);
 *     }
 *   } finally {
 *     await verifier.close();
 *   }
 */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  return createVerifierWith(options, {});
}

/** Test seams of createVerifier (not part of the public API). */
export interface VerifierSeams {
  /** Start a worker thread (default: the verify-worker entry beside this module). */
  spawnWorker?: (workerData: VerifyWorkerData) => Worker;
}

export function createVerifierWith(options: VerifierOptions, seams: VerifierSeams): Verifier {
  const workers = options.workers ?? Math.max(1, availableParallelism());
  if (!Number.isSafeInteger(workers) || workers < 0) throw new VouchError("INPUT_USAGE", `workers must be a whole number ≥ 0, not ${workers}`);
  // The root is read and parsed here, at the edge, so that a missing or malformed root fails createVerifier
  // instead of every request. The public-good root is left for each worker to load from its own module copy.
  const root = typeof options.trustedRoot === "string" ? parseTrustedRoot(readTextFile(options.trustedRoot), options.trustedRoot) : options.trustedRoot;
  const executor: Executor =
    workers === 0
      ? new InProcessExecutor(createVerifyContext(root ?? publicGoodTrustedRoot()))
      : new WorkerPool(workers, () => (seams.spawnWorker ?? spawnVerifyWorker)({ trustedRoot: root }));
  const defaultConcurrency = workers === 0 ? 1 : 2 * workers;

  return {
    workers,
    verify: (request) => executor.run(request),
    verifyMany: (requests, manyOptions = {}) => inOrder(requests, manyOptions.concurrency ?? defaultConcurrency, (r) => executor.run(r)),
    close: () => executor.close(),
  };
}

/**
 * Bounded, order-preserving fan-out: a window of at most `limit` running requests; the head is yielded before the
 * next request is pulled from the input once the window is full (a slow head holds the window: memory stays bounded).
 */
async function* inOrder(
  requests: Iterable<VerifyRequest> | AsyncIterable<VerifyRequest>,
  limit: number,
  run: (request: VerifyRequest) => Promise<VerificationOutcome>,
): AsyncGenerator<IndexedOutcome> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new VouchError("INPUT_USAGE", `concurrency must be a whole number ≥ 1, not ${limit}`);
  const window: Promise<IndexedOutcome>[] = [];
  let index = 0;
  for await (const request of requests) {
    const i = index++;
    window.push(run(request).then((outcome) => ({ ...outcome, index: i })));
    if (window.length >= limit) yield await window.shift()!;
  }
  while (window.length > 0) yield await window.shift()!;
}

// --- verifying one request (the worker's and the in-process path's shared core) --------------------------------------

/** What a verifying thread keeps between requests. */
export interface VerifyContext {
  trustedRoot: TrustedRoot;
  /** Public keys by PEM text, so that a keyed batch imports its key once. */
  keys: Map<string, KeyObject>;
}

const KEY_CACHE_LIMIT = 64;

export function createVerifyContext(trustedRoot: TrustedRoot): VerifyContext {
  trustMaterial(trustedRoot); // load log keys and parse CA/TSA chains now, once, rather than on the first request
  return { trustedRoot, keys: new Map() };
}

/** Verify one request; every failure, expected or not, becomes an outcome (nothing throws). */
export function executeRequest(context: VerifyContext, request: VerifyRequest): VerificationOutcome {
  const name = typeof request?.bundleName === "string" ? request.bundleName : undefined;
  try {
    return { ok: true, result: verifyBundle(parseBundle(requestBundle(request), name), policyFor(context, request)) };
  } catch (err) {
    return failure(err, name);
  }
}

function requestBundle(request: VerifyRequest): unknown {
  if (typeof request !== "object" || request === null) usage("a request must be an object");
  const { bundle } = request;
  if (typeof bundle !== "string" && (typeof bundle !== "object" || bundle === null)) usage("request.bundle must be the bundle's JSON text or a parsed JSON object");
  return bundle;
}

function policyFor(context: VerifyContext, request: VerifyRequest): VerificationPolicy {
  const thresholds = request.thresholds ?? {};
  let predicateType: string | undefined;
  if (request.predicateType !== undefined) {
    predicateType = resolvePredicateType(request.predicateType) ?? usage(`predicateType ${request.predicateType}: not a known predicate type name or a URI`);
  }
  return {
    artifact: checkArtifact(request.artifact),
    trustedRoot: context.trustedRoot,
    ...(request.publicKeyPem !== undefined ? { publicKey: cachedKey(context, request.publicKeyPem) } : {}),
    ...(request.identity ? { identity: request.identity } : {}),
    ...(predicateType ? { predicateType } : {}),
    ...(thresholds.tlog !== undefined ? { tlogThreshold: thresholds.tlog } : {}),
    ...(thresholds.ctlog !== undefined ? { ctlogThreshold: thresholds.ctlog } : {}),
    ...(thresholds.timestamp !== undefined ? { timestampThreshold: thresholds.timestamp } : {}),
  };
}

/** Library callers may be plain JavaScript: the artifact's shape is checked rather than trusted. */
function checkArtifact(artifact: unknown): ArtifactInput {
  const a = artifact as Partial<Record<string, unknown>> | null | undefined;
  if (a?.kind === "bytes" && a.data instanceof Uint8Array) return artifact as ArtifactInput;
  if (a?.kind === "digest" && (a.algorithm === "sha256" || a.algorithm === "sha384" || a.algorithm === "sha512") && typeof a.hex === "string") return artifact as ArtifactInput;
  return usage('request.artifact must be { kind: "bytes", data: Uint8Array } or { kind: "digest", algorithm: "sha256" | "sha384" | "sha512", hex }');
}

function cachedKey(context: VerifyContext, pem: string): KeyObject {
  let key = context.keys.get(pem);
  if (key === undefined) {
    key = importPublicKey(pem);
    if (context.keys.size >= KEY_CACHE_LIMIT) context.keys.delete(context.keys.keys().next().value!);
    context.keys.set(pem, key);
  }
  return key;
}

/** The error as an outcome; a verification step's message (no file of its own) is prefixed with the bundle's name. */
function failure(err: unknown, bundleName: string | undefined): VerificationOutcome {
  if (isVouchError(err)) {
    const message = err.location.file === undefined && bundleName !== undefined ? `${bundleName}: ${err.message}` : err.describe();
    return { ok: false, code: err.code, message };
  }
  return { ok: false, code: "INTERNAL", message: `unexpected error while verifying: ${err instanceof Error ? err.message : String(err)}` };
}

function usage(message: string): never {
  throw new VouchError("INPUT_USAGE", message);
}

const CLOSED: VerificationOutcome = { ok: false, code: "INPUT_USAGE", message: "the verifier was closed before this request was verified" };

// --- executors ------------------------------------------------------------------------------------------------------

interface Executor {
  run(request: VerifyRequest): Promise<VerificationOutcome>;
  close(): Promise<void>;
}

/** workers: 0 — the same API on this thread; each verification runs in its own macrotask so I/O can interleave. */
class InProcessExecutor implements Executor {
  private closed = false;

  constructor(private readonly context: VerifyContext) {}

  run(request: VerifyRequest): Promise<VerificationOutcome> {
    return new Promise((resolve) => {
      setImmediate(() => resolve(this.closed ? CLOSED : executeRequest(this.context, request)));
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** The worker's start-up data: the trusted root to keep (undefined: the public-good root). */
export interface VerifyWorkerData {
  trustedRoot: TrustedRoot | undefined;
}

/** Main thread → worker. */
export interface VerifyWorkerRequest {
  id: number;
  request: VerifyRequest;
}

/** Worker → main thread. */
export interface VerifyWorkerReply {
  id: number;
  outcome: VerificationOutcome;
}

interface Job {
  request: VerifyRequest;
  resolve: (outcome: VerificationOutcome) => void;
}

interface Slot {
  worker: Worker;
  /** Requests posted to this worker and not yet answered, oldest first (the worker answers them in order). */
  jobs: Map<number, Job>;
  lost: boolean;
}

/**
 * Requests posted ahead to one worker: while it verifies one, the next is already in its port, so it does not idle
 * for the round trip through this thread (measured: one worker with no pipelining ran ~30% below in-process).
 */
const PIPELINE_DEPTH = 2;

/**
 * Up to `size` worker threads, started on demand; each holds at most PIPELINE_DEPTH requests, and the rest wait in a
 * FIFO on this thread (verifyMany bounds how many it submits). A worker that dies (uncaught error, exit,
 * termination) fails only the request it was running, its oldest, with INTERNAL; the requests queued behind it had
 * not started and go back to the front of the queue. A failed request is never retried, so one that kills workers
 * cannot kill them in a loop: every death consumes one request. Dead workers are replaced when a request needs one.
 */
class WorkerPool implements Executor {
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly spawn: () => Worker,
  ) {}

  run(request: VerifyRequest): Promise<VerificationOutcome> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(CLOSED);
      this.queue.push({ request, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(CLOSED);
    const slots = [...this.slots];
    for (const slot of slots) this.lose(slot, CLOSED);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.leastBusy();
      if ((slot === undefined || slot.jobs.size > 0) && this.slots.size < this.size) {
        try {
          slot = this.start();
        } catch (err) {
          this.queue.shift()!.resolve({ ok: false, code: "INTERNAL", message: `cannot start a verification worker: ${err instanceof Error ? err.message : String(err)}` });
          continue;
        }
      }
      if (slot === undefined || slot.jobs.size >= PIPELINE_DEPTH) return;
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) if (best === undefined || slot.jobs.size < best.jobs.size) best = slot;
    return best;
  }

  private dispatch(slot: Slot, job: Job): void {
    const id = this.nextId++;
    try {
      const { request, transfer } = forTransfer(job.request);
      slot.worker.postMessage({ id, request } satisfies VerifyWorkerRequest, transfer);
    } catch (err) {
      // DataCloneError: the request holds something that cannot cross threads (a function, a class instance).
      job.resolve({ ok: false, code: "INPUT_USAGE", message: `the request cannot be sent to a worker thread: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    slot.jobs.set(id, job);
    slot.worker.ref(); // a request being verified keeps the process alive until it is answered
  }

  private start(): Slot {
    const worker = this.spawn();
    const slot: Slot = { worker, jobs: new Map(), lost: false };
    worker.unref();
    worker.on("message", (reply: VerifyWorkerReply) => this.answer(slot, reply.id, reply.outcome));
    worker.on("messageerror", (err) => {
      // A reply that could not be deserialized: its request (the oldest) fails; the worker itself is fine.
      const [oldest] = slot.jobs.keys();
      if (oldest !== undefined) this.answer(slot, oldest, { ok: false, code: "INTERNAL", message: `the worker's reply could not be read: ${err.message}` });
    });
    worker.on("error", (err) => this.lose(slot, { ok: false, code: "INTERNAL", message: `the verification worker crashed: ${err.message}` }));
    worker.on("exit", (code) => this.lose(slot, { ok: false, code: "INTERNAL", message: `the verification worker exited unexpectedly (exit code ${code})` }));
    this.slots.add(slot);
    return slot;
  }

  private answer(slot: Slot, id: number, outcome: VerificationOutcome): void {
    const job = slot.jobs.get(id);
    if (slot.lost || job === undefined) return;
    slot.jobs.delete(id);
    if (slot.jobs.size === 0) slot.worker.unref();
    job.resolve(outcome);
    this.pump();
  }

  /** Forget a dead (or closing) worker: its running request gets `outcome`, the ones behind it are queued again. */
  private lose(slot: Slot, outcome: VerificationOutcome): void {
    if (slot.lost) return;
    slot.lost = true;
    this.slots.delete(slot);
    const [running, ...waiting] = slot.jobs.values();
    slot.jobs.clear();
    running?.resolve(outcome);
    if (this.closed) {
      for (const job of waiting) job.resolve(CLOSED);
      return;
    }
    this.queue.unshift(...waiting);
    void slot.worker.terminate();
    this.pump();
  }
}

/**
 * The message for a request and the buffers to move with it. Artifact bytes are transferred (zero-copy) when the
 * view owns its whole ArrayBuffer; a view into a larger or shared buffer (Buffer's pool, a slice, a
 * SharedArrayBuffer) is copied first, as transferring that buffer would detach other data or is impossible.
 */
function forTransfer(request: VerifyRequest): { request: VerifyRequest; transfer: ArrayBuffer[] } {
  const artifact = request?.artifact as ArtifactInput | undefined;
  if (artifact?.kind !== "bytes" || !(artifact.data instanceof Uint8Array)) return { request, transfer: [] };
  const { data } = artifact;
  const owned = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !isMarkedAsUntransferable(data.buffer);
  const view = owned ? data : new Uint8Array(data);
  return { request: { ...request, artifact: { kind: "bytes", data: view } }, transfer: [view.buffer as ArrayBuffer] };
}

/**
 * Start a verify worker. From the compiled dist, the entry is verify-worker.js beside this file. From the TypeScript
 * sources (vitest, tsx), it is verify-worker.ts, which plain Node cannot load (its imports name .js files that exist
 * only as .ts): the worker is started with tsx's loader, `--import <absolute file URL of tsx>` (absolute, as in
 * test/support/cli.ts: a bare `--import tsx` would resolve from the working directory). tsx is a development
 * dependency; it is only looked up on that path.
 */
export function spawnVerifyWorker(workerData: VerifyWorkerData): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSource ? "./verify-worker.ts" : "./verify-worker.js", import.meta.url);
  // A worker inherits the process's execArgv, and some of those flags are refused in a worker: a host started as
  // `node --input-type=module -e …` would crash every verification worker ("--input-type can only be used with
  // string input"). Pass on everything else (e.g. --enable-source-maps, memory limits).
  const inherited = process.execArgv.filter((arg) => !arg.startsWith("--input-type"));
  const options: WorkerOptions = { workerData, execArgv: fromSource ? [...inherited, "--import", tsxLoaderUrl()] : inherited };
  return new Worker(entry, options);
}

let tsxLoader: string | undefined;

function tsxLoaderUrl(): string {
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return tsxLoader;
}
