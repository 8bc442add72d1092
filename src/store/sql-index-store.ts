import { sql, type ColumnType, type Kysely, type Selectable } from "kysely";
import { VouchError } from "../core/errors.js";
import type {
  IndexComponent,
  IndexComponentFields,
  IndexComponentHit,
  IndexComponentLookup,
  IndexPurlKey,
  IndexCurrentDeployment,
  IndexDeployment,
  IndexDeploymentFactsFilter,
  IndexDeploymentFilter,
  IndexDeploymentSbomFacts,
  IndexSbom,
  IndexSbomFilter,
  IndexSbomWrite,
  IndexStore,
} from "./ports.js";
import { runMigrations, type NamedMigration, type SqlFlavor } from "./schema.js";
import { byCodeUnits, chunks, textsIn, gzipBytes, storedDocument, storeLifecycle } from "./sql-common.js";
import { canonicalTimestamp } from "../core/time.js";
import { addDeploymentSbomFacts, factsOfDeployment, lockFacts, spreadSbomFacts, type SbomFactColumns } from "./sql-sbom-facts.js";


/**
 * The IndexStore over SQL tables, shared by the SQLite and PostgreSQL drivers (as sql-advisory-store.ts is for the
 * advisory database): the drivers differ only in how a write transaction is opened and where reads go.
 *
 * Tables:
 * - `sboms`: one row per SBOM, `id` the sha256 of its bytes (unique: idempotency is the database's), `seq` a small
 *   integer surrogate that component rows carry instead of the 71-character id (3M component rows at wave 2's scale).
 * - `sbom_documents`: the document gzip'd, one row per SBOM, apart from `sboms` so that lookups never read it.
 * - `sbom_components`: (sbom_seq, position) → name, version, purl, and the lookup keys: the purl key (type,
 *   namespace, name), the lower-cased name, the OSV package (ecosystem, name, release, version). One index per key.
 * - `deployments`: every deployment event (history), and `current_deployments`: the current event per (service,
 *   environment), kept in the same transaction as the event, so an impact query reads one indexed row per artifact.
 *
 * Wave 2 joins on what these already hold, without rewriting them: attestations and their subjects by artifact digest
 * (`sboms.digest`, `deployments.digest`) and by SBOM id (a predicate naming the SBOM's digest); signer identities, log
 * entries, scan results and decision events as tables of their own keyed the same way.
 *
 * The tables keep their own migration list and bookkeeping table (`vouch_index_migration`), as the advisory store does.
 */

/** `sboms.seq`: SQLite's rowid, PostgreSQL's identity column (int4: two billion SBOMs). */
export interface SbomTable {
  /** Assigned by the database; PostgreSQL's int4 and SQLite's rowid both read as numbers here. */
  seq: ColumnType<number, never, never>;
  id: string;
  service: string;
  version: string | null;
  digest: string | null;
  format: string;
  spec_version: string;
  component_count: number;
  without_purl: number;
  ingested_at: string;
  ingested_by: string;
}

export interface SbomDocumentTable {
  sbom_seq: number;
  gzip: Uint8Array;
}

export interface SbomComponentTable {
  sbom_seq: number;
  position: number;
  name: string;
  name_lower: string;
  version: string | null;
  purl: string | null;
  purl_version: string | null;
  purl_type: string | null;
  purl_namespace: string | null;
  purl_name: string | null;
  osv_ecosystem: string | null;
  osv_name: string | null;
  osv_release: string | null;
  osv_version: string | null;
  license: string | null;
}

export interface DeploymentTable {
  id: string;
  service: string;
  environment: string;
  digest: string;
  /** Canonical (canonicalTimestamp): string order is instant order. */
  deployed_at: string;
  source: string;
  by: string;
  recorded_at: string;
  /** The SBOM facts of this event (0005): kept by both ingests, see `SbomFactColumns`. */
  digest_first_sbom_at: string | null;
  digest_sbom_at_deploy: string | null;
  service_first_sbom_at: string | null;
}

export interface CurrentDeploymentTable {
  service: string;
  environment: string;
  deployment_id: string;
  digest: string;
  deployed_at: string;
  digest_first_sbom_at: string | null;
  digest_sbom_at_deploy: string | null;
  service_first_sbom_at: string | null;
}

export interface IndexDatabase {
  sboms: SbomTable;
  sbom_documents: SbomDocumentTable;
  sbom_components: SbomComponentTable;
  deployments: DeploymentTable;
  current_deployments: CurrentDeploymentTable;
}


/** Every index migration, in order; never edit a shipped one. */
const INDEX_MIGRATIONS: readonly NamedMigration[] = [
  { name: "0001_sbom_index", up: createIndexTables },
  { name: "0002_components_purl_covering", up: coverPurlLookup },
  { name: "0003_sbom_times", up: indexSbomTimes },
  { name: "0004_components_vacuum_after_inserts", up: vacuumComponentsAfterInserts },
  { name: "0005_deployment_sbom_facts", up: addDeploymentSbomFacts },
];

