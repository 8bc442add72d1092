import { sql, type ColumnType, type Kysely } from "kysely";
import { Migrator, type Migration } from "kysely/migration";

/**
 * The SQL schema of vouch's stores (SQLite and PostgreSQL), as a list of named migrations that Kysely's Migrator
 * runs when a driver opens its database. New stores add migrations at the end of MIGRATIONS (never edit a shipped
 * one: databases in the field have already run it). Migrations take the flavour because the two dialects name their
 * types differently (bytea / blob, bigint / integer).
 */

export type SqlFlavor = "sqlite" | "postgres";

/** A BIGINT column: PostgreSQL's driver returns int8 as a string (it may exceed 2^53), SQLite as a number. */
export type Int8 = ColumnType<number | string, number, number>;

/** The committed head: one row (id 1), all NULL until the first append (the empty tree, ports.ts). */
export interface LogHeadTable {
  id: number;
  size: ColumnType<number | string | null, number, number>;
  root_hash: Uint8Array | null;
  checkpoint: string | null;
}

/** Latest version of each hash tile (level 0..63, 1..256 hashes of 32 bytes). */
export interface LogTileTable {
  level: number;
  idx: Int8;
  hashes: Uint8Array;
}

/** Latest version of each entry bundle. */
export interface LogBundleTable {
  idx: Int8;
  data: Uint8Array;
}

/** One row per committed entry: lookup by index (primary key) and by leaf hash (unique: de-duplication). */
export interface LogEntryTable {
  idx: Int8;
  leaf_hash: Uint8Array;
  integrated_time: Int8;
  /** Migration 0003: the entry's byte offset in its bundle (LogEntryRecord.bundleOffset); null in rows from before it. */
  bundle_offset: ColumnType<number | null, number | null | undefined, number | null>;
}

/** SQLite only: who holds the sequencer lease (PostgreSQL uses an advisory lock). `owner` is a LockOwner as JSON. */
export interface LogSequencerTable {
  id: number;
  owner: string;
}

/** Submissions a replica hands to the sequencer (ports.ts SubmissionQueue). */
export interface LogQueueTable {
  id: ColumnType<number | string, never, never>;
  body: Uint8Array;
}

export interface LogDatabase {
  log_head: LogHeadTable;
  log_tiles: LogTileTable;
  log_bundles: LogBundleTable;
  log_entries: LogEntryTable;
  log_sequencer: LogSequencerTable;
  log_queue: LogQueueTable;
}

export interface NamedMigration {
  readonly name: string;
  up(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void>;
}

/** Every migration, in the order they run (names sort in that order: Kysely checks it). */
export const MIGRATIONS: readonly NamedMigration[] = [
  { name: "0001_transparency_log", up: createLogTables },
  { name: "0002_log_submission_queue", up: createLogQueue },
  { name: "0003_log_entry_bundle_offsets", up: addBundleOffsets },
];

/**
 * Brings the database to the latest schema. Safe to run from several processes at once on PostgreSQL (Kysely holds
 * an advisory lock); on SQLite the caller retries when another process migrated first (SQLITE_BUSY).
 */
export async function migrateToLatest(db: Kysely<LogDatabase>, flavor: SqlFlavor, options: { schema?: string } = {}): Promise<void> {
  // PostgreSQL, one log per schema (postgres/log-store.ts): the bookkeeping lives in that schema too, and Kysely
  // looks for it there. Unset, it would find another schema's vouch_migration and skip this schema's migrations.
  await runMigrations(db, flavor, MIGRATIONS, { table: "vouch_migration", schema: options.schema });
}

/**
 * Runs one store's migrations with Kysely's Migrator, bookkept in that store's own table (`table` and `<table>_lock`):
 * each store (log, advisories, index, tokens, attestations) keeps its own list, so stores sharing a database (one
 * SQLite file, one PostgreSQL database) never mix lists, nor with another Kysely application.
 */
export async function runMigrations<DB>(
  db: Kysely<DB>,
  flavor: SqlFlavor,
  list: readonly NamedMigration[],
  bookkeeping: { table: string; schema?: string },
): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const migration of list) migrations[migration.name] = { up: (trx: Kysely<unknown>) => migration.up(trx, flavor) };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: bookkeeping.table,
    migrationLockTableName: `${bookkeeping.table}_lock`,
    ...(bookkeeping.schema !== undefined ? { migrationTableSchema: bookkeeping.schema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}

async function createLogTables(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  const bytes = flavor === "postgres" ? "bytea" : "blob";
  // SQLite: "integer" makes a single-column primary key the rowid (no second index); it holds 64 bits anyway.
  const int8 = flavor === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("log_head")
    .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn("size", int8, (c) => c.check(sql`size >= 0`))
    .addColumn("root_hash", bytes)
    .addColumn("checkpoint", "text")
    .execute();
  // The row always exists, so an append can lock it (PostgreSQL: SELECT … FOR UPDATE) even before the first head.
  await sql`insert into log_head (id) values (1)`.execute(db);
  await db.schema
    .createTable("log_tiles")
    .addColumn("level", "integer", (c) => c.notNull().check(sql`level between 0 and 63`))
    .addColumn("idx", int8, (c) => c.notNull().check(sql`idx >= 0`))
    .addColumn("hashes", bytes, (c) => c.notNull())
    .addPrimaryKeyConstraint("log_tiles_pk", ["level", "idx"])
    .execute();
  await db.schema
    .createTable("log_bundles")
    .addColumn("idx", int8, (c) => c.primaryKey().check(sql`idx >= 0`))
    .addColumn("data", bytes, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("log_entries")
    .addColumn("idx", int8, (c) => c.primaryKey().check(sql`idx >= 0`))
    .addColumn("leaf_hash", bytes, (c) => c.notNull().unique())
    .addColumn("integrated_time", int8, (c) => c.notNull())
    .execute();
  if (flavor === "sqlite") {
    await db.schema
      .createTable("log_sequencer")
      .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn("owner", "text", (c) => c.notNull())
      .execute();
  }
}

/**
 * Each entry's offset in its bundle, so that one entry of a bundle not in the reader's cache is read alone
 * (readBundleRange): on PostgreSQL a whole bundle (~230 KiB of bytea, sent as hex) made such a read take 5–12 ms.
 * Rows logged before this migration keep null, and their reads fetch the whole bundle as before.
 */
async function addBundleOffsets(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("log_entries").addColumn("bundle_offset", "integer").execute();
}

async function createLogQueue(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  // SQLite: "integer primary key" is the rowid, which autoincrements; PostgreSQL: an identity column.
  const table = db.schema.createTable("log_queue");
  const withId =
    flavor === "postgres"
      ? table.addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
      : table.addColumn("id", "integer", (c) => c.primaryKey());
  await withId.addColumn("body", flavor === "postgres" ? "bytea" : "blob", (c) => c.notNull()).execute();
}
