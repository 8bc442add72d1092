import { createHash } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../../../test/support/postgres.js";
import { describeLogStoreContract } from "../log-store.contract.js";
import { openPostgresLogStore } from "./log-store.js";

const unavailable = await postgresUnavailable();

if (unavailable === undefined) {
  describeLogStoreContract("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return {
      open: (testHooks) => openPostgresLogStore(database.url, { testHooks }),
      child: { module: join(import.meta.dirname, "log-store.ts"), exportName: "openPostgresLogStore", location: database.url },
      dispose: () => database.drop(),
    };
  }, { sharedQueue: true, bundleRanges: true });
}

if (unavailable === undefined) {
  // A second log sharing the database in its own schema (the CT log beside the transparency log): the whole contract
  // again, with the transparency log's tables already in the default schema.
  describeLogStoreContract("PostgreSQL, schema ct", async () => {
    const database = await createTestDatabase();
    await (await openPostgresLogStore(database.url)).close();
    return {
      open: (testHooks) => openPostgresLogStore(database.url, { testHooks, schema: "ct" }),
      child: {
        module: join(import.meta.dirname, "../../../test/support/postgres-schema-store.ts"),
        exportName: "openPostgresLogStoreInCtSchema",
        location: database.url,
      },
      dispose: () => database.drop(),
    };
  }, { sharedQueue: true, bundleRanges: true });
}

describe.skipIf(unavailable !== undefined)("PostgreSQL log store", () => {
  async function withDatabase(test: (database: TestDatabase) => Promise<void>): Promise<void> {
    const database = await createTestDatabase();
    try {
      await test(database);
    } finally {
      await database.drop();
    }
  }

  it("creates the log tables with bytea hashes, bigint indexes and a unique leaf hash", () =>
    withDatabase(async ({ url }) => {
      await (await openPostgresLogStore(url)).close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ column: string; type: string }>(
        `select table_name || '.' || column_name as column, data_type as type from information_schema.columns
         where table_name like 'log\\_%' order by 1`,
      );
      expect(Object.fromEntries(rows.map((r) => [r.column, r.type]))).toEqual({
        "log_bundles.data": "bytea",
        "log_bundles.idx": "bigint",
        "log_entries.bundle_offset": "integer",
        "log_entries.idx": "bigint",
        "log_entries.integrated_time": "bigint",
        "log_entries.leaf_hash": "bytea",
        "log_head.checkpoint": "text",
        "log_head.id": "integer",
        "log_head.root_hash": "bytea",
        "log_head.size": "bigint",
        "log_queue.body": "bytea",
        "log_queue.id": "bigint",
        "log_tiles.hashes": "bytea",
        "log_tiles.idx": "bigint",
        "log_tiles.level": "integer",
      });
      const unique = await client.query(
        `select 1 from pg_indexes where tablename = 'log_entries' and indexdef like 'CREATE UNIQUE INDEX%(leaf_hash)'`,
      );
      expect(unique.rowCount).toBe(1);
      const migrations = await client.query<{ name: string }>("select name from vouch_migration");
      expect(migrations.rows.map((r) => r.name)).toEqual(["0001_transparency_log", "0002_log_submission_queue", "0003_log_entry_bundle_offsets"]);
      await client.end();
    }));

  it("runs its migrations once when two stores open a new database at the same time", () =>
    withDatabase(async ({ url }) => {
      const stores = await Promise.all([openPostgresLogStore(url), openPostgresLogStore(url)]);
      for (const store of stores) expect(await store.readHead()).toBeUndefined();
      for (const store of stores) await store.close();
    }));

  it("a lease is lost when its connection is killed, and PostgreSQL frees the lock", () =>
    withDatabase(async ({ url }) => {
      const a = await openPostgresLogStore(url);
      const b = await openPostgresLogStore(url);
      const lease = await a.tryAcquireSequencer();
      expect(lease).toBeDefined();
      expect(await b.tryAcquireSequencer()).toBeUndefined();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const killed = await admin.query(
        "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())",
      );
      expect(killed.rowCount).toBe(1);
      await admin.end();
      await expect(lease!.lost).resolves.toBeUndefined();
      const next = await b.tryAcquireSequencer();
      expect(next).toBeDefined();
      await next!.release();
      await lease!.release(); // after the loss: harmless
      await a.close();
      await b.close();
    }));

  it("borrows a pg.Pool without ending it", () =>
    withDatabase(async ({ url }) => {
      const pool = new pg.Pool({ connectionString: url, max: 3 });
      const store = await openPostgresLogStore(pool);
      const lease = await store.tryAcquireSequencer();
      expect(lease).toBeDefined();
      await store.close();
      await expect(lease!.lost).resolves.toBeUndefined();
      // This database's advisory locks only: other test files share the server and hold their own meanwhile.
      const held = await pool.query(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
      );
      expect(held.rows[0]).toEqual({ n: 0 });
      await pool.end();
    }));

  it("keeps two logs in one database apart by schema: tables, migrations, heads and sequencer locks", () =>
    withDatabase(async ({ url }) => {
      const tlog = await openPostgresLogStore(url);
      const ct = await openPostgresLogStore(url, { schema: "ct" });
      // Each log sequences at the same time as the other (separate advisory locks)...
      const tlogLease = await tlog.tryAcquireSequencer();
      const ctLease = await ct.tryAcquireSequencer();
      expect([tlogLease, ctLease].every((l) => l !== undefined)).toBe(true);
      // ...but still only one sequencer per log.
      const ct2 = await openPostgresLogStore(url, { schema: "ct" });
      expect(await ct2.tryAcquireSequencer()).toBeUndefined();
      // The empty tree's head (RFC 6962: the root of no leaves is SHA-256 of nothing).
      const root = new Uint8Array(createHash("sha256").digest());
      await ct.append({ from: { size: 0, rootHash: root }, to: { size: 0, rootHash: root, checkpoint: "ct checkpoint\n" }, entries: [], tiles: [], bundles: [] });
      expect((await ct2.readHead())?.checkpoint).toBe("ct checkpoint\n");
      expect(await tlog.readHead()).toBeUndefined();

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ schema: string; tables: string }>(
        `select table_schema as schema, string_agg(table_name, ' ' order by table_name) as tables from information_schema.tables
         where table_schema in ('public', 'ct') group by 1 order by 1`,
      );
      const tables = "log_bundles log_entries log_head log_queue log_tiles vouch_migration vouch_migration_lock";
      expect(rows).toEqual([
        { schema: "ct", tables },
        { schema: "public", tables },
      ]);
      await client.end();
      await ctLease!.release();
      await tlogLease!.release();
      for (const store of [tlog, ct, ct2]) await store.close();
    }));

  it("refuses a schema name that is not a plain identifier, and a schema with a borrowed pool", async () => {
    const bad = await openPostgresLogStore("postgres://vouch@127.0.0.1:1/none", { schema: "ct; drop table x" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "INPUT_USAGE" });
    const pool = new pg.Pool({ connectionString: "postgres://vouch@127.0.0.1:1/none" });
    expect(await openPostgresLogStore(pool, { schema: "ct" }).catch((e: unknown) => e)).toMatchObject({ code: "INPUT_USAGE" });
    await pool.end();
  });

  it("reports a server it cannot reach as STORE_UNAVAILABLE", async () => {
    await expect(openPostgresLogStore("postgres://vouch@127.0.0.1:1/none")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
