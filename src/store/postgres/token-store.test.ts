import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { TOKEN_MIGRATION_NAMES } from "../sql-token-store.js";
import { describeTokenStoreContract } from "../token-store.contract.js";
import { openPostgresTokenStore } from "./token-store.js";

const unavailable = await postgresUnavailable();

if (unavailable === undefined) {
  describeTokenStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return { open: () => openPostgresTokenStore(database.url), dispose: () => database.drop() };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL token store", () => {
  it("records its own migrations, once, when two stores open a new database at the same time", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresTokenStore(database.url), openPostgresTokenStore(database.url)]);
      for (const store of stores) expect(await store.list()).toEqual([]);
      for (const store of stores) await store.close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      expect((await client.query<{ name: string }>("select name from vouch_token_migration")).rows.map((r) => r.name)).toEqual([...TOKEN_MIGRATION_NAMES]);
      await client.end();
    } finally {
      await database.drop();
    }
  });
});
