import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { isOwnerAlive, markHeld, newLockOwner, parseLockOwner, pollingLease } from "../lockfile.js";
import { storeFailure, type LogStoreTestHooks } from "../log-common.js";
import type { LogStore, SequencerLease } from "../ports.js";
import { migrateToLatest, type LogDatabase } from "../schema.js";
import { sqlLogStore } from "../sql-log-store.js";

export interface SqliteLogStoreOptions {
  /** For the conformance suite only (log-common.ts). */
  testHooks?: LogStoreTestHooks;
}

/**
 * The transparency log in one SQLite file (better-sqlite3 through Kysely).
 *
 * Durability: WAL with synchronous=FULL, so a committed append survives power loss, not only a crash of this process.
 * Atomicity and the compare-and-swap: one BEGIN IMMEDIATE transaction per append takes SQLite's write lock before the
 * head is read, so no other process (or store in this process) can commit between the check and our commit.
 *
 * The sequencer lease is a row (log_sequencer) naming its owner (pid, host, boot, start time), not a lock file: taking
 * over a dead owner's row is itself a transaction, so two contenders can never both win, which a lock file cannot
 * promise without flock(2). A dead owner is judged as in lockfile.ts; the holder polls the row to learn of a loss.
 */
export async function openSqliteLogStore(file: string, options: SqliteLogStoreOptions = {}): Promise<LogStore> {
  const path = resolve(file);
  let database: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    database = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = FULL");
  } catch (err) {
    throw storeFailure(err, `cannot open the SQLite log store ${path}`);
  }
  const db = new Kysely<LogDatabase>({ dialect: new SqliteDialect({ database }) });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  try {
    await exclusive(() => migrateWithRetry(db));
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot prepare the SQLite log store ${path}`);
  }

  const writeTransaction = <T>(work: (trx: Kysely<LogDatabase>) => Promise<T>): Promise<T> =>
    exclusive(() =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          // SQLite may already have rolled back (SQLITE_FULL, SQLITE_IOERR): then ROLLBACK itself errors.
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw err;
        }
      }),
    );

  const leases = new Set<SequencerLease>();

  async function tryAcquireSequencer(): Promise<SequencerLease | undefined> {
    const owner = newLockOwner();
    const ownerJson = JSON.stringify(owner);
    // Marked first: another store in this process reading the row right after our commit must see it live.
    markHeld(owner.token, true);
    let taken = false;
    try {
      taken = await writeTransaction(async (trx) => {
        const row = await trx.selectFrom("log_sequencer").select("owner").where("id", "=", 1).executeTakeFirst();
        const current = row === undefined ? undefined : parseLockOwner(row.owner);
        if (current !== undefined && isOwnerAlive(current)) return false;
        await trx
          .insertInto("log_sequencer")
          .values({ id: 1, owner: ownerJson })
          .onConflict((oc) => oc.column("id").doUpdateSet({ owner: ownerJson }))
          .execute();
        return true;
      });
    } finally {
      if (!taken) markHeld(owner.token, false);
    }
    if (!taken) return undefined;
    const stillHeld = async () => {
      const row = await db.selectFrom("log_sequencer").select("owner").where("id", "=", 1).executeTakeFirst();
      return row?.owner === ownerJson;
    };
    const lease = pollingLease(stillHeld, async () => {
      leases.delete(lease);
      try {
        await writeTransaction((trx) => trx.deleteFrom("log_sequencer").where("id", "=", 1).where("owner", "=", ownerJson).execute());
      } finally {
        markHeld(owner.token, false);
      }
    });
    leases.add(lease);
    return lease;
  }

  return sqlLogStore({
    db,
    writeTransaction,
    lockHeadRow: false,
    isUniqueViolation: (err) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
    },
    tryAcquireSequencer,
    close: async () => {
      for (const lease of [...leases]) await lease.release().catch(() => undefined);
      await exclusive(() => db.destroy());
    },
    hooks: options.testHooks,
  });
}

/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Kysely runs migrations in a deferred transaction; when another process migrates the same new file at the same
 * moment, ours fails with SQLITE_BUSY (a stale read snapshot cannot be upgraded). Trying again finds the work done.
 */
async function migrateWithRetry(db: Kysely<LogDatabase>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(db, "sqlite");
      return;
    } catch (err) {
      const code = String((err as { code?: unknown } | undefined)?.code ?? "");
      if (!code.startsWith("SQLITE_BUSY") || attempt >= 10) throw err;
      await sleep(50 * attempt);
    }
  }
}

/**
 * One writer at a time per database file within this process. better-sqlite3 waits for a busy lock synchronously,
 * blocking the event loop: two stores of one process on the same file would then wait for each other for the whole
 * busy timeout. Queuing them here instead leaves SQLite's lock to other processes.
 */
const turns = new Map<string, Promise<unknown>>();

async function inProcessTurn<T>(path: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(path) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(path, settled);
  try {
    return await mine;
  } finally {
    if (turns.get(path) === settled) turns.delete(path);
  }
}
