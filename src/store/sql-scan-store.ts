import { sql, type ColumnType, type Kysely, type Selectable } from "kysely";
import { VouchError } from "../core/errors.js";
import type { ScanFinding, ScanRecord, ScanSeverity, ScanStore, ScanWrite } from "./ports.js";
import { runMigrations, type NamedMigration, type SqlFlavor } from "./schema.js";
import { gzipBytes, storedDocument, storeLifecycle } from "./sql-common.js";
import { canonicalTimestamp } from "../core/time.js";
import { presentTimestamp } from "./sql-index-store.js";


/**
 * The ScanStore over SQL tables, shared by the SQLite and PostgreSQL drivers, beside the SBOM index's tables.
 *
 * Tables:
 * - `scans`: one row per ingested report, `id` unique (idempotency is the database's), `seq` a small surrogate the
 *   other rows carry; indexed by (digest, ingested_at) for "the latest scan of each deployed digest".
 * - `scan_findings`: one row per finding (vulnerability id, aliases, component purl / name / version, severity
 *   bucket and score, fixed-in, KEV flag, VEX status), keyed by (seq, position); indexed by vulnerability id.
 * - `scan_documents`: the report gzip'd, apart so lookups never read it.
 *
 * Own migration list and bookkeeping table (`vouch_scan_migration`).
 */

export interface ScanTable {
  seq: ColumnType<number, never, never>;
  id: string;
  digest: string;
  service: string;
  format: string;
  finding_count: number;
  /** Canonical timestamp (canonicalTimestamp): string order is instant order. */
  ingested_at: string;
  ingested_by: string;
}

export interface ScanFindingTable {
  scan_seq: number;
  position: number;
  vulnerability_id: string;
  /** JSON array of strings. */
  aliases: string;
  purl: string;
  name: string;
  version: string;
  severity: string;
  score: number | null;
  /** JSON array of strings. */
  fixed_in: string;
  /** 1 in KEV, 0 not. */
  kev: number;
  vex_status: string | null;
}

export interface ScanDocumentTable {
  scan_seq: number;
  gzip: Uint8Array;
}

export interface ScanDatabase {
  scans: ScanTable;
  scan_findings: ScanFindingTable;
  scan_documents: ScanDocumentTable;
}

/** Every scan migration, in order; never edit a shipped one. */
const SCAN_MIGRATIONS: readonly NamedMigration[] = [{ name: "0001_scans", up: createScanTables }];

export const SCAN_MIGRATION_NAMES: readonly string[] = SCAN_MIGRATIONS.map((m) => m.name);

export async function migrateScansToLatest(db: Kysely<ScanDatabase>, flavor: SqlFlavor): Promise<void> {
  await runMigrations(db, flavor, SCAN_MIGRATIONS, { table: "vouch_scan_migration" });
}

