import Database from "better-sqlite3";
import { storeFailure } from "../log-common.js";
import type { DecisionStore } from "../ports.js";
import { migrateDecisionsToLatest, sqlDecisionStore, type DecisionDatabase, type DecisionTable } from "../sql-decision-store.js";
import { BUSY_TIMEOUT_MS, inProcessTurn, openSqliteStore } from "./sqlite-common.js";

const COLUMNS = [
  "id",
  "at",
  "time",
  "source",
  "kind",
  "namespace",
  "name",
  "labels",
  "uid",
  "operation",
  "allowed",
  "needs_reconciliation",
  "decision",
  "reconciles",
  "reconciled_at",
  "reconciled_by",
] as const satisfies readonly (keyof DecisionTable)[];

/**
 * Policy decisions in SQLite: by default in the SBOM index's file, `<data>/index.sqlite`, with their own migration
 * table. WAL, so `vouch admission reconcile` from the CLI sees what a running webhook recorded, and writes take the
 * file's in-process writer turn, shared with the index store.
 */
export async function openSqliteDecisionStore(file: string): Promise<DecisionStore> {
  // NORMAL, not FULL: a decision event lost to a power cut is re-derivable (the webhook decides again on retry),
  // and admission records one per request.
  const { path, db } = await openSqliteStore<DecisionDatabase>(file, {
    what: "decision store",
    synchronous: "NORMAL",
    migrate: (d) => migrateDecisionsToLatest(d, "sqlite"),
  });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  // The engine's background writer records through recordBatch: one statement prepared once (Kysely's driver
  // prepares every query again) and one transaction per batch, on a connection of its own.
  let raw: Database.Database;
  try {
    raw = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    raw.pragma("synchronous = NORMAL");
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot open the SQLite decision store ${path}`);
  }
  const insert = raw.prepare<unknown[]>(`insert into policy_decisions (${COLUMNS.join(", ")}) values (${COLUMNS.map(() => "?").join(", ")}) on conflict (id) do nothing`);
  const insertAll = raw.transaction((rows: readonly DecisionTable[]) => rows.filter((row) => insert.run(COLUMNS.map((c) => row[c])).changes > 0).map((row) => row.id));
  return sqlDecisionStore({
    db,
    write: exclusive,
    insertRows: async (rows) => insertAll(rows),
    isDuplicateKey: (err) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
    },
    close: () =>
      exclusive(async () => {
        raw.close();
        await db.destroy();
      }),
  });
}
