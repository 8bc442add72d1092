import { VouchError } from "../../core/errors.js";
import { bytesEqual, leafHash, verifyConsistency, verifyInclusion } from "../../core/merkle/index.js";
import { MAX_NOTE_LENGTH, decodeBase64Strict } from "../../core/note/index.js";
import type { LogStore } from "../../store/ports.js";
import { MAX_ENTRY_BYTES } from "../tiles/bundle.js";
import { TILE_WIDTH, tilePath, type TileRef } from "../tiles/path.js";
import { FullTileCache, LogReader } from "../tiles/reader.js";
import type { CheckpointVerifier, VerifiedHead } from "./checkpoint.js";
import { LogUnreachableError, type HttpClient } from "./http.js";

/**
 * Where a monitor reads a log from. Two APIs:
 * - Rekor v1 (sigstore/rekor openapi.yaml): GET /api/v1/log (signed tree head), /api/v1/log/proof (consistency),
 *   /api/v1/log/entries?logIndex= (one entry with its inclusion proof);
 * - c2sp.org/tlog-tiles: GET /checkpoint, then proofs are computed client-side from hash tiles and entries read from
 *   entry bundles, every tile checked against the signed checkpoint (LogReader), so nothing the log serves is trusted.
 *
 * Every method answers for a checkpoint the monitor has already verified; the sources never decide trust. They throw
 * LogUnreachableError (LOG_UNAVAILABLE) when the log cannot be reached, and another VouchError when the log answered
 * with something that does not prove what it must (the monitor's "inconsistent" or "bad-entry").
 */
export interface LogSource {
  readonly api: LogApi;
  readonly url: string;
  /** The latest checkpoint (signed note text), not yet verified. */
  latestCheckpoint(): Promise<string>;
  /** RFC 6962 consistency proof from `from` to `to` (0 < from.size < to.size), not yet verified. */
  consistencyProof(from: VerifiedHead, to: VerifiedHead): Promise<Uint8Array[]>;
  /** The bodies of entries start..start+count-1, each proven to be in the tree of `head`. */
  entries(start: number, count: number, head: VerifiedHead): Promise<Uint8Array[]>;
}

export type LogApi = "rekor-v1" | "tiles";

/** The longest Rekor v1 JSON answer read (an entry is a body of at most a few MB and a proof). */
const MAX_JSON_BYTES = 8 * 1024 * 1024;
/** An RFC 6962 proof for a tree of up to 2^64 leaves has at most 2 * 64 hashes. */
const MAX_PROOF_HASHES = 128;

/**
 * @example
 *   const source = rekorV1Source(http, "https://rekor.sigstore.dev", verifier);
 */