/** Names of the index migrations, for the drivers' tests. */
export const INDEX_MIGRATION_NAMES: readonly string[] = INDEX_MIGRATIONS.map((m) => m.name);

export async function migrateIndexToLatest(db: Kysely<IndexDatabase>, flavor: SqlFlavor): Promise<void> {
  await runMigrations(db, flavor, INDEX_MIGRATIONS, { table: "vouch_index_migration" });
}

/**
 * Test support: brings a database to `last` (an older schema, to test the migrations after it on data made there).
 * Stores always migrate to the latest.
 */
export async function migrateIndexUpTo(db: Kysely<unknown>, flavor: SqlFlavor, last: string): Promise<void> {
  const end = INDEX_MIGRATIONS.findIndex((m) => m.name === last);
  if (end < 0) throw new Error(`no index migration ${last}`);
  await runMigrations(db, flavor, INDEX_MIGRATIONS.slice(0, end + 1), { table: "vouch_index_migration" });
}

/**
 * The columns the impact lookup reads from a component row (findComponents with `fields: "impact"`), besides the
 * purl key it searches by: the covering index of 0002 holds exactly these.
 */
const IMPACT_COLUMNS = ["sbom_seq", "position", "name", "version", "purl", "purl_version"] as const;

/**
 * 0002: the purl-key lookup reads its rows from one index. The component rows are written SBOM after SBOM, so the
 * rows of one package were spread over the whole table (at 3M rows, about one page read per row: 7,360 pages for
 * 8,905 rows on PostgreSQL). An index keyed by the purl key that also holds the columns the impact query reads keeps
 * a package's entries together, and the lookup never visits the table: SQLite takes it as a covering index (every
 * column in the key; the rowid is in every index entry), PostgreSQL as an index-only scan (INCLUDE, read where the
 * visibility map says the page is all-visible, which autovacuum sets after inserts). It replaces the 0001 purl
 * index, whose columns are its prefix. Built in place from the rows already stored.
 */
async function coverPurlLookup(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  const key = ["purl_type", "purl_name", "purl_namespace"];
  if (flavor === "postgres") {
    // Kysely's index builder has no INCLUDE; the names are this file's constants.
    await sql`create index sbom_components_purl_cover on sbom_components (${sql.join(key.map((c) => sql.ref(c)))}) include (${sql.join(IMPACT_COLUMNS.map((c) => sql.ref(c)))})`.execute(db);
  } else {
    // SQLite has no INCLUDE: the columns go at the end of the key, after the purl key (so a package's entries are in
    // (sbom_seq, position) order).
    await db.schema.createIndex("sbom_components_purl_cover").on("sbom_components").columns([...key, ...IMPACT_COLUMNS]).execute();
  }
  await db.schema.dropIndex("sbom_components_purl").execute();
}

/**
 * 0003: the SLI summary asks, per deployment, for the first and the latest-before-deploy ingest time of its digest's
 * SBOMs and the first of its service's (deploymentSbomFacts). With the time in the index beside the key, each is
 * answered from the index alone (min/max of an index range), never from the rows. `(digest, ingested_at)` replaces
 * `sboms_digest`, its prefix.
 */
async function indexSbomTimes(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("sboms_digest_ingested").on("sboms").columns(["digest", "ingested_at"]).execute();
  await db.schema.createIndex("sboms_service_ingested").on("sboms").columns(["service", "ingested_at"]).execute();
  await db.schema.dropIndex("sboms_digest").execute();
}

/**
 * 0004 (PostgreSQL): the covering purl index of 0002 is read by an index-only scan only where the visibility map says
 * a page is all-visible, which (auto)vacuum sets. By default autovacuum vacuums a table for inserts once they exceed
 * 20% of its rows: on a 3M-row component table, 600,000 rows (2,000 SBOMs) go unvacuumed, and the impact lookup
 * fetches every one of their heap rows ("Heap Fetches" in its plan). Vacuum the component table after 1% of its rows
 * (30,000 at 3M, ~100 SBOMs of 300) plus 10,000 are new instead. SQLite has no visibility map: nothing to do.
 */
async function vacuumComponentsAfterInserts(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  if (flavor !== "postgres") return;
  await sql`alter table sbom_components set (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_insert_threshold = 10000, autovacuum_analyze_scale_factor = 0.02)`.execute(db);
}

