import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { storeFailure } from "../log-common.js";
import type { AdvisoryStore } from "../ports.js";
import { migrateAdvisoriesToLatest, sqlAdvisoryStore, type AdvisoryDatabase } from "../sql-advisory-store.js";
import { BUSY_TIMEOUT_MS, inProcessTurn, migrateWithRetry } from "./sqlite-common.js";

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
    await exclusive(() => migrateWithRetry(() => migrateAdvisoriesToLatest(db, "sqlite")));
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
