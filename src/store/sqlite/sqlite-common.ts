import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { storeFailure } from "../log-common.js";

/**
 * What the SQLite drivers (log, advisories, index, tokens, attestations) share: how a store's file is opened and
 * migrated, and how writers wait for each other, in-process and across processes.
 */

/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Kysely runs migrations in a deferred transaction; when another process migrates the same new file at the same
 * moment, ours fails with SQLITE_BUSY (a stale read snapshot cannot be upgraded). Trying again finds the work done.
 */
export async function migrateWithRetry(migrate: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate();
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

export async function inProcessTurn<T>(path: string, work: () => Promise<T>): Promise<T> {
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

/** How much a store's commits survive: FULL for records of what was pushed, NORMAL for copies of public feeds. */
export type Synchronous = "NORMAL" | "FULL";

/**
 * A store's SQLite file, opened as every vouch store opens it: its directory created, WAL (readers never wait for the
 * writer), the busy timeout, the given durability, and its migrations run in this process's writer turn (retried
 * when another process migrates the same new file at the same moment). `what` names the store in errors. With
 * `reader`, also a second, query-only connection, so queries never wait behind an ingest's transaction (Kysely's
 * SQLite driver serialises everything on one connection, a transaction included).
 */
export async function openSqliteStore<DB>(
  file: string,
  options: { what: string; synchronous: Synchronous; migrate: (db: Kysely<DB>) => Promise<void>; reader?: boolean },
): Promise<{ path: string; db: Kysely<DB>; reader: Kysely<DB> }> {
  const path = resolve(file);
  let database: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    database = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    database.pragma("journal_mode = WAL");
    database.pragma(`synchronous = ${options.synchronous}`);
  } catch (err) {
    throw storeFailure(err, `cannot open the SQLite ${options.what} ${path}`);
  }
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
  try {
    await inProcessTurn(path, () => migrateWithRetry(() => options.migrate(db)));
    if (options.reader !== true) return { path, db, reader: db };
    const handle = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    handle.pragma("query_only = true");
    return { path, db, reader: new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) }) };
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot prepare the SQLite ${options.what} ${path}`);
  }
}

/**
 * `work` in one BEGIN IMMEDIATE transaction, in this process's writer turn for the file: SQLite's write lock is taken
 * before the first read, so two writers never decide against the same stale rows.
 */
export function immediateTransaction<DB, T>(db: Kysely<DB>, path: string, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return inProcessTurn(path, () =>
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
}
