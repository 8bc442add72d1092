import type { Kysely } from "kysely";
import { isOwnerAlive, markHeld, newLockOwner, parseLockOwner, pollingLease } from "../lockfile.js";
import type { LogStoreTestHooks } from "../log-common.js";
import type { LogStore, SequencerLease } from "../ports.js";
import { migrateToLatest, type LogDatabase } from "../schema.js";
import { sqlLogStore } from "../sql-log-store.js";
import { immediateTransaction, inProcessTurn, openSqliteStore } from "./sqlite-common.js";

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
  const { path, db } = await openSqliteStore<LogDatabase>(file, {
    what: "log store",
    synchronous: "FULL",
    migrate: (d) => migrateToLatest(d, "sqlite"),
  });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  const writeTransaction = <T>(work: (trx: Kysely<LogDatabase>) => Promise<T>): Promise<T> => immediateTransaction(db, path, work);

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
