import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import pg from "pg";
import { storeFailure } from "../log-common.js";
import type { ScanStore } from "../ports.js";
import { migrateScansToLatest, sqlScanStore, type ScanDatabase } from "../sql-scan-store.js";

/**
 * Scan results in PostgreSQL (DATABASE_URL), beside the index's tables, with their own migration bookkeeping
 * (`vouch_scan_migration`). One ingest is one READ COMMITTED transaction: two ingests of one report meet on the
 * unique `scans.id`. Given a connection string, the store owns its pool; given a pg.Pool, it borrows it.
 */
export async function openPostgresScanStore(connection: string | pg.Pool): Promise<ScanStore> {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 4 }) : connection;
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<ScanDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateScansToLatest(db, "postgres");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL scan store");
  }
  return sqlScanStore({
    db,
    writeTransaction: (work) => db.transaction().execute(work),
    close: () => db.destroy(),
  });
}
