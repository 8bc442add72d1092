import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { storeFailure } from "../log-common.js";
import type { TokenStore } from "../ports.js";
import { migrateTokensToLatest, sqlTokenStore, type TokenDatabase } from "../sql-token-store.js";
import { BUSY_TIMEOUT_MS, inProcessTurn, migrateWithRetry } from "./sqlite-common.js";

/**
 * API tokens in SQLite (better-sqlite3 through Kysely): by default in the SBOM index's file, `<data>/index.sqlite`,
 * with their own migration table. WAL, so `vouch token create` and `revoke` from the CLI are seen by a running
 * server at its next lookup; writes take the file's in-process writer turn, shared with the index store.
 */
export async function openSqliteTokenStore(file: string): Promise<TokenStore> {
  const path = resolve(file);
  let database: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    database = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    database.pragma("journal_mode = WAL");
    // FULL, not NORMAL: a token the CLI printed must survive a power loss, and token writes are rare.
    database.pragma("synchronous = FULL");
  } catch (err) {
    throw storeFailure(err, `cannot open the SQLite token store ${path}`);
  }
  const db = new Kysely<TokenDatabase>({ dialect: new SqliteDialect({ database }) });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
  try {
    await exclusive(() => migrateWithRetry(() => migrateTokensToLatest(db, "sqlite")));
  } catch (err) {
    await db.destroy();
    throw storeFailure(err, `cannot prepare the SQLite token store ${path}`);
  }
  return sqlTokenStore({
    db,
    write: exclusive,
    isDuplicateKey: (err) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
    },
    close: () => exclusive(() => db.destroy()),
  });
}
