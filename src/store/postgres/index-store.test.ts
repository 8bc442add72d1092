import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { describeIndexStoreContract } from "../index-store.contract.js";
import { ADVISORY_MIGRATION_NAMES } from "../sql-advisory-store.js";
import { INDEX_MIGRATION_NAMES } from "../sql-index-store.js";
import { openPostgresAdvisoryStore } from "./advisory-store.js";
import { openPostgresIndexStore } from "./index-store.js";

const unavailable = await postgresUnavailable();

if (unavailable === undefined) {
  describeIndexStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return { open: () => openPostgresIndexStore(database.url), dispose: () => database.drop() };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL index store", () => {
  it("shares a database with the advisory store, each with its own migration list", async () => {
    const database = await createTestDatabase();
    try {
      await (await openPostgresIndexStore(database.url)).close();
      await (await openPostgresAdvisoryStore(database.url)).close();
      await (await openPostgresIndexStore(database.url)).close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        expect((await client.query<{ name: string }>("select name from vouch_index_migration")).rows.map((r) => r.name)).toEqual([...INDEX_MIGRATION_NAMES]);
        expect((await client.query<{ name: string }>("select name from vouch_advisory_migration")).rows.map((r) => r.name)).toEqual([...ADVISORY_MIGRATION_NAMES]);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it("runs its migrations once when two stores open a new database at the same time", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresIndexStore(database.url), openPostgresIndexStore(database.url)]);
      for (const store of stores) await store.ping();
      for (const store of stores) await store.close();
    } finally {
      await database.drop();
    }
  });
});
