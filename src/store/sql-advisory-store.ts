import { sql, type ColumnType, type Kysely } from "kysely";
import { VouchError } from "../core/errors.js";
import { canonicalTimestamp } from "../core/time.js";
import type {
  AdvisoryFeedStatus,
  AdvisoryImport,
  AdvisoryImportCounts,
  AdvisoryPackageKey,
  AdvisoryScanStatus,
  AdvisoryStatus,
  AdvisoryStore,
  EpssScore,
  KevCatalog,
  KevEntry,
  OsvRecord,
  SourceEntryFingerprint,
} from "./ports.js";
import { ParsedCache } from "./record-cache.js";
import { runMigrations, type NamedMigration, type SqlFlavor } from "./schema.js";
import { byCodeUnits, chunks, storeLifecycle } from "./sql-common.js";

/**
 * The AdvisoryStore over SQL tables, shared by the SQLite and PostgreSQL drivers (as sql-log-store.ts is for the
 * log): the drivers differ only in how a write transaction excludes other importers. One import is one transaction,
 * so atomicity (ports.ts) is the database's.
 *
 * Tables: `advisory_records` holds each record as imported (the parsed OsvRecord as JSON) with its canonical
 * `modified` and a withdrawn flag; `advisory_packages` indexes (ecosystem name, normalised package name) → record id
 * for records that are not withdrawn (so a withdrawn record is never found by package, by construction);
 * `advisory_aliases` holds record id → alias for every record (lookup by alias; alias groups join it with the
 * records that are not withdrawn). EPSS, KEV and per-feed import times have a table each.
 *
 * The advisory tables keep their own migration list and bookkeeping table (`vouch_advisory_migration`): the advisory
 * database is a file of its own under SQLite, and shares the log's database under PostgreSQL without touching the
 * log's migration list (schema.ts), which Kysely would otherwise refuse as changed.
 */

/** Canonical `modified`: UTC with nine fraction digits, so that string order is instant order (ports.ts). */
type Canonical = string;

export interface AdvisoryRecordTable {
  id: string;
  modified: Canonical;
  /** 0 or 1 (SQLite has no boolean). */
  withdrawn: number;
  record: string;
}

export interface AdvisoryPackageTable {
  ecosystem: string;
  name: string;
  record_id: string;
}

export interface AdvisoryAliasTable {
  record_id: string;
  alias: string;
}

/**
 * The alias groups (ports.ts aliasGroups) computed at import: every id joined to another by the aliases of a record
 * that is not withdrawn, with its group's smallest id. An id that is in no row is a group of its own. Kept whole
 * by each import that changes records, so a scan reads two indexed lookups instead of walking alias edges (a
 * 5,000-component scan asks about ~8,000 ids, and the walk was its slowest step).
 */
export interface AdvisoryAliasGroupTable {
  id: string;
  group_id: string;
}

/** Fingerprints of the source entries (zip entries) the last imports read, by entry name: see AdvisoryImport.entries. */
export interface AdvisoryEntryTable {
  name: string;
  fingerprint: string;
}

/**
 * One row (id 1) whose `n` every import transaction increments: a store that caches lookups (package → record ids,
 * alias groups) reads it before answering and drops its caches when another store or process has imported since.
 */
export interface AdvisoryGenerationTable {
  id: number;
  n: ColumnType<number | string, number, number>;
}

export interface AdvisoryEpssTable {
  cve: string;
  epss: number;
  percentile: number;
}

export interface AdvisoryKevTable {
  cve: string;
  entry: string;
}

export interface AdvisoryFeedTable {
  feed: "osv" | "epss" | "kev";
  imported_at: string;
  version: string | null;
  date: string | null;
  count: ColumnType<number | string | null, number | null, number | null>;
}

export interface AdvisoryDatabase {
  advisory_records: AdvisoryRecordTable;
  advisory_packages: AdvisoryPackageTable;
  advisory_aliases: AdvisoryAliasTable;
  advisory_alias_groups: AdvisoryAliasGroupTable;
  advisory_entries: AdvisoryEntryTable;
  advisory_generation: AdvisoryGenerationTable;
  advisory_epss: AdvisoryEpssTable;
  advisory_kev: AdvisoryKevTable;
  advisory_feeds: AdvisoryFeedTable;
}


