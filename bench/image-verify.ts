/**
 * `vouch verify IMAGE` against a local registry with a warm cache (issue 7, "Speed"): the latency of one
 * verification (p50/p90/p99; goal p50 under 20 ms) and images verified per second with 16 in flight, beside the same
 * job done with the reference client libraries (plain fetch + @sigstore/verify), in the same run, taking turns.
 *
 *   npx tsx bench/image-verify.ts [--quick] [--runs N] [--images N] [--passes N] [--parallel-passes N]
 *        [--concurrency N] [--cli-runs N] [--profile | --no-profile] [--dist DIR]
 *
 * Setup (once per run of the script): vouch as built, from its own compile of src/ (`tsc -p tsconfig.build.json
 * --outDir bench/.work/image-verify-dist`, redone when src/ is newer; dist/ is left alone: other work may be
 * rebuilding it). `vouch serve --port 0` (a real process: its Rekor v1 log), `vouch key generate`, `vouch trust
 * export --log-url` (the trusted root with the log's key). Two registries on loopback:
 * - Debian's docker-registry 2.8 (test/support/registry.ts startRegistry): no referrers API (404), so vouch reads
 *   and writes the referrers tag schema (`sha256-<hex>` index);
 * - the in-process OCI 1.1 registry (test/support/oci-registry.ts), with the referrers API, run in a process of its
 *   own (this script with --role oci-registry) so it shares no event loop with a measured client.
 * --images small images (one gzip layer each, test/support/registry.ts buildTestImage) are pushed to each (8
 * repositories, one tag per image) and signed with vouch's `signImage` (src/public/image.ts; a key, the log): a DSSE
 * bundle (in-toto statement, predicate https://sigstore.dev/cosign/sign/v1) as an OCI 1.1 referrer, as cosign v3
 * stores it, with a Rekor v1 entry holding an inclusion proof, a checkpoint and a SET. The log is stopped before
 * anything is measured (verification needs only the trusted root).
 *
 * Clients, each verifying the same images with the same key and trusted root:
 * - vouch, library: `createImageVerifier({ key, trustedRoot })` once, then `verify(ref)` per image. Its default
 *   content cache (on disk, VOUCH_CACHE_DIR): referrer manifests and bundles by digest, re-hashed on every hit; the
 *   tag and the referrer listing are asked of the registry every time.
 * - peer, library: the same steps with plain fetch (Node's undici, keep-alive) and @sigstore/verify: HEAD the
 *   manifest (tag or digest → digest), then concurrently the referrer listing (GET /v2/<name>/referrers/<digest>; on
 *   404 the tag-schema index) and cosign's `sha256-<hex>.sig` tag (vouch looks there too), then per bundle referrer
 *   of the signature predicate: the referrer manifest by digest (its subject must be the image), its bundle layer,
 *   `Verifier.verify(toSignedEntity(bundle))` (signature over the DSSE PAE, the tlog entry's body, inclusion proof,
 *   checkpoint signature and SET; timestamp threshold 1), then the statement's predicate type and subject digest.
 *   It gets an equal cache: the same on-disk layout by digest, re-hashed on every hit, so warm it makes the same
 *   requests vouch does (the request counts per verification are in the report). Its code is written to
 *   bench/.work/image-verify/peer.mjs (plain JavaScript: no TypeScript loader in the CLI-style runs) and loaded from
 *   there by its library role too.
 * Each library row is a fresh process (this script with --role lib): one untimed pass over the images (the cache
 * fills, JIT warms), --passes timed passes one verification at a time (p50/p90/p99 over all), then
 * --parallel-passes passes with --concurrency verifications in flight (images/s = verifications / wall time).
 * Rows: {docker-registry, OCI 1.1 registry} × {by tag, by digest} × {vouch, peer}, --runs runs, the clients taking
 * turns (which goes first alternates by run); the tables give medians over runs and the ratios vouch ÷ peer.
 *
 * The CLI as a user runs it: `node <dist>/cli/main.js verify REF --key K --trusted-root R` (warm disk cache: one
 * untimed run first), a fresh process per verification, beside `node peer.mjs REF …` (the same peer code, one
 * image, then exit), `node <dist>/cli/main.js --version` and `node -e ""` (what process start alone costs):
 * --cli-runs rounds per registry, the commands in turn, wall time from spawn to exit.
 *
 * Profile (default in the full run, --profile in --quick): vouch's library under `node --cpu-prof` (docker-registry,
 * by tag, cropped to the timed passes), and the CLI (10 runs under --cpu-prof, summed), summarised with
 * bench/lib/cpuprofile.ts.
 *
 * No cosign here: not on npm (`@sigstore/*` are the JavaScript clients; /work/.library/env/packages/npm.tsv has no
 * cosign package) and not in Debian (`apt-cache policy cosign` knows no such package).
 *
 * Prints a markdown report (also bench/.work/image-verify.md; raw numbers in bench/.work/image-verify.json).
 */
