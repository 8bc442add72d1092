import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnVouch, vouchAsync, type RunningVouch } from "../support/cli.js";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../support/postgres.js";

/**
 * The SBOM index's reliability, as the issue lists it, against real `vouch serve` processes:
 * - 8 clients ingesting at once while queries run: no error, no lost or duplicated row, concurrent pushes of the same
 *   SBOM stored once (one 201, the rest 200 with the same id), and no query ever sees an SBOM half-stored;
 * - kill -9 during ingest, then restart on the same store: every acknowledged SBOM is there and queryable, no SBOM is
 *   stored half, and what was in flight can be pushed again;
 * - an SBOM of 1,000,000 components: refused by the component limit with a clear 4xx, nothing stored.
 * On SQLite (the data directory) and, for the first two, on PostgreSQL (DATABASE_URL; skipped with the reason printed
 * when there is no server).
 */

const pgUnavailable = await postgresUnavailable();

const COMMON = "pkg:npm/reliability-common";
const digestOf = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/**
 * A CycloneDX SBOM named by `tag`: `filler` components of its own, then the common package (at a version of its own)
 * LAST, so a reader that saw an SBOM before its last component was written would find it without the common one.
 */
function sbom(tag: string, filler: number): string {
  const components = [];
  for (let i = 0; i < filler; i++) components.push({ type: "library", name: `${tag}-dep-${i}`, version: "1.0.0", purl: `pkg:npm/${tag}-dep-${i}@1.0.0` });
  components.push({ type: "library", name: "reliability-common", version: "1.0.0", purl: `${COMMON}@1.0.0` });
  return JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5", version: 1, metadata: { component: { type: "application", name: tag } }, components });
}

interface Store {
  env: Record<string, string>;
  /** SBOMs and component rows, and the SBOMs whose stored component rows differ from their component count. */
  rows(): Promise<{ sboms: number; components: number; partial: string[]; ids: string[] }>;
  dispose(): Promise<void>;
}

const ROWS_SQL = {
  counts: "select (select count(*) from sboms) as sboms, (select count(*) from sbom_components) as components",
  partial:
    "select s.id as id from sboms s left join sbom_components c on c.sbom_seq = s.seq group by s.seq, s.id, s.component_count having count(c.position) <> s.component_count",
  ids: "select id from sboms order by id",
};

function sqliteStore(dataDir: string): Store {
  return {
    env: {},
    rows: async () => {
      const db = new Database(join(dataDir, "index.sqlite"), { readonly: true });
      try {
        const integrity = db.pragma("integrity_check", { simple: true });
        if (integrity !== "ok") throw new Error(`SQLite integrity_check: ${String(integrity)}`);
        const c = db.prepare(ROWS_SQL.counts).get() as { sboms: number; components: number };
        const partial = (db.prepare(ROWS_SQL.partial).all() as { id: string }[]).map((r) => r.id);
        const ids = (db.prepare(ROWS_SQL.ids).all() as { id: string }[]).map((r) => r.id);
        return { sboms: c.sboms, components: c.components, partial, ids };
      } finally {
        db.close();
      }
    },
    dispose: async () => undefined,
  };
}

function postgresStore(database: TestDatabase): Store {
  const query = async <T extends pg.QueryResultRow>(text: string) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    env: { DATABASE_URL: database.url },
    rows: async () => {
      const [c] = await query<{ sboms: string; components: string }>(ROWS_SQL.counts);
      const partial = (await query<{ id: string }>(ROWS_SQL.partial)).map((r) => r.id);
      const ids = (await query<{ id: string }>(ROWS_SQL.ids)).map((r) => r.id);
      return { sboms: Number(c!.sboms), components: Number(c!.components), partial, ids };
    },
    dispose: () => database.drop(),
  };
}

