import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import pg from "pg";
import { storeFailure } from "../log-common.js";
import type { AttestationStore } from "../ports.js";
import { migrateAttestationsToLatest, sqlAttestationStore, type AttestationDatabase } from "../sql-attestation-store.js";

/**
 * Attestations in PostgreSQL (DATABASE_URL), beside the index's tables, with their own migration bookkeeping
 * (`vouch_attestation_migration`). One ingest is one READ COMMITTED transaction: two ingests of one document meet on
 * the unique `attestations.id`. Given a connection string, the store owns its pool; given a pg.Pool, it borrows it.
 */
export async function openPostgresAttestationStore(connection: string | pg.Pool): Promise<AttestationStore> {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 4 }) : connection;
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<AttestationDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateAttestationsToLatest(db, "postgres");
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL attestation store");
  }
  return sqlAttestationStore({
    db,
    flavor: "postgres",
    writeTransaction: (work) => db.transaction().execute(work),
    close: () => db.destroy(),
  });
}