import { spawn, spawnSync } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as PublicImage from "../src/public/image.js";
import type * as PublicImageVerify from "../src/public/image-verify.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, REGISTRY_BINARY, type RunningRegistry } from "../test/support/registry.js";
import { summarizeProfile, type Bucket, type ProfileSummary } from "./lib/cpuprofile.js";
import { cleanEnv, machineInfo, median, type MachineInfo } from "./lib/measure.js";
import { compileVouchInto, gitDescription } from "./lib/vouch-build.js";
import { writePeerModule } from "./lib/image-verify-peer.js";
import { startService, type Service } from "./lib/service.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const IV_WORK = join(WORK, "image-verify");
const PEER = join(IV_WORK, "peer.mjs");
const SELF = join(REPO, "bench/image-verify.ts");
/** vouch compiled from src/ for this bench alone; --dist DIR: an already compiled vouch instead. */
let DIST = join(WORK, "image-verify-dist");
const vouchCliPath = () => join(DIST, "cli/main.js");
/** The issue's goal for `vouch verify IMAGE`, warm, p50. */
const GOAL_P50_MS = 20;
const PASSWORD = "image-verify bench password";

type Client = "vouch" | "peer";
type Mode = "tag" | "digest";
type RegistryId = "docker" | "oci";
const REGISTRY_LABEL: Record<RegistryId, string> = { docker: "docker-registry 2.8 (tag schema)", oci: "OCI 1.1 registry (referrers API)" };

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// =========================================================================================================
// The peer: plain fetch + @sigstore/verify, written out as plain JavaScript (see the top).
// =========================================================================================================

function writePeer(): void {
  writePeerModule(PEER);
}

// =========================================================================================================
// Child roles
// =========================================================================================================

interface LibOutput {
  client: Client;
  latencies: number[];
  /** Verifications with --concurrency in flight, and their wall time. */
  parallel: { count: number; wallMs: number; concurrency: number };
  cpuMs: number;
  /** HTTP requests per verification in the timed sequential passes (global fetch, counted). */
  requestsPerVerify: number;
  /** TCP connections opened per verification in the same passes (node:net's "net.client.socket" channel). */
  connectionsPerVerify: number;
  /** What the first verification found (a check that the whole job was done). */
  first: { pinned: string; signatures: number; tlogEntries: number };
}

/** --role lib: one client, one list of references: warm-up pass, timed passes, then passes with C in flight. */
async function roleLib(values: Record<string, string | boolean | undefined>): Promise<void> {
  const client = String(values.client) as Client;
  const refs = JSON.parse(readFileSync(String(values.refs), "utf8")) as string[];
  const passes = Number(values.passes);
  const parallelPasses = Number(values["parallel-passes"]);
  const concurrency = Number(values.concurrency);
  const key = String(values.key);
  const trustedRoot = String(values["trusted-root"]);
  const cacheDir = String(values["cache-dir"]);
  let requests = 0;
  let connections = 0;
  subscribe("net.client.socket", () => void connections++);
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    requests++;
    return realFetch(input, init);
  }) as typeof fetch;

  let verifyOne: (ref: string) => Promise<{ pinned: string; signatures: number; tlogEntries: number }>;
  if (client === "vouch") {
    const api = (await import(pathToFileURL(join(DIST, "public/image-verify.js")).href)) as typeof PublicImageVerify;
    // The library's defaults (disk cache under VOUCH_CACHE_DIR); HOME has no Docker config: anonymous pulls.
    const verifier = await api.createImageVerifier({ key, trustedRoot, env: { VOUCH_CACHE_DIR: cacheDir, HOME: cacheDir } });
    verifyOne = async (ref) => {
      const v = await verifier.verify(ref);
      const ok = v.checked.filter((c) => c.verified);
      return { pinned: v.pinned, signatures: ok.length, tlogEntries: ok[0]?.result?.tlogEntries.length ?? 0 };
    };
  } else {
    const peer = (await import(pathToFileURL(PEER).href)) as {
      createPeerVerifier(o: { key: string; trustedRoot: string; cacheDir: string }): (ref: string) => Promise<{ pinned: string; checked: { verified: boolean; tlogEntries?: number }[] }>;
    };
    const verify = peer.createPeerVerifier({ key, trustedRoot, cacheDir });
    verifyOne = async (ref) => {
      const v = await verify(ref);
      const ok = v.checked.filter((c) => c.verified);
      return { pinned: v.pinned, signatures: ok.length, tlogEntries: ok[0]?.tlogEntries ?? 0 };
    };
  }

  // Untimed: the cache fills (or is read back), the JIT warms.
  const first = await verifyOne(refs[0]!);
  for (const ref of refs.slice(1)) await verifyOne(ref);
  process.stderr.write("@@timed-start\n");
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const requests0 = requests;
  const connections0 = connections;
  for (let p = 0; p < passes; p++) {
    for (const ref of refs) {
      const t0 = performance.now();
      await verifyOne(ref);
      latencies.push(performance.now() - t0);
    }
  }
  const requestsPerVerify = (requests - requests0) / latencies.length;
  const connectionsPerVerify = (connections - connections0) / latencies.length;
  process.stderr.write("@@timed-end\n");
  const cpu = process.cpuUsage(cpu0);
  // C in flight: each worker takes the next reference; a pass is every image once.
  const work = Array.from({ length: parallelPasses }, () => refs).flat();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, work.length) }, async () => {
      while (next < work.length) await verifyOne(work[next++]!);
    }),
  );
  const wallMs = performance.now() - t0;
  const out: LibOutput = { client, latencies, parallel: { count: work.length, wallMs, concurrency }, cpuMs: (cpu.user + cpu.system) / 1000, requestsPerVerify, connectionsPerVerify, first };
  console.log(JSON.stringify(out));
}