async function createIndexTables(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  const bytes = flavor === "postgres" ? "bytea" : "blob";
  const sboms = db.schema.createTable("sboms");
  // SQLite: "integer primary key" is the rowid (no second index), assigned on insert; PostgreSQL: an identity column.
  const withSeq =
    flavor === "postgres" ? sboms.addColumn("seq", "integer", (c) => c.primaryKey().generatedAlwaysAsIdentity()) : sboms.addColumn("seq", "integer", (c) => c.primaryKey());
  await withSeq
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("service", "text", (c) => c.notNull())
    .addColumn("version", "text")
    .addColumn("digest", "text")
    .addColumn("format", "text", (c) => c.notNull())
    .addColumn("spec_version", "text", (c) => c.notNull())
    .addColumn("component_count", "integer", (c) => c.notNull())
    .addColumn("without_purl", "integer", (c) => c.notNull())
    .addColumn("ingested_at", "text", (c) => c.notNull())
    .addColumn("ingested_by", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sboms_digest").on("sboms").column("digest").execute();
  await db.schema.createIndex("sboms_service_version").on("sboms").columns(["service", "version"]).execute();
  await db.schema
    .createTable("sbom_documents")
    .addColumn("sbom_seq", "integer", (c) => c.primaryKey())
    .addColumn("gzip", bytes, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("sbom_components")
    .addColumn("sbom_seq", "integer", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("name_lower", "text", (c) => c.notNull())
    .addColumn("version", "text")
    .addColumn("purl", "text")
    .addColumn("purl_version", "text")
    .addColumn("purl_type", "text")
    .addColumn("purl_namespace", "text")
    .addColumn("purl_name", "text")
    .addColumn("osv_ecosystem", "text")
    .addColumn("osv_name", "text")
    .addColumn("osv_release", "text")
    .addColumn("osv_version", "text")
    .addColumn("license", "text")
    .addPrimaryKeyConstraint("sbom_components_pk", ["sbom_seq", "position"])
    .execute();
  // The impact lookups: by purl key (the hot path), by name, by OSV package (advisories).
  await db.schema.createIndex("sbom_components_purl").on("sbom_components").columns(["purl_type", "purl_name", "purl_namespace"]).execute();
  await db.schema.createIndex("sbom_components_name").on("sbom_components").column("name_lower").execute();
  await db.schema.createIndex("sbom_components_osv").on("sbom_components").columns(["osv_ecosystem", "osv_name"]).execute();
  await db.schema
    .createTable("deployments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("service", "text", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("deployed_at", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("by", "text", (c) => c.notNull())
    .addColumn("recorded_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("deployments_digest").on("deployments").column("digest").execute();
  await db.schema.createIndex("deployments_service_environment").on("deployments").columns(["service", "environment", "deployed_at"]).execute();
  await db.schema
    .createTable("current_deployments")
    .addColumn("service", "text", (c) => c.notNull())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("deployment_id", "text", (c) => c.notNull())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("deployed_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("current_deployments_pk", ["service", "environment"])
    .execute();
  await db.schema.createIndex("current_deployments_digest").on("current_deployments").column("digest").execute();
}

/** What a driver hands the shared store. */
export interface SqlIndexStoreParts {
  /** Where writes go (and reads, unless `reader` is given). */
  db: Kysely<IndexDatabase>;
  /** A separate handle for reads (SQLite: a second connection, so a long ingest never queues a query). */
  reader?: Kysely<IndexDatabase>;
  /** The database's SQL (default "sqlite"): on PostgreSQL deploymentSbomFacts takes another query shape and digest lists go as one array parameter. */
  flavor?: SqlFlavor;
  /** Runs `work` in one write transaction: committed when it resolves, rolled back when it rejects. */
  writeTransaction<T>(work: (trx: Kysely<IndexDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Component rows per INSERT: 15 columns, well under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const COMPONENTS_PER_INSERT = 1000;
/** Keys per lookup query (IN lists). */
const KEYS_PER_QUERY = 500;
/** SBOM seqs per query when findComponents fills its SBOM cache (one number each: SQLite allows 32,766 parameters). */
const SEQS_PER_QUERY = 5000;
/** findComponents' SBOM cache: at most this many SBOMs (~100 bytes each beside their strings: tens of MB). */
const SBOM_REFS_MAX = 200_000;

export function sqlIndexStore(parts: SqlIndexStoreParts): IndexStore {
  const { db } = parts;
  const reader = parts.reader ?? db;
  const { guard, close } = storeLifecycle("the index store", () => parts.close());
  const postgres = parts.flavor === "postgres";

  async function ingestSbom(write: IndexSbomWrite): Promise<{ sbom: IndexSbom; created: boolean }> {
    const { sbom } = write;
    const ingestedAt = canonicalTimestamp(sbom.ingestedAt, "ingestedAt");
    // Compressed before the transaction opens: SQLite holds its write lock for the whole transaction.
    const compressed = await gzipBytes(write.document);
    return guard("index the SBOM", () =>
      parts.writeTransaction(async (trx) => {
        const inserted = await trx
          .insertInto("sboms")
          .values({
            id: sbom.id,
            service: sbom.service,
            version: sbom.version ?? null,
            digest: sbom.digest ?? null,
            format: sbom.format,
            spec_version: sbom.specVersion,
            component_count: sbom.components,
            without_purl: sbom.withoutPurl,
            ingested_at: ingestedAt,
            ingested_by: sbom.ingestedBy,
          })
          .onConflict((oc) => oc.column("id").doNothing())
          .returning("seq")
          .executeTakeFirst();
        if (inserted === undefined) {
          // Stored already (or by a concurrent ingest that committed while this insert waited on its row).
          const stored = await trx.selectFrom("sboms").selectAll().where("id", "=", sbom.id).executeTakeFirstOrThrow();
          return { sbom: toSbom(stored), created: false };
        }
        const seq = Number(inserted.seq);
        await trx.insertInto("sbom_documents").values({ sbom_seq: seq, gzip: compressed }).execute();
        let batch: SbomComponentTable[] = [];
        let position = 0;
        for await (const component of write.components) {
          batch.push(componentRow(seq, position++, component));
          if (batch.length >= COMPONENTS_PER_INSERT) {
            await trx.insertInto("sbom_components").values(batch).execute();
            batch = [];
          }
        }
        if (batch.length > 0) await trx.insertInto("sbom_components").values(batch).execute();
        // The deployments' SBOM facts (sql-sbom-facts.ts) move with the SBOM, in its transaction.
        await lockFacts(trx, parts.flavor ?? "sqlite", { service: sbom.service, ...(sbom.digest === undefined ? {} : { digest: sbom.digest }) });
        for (const table of ["deployments", "current_deployments"] as const) {
          await spreadSbomFacts(trx, table, { service: sbom.service, ...(sbom.digest === undefined ? {} : { digest: sbom.digest }), at: ingestedAt });
        }
        return { sbom: { ...sbom, ingestedAt: presentTimestamp(ingestedAt) }, created: true };
      }),
    );
  }

  async function findSbom(id: string): Promise<IndexSbom | undefined> {
    return guard("read an SBOM", async () => {
      const row = await reader.selectFrom("sboms").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toSbom(row);
    });
  }

  async function readDocument(id: string): Promise<Uint8Array | undefined> {
    return guard("read an SBOM document", async () => {
      const row = await reader
        .selectFrom("sbom_documents as d")
        .innerJoin("sboms as s", "s.seq", "d.sbom_seq")
        .select("d.gzip")
        .where("s.id", "=", id)
        .executeTakeFirst();
      return row === undefined ? undefined : storedDocument(row.gzip, `SBOM ${id}`);
    });
  }

  async function ingestDeployment(d: IndexDeployment): Promise<{ created: boolean }> {
    const deployedAt = canonicalTimestamp(d.deployedAt, "deployedAt");
    const recordedAt = canonicalTimestamp(d.recordedAt, "recordedAt");
    return guard("record the deployment", () =>
      parts.writeTransaction(async (trx) => {
        await lockFacts(trx, parts.flavor ?? "sqlite", { service: d.service, digest: d.digest });
        // The facts are computed by the insert itself, after the lock: the current row takes them from its answer.
        const inserted = await trx
          .insertInto("deployments")
          .values({ id: d.id, service: d.service, environment: d.environment, digest: d.digest, deployed_at: deployedAt, source: d.source, by: d.by, recorded_at: recordedAt, ...factsOfDeployment({ service: d.service, digest: d.digest, deployedAt }) })
          .onConflict((oc) => oc.column("id").doNothing())
          .returning(["digest_first_sbom_at", "digest_sbom_at_deploy", "service_first_sbom_at"])
          .executeTakeFirst();
        if (inserted === undefined) return { created: false };
        const facts: SbomFactColumns = inserted;
        await trx
          .insertInto("current_deployments")
          .values({ service: d.service, environment: d.environment, deployment_id: d.id, digest: d.digest, deployed_at: deployedAt, ...facts })
          .onConflict((oc) =>
            oc
              .columns(["service", "environment"])
              .doUpdateSet((eb) => ({
                deployment_id: eb.ref("excluded.deployment_id"),
                digest: eb.ref("excluded.digest"),
                deployed_at: eb.ref("excluded.deployed_at"),
                digest_first_sbom_at: eb.ref("excluded.digest_first_sbom_at"),
                digest_sbom_at_deploy: eb.ref("excluded.digest_sbom_at_deploy"),
                service_first_sbom_at: eb.ref("excluded.service_first_sbom_at"),
              }))
              // Only a later event (ties: the greater id) becomes current, so arrival order never matters.
              .where((eb) =>
                eb.or([
                  eb("current_deployments.deployed_at", "<", eb.ref("excluded.deployed_at")),
                  eb.and([
                    eb("current_deployments.deployed_at", "=", eb.ref("excluded.deployed_at")),
                    eb("current_deployments.deployment_id", "<", eb.ref("excluded.deployment_id")),
                  ]),
                ]),
              ),
          )
          .execute();
        return { created: true };
      }),
    );
  }

  /**
   * The SBOM fields a component hit carries (id, service, version, digest), by `seq`: filled lazily from the hits'
   * seqs, so that findComponents reads the component rows alone (at 3M rows on PostgreSQL the join with `sboms` was
   * one index probe per hit, 8,905 for a popular package, and its four columns crossed the wire on every row).
   * Safe without invalidation, in one process and across replicas: an `sboms` row never changes once inserted (this
   * store has no update or delete of `sboms`; ingest is insert-or-nothing), and a seq is never reused. A component
   * row is committed in the same transaction as its SBOM's row, so a seq read from a component row is always found.
   * Bounded: emptied when it reaches SBOM_REFS_MAX entries (then refilled by the next lookups).
   */
  const sbomRefs = new Map<number, IndexComponentHit["sbom"]>();
  /** `ordered`'s numeric sort key of each cached SBOM's id, by seq (emptied with sbomRefs). */
  const sbomSortKeys = new Map<number, number>();

  /**
   * Makes sure every one of `seqs` is in sbomRefs, with one query for those that are not; read them there after.
   * A popular package's answer names thousands of seqs, nearly all cached: the common case is one map probe each.
   */
  async function cacheSbomRefs(seqs: readonly number[]): Promise<void> {
    let missing: readonly number[] = seqs.filter((seq) => !sbomRefs.has(seq));
    if (missing.length === 0) return;
    if (sbomRefs.size + missing.length > SBOM_REFS_MAX) {
      // Emptied whole (see sbomRefs); then every seq of this answer is missing.
      sbomRefs.clear();
      sbomSortKeys.clear();
      missing = seqs;
    }
    for (const part of chunks([...new Set(missing)], SEQS_PER_QUERY)) {
      const rows = await reader.selectFrom("sboms").select(["seq", "id", "service", "version", "digest"]).where("seq", "in", part).execute();
      for (const r of rows) {
        const ref: IndexComponentHit["sbom"] = { id: r.id, service: r.service };
        if (r.version !== null) ref.version = r.version;
        if (r.digest !== null) ref.digest = r.digest;
        // Handed to every hit of this SBOM, in this answer and later ones: read-only (the contract's).
        sbomRefs.set(Number(r.seq), Object.freeze(ref));
      }
    }
  }

  /** The cached SBOM fields of a seq that cacheSbomRefs has just made sure of. */
  function sbomRef(seq: number): IndexComponentHit["sbom"] {
    const sbom = sbomRefs.get(seq);
    if (sbom === undefined) throw new VouchError("STORE_CORRUPT", `component rows of SBOM #${seq} have no SBOM row`);
    return sbom;
  }

  async function findComponents(lookup: IndexComponentLookup, options: { fields?: IndexComponentFields } = {}): Promise<IndexComponentHit[]> {
    const impact = options.fields === "impact";
    return guard("look up components", async () => {
      // "impact": only the columns the covering purl index holds (0002), so the purl lookup never reads the table;
      // a purl lookup's key columns are the lookup's own, so they are not read back either.
      const base = (keyColumns: boolean) => {
        const q = reader.selectFrom("sbom_components");
        if (!impact) return q.selectAll();
        const columns = keyColumns ? [...IMPACT_COLUMNS, "purl_type", "purl_namespace", "purl_name"] as const : IMPACT_COLUMNS;
        // Typed as the full row; the columns not selected read as undefined and toComponent leaves them out.
        return q.select(columns) as unknown as ReturnType<typeof q.selectAll>;
      };
      let rows: Awaited<ReturnType<ReturnType<typeof base>["execute"]>>;
      if ("purl" in lookup && impact && postgres) return await purlImpactGrouped(lookup.purl);
      if ("purl" in lookup) {
        const k = lookup.purl;
        rows = await base(!impact).where("purl_type", "=", k.type).where("purl_name", "=", k.name).where("purl_namespace", "=", k.namespace).execute();
        if (impact) for (const r of rows) Object.assign(r, { purl_type: k.type, purl_namespace: k.namespace, purl_name: k.name });
      } else if ("nameLower" in lookup) {
        rows = await base(true).where("name_lower", "=", lookup.nameLower).execute();
      } else {
        rows = [];
        const unique = new Map(lookup.osv.map((k) => [`${k.ecosystem}\u0000${k.name}`, k]));
        for (const part of chunks([...unique.values()], KEYS_PER_QUERY)) {
          rows.push(
            ...(await base(true)
              .where((eb) => eb(eb.refTuple("osv_ecosystem", "osv_name"), "in", part.map((k) => eb.tuple(k.ecosystem, k.name))))
              .execute()),
          );
        }
      }
      await cacheSbomRefs(rows.map((r) => Number(r.sbom_seq)));
      const hits = rows.map((r) => {
        const seq = Number(r.sbom_seq);
        return { sbom: sbomRef(seq), seq, position: Number(r.position), component: frozenComponent(toComponent(r)) };
      });
      return ordered(hits);
    });
  }

  /**
   * The purl lookup of an impact query on PostgreSQL, one row per distinct (name, version, purl, purl version) with the
   * SBOM seqs and positions holding it as arrays. A popular package is in thousands of SBOMs (8,905 at 3M rows) with a
   * few dozen versions: row by row, the wire carried and pg parsed 8,905 rows of four strings each, the largest
   * share of the query's time over HTTP; grouped, the same index-only scan is aggregated in the server and the
   * answer is a few dozen rows of two integer arrays. Same hits, same order (the contract's), as the row-wise lookup.
   */
  async function purlImpactGrouped(k: IndexPurlKey): Promise<IndexComponentHit[]> {
    const groups = await reader
      .selectFrom("sbom_components")
      .select(["name", "version", "purl", "purl_version"])
      .select((eb) => [sql<number[]>`array_agg(${eb.ref("sbom_seq")})`.as("seqs"), sql<number[]>`array_agg(${eb.ref("position")})`.as("positions")])
      .where("purl_type", "=", k.type)
      .where("purl_name", "=", k.name)
      .where("purl_namespace", "=", k.namespace)
      .groupBy(["name", "version", "purl", "purl_version"])
      .execute();
    await cacheSbomRefs(groups.flatMap((g) => g.seqs));
    const hits: OrderedHit[] = [];
    for (const g of groups) {
      // One frozen component for the group's hits: a popular package's thousands of hits share a few dozen versions.
      const shared = frozenComponent(toComponent({ ...g, purl_type: k.type, purl_namespace: k.namespace, purl_name: k.name } as unknown as SbomComponentTable));
      // Both aggregates read the group's rows in one order (one scan, one grouping), so seqs[i] and positions[i] are one row.
      for (let i = 0; i < g.seqs.length; i++) {
        const seq = g.seqs[i]!;
        hits.push({ sbom: sbomRef(seq), seq, position: g.positions[i]!, component: shared });
      }
    }
    return ordered(hits);
  }

  /**
   * The contract's order (SBOM id, then position); each hit shares its SBOM's frozen fields from the cache (copies of
   * them for every one of a popular package's thousands of hits were a share of the answer's time). SBOM ids are `sha256:` + 64 lower-case hex digits, and for those the first 13 hex digits
   * read as a number (52 bits, exact in a double) order them as their text does: the comparator compares numbers
   * (each SBOM's computed once, when its row enters the cache) and the text only on a tie. A popular package's
   * thousands of hits made a string comparator cost milliseconds. Any other id sorts the whole answer by text.
   */
  function ordered(hits: OrderedHit[]): IndexComponentHit[] {
    let numeric = true;
    // Each hit's key looked up once, here, not twice per comparison inside the sort.
    for (const h of hits) {
      h.key = sortKeyOf(h.seq, h.sbom.id);
      if (Number.isNaN(h.key)) numeric = false;
    }
    if (numeric) hits.sort((a, b) => a.key! - b.key! || byCodeUnits(a.sbom.id, b.sbom.id) || a.position - b.position);
    else hits.sort((a, b) => byCodeUnits(a.sbom.id, b.sbom.id) || a.position - b.position);
    return hits.map((h) => ({ sbom: h.sbom, component: h.component }));
  }

  /** The numeric sort key of an SBOM id (see `ordered`), kept beside the SBOM cache; NaN for an id of another form. */
  function sortKeyOf(seq: number, id: string): number {
    let key = sbomSortKeys.get(seq);
    if (key === undefined) {
      key = SHA256_ID.test(id) ? Number.parseInt(id.slice(7, 20), 16) : Number.NaN;
      sbomSortKeys.set(seq, key);
    }
    return key;
  }

  async function currentDeployments(digests: readonly string[]): Promise<IndexCurrentDeployment[]> {
    return guard("look up current deployments", async () => {
      const out: IndexCurrentDeployment[] = [];
      for (const among of textsIn(digests, postgres, KEYS_PER_QUERY)) {
        const rows = await reader
          .selectFrom("current_deployments")
          .selectAll()
          .where("digest", "in", among)
          .execute();
        for (const r of rows) {
          out.push({ service: r.service, environment: r.environment, digest: r.digest, deployedAt: presentTimestamp(r.deployed_at), deploymentId: r.deployment_id });
        }
      }
      return out.sort((a, b) => byCodeUnits(a.service, b.service) || byCodeUnits(a.environment, b.environment));
    });
  }

  /**
   * The distinct (service, environment) pairs of the digests' current deployments, split. A popular package's
   * answer covers thousands of digests (9,218 at 3M rows) deployed 4,567 times; its services and environments are a
   * few dozen pairs, and reading the 4,567 rows to find them cost more than the lookup (26 ms, mostly parsing rows).
   */
  async function currentDeploymentScopes(digests: readonly string[]): Promise<{ services: string[]; environments: string[] }> {
    return guard("look up where digests run", async () => {
      const services = new Set<string>();
      const environments = new Set<string>();
      for (const among of textsIn(digests, postgres, KEYS_PER_QUERY)) {
        const rows = await reader
          .selectFrom("current_deployments")
          .select(["service", "environment"])
          .distinct()
          .where("digest", "in", among)
          .execute();
        for (const r of rows) {
          services.add(r.service);
          environments.add(r.environment);
        }
      }
      return { services: [...services].sort(byCodeUnits), environments: [...environments].sort(byCodeUnits) };
    });
  }

  async function listSboms(filter: IndexSbomFilter = {}): Promise<IndexSbom[]> {
    return guard("list SBOMs", async () => {
      if (filter.services?.length === 0 || filter.digests?.length === 0 || filter.ids?.length === 0) return [];
      const query = (services?: readonly string[], digests?: readonly string[], ids?: readonly string[]) => {
        let q = reader.selectFrom("sboms").selectAll();
        if (services !== undefined) q = q.where("service", "in", services);
        if (digests !== undefined) q = q.where("digest", "in", digests);
        if (ids !== undefined) q = q.where("id", "in", ids);
        if (filter.version !== undefined) q = q.where("version", "=", filter.version);
        return q.execute();
      };
      const rows: Selectable<SbomTable>[] = [];
      // One list is chunked at a time (IN lists stay under the parameter limits); the others go whole.
      if (filter.ids !== undefined) {
        for (const part of chunks([...new Set(filter.ids)], KEYS_PER_QUERY)) rows.push(...(await query(filter.services, filter.digests, part)));
      } else if (filter.digests !== undefined) {
        for (const part of chunks([...new Set(filter.digests)], KEYS_PER_QUERY)) rows.push(...(await query(filter.services, part)));
      } else if (filter.services !== undefined) {
        for (const part of chunks([...new Set(filter.services)], KEYS_PER_QUERY)) rows.push(...(await query(part, undefined)));
      } else {
        rows.push(...(await query(undefined, undefined)));
      }
      rows.sort((a, b) => byCodeUnits(a.ingested_at, b.ingested_at) || byCodeUnits(a.id, b.id));
      return rows.map(toSbom);
    });
  }

  async function listDeployments(filter: IndexDeploymentFilter = {}): Promise<IndexDeployment[]> {
    const until = filter.until === undefined ? undefined : canonicalTimestamp(filter.until, "until");
    return guard("list deployments", async () => {
      const query = (digests?: readonly string[]) => {
        let q = reader.selectFrom("deployments").selectAll();
        if (filter.service !== undefined) q = q.where("service", "=", filter.service);
        if (filter.environment !== undefined) q = q.where("environment", "=", filter.environment);
        if (digests !== undefined) q = q.where("digest", "in", digests);
        if (until !== undefined) q = q.where("deployed_at", "<=", until);
        return q.execute();
      };
      const rows: Selectable<DeploymentTable>[] = [];
      if (filter.digests === undefined) rows.push(...(await query()));
      else for (const part of chunks([...new Set(filter.digests)], KEYS_PER_QUERY)) rows.push(...(await query(part)));
      rows.sort((a, b) => byCodeUnits(a.deployed_at, b.deployed_at) || byCodeUnits(a.id, b.id));
      return rows.map((r) => ({
        id: r.id,
        service: r.service,
        environment: r.environment,
        digest: r.digest,
        deployedAt: presentTimestamp(r.deployed_at),
        source: r.source,
        by: r.by,
        recordedAt: presentTimestamp(r.recorded_at),
      }));
    });
  }

  async function listCurrentDeployments(filter: { service?: string; environment?: string } = {}): Promise<IndexCurrentDeployment[]> {
    return guard("list current deployments", async () => {
      let q = reader.selectFrom("current_deployments").selectAll();
      if (filter.service !== undefined) q = q.where("service", "=", filter.service);
      if (filter.environment !== undefined) q = q.where("environment", "=", filter.environment);
      const rows = await q.execute();
      return rows
        .map((r) => ({ service: r.service, environment: r.environment, digest: r.digest, deployedAt: presentTimestamp(r.deployed_at), deploymentId: r.deployment_id }))
        .sort((a, b) => byCodeUnits(a.service, b.service) || byCodeUnits(a.environment, b.environment));
    });
  }

  async function deploymentSbomFacts(filter: IndexDeploymentFactsFilter = {}): Promise<IndexDeploymentSbomFacts[]> {
    const since = filter.history?.since === undefined ? undefined : canonicalTimestamp(filter.history.since, "since");
    const until = filter.history?.until === undefined ? undefined : canonicalTimestamp(filter.history.until, "until");
    const factColumns = ["d.digest_first_sbom_at", "d.digest_sbom_at_deploy", "d.service_first_sbom_at"] as const;
    return guard("read deployment SBOM facts", async () => {
      // The facts are kept on the rows by both ingests (sql-sbom-facts.ts): one table read, no join with `sboms`.
      let rows: ({ service: string; environment: string; digest: string; deployed_at: string; id: string } & SbomFactColumns)[];
      if (filter.history === undefined) {
        let q = reader.selectFrom("current_deployments as d").select(["d.service", "d.environment", "d.digest", "d.deployed_at", "d.deployment_id as id", ...factColumns]);
        if (filter.service !== undefined) q = q.where("d.service", "=", filter.service);
        if (filter.environment !== undefined) q = q.where("d.environment", "=", filter.environment);
        rows = await q.execute();
        rows.sort((a, b) => byCodeUnits(a.service, b.service) || byCodeUnits(a.environment, b.environment));
      } else {
        let q = reader.selectFrom("deployments as d").select(["d.service", "d.environment", "d.digest", "d.deployed_at", "d.id", ...factColumns]);
        if (filter.service !== undefined) q = q.where("d.service", "=", filter.service);
        if (filter.environment !== undefined) q = q.where("d.environment", "=", filter.environment);
        if (since !== undefined) q = q.where("d.deployed_at", ">=", since);
        if (until !== undefined) q = q.where("d.deployed_at", "<=", until);
        rows = await q.execute();
        rows.sort((a, b) => byCodeUnits(a.deployed_at, b.deployed_at) || byCodeUnits(a.id, b.id));
      }
      return rows.map((r) => {
        const out: IndexDeploymentSbomFacts = { service: r.service, environment: r.environment, digest: r.digest, deployedAt: presentTimestamp(r.deployed_at), deploymentId: r.id };
        if (r.digest_first_sbom_at !== null) out.digestFirstSbomAt = presentTimestamp(r.digest_first_sbom_at);
        if (r.digest_sbom_at_deploy !== null) out.digestSbomAtDeploy = presentTimestamp(r.digest_sbom_at_deploy);
        if (r.service_first_sbom_at !== null) out.serviceFirstSbomAt = presentTimestamp(r.service_first_sbom_at);
        return out;
      });
    });
  }

  async function ping(): Promise<void> {
    await guard("reach the index store", async () => {
      await sql`select 1`.execute(reader);
    });
  }

  return {
    ingestSbom,
    findSbom,
    readDocument,
    ingestDeployment,
    findComponents,
    currentDeployments,
    currentDeploymentScopes,
    listSboms,
    listDeployments,
    listCurrentDeployments,
    deploymentSbomFacts,
    ping,
    close,
  };
}

function componentRow(seq: number, position: number, c: IndexComponent): SbomComponentTable {
  return {
    sbom_seq: seq,
    position,
    name: c.name,
    name_lower: c.name.toLowerCase(),
    version: c.version ?? null,
    purl: c.purl ?? null,
    purl_version: c.purlVersion ?? null,
    purl_type: c.purlKey?.type ?? null,
    purl_namespace: c.purlKey?.namespace ?? null,
    purl_name: c.purlKey?.name ?? null,
    osv_ecosystem: c.osvKey?.ecosystem ?? null,
    osv_name: c.osvKey?.name ?? null,
    osv_release: c.osvKey?.release ?? null,
    osv_version: c.osvKey?.version ?? null,
    license: c.license ?? null,
  };
}

/** An SBOM id as vouch makes them (the sha256 of the document's bytes): what `ordered`'s numeric sort key needs. */
const SHA256_ID = /^sha256:[0-9a-f]{64}$/;

/** A hit before `ordered` puts it in the contract's order: its SBOM's seq keys the numeric sort key. */
interface OrderedHit {
  sbom: IndexComponentHit["sbom"];
  seq: number;
  position: number;
  component: IndexComponent;
  /** Set by `ordered`: its SBOM's numeric sort key. */
  key?: number;
}

/**
 * A hit's component, read-only: hits MAY share one (ports.ts), so a caller that changed one would change others; frozen,
 * such a change throws (ES modules are strict) instead.
 */
function frozenComponent(c: IndexComponent): IndexComponent {
  if (c.purlKey !== undefined) Object.freeze(c.purlKey);
  if (c.osvKey !== undefined) Object.freeze(c.osvKey);
  return Object.freeze(c);
}

/** A stored row as a component; a column not selected (undefined, fields "impact") is left out as a null is. */
function toComponent(r: SbomComponentTable): IndexComponent {
  const c: IndexComponent = { name: r.name };
  if (r.version != null) c.version = r.version;
  if (r.purl != null) c.purl = r.purl;
  if (r.purl_version != null) c.purlVersion = r.purl_version;
  if (r.purl_type != null && r.purl_name != null) c.purlKey = { type: r.purl_type, namespace: r.purl_namespace ?? "", name: r.purl_name };
  if (r.osv_ecosystem != null && r.osv_name != null) {
    c.osvKey = { ecosystem: r.osv_ecosystem, name: r.osv_name };
    if (r.osv_release != null) c.osvKey.release = r.osv_release;
    if (r.osv_version != null) c.osvKey.version = r.osv_version;
  }
  if (r.license != null) c.license = r.license;
  return c;
}

function toSbom(r: Selectable<SbomTable>): IndexSbom {
  const s: IndexSbom = {
    id: r.id,
    service: r.service,
    format: r.format as IndexSbom["format"],
    specVersion: r.spec_version,
    components: Number(r.component_count),
    withoutPurl: Number(r.without_purl),
    ingestedAt: presentTimestamp(r.ingested_at),
    ingestedBy: r.ingested_by,
  };
  if (r.version !== null) s.version = r.version;
  if (r.digest !== null) s.digest = r.digest;
  return s;
}

/** A canonical timestamp without its trailing zero fraction digits: "2024-05-01T10:00:00Z", "…:00.5Z". */
export function presentTimestamp(canonical: string): string {
  return canonical.replace(/\.?0+Z$/, "Z");
}


