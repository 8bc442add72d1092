import type { TokenStore } from "../ports.js";
import { migrateTokensToLatest, sqlTokenStore, type TokenDatabase } from "../sql-token-store.js";
import { inProcessTurn, openSqliteStore } from "./sqlite-common.js";

/**
 * API tokens in SQLite (better-sqlite3 through Kysely): by default in the SBOM index's file, `<data>/index.sqlite`,
 * with their own migration table. WAL, so `vouch token create` and `revoke` from the CLI are seen by a running
 * server at its next lookup; writes take the file's in-process writer turn, shared with the index store.
 */
export async function openSqliteTokenStore(file: string): Promise<TokenStore> {
  // FULL, not NORMAL: a token the CLI printed must survive a power loss, and token writes are rare.
  const { path, db } = await openSqliteStore<TokenDatabase>(file, {
    what: "token store",
    synchronous: "FULL",
    migrate: (d) => migrateTokensToLatest(d, "sqlite"),
  });
  const exclusive = <T>(work: () => Promise<T>) => inProcessTurn(path, work);
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
