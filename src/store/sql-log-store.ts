import { sql, type Kysely } from "kysely";
import { VouchError } from "../core/errors.js";
import {
  checkAppendsToHead,
  checkEntryRange,
  checkLogAppend,
  duplicateLeaf,
  isTileAddress,
  plainBytes,
  storeFailure,
  type LogStoreTestHooks,
} from "./log-common.js";
import type { LogAppend, LogEntryRecord, LogHead, LogStore, SequencerLease } from "./ports.js";
import type { LogDatabase } from "./schema.js";

/**
 * The LogStore over the SQL tables of schema.ts, shared by the SQLite and PostgreSQL drivers: they differ only in
 * how a write transaction excludes other writers, how a unique violation looks, and how the sequencer lease is held,
 * which each driver passes in. One append is one transaction, so atomicity and "no record past the head" are the
 * database's: entries rows commit together with the head row or not at all.
 */

export interface SqlDialectParts {
  db: Kysely<LogDatabase>;
  /**
   * Runs `work` in one transaction that excludes every other writer from its first read to its commit, so the
   * compare-and-swap reads the head no one else can change before we commit.
   */
  writeTransaction<T>(work: (trx: Kysely<LogDatabase>) => Promise<T>): Promise<T>;
  /** PostgreSQL locks the head row (SELECT … FOR UPDATE); SQLite's BEGIN IMMEDIATE has already locked the file. */
  lockHeadRow: boolean;
  isUniqueViolation(err: unknown): boolean;
  tryAcquireSequencer(): Promise<SequencerLease | undefined>;
  /** Releases leases and connections. Called once. */
  close(): Promise<void>;
  hooks?: LogStoreTestHooks;
}

