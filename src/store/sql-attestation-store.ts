import { sql, type ColumnType, type Kysely, type Selectable } from "kysely";
import { VouchError } from "../core/errors.js";
import type {
  AttestationListFilter,
  AttestationLogEntry,
  AttestationRecord,
  AttestationStore,
  AttestationSubject,
  AttestationWrite,
  ProvenanceByproduct,
  ProvenanceFactsRow,
  SignerIdentityRow,
  SignerRow,
} from "./ports.js";
import { runMigrations, type NamedMigration, type SqlFlavor } from "./schema.js";
import { byCodeUnits, chunks, textsIn, gzipBytes, storedDocument, storeLifecycle } from "./sql-common.js";
import { canonicalTimestamp } from "../core/time.js";
import { presentTimestamp } from "./sql-index-store.js";


/**
 * The AttestationStore over SQL tables, shared by the SQLite and PostgreSQL drivers (as sql-index-store.ts is for
 * the SBOM index, beside whose tables these live).
 *
 * Tables:
 * - `attestations`: one row per ingested document, `id` the sha256 of its bytes (unique: idempotency is the
 *   database's), `seq` a small surrogate the other rows carry. The signer, the verdict and the provenance facts are
 *   columns, so the SLI and graph reads (signed digests, signers, facts by commit) are indexed lookups, not JSON scans.
 * - `attestation_subjects`: (seq, digest, name), indexed by digest: the join to `sboms.digest` / `deployments.digest`.
 * - `attestation_documents`: the document gzip'd and the statement's predicate (JSON text), apart so lookups never read them.
 *
 * The provenance's byproducts (a handful per run, read only with their record) are a JSON column of `attestations`.
 *
 * Own migration list and bookkeeping table (`vouch_attestation_migration`).
 */

export interface AttestationTable {
  seq: ColumnType<number, never, never>;
  id: string;
  kind: string;
  media_type: string | null;
  payload_type: string | null;
  predicate_type: string | null;
  signer_kind: string | null;
  signer_identity: string | null;
  signer_issuer: string | null;
  /** 1 verified, 0 not (an integer on both flavours). */
  verified: number;
  reason: string | null;
  /** JSON array of AttestationLogEntry. */
  log_entries: string;
  /** Canonical timestamps (canonicalTimestamp): string order is instant order. */
  signed_at: string | null;
  ingested_at: string;
  ingested_by: string;
  prov_predicate_type: string | null;
  builder_id: string | null;
  build_type: string | null;
  source_repo: string | null;
  source_commit: string | null;
  invocation_id: string | null;
  /** 1 / 0; null when the attestation carries no provenance. */
  prov_complete: number | null;
  /** JSON array of ProvenanceByproduct; null when the provenance names none (migration 0002). */
  byproducts: string | null;
}

export interface AttestationSubjectTable {
  attestation_seq: number;
  digest: string;
  name: string;
}

export interface AttestationDocumentTable {
  attestation_seq: number;
  gzip: Uint8Array;
  predicate: string | null;
}

export interface AttestationDatabase {
  attestations: AttestationTable;
  attestation_subjects: AttestationSubjectTable;
  attestation_documents: AttestationDocumentTable;
}


/** Every attestation migration, in order; never edit a shipped one. */
const ATTESTATION_MIGRATIONS: readonly NamedMigration[] = [
  { name: "0001_attestations", up: createAttestationTables },
  { name: "0002_provenance_byproducts", up: addProvenanceByproducts },
  { name: "0003_ingested_order", up: addIngestedOrder },
];

export const ATTESTATION_MIGRATION_NAMES: readonly string[] = ATTESTATION_MIGRATIONS.map((m) => m.name);

export async function migrateAttestationsToLatest(db: Kysely<AttestationDatabase>, flavor: SqlFlavor): Promise<void> {
  await runMigrations(db, flavor, ATTESTATION_MIGRATIONS, { table: "vouch_attestation_migration" });
}

