import { VouchError, isVouchError } from "../core/errors.js";
import {
  cosignatureVerifierFromKey,
  formatSignedNote,
  parseSignedNote,
  parseVerifierKey,
  verifyCosignature,
  type CosignatureVerifier,
  type NoteSignature,
  type SignedNote,
} from "../core/note/index.js";
import type { LogHead, LogStore } from "../store/ports.js";
import { FullTileCache, LogReader } from "./tiles/reader.js";
import { formatAddCheckpointRequest, parseAddCheckpointResponse } from "./witness/request.js";

/**
 * The log's side of c2sp.org/tlog-witness: after the log commits a head, each configured witness is sent the new
 * checkpoint with a consistency proof from the size it last cosigned, and the cosignatures it returns are verified
 * with its key and kept beside the head. The log then serves "witnessed checkpoints": its signed note followed by the
 * cosignature lines (c2sp.org/tlog-cosignature), which a verifier with `--witness-threshold N` requires.
 *
 * Order (as in transparency-dev/tessera): a head goes to witnesses only once it is durably committed. A witness that
 * cosigned a checkpoint the log then failed to publish would see the log's next checkpoint as a fork.
 *
 * Witnesses are outside the log's trust boundary: a down, slow or lying witness never stops the log. Every failure is
 * logged and the witness gets the next head; a cosignature that does not verify with the witness's configured key is
 * dropped. State is in memory: after a restart the first request says old size 0, the witness answers 409 with the
 * size it last cosigned, and the client retries from there (as the spec intends).
 */

/** A witness the log asks for cosignatures. */
export interface WitnessEndpoint {
  /**
   * The witness's submission prefix (c2sp.org/tlog-witness): requests go to `<url>/add-checkpoint`. A URL that
   * already ends in `/add-checkpoint` is used as given.
   */
  url: string;
  /** The witness's cosignature verifier key: `<name>+<key ID>+<base64(0x04 || Ed25519 key)>` (a 0x01 vkey is read as the same key). */
  vkey: string;
}

export interface WitnessingPolicy {
  witnesses: readonly WitnessEndpoint[];
  /** How many distinct witnesses a checkpoint should be cosigned by (default: all of them). */
  threshold?: number;
  /**
   * When > 0, a submission's answer waits up to this many milliseconds for a head that includes the entry and carries
   * `threshold` cosignatures, so that the checkpoint in its inclusion proof is cosigned. After that it is answered
   * with the newest head as it is (and a warning is logged). Default 0: answer at once.
   */
  waitMs?: number;
}

