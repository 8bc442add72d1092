import type { AdvisoryStore } from "../ports.js";
import { migrateAdvisoriesToLatest, sqlAdvisoryStore, type AdvisoryDatabase } from "../sql-advisory-store.js";
import { immediateTransaction, inProcessTurn, openSqliteStore } from "./sqlite-common.js";

/**
 * The advisory database in one SQLite file (better-sqlite3 through Kysely), the default: `<data dir>/advisories.sqlite`.
 *
 * WAL, so a scan reads while an import writes; synchronous=NORMAL, since the database is a copy of public feeds that an
 * import rebuilds (a power loss may lose the last import, never corrupt the file). One import is one
 * BEGIN IMMEDIATE transaction: SQLite's write lock is taken before the first read, so two importers never decide
 * "later `modified` wins" against the same stale rows.
 */
export async function openSqliteAdvisoryStore(file: string): Promise<AdvisoryStore> {
  const { path, db } = await openSqliteStore<AdvisoryDatabase>(file, {
    what: "advisory database",
    synchronous: "NORMAL",
    migrate: (d) => migrateAdvisoriesToLatest(d, "sqlite"),
  });
  return sqlAdvisoryStore({
    db,
    importTransaction: (work) => immediateTransaction(db, path, work),
    close: () => inProcessTurn(path, () => db.destroy()),
  });
}