async function createScanTables(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  const bytes = flavor === "postgres" ? "bytea" : "blob";
  const table = db.schema.createTable("scans");
  const withSeq =
    flavor === "postgres" ? table.addColumn("seq", "integer", (c) => c.primaryKey().generatedAlwaysAsIdentity()) : table.addColumn("seq", "integer", (c) => c.primaryKey());
  await withSeq
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("service", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    .addColumn("finding_count", "integer", (c) => c.notNull())
    .addColumn("ingested_at", "text", (c) => c.notNull())
    .addColumn("ingested_by", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("scans_digest_ingested").on("scans").columns(["digest", "ingested_at"]).execute();
  await db.schema
    .createTable("scan_findings")
    .addColumn("scan_seq", "integer", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("vulnerability_id", "text", (c) => c.notNull())
    .addColumn("aliases", "text", (c) => c.notNull())
    .addColumn("purl", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("severity", "text", (c) => c.notNull())
    .addColumn("score", flavor === "postgres" ? "double precision" : "real")
    .addColumn("fixed_in", "text", (c) => c.notNull())
    .addColumn("kev", "integer", (c) => c.notNull())
    .addColumn("vex_status", "text")
    .addPrimaryKeyConstraint("scan_findings_pk", ["scan_seq", "position"])
    .execute();
  await db.schema.createIndex("scan_findings_vulnerability").on("scan_findings").column("vulnerability_id").execute();
  await db.schema
    .createTable("scan_documents")
    .addColumn("scan_seq", "integer", (c) => c.primaryKey())
    .addColumn("gzip", bytes, (c) => c.notNull())
    .execute();
}

/** What a driver hands the shared store. */
export interface SqlScanStoreParts {
  db: Kysely<ScanDatabase>;
  /** A separate handle for reads (SQLite: a second connection). */
  reader?: Kysely<ScanDatabase>;
  writeTransaction<T>(work: (trx: Kysely<ScanDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const KEYS_PER_QUERY = 500;
/** Rows per insert: 12 columns each, under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const FINDINGS_PER_INSERT = 1000;

export function sqlScanStore(parts: SqlScanStoreParts): ScanStore {
  const { db } = parts;
  const reader = parts.reader ?? db;
  const { guard, close } = storeLifecycle("the scan store", () => parts.close());

  async function ingest(write: ScanWrite): Promise<{ record: ScanRecord; created: boolean }> {
    const r = write.record;
    const ingestedAt = canonicalTimestamp(r.ingestedAt, "ingestedAt");
    const compressed = await gzipBytes(write.document);
    const rows = write.findings.map((f, position) => ({
      position,
      vulnerability_id: f.vulnerabilityId,
      aliases: JSON.stringify(f.aliases),
      purl: f.purl,
      name: f.name,
      version: f.version,
      severity: f.severity,
      score: f.score ?? null,
      fixed_in: JSON.stringify(f.fixedIn),
      kev: f.kev ? 1 : 0,
      vex_status: f.vexStatus ?? null,
    }));
    return guard("store the scan", () =>
      parts.writeTransaction(async (trx) => {
        const inserted = await trx
          .insertInto("scans")
          .values({
            id: r.id,
            digest: r.digest,
            service: r.service,
            format: r.format,
            finding_count: rows.length,
            ingested_at: ingestedAt,
            ingested_by: r.ingestedBy,
          })
          .onConflict((oc) => oc.column("id").doNothing())
          .returning("seq")
          .executeTakeFirst();
        if (inserted === undefined) {
          const stored = await trx.selectFrom("scans").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
          return { record: toRecord(stored), created: false };
        }
        const seq = Number(inserted.seq);
        for (let i = 0; i < rows.length; i += FINDINGS_PER_INSERT) {
          await trx
            .insertInto("scan_findings")
            .values(rows.slice(i, i + FINDINGS_PER_INSERT).map((row) => ({ scan_seq: seq, ...row })))
            .execute();
        }
        await trx.insertInto("scan_documents").values({ scan_seq: seq, gzip: compressed }).execute();
        const stored = await trx.selectFrom("scans").selectAll().where("seq", "=", seq).executeTakeFirstOrThrow();
        return { record: toRecord(stored), created: true };
      }),
    );
  }

  async function find(id: string): Promise<ScanRecord | undefined> {
    return guard("read a scan", async () => {
      const row = await reader.selectFrom("scans").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    });
  }

  async function findings(id: string): Promise<ScanFinding[]> {
    return guard("read a scan's findings", async () => {
      const rows = await reader
        .selectFrom("scan_findings as f")
        .innerJoin("scans as s", "s.seq", "f.scan_seq")
        .selectAll("f")
        .where("s.id", "=", id)
        .orderBy("f.position")
        .execute();
      return rows.map((row) => toFinding(row, id));
    });
  }

  async function readDocument(id: string): Promise<Uint8Array | undefined> {
    return guard("read a scan document", async () => {
      const row = await reader
        .selectFrom("scan_documents as d")
        .innerJoin("scans as s", "s.seq", "d.scan_seq")
        .select("d.gzip")
        .where("s.id", "=", id)
        .executeTakeFirst();
      return row === undefined ? undefined : storedDocument(row.gzip, `scan ${id}`);
    });
  }

  async function latestForDigests(digests: readonly string[]): Promise<ScanRecord[]> {
    return guard("look up the latest scans", async () => {
      const latest = new Map<string, Selectable<ScanTable>>();
      for (let i = 0, unique = [...new Set(digests)]; i < unique.length; i += KEYS_PER_QUERY) {
        const rows = await reader
          .selectFrom("scans")
          .selectAll()
          .where("digest", "in", unique.slice(i, i + KEYS_PER_QUERY))
          .execute();
        for (const row of rows) {
          const seen = latest.get(row.digest);
          // Canonical timestamps: string order is instant order.
          if (seen === undefined || row.ingested_at > seen.ingested_at || (row.ingested_at === seen.ingested_at && row.id > seen.id)) latest.set(row.digest, row);
        }
      }
      return [...latest.values()].map(toRecord).sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    });
  }

  async function ping(): Promise<void> {
    await guard("reach the scan store", async () => {
      await sql`select 1`.execute(reader);
    });
  }

  return { ingest, find, findings, readDocument, latestForDigests, ping, close };
}

function toRecord(r: Selectable<ScanTable>): ScanRecord {
  return {
    id: r.id,
    digest: r.digest,
    service: r.service,
    format: r.format as ScanRecord["format"],
    findingCount: Number(r.finding_count),
    ingestedAt: presentTimestamp(r.ingested_at),
    ingestedBy: r.ingested_by,
  };
}

function toFinding(r: Selectable<ScanFindingTable>, id: string): ScanFinding {
  let aliases: string[];
  let fixedIn: string[];
  try {
    aliases = JSON.parse(r.aliases) as string[];
    fixedIn = JSON.parse(r.fixed_in) as string[];
  } catch (err) {
    throw new VouchError("STORE_CORRUPT", `the stored findings of scan ${id} are not JSON`, { cause: err });
  }
  const f: ScanFinding = {
    vulnerabilityId: r.vulnerability_id,
    aliases,
    purl: r.purl,
    name: r.name,
    version: r.version,
    severity: r.severity as ScanSeverity,
    fixedIn,
    kev: Number(r.kev) === 1,
  };
  if (r.score !== null) f.score = Number(r.score);
  if (r.vex_status !== null) f.vexStatus = r.vex_status as NonNullable<ScanFinding["vexStatus"]>;
  return f;
}
