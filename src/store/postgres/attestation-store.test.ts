import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { describeAttestationStoreContract } from "../attestation-store.contract.js";
import { ATTESTATION_MIGRATION_NAMES } from "../sql-attestation-store.js";
import { openPostgresAttestationStore } from "./attestation-store.js";
import { openPostgresIndexStore } from "./index-store.js";

const unavailable = await postgresUnavailable();
if (unavailable !== undefined) console.warn(`PostgreSQL attestation store tests skipped: ${unavailable}`);

if (unavailable === undefined) {
  describeAttestationStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return {
      open: () => openPostgresAttestationStore(database.url),
      sql: async (statements) => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          await client.query(statements);
        } finally {
          await client.end();
        }
      },
      dispose: () => database.drop(),
    };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL attestation store", () => {
  it("shares a database with the index, with its own migration list, migrating once when two open it at once", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresAttestationStore(database.url), openPostgresAttestationStore(database.url)]);
      await (await openPostgresIndexStore(database.url)).close();
      for (const store of stores) await store.ping();
      for (const store of stores) await store.close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        expect((await client.query<{ name: string }>("select name from vouch_attestation_migration")).rows.map((r) => r.name)).toEqual([...ATTESTATION_MIGRATION_NAMES]);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});
