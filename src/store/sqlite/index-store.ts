import type { IndexStore } from "../ports.js";
import { migrateIndexToLatest, sqlIndexStore, type IndexDatabase } from "../sql-index-store.js";
import { immediateTransaction, inProcessTurn, openSqliteStore } from "./sqlite-common.js";

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
  const { path, db, reader } = await openSqliteStore<IndexDatabase>(file, {
    what: "index database",
    synchronous: "FULL",
    reader: true,
    migrate: (d) => migrateIndexToLatest(d, "sqlite"),
  });
  return sqlIndexStore({
    db,
    reader,
    writeTransaction: (work) => immediateTransaction(db, path, work),
    close: async () => {
      await reader.destroy();
      await inProcessTurn(path, () => db.destroy());
    },
  });
}