export function rekorV1Source(http: HttpClient, baseUrl: string, verifier: CheckpointVerifier, options: { concurrency?: number } = {}): LogSource {
  const base = trimSlash(baseUrl);
  const concurrency = options.concurrency ?? 8;
  // Sharded Rekor numbers entries across every shard; checkpoints and proofs count within the active one.
  let shardOffset = 0;
  // Larger trees an entry's inclusion proof was made against, each checked once: "size/root" -> verified.
  const bridges = new Map<string, Promise<void>>();
  let bridgesFor = "";

  const source: LogSource = {
    api: "rekor-v1",
    url: base,
    async latestCheckpoint() {
      const info = objectOf(await http.getJson(`${base}/api/v1/log`, MAX_JSON_BYTES), "GET /api/v1/log");
      if (typeof info.signedTreeHead !== "string") throw new VouchError("INPUT_MALFORMED", "GET /api/v1/log: the answer has no signedTreeHead");
      shardOffset = inactiveShardEntries(info.inactiveShards);
      return info.signedTreeHead;
    },
    async consistencyProof(from, to) {
      const what = `GET /api/v1/log/proof?firstSize=${from.size}&lastSize=${to.size}`;
      const answer = objectOf(await http.getJson(`${base}/api/v1/log/proof?firstSize=${from.size}&lastSize=${to.size}`, MAX_JSON_BYTES), what);
      const root = hexHash(answer.rootHash, `${what}: rootHash`);
      if (!bytesEqual(root, to.rootHash)) throw misbehaviour(`${what}: the proof is for root ${hex(root)}, the checkpoint of size ${to.size} has ${hex(to.rootHash)}`);
      return hexHashes(answer.hashes, `${what}: hashes`);
    },
    async entries(start, count, head) {
      const key = `${head.size}/${hex(head.rootHash)}`;
      if (bridgesFor !== key) {
        bridges.clear();
        bridgesFor = key;
      }
      const out: Uint8Array[] = new Array<Uint8Array>(count);
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          out[i] = await entry(start + i, head);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return out;
    },
  };

  async function entry(index: number, head: VerifiedHead): Promise<Uint8Array> {
    const logIndex = shardOffset + index;
    const what = `GET /api/v1/log/entries?logIndex=${logIndex}`;
    const answer = objectOf(await http.getJson(`${base}/api/v1/log/entries?logIndex=${logIndex}`, MAX_JSON_BYTES), what);
    const uuids = Object.keys(answer);
    if (uuids.length !== 1) throw misbehaviour(`${what}: expected one entry, got ${uuids.length}`);
    const uuid = uuids[0]!;
    const found = objectOf(answer[uuid], `${what}: entry`);
    const body = typeof found.body === "string" ? decodeBase64Strict(found.body) : undefined;
    if (body === undefined || body.length === 0) throw misbehaviour(`${what}: body is not base64`);
    if (found.logIndex !== logIndex) throw misbehaviour(`${what}: the log answered with entry ${JSON.stringify(found.logIndex)}`);
    const leaf = leafHash(body);
    // The UUID is the leaf hash, after a 16-hex tree ID on sharded Rekor.
    const match = /^(?:[0-9a-f]{16})?([0-9a-f]{64})$/.exec(uuid);
    if (match === null || match[1] !== hex(leaf)) throw misbehaviour(`${what}: UUID ${uuid.slice(0, 100)} is not the body's leaf hash ${hex(leaf)}`);
    const verification = objectOf(found.verification, `${what}: verification`);
    const proof = objectOf(verification.inclusionProof, `${what}: verification.inclusionProof`);
    if (proof.logIndex !== index) throw misbehaviour(`${what}: the inclusion proof is for index ${JSON.stringify(proof.logIndex)}, not ${index}`);
    const treeSize = proof.treeSize;
    if (typeof treeSize !== "number" || !Number.isSafeInteger(treeSize) || treeSize <= index) {
      throw misbehaviour(`${what}: inclusion proof treeSize ${JSON.stringify(treeSize)} does not contain index ${index}`);
    }
    const root = hexHash(proof.rootHash, `${what}: inclusionProof.rootHash`);
    const check = verifyInclusion(BigInt(index), BigInt(treeSize), leaf, hexHashes(proof.hashes, `${what}: inclusionProof.hashes`), root);
    if (!check.ok) throw misbehaviour(`${what}: the inclusion proof does not verify: ${check.reason}`);
    await bridge(treeSize, root, proof.checkpoint, head, what);
    return body;
  }

  /**
   * Ties the tree an inclusion proof was made against (the log's current one, which may have grown since the monitor
   * read its checkpoint) to the verified head: its checkpoint must be signed by the log and consistent with the head.
   */
  function bridge(size: number, root: Uint8Array, note: unknown, head: VerifiedHead, what: string): Promise<void> {
    if (size === head.size) {
      if (!bytesEqual(root, head.rootHash)) return Promise.reject(misbehaviour(`${what}: the inclusion proof is for root ${hex(root)} of size ${size}, the checkpoint says ${hex(head.rootHash)}`));
      return Promise.resolve();
    }
    const key = `${size}/${hex(root)}`;
    let pending = bridges.get(key);
    if (pending === undefined) {
      pending = (async () => {
        if (typeof note !== "string") throw misbehaviour(`${what}: the inclusion proof is against tree size ${size} and carries no checkpoint for it`);
        const checked = verifier.check(note);
        if (!checked.ok) throw misbehaviour(`${what}: the inclusion proof's checkpoint: ${checked.message}`);
        const other = checked.head;
        if (other.size !== size || !bytesEqual(other.rootHash, root)) throw misbehaviour(`${what}: the inclusion proof's checkpoint is not the tree the proof is for`);
        const [small, large] = size < head.size ? [other, head] : [head, other];
        const hashes = await source.consistencyProof(small, large);
        const consistent = verifyConsistency(BigInt(small.size), BigInt(large.size), hashes, small.rootHash, large.rootHash);
        if (!consistent.ok) throw misbehaviour(`${what}: the tree of size ${size} the entry is proven in is not consistent with the checkpoint of size ${head.size}: ${consistent.reason}`);
      })();
      // A failure is not cached: an unreachable log is retried by the next entry.
      pending.catch(() => bridges.delete(key));
      if (bridges.size < 64) bridges.set(key, pending);
    }
    return pending;
  }

  return source;
}

/**
 * @example
 *   const source = tilesSource(http, "https://log2025-1.rekor.sigstore.dev");
 */
