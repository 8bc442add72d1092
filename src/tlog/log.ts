import { VouchError } from "../core/errors.js";
import { leafHash } from "../core/merkle/index.js";
import type { LogEntryRecord, LogHead, LogStore } from "../store/ports.js";
import { canonicalizeProposedEntry, type CanonicalEntry } from "./entries/index.js";
import { checkEntry, type EntryChecker, type EntryForm } from "./entry-checks.js";
import type { LogSigner } from "./log-signer.js";
import type { Sequencer } from "./sequencer.js";
import { TILE_WIDTH, type TileRef } from "./tiles/path.js";
import { encodeEntryBundle } from "./tiles/bundle.js";
import { FullTileCache, LogReader, type EntryRange } from "./tiles/reader.js";
import type { CheckpointWitnessing } from "./witnessing.js";
import { submitThroughQueue } from "./queue-relay.js";

/**
 * The transparency log as its HTTP API sees it: Rekor v1 entries (with inclusion proof, checkpoint and signed entry
 * timestamp), log info, consistency proofs, and the c2sp.org/tlog-tiles read paths. Writes go through the Sequencer
 * of the process that holds the store's sequencer lease; every process can serve reads from the store.
 */

/** A Rekor v1 LogEntryAnon (openapi.yaml), as /api/v1/log/entries returns it under the entry's UUID. */
export interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    signedEntryTimestamp: string;
  };
}

/** A Rekor v2 / protobuf-specs TransparencyLogEntry in its JSON mapping (int64 as strings, bytes as base64). */
export interface TransparencyLogEntryV2 {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  inclusionProof: { logIndex: string; rootHash: string; treeSize: string; hashes: string[]; checkpoint: { envelope: string } };
  canonicalizedBody: string;
}

export interface LogInfo {
  rootHash: string;
  treeSize: number;
  signedTreeHead: string;
  treeID: string;
  inactiveShards: [];
}

export interface Submission {
  uuid: string;
  entry: RekorEntry;
  /** The entry was already in the log: nothing was added (Rekor answers 409 with its location). */
  duplicate: boolean;
  canonical: CanonicalEntry;
}

export interface TransparencyLogOptions {
  store: LogStore;
  signer: LogSigner;
  /** The sequencer, in the process that holds the lease; without it this process serves reads only. */
  sequencer?: Sequencer;
  /** Largest accepted proposed entry, in bytes of JSON (issue 4: default 128 KiB). */
  maxEntryBytes?: number;
  /** How long a replica without the sequencer trusts the head it last read, in milliseconds. */
  headTtlMs?: number;
  /** Witnesses cosigning the checkpoints (src/tlog/witnessing.ts): a head's cosigned note is served once it has one. */
  witnessing?: CheckpointWitnessing;
  /**
   * Where submissions are checked (src/tlog/entry-checks.ts): an EntryCheckPool of worker threads, as LogService
   * starts on a machine with more than one core. Default: on this thread.
   */
  checker?: EntryChecker;
}

export const DEFAULT_MAX_ENTRY_BYTES = 128 * 1024;

/** Bundles whose records #record keeps: 10 KiB each (256 leaf hashes and times), so 40 MiB at most. */
const RECORD_CACHE_BUNDLES = 4096;

export class TransparencyLog {
  readonly #store: LogStore;
  readonly #signer: LogSigner;
  #sequencer: Sequencer | undefined;
  readonly #maxEntryBytes: number;
  readonly #headTtlMs: number;
  readonly #tiles = new FullTileCache();
  #reader: LogReader | undefined;
  #readerHead: LogHead | undefined;
  #headReadAt = 0;
  readonly #witnessing: CheckpointWitnessing | undefined;
  #witnessedReader: LogReader | undefined;
  readonly #checker: EntryChecker | undefined;
  /** Records of full bundles, by bundle index (see #record); oldest first out. */
  readonly #records = new Map<number, { leafHashes: Uint8Array; times: Float64Array; offsets: Int32Array }>();

