import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../test/support/postgres.js";
import { describeDecisionStoreContract } from "../decision-store.contract.js";
import { openPostgresDecisionStore } from "./decision-store.js";

const unavailable = await postgresUnavailable();

if (unavailable === undefined) {
  describeDecisionStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return { open: () => openPostgresDecisionStore(database.url), dispose: () => database.drop() };
  });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL decision store", () => {
  it("migrates once when two stores open a new database at the same time", async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([openPostgresDecisionStore(database.url), openPostgresDecisionStore(database.url)]);
      for (const store of stores) expect(await store.list()).toEqual({ events: [] });
      for (const store of stores) await store.close();
    } finally {
      await database.drop();
    }
  });
});
