import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../../../test/support/postgres.js";
import { createToken } from "../../../api/tokens.js";
import { createIndexService } from "../../../sbom-index/service.js";
import type { IndexStore, TokenStore } from "../../../store/ports.js";
import { openPostgresIndexStore } from "../../../store/postgres/index-store.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * The "Large SBOMs (100k components) stream in", through HTTP into real stores (SQLite, and PostgreSQL when
 * a server can be had): a generated 100,000-component CycloneDX SBOM is stored with every component row exactly once;
 * a truncated document and a body whose connection drops part-way store nothing, and the SBOM ingests after them.
 * The server's peak RSS growth during the ingest is printed (reported, not asserted: memory depends on the machine).
 */

const COMPONENTS = 100_000;
const unavailable = await postgresUnavailable();

function bigSbom(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(JSON.stringify({ type: "library", "bom-ref": `c${i}`, name: `large-${i}`, version: `1.${i % 100}.0`, purl: `pkg:npm/large-${i}@1.${i % 100}.0`, licenses: [{ license: { id: "MIT" } }] }));
  }
  return Buffer.from(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"type":"application","name":"large"}},"components":[${parts.join(",")}]}`);
}

interface Backend {
  open(): Promise<IndexStore>;
  /** Component rows stored, and distinct (sbom, position) among them. */
  rows(): Promise<{ sboms: number; components: number; distinct: number }>;
  dispose(): Promise<void>;
}

const ROWS = "select (select count(*) from sboms) as sboms, (select count(*) from sbom_components) as components, (select count(*) from (select distinct sbom_seq, position from sbom_components) d) as \"distinct\"";

function describeLarge(name: string, makeBackend: () => Promise<Backend>): void {
  describe(`${name}: a ${COMPONENTS.toLocaleString("en")}-component SBOM over HTTP`, () => {
    let dir: string;
    let backend: Backend;
    let store: IndexStore;
    let tokens: TokenStore;
    let app: FastifyInstance;
    let token: string;
    let port: number;
    const body = bigSbom(COMPONENTS);
    const id = `sha256:${createHash("sha256").update(body).digest("hex")}`;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "vouch-large-sbom-"));
      backend = await makeBackend();
      store = await backend.open();
      tokens = await openSqliteTokenStore(join(dir, "tokens.sqlite"));
      token = (await createToken(tokens, { scopes: ["ingest", "read"], name: "ci" })).token;
      app = await buildApp({ index: { service: createIndexService({ store }), tokens } });
      await app.listen({ host: "127.0.0.1", port: 0 });
      port = (app.server.address() as { port: number }).port;
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await store?.close();
      await tokens?.close();
      await backend?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    /** POSTs `chunks` (written one by one); `drop` destroys the connection after them instead of ending the body. */
    const post = (chunks: Buffer[], options: { drop?: boolean } = {}) =>
      new Promise<{ status: number; body: string } | "dropped">((resolve, reject) => {
        const length = chunks.reduce((n, c) => n + c.length, 0);
        const req = request(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/api/v1/sboms?service=large&version=1.0.0",
            headers: { "content-type": "application/vnd.cyclonedx+json", authorization: `Bearer ${token}`, ...(options.drop ? { "transfer-encoding": "chunked" } : { "content-length": String(length) }) },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8").on("data", (c: string) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on("error", (err: NodeJS.ErrnoException) => (options.drop ? resolve("dropped") : reject(err)));
        for (const c of chunks) req.write(c);
        if (options.drop) setTimeout(() => req.destroy(), 200);
        else req.end();
      });

    it("a truncated document and a dropped connection store nothing", async () => {
      const cut = await post([body.subarray(0, Math.floor(body.length / 2))]);
      expect(cut).toMatchObject({ status: 400 });
      expect(JSON.parse((cut as { body: string }).body).message).toMatch(/the body is not JSON/);
      expect(await post([body.subarray(0, Math.floor(body.length / 3))], { drop: true })).toBe("dropped");
      // The server saw the connection end without the body's end: nothing reached the store.
      await new Promise((r) => setTimeout(r, 200));
      expect(await backend.rows()).toEqual({ sboms: 0, components: 0, distinct: 0 });
      expect(await store.findSbom(id)).toBeUndefined();
    }, 120_000);

    it("stores every component row exactly once, keyed by the sha256 of the bytes, in bounded memory", async () => {
      const before = process.memoryUsage();
      const peak = { rss: before.rss, heap: before.heapUsed + before.external };
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peak.rss = Math.max(peak.rss, now.rss);
        peak.heap = Math.max(peak.heap, now.heapUsed + now.external);
      }, 5);
      const started = performance.now();
      // Written in 1 MiB chunks, as a client streams a file.
      const chunks: Buffer[] = [];
      for (let at = 0; at < body.length; at += 1 << 20) chunks.push(body.subarray(at, at + (1 << 20)));
      const answer = await post(chunks);
      clearInterval(sampler);
      console.log(
        `[large SBOM ${name}] ${(body.length / 1048576).toFixed(1)} MiB, ${COMPONENTS} components: ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
          `peak growth: RSS ${((peak.rss - before.rss) / 1048576).toFixed(0)} MiB, JS heap + buffers ${((peak.heap - before.heapUsed - before.external) / 1048576).toFixed(0)} MiB (server and client in this process)`,
      );
      expect(answer).toMatchObject({ status: 201 });
      expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ id, created: true, components: COMPONENTS, withoutPurl: 0 });
      expect(await backend.rows()).toEqual({ sboms: 1, components: COMPONENTS, distinct: COMPONENTS });
      for (const i of [0, COMPONENTS / 2, COMPONENTS - 1]) {
        const hits = await store.findComponents({ purl: { type: "npm", namespace: "", name: `large-${i}` } });
        expect(hits.map((h) => [h.sbom.id, h.component.version])).toEqual([[id, `1.${i % 100}.0`]]);
      }
      expect(Buffer.from((await store.readDocument(id))!).equals(body)).toBe(true);
      // Again: the same bytes, nothing more stored.
      const again = await post([body]);
      expect(again).toMatchObject({ status: 200 });
      expect(await backend.rows()).toEqual({ sboms: 1, components: COMPONENTS, distinct: COMPONENTS });
    }, 300_000);
  });
}

describeLarge("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vouch-large-sqlite-"));
  const file = join(dir, "index.sqlite");
  return {
    open: () => openSqliteIndexStore(file),
    rows: async () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare(ROWS).get() as { sboms: number; components: number; distinct: number };
      } finally {
        db.close();
      }
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

if (unavailable === undefined) {
  describeLarge("PostgreSQL", async () => {
    const database = await createTestDatabase();
    return {
      open: () => openPostgresIndexStore(database.url),
      rows: async () => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          const r = (await client.query<Record<string, string>>(ROWS)).rows[0]!;
          return { sboms: Number(r.sboms), components: Number(r.components), distinct: Number(r.distinct) };
        } finally {
          await client.end();
        }
      },
      dispose: () => database.drop(),
    };
  });
}
// Without a server, postgresUnavailable() has printed why the PostgreSQL half is not run.