  constructor(options: TransparencyLogOptions) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#sequencer = options.sequencer;
    this.#maxEntryBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    this.#headTtlMs = options.headTtlMs ?? 250;
    this.#witnessing = options.witnessing;
    this.#checker = options.checker;
  }

  get signer(): LogSigner {
    return this.#signer;
  }

  /** Hands the write path to (or takes it from) this process, as the sequencer lease comes and goes. */
  setSequencer(sequencer: Sequencer | undefined): void {
    this.#sequencer = sequencer;
  }

  get maxEntryBytes(): number {
    return this.#maxEntryBytes;
  }

  /**
   * Validates, canonicalises and signature-checks a proposed entry, then logs it (or finds the identical entry
   * already logged). Resolves once the entry is durably in the tree.
   *
   * @throws VouchError LOG_INVALID_ENTRY / LOG_ENTRY_TOO_LARGE (client errors), LOG_UNAVAILABLE (no sequencer here).
   */
  async submit(proposed: unknown): Promise<Submission> {
    const canonical = await this.#check("v1", proposed);
    const { uuid, record, duplicate, at } = await this.#sequence(canonical);
    return { uuid, entry: await this.#rekorEntry(at, record.index, canonical.body, record.integratedTime), duplicate, canonical };
  }

  /**
   * Rekor v2's POST /api/v2/log/entries: a CreateEntryRequest (hashedrekord or dsse 0.0.2) logged as Rekor v2 does,
   * answered with a TransparencyLogEntry (protobuf JSON: no integrated time and no SET; v2 clients get their
   * signing time from a timestamp authority). An entry already logged is answered with the existing one.
   */
  async submitV2(request: unknown): Promise<{ uuid: string; entry: TransparencyLogEntryV2; duplicate: boolean }> {
    const canonical = await this.#check("v2", request);
    const { uuid, record, duplicate, at } = await this.#sequence(canonical);
    const hashes = await at.reader.inclusionProof(record.index, at.head.size);
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
    return {
      uuid,
      duplicate,
      entry: {
        logIndex: String(record.index),
        logId: { keyId: b64(this.#signer.logId) },
        kindVersion: { kind: canonical.kind, version: canonical.apiVersion },
        inclusionProof: {
          logIndex: String(record.index),
          rootHash: b64(at.head.rootHash),
          treeSize: String(at.head.size),
          hashes: hashes.map(b64),
          checkpoint: { envelope: this.#servedCheckpoint(at.head) },
        },
        canonicalizedBody: b64(canonical.body),
      },
    };
  }

  /** The submission checked: by the pool when there is one, else here (the same entry or the same error either way). */
  #check(form: EntryForm, input: unknown): Promise<CanonicalEntry> | CanonicalEntry {
    return this.#checker === undefined ? checkEntry(form, input, this.#maxEntryBytes) : this.#checker.check(form, input, this.#maxEntryBytes);
  }

  /** Logs a checked canonical body (here, or through the shared queue) and picks the head its answer proves against. */
  async #sequence(canonical: CanonicalEntry) {
    const hash = leafHash(canonical.body);
    const uuid = Buffer.from(hash).toString("hex");
    const sequencer = this.#sequencer;
    if (sequencer === undefined) {
      // Another process holds the sequencer lease: hand the checked body over through the store's shared queue.
      const { record, duplicate } = await submitThroughQueue(this.#store, canonical.body);
      return { uuid, record, duplicate, at: await this.#current(record.index + 1) };
    }
    const { record, duplicate } = await sequencer.submit(canonical.body, uuid);
    // Witnessing starts only now that the head holding the entry is durable; with a waitMs policy the answer waits
    // for a cosigned head that includes the entry, and its proof is against that head.
    const witnessedHead = await this.#witnessing?.afterCommit(sequencer.head, record.index);
    const at = witnessedHead === undefined ? await this.#current() : this.#readerAt(witnessedHead);
    return { uuid, record, duplicate, at };
  }

  /** The entry at a log index, with a proof against the current head. */
  async entryByIndex(logIndex: number): Promise<{ uuid: string; entry: RekorEntry }> {
    const current = await this.#current();
    // The record first, when the index is in the tree: it says where the entry lies in its bundle. The inclusion
    // proof needs nothing from it, so both are read at once: on a cold read from PostgreSQL, one round trip fewer.
    // Outside the tree, reader.entry answers LOG_NOT_FOUND.
    const inTree = Number.isSafeInteger(logIndex) && logIndex >= 0 && logIndex < current.head.size;
    const [located, proof] = inTree
      ? await Promise.all([this.#record(logIndex, current.head.size), current.reader.inclusionProof(logIndex, current.head.size)])
      : [undefined, undefined];
    const body = await current.reader.entry(logIndex, located?.range);
    const record = located?.record;
    if (record === undefined) throw new VouchError("STORE_CORRUPT", `log storage is damaged: entry ${logIndex} has no record`);
    // The record names the entry (its UUID): it must be the leaf hash of the body the tiles vouch for.
    if (!Buffer.from(record.leafHash).equals(Buffer.from(leafHash(body)))) {
      throw new VouchError("STORE_CORRUPT", `log storage is damaged: the record of entry ${logIndex} does not match its body`);
    }
    return { uuid: Buffer.from(record.leafHash).toString("hex"), entry: await this.#rekorEntry(current, logIndex, body, record.integratedTime, proof) };
  }

  /**
   * The record of a committed entry. Records of a full bundle's 256 entries are read together and kept (a committed
   * record never changes), so that a read does not cost a store round trip (on PostgreSQL, most of what was left of
   * a read once the bundles were cached). The leaf hash is still checked against the entry's body on every read.
   * With it comes the entry's range in its bundle, when the store keeps offsets (LogReader.entry reads just that).
   */
  async #record(logIndex: number, size: number): Promise<{ record: LogEntryRecord; range?: EntryRange } | undefined> {
    const bundle = Math.floor(logIndex / TILE_WIDTH);
    const single = async () => {
      const [record] = await this.#store.readEntries(logIndex, 1);
      return record === undefined ? undefined : { record };
    };
    if (bundle >= Math.floor(size / TILE_WIDTH)) return single();
    let packed = this.#records.get(bundle);
    if (packed === undefined) {
      const records = await this.#store.readEntries(bundle * TILE_WIDTH, TILE_WIDTH);
      if (records.length !== TILE_WIDTH || records.some((r, i) => r.index !== bundle * TILE_WIDTH + i || r.leafHash.length !== 32)) return single();
      // Packed into typed arrays, not 512 small objects the garbage collector would trace. An offset the store does
      // not keep is -1 (the whole bundle is read then).
      packed = { leafHashes: new Uint8Array(TILE_WIDTH * 32), times: new Float64Array(TILE_WIDTH), offsets: new Int32Array(TILE_WIDTH) };
      for (let i = 0; i < TILE_WIDTH; i++) {
        packed.leafHashes.set(records[i]!.leafHash, i * 32);
        packed.times[i] = records[i]!.integratedTime;
        const offset = records[i]!.bundleOffset;
        packed.offsets[i] = offset !== undefined && offset <= 0x7fffffff ? offset : -1;
      }
      this.#records.set(bundle, packed);
      if (this.#records.size > RECORD_CACHE_BUNDLES) this.#records.delete(this.#records.keys().next().value!);
    }
    const i = logIndex % TILE_WIDTH;
    const record: LogEntryRecord = { index: logIndex, leafHash: packed.leafHashes.slice(i * 32, i * 32 + 32), integratedTime: packed.times[i]! };
    const start = packed.offsets[i]!;
    if (start < 0) return { record };
    const next = i + 1 < TILE_WIDTH ? packed.offsets[i + 1]! : undefined;
    return { record, range: { start, end: next !== undefined && next > start ? next : undefined } };
  }

  /**
   * The entry with this UUID: the 64-hex leaf hash, or Rekor's 80-hex "entry UUID" (a 16-hex tree ID, then the leaf
   * hash) which clients of sharded Rekor send.
   */
  async entryByUuid(uuid: string): Promise<{ uuid: string; entry: RekorEntry }> {
    const leaf = parseUuid(uuid);
    const record = await this.#store.findEntry(Buffer.from(leaf, "hex"));
    if (record === undefined) throw new VouchError("LOG_NOT_FOUND", `no entry with UUID ${uuid}`);
    return this.entryByIndex(record.index);
  }

  /** Rekor's POST /api/v1/log/entries/retrieve: the entries found among the UUIDs, indexes and proposed entries. */
  async retrieve(query: { entryUUIDs?: string[]; logIndexes?: number[]; entries?: unknown[] }): Promise<Record<string, RekorEntry>[]> {
    const found: Record<string, RekorEntry>[] = [];
    const add = async (lookup: () => Promise<{ uuid: string; entry: RekorEntry }>) => {
      try {
        const { uuid, entry } = await lookup();
        found.push({ [uuid]: entry });
      } catch (error) {
        if (!(error instanceof VouchError && error.code === "LOG_NOT_FOUND")) throw error;
      }
    };
    for (const uuid of query.entryUUIDs ?? []) await add(() => this.entryByUuid(uuid));
    for (const index of query.logIndexes ?? []) await add(() => this.entryByIndex(index));
    for (const proposed of query.entries ?? []) {
      const canonical = canonicalizeProposedEntry(proposed, { maxBytes: this.#maxEntryBytes });
      await add(() => this.entryByUuid(Buffer.from(leafHash(canonical.body)).toString("hex")));
    }
    return found;
  }

  async info(): Promise<LogInfo> {
    const { head } = await this.#current();
    return {
      rootHash: hex(head.rootHash),
      treeSize: head.size,
      signedTreeHead: this.#servedCheckpoint(head),
      treeID: this.treeId,
      inactiveShards: [],
    };
  }

  /** The tree ID Rekor v1 clients see: the first 8 bytes of the log ID as a decimal, stable for a log key. */
  get treeId(): string {
    return this.#signer.treeId;
  }

  async checkpoint(): Promise<string> {
    return this.#servedCheckpoint((await this.#current()).head);
  }

  /** Rekor's GET /api/v1/log/proof: consistency from firstSize to lastSize (default the current size). */
  async consistency(firstSize: number, lastSize?: number): Promise<{ hashes: string[]; rootHash: string }> {
    const reader = await this.#currentReader();
    const last = lastSize ?? reader.head.size;
    const hashes = await reader.consistencyProof(firstSize, last);
    return { hashes: hashes.map(hex), rootHash: hex(await reader.rootAt(last)) };
  }

  /**
   * The bytes of a tile or entry bundle at a width, checked against the signed head.
   * @throws VouchError LOG_NOT_FOUND when the tree (yet) has no such tile.
   */
  async tile(ref: TileRef): Promise<Uint8Array> {
    const reader = await this.#currentReader();
    if (ref.kind === "hashes") return reader.tileBytes(ref.level, ref.index, ref.width);
    return encodeEntryBundle(await reader.entries(ref.index, ref.width));
  }

  /** Whether a tile at this width can never change (a full tile: clients and CDNs may cache it forever). */
  static isImmutable(ref: TileRef): boolean {
    return ref.width === TILE_WIDTH;
  }

  async #rekorEntry(
    { reader, head }: { reader: LogReader; head: LogHead },
    logIndex: number,
    body: Uint8Array,
    integratedTime: number,
    /** The inclusion proof against `head`, when the caller has it already. */
    proof?: Uint8Array[],
  ): Promise<RekorEntry> {
    const hashes = proof ?? (await reader.inclusionProof(logIndex, head.size));
    // A view of the body, not a copy of it.
    const bodyBase64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64");
    const logID = hex(this.#signer.logId);
    // The SET payload is the RFC 8785 form of {body, integratedTime, logID, logIndex}: keys sorted, no spaces, and no
    // value that needs escaping (base64, hex, integers).
    const payload = `{"body":"${bodyBase64}","integratedTime":${integratedTime},"logID":"${logID}","logIndex":${logIndex}}`;
    return {
      body: bodyBase64,
      integratedTime,
      logID,
      logIndex,
      verification: {
        inclusionProof: { checkpoint: this.#servedCheckpoint(head), hashes: hashes.map(hex), logIndex, rootHash: hex(head.rootHash), treeSize: head.size },
        signedEntryTimestamp: Buffer.from(this.#signer.signEntryTimestamp(Buffer.from(payload, "utf8"))).toString("base64"),
      },
    };
  }

  /** A reader of the newest head: the sequencer's own, or the store's (re-read after headTtlMs on a replica). */
  /** `minSize`: a replica re-reads a cached head smaller than this (an entry it just saw committed must be in it). */
  async #currentReader(minSize = 0): Promise<LogReader> {
    const sequencer = this.#sequencer;
    let head: LogHead | undefined = sequencer?.head;
    if (head === undefined) {
      const fresh = Date.now() - this.#headReadAt < this.#headTtlMs && (this.#readerHead?.size ?? 0) >= minSize;
      if (this.#reader && fresh) return this.#reader;
      head = await this.#store.readHead();
      this.#headReadAt = Date.now();
      if (head === undefined) throw new VouchError("LOG_UNAVAILABLE", "the log has no checkpoint yet");
    }
    if (this.#readerHead !== head) {
      // The sequencer's head comes with the right edge it holds in memory (head and edge change together).
      this.#reader = new LogReader(this.#store, head, this.#tiles, sequencer?.head === head ? sequencer.edge : undefined);
      this.#readerHead = head;
    }
    return this.#reader!;
  }

  async #current(minSize = 0): Promise<{ reader: LogReader; head: LogHead }> {
    const reader = await this.#currentReader(minSize);
    return { reader, head: this.#readerHead! };
  }

  /** A reader of an earlier committed head (the witnessed one answers wait for), sharing the checked-tile cache. */
  #readerAt(head: LogHead): { reader: LogReader; head: LogHead } {
    if (head === this.#readerHead) return { reader: this.#reader!, head };
    if (this.#witnessedReader?.head !== head) this.#witnessedReader = new LogReader(this.#store, head, this.#tiles);
    return { reader: this.#witnessedReader, head };
  }

  /** The head's checkpoint with the witness cosignatures collected for it, if any; else the log's own signed note. */
  #servedCheckpoint(head: LogHead): string {
    return this.#witnessing?.witnessed(head) ?? head.checkpoint;
  }
}

const UUID = /^(?:[0-9a-f]{16})?([0-9a-f]{64})$/;

function parseUuid(uuid: string): string {
  const match = UUID.exec(uuid.toLowerCase());
  if (!match) throw new VouchError("LOG_NOT_FOUND", `${JSON.stringify(uuid.slice(0, 100))} is not an entry UUID (64 or 80 hex digits)`);
  return match[1]!;
}

/** Hex of bytes through a view of them, not a copy (proof hashes are views of a cached tile's packed tree). */
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
