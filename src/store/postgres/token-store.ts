import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import pg from "pg";
import { storeFailure } from "../log-common.js";
import type { TokenStore } from "../ports.js";
import { migrateTokensToLatest, sqlTokenStore, type TokenDatabase } from "../sql-token-store.js";

/**
 * API tokens in PostgreSQL (DATABASE_URL): the `index_tokens` table beside the index's, with its own migration
 * bookkeeping. Given a connection string, the store owns its pool and ends it on close; given a pg.Pool, it borrows it.
 */
export async function openPostgresTokenStore(connection: string | pg.Pool): Promise<TokenStore> {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 4 }) : connection;
  // An idle client whose server goes away emits "error" on the pool; unhandled, that would crash the process.
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<TokenDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateTokensToLatest(db, "postgres");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL token store");
  }
  return sqlTokenStore({
    db,
    write: (work) => work(),
    isDuplicateKey: (err) => (err as { code?: unknown } | undefined)?.code === "23505",
    close: () => db.destroy(),
  });
}
