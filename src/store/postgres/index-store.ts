import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import pg from "pg";
import { storeFailure } from "../log-common.js";
import type { IndexStore } from "../ports.js";
import { migrateIndexToLatest, sqlIndexStore, type IndexDatabase } from "../sql-index-store.js";

/**
 * The SBOM index in PostgreSQL (pg through Kysely), with DATABASE_URL: its tables (`sboms`, `sbom_components`,
 * `deployments`…) beside the log's and the advisories' in the connection's schema, with their own migration
 * bookkeeping (`vouch_index_migration`).
 *
 * One ingest is one READ COMMITTED transaction: two ingests of one SBOM meet on the unique `sboms.id` (the second
 * waits for the first's row, then finds it committed and stores nothing), and the current deployment per (service,
 * environment) is one upsert whose condition PostgreSQL re-checks on the latest row version. The deployments' SBOM
 * facts, which both ingests keep, take transaction-scoped advisory locks per digest and service (sql-sbom-facts.ts).
 * Readers never wait (MVCC) and see an ingest whole or not at all.
 *
 * Given a connection string, the store owns its pool and ends it on close; given a pg.Pool, it borrows it.
 */
export async function openPostgresIndexStore(connection: string | pg.Pool): Promise<IndexStore> {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 10 }) : connection;
  // An idle client whose server goes away emits "error" on the pool; unhandled, that would crash the process.
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<IndexDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateIndexToLatest(db, "postgres");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL index database");
  }
  return sqlIndexStore({
    db,
    flavor: "postgres",
    writeTransaction: (work) => db.transaction().execute(work),
    close: () => db.destroy(),
  });
}
