import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { describeScanStoreContract } from "../scan-store.contract.js";
import { SCAN_MIGRATION_NAMES } from "../sql-scan-store.js";
import { openPostgresIndexStore } from "./index-store.js";
import { openPostgresScanStore } from "./scan-store.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`PostgreSQL scan store tests skipped: ${unavailable}`);

if (unavailable === undefined) {
  describeScanStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return { open: () => openPostgresScanStore(database.url), dispose: () => database.drop() };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL scan store", () => {
  it("shares a database with the index, with its own migration list, migrating once when two open it at once", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresScanStore(database.url), openPostgresScanStore(database.url)]);
      await (await openPostgresIndexStore(database.url)).close();
      for (const store of stores) await store.ping();
      for (const store of stores) await store.close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        expect((await client.query<{ name: string }>("select name from vouch_scan_migration")).rows.map((r) => r.name)).toEqual([...SCAN_MIGRATION_NAMES]);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});