/** The slice of fetch this client uses (inject one for tests, proxies, or mTLS). */
export type WitnessFetch = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** Pino-shaped (fastify's `app.log` fits): fields first, then the message. */
export interface WitnessingLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface WitnessingOptions extends WitnessingPolicy {
  /** The log's storage: consistency proofs are computed from its tiles (checked against the head, as every read is). */
  store: LogStore;
  /** Default: the global fetch. */
  fetch?: WitnessFetch;
  /** Longest wait for one witness's answer, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Where failures are reported (default: JSON lines on stderr). */
  logger?: WitnessingLogger;
  /** Checked full tiles, shared with the log's own reader when given. */
  tiles?: FullTileCache;
  /** How many recent heads keep their cosignatures (a replica or a slow reader may still serve an older head). */
  keepHeads?: number;
}

/** A head with the cosignatures collected for it. */
export interface WitnessedCheckpoint {
  head: LogHead;
  /** The log's signed note followed by one cosignature line per witness that cosigned it. */
  checkpoint: string;
  /** Names of the witnesses whose cosignature verified, in configuration order. */
  witnesses: string[];
}

/** c2sp.org/tlog-witness: the 409 body type that carries the witness's latest cosigned size. */
const SIZE_MEDIA_TYPE = "text/x.tlog.size";
const SIZE_BODY = /^(0|[1-9][0-9]*)\n?$/;
/**
 * A response is a few signature lines: a longer one is cut here, and then fails to parse. (The body is still read
 * whole; witnesses are chosen by the operator, and the request timeout bounds how long one can keep sending.)
 */
const MAX_RESPONSE_CHARS = 64 * 1024;

interface Peer {
  readonly index: number;
  readonly endpoint: string;
  readonly key: CosignatureVerifier;
  /** The size of the latest checkpoint this witness cosigned, as far as the log knows (0: none, or not yet told). */
  size: number;
  /** The newest head this witness was sent (or skipped); the pump stops when it is the newest head. */
  attempted: HeadRecord | undefined;
  busy: boolean;
}

interface HeadRecord {
  readonly head: LogHead;
  readonly note: SignedNote;
  /** By peer index: the verified cosignature line, if that witness cosigned this exact checkpoint. */
  readonly cosignatures: (NoteSignature | undefined)[];
  count: number;
  /** The formatted witnessed note, cached until a new cosignature arrives. */
  formatted: string | undefined;
  reader: LogReader | undefined;
}

interface Waiter {
  index: number;
  resolve: (head: LogHead | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * @example
 *   const witnessing = new CheckpointWitnessing({
 *     store, witnesses: [{ url: "https://witness.example.com", vkey: "witness.example.com+1234abcd+BA..." }], threshold: 1,
 *   });
 *   const log = new TransparencyLog({ store, signer, sequencer, witnessing });
 */
export class CheckpointWitnessing {
  readonly threshold: number;
  readonly waitMs: number;
  readonly #store: LogStore;
  readonly #fetch: WitnessFetch;
  readonly #timeoutMs: number;
  readonly #logger: WitnessingLogger;
  readonly #tiles: FullTileCache;
  readonly #keepHeads: number;
  readonly #peers: Peer[];
  /** Recent heads by checkpoint text, oldest first (insertion order). */
  readonly #heads = new Map<string, HeadRecord>();
  #newest: HeadRecord | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #closed = false;

  /** @throws VouchError INPUT_USAGE for an unusable policy (a bad URL or vkey, the same witness twice, a threshold out of range). */
  constructor(options: WitnessingOptions) {
    this.#store = options.store;
    this.#fetch = options.fetch ?? defaultFetch;
    this.#timeoutMs = positive(options.timeoutMs ?? 10_000, "witness timeout");
    this.#logger = options.logger ?? stderrLogger;
    // Consistency proofs touch a few tiles per level: a small cache of its own when the log's is not shared.
    this.#tiles = options.tiles ?? new FullTileCache(64);
    this.#keepHeads = Math.max(1, Math.floor(options.keepHeads ?? 16));
    this.#peers = options.witnesses.map((witness, index) => ({
      index,
      endpoint: endpointOf(witness.url),
      key: witnessKey(witness.vkey),
      size: 0,
      attempted: undefined,
      busy: false,
    }));
    const distinct = new Set(this.#peers.map((p) => Buffer.from(p.key.publicKey).toString("hex")));
    // A v1 cosignature does not sign the witness's name: one key listed twice would be counted twice toward the threshold.
    if (distinct.size !== this.#peers.length) throw new VouchError("INPUT_USAGE", "witnessing: the same witness key is configured twice");
    this.threshold = options.threshold ?? this.#peers.length;
    if (!Number.isSafeInteger(this.threshold) || this.threshold < 0 || this.threshold > this.#peers.length) {
      throw new VouchError("INPUT_USAGE", `witness threshold ${options.threshold} is not between 0 and the number of witnesses (${this.#peers.length})`);
    }
    const waitMs = options.waitMs ?? 0;
    if (!Number.isFinite(waitMs) || waitMs < 0) throw new VouchError("INPUT_USAGE", `witness wait ${waitMs} ms is not a duration`);
    this.waitMs = waitMs;
  }

  /**
   * Tells the client that `head` is durably committed (never call it before: see the module comment). Each witness
   * is sent the newest head once it is done with the previous one; intermediate heads are skipped, as a witness only
   * needs the latest. Returns at once; failures are logged.
   */
  observe(head: LogHead): void {
    if (this.#closed || this.#heads.has(head.checkpoint)) return;
    if (this.#newest !== undefined && head.size < this.#newest.head.size) return;
    let note: SignedNote;
    try {
      note = parseSignedNote(head.checkpoint);
    } catch (error) {
      this.#logger.error({ size: head.size, err: describe(error) }, "witnessing: the log's own checkpoint does not parse; not sent to witnesses");
      return;
    }
    const record: HeadRecord = { head, note, cosignatures: this.#peers.map(() => undefined), count: 0, formatted: undefined, reader: undefined };
    this.#heads.set(head.checkpoint, record);
    for (const key of this.#heads.keys()) {
      if (this.#heads.size <= this.#keepHeads) break;
      this.#heads.delete(key);
    }
    this.#newest = record;
    for (const peer of this.#peers) this.#pump(peer);
  }

  /**
   * For a submission: observes the committed head, then (with `waitMs` > 0) waits for a head that includes
   * `logIndex` and has `threshold` cosignatures. Resolves with that head, or undefined (no waiting configured, the
   * wait timed out, or the client closed): then the caller answers with its newest head.
   */
  afterCommit(head: LogHead, logIndex: number): Promise<LogHead | undefined> {
    this.observe(head);
    return this.waitForWitnessed(logIndex);
  }

  /** See afterCommit. */
  waitForWitnessed(logIndex: number): Promise<LogHead | undefined> {
    if (this.waitMs <= 0 || this.threshold === 0) return Promise.resolve(undefined);
    const ready = this.#witnessedHeadIncluding(logIndex);
    if (ready !== undefined || this.#closed) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        index: logIndex,
        resolve: (head) => {
          clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          resolve(head);
        },
        timer: setTimeout(() => {
          this.#logger.warn(
            { logIndex, threshold: this.threshold, waitMs: this.waitMs, cosignatures: this.#newest?.count ?? 0 },
            "witnessing: no head including the entry reached the witness threshold in time; answering with the log's checkpoint as it is",
          );
          waiter.resolve(undefined);
        }, this.waitMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * The checkpoint of `head` with the cosignatures collected for it: the log's note, then one line per witness that
   * cosigned exactly this checkpoint. Undefined when no witness has (serve the log's own note then).
   */
  witnessed(head: LogHead): string | undefined {
    const record = this.#heads.get(head.checkpoint);
    if (record === undefined || record.count === 0) return undefined;
    record.formatted ??= formatSignedNote({
      text: record.note.text,
      signatures: [...record.note.signatures, ...record.cosignatures.filter((s): s is NoteSignature => s !== undefined)],
    });
    return record.formatted;
  }

  /** The newest head with at least one cosignature, or undefined. */
  latest(): WitnessedCheckpoint | undefined {
    for (const record of [...this.#heads.values()].reverse()) {
      const checkpoint = this.witnessed(record.head);
      if (checkpoint === undefined) continue;
      const witnesses = this.#peers.filter((p) => record.cosignatures[p.index] !== undefined).map((p) => p.key.name);
      return { head: record.head, checkpoint, witnesses };
    }
    return undefined;
  }

  /** Resolves when no witness request is in flight (tests, and a clean shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Aborts requests in flight, answers every waiting submission, and observes nothing more. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    for (const waiter of [...this.#waiters]) waiter.resolve(undefined);
    await this.settled();
  }

  #witnessedHeadIncluding(logIndex: number): LogHead | undefined {
    let best: HeadRecord | undefined;
    for (const record of this.#heads.values()) {
      if (record.head.size > logIndex && record.count >= this.threshold && (best === undefined || record.head.size >= best.head.size)) best = record;
    }
    return best?.head;
  }

  /** One request at a time per witness: when it finishes, the witness gets whatever head is newest by then. */
  #pump(peer: Peer): void {
    if (peer.busy) return;
    peer.busy = true;
    const run = (async () => {
      try {
        while (!this.#closed && this.#newest !== undefined && peer.attempted !== this.#newest) {
          const record = this.#newest;
          peer.attempted = record;
          await this.#witness(peer, record);
        }
      } finally {
        peer.busy = false;
      }
    })();
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  async #witness(peer: Peer, record: HeadRecord): Promise<void> {
    const { size } = record.head;
    const where = { witness: peer.key.name, url: peer.endpoint, size };
    try {
      // c2sp.org/tlog-witness: old size is the witness's latest cosigned size; on 409 the witness says which size that
      // is, and the client retries once from there.
      let oldSize = peer.size;
      for (let attempt = 1; ; attempt++) {
        if (oldSize > size) {
          // The witness cosigned a larger tree (another process of this log sequenced it): a later head will reach it.
          return;
        }
        const proof = await this.#proof(record, oldSize);
        if (proof === undefined) return;
        const response = await this.#post(peer, formatAddCheckpointRequest({ oldSize, proof, checkpoint: record.head.checkpoint }));
        if (response.status === 200) {
          peer.size = size;
          this.#accept(peer, record, response.body, where);
          return;
        }
        if (response.status === 409 && mediaType(response.contentType) === SIZE_MEDIA_TYPE) {
          const known = SIZE_BODY.exec(response.body);
          const witnessSize = known === null ? NaN : Number(known[1]);
          if (!Number.isSafeInteger(witnessSize)) {
            this.#logger.warn({ ...where, body: clip(response.body) }, "witnessing: the witness's 409 does not carry a tree size");
            return;
          }
          peer.size = witnessSize;
          if (attempt === 1) {
            oldSize = witnessSize;
            continue;
          }
          this.#logger.warn({ ...where, oldSize, witnessSize }, "witnessing: the witness's size changed again while retrying; trying with the next head");
          return;
        }
        // 409 (same size, another root) and 422 (the proof does not lead from its root to ours): the witness has seen
        // another history of this log. That is a split view, or a witness that follows another log with this origin.
        const split = response.status === 409 || response.status === 422;
        const fields = { ...where, oldSize, status: response.status, body: clip(response.body) };
        if (split) this.#logger.error(fields, "witnessing: the witness refuses the checkpoint as inconsistent with what it cosigned before");
        else this.#logger.warn(fields, "witnessing: the witness refused the checkpoint; trying with the next head");
        return;
      }
    } catch (error) {
      if (this.#closed) return;
      this.#logger.warn({ ...where, err: describe(error) }, "witnessing: no answer from the witness; trying with the next head");
    }
  }

  /** Keeps the witness's cosignature of this checkpoint if, and only if, it verifies with the witness's key. */
  #accept(peer: Peer, record: HeadRecord, body: string, where: Record<string, unknown>): void {
    let lines: NoteSignature[];
    try {
      lines = parseAddCheckpointResponse(body);
    } catch (error) {
      this.#logger.warn({ ...where, err: describe(error), body: clip(body) }, "witnessing: the witness's answer is not signature lines");
      return;
    }
    // signed-note semantics: the first line with the key's name and key ID decides; lines by other keys are not the
    // witness's to give (a witness cannot add cosignatures on another witness's behalf).
    const line = lines.find((l) => l.name === peer.key.name && bytesEqual(l.keyId, peer.key.keyId));
    if (line === undefined) {
      this.#logger.error({ ...where, lines: lines.map((l) => l.name) }, "witnessing: the witness answered without a cosignature by its configured key; not counted");
      return;
    }
    const check = verifyCosignature(record.note.text, line, peer.key);
    if (!check.ok) {
      this.#logger.error({ ...where, reason: check.reason }, "witnessing: the witness's cosignature does not verify; not counted");
      return;
    }
    if (record.cosignatures[peer.index] !== undefined) return;
    record.cosignatures[peer.index] = { name: line.name, keyId: Uint8Array.from(line.keyId), signature: Uint8Array.from(line.signature) };
    record.count++;
    record.formatted = undefined;
    if (record.count >= this.threshold) {
      for (const waiter of [...this.#waiters]) if (waiter.index < record.head.size) waiter.resolve(record.head);
    }
  }

  /** The consistency proof from oldSize to the head (none from 0, or between equal sizes); undefined when unreadable. */
  async #proof(record: HeadRecord, oldSize: number): Promise<Uint8Array[] | undefined> {
    const { size } = record.head;
    if (oldSize === 0 || oldSize === size) return [];
    try {
      record.reader ??= new LogReader(this.#store, record.head, this.#tiles);
      return await record.reader.consistencyProof(oldSize, size);
    } catch (error) {
      // Storage trouble (STORE_CORRUPT: a tile that does not hash to the signed head) is the log's problem, not the
      // witness's: say so loudly; the next head tries again.
      this.#logger.error({ size, oldSize, err: describe(error) }, "witnessing: cannot read the consistency proof from the log's storage");
      return undefined;
    }
  }

  async #post(peer: Peer, body: string): Promise<{ status: number; contentType: string; body: string }> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeoutMs)]);
    const response = await this.#fetch(peer.endpoint, { method: "POST", headers: { "content-type": "text/plain; charset=utf-8" }, body, signal });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: text.length > MAX_RESPONSE_CHARS ? text.slice(0, MAX_RESPONSE_CHARS) : text };
  }
}

function endpointOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `witness URL ${JSON.stringify(clip(url))} is not a URL`, { cause: error });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new VouchError("INPUT_USAGE", `witness URL ${JSON.stringify(clip(url))} is not http(s)`);
  if (parsed.search !== "" || parsed.hash !== "") throw new VouchError("INPUT_USAGE", `witness URL ${JSON.stringify(clip(url))} has a query or fragment; give the submission prefix`);
  const path = parsed.pathname.replace(/\/+$/, "");
  parsed.pathname = path.endsWith("/add-checkpoint") ? path : `${path}/add-checkpoint`;
  return parsed.toString();
}

function witnessKey(vkey: string): CosignatureVerifier {
  try {
    return cosignatureVerifierFromKey(parseVerifierKey(vkey));
  } catch (error) {
    if (isVouchError(error)) throw new VouchError("INPUT_USAGE", `witness key: ${error.message}`, { cause: error });
    throw error;
  }
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new VouchError("INPUT_USAGE", `${what} ${value} ms is not a positive duration`);
  return value;
}

/** The media type without parameters, lower case ("Text/X.Tlog.Size; x=y" is text/x.tlog.size). */
function mediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}${cause}`;
  }
  return String(error);
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

const defaultFetch: WitnessFetch = (url, init) => fetch(url, init);

const stderrLogger: WitnessingLogger = {
  warn: (fields, message) => process.stderr.write(`${JSON.stringify({ level: "warn", time: Date.now(), msg: message, ...fields })}\n`),
  error: (fields, message) => process.stderr.write(`${JSON.stringify({ level: "error", time: Date.now(), msg: message, ...fields })}\n`),
};