/** Rows per multi-row INSERT (4,000 parameters) and leaf hashes per IN list: under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1000;

export function sqlLogStore(parts: SqlDialectParts): LogStore {
  const { db } = parts;
  let closing: Promise<void> | undefined;

  async function readHead(): Promise<LogHead | undefined> {
    const row = await db.selectFrom("log_head").select(["size", "root_hash", "checkpoint"]).where("id", "=", 1).executeTakeFirst();
    if (row === undefined || row.size === null || row.root_hash === null || row.checkpoint === null) return undefined;
    return { size: toCount(row.size), rootHash: plainBytes(row.root_hash), checkpoint: row.checkpoint };
  }

  async function append(batch: LogAppend): Promise<void> {
    checkLogAppend(batch);
    try {
      await parts.writeTransaction(async (trx) => {
        let query = trx.selectFrom("log_head").select(["size", "root_hash"]).where("id", "=", 1);
        if (parts.lockHeadRow) query = query.forUpdate();
        const row = await query.executeTakeFirst();
        if (row === undefined) throw new VouchError("STORE_CORRUPT", "the log_head row is missing");
        const committed = row.size === null || row.root_hash === null ? undefined : { size: toCount(row.size), rootHash: row.root_hash };
        checkAppendsToHead(batch.from, committed);
        for (const rows of chunks(batch.entries)) {
          await trx
            .insertInto("log_entries")
            .values(rows.map((e) => ({ idx: e.index, leaf_hash: asBuffer(e.leafHash), integrated_time: e.integratedTime, bundle_offset: e.bundleOffset ?? null })))
            .execute();
        }
        for (const rows of chunks(batch.tiles)) {
          await trx
            .insertInto("log_tiles")
            .values(rows.map((t) => ({ level: t.level, idx: t.index, hashes: asBuffer(t.hashes) })))
            .onConflict((oc) => oc.columns(["level", "idx"]).doUpdateSet((eb) => ({ hashes: eb.ref("excluded.hashes") })))
            .execute();
        }
        for (const rows of chunks(batch.bundles)) {
          await trx
            .insertInto("log_bundles")
            .values(rows.map((b) => ({ idx: b.index, data: asBuffer(b.data) })))
            .onConflict((oc) => oc.column("idx").doUpdateSet((eb) => ({ data: eb.ref("excluded.data") })))
            .execute();
        }
        await trx
          .updateTable("log_head")
          .set({ size: batch.to.size, root_hash: asBuffer(batch.to.rootHash), checkpoint: batch.to.checkpoint })
          .where("id", "=", 1)
          .execute();
        await parts.hooks?.beforeCommit?.();
      });
    } catch (err) {
      if (parts.isUniqueViolation(err)) throw duplicateLeaf();
      throw storeFailure(err, "append to the log");
    }
  }

  return {
    readHead: () => guard("read the head", readHead),
    readTile: (level, index) =>
      guard("read a tile", async () => {
        if (!isTileAddress(level, index)) return undefined;
        const row = await db.selectFrom("log_tiles").select("hashes").where("level", "=", level).where("idx", "=", index).executeTakeFirst();
        return row === undefined ? undefined : plainBytes(row.hashes);
      }),
    readBundleRange: (index, start, end) =>
      guard("read part of an entry bundle", async () => {
        if (!isTileAddress(0, index)) return undefined;
        if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
          throw new RangeError(`readBundleRange(${index}, ${start}, ${end}): start and end must be safe integers with 0 <= start <= end`);
        }
        // SQL's substr counts from 1; both SQLite (BLOB) and PostgreSQL (bytea) take substr(bytes, from[, count]).
        const part = end === undefined ? sql<Uint8Array>`substr(data, ${start + 1})` : sql<Uint8Array>`substr(data, ${start + 1}, ${end - start})`;
        const row = await db.selectFrom("log_bundles").select(part.as("part")).where("idx", "=", index).executeTakeFirst();
        return row === undefined ? undefined : plainBytes(row.part);
      }),
    readEntryBundle: (index) =>
      guard("read an entry bundle", async () => {
        if (!isTileAddress(0, index)) return undefined;
        const row = await db.selectFrom("log_bundles").select("data").where("idx", "=", index).executeTakeFirst();
        return row === undefined ? undefined : plainBytes(row.data);
      }),
    findEntry: (leafHash) =>
      guard("find an entry", async () => {
        const row = await db
          .selectFrom("log_entries")
          .select(RECORD_COLUMNS)
          .where("leaf_hash", "=", asBuffer(leafHash))
          .executeTakeFirst();
        return row === undefined ? undefined : toRecord(row);
      }),
    findEntries: (leafHashes) =>
      guard("find entries", async () => {
        const byLeaf = new Map<string, LogEntryRecord>();
        const wanted = [...new Set(leafHashes.map((leafHash) => Buffer.from(leafHash).toString("hex")))];
        for (let i = 0; i < wanted.length; i += ROWS_PER_INSERT) {
          const rows = await db
            .selectFrom("log_entries")
            .select(RECORD_COLUMNS)
            .where("leaf_hash", "in", wanted.slice(i, i + ROWS_PER_INSERT).map((key) => Buffer.from(key, "hex")))
            .execute();
          for (const row of rows) {
            const record = toRecord(row);
            byLeaf.set(Buffer.from(record.leafHash).toString("hex"), record);
          }
        }
        return leafHashes.map((leafHash) => byLeaf.get(Buffer.from(leafHash).toString("hex")));
      }),
    readEntries: (index, count) =>
      guard("read entries", async () => {
        checkEntryRange(index, count);
        if (count === 0) return [];
        const rows = await db
          .selectFrom("log_entries")
          .select(RECORD_COLUMNS)
          .where("idx", ">=", index)
          .orderBy("idx")
          .limit(count)
          .execute();
        return rows.map(toRecord);
      }),
    append: (batch) => guard("append to the log", () => append(batch)),
    tryAcquireSequencer: () => guard("acquire the sequencer lease", () => parts.tryAcquireSequencer()),
    queue: {
      enqueue: (body) =>
        guard("queue a submission", async () => {
          await db.insertInto("log_queue").values({ body: asBuffer(body) }).execute();
        }),
      take: (max) =>
        guard("take queued submissions", () =>
          parts.writeTransaction(async (trx) => {
            // Oldest first; SKIP LOCKED (PostgreSQL) lets a second taker pass over rows the first has locked instead
            // of waiting, and the delete in the same transaction hands each row to one taker only.
            let oldest = trx.selectFrom("log_queue").select(["id", "body"]).orderBy("id").limit(max);
            if (parts.lockHeadRow) oldest = oldest.forUpdate().skipLocked();
            const rows = await oldest.execute();
            if (rows.length === 0) return [];
            await trx.deleteFrom("log_queue").where("id", "in", rows.map((r) => r.id)).execute();
            return rows.map((r) => plainBytes(r.body));
          }),
        ),
    },
    close: () => (closing ??= parts.close()),
  };

  async function guard<T>(doing: string, run: () => Promise<T>): Promise<T> {
    if (closing !== undefined) throw new VouchError("STORE_UNAVAILABLE", `cannot ${doing}: the store is closed`);
    try {
      return await run();
    } catch (err) {
      throw storeFailure(err, `cannot ${doing}`);
    }
  }
}

const RECORD_COLUMNS = ["idx", "leaf_hash", "integrated_time", "bundle_offset"] as const;

function toRecord(row: { idx: number | string; leaf_hash: Uint8Array; integrated_time: number | string; bundle_offset: number | null }): LogEntryRecord {
  const record: LogEntryRecord = { index: toCount(row.idx), leafHash: plainBytes(row.leaf_hash), integratedTime: toCount(row.integrated_time) };
  if (row.bundle_offset !== null) record.bundleOffset = toCount(row.bundle_offset);
  return record;
}

/** A BIGINT as a JS number (pg returns int8 as a string). Past 2^53 a number would silently round: refuse it. */
function toCount(value: number | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new VouchError("STORE_CORRUPT", `stored integer ${value} is not a safe integer`);
  return n;
}

/** The drivers bind Buffers as BLOB / bytea; a view, not a copy (the batch is written before append resolves). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_INSERT) out.push(items.slice(i, i + ROWS_PER_INSERT));
  return out;
}
