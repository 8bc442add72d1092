import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { storeFailure } from "../log-common.js";
import type { AttestationStore } from "../ports.js";
import { migrateAttestationsToLatest, sqlAttestationStore, type AttestationDatabase } from "../sql-attestation-store.js";
import { BUSY_TIMEOUT_MS, inProcessTurn, migrateWithRetry } from "./sqlite-common.js";

/**
 * Attestations in SQLite, by default in the SBOM index's file (`<data>/index.sqlite`) with their own migration table.
 * As the index store: WAL, a writer and a query-only reader connection, one BEGIN IMMEDIATE transaction per ingest in
 * this process's writer turn for the file (shared with the index and token stores), synchronous=FULL (an
 * acknowledged attestation survives a power loss).
 */
export async function openSqliteAttestationStore(file: string): Promise<AttestationStore> {
  const path = resolve(file);
  let writer: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writer = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    writer.pragma("journal_mode = WAL");
    writer.pragma("synchronous = FULL");
  } catch (err) {
    throw storeFailure(err, `cannot open the SQLite attestation store ${path}`);
  }
  const db = new Kysely<AttestationDatabase>({ dialect: new SqliteDialect({ database: writer }) });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  let reader: Kysely<AttestationDatabase>;
  try {
    await exclusive(() => migrateWithRetry(() => migrateAttestationsToLatest(db, "sqlite")));
    const readHandle = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    readHandle.pragma("query_only = true");
    reader = new Kysely<AttestationDatabase>({ dialect: new SqliteDialect({ database: readHandle }) });
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot prepare the SQLite attestation store ${path}`);
  }
  return sqlAttestationStore({
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
