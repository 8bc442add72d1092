import type { Kysely } from "kysely";
import { VouchError } from "../core/errors.js";
import { canonicalTimestamp } from "../core/time.js";
import type { DecisionCounts, DecisionEvent, DecisionFilter, DecisionSource, DecisionStore } from "./ports.js";
import { runMigrations, type NamedMigration, type SqlFlavor } from "./schema.js";
import { storeLifecycle } from "./sql-common.js";

/**
 * The DecisionStore over one SQL table, shared by the SQLite and PostgreSQL drivers: `policy_decisions` beside the
 * index's tables (`<data>/index.sqlite`, or the DATABASE_URL database), with its own migration bookkeeping.
 *
 * `at` is the event time as canonicalTimestamp (UTC, nine fraction digits), so that ordering and windows compare
 * instants with plain string comparison in both dialects; `time` keeps the text as recorded. The Decision is JSON
 * text (decisions are read whole, never queried inside).
 */

export interface DecisionTable {
  id: string;
  at: string;
  time: string;
  source: string;
  kind: string;
  namespace: string | null;
  name: string | null;
  /** JSON object, or null for none. */
  labels: string | null;
  uid: string | null;
  operation: string | null;
  /** 0/1 in both dialects (SQLite has no boolean). */
  allowed: number;
  needs_reconciliation: number;
  decision: string;
  reconciles: string | null;
  reconciled_at: string | null;
  reconciled_by: string | null;
}

export interface DecisionDatabase {
  policy_decisions: DecisionTable;
}

const DECISION_MIGRATIONS: readonly NamedMigration[] = [{ name: "0001_decisions", up: createDecisionTable }];

export const DECISION_MIGRATION_NAMES: readonly string[] = DECISION_MIGRATIONS.map((m) => m.name);

export async function migrateDecisionsToLatest(db: Kysely<DecisionDatabase>, flavor: SqlFlavor): Promise<void> {
  await runMigrations(db, flavor, DECISION_MIGRATIONS, { table: "vouch_decision_migration" });
}

async function createDecisionTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("policy_decisions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("time", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("namespace", "text")
    .addColumn("name", "text")
    .addColumn("labels", "text")
    .addColumn("uid", "text")
    .addColumn("operation", "text")
    .addColumn("allowed", "integer", (c) => c.notNull())
    .addColumn("needs_reconciliation", "integer", (c) => c.notNull())
    .addColumn("decision", "text", (c) => c.notNull())
    .addColumn("reconciles", "text")
    .addColumn("reconciled_at", "text")
    .addColumn("reconciled_by", "text")
    .execute();
  // Lists walk (at, id); reconciliation asks for the pending ones in time order.
  await db.schema.createIndex("policy_decisions_at").on("policy_decisions").columns(["at", "id"]).execute();
}