/** Every advisory migration, in order; never edit a shipped one. */
const ADVISORY_MIGRATIONS: readonly NamedMigration[] = [
  { name: "0001_advisories", up: createAdvisoryTables },
  { name: "0002_scan_lookups", up: addScanLookups },
  { name: "0003_source_entries", up: addSourceEntries },
  { name: "0004_generation", up: addGeneration },
];

/** Names of the advisory migrations, for the drivers' tests. */
export const ADVISORY_MIGRATION_NAMES: readonly string[] = ADVISORY_MIGRATIONS.map((m) => m.name);

export async function migrateAdvisoriesToLatest(db: Kysely<AdvisoryDatabase>, flavor: SqlFlavor): Promise<void> {
  await runMigrations(db, flavor, ADVISORY_MIGRATIONS, { table: "vouch_advisory_migration" });
}

async function createAdvisoryTables(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  await db.schema
    .createTable("advisory_records")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("modified", "text", (c) => c.notNull())
    .addColumn("withdrawn", "integer", (c) => c.notNull().check(sql`withdrawn in (0, 1)`))
    .addColumn("record", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("advisory_packages")
    .addColumn("ecosystem", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("record_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("advisory_packages_pk", ["ecosystem", "name", "record_id"])
    .execute();
  await db.schema.createIndex("advisory_packages_record").on("advisory_packages").column("record_id").execute();
  await db.schema
    .createTable("advisory_aliases")
    .addColumn("record_id", "text", (c) => c.notNull())
    .addColumn("alias", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("advisory_aliases_pk", ["record_id", "alias"])
    .execute();
  await db.schema.createIndex("advisory_aliases_alias").on("advisory_aliases").column("alias").execute();
  // "double precision" has REAL affinity in SQLite and is float8 in PostgreSQL.
  await db.schema
    .createTable("advisory_epss")
    .addColumn("cve", "text", (c) => c.primaryKey())
    .addColumn("epss", "double precision", (c) => c.notNull())
    .addColumn("percentile", "double precision", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("advisory_kev")
    .addColumn("cve", "text", (c) => c.primaryKey())
    .addColumn("entry", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("advisory_feeds")
    .addColumn("feed", "text", (c) => c.primaryKey().check(sql`feed in ('osv', 'epss', 'kev')`))
    .addColumn("imported_at", "text", (c) => c.notNull())
    .addColumn("version", "text")
    .addColumn("date", "text")
    .addColumn("count", flavor === "postgres" ? "bigint" : "integer")
    .execute();
}

/**
 * What a scan reads, without touching record rows: covering indexes for the package lookup's join (id → withdrawn,
 * modified) and the reverse alias lookup, and the alias groups table, filled here from the records already held.
 */
async function addScanLookups(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("advisory_records_state").on("advisory_records").columns(["id", "withdrawn", "modified"]).execute();
  await db.schema.dropIndex("advisory_aliases_alias").execute();
  await db.schema.createIndex("advisory_aliases_alias").on("advisory_aliases").columns(["alias", "record_id"]).execute();
  await db.schema
    .createTable("advisory_alias_groups")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("group_id", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("advisory_alias_groups_group").on("advisory_alias_groups").columns(["group_id", "id"]).execute();
  await rebuildAliasGroups(db as Kysely<AdvisoryDatabase>);
}

async function addSourceEntries(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("advisory_entries")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .execute();
}

async function addGeneration(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  await db.schema
    .createTable("advisory_generation")
    .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn("n", flavor === "postgres" ? "bigint" : "integer", (c) => c.notNull())
    .execute();
  await sql`insert into advisory_generation (id, n) values (1, 0)`.execute(db);
}

/** Recomputes advisory_alias_groups from the aliases of every record that is not withdrawn (union-find). */
async function rebuildAliasGroups(db: Kysely<AdvisoryDatabase>): Promise<void> {
  const edges = await db
    .selectFrom("advisory_aliases as a")
    .innerJoin("advisory_records as r", "r.id", "a.record_id")
    .select(["a.record_id", "a.alias"])
    .where("r.withdrawn", "=", 0)
    .execute();
  const groups = new UnionFind();
  for (const { record_id, alias } of edges) groups.union(record_id, alias);
  const smallest = new Map<string, string>();
  for (const id of groups.members()) {
    const root = groups.find(id);
    const now = smallest.get(root);
    if (now === undefined || id < now) smallest.set(root, id);
  }
  await db.deleteFrom("advisory_alias_groups").execute();
  const rows = [...groups.members()].map((id) => ({ id, group_id: smallest.get(groups.find(id))! }));
  for (const part of chunks(rows, ROWS_PER_INSERT)) await db.insertInto("advisory_alias_groups").values(part).execute();
}

/** Disjoint sets of ids with path halving. */
class UnionFind {
  readonly #parent = new Map<string, string>();

  find(x: string): string {
    let node = x;
    if (!this.#parent.has(node)) this.#parent.set(node, node);
    for (;;) {
      const parent = this.#parent.get(node)!;
      if (parent === node) return node;
      const grand = this.#parent.get(parent)!;
      this.#parent.set(node, grand);
      node = grand;
    }
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.#parent.set(ra, rb);
  }

  members(): IterableIterator<string> {
    return this.#parent.keys();
  }
}

export interface AdvisorySqlParts {
  db: Kysely<AdvisoryDatabase>;
  /**
   * Runs `work` in one transaction that excludes every other importer from its first read to its commit (SQLite:
   * BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so that the "later `modified` wins" decision is
   * taken against rows no one else changes before we commit.
   */
  importTransaction<T>(work: (trx: Kysely<AdvisoryDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** JSON text of parsed records kept between lookups (default RECORD_CACHE_BYTES; 0: none). */
  recordCacheBytes?: number;
}

/** 64 MiB of record JSON (~25,000 records): a match-heavy 5,000-component SBOM touches ~40 MB of them. */
export const RECORD_CACHE_BYTES = 64 * 1024 * 1024;

/** Records read and written per round inside an import (bounded memory; 4 parameters a row). */
const RECORDS_PER_ROUND = 500;
/** Rows per multi-row INSERT: at most 3,000 parameters, under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1000;
/** Keys or ids per IN list. */
const KEYS_PER_QUERY = 500;
/** Package keys and ids whose lookups a store keeps between imports (each a few small rows). */
const MAX_CACHED_KEYS = 200_000;
/** Ids per single-column IN list: one parameter each, far under both databases' limits. */
const IDS_PER_QUERY = 5000;

export function sqlAdvisoryStore(parts: AdvisorySqlParts): AdvisoryStore {
  const { db } = parts;
  const { guard, close } = storeLifecycle("the advisory store", async () => {
    parsed.clear();
    await parts.close();
  });

  async function importBatch(batch: AdvisoryImport): Promise<AdvisoryImportCounts> {
    canonicalTimestamp(batch.importedAt, "importedAt");
    const importedAt = batch.importedAt;
    return guard("import advisories", () =>
      parts.importTransaction(async (trx) => {
        const counts: AdvisoryImportCounts = { inserted: 0, updated: 0, unchanged: 0, older: 0 };
        // Every import, even one that changes nothing: other stores' lookup caches are dropped at their next read.
        await sql`update advisory_generation set n = n + 1 where id = 1`.execute(trx);
        if (batch.records !== undefined) {
          let round: OsvRecord[] = [];
          for await (const record of batch.records) {
            round.push(record);
            if (round.length >= RECORDS_PER_ROUND) {
              await writeRecords(trx, round, counts);
              round = [];
            }
          }
          if (round.length > 0) await writeRecords(trx, round, counts);
          if (counts.inserted + counts.updated > 0) await rebuildAliasGroups(trx);
          if (batch.entries !== undefined) await writeEntries(trx, batch.entries());
          await writeFeed(trx, { feed: "osv", imported_at: importedAt, version: null, date: null, count: null });
        }
        if (batch.epss !== undefined) counts.epssRows = await replaceEpss(trx, batch.epss, importedAt);
        if (batch.kev !== undefined) counts.kevEntries = await replaceKev(trx, batch.kev, importedAt);
        return counts;
      }),
    );
  }

  // What lookups found, kept while no import has committed since (advisory_generation): a scan asks about thousands
  // of packages and ids, and in a long-running process (vouch serve, a fleet scan) mostly the same ones again.
  const packageIds = new Map<string, readonly { id: string; modified: Canonical }[]>();
  const groupsOf = new Map<string, readonly string[]>();
  let cachedGeneration: string | undefined;
  async function freshCaches(): Promise<void> {
    const row = await db.selectFrom("advisory_generation").select("n").where("id", "=", 1).executeTakeFirst();
    const generation = String(row?.n ?? "");
    if (generation !== cachedGeneration) {
      packageIds.clear();
      groupsOf.clear();
      cachedGeneration = generation;
    }
    // Bounded: a fleet scan over every package of the database must not keep all of them.
    if (packageIds.size > MAX_CACHED_KEYS) packageIds.clear();
    if (groupsOf.size > MAX_CACHED_KEYS) groupsOf.clear();
  }

  // Parsed records by id under their `modified`: id and modified name one content (ports.ts), so a hit is always
  // the stored record, and a record replaced by a later import misses.
  const parsed = new ParsedCache<OsvRecord>(parts.recordCacheBytes ?? RECORD_CACHE_BYTES);

  /**
   * The records with these ids and modified times, from the cache or read and parsed. A row that changed since the
   * caller read its id (a concurrent import) comes back as it is now, and is left out once withdrawn.
   */
  async function recordsAt(wanted: ReadonlyMap<string, Canonical>): Promise<Map<string, OsvRecord>> {
    const out = new Map<string, OsvRecord>();
    const missing: string[] = [];
    for (const [id, modified] of wanted) {
      const hit = parsed.get(id, modified);
      if (hit === undefined) missing.push(id);
      else out.set(id, hit);
    }
    for (const part of chunks(missing, KEYS_PER_QUERY)) {
      const rows = await db.selectFrom("advisory_records").select(["id", "modified", "withdrawn", "record"]).where("id", "in", part).execute();
      for (const row of rows) {
        if (Number(row.withdrawn) !== 0) continue;
        const record = parseStored(row.id, row.record);
        parsed.set(row.id, row.modified, record, row.record.length);
        out.set(row.id, record);
      }
    }
    return out;
  }

  async function findByPackages(keys: readonly AdvisoryPackageKey[]): Promise<OsvRecord[][]> {
    return guard("look up advisories by package", async () => {
      await freshCaches();
      const missing = new Map<string, AdvisoryPackageKey>();
      for (const k of keys) if (!packageIds.has(packageKey(k))) missing.set(packageKey(k), k);
      // Ids first (the index alone, small rows), then only the records the record cache does not hold.
      for (const part of chunks([...missing.values()], KEYS_PER_QUERY)) {
        const rows = await db
          .selectFrom("advisory_packages as p")
          .innerJoin("advisory_records as r", "r.id", "p.record_id")
          .select(["p.ecosystem", "p.name", "p.record_id", "r.modified"])
          .where((eb) => eb(eb.refTuple("p.ecosystem", "p.name"), "in", part.map((k) => eb.tuple(k.ecosystem, k.name))))
          .where("r.withdrawn", "=", 0)
          .execute();
        const found = new Map<string, { id: string; modified: Canonical }[]>(part.map((k) => [packageKey(k), []]));
        for (const row of rows) found.get(packageKey(row))?.push({ id: row.record_id, modified: row.modified });
        for (const [key, ids] of found) packageIds.set(key, ids.sort((x, y) => byCodeUnits(x.id, y.id)));
      }
      const wanted = new Map<string, Canonical>();
      for (const k of keys) for (const { id, modified } of packageIds.get(packageKey(k)) ?? []) wanted.set(id, modified);
      const records = await recordsAt(wanted);
      return keys.map((k) =>
        (packageIds.get(packageKey(k)) ?? []).map(({ id }) => records.get(id)).filter((r): r is OsvRecord => r !== undefined),
      );
    });
  }

  async function findById(id: string): Promise<OsvRecord[]> {
    return guard("look up an advisory", async () => {
      const rows = await db
        .selectFrom("advisory_records")
        .select(["id", "record"])
        .where((eb) => eb.or([eb("id", "=", id), eb("id", "in", eb.selectFrom("advisory_aliases").select("record_id").where("alias", "=", id))]))
        .execute();
      return rows.sort((a, b) => byCodeUnits(a.id, b.id)).map((r) => parseStored(r.id, r.record));
    });
  }

  async function entryFingerprints(): Promise<ReadonlyMap<string, string>> {
    return guard("read the source entry fingerprints", async () => {
      const rows = await db.selectFrom("advisory_entries").select(["name", "fingerprint"]).execute();
      return new Map(rows.map((r) => [r.name, r.fingerprint]));
    });
  }

  async function findByIds(ids: readonly string[]): Promise<OsvRecord[]> {
    return guard("look up advisories by id", async () => {
      const wanted = new Map<string, Canonical>();
      for (const part of chunks([...new Set(ids)], IDS_PER_QUERY)) {
        const rows = await db.selectFrom("advisory_records").select(["id", "modified"]).where("id", "in", part).where("withdrawn", "=", 0).execute();
        for (const row of rows) wanted.set(row.id, row.modified);
      }
      const records = await recordsAt(wanted);
      return [...records.keys()].sort(byCodeUnits).map((id) => records.get(id)!);
    });
  }

  async function aliasGroups(ids: readonly string[]): Promise<string[][]> {
    return guard("group advisory aliases", async () => {
      await freshCaches();
      const asked = [...new Set(ids)];
      const unknown = asked.filter((id) => !groupsOf.has(id));
      const groupOf = new Map<string, string>();
      for (const part of chunks(unknown, IDS_PER_QUERY)) {
        const rows = await db.selectFrom("advisory_alias_groups").select(["id", "group_id"]).where("id", "in", part).execute();
        for (const row of rows) groupOf.set(row.id, row.group_id);
      }
      const members = new Map<string, string[]>();
      for (const part of chunks([...new Set(groupOf.values())], IDS_PER_QUERY)) {
        const rows = await db.selectFrom("advisory_alias_groups").select(["id", "group_id"]).where("group_id", "in", part).execute();
        for (const row of rows) {
          let group = members.get(row.group_id);
          if (group === undefined) members.set(row.group_id, (group = []));
          group.push(row.id);
        }
      }
      for (const id of unknown) {
        const groupId = groupOf.get(id);
        const group = groupId === undefined ? [id] : (members.get(groupId) ?? [id]).sort(byCodeUnits);
        for (const member of group) groupsOf.set(member, group);
        groupsOf.set(id, group);
      }
      const out = new Map<string, readonly string[]>();
      for (const id of asked) {
        const group = groupsOf.get(id) ?? [id];
        out.set(group[0]!, group);
      }
      return [...out.values()].map((g) => [...g]).sort((x, y) => byCodeUnits(x[0]!, y[0]!));
    });
  }

  async function findEpss(cves: readonly string[]): Promise<EpssScore[]> {
    return guard("look up EPSS scores", async () => {
      const out: EpssScore[] = [];
      for (const part of chunks([...new Set(cves)], KEYS_PER_QUERY)) {
        const rows = await db.selectFrom("advisory_epss").select(["cve", "epss", "percentile"]).where("cve", "in", part).execute();
        for (const r of rows) out.push({ cve: r.cve, epss: Number(r.epss), percentile: Number(r.percentile) });
      }
      return out.sort((a, b) => byCodeUnits(a.cve, b.cve));
    });
  }

  async function findKev(cves: readonly string[]): Promise<KevEntry[]> {
    return guard("look up KEV entries", async () => {
      const out: KevEntry[] = [];
      for (const part of chunks([...new Set(cves)], KEYS_PER_QUERY)) {
        const rows = await db.selectFrom("advisory_kev").select(["cve", "entry"]).where("cve", "in", part).execute();
        for (const r of rows) out.push(JSON.parse(r.entry) as KevEntry);
      }
      return out.sort((a, b) => byCodeUnits(a.cveID, b.cveID));
    });
  }

  async function readFeeds(): Promise<AdvisoryStatus["feeds"]> {
    const rows = await db.selectFrom("advisory_feeds").selectAll().execute();
    const feeds: AdvisoryStatus["feeds"] = {};
    for (const f of rows) {
      const s: AdvisoryFeedStatus = { importedAt: f.imported_at };
      if (f.version !== null) s.version = f.version;
      if (f.date !== null) s.date = f.date;
      if (f.count !== null) s.count = Number(f.count);
      feeds[f.feed] = s;
    }
    return feeds;
  }

  async function scanStatus(): Promise<AdvisoryScanStatus> {
    return guard("read the advisory database status", async () => {
      const any = await db.selectFrom("advisory_records").select("id").where("withdrawn", "=", 0).limit(1).executeTakeFirst();
      return { holdsRecords: any !== undefined, feeds: await readFeeds() };
    });
  }

  async function status(): Promise<AdvisoryStatus> {
    return guard("read the advisory database status", async () => {
      const totals = await db
        .selectFrom("advisory_records")
        .select((eb) => [eb.fn.countAll().as("records"), eb.fn.sum<number | string | null>("withdrawn").as("withdrawn"), eb.fn.max("modified").as("newest")])
        .executeTakeFirstOrThrow();
      const perEcosystem = await db
        .selectFrom("advisory_packages")
        .select((eb) => ["ecosystem", eb.fn.count("record_id").distinct().as("records")])
        .groupBy("ecosystem")
        .execute();
      const result: AdvisoryStatus = {
        records: Number(totals.records),
        withdrawn: Number(totals.withdrawn ?? 0),
        ecosystems: perEcosystem.map((r) => ({ ecosystem: r.ecosystem, records: Number(r.records) })).sort((a, b) => byCodeUnits(a.ecosystem, b.ecosystem)),
        feeds: await readFeeds(),
      };
      if (totals.newest !== null && totals.newest !== undefined) result.newestModified = String(totals.newest);
      return result;
    });
  }

  return {
    import: importBatch,
    scanStatus,
    findByPackages,
    findById,
    findByIds,
    entryFingerprints,
    aliasGroups,
    findEpss,
    findKev,
    status,
    close,
  };
}

async function writeEntries(trx: Kysely<AdvisoryDatabase>, entries: Iterable<SourceEntryFingerprint>): Promise<void> {
  const latest = new Map<string, string>();
  for (const e of entries) latest.set(e.name, e.fingerprint);
  const rows = [...latest].map(([name, fingerprint]) => ({ name, fingerprint }));
  for (const part of chunks(rows, ROWS_PER_INSERT)) {
    await trx
      .insertInto("advisory_entries")
      .values(part)
      .onConflict((oc) => oc.column("name").doUpdateSet((eb) => ({ fingerprint: eb.ref("excluded.fingerprint") })))
      .execute();
  }
}

/** One round of records: decide each copy against what is stored (or written earlier in this import), then write. */
async function writeRecords(trx: Kysely<AdvisoryDatabase>, round: OsvRecord[], counts: AdvisoryImportCounts): Promise<void> {
  const ids = [...new Set(round.map((r) => r.id))];
  const current = new Map<string, Canonical>();
  const stored = await trx.selectFrom("advisory_records").select(["id", "modified"]).where("id", "in", ids).execute();
  for (const row of stored) current.set(row.id, row.modified);
  const winners = new Map<string, { record: OsvRecord; modified: Canonical }>();
  for (const record of round) {
    const modified = canonicalTimestamp(record.modified, `record ${record.id}: modified`);
    const before = current.get(record.id);
    if (before === undefined) counts.inserted++;
    else if (modified > before) counts.updated++;
    else {
      if (modified === before) counts.unchanged++;
      else counts.older++;
      continue;
    }
    current.set(record.id, modified);
    winners.set(record.id, { record, modified });
  }
  if (winners.size === 0) return;
  const written = [...winners.keys()];
  await trx.deleteFrom("advisory_packages").where("record_id", "in", written).execute();
  await trx.deleteFrom("advisory_aliases").where("record_id", "in", written).execute();
  const records = [...winners.values()];
  for (const part of chunks(records, ROWS_PER_INSERT / 2)) {
    await trx
      .insertInto("advisory_records")
      .values(part.map(({ record, modified }) => ({ id: record.id, modified, withdrawn: record.withdrawn === undefined ? 0 : 1, record: JSON.stringify(record) })))
      .onConflict((oc) =>
        oc.column("id").doUpdateSet((eb) => ({ modified: eb.ref("excluded.modified"), withdrawn: eb.ref("excluded.withdrawn"), record: eb.ref("excluded.record") })),
      )
      .execute();
  }
  const packages = new Map<string, AdvisoryPackageTable>();
  const aliases = new Map<string, AdvisoryAliasTable>();
  for (const { record } of records) {
    for (const alias of record.aliases) aliases.set(`${record.id}\u0000${alias}`, { record_id: record.id, alias });
    // A withdrawn record is never found by package (ports.ts): it simply has no index rows.
    if (record.withdrawn !== undefined) continue;
    for (const a of record.affected) {
      if (a.package === undefined) continue;
      const row = { ecosystem: a.package.parsedEcosystem.ecosystem, name: a.package.normalizedName, record_id: record.id };
      packages.set(`${packageKey(row)}\u0000${record.id}`, row);
    }
  }
  for (const part of chunks([...packages.values()], ROWS_PER_INSERT)) await trx.insertInto("advisory_packages").values(part).execute();
  for (const part of chunks([...aliases.values()], ROWS_PER_INSERT)) await trx.insertInto("advisory_aliases").values(part).execute();
}

async function replaceEpss(trx: Kysely<AdvisoryDatabase>, feed: { modelVersion: string; scoreDate: string; rows: Iterable<EpssScore> | AsyncIterable<EpssScore> }, importedAt: string): Promise<number> {
  await trx.deleteFrom("advisory_epss").execute();
  let count = 0;
  let part: EpssScore[] = [];
  const flush = async () => {
    if (part.length === 0) return;
    await trx.insertInto("advisory_epss").values(part.map((r) => ({ cve: r.cve, epss: r.epss, percentile: r.percentile }))).execute();
    part = [];
  };
  for await (const row of feed.rows) {
    part.push(row);
    count++;
    if (part.length >= ROWS_PER_INSERT) await flush();
  }
  await flush();
  await writeFeed(trx, { feed: "epss", imported_at: importedAt, version: feed.modelVersion, date: feed.scoreDate, count });
  return count;
}

async function replaceKev(trx: Kysely<AdvisoryDatabase>, catalog: KevCatalog, importedAt: string): Promise<number> {
  await trx.deleteFrom("advisory_kev").execute();
  for (const part of chunks(catalog.entries, ROWS_PER_INSERT)) {
    await trx
      .insertInto("advisory_kev")
      .values(part.map((e) => ({ cve: e.cveID, entry: JSON.stringify(e) })))
      .execute();
  }
  await writeFeed(trx, { feed: "kev", imported_at: importedAt, version: catalog.catalogVersion, date: catalog.dateReleased, count: catalog.entries.length });
  return catalog.entries.length;
}

async function writeFeed(trx: Kysely<AdvisoryDatabase>, row: { feed: AdvisoryFeedTable["feed"]; imported_at: string; version: string | null; date: string | null; count: number | null }): Promise<void> {
  await trx
    .insertInto("advisory_feeds")
    .values(row)
    .onConflict((oc) =>
      oc.column("feed").doUpdateSet((eb) => ({
        imported_at: eb.ref("excluded.imported_at"),
        version: eb.ref("excluded.version"),
        date: eb.ref("excluded.date"),
        count: eb.ref("excluded.count"),
      })),
    )
    .execute();
}

function parseStored(id: string, text: string): OsvRecord {
  try {
    return JSON.parse(text) as OsvRecord;
  } catch (err) {
    throw new VouchError("STORE_CORRUPT", `the stored advisory ${id} is not JSON`, { cause: err });
  }
}

function packageKey(k: { ecosystem: string; name: string }): string {
  return `${k.ecosystem}\u0000${k.name}`;
}