async function createAttestationTables(db: Kysely<unknown>, flavor: SqlFlavor): Promise<void> {
  const bytes = flavor === "postgres" ? "bytea" : "blob";
  const table = db.schema.createTable("attestations");
  const withSeq =
    flavor === "postgres" ? table.addColumn("seq", "integer", (c) => c.primaryKey().generatedAlwaysAsIdentity()) : table.addColumn("seq", "integer", (c) => c.primaryKey());
  await withSeq
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("media_type", "text")
    .addColumn("payload_type", "text")
    .addColumn("predicate_type", "text")
    .addColumn("signer_kind", "text")
    .addColumn("signer_identity", "text")
    .addColumn("signer_issuer", "text")
    .addColumn("verified", "integer", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("log_entries", "text", (c) => c.notNull())
    .addColumn("signed_at", "text")
    .addColumn("ingested_at", "text", (c) => c.notNull())
    .addColumn("ingested_by", "text", (c) => c.notNull())
    .addColumn("prov_predicate_type", "text")
    .addColumn("builder_id", "text")
    .addColumn("build_type", "text")
    .addColumn("source_repo", "text")
    .addColumn("source_commit", "text")
    .addColumn("invocation_id", "text")
    .addColumn("prov_complete", "integer")
    .execute();
  await db.schema.createIndex("attestations_source_commit").on("attestations").column("source_commit").execute();
  await db.schema.createIndex("attestations_signer").on("attestations").columns(["signer_identity", "signer_issuer"]).execute();
  await db.schema
    .createTable("attestation_subjects")
    .addColumn("attestation_seq", "integer", (c) => c.notNull())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("attestation_subjects_pk", ["attestation_seq", "digest", "name"])
    .execute();
  await db.schema.createIndex("attestation_subjects_digest").on("attestation_subjects").columns(["digest", "attestation_seq"]).execute();
  await db.schema
    .createTable("attestation_documents")
    .addColumn("attestation_seq", "integer", (c) => c.primaryKey())
    .addColumn("gzip", bytes, (c) => c.notNull())
    .addColumn("predicate", "text")
    .execute();
}

/** `list` walks attestations newest ingest first: backwards along this index, never a sort of the whole table. */
async function addIngestedOrder(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("attestations_ingested").on("attestations").columns(["ingested_at", "id"]).execute();
}

const SLSA_V1 = "https://slsa.dev/provenance/v1";
const BACKFILL_ROWS = 200;

/**
 * The byproducts column, filled for the provenance already held from its stored predicate, so a database made before
 * this migration links its runs to their SBOMs too. The reading is this migration's own, frozen as shipped (a
 * migration must do the same thing whenever it runs), and as defensive as sbom-index/provenance-facts.ts: the
 * predicate was signed, not validated. A predicate that is not JSON is left alone (readPredicate reports it).
 */
async function addProvenanceByproducts(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("attestations").addColumn("byproducts", "text").execute();
  const typed = db as Kysely<AttestationDatabase>;
  for (let after = -1; ; ) {
    const rows = await typed
      .selectFrom("attestations as a")
      .innerJoin("attestation_documents as d", "d.attestation_seq", "a.seq")
      .select(["a.seq", "d.predicate"])
      .where("a.prov_predicate_type", "=", SLSA_V1)
      .where("d.predicate", "is not", null)
      .where("a.seq", ">", after)
      .orderBy("a.seq")
      .limit(BACKFILL_ROWS)
      .execute();
    for (const row of rows) {
      const byproducts = storedByproducts(row.predicate!);
      if (byproducts.length > 0) await typed.updateTable("attestations").set({ byproducts: JSON.stringify(byproducts) }).where("seq", "=", row.seq).execute();
    }
    if (rows.length < BACKFILL_ROWS) return;
    after = Number(rows.at(-1)!.seq);
  }
}

function storedByproducts(predicateJson: string): ProvenanceByproduct[] {
  let predicate: unknown;
  try {
    predicate = JSON.parse(predicateJson);
  } catch {
    return [];
  }
  const field = (o: unknown, key: string): unknown => (typeof o === "object" && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined);
  const entries = field(field(predicate, "runDetails"), "byproducts");
  const out = new Map<string, ProvenanceByproduct>();
  for (const entry of Array.isArray(entries) ? entries : []) {
    const hex = field(field(entry, "digest"), "sha256");
    if (typeof hex !== "string" || !/^[0-9a-fA-F]{64}$/.test(hex)) continue;
    const name = field(entry, "name");
    const b: ProvenanceByproduct = { digest: `sha256:${hex.toLowerCase()}`, ...(typeof name === "string" && name !== "" ? { name } : {}) };
    out.set(`${b.digest}\u0000${b.name ?? ""}`, b);
  }
  return [...out.values()].sort((a, b) => byCodeUnits(a.digest, b.digest) || byCodeUnits(a.name ?? "", b.name ?? ""));
}

/** What a driver hands the shared store. */
export interface SqlAttestationStoreParts {
  db: Kysely<AttestationDatabase>;
  /** A separate handle for reads (SQLite: a second connection). */
  reader?: Kysely<AttestationDatabase>;
  /** The database's SQL (default "sqlite"): on PostgreSQL a digest list goes as one array parameter. */
  flavor?: SqlFlavor;
  writeTransaction<T>(work: (trx: Kysely<AttestationDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const KEYS_PER_QUERY = 500;
const HEX_PREFIX = /^[0-9a-f]{7,64}$/;

export function sqlAttestationStore(parts: SqlAttestationStoreParts): AttestationStore {
  const { db } = parts;
  const reader = parts.reader ?? db;
  const { guard, close } = storeLifecycle("the attestation store", () => parts.close());
  // The SLI summary asks signedDigests / provenanceFacts about every deployed digest (3,746 at portfolio scale):
  // textsIn makes that one query on PostgreSQL (IN lists of 500 were 8 queries each, ~3.5 ms apiece on empty tables).
  const postgres = parts.flavor === "postgres";

  async function ingest(write: AttestationWrite): Promise<{ record: AttestationRecord; created: boolean }> {
    const r = write.record;
    const ingestedAt = canonicalTimestamp(r.ingestedAt, "ingestedAt");
    const signedAt = r.signedAt === undefined ? null : canonicalTimestamp(r.signedAt, "signedAt");
    const logEntries = r.logEntries.map((e) => ({ ...e, ...(e.integratedTime !== undefined ? { integratedTime: presentTimestamp(canonicalTimestamp(e.integratedTime, "integratedTime")) } : {}) }));
    const subjects = uniqueSubjects(r.subjects);
    const compressed = await gzipBytes(write.document);
    const predicate = write.predicate === undefined ? null : JSON.stringify(write.predicate);
    const p = r.provenance;
    return guard("store the attestation", () =>
      parts.writeTransaction(async (trx) => {
        const inserted = await trx
          .insertInto("attestations")
          .values({
            id: r.id,
            kind: r.kind,
            media_type: r.mediaType ?? null,
            payload_type: r.payloadType ?? null,
            predicate_type: r.predicateType ?? null,
            signer_kind: r.signer?.kind ?? null,
            signer_identity: r.signer?.identity ?? null,
            signer_issuer: r.signer?.issuer ?? null,
            verified: r.verified ? 1 : 0,
            reason: r.verified ? null : (r.reason ?? null),
            log_entries: JSON.stringify(logEntries),
            signed_at: signedAt,
            ingested_at: ingestedAt,
            ingested_by: r.ingestedBy,
            prov_predicate_type: p?.predicateType ?? null,
            builder_id: p?.builderId ?? null,
            build_type: p?.buildType ?? null,
            source_repo: p?.sourceRepo ?? null,
            source_commit: p?.sourceCommit?.toLowerCase() ?? null,
            invocation_id: p?.invocationId ?? null,
            prov_complete: p === undefined ? null : p.complete ? 1 : 0,
            byproducts: p?.byproducts !== undefined && p.byproducts.length > 0 ? JSON.stringify(p.byproducts) : null,
          })
          .onConflict((oc) => oc.column("id").doNothing())
          .returning("seq")
          .executeTakeFirst();
        if (inserted === undefined) {
          const stored = await trx.selectFrom("attestations").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
          return { record: (await withSubjects(trx, [stored]))[0]!, created: false };
        }
        const seq = Number(inserted.seq);
        if (subjects.length > 0) {
          for (const part of chunks(subjects, KEYS_PER_QUERY)) {
            await trx
              .insertInto("attestation_subjects")
              .values(part.map((s) => ({ attestation_seq: seq, digest: s.digest, name: s.name })))
              .execute();
          }
        }
        await trx.insertInto("attestation_documents").values({ attestation_seq: seq, gzip: compressed, predicate }).execute();
        const stored = await trx.selectFrom("attestations").selectAll().where("seq", "=", seq).executeTakeFirstOrThrow();
        return { record: (await withSubjects(trx, [stored]))[0]!, created: true };
      }),
    );
  }

  async function find(id: string): Promise<AttestationRecord | undefined> {
    return guard("read an attestation", async () => {
      const row = await reader.selectFrom("attestations").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : (await withSubjects(reader, [row]))[0];
    });
  }

  async function documentRow(id: string) {
    return reader
      .selectFrom("attestation_documents as d")
      .innerJoin("attestations as a", "a.seq", "d.attestation_seq")
      .select(["d.gzip", "d.predicate"])
      .where("a.id", "=", id)
      .executeTakeFirst();
  }

  async function readDocument(id: string): Promise<Uint8Array | undefined> {
    return guard("read an attestation document", async () => {
      const row = await documentRow(id);
      return row === undefined ? undefined : storedDocument(row.gzip, `attestation ${id}`);
    });
  }

  async function readPredicate(id: string): Promise<unknown> {
    return guard("read an attestation's predicate", async () => {
      const row = await documentRow(id);
      if (row === undefined || row.predicate === null) return undefined;
      try {
        return JSON.parse(row.predicate) as unknown;
      } catch (err) {
        throw new VouchError("STORE_CORRUPT", `the stored predicate of attestation ${id} is not JSON`, { cause: err });
      }
    });
  }

  /** Attestation rows with a subject among `digests`, each once; `verifiedOnly` narrows to verified ones. */
  async function rowsForDigests(digests: readonly string[], verifiedOnly: boolean): Promise<Selectable<AttestationTable>[]> {
    const bySeq = new Map<number, Selectable<AttestationTable>>();
    for (const part of chunks([...new Set(digests)], KEYS_PER_QUERY)) {
      let q = reader
        .selectFrom("attestations as a")
        .selectAll("a")
        .where((eb) => eb.exists(eb.selectFrom("attestation_subjects as s").select("s.attestation_seq").whereRef("s.attestation_seq", "=", "a.seq").where("s.digest", "in", part)));
      if (verifiedOnly) q = q.where("a.verified", "=", 1);
      for (const row of await q.execute()) bySeq.set(Number(row.seq), row);
    }
    return [...bySeq.values()];
  }

  async function forDigests(digests: readonly string[]): Promise<AttestationRecord[]> {
    return guard("look up attestations", async () => sortRecords(await withSubjects(reader, await rowsForDigests(digests, false))));
  }

  async function signedDigests(digests: readonly string[]): Promise<Set<string>> {
    return guard("look up signed digests", async () => {
      const out = new Set<string>();
      for (const among of textsIn(digests, postgres, KEYS_PER_QUERY)) {
        const rows = await reader
          .selectFrom("attestation_subjects as s")
          .innerJoin("attestations as a", "a.seq", "s.attestation_seq")
          .select("s.digest")
          .distinct()
          .where("s.digest", "in", among)
          .where("a.verified", "=", 1)
          .execute();
        for (const r of rows) out.add(r.digest);
      }
      return out;
    });
  }

  async function signerIdentities(filter: { since?: string } = {}): Promise<SignerIdentityRow[]> {
    const since = filter.since === undefined ? undefined : canonicalTimestamp(filter.since, "since");
    return guard("list signer identities", async () => {
      const rows = await reader
        .selectFrom("attestation_subjects as s")
        .innerJoin("attestations as a", "a.seq", "s.attestation_seq")
        .select((eb) => [
          "s.digest",
          "a.signer_identity",
          "a.signer_issuer",
          eb.fn.min(eb.fn.coalesce("a.signed_at", "a.ingested_at")).as("first_seen"),
          eb.fn.count<number>("a.seq").distinct().as("signatures"),
        ])
        .where("a.verified", "=", 1)
        .where("a.signer_identity", "is not", null)
        .groupBy(["s.digest", "a.signer_identity", "a.signer_issuer"])
        .execute();
      const out: SignerIdentityRow[] = [];
      for (const r of rows) {
        const firstSeen = String(r.first_seen);
        if (since !== undefined && firstSeen < since) continue;
        const row: SignerIdentityRow = { digest: r.digest, identity: r.signer_identity!, firstSeen: presentTimestamp(firstSeen), signatures: Number(r.signatures) };
        if (r.signer_issuer !== null) row.issuer = r.signer_issuer;
        out.push(row);
      }
      return out.sort((a, b) => byCodeUnits(a.digest, b.digest) || byCodeUnits(a.identity, b.identity) || byCodeUnits(a.issuer ?? "", b.issuer ?? ""));
    });
  }

  async function signers(): Promise<SignerRow[]> {
    return guard("list signers", async () => {
      const seen = sql<string>`coalesce(signed_at, ingested_at)`;
      const rows = await reader
        .selectFrom("attestations")
        .select((eb) => ["signer_kind", "signer_identity", "signer_issuer", eb.fn.min(seen).as("first_seen"), eb.fn.max(seen).as("last_seen"), eb.fn.countAll<number | string>().as("signatures")])
        .where("verified", "=", 1)
        .where("signer_identity", "is not", null)
        .where("signer_kind", "is not", null)
        .groupBy(["signer_kind", "signer_identity", "signer_issuer"])
        .execute();
      return rows
        .map((r): SignerRow => ({
          kind: r.signer_kind as SignerRow["kind"],
          identity: r.signer_identity!,
          ...(r.signer_issuer === null ? {} : { issuer: r.signer_issuer }),
          firstSeen: presentTimestamp(String(r.first_seen)),
          lastSeen: presentTimestamp(String(r.last_seen)),
          signatures: Number(r.signatures),
        }))
        .sort((a, b) => byCodeUnits(a.identity, b.identity) || byCodeUnits(a.issuer ?? "", b.issuer ?? "") || byCodeUnits(a.kind, b.kind));
    });
  }

  async function provenanceFacts(digests: readonly string[]): Promise<ProvenanceFactsRow[]> {
    return guard("look up provenance facts", async () => {
      const out: ProvenanceFactsRow[] = [];
      for (const among of textsIn(digests, postgres, KEYS_PER_QUERY)) {
        const rows = await reader
          .selectFrom("attestation_subjects as s")
          .innerJoin("attestations as a", "a.seq", "s.attestation_seq")
          .selectAll("a")
          .select("s.digest as subject_digest")
          .distinct()
          .where("s.digest", "in", among)
          .where("a.verified", "=", 1)
          .where("a.prov_complete", "is not", null)
          .execute();
        for (const r of rows) {
          const facts = toRecord(r, []).provenance!;
          out.push({ digest: r.subject_digest, attestationId: r.id, ...facts });
        }
      }
      return out.sort((a, b) => byCodeUnits(a.digest, b.digest) || byCodeUnits(a.attestationId, b.attestationId));
    });
  }

  async function bySourceCommit(commit: string): Promise<AttestationRecord[]> {
    const wanted = commit.toLowerCase();
    return guard("look up attestations by commit", async () => {
      let q = reader.selectFrom("attestations").selectAll().where("verified", "=", 1);
      // A hex prefix is a range on the index ('z' sorts after every hex digit); anything else matches exactly.
      q = HEX_PREFIX.test(wanted) ? q.where("source_commit", ">=", wanted).where("source_commit", "<", `${wanted}z`) : q.where("source_commit", "=", commit);
      const rows = (await q.execute()).filter((r) => r.source_commit !== null && r.source_commit.startsWith(HEX_PREFIX.test(wanted) ? wanted : commit));
      return sortRecords(await withSubjects(reader, rows));
    });
  }

  async function bySigner(identity: string, issuer?: string): Promise<AttestationRecord[]> {
    return guard("look up attestations by signer", async () => {
      let q = reader.selectFrom("attestations").selectAll().where("verified", "=", 1).where("signer_identity", "=", identity);
      if (issuer !== undefined) q = q.where("signer_issuer", "=", issuer);
      return sortRecords(await withSubjects(reader, await q.execute()));
    });
  }

  async function list(filter: AttestationListFilter = {}): Promise<{ attestations: AttestationRecord[]; next?: string }> {
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT)), MAX_LIST_LIMIT);
    const after = filter.cursor === undefined ? undefined : parseListCursor(filter.cursor);
    return guard("list attestations", async () => {
      let q = reader.selectFrom("attestations as a").selectAll("a");
      if (filter.verified !== undefined) q = q.where("a.verified", "=", filter.verified ? 1 : 0);
      if (filter.digest !== undefined) {
        const wanted = filter.digest;
        q = q.where((eb) => eb.exists(eb.selectFrom("attestation_subjects as s").select("s.attestation_seq").whereRef("s.attestation_seq", "=", "a.seq").where("s.digest", "=", wanted)));
      }
      if (after !== undefined) q = q.where((eb) => eb.or([eb("a.ingested_at", "<", after.at), eb.and([eb("a.ingested_at", "=", after.at), eb("a.id", "<", after.id)])]));
      const rows = await q.orderBy("a.ingested_at", "desc").orderBy("a.id", "desc").limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const attestations = await withSubjects(reader, page);
      return rows.length > limit && last !== undefined ? { attestations, next: listCursorOf(last.ingested_at, last.id) } : { attestations };
    });
  }

  async function ping(): Promise<void> {
    await guard("reach the attestation store", async () => {
      await sql`select 1`.execute(reader);
    });
  }

  return {
    ingest,
    find,
    readDocument,
    readPredicate,
    forDigests,
    signedDigests,
    signerIdentities,
    signers,
    provenanceFacts,
    bySourceCommit,
    bySigner,
    list,
    ping,
    close,
  };
}

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 500;

/** Opaque to callers: base64url of the canonical ingest time, NUL, the id (a sha256 digest: never holds NUL). */
function listCursorOf(at: string, id: string): string {
  return Buffer.from(`${at}\u0000${id}`, "utf8").toString("base64url");
}

function parseListCursor(cursor: string): { at: string; id: string } {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const parts = text.split("\u0000");
  if (parts.length !== 2 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(parts[0]!)) throw new VouchError("INPUT_MALFORMED", "the cursor is not one an attestation list gave");
  return { at: parts[0]!, id: parts[1]! };
}

async function withSubjects(db: Kysely<AttestationDatabase>, rows: readonly Selectable<AttestationTable>[]): Promise<AttestationRecord[]> {
  const subjects = new Map<number, AttestationSubject[]>();
  for (const part of chunks(rows.map((r) => Number(r.seq)), KEYS_PER_QUERY)) {
    const found = await db.selectFrom("attestation_subjects").selectAll().where("attestation_seq", "in", part).execute();
    for (const s of found) {
      const list = subjects.get(Number(s.attestation_seq)) ?? [];
      list.push({ name: s.name, digest: s.digest });
      subjects.set(Number(s.attestation_seq), list);
    }
  }
  return rows.map((r) => toRecord(r, uniqueSubjects(subjects.get(Number(r.seq)) ?? [])));
}

function toRecord(r: Selectable<AttestationTable>, subjects: AttestationSubject[]): AttestationRecord {
  const logEntries = parseStored<AttestationLogEntry[]>(r.log_entries, `the stored log entries of attestation ${r.id}`);
  const rec: AttestationRecord = {
    id: r.id,
    kind: r.kind as AttestationRecord["kind"],
    subjects,
    verified: Number(r.verified) === 1,
    logEntries,
    ingestedAt: presentTimestamp(r.ingested_at),
    ingestedBy: r.ingested_by,
  };
  if (r.media_type !== null) rec.mediaType = r.media_type;
  if (r.payload_type !== null) rec.payloadType = r.payload_type;
  if (r.predicate_type !== null) rec.predicateType = r.predicate_type;
  if (r.signer_kind !== null && r.signer_identity !== null) {
    rec.signer = { kind: r.signer_kind as "certificate" | "key", identity: r.signer_identity };
    if (r.signer_issuer !== null) rec.signer.issuer = r.signer_issuer;
  }
  if (r.reason !== null) rec.reason = r.reason;
  if (r.signed_at !== null) rec.signedAt = presentTimestamp(r.signed_at);
  if (r.prov_complete !== null && r.prov_predicate_type !== null) {
    const p: NonNullable<AttestationRecord["provenance"]> = { predicateType: r.prov_predicate_type, complete: Number(r.prov_complete) === 1 };
    if (r.builder_id !== null) p.builderId = r.builder_id;
    if (r.build_type !== null) p.buildType = r.build_type;
    if (r.source_repo !== null) p.sourceRepo = r.source_repo;
    if (r.source_commit !== null) p.sourceCommit = r.source_commit;
    if (r.invocation_id !== null) p.invocationId = r.invocation_id;
    if (r.byproducts !== null) p.byproducts = parseStored<ProvenanceByproduct[]>(r.byproducts, `the stored byproducts of attestation ${r.id}`);
    rec.provenance = p;
  }
  return rec;
}

function parseStored<T>(json: string, what: string): T {
  try {
    return JSON.parse(json) as T;
  } catch (err) {
    throw new VouchError("STORE_CORRUPT", `${what} are not JSON`, { cause: err });
  }
}

function uniqueSubjects(subjects: readonly AttestationSubject[]): AttestationSubject[] {
  const seen = new Map<string, AttestationSubject>();
  for (const s of subjects) seen.set(`${s.digest}\u0000${s.name}`, { name: s.name, digest: s.digest });
  return [...seen.values()].sort((a, b) => byCodeUnits(a.digest, b.digest) || byCodeUnits(a.name, b.name));
}

function sortRecords(records: AttestationRecord[]): AttestationRecord[] {
  // ingestedAt is presented without trailing zeros: compare instants, not strings.
  return records.sort((a, b) => Date.parse(a.ingestedAt) - Date.parse(b.ingestedAt) || byCodeUnits(a.id, b.id));
}


