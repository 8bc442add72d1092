import { setTimeout as sleep } from "node:timers/promises";

/** What the SQLite drivers (log, advisories) share: how they wait for each other, in-process and across processes. */

/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Kysely runs migrations in a deferred transaction; when another process migrates the same new file at the same
 * moment, ours fails with SQLITE_BUSY (a stale read snapshot cannot be upgraded). Trying again finds the work done.
 */
export async function migrateWithRetry(migrate: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate();
      return;
    } catch (err) {
      const code = String((err as { code?: unknown } | undefined)?.code ?? "");
      if (!code.startsWith("SQLITE_BUSY") || attempt >= 10) throw err;
      await sleep(50 * attempt);
    }
  }
}

/**
 * One writer at a time per database file within this process. better-sqlite3 waits for a busy lock synchronously,
 * blocking the event loop: two stores of one process on the same file would then wait for each other for the whole
 * busy timeout. Queuing them here instead leaves SQLite's lock to other processes.
 */
const turns = new Map<string, Promise<unknown>>();

export async function inProcessTurn<T>(path: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(path) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(path, settled);
  try {
    return await mine;
  } finally {
    if (turns.get(path) === settled) turns.delete(path);
  }
}
