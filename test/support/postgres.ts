import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/**
 * PostgreSQL for tests: a fresh, empty database per test, on the server named by DATABASE_URL when it is set, else
 * on the one embedded server of this test run, which test/support/postgres-global-setup.ts starts on first request
 * (vitest globalSetup: one server for every worker, started only when a test asks, stopped when the run ends).
 *
 * When there is no server, `postgresUnavailable()` returns why and prints it once per file, and the tests skip.
 */

declare module "vitest" {
  export interface ProvidedContext {
    /** Where to ask for this run's PostgreSQL server (postgres-global-setup.ts); absent with DATABASE_URL. */
    vouchPostgresBroker?: string;
  }
}

export interface TestDatabase {
  /** Connection string of the new database. */
  url: string;
  /** Drops the database (closing whatever is still connected to it). */
  drop(): Promise<void>;
}

let server: Promise<string> | undefined;

/** The admin connection string of the test server (DATABASE_URL, or the run's embedded server). */
function serverUrl(): Promise<string> {
  server ??= (async () => {
    const fromEnv = process.env.DATABASE_URL;
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
    const broker = inject("vouchPostgresBroker");
    if (broker === undefined) throw new Error("no DATABASE_URL, and the vitest globalSetup test/support/postgres-global-setup.ts did not run");
    const answer = (await (await fetch(`${broker}/server`)).json()) as { url?: string; error?: string };
    if (answer.url === undefined) throw new Error(`the embedded PostgreSQL server did not start: ${answer.error ?? "no reason given"}`);
    return answer.url;
  })();
  return server;
}

let reported = false;

/** Why the PostgreSQL tests cannot run here, or undefined when they can. Prints the reason (once per test file). */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    const client = new pg.Client({ connectionString: await serverUrl(), connectionTimeoutMillis: 10_000 });
    await client.connect();
    await client.query("select 1");
    await client.end();
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (!reported) {
      reported = true;
      console.warn(`[postgres] PostgreSQL tests SKIPPED: ${reason}`);
    }
    return reason;
  }
}

/** A new, empty database on the test server, so that tests (and test files running in parallel) never meet. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = await serverUrl();
  const name = `vouch_test_${randomBytes(8).toString("hex")}`;
  await withClient(admin, (client) => client.query(`create database ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withClient(admin, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
