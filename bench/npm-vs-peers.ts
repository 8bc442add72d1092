/**
 * vouch's npm cataloging against the truth and against its peers, on one real tree.
 *
 *   npx tsx bench/npm-vs-peers.ts [--runs N]      (N timed runs per tool, default 5)
 *
 * 1. Accuracy: bench/projects/npm-large (a web app with 1,000+ installed packages) is installed with
 *    `npm ci --ignore-scripts` into bench/.work/npm-large. The truth is the name@version set of
 *    `npm ls --all --json --long` there (see truthFromNpmLs for how each kind of node counts). vouch,
 *    @cyclonedx/cdxgen and @cyclonedx/cyclonedx-npm each write a CycloneDX SBOM of that same tree; each
 *    SBOM's name@version set is scored against the truth (precision, recall, the misses and extras).
 * 2. Speed and memory: each tool runs --runs times on the tree, round-robin (so a slow spell of the machine
 *    hits every tool alike), under `/usr/bin/time -f "%e %M"`; medians of wall time and peak RSS.
 * 3. Scale: a synthetic lockfile of 20,000 packages (bench/lib/synthetic-npm-lockfile.ts) is cataloged
 *    end to end by `vouch sbom` (process start to SBOM written), --runs times; the SBOM must hold 20,000.
 *
 * Prints a markdown report (also written to bench/.work/results.md, raw numbers to results.json).
 * Everything it installs or writes lives in bench/.work/ (git-ignored); the first run downloads the tree
 * and the peers from the npm registry, later runs reuse them. All tools run offline once installed.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cleanEnv, machineInfo, median, run, timeCommand, type Command, type MachineInfo, type Sample } from "./lib/measure.js";
import { compareSets, cyclonedxNameVersions, truthFromNpmLs, type Accuracy, type NpmLsTruth } from "./lib/sbom-sets.js";
import { generateSyntheticNpmProject } from "./lib/synthetic-npm-lockfile.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const PROJECT = join(REPO, "bench/projects/npm-large");
const TREE = join(WORK, "npm-large");
const PEERS = join(WORK, "peers");
const OUT = join(WORK, "out");
const SYNTHETIC = join(WORK, "synthetic-20k");
const SYNTHETIC_PACKAGES = 20_000;
const VOUCH_CLI = join(REPO, "dist/cli/main.js");

/** Peer versions are pinned so a re-run measures the same peers; bump them deliberately. */
const PEER_VERSIONS = { "@cyclonedx/cdxgen": "12.8.4", "@cyclonedx/cyclonedx-npm": "6.0.1" } as const;

/** What the issue asks of vouch on this bench. */
const TARGET = { speedupOverCdxgen: 5, syntheticSeconds: 2 } as const;

interface Tool {
  id: string;
  label: string;
  version: string;
  /** The command that catalogs `dir` into a CycloneDX JSON file at `outFile`. */
  command(dir: string, outFile: string): Command;
}

interface ToolResult {
  tool: Tool;
  accuracy: Accuracy;
  components: number;
  samples: Sample[];
}

