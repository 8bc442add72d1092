import type { ScanStore } from "../ports.js";
import { migrateScansToLatest, sqlScanStore, type ScanDatabase } from "../sql-scan-store.js";
import { immediateTransaction, inProcessTurn, openSqliteStore } from "./sqlite-common.js";

/**
 * Scan results in SQLite, by default in the SBOM index's file (`<data>/index.sqlite`) with their own migration table
 * (`vouch_scan_migration`). As the index store: WAL, a writer and a query-only reader connection, one BEGIN
 * IMMEDIATE transaction per ingest in this process's writer turn for the file, synchronous=FULL.
 */
export async function openSqliteScanStore(file: string): Promise<ScanStore> {
  const { path, db, reader } = await openSqliteStore<ScanDatabase>(file, {
    what: "scan store",
    synchronous: "FULL",
    reader: true,
    migrate: (d) => migrateScansToLatest(d, "sqlite"),
  });
  return sqlScanStore({
    db,
    reader,
    writeTransaction: (work) => immediateTransaction(db, path, work),
    close: async () => {
      await reader.destroy();
      await inProcessTurn(path, () => db.destroy());
    },
  });
}
