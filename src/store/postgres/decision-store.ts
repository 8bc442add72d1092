import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import pg from "pg";
import { storeFailure } from "../log-common.js";
import type { DecisionStore } from "../ports.js";
import { migrateDecisionsToLatest, sqlDecisionStore, type DecisionDatabase } from "../sql-decision-store.js";

/**
 * Policy decisions in PostgreSQL (DATABASE_URL): the `policy_decisions` table beside the index's, with its own
 * migration bookkeeping. Given a connection string, the store owns its pool and ends it on close; given a pg.Pool, it
 * borrows it.
 */
export async function openPostgresDecisionStore(connection: string | pg.Pool): Promise<DecisionStore> {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 4 }) : connection;
  // An idle client whose server goes away emits "error" on the pool; unhandled, that would crash the process.
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<DecisionDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateDecisionsToLatest(db, "postgres");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL decision store");
  }
  return sqlDecisionStore({
    db,
    write: (work) => work(),
    isDuplicateKey: (err) => (err as { code?: unknown } | undefined)?.code === "23505",
    close: () => db.destroy(),
  });
}
