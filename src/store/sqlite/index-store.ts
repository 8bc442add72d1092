import { sql, type Kysely } from "kysely";
import type { IndexStore } from "../ports.js";
import { migrateIndexToLatest, sqlIndexStore, type IndexDatabase } from "../sql-index-store.js";
import { inProcessTurn, openSqliteStore } from "./sqlite-common.js";

/**
 * The SBOM index in one SQLite file (better-sqlite3 through Kysely), the default: `<data dir>/index.sqlite`.
 *
 * WAL with two connections: one writes, one reads, so an impact query never queues behind an ingest (Kysely's SQLite
 * driver serialises everything on one connection, a transaction included). Writes are group-committed: the ingests
 * waiting for the writer when it frees up go into one BEGIN IMMEDIATE transaction, each in a SAVEPOINT of its own, so
 * one that fails is rolled back alone while the others commit together; each caller is answered only after the
 * COMMIT. Taken in this process's turn for the file (sqlite-common.ts), so concurrent ingests of one SBOM meet the
 * unique id one after another. synchronous=FULL: an acknowledged SBOM or deployment survives a power loss (the index
 * is the record of what was pushed, not a copy of a public feed that can be re-imported).
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
    writeTransaction: groupCommit(db, path),
    close: async () => {
      await reader.destroy();
      await inProcessTurn(path, () => db.destroy());
    },
  });
}

/** Writes per transaction at most: a batch holds the writer lock (and the first caller's answer) for all of them. */
export const GROUP_COMMIT_MAX = 8;

interface Queued {
  work: (trx: Kysely<IndexDatabase>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * A writeTransaction that commits the writes queued behind one another together. SQLite takes one writer at a time,
 * so 8 concurrent ingests queue anyway; committing them in one transaction pays for one WAL sync instead of eight.
 * Each write is in a SAVEPOINT: when it rejects, only it is rolled back (all-or-nothing per write, as the contract
 * asks); when the COMMIT fails, every write of the batch is rejected and nothing of them is stored.
 */
function groupCommit(db: Kysely<IndexDatabase>, path: string): <T>(work: (trx: Kysely<IndexDatabase>) => Promise<T>) => Promise<T> {
  const queue: Queued[] = [];
  let draining = false;

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        let taken = false;
        await inProcessTurn(path, () =>
          db.connection().execute(async (conn) => {
            // Taken in the turn: everything queued while waiting for it joins this batch.
            const batch = queue.splice(0, GROUP_COMMIT_MAX);
            taken = true;
            const done: { item: Queued; value: unknown }[] = [];
            let next = 0;
            try {
              await sql`begin immediate`.execute(conn);
              for (; next < batch.length; next++) {
                const item = batch[next]!;
                await sql`savepoint ingest`.execute(conn);
                let value: unknown;
                try {
                  value = await item.work(conn);
                } catch (err) {
                  // Undo this write only. If SQLite rolled the whole transaction back itself (SQLITE_FULL, IOERR),
                  // ROLLBACK TO fails and the batch fails below.
                  await sql`rollback to ingest`.execute(conn);
                  await sql`release ingest`.execute(conn);
                  item.reject(err);
                  continue;
                }
                await sql`release ingest`.execute(conn);
                done.push({ item, value });
              }
              await sql`commit`.execute(conn);
            } catch (err) {
              await sql`rollback`.execute(conn).catch(() => undefined);
              for (const d of done) d.item.reject(err);
              for (const item of batch.slice(next)) item.reject(err);
              return;
            }
            for (const d of done) d.item.resolve(d.value);
          }),
        ).catch((err: unknown) => {
          // The connection could not be had (the store is closing): nothing of the next batch ran; fail it rather
          // than spin. (A batch once taken answers every one of its writes itself.)
          if (!taken) for (const item of queue.splice(0, GROUP_COMMIT_MAX)) item.reject(err);
        });
      }
    } finally {
      draining = false;
    }
  }

  return <T>(work: (trx: Kysely<IndexDatabase>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!draining) void drain();
    });
}
