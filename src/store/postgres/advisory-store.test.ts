import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { describeAdvisoryStoreContract } from "../advisory-store.contract.js";
import { ADVISORY_MIGRATION_NAMES } from "../sql-advisory-store.js";
import { openPostgresLogStore } from "./log-store.js";
import { openPostgresAdvisoryStore } from "./advisory-store.js";

const unavailable = await postgresUnavailable();

if (unavailable === undefined) {
  describeAdvisoryStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return { open: () => openPostgresAdvisoryStore(database.url), dispose: () => database.drop() };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL advisory store", () => {
  it("shares a database with the transparency log, each with its own migration list, in either order", async () => {
    const database = await createTestDatabase();
    try {
      await (await openPostgresAdvisoryStore(database.url)).close();
      await (await openPostgresLogStore(database.url)).close();
      await (await openPostgresAdvisoryStore(database.url)).close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      expect((await client.query<{ name: string }>("select name from vouch_advisory_migration")).rows.map((r) => r.name)).toEqual([...ADVISORY_MIGRATION_NAMES]);
      expect((await client.query<{ name: string }>("select name from vouch_migration")).rows.map((r) => r.name)).toEqual([
        "0001_transparency_log",
        "0002_log_submission_queue",
        "0003_log_entry_bundle_offsets",
      ]);
      const types = await client.query<{ column: string; type: string }>(
        "select table_name || '.' || column_name as column, data_type as type from information_schema.columns where table_name = 'advisory_epss' order by 1",
      );
      expect(types.rows).toContainEqual({ column: "advisory_epss.epss", type: "double precision" });
      await client.end();
    } finally {
      await database.drop();
    }
  });

  it("runs its migrations once when two stores open a new database at the same time", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresAdvisoryStore(database.url), openPostgresAdvisoryStore(database.url)]);
      for (const store of stores) expect((await store.status()).records).toBe(0);
      for (const store of stores) await store.close();
    } finally {
      await database.drop();
    }
  });
});