/** --role oci-registry: the in-process OCI 1.1 registry, in a process of its own, until SIGTERM. */
async function roleOciRegistry(): Promise<void> {
  const { startOciRegistry } = await import("../test/support/oci-registry.js");
  const registry = await startOciRegistry();
  process.once("SIGTERM", () => void registry.stop().then(() => process.exit(0)));
  console.log(`oci registry serving on ${registry.url}`);
}

// =========================================================================================================
// Orchestration
// =========================================================================================================

interface Options {
  quick: boolean;
  runs: number;
  images: number;
  passes: number;
  parallelPasses: number;
  concurrency: number;
  cliRuns: number;
  profile: boolean;
}

function parseOptions(): { options: Options; values: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      runs: { type: "string" },
      images: { type: "string" },
      passes: { type: "string" },
      "parallel-passes": { type: "string" },
      concurrency: { type: "string", default: "16" },
      "cli-runs": { type: "string" },
      profile: { type: "boolean" },
      "no-profile": { type: "boolean" },
      dist: { type: "string" },
      role: { type: "string" },
      client: { type: "string" },
      refs: { type: "string" },
      key: { type: "string" },
      "trusted-root": { type: "string" },
      "cache-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: npx tsx bench/image-verify.ts [--quick] [--runs N] [--images N] [--passes N] [--parallel-passes N] [--concurrency N] [--cli-runs N] [--profile | --no-profile] [--dist DIR]");
    process.exit(0);
  }
  if (values.dist !== undefined) DIST = resolve(values.dist);
  const quick = values.quick === true;
  const num = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive whole number, not "${value}"`);
    return n;
  };
  const options: Options = {
    quick,
    runs: num("runs", values.runs as string | undefined, quick ? 2 : 5),
    images: num("images", values.images as string | undefined, quick ? 32 : 64),
    passes: num("passes", values.passes as string | undefined, quick ? 2 : 5),
    parallelPasses: num("parallel-passes", values["parallel-passes"] as string | undefined, quick ? 3 : 8),
    concurrency: num("concurrency", values.concurrency as string, 16),
    cliRuns: num("cli-runs", values["cli-runs"] as string | undefined, quick ? 6 : 20),
    profile: values["no-profile"] === true ? false : values.profile === true || !quick,
  };
  return { options, values };
}

/** Compiles src/ into bench/.work/image-verify-dist when it is missing or older than src/. */
function ensureBuilt(): void {
  if (DIST !== join(WORK, "image-verify-dist")) return;
  compileVouchInto(REPO, DIST, ["cli/main.js", "public/image.js"], log);
}

/** Runs a child role and returns its last stdout line as JSON, and the monotonic µs of its timed-phase marks. */
function runRole<T>(args: string[], nodeArgs: string[] = []): Promise<{ out: T; windowUs: [number, number] }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", SELF, "--dist", DIST, ...args], { cwd: REPO, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    const times: number[] = [];
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        // CLOCK_MONOTONIC in µs, the clock of V8's .cpuprofile timestamps: to crop a profile to the timed phase.
        if (line === "@@timed-start" || line === "@@timed-end") times.push(Number(process.hrtime.bigint() / 1000n));
        else stderr += `${line}\n`;
      }
    });
    child.once("exit", (code) => {
      if (code !== 0) {
        reject(new Error(`${args.slice(0, 4).join(" ")} exited with ${code}:\n${stderr.slice(-3000)}`));
        return;
      }
      done({ out: JSON.parse(stdout.trim().split("\n").at(-1)!) as T, windowUs: [times[0] ?? 0, times[1] ?? Number.MAX_SAFE_INTEGER] });
    });
  });
}

/** A copy of a .cpuprofile holding only the samples taken in [fromUs, toUs] (see runRole). */
function cropProfile(file: string, out: string, fromUs: number, toUs: number): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as { startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
  let t = profile.startTime;
  const samples: number[] = [];
  const deltas: number[] = [];
  let last = fromUs;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < fromUs || t > toUs) continue;
    samples.push(profile.samples[i]!);
    deltas.push(t - last);
    last = t;
  }
  if (samples.length === 0) throw new Error(`profile ${file}: no samples in the timed window (clocks differ?)`);
  writeFileSync(out, JSON.stringify({ ...profile, startTime: fromUs, endTime: last, samples, timeDeltas: deltas }));
}

function vouchCli(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [vouchCliPath(), ...args], { cwd: REPO, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`vouch ${args.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function uptime(): string {
  return spawnSync("uptime", [], { encoding: "utf8" }).stdout.trim();
}

interface Registry {
  id: RegistryId;
  host: string;
  /** Per image: the tag reference and the digest reference. */
  tags: string[];
  digests: string[];
  stop(): Promise<void>;
}

/** Pushes --images images to `host` (8 repositories) and signs each with vouch's signImage (key, log). */
async function pushAndSign(id: RegistryId, host: string, count: number, api: typeof PublicImage, signer: { key: string; tlogUrl: string }): Promise<{ tags: string[]; digests: string[] }> {
  const tags: string[] = [];
  const digests: string[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        const i = next++;
        const repository = `bench/app${i % 8}`;
        const image = buildTestImage({ layers: [[{ path: "etc/seed", content: `${id} image ${i}\n` }]] });
        const digest = await pushTestImage({ registry: host, repository }, image, `v${i}`);
        const signed = await api.signImage(`${host}/${repository}:v${i}`, { key: signer.key, password: { env: { VOUCH_PASSWORD: PASSWORD } }, tlogUrl: signer.tlogUrl });
        if (signed.entries[0]?.stored.kind !== "referrer") throw new Error(`${host}: signImage stored ${JSON.stringify(signed.entries[0]?.stored)}`);
        tags[i] = `${host}/${repository}:v${i}`;
        digests[i] = `${host}/${repository}@${digest}`;
      }
    }),
  );
  log(`${REGISTRY_LABEL[id]}: ${count} images pushed and signed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { tags, digests };
}

interface LibRow {
  registry: RegistryId;
  mode: Mode;
  client: Client;
  run: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  imagesPerS: number;
  cpuPerVerifyMs: number;
  requestsPerVerify: number;
  connectionsPerVerify: number;
  first: LibOutput["first"];
}

type CliCommand = "node" | "version" | "import-public" | "import-api" | "vouch" | "peer";
const CLI_LABEL: Record<CliCommand, string> = {
  node: '`node -e ""` (process start alone)',
  version: "`vouch --version` (start + the CLI's entry module)",
  "import-public": "diagnostic: `node -e` importing dist/public/image-verify.js (what `vouch verify IMAGE` loads)",
  "import-api": "diagnostic: `node -e` importing dist/api/image-verify.js alone",
  vouch: "`vouch verify IMAGE --key … --trusted-root …`",
  peer: "`node peer.mjs IMAGE …` (fetch + @sigstore/verify)",
};

interface CliRow {
  registry: RegistryId;
  command: CliCommand;
  samples: number[];
}

interface Results {
  lib: LibRow[];
  cli: CliRow[];
  profile?: { lib: ProfileSummary; libVerifications: number; cli: ProfileSummary; cliRuns: number; libFile: string };
  setup: { images: number; signSeconds: Record<string, number> };
}

async function main(): Promise<void> {
  const { options, values } = parseOptions();
  if (values.role === "lib") return roleLib(values);
  if (values.role === "oci-registry") return roleOciRegistry();
  const why = registryUnavailable();
  if (why !== undefined) throw new Error(why);
  const started = Date.now();
  ensureBuilt();
  writePeer();
  const machine = machineInfo();
  const commit = gitDescription(REPO);
  const loadBefore = uptime();
  log(`load before: ${loadBefore}`);
  mkdirSync(IV_WORK, { recursive: true });
  const work = mkdtempSync(join(IV_WORK, "run-"));
  const env = cleanEnv({ VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: PASSWORD, VOUCH_CACHE_DIR: join(work, "cache-cli-vouch"), HOME: work });
  const results: Results = { lib: [], cli: [], setup: { images: options.images, signSeconds: {} } };

  const server = await startService(REPO, [vouchCliPath(), "serve", "--port", "0"], env, "vouch serve");
  let docker: RunningRegistry | undefined;
  let oci: Service | undefined;
  const registries: Registry[] = [];
  try {
    vouchCli(["key", "generate", "--out", join(work, "signer")], env);
    vouchCli(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], env);
    const key = join(work, "signer.pub");
    const trustedRoot = join(work, "trust", "trusted_root.json");
    const api = (await import(pathToFileURL(join(DIST, "public/image.js")).href)) as typeof PublicImage;
    [docker, oci] = await Promise.all([startRegistry(), startService(REPO, ["--import", "tsx", SELF, "--role", "oci-registry"], cleanEnv(), "OCI registry")]);
    const signer = { key: join(work, "signer.key"), tlogUrl: server.url };
    for (const [id, host, stop] of [
      ["docker", docker.host, () => docker!.stop()],
      ["oci", new URL(oci.url).host, () => oci!.stop()],
    ] as const) {
      const t0 = performance.now();
      const refs = await pushAndSign(id, host, options.images, api, signer);
      results.setup.signSeconds[id] = (performance.now() - t0) / 1000;
      registries.push({ id, host, ...refs, stop });
    }
    // Verification needs only the trusted root: the log is not running while anything is measured.
    await server.stop();

    const refsFile = (r: Registry, mode: Mode) => {
      const file = join(work, `refs-${r.id}-${mode}.json`);
      writeFileSync(file, JSON.stringify(mode === "tag" ? r.tags : r.digests));
      return file;
    };
    const libArgs = (r: Registry, mode: Mode, client: Client) => [
      "--role", "lib", "--client", client, "--refs", refsFile(r, mode), "--key", key, "--trusted-root", trustedRoot,
      "--cache-dir", join(work, `cache-lib-${client}`), "--passes", String(options.passes),
      "--parallel-passes", String(options.parallelPasses), "--concurrency", String(options.concurrency),
    ];

    // --- 1. Library, warm: one at a time, then C in flight --------------------------------------------
    for (let run = 0; run < options.runs; run++) {
      const order: Client[] = run % 2 === 0 ? ["vouch", "peer"] : ["peer", "vouch"];
      for (const r of registries) {
        for (const mode of ["tag", "digest"] as Mode[]) {
          for (const client of order) {
            const { out } = await runRole<LibOutput>(libArgs(r, mode, client));
            if (out.first.signatures < 1 || out.first.tlogEntries < 1) throw new Error(`${client} on ${r.id}: ${JSON.stringify(out.first)}`);
            const row: LibRow = {
              registry: r.id,
              mode,
              client,
              run,
              p50: percentile(out.latencies, 50),
              p90: percentile(out.latencies, 90),
              p99: percentile(out.latencies, 99),
              mean: out.latencies.reduce((a, b) => a + b, 0) / out.latencies.length,
              imagesPerS: (1000 * out.parallel.count) / out.parallel.wallMs,
              cpuPerVerifyMs: out.cpuMs / out.latencies.length,
              requestsPerVerify: out.requestsPerVerify,
              connectionsPerVerify: out.connectionsPerVerify,
              first: out.first,
            };
            results.lib.push(row);
            log(
              `run ${run + 1}/${options.runs} ${r.id} by ${mode} ${client}: p50 ${row.p50.toFixed(2)} ms, p90 ${row.p90.toFixed(2)}, p99 ${row.p99.toFixed(2)}; ` +
                `${row.imagesPerS.toFixed(0)} images/s with ${options.concurrency} in flight; ${row.requestsPerVerify.toFixed(1)} requests and ${row.connectionsPerVerify.toFixed(2)} new TCP connections per verify`,
            );
          }
        }
      }
    }

    // --- 2. The CLI: a process per verification ----------------------------------------------------------
    const cliEnv = env;
    const peerCache = join(work, "cache-cli-peer");
    const cliCommand = (c: CliCommand, ref: string): string[] => {
      switch (c) {
        case "node":
          return ["-e", ""];
        case "version":
          return [vouchCliPath(), "--version"];
        case "import-public":
          return ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(join(DIST, "public/image-verify.js")).href)})`];
        case "import-api":
          return ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(join(DIST, "api/image-verify.js")).href)})`];
        case "vouch":
          return [vouchCliPath(), "verify", ref, "--key", key, "--trusted-root", trustedRoot];
        case "peer":
          return [PEER, ref, "--key", key, "--trusted-root", trustedRoot, "--cache-dir", peerCache];
      }
    };
    // Spawned without blocking this process: docker-registry's log pipe is drained by its event loop (a blocked
    // loop lets the pipe fill, and the registry then stalls on writing its log).
    const runCli = (c: CliCommand, ref: string, nodeArgs: string[] = []): Promise<number> =>
      new Promise((done, reject) => {
        const t0 = performance.now();
        const child = spawn(process.execPath, [...nodeArgs, ...cliCommand(c, ref)], { cwd: REPO, env: cliEnv, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.setEncoding("utf8").on("data", (x: string) => (output += x));
        child.stderr.setEncoding("utf8").on("data", (x: string) => (output += x));
        child.once("exit", (code) => {
          const ms = performance.now() - t0;
          if (code !== 0) reject(new Error(`${c} ${ref} exited with ${code}:\n${output}`));
          else done(ms);
        });
      });
    const commands: CliCommand[] = ["node", "version", "import-public", "import-api", "vouch", "peer"];
    for (const r of registries) {
      const rows = commands.map((command) => ({ registry: r.id, command, samples: [] as number[] }));
      // Untimed: fills each client's disk cache for every image the timed rounds use.
      for (const ref of r.tags.slice(0, options.cliRuns)) for (const c of ["vouch", "peer"] as CliCommand[]) await runCli(c, ref);
      for (let i = 0; i < options.cliRuns; i++) {
        const ref = r.tags[i % r.tags.length]!;
        const turn = i % 2 === 0 ? rows : [...rows].reverse();
        for (const row of turn) row.samples.push(await runCli(row.command, ref));
      }
      results.cli.push(...rows);
      log(`CLI on ${r.id}: ${rows.map((x) => `${x.command} p50 ${median(x.samples).toFixed(1)} ms`).join(", ")}`);
    }

    // --- 3. Profile ----------------------------------------------------------------------------------------
    if (options.profile) {
      const docker0 = registries[0]!;
      const dir = join(work, "profile-lib");
      const { out, windowUs } = await runRole<LibOutput>(libArgs(docker0, "tag", "vouch"), ["--cpu-prof", "--cpu-prof-dir", dir]);
      const found = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
      if (!found) throw new Error(`no .cpuprofile in ${dir}`);
      const libFile = join(WORK, "image-verify-lib.cpuprofile");
      cropProfile(join(dir, found), libFile, windowUs[0], windowUs[1]);
      const lib = summarizeProfile(libFile, LIB_BUCKETS, 30, WORK);
      const cliDir = join(work, "profile-cli");
      const cliRuns = 10;
      for (let i = 0; i < cliRuns; i++) await runCli("vouch", docker0.tags[i % docker0.tags.length]!, ["--cpu-prof", "--cpu-prof-dir", cliDir]);
      const cli = sumSummaries(readdirSync(cliDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => summarizeProfile(join(cliDir, f), CLI_BUCKETS, 40, WORK)));
      results.profile = { lib, libVerifications: out.latencies.length, cli, cliRuns, libFile };
      log(`profile: library busy ${lib.busyMs.toFixed(0)} ms of ${lib.wallMs.toFixed(0)} ms for ${out.latencies.length} verifications; CLI busy ${(cli.busyMs / cliRuns).toFixed(1)} ms per run`);
    }
  } finally {
    await server.stop().catch((error: unknown) => log(String(error)));
    for (const r of registries) await r.stop().catch((error: unknown) => log(String(error)));
    if (registries.length < 2) {
      await docker?.stop().catch(() => undefined);
      await oci?.stop().catch(() => undefined);
    }
  }
  const loadAfter = uptime();
  log(`load after: ${loadAfter}`);
  const report = renderReport({ options, machine, commit, loadBefore, loadAfter, minutes: (Date.now() - started) / 60_000, results });
  writeFileSync(join(WORK, "image-verify.md"), report);
  writeFileSync(join(WORK, "image-verify.json"), JSON.stringify({ options, machine, commit, loadBefore, loadAfter, ...results }, null, 1));
  rmSync(work, { recursive: true, force: true });
  console.log(report);
}

/** Several profiles' summaries added up (the CLI runs: each process is short, the sum shows the pattern). */
function sumSummaries(list: ProfileSummary[]): ProfileSummary {
  const add = <T extends { ms: number }>(key: (x: T) => string, lists: T[][]): T[] => {
    const m = new Map<string, T>();
    for (const l of lists) for (const x of l) {
      const k = key(x);
      const had = m.get(k);
      m.set(k, had ? { ...had, ms: had.ms + x.ms } : { ...x });
    }
    return [...m.values()].sort((a, b) => b.ms - a.ms);
  };
  return {
    wallMs: list.reduce((a, s) => a + s.wallMs, 0),
    busyMs: list.reduce((a, s) => a + s.busyMs, 0),
    idleMs: list.reduce((a, s) => a + s.idleMs, 0),
    gcMs: list.reduce((a, s) => a + s.gcMs, 0),
    top: add((x) => x.name, list.map((s) => s.top)),
    areas: add((x) => x.area, list.map((s) => s.areas)),
    // Buckets keep their order (the tree below the first).
    buckets: list[0]!.buckets.map((b, i) => ({ label: b.label, ms: list.reduce((a, s) => a + s.buckets[i]!.ms, 0) })),
  };
}

/** vouch's library, warm (names as V8 reports them; the compiled dist is under bench/.work/image-verify-dist). */
const LIB_BUCKETS: Bucket[] = [
  { label: "ImageVerifier verify → inspect (all below)", fn: "inspect", url: "api/image-verify.js" },
  { label: "├ resolveImage (parse the reference; HEAD the manifest)", fn: "resolveImage", url: "api/image-registry.js" },
  { label: "├ discoverAttachments (referrer listing + cosign .sig tag)", fn: "discoverAttachments", url: "api/image-attachments.js" },
  { label: "│ ├ listReferrers (API, or the tag-schema index)", fn: "listReferrers", url: "oci/referrers.js" },
  { label: "│ └ cosignTagImage (GET sha256-<hex>.sig: 404)", fn: "cosignTagImage", url: "api/image-attachments.js" },
  { label: "├ checkReferrer (manifest + bundle from the cache, parse)", fn: "checkReferrer", url: "api/image-verify.js" },
  { label: "│ ├ manifestByDigest (cache hit: read, re-hash, parse)", fn: "manifestByDigest", url: "api/oci-content-cache.js" },
  { label: "│ ├ blobBytes (cache hit: read, re-hash)", fn: "blobBytes", url: "api/oci-content-cache.js" },
  { label: "│ └ readBundleLayer (parse the bundle JSON)", fn: "readBundleLayer" },
  { label: "└ verifyBundle (signature, tlog entry: body, inclusion proof, checkpoint, SET)", fn: "verifyBundle", url: "verify/verifier.js" },
  { label: "RegistryClient #request / fetch (undici), any caller", fn: "fetch" },
  { label: "diskContentCache get (readFileSync)", fn: "get", url: "api/oci-content-cache.js" },
];

/** The CLI: one `vouch verify IMAGE` process, start to exit. */
const CLI_BUCKETS: Bucket[] = [
  { label: "(program): V8/Node outside JS (bootstrap, compile, native)", fn: "(program)" },
  { label: "module loading (ESM link/evaluate), any module", fn: "moduleEvaluation" },
  { label: "ImageVerifier inspect (the verification itself)", fn: "inspect", url: "api/image-verify.js" },
  { label: "createImageVerifier (policy: trusted root, key)", fn: "createImageVerifier", url: "api/image-verify.js" },
  { label: "verifyBundle", fn: "verifyBundle", url: "verify/verifier.js" },
];

// =========================================================================================================
// Report
// =========================================================================================================

interface ReportInput {
  options: Options;
  machine: MachineInfo;
  commit: string;
  loadBefore: string;
  loadAfter: string;
  minutes: number;
  results: Results;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");
const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const range = (values: number[], fmt: (n: number) => string) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

function renderReport(r: ReportInput): string {
  const o = r.options;
  const m = r.machine;
  const peerVersion = (JSON.parse(readFileSync(join(REPO, "node_modules/@sigstore/verify/package.json"), "utf8")) as { version: string }).version;
  const registryVersion = spawnSync(REGISTRY_BINARY, ["--version"], { encoding: "utf8" }).stdout.trim().split(" ").at(-1);
  const lines: string[] = [];
  lines.push(`### Results (${m.date})`, "");
  lines.push(
    `Machine: ${m.cpuModel}, ${m.nproc} cores (nproc), ${m.memory} RAM, ${m.os}; Node ${m.node}. vouch at ${r.commit}; @sigstore/verify ${peerVersion}; docker-registry ${registryVersion}. ` +
      `Command: \`npx tsx bench/image-verify.ts${o.quick ? " --quick" : ""}\` (${o.runs} runs; ${o.images} signed images per registry; per library row 1 untimed + ${o.passes} timed passes ` +
      `one at a time, then ${o.parallelPasses} passes with ${o.concurrency} in flight; ${o.cliRuns} CLI rounds per registry), ${r.minutes.toFixed(1)} minutes.`,
    "",
    `Load: before \`${r.loadBefore}\`; after \`${r.loadAfter}\`.`,
    "",
  );

  lines.push(
    `#### Library, warm: one verification at a time (p50/p90/p99 over the ${o.passes * o.images} timed verifications of a run; median over ${o.runs} runs), and ${o.concurrency} in flight`,
    "",
    `| registry | ref | client | p50 ms (min–max over runs) | p90 ms | p99 ms | images/s, ${o.concurrency} in flight (min–max) | CPU ms / verify | requests / verify | new TCP connections / verify | vouch ÷ peer: p50 | vouch ÷ peer: images/s | goal p50 < ${GOAL_P50_MS} ms |`,
    "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  );
  for (const reg of ["docker", "oci"] as RegistryId[]) {
    for (const mode of ["tag", "digest"] as Mode[]) {
      for (const client of ["vouch", "peer"] as Client[]) {
        const rows = r.results.lib.filter((x) => x.registry === reg && x.mode === mode && x.client === client);
        if (rows.length === 0) continue;
        const peerOf = (x: LibRow) => r.results.lib.find((p) => p.registry === reg && p.mode === mode && p.client === "peer" && p.run === x.run);
        const p50 = median(rows.map((x) => x.p50));
        const ratioP50 = client === "vouch" ? `${f2(median(rows.map((x) => x.p50 / (peerOf(x)?.p50 ?? Number.NaN))))}×` : "";
        const ratioTput = client === "vouch" ? `${f2(median(rows.map((x) => x.imagesPerS / (peerOf(x)?.imagesPerS ?? Number.NaN))))}×` : "";
        lines.push(
          `| ${REGISTRY_LABEL[reg]} | ${mode} | ${client === "vouch" ? "vouch `createImageVerifier().verify`" : "fetch + @sigstore/verify"} | **${f2(p50)}** (${range(rows.map((x) => x.p50), f2)}) | ` +
            `${f2(median(rows.map((x) => x.p90)))} | ${f2(median(rows.map((x) => x.p99)))} | **${f0(median(rows.map((x) => x.imagesPerS)))}** (${range(rows.map((x) => x.imagesPerS), f0)}) | ` +
            `${f2(median(rows.map((x) => x.cpuPerVerifyMs)))} | ${f1(median(rows.map((x) => x.requestsPerVerify)))} | ${f2(median(rows.map((x) => x.connectionsPerVerify)))} | ${ratioP50} | ${ratioTput} | ${client === "vouch" ? (p50 < GOAL_P50_MS ? "PASS" : "FAIL") : ""} |`,
        );
      }
    }
  }
  lines.push("");

  lines.push(`#### The CLI: a fresh process per verification, by tag, warm disk cache (${o.cliRuns} runs per command and registry, in turns; wall ms from spawn to exit)`, "");
  lines.push(`| registry | command | p50 ms | p90 ms | min ms | p50 − \`node -e ""\` | vouch ÷ peer (p50) | goal p50 < ${GOAL_P50_MS} ms |`, "|---|---|--:|--:|--:|--:|--:|---|");
  for (const reg of ["docker", "oci"] as RegistryId[]) {
    const rows = r.results.cli.filter((x) => x.registry === reg);
    const floor = median(rows.find((x) => x.command === "node")?.samples ?? []);
    const peer = median(rows.find((x) => x.command === "peer")?.samples ?? []);
    for (const row of rows) {
      const p50 = median(row.samples);
      lines.push(
        `| ${REGISTRY_LABEL[reg]} | ${CLI_LABEL[row.command]} | **${f1(p50)}** | ${f1(percentile(row.samples, 90))} | ${f1(Math.min(...row.samples))} | ${row.command === "node" ? "" : f1(p50 - floor)} | ` +
          `${row.command === "vouch" ? `${f2(p50 / peer)}×` : ""} | ${row.command === "vouch" ? (p50 < GOAL_P50_MS ? "PASS" : "FAIL") : ""} |`,
      );
    }
  }
  lines.push("");

  const p = r.results.profile;
  if (p) {
    const per = (ms: number) => (ms * 1000) / p.libVerifications;
    const s = p.lib;
    lines.push(
      `#### Where vouch's library spends a warm verification (docker-registry, by tag; \`node --cpu-prof\`, cropped to the ${p.libVerifications} timed verifications)`,
      "",
      `Busy ${f0(s.busyMs)} ms of ${f0(s.wallMs)} ms wall: ${f0(per(s.busyMs))} µs per verification on the main thread (under the profiler), the rest waiting for the registry. GC ${f0(s.gcMs)} ms. ` +
        "Inclusive times of async functions count only their synchronous parts (after an `await`, V8's stack starts at the resumed function), so the self-time tables are the reliable ones.",
      "",
      "| share of busy | µs / verify | where (inclusive) |",
      "|--:|--:|---|",
    );
    for (const b of s.buckets) lines.push(`| ${((100 * b.ms) / s.busyMs).toFixed(1)}% | ${f0(per(b.ms))} | ${b.label} |`);
    lines.push("", "| µs / verify | top self time |", "|--:|---|");
    for (const t of s.top.slice(0, 15)) lines.push(`| ${f0(per(t.ms))} | \`${t.name}\` |`);
    lines.push("", "| µs / verify | area (self) |", "|--:|---|");
    for (const a of s.areas.slice(0, 12)) lines.push(`| ${f0(per(a.ms))} | ${a.area} |`);
    const c = p.cli;
    const perRun = (ms: number) => ms / p.cliRuns;
    lines.push(
      "",
      `#### Where a \`vouch verify IMAGE\` process spends its time (${p.cliRuns} runs under \`node --cpu-prof\`, summed; ms per run)`,
      "",
      `Profiled ${f1(perRun(c.wallMs))} ms per run (from V8's start; Node's bootstrap before it is not in the profile), busy ${f1(perRun(c.busyMs))} ms, GC ${f1(perRun(c.gcMs))} ms.`,
      "",
      "| ms / run | where (inclusive) |",
      "|--:|---|",
    );
    for (const b of c.buckets) lines.push(`| ${f1(perRun(b.ms))} | ${b.label} |`);
    lines.push("", "| ms / run | area (self) |", "|--:|---|");
    for (const a of c.areas.slice(0, 15)) lines.push(`| ${f1(perRun(a.ms))} | ${a.area} |`);
    lines.push("", "| ms / run | top self time |", "|--:|---|");
    for (const t of c.top.slice(0, 15)) lines.push(`| ${f1(perRun(t.ms))} | \`${t.name}\` |`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

await main();