interface SyntheticResult {
  lockfilePackages: number;
  components: number;
  distinct: number;
  samples: Sample[];
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function parseOptions(): { runs: number } {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log("usage: npx tsx bench/npm-vs-peers.ts [--runs N]");
    process.exit(0);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a positive whole number, not "${values.runs}"`);
  return { runs };
}

// ---------------------------------------------------------------------------------------------------------
// Preparing the tree, the peers and vouch's build
// ---------------------------------------------------------------------------------------------------------

/** Newest modification time of any file under `dir` (to tell whether dist/ is older than src/). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Build vouch when dist/ is missing or older than src/. tsc still emits when another engineer's work in
 * progress has a type error, so a failed build is reported and the bench goes on with what was emitted.
 */
function ensureVouchBuilt(): void {
  if (existsSync(VOUCH_CLI) && statSync(VOUCH_CLI).mtimeMs >= newestMtime(join(REPO, "src"))) return;
  log("dist/ is missing or older than src/: npm run build");
  try {
    run({ cmd: "npm", args: ["run", "build"], cwd: REPO }, "npm run build");
  } catch (err) {
    if (!existsSync(VOUCH_CLI)) throw err;
    log(`WARNING: the build reported errors; benchmarking what tsc emitted anyway:\n${(err as Error).message}`);
  }
}

/**
 * bench/.work/npm-large: a copy of the project with `npm ci --ignore-scripts` done. Reused while its
 * manifest and lockfile match the project's and node_modules is complete (npm ci writes the hidden
 * lockfile last). --ignore-scripts: no install script of 1,000 packages runs on this machine, and none is
 * needed to catalog the tree.
 */
function ensureTree(): void {
  const files = ["package.json", "package-lock.json"];
  const same = files.every((f) => existsSync(join(TREE, f)) && readFileSync(join(TREE, f), "utf8") === readFileSync(join(PROJECT, f), "utf8"));
  if (same && existsSync(join(TREE, "node_modules/.package-lock.json"))) return;
  log(`installing ${relative(REPO, PROJECT)} into ${relative(REPO, TREE)} (npm ci --ignore-scripts)`);
  rmSync(TREE, { recursive: true, force: true });
  mkdirSync(TREE, { recursive: true });
  for (const f of files) copyFileSync(join(PROJECT, f), join(TREE, f));
  run({ cmd: "npm", args: ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd: TREE }, "npm ci");
}

function installedVersion(prefix: string, name: string): string | undefined {
  const manifest = join(prefix, "node_modules", name, "package.json");
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version : undefined;
}

/**
 * The peers, installed once into bench/.work/peers at the pinned versions. npm may report that
 * libxmljs2's install script was not allowed: it only serves cyclonedx-npm's XML output, unused here.
 */
function ensurePeers(): void {
  const wanted = Object.entries(PEER_VERSIONS);
  if (wanted.every(([name, version]) => installedVersion(PEERS, name) === version)) return;
  log(`installing ${wanted.map(([n, v]) => `${n}@${v}`).join(" ")} into ${relative(REPO, PEERS)}`);
  mkdirSync(PEERS, { recursive: true });
  const args = ["install", "--prefix", PEERS, "--no-audit", "--no-fund", ...wanted.map(([n, v]) => `${n}@${v}`)];
  run({ cmd: "npm", args, cwd: PEERS }, "installing the peers");
}

// ---------------------------------------------------------------------------------------------------------
// The tools
// ---------------------------------------------------------------------------------------------------------

function gitDescription(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: REPO, encoding: "utf8" }).stdout.trim() !== "";
  return `${head || "unknown"}${dirty ? "+uncommitted src" : ""}`;
}

function vouchTool(): Tool {
  const version = run({ cmd: process.execPath, args: [VOUCH_CLI, "--version"], cwd: REPO }, "vouch --version").stdout.trim();
  return {
    id: "vouch",
    label: "vouch",
    version: `${version} (${gitDescription()})`,
    command: (dir, outFile) => ({ cmd: process.execPath, args: [VOUCH_CLI, "sbom", dir, "-o", "cyclonedx-json", "--file", outFile], cwd: REPO }),
  };
}

/**
 * cdxgen, kept offline and on the tree as it is: FETCH_LICENSE / CDXGEN_FETCH_PKG_METADATA off (both are
 * off by default; set so a user's environment cannot turn them on), --no-install-deps (it would otherwise
 * run `npm install` in a project it thinks is not installed), CDXGEN_DEBUG_MODE unset, and
 * CDXGEN_ALLOWED_HOSTS=localhost so that any registry lookup it did try would fail loudly instead of
 * silently costing network time. `-t npm` reads package-lock.json ("virtual dependency tree based on the
 * lock file"; --deep would read node_modules instead). `lean` adds --no-babel (its default source-code
 * usage analysis, which vouch does not do) and --no-validate (its schema check of its own output), to show
 * cdxgen at its fastest as well as as shipped.
 */
function cdxgenTool(lean: boolean): Tool {
  const cli = join(PEERS, "node_modules/@cyclonedx/cdxgen/bin/cdxgen.js");
  const env = cleanEnv({ FETCH_LICENSE: "false", CDXGEN_FETCH_PKG_METADATA: "false", CDXGEN_ALLOWED_HOSTS: "localhost" });
  delete env.CDXGEN_DEBUG_MODE;
  const extra = lean ? ["--no-babel", "--no-validate"] : [];
  return {
    id: lean ? "cdxgen-lean" : "cdxgen",
    label: lean ? "cdxgen --no-babel --no-validate" : "cdxgen",
    version: PEER_VERSIONS["@cyclonedx/cdxgen"],
    command: (dir, outFile) => ({ cmd: process.execPath, args: [cli, "-t", "npm", "--no-install-deps", ...extra, "-o", outFile, "."], cwd: dir, env }),
  };
}

/**
 * cyclonedx-npm runs `npm ls` itself (so it sees node_modules, like the truth does). It finds npm through
 * npm_execpath, else by running `npm run` once to ask; npm_execpath is set to the npm in use so it does not
 * pay for that lookup. NODE_ENV is left unset: "production" would make it omit dev dependencies.
 */
function cyclonedxNpmTool(): Tool {
  const cli = join(PEERS, "node_modules/@cyclonedx/cyclonedx-npm/bin/cyclonedx-npm-cli.js");
  const env = cleanEnv({ npm_execpath: npmCliPath() });
  delete env.NODE_ENV;
  return {
    id: "cyclonedx-npm",
    label: "cyclonedx-npm",
    version: PEER_VERSIONS["@cyclonedx/cyclonedx-npm"],
    command: (dir, outFile) => ({ cmd: process.execPath, args: [cli, "--output-format", "JSON", "--output-file", outFile, "package.json"], cwd: dir, env }),
  };
}

/** npm's own npm-cli.js (what `npm` on PATH runs). */
function npmCliPath(): string {
  const prefix = run({ cmd: "npm", args: ["prefix", "-g"], cwd: REPO }, "npm prefix -g").stdout.trim();
  const candidates = [process.env.npm_execpath ?? "", join(prefix, "lib/node_modules/npm/bin/npm-cli.js"), "/usr/lib/node_modules/npm/bin/npm-cli.js"];
  const found = candidates.find((p) => p.endsWith("npm-cli.js") && existsSync(p));
  if (!found) throw new Error("cannot find npm-cli.js for cyclonedx-npm's npm_execpath");
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------------------

function npmLsTruth(dir: string): NpmLsTruth {
  // npm ls exits 1 when the tree has problems but still prints the whole tree; the problems are reported.
  const result = spawnSync("npm", ["ls", "--all", "--json", "--long"], { cwd: dir, env: cleanEnv(), encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.stdout.trim() === "") throw new Error(`npm ls printed nothing:\n${result.stderr}`);
  return truthFromNpmLs(result.stdout);
}

/** One untimed run per tool: its SBOM is the one scored, and it warms the file cache for the timed runs. */
function scoreTool(tool: Tool, truth: NpmLsTruth): { accuracy: Accuracy; components: number } {
  const outFile = join(OUT, `${tool.id}.cdx.json`);
  rmSync(outFile, { force: true });
  const { stderr } = run(tool.command(TREE, outFile), tool.label);
  const warnings = stderr.split("\n").filter((l) => l.startsWith("warning:"));
  if (tool.id === "vouch" && warnings.length > 0) log(`vouch warned ${warnings.length}x, e.g.\n  ${warnings.slice(0, 5).join("\n  ")}`);
  const sbom = cyclonedxNameVersions(outFile);
  const accuracy = compareSets(truth.packages, sbom.packages);
  log(`${tool.label}: ${sbom.components} components, ${accuracy.found} name@version, precision ${pct(accuracy.precision)}, recall ${pct(accuracy.recall)}`);
  return { accuracy, components: sbom.components };
}

/** Round-robin timed runs: run i of every tool before run i+1 of any. */
function timeTools(tools: readonly Tool[], runs: number): Map<string, Sample[]> {
  const samples = new Map<string, Sample[]>(tools.map((t) => [t.id, []]));
  for (let i = 1; i <= runs; i++) {
    for (const tool of tools) {
      const sample = timeCommand(tool.command(TREE, join(OUT, `${tool.id}.timed.cdx.json`)), tool.label);
      samples.get(tool.id)!.push(sample);
      log(`run ${i}/${runs} ${tool.label}: ${sample.wallSeconds.toFixed(2)} s, ${mib(sample.peakRssKiB)} MiB`);
    }
  }
  return samples;
}

/** Write the synthetic project (regenerated each time: it is deterministic and takes well under a second). */
function writeSyntheticProject(): number {
  const { packageJson, lockfile } = generateSyntheticNpmProject(SYNTHETIC_PACKAGES);
  rmSync(SYNTHETIC, { recursive: true, force: true });
  mkdirSync(SYNTHETIC, { recursive: true });
  writeFileSync(join(SYNTHETIC, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(SYNTHETIC, "package-lock.json"), `${JSON.stringify(lockfile, null, 2)}\n`);
  return Object.keys(lockfile.packages as object).length - 1;
}

function benchSynthetic(vouch: Tool, runs: number): SyntheticResult {
  const lockfilePackages = writeSyntheticProject();
  log(`synthetic lockfile: ${lockfilePackages} packages in ${relative(REPO, SYNTHETIC)}/package-lock.json`);
  const outFile = join(OUT, "vouch-synthetic.cdx.json");
  const samples: Sample[] = [];
  for (let i = 1; i <= runs; i++) {
    rmSync(outFile, { force: true });
    samples.push(timeCommand(vouch.command(SYNTHETIC, outFile), "vouch sbom (synthetic)"));
    log(`synthetic run ${i}/${runs}: ${samples.at(-1)!.wallSeconds.toFixed(2)} s`);
  }
  const sbom = cyclonedxNameVersions(outFile);
  return { lockfilePackages, components: sbom.components, distinct: sbom.packages.size, samples };
}

// ---------------------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------------------

function pct(x: number): string {
  return `${(x * 100).toFixed(x === 1 ? 0 : 2)}%`;
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}

function medianWall(samples: readonly Sample[]): number {
  return median(samples.map((s) => s.wallSeconds));
}

function medianRss(samples: readonly Sample[]): number {
  return median(samples.map((s) => s.peakRssKiB));
}

function range(samples: readonly Sample[]): string {
  const walls = samples.map((s) => s.wallSeconds);
  return `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)}`;
}

function accuracyTable(results: readonly ToolResult[]): string[] {
  const lines = ["| tool | version | components | distinct name@version | precision | recall | misses | extras |", "|---|---|--:|--:|--:|--:|--:|--:|"];
  for (const r of results) {
    const a = r.accuracy;
    lines.push(`| ${r.tool.label} | ${r.tool.version} | ${r.components} | ${a.found} | ${pct(a.precision)} | ${pct(a.recall)} | ${a.misses.length} | ${a.extras.length} |`);
  }
  return lines;
}

/** The first few misses and extras of each tool that is not exact, so a reader sees what kind they are. */
function differences(results: readonly ToolResult[], shown = 12): string[] {
  const lines: string[] = [];
  const listedBy = new Map<string, string>();
  for (const r of results) {
    for (const [kind, list] of [["misses (in npm ls, not in the SBOM)", r.accuracy.misses], ["extras (in the SBOM, not in npm ls)", r.accuracy.extras]] as const) {
      if (list.length === 0) continue;
      // Two configurations of one tool usually differ the same way: say so instead of repeating the list.
      const key = `${kind}\n${list.join("\n")}`;
      const earlier = listedBy.get(key);
      if (earlier !== undefined) {
        lines.push(`- ${r.tool.label} ${kind}: the same ${list.length} as ${earlier}`);
        continue;
      }
      listedBy.set(key, r.tool.label);
      const more = list.length > shown ? `, … ${list.length - shown} more` : "";
      lines.push(`- ${r.tool.label} ${kind}: ${list.slice(0, shown).map((p) => `\`${p}\``).join(", ")}${more}`);
    }
  }
  return lines;
}

function timingTable(results: readonly ToolResult[], runs: number): string[] {
  const vouch = results.find((r) => r.tool.id === "vouch")!;
  const lines = [
    `| tool | wall s, median of ${runs} | wall s, min–max | peak RSS MiB, median | wall ÷ vouch | peak RSS ÷ vouch |`,
    "|---|--:|--:|--:|--:|--:|",
  ];
  for (const r of results) {
    const wallRatio = medianWall(r.samples) / medianWall(vouch.samples);
    const rssRatio = medianRss(r.samples) / medianRss(vouch.samples);
    lines.push(
      `| ${r.tool.label} | ${medianWall(r.samples).toFixed(2)} | ${range(r.samples)} | ${mib(medianRss(r.samples))} | ${wallRatio.toFixed(1)}× | ${rssRatio.toFixed(2)}× |`,
    );
  }
  return lines;
}

function checks(results: readonly ToolResult[], synthetic: SyntheticResult): string[] {
  const byId = (id: string) => results.find((r) => r.tool.id === id)!;
  const vouch = byId("vouch");
  const cdxgen = byId("cdxgen");
  const speedup = medianWall(cdxgen.samples) / medianWall(vouch.samples);
  const mark = (ok: boolean) => (ok ? "PASS" : "FAIL");
  const exact = vouch.accuracy.precision === 1 && vouch.accuracy.recall === 1;
  return [
    `- ${mark(exact)}: vouch precision ${pct(vouch.accuracy.precision)} and recall ${pct(vouch.accuracy.recall)} against npm ls (target 100% / 100%)`,
    `- ${mark(speedup >= TARGET.speedupOverCdxgen)}: vouch ${speedup.toFixed(1)}× faster than cdxgen (target ≥ ${TARGET.speedupOverCdxgen}×)`,
    `- ${mark(medianRss(vouch.samples) < medianRss(cdxgen.samples))}: vouch peak RSS ${mib(medianRss(vouch.samples))} MiB vs cdxgen ${mib(medianRss(cdxgen.samples))} MiB (target: lower)`,
    `- ${mark(medianWall(synthetic.samples) < TARGET.syntheticSeconds && synthetic.components === SYNTHETIC_PACKAGES)}: synthetic ${SYNTHETIC_PACKAGES}-package lockfile in ${medianWall(synthetic.samples).toFixed(2)} s with ${synthetic.components} components (target < ${TARGET.syntheticSeconds} s, ${SYNTHETIC_PACKAGES} components)`,
  ];
}

/** 1-minute load averages around the timed runs: other work on a 2-core machine shows up in the timings. */
interface Load {
  before: number;
  after: number;
}

function renderReport(machine: MachineInfo, load: Load, truth: NpmLsTruth, results: readonly ToolResult[], synthetic: SyntheticResult, runs: number): string {
  const f = truth.flagged;
  return [
    `### Results (${machine.date})`,
    "",
    `Machine: ${machine.cpuModel}, ${machine.nproc} cores (nproc), ${machine.memory} RAM (free -h), ${machine.os}; Node ${machine.node}, npm ${machine.npm}. ` +
      `1-min load average ${load.before.toFixed(2)} before the timed runs, ${load.after.toFixed(2)} after.`,
    "",
    `#### Accuracy on bench/projects/npm-large (${truth.installedFolders.size} installed packages)`,
    "",
    `Truth: \`npm ls --all --json --long\`: ${truth.packages.size} distinct name@version over ${truth.nodes} tree nodes ` +
      `(${f.notInstalledOptional} optional entries not installed on this platform and ${f.missing} missing left out; ` +
      `${f.extraneous} extraneous, ${f.invalid} invalid, ${f.peer} peer and ${f.aliased} aliased nodes counted, aliases under their real name; ` +
      `npm problems: ${truth.problems.length === 0 ? "none" : truth.problems.length}).`,
    "",
    ...accuracyTable(results),
    "",
    ...differences(results),
    "",
    `#### Speed and memory on the same tree (median of ${runs} runs, round-robin)`,
    "",
    ...timingTable(results, runs),
    "",
    `#### Synthetic ${SYNTHETIC_PACKAGES.toLocaleString("en")}-package lockfile`,
    "",
    `| lockfile packages | SBOM components | distinct name@version | wall s, median of ${runs} | wall s, min–max | peak RSS MiB, median |`,
    "|--:|--:|--:|--:|--:|--:|",
    `| ${synthetic.lockfilePackages} | ${synthetic.components} | ${synthetic.distinct} | ${medianWall(synthetic.samples).toFixed(2)} | ${range(synthetic.samples)} | ${mib(medianRss(synthetic.samples))} |`,
    "",
    "#### Checks",
    "",
    ...checks(results, synthetic),
    "",
  ]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}

