import { createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { bytesEqual, emptyRoot, leafHash, verifyConsistency, verifyInclusion } from "../../src/core/merkle/index.js";
import { parseCheckpoint, parseSignedNote, verifyNoteSignature } from "../../src/core/note/index.js";
import type { RunningVouch } from "./cli.js";
import { hashedRekordProposal } from "./rekor-proposals.js";
import { treeRoot } from "./rfc6962.js";

/**
 * Write load and audits against a running transparency log over HTTP (loopback), for the durability tests: what the
 * log promised (201 answers, checkpoints) is recorded as a client sees it, then checked against what the log serves
 * after a crash. The checks recompute everything from the served bytes (RFC 6962 by its recursive definition in
 * rfc6962.ts, tlog-tiles entry bundles decoded here) and trust nothing the server says about itself.
 */

export interface HttpAnswer {
  status: number;
  text: string;
  /** The body as JSON, when it is JSON (tests narrow it: see onlyEntry). */
  json: unknown;
}

/** A Rekor v1 LogEntryAnon as the log serves it. */
export interface ServedEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    signedEntryTimestamp: string;
  };
}

/** The UUID and entry of a Rekor LogEntry answer ({"<uuid>": entry}, one key). */
export function onlyEntry(json: unknown): [string, ServedEntry] {
  const pairs = Object.entries(json as Record<string, ServedEntry>);
  if (pairs.length !== 1) throw new Error(`expected one entry in ${JSON.stringify(json).slice(0, 200)}`);
  return pairs[0]!;
}

/** The message of an error answer ({code, message}), or undefined. */
export function messageOf(answer: HttpAnswer): string | undefined {
  const message = (answer.json as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : undefined;
}

export async function http(url: string, init?: RequestInit): Promise<HttpAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (a tile, a checkpoint): the caller reads `text` or asks again for bytes.
  }
  return { status: response.status, text, json };
}

