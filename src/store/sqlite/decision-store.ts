import type { DecisionStore } from "../ports.js";
import { migrateDecisionsToLatest, sqlDecisionStore, type DecisionDatabase } from "../sql-decision-store.js";
import { inProcessTurn, openSqliteStore } from "./sqlite-common.js";

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
  return sqlDecisionStore({
    db,
    write: exclusive,
    isDuplicateKey: (err) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
    },
    close: () => exclusive(() => db.destroy()),
  });
}
