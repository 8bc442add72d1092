import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { storeFailure } from "../log-common.js";
import type { AdvisoryStore } from "../ports.js";
import { migrateAdvisoriesToLatest, sqlAdvisoryStore, type AdvisoryDatabase } from "../sql-advisory-store.js";

/**
 * The advisory database in one SQLite file (better-sqlite3 through Kysely), the default: `<data dir>/advisories.sqlite`.
 *
 * WAL, so a scan reads while an import writes; synchronous=NORMAL, since the database is a copy of public feeds that an
 * import rebuilds (a power loss may lose the last import, never corrupt the file). One import is one
 * BEGIN IMMEDIATE transaction: SQLite's write lock is taken before the first read, so two importers never decide
 * "later `modified` wins" against the same stale rows.
 */
export async function openSqliteAdvisoryStore(file: string): Promise<AdvisoryStore> {
  const path = resolve(file);
  let database: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    database = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
  } catch (err) {
    throw storeFailure(err, `cannot open the SQLite advisory database ${path}`);
  }
  const db = new Kysely<AdvisoryDatabase>({ dialect: new SqliteDialect({ database }) });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  try {
    await exclusive(() => migrateWithRetry(db));
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot prepare the SQLite advisory database ${path}`);
  }
  return sqlAdvisoryStore({
    db,
    importTransaction: (work) =>
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
      ),
    close: () => exclusive(() => db.destroy()),
  });
}

/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Another process migrating the same new file at once makes ours fail with SQLITE_BUSY; trying again finds it done. */
async function migrateWithRetry(db: Kysely<AdvisoryDatabase>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateAdvisoriesToLatest(db, "sqlite");
      return;
    } catch (err) {
      const code = String((err as { code?: unknown } | undefined)?.code ?? "");
      if (!code.startsWith("SQLITE_BUSY") || attempt >= 10) throw err;
      await sleep(50 * attempt);
    }
  }
}

/**
 * One writer at a time per database file within this process (as sqlite/log-store.ts does): better-sqlite3 waits for
 * a busy lock synchronously, blocking the event loop, so two stores of one process on one file would wait for each
 * other for the whole busy timeout. Queuing them here leaves SQLite's lock to other processes.
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