export function tilesSource(http: HttpClient, baseUrl: string): LogSource {
  const base = trimSlash(baseUrl);
  // Full tiles never change in an append-only log: shared by the readers of every head. Only tiles checked against
  // a signed head enter it; a proof assembled from them still has to verify against both roots to be believed.
  const cache = new FullTileCache(1024);
  let current: { key: string; reader: LogReader } | undefined;
  const readerOf = (head: VerifiedHead): LogReader => {
    const key = `${head.size}/${hex(head.rootHash)}`;
    if (current?.key !== key) current = { key, reader: new LogReader(new HttpTiles(http, base, head.size), head, cache) };
    return current.reader;
  };
  // A reader keeps the right edge it read, failed or not: after a failure (an outage, a bad tile in transit) the next
  // attempt starts with a fresh one.
  const forgetOnFailure = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (error) {
      current = undefined;
      throw error;
    }
  };
  return {
    api: "tiles",
    url: base,
    async latestCheckpoint() {
      const bytes = (await http.get(`${base}/checkpoint`, { maxBytes: MAX_NOTE_LENGTH }))!;
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch (error) {
        throw new VouchError("INPUT_MALFORMED", "GET /checkpoint: the answer is not UTF-8", { cause: error });
      }
    },
    consistencyProof: (from, to) => forgetOnFailure(readerOf(to).consistencyProof(from.size, to.size)),
    async entries(start, count, head) {
      const reader = readerOf(head);
      const out: Uint8Array[] = [];
      const end = start + count;
      for (let bundle = Math.floor(start / TILE_WIDTH); bundle * TILE_WIDTH < end; bundle++) {
        const first = bundle * TILE_WIDTH;
        const entries = await forgetOnFailure(reader.entries(bundle, Math.min(TILE_WIDTH, head.size - first)));
        out.push(...entries.slice(Math.max(0, start - first), end - first));
      }
      return out;
    },
  };
}

/**
 * The tiles of one tree size over HTTP, shaped as the part of a LogStore that LogReader reads (readTile,
 * readEntryBundle). A tile's width follows from the tree size (c2sp.org/tlog-tiles); when a partial tile is gone
 * (the log grew and dropped it), the full tile, of which it is a prefix, is read instead, as the spec allows.
 */
class HttpTiles implements LogStore {
  constructor(
    private readonly http: HttpClient,
    private readonly base: string,
    private readonly size: number,
  ) {}

  async readTile(level: number, index: number): Promise<Uint8Array> {
    const count = Math.floor(this.size / TILE_WIDTH ** level);
    return this.#read({ kind: "hashes", level, index, width: widthOf(count, index) }, TILE_WIDTH * 32);
  }

  async readEntryBundle(index: number): Promise<Uint8Array> {
    return this.#read({ kind: "entries", index, width: widthOf(this.size, index) }, TILE_WIDTH * (2 + MAX_ENTRY_BYTES));
  }

  async #read(ref: TileRef, maxBytes: number): Promise<Uint8Array> {
    const url = `${this.base}/${tilePath(ref)}`;
    const bytes = await this.http.get(url, { maxBytes, notFound: "undefined" });
    if (bytes !== undefined) return bytes;
    if (ref.width < TILE_WIDTH) {
      const full = await this.http.get(`${this.base}/${tilePath({ ...ref, width: TILE_WIDTH })}`, { maxBytes, notFound: "undefined" });
      if (full !== undefined) return full;
    }
    // A log that signed a size must serve the tiles of it; not serving them is an outage (or a lagging cache).
    throw new LogUnreachableError(url, 1, `GET ${url}: HTTP 404 for a tile the checkpoint of size ${this.size} needs`);
  }

  // The rest of the port is not read by LogReader.
  readHead = unavailable;
  findEntry = unavailable;
  findEntries = unavailable;
  readEntries = unavailable;
  append = unavailable;
  tryAcquireSequencer = unavailable;
  close = async () => undefined;
}

function unavailable(): never {
  throw new VouchError("LOG_UNAVAILABLE", "a tiles log read over HTTP serves tiles and entry bundles only");
}

/** Entries (or hashes) the tile `index` holds when its level has `count` of them. */
function widthOf(count: number, index: number): number {
  return Math.max(1, Math.min(TILE_WIDTH, count - index * TILE_WIDTH));
}

function inactiveShardEntries(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (!Array.isArray(value)) throw new VouchError("INPUT_MALFORMED", "GET /api/v1/log: inactiveShards is not an array");
  let total = 0;
  for (const shard of value) {
    const size = typeof shard === "object" && shard !== null ? (shard as Record<string, unknown>).treeSize : undefined;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw new VouchError("INPUT_MALFORMED", "GET /api/v1/log: an inactive shard has no treeSize");
    total += size;
  }
  return total;
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw misbehaviour(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function hexHash(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || !/^[0-9a-fA-F]{64}$/.test(value)) throw misbehaviour(`${what} is not a hex SHA-256 hash`);
  return new Uint8Array(Buffer.from(value, "hex"));
}

function hexHashes(value: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(value)) {
    // Rekor omits an empty list.
    if (value === undefined || value === null) return [];
    throw misbehaviour(`${what} is not an array`);
  }
  if (value.length > MAX_PROOF_HASHES) throw misbehaviour(`${what} has ${value.length} hashes, more than any tree needs`);
  return value.map((h, i) => hexHash(h, `${what}[${i}]`));
}

/** The log answered, but what it answered does not prove what it must. */
export function misbehaviour(message: string): VouchError {
  return new VouchError("VERIFY_TLOG_INCLUSION", message);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