/** A data directory with a token, and `vouch serve` on it (started again by `restart`). */
class Deployment {
  readonly work = mkdtempSync(join(tmpdir(), "vouch-e2e-index-reliability-"));
  readonly dataDir = join(this.work, "data");
  server: RunningVouch | undefined;
  token = "";
  store!: Store;

  constructor(private readonly config: string) {}

  env(): Record<string, string> {
    return { VOUCH_DATA_DIR: this.dataDir, ...this.store.env };
  }

  async start(store: (dataDir: string) => Promise<Store>): Promise<void> {
    this.store = await store(this.dataDir);
    const created = await vouchAsync(["token", "create", "--scope", "ingest,read", "--name", "reliability"], { env: this.env() });
    expect(created.code, created.stderr).toBe(0);
    this.token = created.stdout.trim();
    await this.restart();
  }

  async restart(): Promise<void> {
    const config = join(this.work, "vouch.yaml");
    writeFileSync(config, this.config);
    this.server = await spawnVouch(["serve", "--port", "0", "--config", config], { env: this.env(), timeoutMs: 60_000 });
    await this.server.waitForOutput(/SBOM index at /);
  }

  push(text: string, service: string): Promise<Response> {
    const q = new URLSearchParams({ service, version: "1.0.0" });
    return fetch(`${this.server!.url}/api/v1/sboms?${q}`, { method: "POST", headers: { authorization: `Bearer ${this.token}`, "content-type": "application/vnd.cyclonedx+json" }, body: text });
  }