export interface DecisionSqlParts {
  db: Kysely<DecisionDatabase>;
  /** Runs a write alone (SQLite: the in-process writer queue of the file; PostgreSQL: as is). */
  write<T>(work: () => Promise<T>): Promise<T>;
  isDuplicateKey(err: unknown): boolean;
  /**
   * Inserts rows, skipping ids already stored, and answers the ids it stored: a driver's faster way than Kysely's
   * (SQLite: one statement prepared once, one transaction per call). Without it, multi-row INSERTs through Kysely.
   */
  insertRows?(rows: readonly DecisionTable[]): Promise<string[]>;
  close(): Promise<void>;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const SOURCES: ReadonlySet<string> = new Set<DecisionSource>(["admission", "cli", "reconcile"]);

export function sqlDecisionStore(parts: DecisionSqlParts): DecisionStore {
  const { db } = parts;
  const { guard, close } = storeLifecycle("the decision store", () => parts.close());

  const findRow = (id: string) => db.selectFrom("policy_decisions").selectAll().where("id", "=", id).executeTakeFirst();

  return {
    record: (event) =>
      guard("record a decision", async () => {
        const row = rowOf(event);
        try {
          await parts.write(() => db.insertInto("policy_decisions").values(row).execute());
        } catch (err) {
          if (parts.isDuplicateKey(err)) throw new VouchError("STORE_CONFLICT", `a decision with id ${event.id} is already recorded`, { cause: err });
          throw err;
        }
      }),
    recordBatch: (events) =>
      guard("record decisions", async () => {
        // Every row is checked before anything is written: a malformed event refuses the whole batch.
        const rows = events.map(rowOf);
        const stored = new Set<string>();
        if (parts.insertRows !== undefined) {
          if (rows.length > 0) for (const id of await parts.write(() => parts.insertRows!(rows))) stored.add(id);
        } else for (let start = 0; start < rows.length; start += BATCH_ROWS) {
          const chunk = rows.slice(start, start + BATCH_ROWS);
          // One statement (one commit) per chunk; an id already stored is skipped, not an error.
          const inserted = await parts.write(() =>
            db
              .insertInto("policy_decisions")
              .values(chunk)
              .onConflict((oc) => oc.column("id").doNothing())
              .returning("id")
              .execute(),
          );
          for (const { id } of inserted) stored.add(id);
        }
        const conflicts: string[] = [];
        for (const event of events) {
          // The first event with an id is the stored one; a later one with the same id is a conflict.
          if (!stored.delete(event.id)) conflicts.push(event.id);
        }
        return { conflicts };
      }),
    find: (id) =>
      guard("look up a decision", async () => {
        const row = await findRow(id);
        return row === undefined ? undefined : toEvent(row);
      }),
    list: (filter: DecisionFilter = {}) =>
      guard("list decisions", async () => {
        const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
        let query = db.selectFrom("policy_decisions").selectAll();
        if (filter.since !== undefined) query = query.where("at", ">=", canonicalTimestamp(filter.since, "since"));
        if (filter.until !== undefined) query = query.where("at", "<", canonicalTimestamp(filter.until, "until"));
        if (filter.allowed !== undefined) query = query.where("allowed", "=", filter.allowed ? 1 : 0);
        if (filter.source !== undefined) query = query.where("source", "=", filter.source);
        if (filter.needsReconciliation !== undefined) query = query.where("needs_reconciliation", "=", filter.needsReconciliation ? 1 : 0);
        if (filter.pending === true) query = query.where("needs_reconciliation", "=", 1).where("reconciled_at", "is", null);
        if (filter.pending === false) query = query.where((eb) => eb.or([eb("needs_reconciliation", "=", 0), eb("reconciled_at", "is not", null)]));
        const descending = filter.order === "desc";
        const beyond = descending ? "<" : ">";
        if (filter.cursor !== undefined) {
          const after = parseCursor(filter.cursor, descending);
          query = query.where((eb) => eb.or([eb("at", beyond, after.at), eb.and([eb("at", "=", after.at), eb("id", beyond, after.id)])]));
        }
        // Both directions walk the (at, id) index, backwards for newest first.
        const direction = descending ? "desc" : "asc";
        const rows = await query.orderBy("at", direction).orderBy("id", direction).limit(limit + 1).execute();
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return { events: page.map(toEvent), ...(rows.length > limit && last !== undefined ? { next: cursorOf(last, descending) } : {}) };
      }),
    markReconciled: (id, outcome) =>
      guard("mark a decision reconciled", () =>
        parts.write(async () => {
          canonicalTimestamp(outcome.at, "reconciled at");
          // `reconciled_at is null` keeps the first reconciliation: marking twice changes nothing.
          await db.updateTable("policy_decisions").set({ reconciled_at: outcome.at, reconciled_by: outcome.by }).where("id", "=", id).where("reconciled_at", "is", null).execute();
          const row = await findRow(id);
          return row === undefined ? undefined : toEvent(row);
        }),
      ),
    counts: (window) =>
      guard("count decisions", async () => {
        const since = canonicalTimestamp(window.since, "since");
        const until = canonicalTimestamp(window.until, "until");
        let query = db
          .selectFrom("policy_decisions")
          .select(["allowed", "needs_reconciliation", (eb) => eb.fn.countAll<number | string>().as("n"), (eb) => eb.fn.count<number | string>("reconciled_at").as("reconciled")])
          .where("at", ">=", since)
          .where("at", "<", until);
        if (window.source !== undefined) query = query.where("source", "=", window.source);
        const rows = await query.groupBy(["allowed", "needs_reconciliation"]).execute();
        const counts: DecisionCounts = { total: 0, allowed: 0, denied: 0, needsReconciliation: 0, pending: 0 };
        for (const row of rows) {
          const n = Number(row.n);
          counts.total += n;
          if (Number(row.allowed) === 1) counts.allowed += n;
          else counts.denied += n;
          if (Number(row.needs_reconciliation) === 1) {
            counts.needsReconciliation += n;
            counts.pending += n - Number(row.reconciled);
          }
        }
        return counts;
      }),
    close,
  };
}

/** Rows per INSERT of recordBatch: 16 parameters each, far below SQLite's 32,766 and PostgreSQL's 65,535. */
const BATCH_ROWS = 500;

/** The row of an event; refuses (INPUT_MALFORMED) a time that is not RFC 3339 and an unknown source. */
function rowOf(event: DecisionEvent): DecisionTable {
  const at = canonicalTimestamp(event.time, "time");
  if (!SOURCES.has(event.source)) throw new VouchError("INPUT_MALFORMED", `source ${JSON.stringify(event.source)} is not admission, cli or reconcile`);
  return {
    id: event.id,
    at,
    time: event.time,
    source: event.source,
    kind: event.resource.kind,
    namespace: event.resource.namespace ?? null,
    name: event.resource.name ?? null,
    labels: event.resource.labels === undefined ? null : JSON.stringify(event.resource.labels),
    uid: event.uid ?? null,
    operation: event.operation ?? null,
    allowed: event.allowed ? 1 : 0,
    needs_reconciliation: event.needsReconciliation ? 1 : 0,
    decision: JSON.stringify(event.decision),
    reconciles: event.reconciles ?? null,
    reconciled_at: event.reconciled?.at ?? null,
    reconciled_by: event.reconciled?.by ?? null,
  };
}

function toEvent(row: DecisionTable): DecisionEvent {
  return {
    id: row.id,
    time: row.time,
    source: row.source as DecisionSource,
    resource: {
      kind: row.kind,
      ...(row.namespace === null ? {} : { namespace: row.namespace }),
      ...(row.name === null ? {} : { name: row.name }),
      ...(row.labels === null ? {} : { labels: JSON.parse(row.labels) as Record<string, string> }),
    },
    ...(row.uid === null ? {} : { uid: row.uid }),
    ...(row.operation === null ? {} : { operation: row.operation }),
    allowed: Number(row.allowed) === 1,
    needsReconciliation: Number(row.needs_reconciliation) === 1,
    decision: JSON.parse(row.decision) as Record<string, unknown>,
    ...(row.reconciles === null ? {} : { reconciles: row.reconciles }),
    ...(row.reconciled_at === null || row.reconciled_by === null ? {} : { reconciled: { at: row.reconciled_at, by: row.reconciled_by } }),
  };
}

/**
 * Opaque to callers: base64url of `at` NUL `id` (ids may hold any character but NUL), then NUL `d` for a newest-first
 * walk, so that a cursor of one direction is refused by the other instead of silently skipping or repeating events.
 */
function cursorOf(row: DecisionTable, descending: boolean): string {
  return Buffer.from(`${row.at}\u0000${row.id}${descending ? "\u0000d" : ""}`, "utf8").toString("base64url");
}

function parseCursor(cursor: string, descending: boolean): { at: string; id: string } {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const parts = text.split("\u0000");
  const at = parts[0] ?? "";
  const shape = descending ? parts.length === 3 && parts[2] === "d" : parts.length === 2;
  if (!shape || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(at)) throw new VouchError("INPUT_MALFORMED", "the cursor is not one a decision list in this order gave");
  return { at, id: parts[1]! };
}