// ---------------------------------------------------------------------------------------------------------

function main(): void {
  const { runs } = parseOptions();
  mkdirSync(OUT, { recursive: true });
  ensureVouchBuilt();
  ensureTree();
  ensurePeers();

  const truth = npmLsTruth(TREE);
  log(`truth: ${truth.packages.size} name@version, ${truth.installedFolders.size} installed package folders`);
  const tools = [vouchTool(), cdxgenTool(false), cdxgenTool(true), cyclonedxNpmTool()];
  const scored = tools.map((tool) => ({ tool, ...scoreTool(tool, truth) }));
  const load: Load = { before: loadavg()[0]!, after: Number.NaN };
  const samples = timeTools(tools, runs);
  const results: ToolResult[] = scored.map((s) => ({ ...s, samples: samples.get(s.tool.id)! }));
  const synthetic = benchSynthetic(tools[0]!, runs);
  load.after = loadavg()[0]!;

  const machine = machineInfo();
  const report = renderReport(machine, load, truth, results, synthetic, runs);
  writeFileSync(join(WORK, "results.md"), report);
  const raw = { machine, load, runs, truth: { packages: truth.packages.size, installed: truth.installedFolders.size, flagged: truth.flagged }, results, synthetic };
  writeFileSync(join(WORK, "results.json"), `${JSON.stringify(raw, (_k, v: unknown) => (typeof v === "function" ? undefined : v), 2)}\n`);
  console.log(report);
}

main();
