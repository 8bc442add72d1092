import type { Kysely } from "kysely";
import { VouchError } from "../core/errors.js";
import type { TokenRecord, TokenScope, TokenStore } from "./ports.js";
import { runMigrations, type NamedMigration, type SqlFlavor } from "./schema.js";
import { storeLifecycle } from "./sql-common.js";

/**
 * The TokenStore over one SQL table, shared by the SQLite and PostgreSQL drivers. Tokens live beside the SBOM
 * index (`<data>/index.sqlite`, or the DATABASE_URL database) with their own migration bookkeeping
 * (`vouch_token_migration`), so the index's and the log's migration lists never see this one.
 *
 * `index_tokens.hash` is the SHA-256 of the token's text as lower-case hex (text in both dialects, so the contract
 * reads the same on both); the token itself is never given to the store.
 */

export interface TokenTable {
  id: string;
  name: string | null;
  /** Comma-joined, sorted. */
  scopes: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface TokenDatabase {
  index_tokens: TokenTable;
}


/** Every token migration, in order; never edit a shipped one. */
const TOKEN_MIGRATIONS: readonly NamedMigration[] = [{ name: "0001_tokens", up: createTokenTable }];

export const TOKEN_MIGRATION_NAMES: readonly string[] = TOKEN_MIGRATIONS.map((m) => m.name);

export async function migrateTokensToLatest(db: Kysely<TokenDatabase>, flavor: SqlFlavor): Promise<void> {
  await runMigrations(db, flavor, TOKEN_MIGRATIONS, { table: "vouch_token_migration" });
}

async function createTokenTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("index_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text")
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .execute();
}

export interface TokenSqlParts {
  db: Kysely<TokenDatabase>;
  /** Runs a write alone (SQLite: the in-process writer queue of the file; PostgreSQL: as is). */
  write<T>(work: () => Promise<T>): Promise<T>;
  /** Whether a driver error is a primary-key violation (the id is taken). */
  isDuplicateKey(err: unknown): boolean;
  close(): Promise<void>;
}

const SCOPES: ReadonlySet<string> = new Set<TokenScope>(["ingest", "read", "admin"]);

export function sqlTokenStore(parts: TokenSqlParts): TokenStore {
  const { db } = parts;
  const { guard, close } = storeLifecycle("the token store", () => parts.close());

  return {
    create: (token) =>
      guard("create a token", async () => {
        try {
          await parts.write(() =>
            db
              .insertInto("index_tokens")
              .values({
                id: token.id,
                name: token.name ?? null,
                scopes: [...new Set(token.scopes)].sort().join(","),
                hash: Buffer.from(token.hash).toString("hex"),
                created_at: token.createdAt,
                expires_at: token.expiresAt ?? null,
                revoked_at: token.revokedAt ?? null,
              })
              .execute(),
          );
        } catch (err) {
          if (parts.isDuplicateKey(err)) throw new VouchError("STORE_CONFLICT", `a token with id ${token.id} already exists`, { cause: err });
          throw err;
        }
      }),
    find: (id) =>
      guard("look up a token", async () => {
        const row = await db.selectFrom("index_tokens").selectAll().where("id", "=", id).executeTakeFirst();
        return row === undefined ? undefined : { ...toRecord(row), hash: new Uint8Array(Buffer.from(row.hash, "hex")) };
      }),
    list: () =>
      guard("list tokens", async () => {
        const rows = await db.selectFrom("index_tokens").selectAll().execute();
        return rows.map(toRecord).sort((a, b) => (a.createdAt === b.createdAt ? compare(a.id, b.id) : compare(a.createdAt, b.createdAt)));
      }),
    revoke: (id, at) =>
      guard("revoke a token", () =>
        parts.write(async () => {
          // `revoked_at is null` keeps the first revocation's time: revoking twice changes nothing.
          await db.updateTable("index_tokens").set({ revoked_at: at }).where("id", "=", id).where("revoked_at", "is", null).execute();
          const row = await db.selectFrom("index_tokens").selectAll().where("id", "=", id).executeTakeFirst();
          return row === undefined ? undefined : toRecord(row);
        }),
      ),
    close,
  };
}

function toRecord(row: TokenTable): TokenRecord {
  const scopes = row.scopes.split(",").filter((s): s is TokenScope => SCOPES.has(s));
  return {
    id: row.id,
    ...(row.name === null ? {} : { name: row.name }),
    scopes,
    createdAt: row.created_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

/** Code-unit order (not locale order), the same on every platform. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
