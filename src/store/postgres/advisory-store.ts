import { createHash } from "node:crypto";
import { Kysely, PostgresDialect, sql, type PostgresPool } from "kysely";
import pg from "pg";
import { storeFailure } from "../log-common.js";
import type { AdvisoryStore } from "../ports.js";
import { migrateAdvisoriesToLatest, sqlAdvisoryStore, type AdvisoryDatabase } from "../sql-advisory-store.js";

/**
 * The advisory database in PostgreSQL (pg through Kysely), with DATABASE_URL: its tables (`advisory_*`) beside the
 * log's in the connection's schema, with their own migration bookkeeping.
 *
 * One import is one transaction that first takes a transaction-scoped advisory lock, so imports from several
 * processes run one after another and each decides "later `modified` wins" against committed rows; readers never
 * wait (MVCC) and see an import whole or not at all.
 *
 * Given a connection string, the store owns its pool and ends it on close; given a pg.Pool, it borrows it.
 */
export async function openPostgresAdvisoryStore(connection: string | pg.Pool): Promise<AdvisoryStore> {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 10 }) : connection;
  // An idle client whose server goes away emits "error" on the pool; unhandled, that would crash the process.
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<AdvisoryDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateAdvisoriesToLatest(db, "postgres");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL advisory database");
  }
  return sqlAdvisoryStore({
    db,
    importTransaction: (work) =>
      db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${IMPORT_LOCK_KEY}::bigint)`.execute(trx);
        return work(trx);
      }),
    close: () => db.destroy(),
  });
}

/** One 64-bit key for "the vouch advisory importer", derived from a name to stay clear of other applications' locks. */
const IMPORT_LOCK_KEY = createHash("sha256").update("vouch advisory database import").digest().readBigInt64BE(0).toString();
