import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { isOwnerAlive, markHeld, newLockOwner, parseLockOwner, pollingLease } from "../lockfile.js";
import { storeFailure, type LogStoreTestHooks } from "../log-common.js";
import type { LogStore, SequencerLease } from "../ports.js";
import { migrateToLatest, type LogDatabase } from "../schema.js";
import { sqlLogStore } from "../sql-log-store.js";
import { BUSY_TIMEOUT_MS, inProcessTurn, migrateWithRetry } from "./sqlite-common.js";

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
    await exclusive(() => migrateWithRetry(() => migrateToLatest(db, "sqlite")));
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