  deploy(service: string, environment: string, digest: string): Promise<Response> {
    return fetch(`${this.server!.url}/api/v1/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify({ service, environment, digest }),
    });
  }

  async affected(purl: string): Promise<{ status: number; artifacts: { sbom: string; service: string; components: { purl?: string }[]; deployments: unknown[] }[] }> {
    const res = await fetch(`${this.server!.url}/api/v1/affected?${new URLSearchParams({ purl })}`, { headers: { authorization: `Bearer ${this.token}` } });
    const body = (await res.json()) as { artifacts?: { sbom: string; service: string; components: { purl?: string }[]; deployments: unknown[] }[] };
    return { status: res.status, artifacts: body.artifacts ?? [] };
  }

  async dispose(): Promise<void> {
    if (this.server !== undefined && this.server.process.exitCode === null && this.server.process.signalCode === null) await this.server.stop();
    await this.store?.dispose();
    rmSync(this.work, { recursive: true, force: true });
  }
}

describeReliability("SQLite in the data directory", async (dataDir) => sqliteStore(dataDir));
describe.skipIf(pgUnavailable !== undefined)("on PostgreSQL", () => {
  describeReliability("PostgreSQL (DATABASE_URL)", async () => postgresStore(await createTestDatabase()));
});

function describeReliability(name: string, store: (dataDir: string) => Promise<Store>): void {
  describe(`the SBOM index under load and crashes, ${name}`, () => {
    it("takes 8 concurrent ingest clients while queries run: every SBOM once, whole, no error", async () => {
      const d = new Deployment("index:\n  anonymousRead: false\n");
      try {
        await d.start(store);
        const clients = 8;
        const perClient = 10;
        // Three SBOMs every client pushes (concurrent identical ingests), and ten of each client's own.
        const shared = [0, 1, 2].map((i) => sbom(`shared-${i}`, 40));
        const own = Array.from({ length: clients }, (_, c) => Array.from({ length: perClient }, (_, i) => sbom(`client-${c}-${i}`, 40)));
        const statuses = new Map<string, number[]>();
        const problems: string[] = [];
        let ingesting = true;

        // Queries the whole time: never an error, never an SBOM without its last component, never fewer than before.
        let queries = 0;
        const reader = (async () => {
          let seen = 0;
          while (ingesting) {
            const r = await d.affected(COMMON);
            queries++;
            if (r.status !== 200) problems.push(`query answered ${r.status}`);
            if (r.artifacts.length < seen) problems.push(`query saw ${r.artifacts.length} SBOMs after ${seen}`);
            seen = Math.max(seen, r.artifacts.length);
            for (const a of r.artifacts) if (a.components.length !== 1) problems.push(`SBOM ${a.sbom} answered with ${a.components.length} common components`);
            const some = r.artifacts[r.artifacts.length - 1];
            if (some !== undefined) {
              // The SBOM's first component was written before its last: an SBOM seen at all is seen whole.
              const first = await d.affected(`pkg:npm/${some.service}-dep-0`);
              if (first.artifacts.length !== 1) problems.push(`SBOM ${some.sbom} seen by its last component but not by its first`);
            }
          }
        })();

        const client = async (c: number) => {
          const mine = [...shared, ...own[c]!];
          // Each client pushes in its own order, so the shared ones meet at different moments.
          for (let k = 0; k < mine.length; k++) {
            const text = mine[(k + c) % mine.length]!;
            const tag = (JSON.parse(text) as { metadata: { component: { name: string } } }).metadata.component.name;
            const res = await d.push(text, tag);
            const body = (await res.json()) as { id?: string; message?: string };
            statuses.set(digestOf(text), [...(statuses.get(digestOf(text)) ?? []), res.status]);
            if (res.status !== 201 && res.status !== 200) problems.push(`push of ${tag} answered ${res.status}: ${body.message}`);
            else if (body.id !== digestOf(text)) problems.push(`push of ${tag} answered id ${body.id}`);
            const deployed = await d.deploy(`client-${c}`, k % 2 === 0 ? "prod" : "staging", digestOf(`artifact ${tag}`));
            if (deployed.status !== 201 && deployed.status !== 200) problems.push(`deployment answered ${deployed.status}`);
          }
        };
        await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
        ingesting = false;
        await reader;

        expect(problems).toEqual([]);
        expect(queries).toBeGreaterThan(0);
        const distinct = [...shared, ...own.flat()];
        // Every SBOM was pushed and answered; each shared one created exactly once.
        expect(statuses.size).toBe(distinct.length);
        for (const text of shared) {
          const s = statuses.get(digestOf(text))!;
          expect(s.filter((x) => x === 201)).toHaveLength(1);
          expect(s.filter((x) => x === 200)).toHaveLength(clients - 1);
        }
        for (const text of own.flat()) expect(statuses.get(digestOf(text))).toEqual([201]);

        const final = await d.affected(COMMON);
        expect(final.artifacts.map((a) => a.sbom).sort()).toEqual(distinct.map(digestOf).sort());
        const rows = await d.store.rows();
        expect(rows).toMatchObject({ sboms: distinct.length, components: distinct.length * 41, partial: [] });
      } finally {
        await d.dispose();
      }
    }, 180_000);

    it("keeps every acknowledged SBOM across kill -9 during ingest, and stores none half", async () => {
      const d = new Deployment("index:\n  anonymousRead: false\n");
      try {
        await d.start(store);
        // Big enough (2,000 components) that a kill lands inside a write transaction now and then.
        const texts = Array.from({ length: 200 }, (_, i) => sbom(`crash-${i}`, 2000));
        const acknowledged = new Set<string>();
        const attempted = new Set<string>();
        let inFlight = 0;
        let inFlightAtKill = -1;
        let next = 0;
        let killed = false;
        const client = async () => {
          while (!killed && next < texts.length) {
            const text = texts[next++]!;
            attempted.add(digestOf(text));
            inFlight++;
            try {
              const res = await d.push(text, "crash");
              if (res.status === 201) acknowledged.add(((await res.json()) as { id: string }).id);
            } catch {
              // The connection died with the server: not acknowledged.
            } finally {
              inFlight--;
            }
          }
        };
        const clients = Array.from({ length: 4 }, client);
        // Kill once enough were acknowledged that the store is mid-stream, while the clients are still pushing, at a
        // varying moment (printed below) so that across runs it lands in every phase of a push: upload, parse, write.
        const killAfter = 8 + Math.floor(Math.random() * 16);
        const extraMs = Math.floor(Math.random() * 120);
        while (acknowledged.size < killAfter && next < texts.length) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, extraMs));
        inFlightAtKill = inFlight;
        killed = true;
        await d.server!.kill();
        await Promise.all(clients);
        expect(inFlightAtKill, "the kill must land while pushes are in flight").toBeGreaterThan(0);
        expect(acknowledged.size).toBeGreaterThanOrEqual(killAfter);

        await d.restart();
        // Every acknowledged SBOM survived and answers a query; nothing stored that was never sent; nothing half.
        const found = new Set((await d.affected(COMMON)).artifacts.map((a) => a.sbom));
        for (const id of acknowledged) expect(found.has(id), `acknowledged SBOM ${id} lost`).toBe(true);
        const rows = await d.store.rows();
        expect(rows.partial).toEqual([]);
        for (const id of rows.ids) expect(attempted.has(id)).toBe(true);
        expect(rows.components).toBe(rows.sboms * 2001);

        // What was in flight can be pushed again: stored already (200) or now (201), never an error.
        const repushed: number[] = [];
        for (const text of texts.filter((t) => attempted.has(digestOf(t)) && !acknowledged.has(digestOf(t)))) {
          const res = await d.push(text, "crash");
          repushed.push(res.status);
          expect([200, 201]).toContain(res.status);
        }
        console.info(
          `[index-reliability] ${name}: kill -9 ${extraMs} ms after ${killAfter} acknowledgements, ${inFlightAtKill} pushes in flight; ${acknowledged.size} acknowledged, ${rows.sboms} stored after restart; ` +
            `pushed again: ${repushed.filter((s) => s === 200).length} committed before the kill but never answered (200), ${repushed.filter((s) => s === 201).length} not stored (201)`,
        );
        const after = await d.affected(COMMON);
        expect(after.artifacts.map((a) => a.sbom).sort()).toEqual([...attempted].sort());
        expect(await d.server!.stop()).toBe(0);
      } finally {
        await d.dispose();
      }
    }, 240_000);
  });
}

describe("an SBOM of 1,000,000 components (SQLite)", () => {
  let d: Deployment;
  beforeAll(async () => {
    // The byte limit raised past the document (~75 MB), so the component limit (index.maxComponents) refuses it.
    d = new Deployment("index:\n  maxSbomBytes: 268435456\n  maxComponents: 250000\n");
    await d.start(async (dataDir) => sqliteStore(dataDir));
  }, 120_000);
  afterAll(async () => {
    await d?.dispose();
  });

  it("is refused by the component limit with a clear 4xx, and nothing of it is stored", async () => {
    const before = sbom("before-the-big-one", 10);
    expect((await d.push(before, "small")).status).toBe(201);
    const parts: string[] = [];
    for (let i = 0; i < 1_000_000; i++) parts.push(`{"type":"library","name":"m${i}","version":"1.0.0","purl":"pkg:npm/m${i}@1.0.0"}`);
    const huge = `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[${parts.join(",")}]}`;
    parts.length = 0;
    const res = await d.push(huge, "huge");
    const body = (await res.json()) as { code: number; message: string };
    expect(res.status).toBe(413);
    expect(body.message).toBe("the SBOM has 1000000 components; this index takes at most 250000 per SBOM");
    // Nothing of it: the SBOM pushed before is all there is, and its id is unknown to the store.
    const rows = await d.store.rows();
    expect(rows).toEqual({ sboms: 1, components: 11, partial: [], ids: [digestOf(before)] });
    expect((await d.affected("pkg:npm/m999999")).artifacts).toEqual([]);
    // The server is still serving.
    expect((await d.push(sbom("after-the-big-one", 10), "small")).status).toBe(201);
  }, 300_000);
});
