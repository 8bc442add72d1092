import type { AttestationStore } from "../ports.js";
import { migrateAttestationsToLatest, sqlAttestationStore, type AttestationDatabase } from "../sql-attestation-store.js";
import { immediateTransaction, inProcessTurn, openSqliteStore } from "./sqlite-common.js";

/**
 * Attestations in SQLite, by default in the SBOM index's file (`<data>/index.sqlite`) with their own migration table.
 * As the index store: WAL, a writer and a query-only reader connection, one BEGIN IMMEDIATE transaction per ingest in
 * this process's writer turn for the file (shared with the index and token stores), synchronous=FULL (an
 * acknowledged attestation survives a power loss).
 */
export async function openSqliteAttestationStore(file: string): Promise<AttestationStore> {
  const { path, db, reader } = await openSqliteStore<AttestationDatabase>(file, {
    what: "attestation store",
    synchronous: "FULL",
    reader: true,
    migrate: (d) => migrateAttestationsToLatest(d, "sqlite"),
  });
  return sqlAttestationStore({
    db,
    reader,
    writeTransaction: (work) => immediateTransaction(db, path, work),
    close: async () => {
      await reader.destroy();
      await inProcessTurn(path, () => db.destroy());
    },
  });
}
