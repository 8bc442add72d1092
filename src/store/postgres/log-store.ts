import { createHash } from "node:crypto";
import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import pg from "pg";
import { VouchError } from "../../core/errors.js";
import { storeFailure, type LogStoreTestHooks } from "../log-common.js";
import type { LogStore, SequencerLease } from "../ports.js";
import { migrateToLatest, type LogDatabase } from "../schema.js";
import { sqlLogStore } from "../sql-log-store.js";

export interface PostgresLogStoreOptions {
  /** For the conformance suite only (log-common.ts). */
  testHooks?: LogStoreTestHooks;
  /**
   * A PostgreSQL schema to hold this log (created when missing), so that several logs share one database: the
   * transparency log in the default schema, the certificate transparency log in "ct". The store sets search_path on
   * its own connections, so only a connection string can take a schema. Each schema has its own sequencer lock.
   */
  schema?: string;
}

/** Unquoted lower-case identifiers only: the name goes into search_path and a lock key, and needs no quoting. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The transparency log in PostgreSQL (pg through Kysely), for several `vouch serve` replicas sharing one database.
 *
 * Each append is one transaction that starts with SELECT … FOR UPDATE on the single head row: a second sequencer's
 * append waits on that row lock and then sees the new head, so the compare-and-swap holds across processes and hosts.
 *
 * The sequencer lease is a session advisory lock (pg_try_advisory_lock) held by a dedicated connection: PostgreSQL
 * releases it when that connection ends for any reason, including a SIGKILLed holder, and the holder learns of the
 * loss when its connection errors or ends (`lost`). Advisory locks are per database: one log per database, or per
 * schema with the `schema` option.
 *
 * Given a connection string, the store owns its pool and ends it on close. Given a pg.Pool, it borrows it (and one
 * of its connections for as long as a lease is held, so the pool needs at least two), and leaves it open.
 */
export async function openPostgresLogStore(connection: string | pg.Pool, options: PostgresLogStoreOptions = {}): Promise<LogStore> {
  const owned = typeof connection === "string";
  const { schema } = options;
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) throw new VouchError("INPUT_USAGE", `PostgreSQL log store: ${JSON.stringify(schema)} is not a schema name (a-z, 0-9, _)`);
    if (!owned) throw new VouchError("INPUT_USAGE", "PostgreSQL log store: a schema needs a connection string (the store sets search_path on its own pool)");
  }
  // search_path is a connection parameter: every connection of the pool (queries, migrations, the lease) sees only
  // this log's tables, and the shared SQL (sql-log-store.ts, schema.ts) stays unqualified.
  const pool = owned ? new pg.Pool({ connectionString: connection, max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) }) : connection;
  // An idle client whose server goes away emits "error" on the pool; unhandled, that would crash the process.
  if (owned) pool.on("error", () => undefined);
  const kyselyPool: PostgresPool = owned ? pool : { connect: () => pool.connect(), end: async () => undefined, options: pool.options };
  const db = new Kysely<LogDatabase>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  try {
    await migrateToLatest(db, "postgres", { schema });
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw storeFailure(err, "cannot prepare the PostgreSQL log store");
  }

  const leases = new Set<SequencerLease>();
  const tryAcquireSequencer = async (): Promise<SequencerLease | undefined> => {
    let lease: SequencerLease | undefined = undefined;
    lease = await advisoryLease(pool, sequencerLockKey(schema), () => lease !== undefined && leases.delete(lease));
    if (lease !== undefined) leases.add(lease);
    return lease;
  };

  return sqlLogStore({
    db,
    writeTransaction: (work) => db.transaction().execute(work),
    lockHeadRow: true,
    isUniqueViolation: (err) => (err as { code?: unknown } | undefined)?.code === "23505",
    tryAcquireSequencer,
    close: async () => {
      for (const lease of [...leases]) await lease.release().catch(() => undefined);
      await db.destroy();
    },
    hooks: options.testHooks,
  });
}

/**
 * The advisory lock's key: one 64-bit number for "the vouch log's sequencer" (in this schema), derived from a name so
 * that it is unlikely to meet another application's advisory locks in a shared database. Advisory locks are per
 * database, so logs in different schemas need different keys; the default schema keeps the original one.
 */
function sequencerLockKey(schema: string | undefined): string {
  const name = schema === undefined ? "vouch transparency log sequencer" : `vouch transparency log sequencer, schema ${schema}`;
  return createHash("sha256").update(name).digest().readBigInt64BE(0).toString();
}

/** How often an idle lease connection is checked, to learn of a network partition that TCP would report late. */
const HEARTBEAT_MS = 5000;

async function advisoryLease(pool: pg.Pool, lockKey: string, forget: () => void): Promise<SequencerLease | undefined> {
  const client = await pool.connect();
  let resolveLost!: () => void;
  const lost = new Promise<void>((resolve) => (resolveLost = resolve));
  let ended = false;
  let returned = false;
  const giveBack = (destroy: boolean) => {
    if (returned) return;
    returned = true;
    client.off("error", onGone);
    client.off("end", onGone);
    client.release(destroy);
  };
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    forget();
    resolveLost();
  };
  // The connection is gone, and with it the session that held the lock: the lease is lost.
  function onGone() {
    end();
    giveBack(true);
  }
  client.on("error", onGone);
  client.on("end", onGone);
  let heartbeat: NodeJS.Timeout | undefined = undefined;
  try {
    const { rows } = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1::bigint) as ok", [lockKey]);
    if (rows[0]?.ok !== true) {
      giveBack(false);
      return undefined;
    }
  } catch (err) {
    giveBack(true);
    throw err;
  }
  heartbeat = setInterval(() => {
    client.query("select 1").catch(onGone);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    lost,
    async release() {
      if (ended) return giveBack(true);
      end();
      try {
        await client.query("select pg_advisory_unlock($1::bigint)", [lockKey]);
        giveBack(false);
      } catch {
        // Could not unlock: drop the connection, which releases the lock with the session.
        giveBack(true);
      }
    },
  };
}
