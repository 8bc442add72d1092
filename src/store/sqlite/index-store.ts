import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { storeFailure } from "../log-common.js";
import type { IndexStore } from "../ports.js";
import { migrateIndexToLatest, sqlIndexStore, type IndexDatabase } from "../sql-index-store.js";
import { BUSY_TIMEOUT_MS, inProcessTurn, migrateWithRetry } from "./sqlite-common.js";

/**
 * The SBOM index in one SQLite file (better-sqlite3 through Kysely), the default: `<data dir>/index.sqlite`.
 *
 * WAL with two connections: one writes, one reads, so an impact query never queues behind an ingest (Kysely's SQLite
 * driver serialises everything on one connection, a transaction included). One ingest is one BEGIN IMMEDIATE
 * transaction, taken in this process's turn for the file (sqlite-common.ts), so concurrent ingests of one SBOM
 * meet the unique id one after another. synchronous=FULL: an acknowledged SBOM or deployment survives a power loss
 * (the index is the record of what was pushed, not a copy of a public feed that can be re-imported).
 */
export async function openSqliteIndexStore(file: string): Promise<IndexStore> {
  const path = resolve(file);
  let writer: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writer = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    writer.pragma("journal_mode = WAL");
    writer.pragma("synchronous = FULL");
  } catch (err) {
    throw storeFailure(err, `cannot open the SQLite index database ${path}`);
  }
  const db = new Kysely<IndexDatabase>({ dialect: new SqliteDialect({ database: writer }) });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  let reader: Kysely<IndexDatabase>;
  try {
    await exclusive(() => migrateWithRetry(() => migrateIndexToLatest(db, "sqlite")));
    const readHandle = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    readHandle.pragma("query_only = true");
    reader = new Kysely<IndexDatabase>({ dialect: new SqliteDialect({ database: readHandle }) });
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot prepare the SQLite index database ${path}`);
  }
  return sqlIndexStore({
    db,
    reader,
    writeTransaction: (work) =>
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
    close: async () => {
      await reader.destroy();
      await exclusive(() => db.destroy());
    },
  });
}