export async function httpBytes(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** POST /api/v1/log/entries with a JSON value, or with raw text as a client might send it. */
export function submit(base: string, body: unknown, options: { contentType?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return http(`${base}/api/v1/log/entries`, {
    method: "POST",
    headers: { "content-type": options.contentType ?? "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
  });
}

/** Waits until a spawned `vouch log serve` says whether it sequences (the line after "serving on"). */
export async function sequencingState(server: RunningVouch, timeoutMs = 10_000): Promise<"sequencing" | "serving reads"> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /^\s+(sequencing|serving reads)/m.exec(server.output().stdout);
    if (match) return match[1] as "sequencing" | "serving reads";
    if (Date.now() > deadline) throw new Error(`no sequencing line in the startup output:\n${server.output().stdout}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the log's key and its checkpoints ---------------------------------------------------------------------------------

export interface CheckedHead {
  size: number;
  rootHash: Uint8Array;
}

/** Verifies a checkpoint's signature by the log's key and returns its size and root (throws on a bad one). */
export type CheckpointCheck = (note: string) => CheckedHead;

/** The log's key from GET /api/v1/log/publicKey, as a checkpoint verifier. */
export async function checkpointVerifier(base: string): Promise<CheckpointCheck> {
  const answer = await http(`${base}/api/v1/log/publicKey`);
  if (answer.status !== 200) throw new Error(`GET /api/v1/log/publicKey: ${answer.status} ${answer.text}`);
  const key = createPublicKey(answer.text);
  const verifier = {
    publicKeyDer: new Uint8Array(key.export({ type: "spki", format: "der" })),
    keyDetails: key.asymmetricKeyType === "ed25519" ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256",
  };
  return (text) => {
    const note = parseSignedNote(text);
    const check = verifyNoteSignature(note, verifier);
    if (!check.ok) throw new Error(`checkpoint not signed by the log's key: ${check.reason}\n${text}`);
    const checkpoint = parseCheckpoint(note.text);
    return { size: Number(checkpoint.size), rootHash: checkpoint.rootHash };
  };
}

// --- write load --------------------------------------------------------------------------------------------------------

export interface Acknowledged {
  uuid: string;
  logIndex: number;
  proposal: object;
}

export interface WriteLoadOptions {
  /** The log to write to (a function: the target may change between phases). */
  url: () => string;
  key: KeyObject;
  /** Most submissions this load makes. */
  total: number;
  /** Submissions in flight at once. */
  concurrency: number;
  /** Makes this load's artifacts distinct from every other load's. */
  tag: string;
  /** Where every checkpoint seen in an answer goes. */
  checkpoints: string[];
  /** A client that gives up on an answer after this long (the submission then counts as unanswered). */
  timeoutMs?: number;
}

/**
 * Concurrent submitters, each a loop of one signed hashedrekord submission after another, recording every answer:
 * 201s (checked on arrival: the inclusion proof leads to the root of the checkpoint it comes with), other statuses,
 * and submissions that got no answer at all (the connection died with the server).
 */
export class WriteLoad {
  readonly acknowledged: Acknowledged[] = [];
  readonly unanswered: object[] = [];
  readonly refused: { status: number; message: string }[] = [];
  /** Answers that broke a promise on arrival (a proof that does not verify, a checkpoint of another tree). */
  readonly broken: string[] = [];
  readonly #options: WriteLoadOptions;
  readonly #salt = randomBytes(8).toString("hex");
  #issuing = true;
  #next = 0;
  #inFlight = 0;
  #running = 0;
  #workers: Promise<void>[] = [];

  constructor(options: WriteLoadOptions) {
    this.#options = options;
  }

  start(): this {
    this.#workers = Array.from({ length: this.#options.concurrency }, () => this.#work());
    return this;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once `count` submissions are acknowledged, or every submitter is done. */
  async untilAcknowledged(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.length < count && this.#running > 0) {
      if (Date.now() > deadline) throw new Error(`only ${this.acknowledged.length} of ${count} submissions acknowledged in ${timeoutMs} ms`);
      await sleep(2);
    }
  }

  /** No new submissions from now on; the ones in flight finish (or fail) on their own. */
  stopIssuing(): void {
    this.#issuing = false;
  }

  /** Waits for every submitter to finish. */
  async settle(): Promise<this> {
    await Promise.all(this.#workers);
    return this;
  }

  async #work(): Promise<void> {
    this.#running++;
    try {
      await this.#submitUntilDone();
    } finally {
      this.#running--;
    }
  }

  async #submitUntilDone(): Promise<void> {
    const { url, key, total, tag, checkpoints, timeoutMs } = this.#options;
    while (this.#issuing && this.#next < total) {
      const n = this.#next++;
      const proposal = hashedRekordProposal(key, `${tag} ${this.#salt} ${n}`);
      this.#inFlight++;
      let answer: HttpAnswer;
      try {
        answer = await submit(url(), proposal, { timeoutMs });
      } catch {
        this.unanswered.push(proposal);
        continue;
      } finally {
        this.#inFlight--;
      }
      if (answer.status !== 201) {
        this.refused.push({ status: answer.status, message: messageOf(answer) ?? answer.text });
        continue;
      }
      const [uuid, entry] = onlyEntry(answer.json);
      this.acknowledged.push({ uuid, logIndex: entry.logIndex, proposal });
      const problem = checkAnswer(uuid, entry);
      if (problem) this.broken.push(problem);
      checkpoints.push(entry.verification.inclusionProof.checkpoint);
    }
  }
}

/** A Rekor entry as served: its UUID is its leaf hash, its proof leads to the root its checkpoint signs. */
export function checkAnswer(uuid: string, entry: ServedEntry): string | undefined {
  const body = Buffer.from(entry.body, "base64");
  const leaf = leafHash(body);
  if (Buffer.from(leaf).toString("hex") !== uuid) return `entry ${uuid}: its body hashes to ${Buffer.from(leaf).toString("hex")}`;
  const proof = entry.verification.inclusionProof;
  const root = Buffer.from(proof.rootHash, "hex");
  const check = verifyInclusion(BigInt(proof.logIndex), BigInt(proof.treeSize), leaf, proof.hashes.map((h) => Buffer.from(h, "hex")), root);
  if (!check.ok) return `entry ${uuid} at ${proof.logIndex}: ${check.reason}`;
  const checkpoint = parseCheckpoint(parseSignedNote(proof.checkpoint).text);
  if (Number(checkpoint.size) !== proof.treeSize || !bytesEqual(checkpoint.rootHash, root)) {
    return `entry ${uuid}: its proof is against ${proof.treeSize}/${proof.rootHash}, its checkpoint says another tree`;
  }
  if (entry.logIndex !== proof.logIndex) return `entry ${uuid}: logIndex ${entry.logIndex}, proof for ${proof.logIndex}`;
  return undefined;
}

/** GETs /checkpoint every `everyMs` into `sink` until stopped; a dead server is not an error (it is the point). */
export function pollCheckpoints(url: () => string, sink: string[], everyMs = 10): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const answer = await http(`${url()}/checkpoint`);
        if (answer.status === 200) sink.push(answer.text);
      } catch {
        // The server is down (killed, restarting).
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

// --- audits ------------------------------------------------------------------------------------------------------------

/** Runs `work` over `items`, `concurrency` at a time. */
export async function eachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** GET /api/v1/log, its signed tree head checked and agreeing with the size and root beside it. */
export async function currentHead(base: string, verify: CheckpointCheck): Promise<CheckedHead & { checkpoint: string }> {
  const answer = await http(`${base}/api/v1/log`);
  if (answer.status !== 200) throw new Error(`GET /api/v1/log: ${answer.status} ${answer.text}`);
  const info = answer.json as { treeSize: number; rootHash: string; signedTreeHead: string };
  const signed = verify(info.signedTreeHead);
  if (signed.size !== info.treeSize || Buffer.from(signed.rootHash).toString("hex") !== info.rootHash) {
    throw new Error(`GET /api/v1/log: the signed tree head is ${signed.size}, the answer says ${info.treeSize}`);
  }
  return { ...signed, checkpoint: info.signedTreeHead };
}

/**
 * Every observed checkpoint against the log's head now: each is signed by the log, none is larger, two of one size
 * have one root (no split view), and a consistency proof from each to the head verifies (RFC 9162 §2.1.4.2).
 * Returns what failed, one line each.
 */
export async function checkConsistentWith(base: string, observed: readonly string[], head: CheckedHead, verify: CheckpointCheck): Promise<string[]> {
  const failures: string[] = [];
  const bySize = new Map<number, Uint8Array>();
  for (const text of new Set(observed)) {
    let seen: CheckedHead;
    try {
      seen = verify(text);
    } catch (error) {
      failures.push((error as Error).message);
      continue;
    }
    const other = bySize.get(seen.size);
    if (other !== undefined && !bytesEqual(other, seen.rootHash)) failures.push(`two checkpoints of size ${seen.size} with different roots`);
    bySize.set(seen.size, seen.rootHash);
  }
  await eachLimited([...bySize], 8, async ([size, rootHash]) => {
    if (size > head.size) {
      failures.push(`checkpoint of size ${size} was published; the log now has ${head.size}`);
    } else if (size === 0) {
      if (!bytesEqual(rootHash, emptyRoot())) failures.push("the checkpoint of size 0 does not have the empty tree's root");
    } else if (size === head.size) {
      if (!bytesEqual(rootHash, head.rootHash)) failures.push(`checkpoint of size ${size} has another root than the head of that size`);
    } else {
      const answer = await http(`${base}/api/v1/log/proof?firstSize=${size}&lastSize=${head.size}`);
      if (answer.status !== 200) {
        failures.push(`proof ${size} → ${head.size}: ${answer.status} ${answer.text}`);
        return;
      }
      const hashes = (answer.json as { hashes: string[] }).hashes.map((h) => Buffer.from(h, "hex"));
      const check = verifyConsistency(BigInt(size), BigInt(head.size), hashes, rootHash, head.rootHash);
      if (!check.ok) failures.push(`proof ${size} → ${head.size}: ${check.reason}`);
    }
  });
  return failures;
}

/** The path of entry bundle `index` at `width` (c2sp.org/tlog-tiles; enough for indexes below 1000). */
function bundlePath(index: number, width: number): string {
  if (index >= 1000) throw new Error("bundlePath: the tests stay below 256,000 entries");
  const n = String(index).padStart(3, "0");
  return width === 256 ? `/tile/entries/${n}` : `/tile/entries/${n}.p/${width}`;
}

/** tlog-tiles entry bundle: big-endian uint16 length, then the entry, repeated. */
function decodeBundle(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt16BE(at);
    out.push(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return out;
}

/**
 * Every entry of the tree of `head.size` leaves, read through the tile API, with the checks that hold for the whole
 * log: the entries hash to the head's root, and no leaf is in the log twice. Returns the leaf hash (hex) of each
 * index, and what failed.
 */
export async function readWholeLog(base: string, head: CheckedHead): Promise<{ leaves: string[]; failures: string[] }> {
  const failures: string[] = [];
  const entries: Buffer[] = [];
  for (let index = 0; index * 256 < head.size; index++) {
    const width = Math.min(256, head.size - index * 256);
    const answer = await httpBytes(`${base}${bundlePath(index, width)}`);
    if (answer.status !== 200) throw new Error(`GET ${bundlePath(index, width)}: ${answer.status} ${answer.bytes.toString()}`);
    const bundle = decodeBundle(answer.bytes);
    if (bundle.length !== width) failures.push(`bundle ${index} has ${bundle.length} entries, the tree ${width}`);
    entries.push(...bundle.slice(0, width));
  }
  if (!bytesEqual(treeRoot(entries), head.rootHash)) failures.push(`the ${head.size} served entries do not hash to the head's root`);
  const leaves = entries.map((entry) => Buffer.from(leafHash(entry)).toString("hex"));
  const first = new Map<string, number>();
  leaves.forEach((leaf, index) => {
    const earlier = first.get(leaf);
    if (earlier !== undefined) failures.push(`entry ${leaf} is in the log twice: at ${earlier} and ${index}`);
    else first.set(leaf, index);
  });
  return { leaves, failures };
}

/**
 * What a restarted log owes the clients of the load(s) before it: every acknowledged entry at its index (GET by
 * UUID, its proof checked), every unanswered submission at most once, and the tree consistent with every checkpoint
 * observed. Returns the head and what failed.
 */
export async function auditAfterCrash(
  base: string,
  loads: readonly WriteLoad[],
  observed: readonly string[],
  verify: CheckpointCheck,
): Promise<{ head: CheckedHead; failures: string[]; unansweredPresent: number }> {
  const head = await currentHead(base, verify);
  const failures = await checkConsistentWith(base, observed, head, verify);
  const whole = await readWholeLog(base, head);
  failures.push(...whole.failures);

  const acknowledged = loads.flatMap((load) => load.acknowledged);
  await eachLimited(acknowledged, 8, async ({ uuid, logIndex }) => {
    const answer = await http(`${base}/api/v1/log/entries/${uuid}`);
    if (answer.status !== 200) {
      failures.push(`acknowledged entry ${uuid} (index ${logIndex}): GET answers ${answer.status} ${answer.text}`);
      return;
    }
    const [key, entry] = onlyEntry(answer.json);
    if (key !== uuid || entry.logIndex !== logIndex) failures.push(`acknowledged entry ${uuid} was at ${logIndex}; now ${key} at ${entry.logIndex}`);
    const problem = checkAnswer(key, entry);
    if (problem) failures.push(problem);
    if (whole.leaves[logIndex] !== uuid) failures.push(`the tile at index ${logIndex} holds ${whole.leaves[logIndex]}, not the acknowledged ${uuid}`);
  });

  // A submission that got no answer may or may not have been logged; if it was, it is there once (readWholeLog
  // checks that no leaf is logged twice) and a lookup by its content finds that one index.
  let unansweredPresent = 0;
  const unanswered = loads.flatMap((load) => load.unanswered);
  for (let i = 0; i < unanswered.length; i += 10) {
    const batch = unanswered.slice(i, i + 10);
    const answer = await http(`${base}/api/v1/log/entries/retrieve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ entries: batch }),
    });
    if (answer.status !== 200) {
      failures.push(`retrieve: ${answer.status} ${answer.text}`);
      continue;
    }
    const found = answer.json as unknown[];
    for (const one of found) {
      const [uuid, entry] = onlyEntry(one);
      unansweredPresent++;
      if (whole.leaves.indexOf(uuid) !== entry.logIndex) failures.push(`unanswered submission ${uuid} is at ${whole.leaves.indexOf(uuid)}, its entry says ${entry.logIndex}`);
    }
    if (found.length > batch.length) failures.push(`retrieve of ${batch.length} proposals found ${found.length} entries`);
  }
  return { head, failures, unansweredPresent };
}
