import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { DecisionStore } from "../ports.js";
import { migrateDecisionsToLatest, sqlDecisionStore, type DecisionDatabase, type DecisionTable } from "../sql-decision-store.js";
import type { DecisionWorkerData, DecisionWorkerReply, DecisionWorkerRequest } from "./decision-store-worker.js";
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
  // The engine's background writer records through recordBatch, in a worker thread of its own (one statement
  // prepared once, one transaction per batch): the writes and SQLite's WAL checkpoints do not stop this thread's
  // event loop, which answers admission requests meanwhile.
  const writer = new WriterThread({ path, columns: COLUMNS, busyTimeoutMs: BUSY_TIMEOUT_MS });
  return sqlDecisionStore({
    db,
    write: exclusive,
    insertRows: (rows) => writer.insert(rows.map((row) => COLUMNS.map((c) => row[c]))),
    isDuplicateKey: (err) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
    },
    close: () =>
      exclusive(async () => {
        await writer.close();
        await db.destroy();
      }),
  });
}

/**
 * The batch writes' worker thread, started on the first batch (a CLI run that records one decision never starts it)
 * and again after it died; unref'd, so it never keeps a process alive. A write the worker could not do rejects with
 * the SQLite error (its code kept); a worker that died rejects what it held.
 */
class WriterThread {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (ids: string[]) => void; reject: (error: Error) => void }>();

  constructor(private readonly data: DecisionWorkerData) {}

  insert(rows: readonly (readonly unknown[])[]): Promise<string[]> {
    const worker = (this.#worker ??= this.#start());
    const id = this.#next++;
    return new Promise<string[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, rows } satisfies DecisionWorkerRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    // Callers await their writes before closing the store; terminate ends the thread (its connection with it).
    await worker?.terminate();
  }

  #start(): Worker {
    const fromSource = import.meta.url.endsWith(".ts");
    const entry = new URL(fromSource ? "./decision-store-worker.ts" : "./decision-store-worker.js", import.meta.url);
    // Flags a worker refuses (--input-type) or that would make it write a profile of its own (--cpu-prof*) stay out.
    const inherited = process.execArgv.filter((arg) => !arg.startsWith("--input-type") && !arg.startsWith("--cpu-prof"));
    const worker = new Worker(entry, { workerData: this.data, execArgv: fromSource ? [...inherited, "--import", tsxLoaderUrl()] : inherited });
    worker.unref();
    worker.on("message", (reply: DecisionWorkerReply) => {
      const waiting = this.#pending.get(reply.id);
      if (waiting === undefined) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if ("stored" in reply) waiting.resolve(reply.stored);
      else waiting.reject(Object.assign(new Error(reply.error.message), reply.error.code !== undefined ? { code: reply.error.code } : {}));
    });
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the decision store's writer thread exited (${code})`)));
    return worker;
  }
}

let tsxLoader: string | undefined;

/** tsx's loader, for the worker when running from the TypeScript sources (vitest, tsx), as spawnVerifyWorker does. */
function tsxLoaderUrl(): string {
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return tsxLoader;
}
