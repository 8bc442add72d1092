/**
 * The worker-thread entry of the SQLite decision store's batch writes (decision-store.ts): its own connection to the
 * file, one INSERT prepared once, one transaction per batch. better-sqlite3 is synchronous, so a write (and the WAL
 * checkpoint SQLite runs every ~1,000 pages, several ms) would otherwise stop the event loop that answers admission
 * requests. Started by file URL: dist/store/sqlite/decision-store-worker.js, or this file under tsx's loader when
 * running from the sources.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

export interface DecisionWorkerData {
  path: string;
  columns: readonly string[];
  busyTimeoutMs: number;
}

/** Main thread → worker: rows as column-ordered value lists. */
export interface DecisionWorkerRequest {
  id: number;
  rows: readonly (readonly unknown[])[];
}

/** Worker → main thread: the ids stored (the others were already there), or the failure. */
export type DecisionWorkerReply = { id: number; stored: string[] } | { id: number; error: { message: string; code?: string } };

const port = parentPort;
if (port === null) throw new Error("decision-store-worker runs only as a worker thread started by openSqliteDecisionStore()");

const data = workerData as DecisionWorkerData;
const db = new Database(data.path, { timeout: data.busyTimeoutMs });
db.pragma("synchronous = NORMAL");
const insert = db.prepare<unknown[]>(`insert into policy_decisions (${data.columns.join(", ")}) values (${data.columns.map(() => "?").join(", ")}) on conflict (id) do nothing`);
// The id is the first column.
const insertAll = db.transaction((rows: readonly (readonly unknown[])[]) => rows.filter((row) => insert.run(row).changes > 0).map((row) => String(row[0])));

port.on("message", ({ id, rows }: DecisionWorkerRequest) => {
  let reply: DecisionWorkerReply;
  try {
    reply = { id, stored: insertAll(rows) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    reply = { id, error: { message: error instanceof Error ? error.message : String(error), ...(typeof code === "string" ? { code } : {}) } };
  }
  port.postMessage(reply);
});
port.on("close", () => db.close());
