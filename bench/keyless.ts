/**
 * vouch's keyless services under load (issue 5, "Speed"): certificates issued per second, and the end-to-end keyless
 * sign latency, against a real `vouch serve` process on loopback.
 *
 *   npx tsx bench/keyless.ts [--quick] [--runs N] [--concurrency 1,8,32] [--certs N] [--cert-warmup N]
 *        [--signings N] [--sign-warmup N] [--profile | --no-profile] [--profile-signings N] [--log-max-delay-ms N] [--dist DIR]
 *
 * Setup (once): vouch is run as built, from its own compile of src/ (`tsc -p tsconfig.build.json --outDir
 * bench/.work/keyless-dist`, redone when src/ is newer; dist/ is left alone, other work may be rebuilding it).
 * A loopback OIDC issuer (test/support/oidc-issuer.ts) runs in this process and mints GitHub Actions-shaped RS256
 * tokens; `vouch ca init` (ECDSA P-384 root + intermediate, VOUCH_CA_PASSWORD), a vouch.yaml naming the issuer in
 * ca.issuers (store: the default filesystem store, fsync'd; log.maxDelayMs default 10 ms; the CT log's batch delay is
 * its own default), `vouch serve --port 0 --config FILE` as a real process, `vouch trust export`. The peer:
 * @sigstore/mock's Fulcio + CT + Rekor v1 + TSA (test/support/sigstore-mock.ts) served over loopback HTTP from its own
 * process (this script with --role mock). It checks no OIDC signature and no proof of possession, and its "CT log" only
 * signs an SCT (no tree, nothing stored): a floor for the HTTP + certificate work, not a like-for-like CA. No real
 * Fulcio is reachable here (not on npm, not in Debian's archive: `apt-cache search fulcio` finds nothing).
 *
 * 1. Certificates per second: --cert-warmup + --certs Fulcio v2 requests per row (POST /api/v2/signingCert, JSON,
 *    publicKeyRequest), each with its own fresh token (minted before the row, RS256 for vouch; an unsigned token for
 *    the mock, which only decodes it) and its own ephemeral P-256 key and proof of possession (made before the row).
 *    A load generator in its own process (--role load, node:http keep-alive) keeps C requests in flight. certs/s =
 *    201 answers / wall time of the timed phase; p50/p99 per request; the server's CPU time over the timed phase
 *    from /proc/<pid>/stat, per certificate. Rows: C in --concurrency × {vouch, mock}, --runs runs, taking turns.
 * 2. End-to-end keyless sign latency: a signer process (--role sign) signs a 1 KiB artifact --sign-warmup untimed
 *    then --signings timed times, one after another, each with a fresh token (minted before) and a fresh ephemeral
 *    key: token → certificate (with SCT) → signature → RFC 3161 timestamp + Rekor v1 hashedrekord entry → bundle.
 *    Clients: vouch's own (`signBytes` with `keyless`, from the compiled src/public/sign.js: what `vouch sign
 *    --keyless` runs, without the CLI's process start) and @sigstore/sign's FulcioSigner + RekorWitness + TSAWitness
 *    in a MessageSignatureBundleBuilder, each against vouch serve (the exported signing_config.json; the same URLs)
 *    and against the mock. vouch's client gets an instrumented fetch, so each signing's time is split into the
 *    certificate request, the TSA request and the log request (the last two run concurrently). The last bundle of
 *    every run is verified by @sigstore/verify (default thresholds: SCT, log entry) with the target's trusted root.
 * 3. Profile (default in the full run; --profile in --quick): the server restarted under `node --cpu-prof` on the same
 *    data directory, --profile-signings vouch-client signings, summarised (bench/lib/cpuprofile.ts).
 *
 * Prints a markdown report (also bench/.work/keyless.md; raw numbers in bench/.work/keyless.json).
 */
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync, sign as nodeSign, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as PublicSign from "../src/public/sign.js";
import type { KeylessFetch } from "../src/public/sign.js";
import { summarizeProfile, type Bucket, type ProfileSummary } from "./lib/cpuprofile.js";
import { cleanEnv, machineInfo, median, type MachineInfo } from "./lib/measure.js";
import { gitDescription, newestMtime } from "./lib/vouch-build.js";
import { startService, type Service } from "./lib/service.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const KEYLESS_WORK = join(WORK, "keyless");
/** vouch compiled from src/ for this bench alone (see the top); --dist DIR: an already compiled vouch instead. */
let DIST = join(WORK, "keyless-dist");
const vouchCliPath = () => join(DIST, "cli/main.js");
const SELF = join(REPO, "bench/keyless.ts");
const CA_PASSWORD = "bench CA password";
/** The issue's goal for the end-to-end keyless sign latency. */
const TARGET_SIGN_P50_MS = 50;
const ARTIFACT_BYTES = 1024;

type Target = "vouch" | "mock";
type Client = "vouch" | "sigstore-js";

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// =========================================================================================================
// Child roles: the load generator, the signer, the mock services. Each runs in a process of its own.
// =========================================================================================================

interface LoadOutput {
  statuses: Record<string, number>;
  latencies: number[];
  wallMs: number;
  cpuMs: number;
  errors: string[];
  /** Certificates in the first 201 answer's chain. */
  chainLength: number;
}

/** --role load: POSTs the request bodies of --file (JSON array of strings) to /api/v2/signingCert, C in flight. */
async function roleLoad(values: Record<string, string | boolean | undefined>): Promise<void> {
  const base = new URL(String(values.url));
  if (base.hostname !== "127.0.0.1") throw new Error(`load: ${base.hostname} is not loopback`);
  const bodies = JSON.parse(readFileSync(String(values.file), "utf8")) as string[];
  const warmup = Number(values.warmup);
  const concurrency = Number(values.concurrency);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL("/api/v2/signingCert", base);
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolvePost, reject) => {
      const req = httpRequest(
        url,
        { method: "POST", agent, timeout: 30_000, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolvePost({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", reject);
      req.end(body);
    });
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  const latencies: number[] = [];
  let chainLength = 0;
  const phase = async (from: number, to: number, timed: boolean) => {
    let next = from;
    const worker = async () => {
      while (next < to) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        try {
          const { status, text } = await post(body);
          const ms = performance.now() - t0;
          if (!timed) continue;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 201) {
            latencies.push(ms);
            if (chainLength === 0) chainLength = (JSON.parse(text) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }).signedCertificateEmbeddedSct.chain.certificates.length;
          } else if (errors.length < 5) errors.push(`${status}: ${text.slice(0, 300)}`);
        } catch (error) {
          if (timed) statuses.error = (statuses.error ?? 0) + 1;
          if (errors.length < 5) errors.push(String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, to - from) }, worker));
  };
  await phase(0, warmup, false);
  process.stderr.write("@@timed-start\n");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await phase(warmup, bodies.length, true);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stderr.write("@@timed-end\n");
  agent.destroy();
  const out: LoadOutput = { statuses, latencies, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, errors, chainLength };
  console.log(JSON.stringify(out));
}

interface SignOutput {
  latencies: number[];
  /** vouch's client only: per signing, the certificate, TSA and log requests (ms; TSA and log run concurrently). */
  parts: { ca: number; tsa: number; tlog: number }[];
  cpuMs: number;
  wallMs: number;
  verified: boolean;
  verifyError?: string;
  /** What the last bundle holds (a check that every run did the whole flow). */
  bundle: { tlogEntries: number; timestamps: number; certificateBytes: number };
}

/** --role sign: sequential keyless signings with one client against one target. */
async function roleSign(values: Record<string, string | boolean | undefined>): Promise<void> {
  const client = String(values.client) as Client;
  const url = String(values.url);
  if (new URL(url).hostname !== "127.0.0.1") throw new Error(`sign: ${url} is not loopback`);
  const tokens = JSON.parse(readFileSync(String(values.tokens), "utf8")) as string[];
  const warmup = Number(values.warmup);
  const data = randomBytes(ARTIFACT_BYTES);
  const parts: SignOutput["parts"] = [];

  let signOnce: (token: string, timed: boolean) => Promise<unknown>;
  let toJson: (bundle: unknown) => unknown;
  if (client === "vouch") {
    const api = (await import(pathToFileURL(join(DIST, "public/sign.js")).href)) as typeof PublicSign;
    const signingConfig = String(values["signing-config"]);
    signOnce = async (token, timed) => {
      const part = { ca: 0, tsa: 0, tlog: 0 };
      // The keyless client's injected fetch (KeylessOptions.fetch): global fetch, timed per service.
      const timedFetch: KeylessFetch = async (target, init) => {
        const t0 = performance.now();
        const response = await fetch(target, init);
        const body = await response.arrayBuffer();
        const ms = performance.now() - t0;
        if (target.includes("/api/v2/signingCert")) part.ca += ms;
        else if (target.includes("/timestamp")) part.tsa += ms;
        else part.tlog += ms;
        return { status: response.status, headers: response.headers, arrayBuffer: async () => body };
      };
      const signed = await api.signBytes(data, { keyless: { signingConfig, identityToken: token, fetch: timedFetch, env: {} } });
      if (timed) parts.push(part);
      return signed.bundleJson;
    };
    toJson = (bundle) => JSON.parse(bundle as string);
  } else {
    const sigstore = await import("@sigstore/sign");
    const { bundleToJSON } = await import("@sigstore/bundle");
    signOnce = async (token) => {
      const signer = new sigstore.FulcioSigner({ fulcioBaseURL: url, identityProvider: { getToken: () => Promise.resolve(token) } });
      const builder = new sigstore.MessageSignatureBundleBuilder({
        signer,
        witnesses: [new sigstore.RekorWitness({ rekorBaseURL: url }), new sigstore.TSAWitness({ tsaBaseURL: url })],
      });
      return builder.create({ data });
    };
    toJson = (bundle) => bundleToJSON(bundle as Parameters<typeof bundleToJSON>[0]);
  }

  for (let i = 0; i < warmup; i++) await signOnce(tokens[i]!, false);
  process.stderr.write("@@timed-start\n");
  const latencies: number[] = [];
  let last: unknown;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = warmup; i < tokens.length; i++) {
    const t0 = performance.now();
    last = await signOnce(tokens[i]!, true);
    latencies.push(performance.now() - t0);
  }
  const wallMs = performance.now() - w0;
  const cpu = process.cpuUsage(cpu0);
  process.stderr.write("@@timed-end\n");

  // The last bundle, checked outside the timed loop: @sigstore/verify with default thresholds (SCT, log entry).
  const json = toJson(last) as { verificationMaterial: { tlogEntries?: unknown[]; timestampVerificationData?: { rfc3161Timestamps?: unknown[] }; certificate?: { rawBytes: string } } };
  let verified = false;
  let verifyError: string | undefined;
  try {
    const { bundleFromJSON } = await import("@sigstore/bundle");
    const { TrustedRoot } = await import("@sigstore/protobuf-specs");
    const { toSignedEntity, toTrustMaterial, Verifier } = await import("@sigstore/verify");
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(String(values["trusted-root"]), "utf8")));
    new Verifier(toTrustMaterial(root)).verify(toSignedEntity(bundleFromJSON(json), data));
    verified = true;
  } catch (error) {
    verifyError = String(error);
  }
  const material = json.verificationMaterial;
  const out: SignOutput = {
    latencies,
    parts,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    verified,
    verifyError,
    bundle: {
      tlogEntries: material.tlogEntries?.length ?? 0,
      timestamps: material.timestampVerificationData?.rfc3161Timestamps?.length ?? 0,
      certificateBytes: material.certificate ? Buffer.from(material.certificate.rawBytes, "base64").length : 0,
    },
  };
  console.log(JSON.stringify(out));
}

/** --role mock: @sigstore/mock's Fulcio, CT, Rekor and TSA on 127.0.0.1; its trusted root written to --trusted-root. */
async function roleMock(values: Record<string, string | boolean | undefined>): Promise<void> {
  const { startMockSigstore } = await import("../test/support/sigstore-mock.js");
  const mock = await startMockSigstore();
  writeFileSync(String(values["trusted-root"]), JSON.stringify(mock.trustedRootJson));
  console.log(`vouch serving on ${mock.url}`);
  process.on("SIGTERM", () => {
    void mock.close().finally(() => process.exit(0));
  });
}

// =========================================================================================================
// The driver
// =========================================================================================================

interface Options {
  quick: boolean;
  runs: number;
  concurrency: number[];
  certs: number;
  certWarmup: number;
  signings: number;
  signWarmup: number;
  profile: boolean;
  profileSignings: number;
  /** log.maxDelayMs in vouch.yaml (the transparency log's batch delay); unset: vouch's default. */
  logMaxDelayMs?: number;
}

function parseOptions(values: Record<string, string | boolean | undefined>): Options {
  const quick = values.quick === true;
  const whole = (name: string, fallback: number, min: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number >= ${min}, not "${String(text)}"`);
    return n;
  };
  const concurrency = typeof values.concurrency === "string" ? values.concurrency.split(",").map(Number) : [1, 8, 32];
  if (concurrency.some((c) => !Number.isInteger(c) || c < 1)) throw new Error("--concurrency takes whole numbers >= 1, e.g. 1,8,32");
  return {
    quick,
    runs: whole("runs", quick ? 1 : 3, 1),
    concurrency,
    certs: whole("certs", quick ? 150 : 500, 1),
    certWarmup: whole("cert-warmup", quick ? 20 : 50, 0),
    signings: whole("signings", quick ? 50 : 100, 1),
    signWarmup: whole("sign-warmup", quick ? 5 : 10, 0),
    profile: values["no-profile"] === true ? false : values.profile === true || !quick,
    profileSignings: whole("profile-signings", quick ? 50 : 100, 1),
    logMaxDelayMs: values["log-max-delay-ms"] === undefined ? undefined : whole("log-max-delay-ms", 10, 0),
  };
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** utime + stime of a process, in ms (proc(5): fields 14 and 15). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[14 - 3]) + Number(fields[15 - 3])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Runs a child role; samples `serverPid`'s CPU at its "@@timed-start" / "@@timed-end" lines. */
function runRole<T>(args: string[], serverPid: number | undefined, nodeArgs: string[] = []): Promise<{ out: T; serverCpuMs: number; windowUs: [number, number] }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", SELF, "--dist", DIST, ...args], { cwd: REPO, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    const marks: number[] = [];
    // CLOCK_MONOTONIC in µs, the clock V8's .cpuprofile timestamps use: to crop a profile to the timed phase.
    const times: number[] = [];
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line === "@@timed-start" || line === "@@timed-end") {
          marks.push(cpuMs(serverPid));
          times.push(Number(process.hrtime.bigint() / 1000n));
        }
        else stderr += `${line}\n`;
      }
    });
    child.once("exit", (code) => {
      if (code !== 0) {
        reject(new Error(`${args.slice(0, 4).join(" ")} exited with ${code}:\n${stderr.slice(-3000)}`));
        return;
      }
      done({
        out: JSON.parse(stdout.trim().split("\n").at(-1)!) as T,
        serverCpuMs: marks.length === 2 ? marks[1]! - marks[0]! : Number.NaN,
        windowUs: [times[0] ?? 0, times[1] ?? Number.MAX_SAFE_INTEGER],
      });
    });
  });
}

/**
 * A copy of a .cpuprofile holding only the samples taken in [fromUs, toUs] (CLOCK_MONOTONIC µs, the clock of the
 * profile's own timestamps): the timed phase without the process's start (module loading, the CA key's scrypt).
 */
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

function uptime(): string {
  return spawnSync("uptime", [], { encoding: "utf8" }).stdout.trim();
}

function vouchCli(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [vouchCliPath(), ...args], { cwd: REPO, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`vouch ${args.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Compiles src/ into bench/.work/keyless-dist when it is missing or older than src/. */
function ensureBuilt(): void {
  const stamp = join(DIST, ".built");
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(join(REPO, "src"))) return;
  log("compiling src/ into bench/.work/keyless-dist");
  const r = spawnSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", DIST], { cwd: REPO, encoding: "utf8" });
  // tsc emits despite type errors (someone else's work in progress); go on when the CLI was emitted.
  if (r.status !== 0) log(`WARNING: tsc reported errors; benchmarking what it emitted:\n${r.stdout.slice(-2000)}`);
  if (!existsSync(vouchCliPath())) throw new Error("tsc emitted no cli/main.js");
  writeFileSync(stamp, new Date().toISOString());
}

interface CertRow {
  target: Target;
  concurrency: number;
  run: number;
  certsPerS: number;
  p50: number;
  p99: number;
  ok: number;
  statuses: Record<string, number>;
  serverCpuPerCertMs: number;
  clientCpuPerCertMs: number;
  chainLength: number;
  errors: string[];
}

interface SignRow {
  client: Client;
  target: Target;
  run: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  latencies: number[];
  parts: SignOutput["parts"];
  serverCpuPerSignMs: number;
  clientCpuPerSignMs: number;
  verified: boolean;
  verifyError?: string;
  bundle: SignOutput["bundle"];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: "string" },
      quick: { type: "boolean" },
      runs: { type: "string" },
      concurrency: { type: "string" },
      certs: { type: "string" },
      "cert-warmup": { type: "string" },
      signings: { type: "string" },
      "sign-warmup": { type: "string" },
      profile: { type: "boolean" },
      "no-profile": { type: "boolean" },
      "profile-signings": { type: "string" },
      "log-max-delay-ms": { type: "string" },
      dist: { type: "string" },
      // child roles
      url: { type: "string" },
      file: { type: "string" },
      warmup: { type: "string" },
      client: { type: "string" },
      tokens: { type: "string" },
      "signing-config": { type: "string" },
      "trusted-root": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.dist !== undefined) DIST = resolve(values.dist);
  if (values.role === "load") return roleLoad(values);
  if (values.role === "sign") return roleSign(values);
  if (values.role === "mock") return roleMock(values);
  if (values.help) {
    console.log(
      "usage: npx tsx bench/keyless.ts [--quick] [--runs N] [--concurrency 1,8,32] [--certs N] [--cert-warmup N]\n" +
        "         [--signings N] [--sign-warmup N] [--profile | --no-profile] [--profile-signings N] [--log-max-delay-ms N] [--dist DIR]\n" +
        "  --dist DIR: benchmark an already compiled vouch (a dist/ tree) instead of compiling src/\n" +
        "  --quick: 1 run, 150 certificates per row, 50 signings per client and target, no profile (under a minute)",
    );
    return;
  }
  const options = parseOptions(values);
  const started = Date.now();
  const loadBefore = uptime();
  log(`load before: ${loadBefore}`);
  if (values.dist === undefined) ensureBuilt();
  const machine = machineInfo();
  const commit = gitDescription(REPO);

  mkdirSync(KEYLESS_WORK, { recursive: true });
  const work = mkdtempSync(join(KEYLESS_WORK, "run-"));
  const { startOidcIssuer, githubClaims } = await import("../test/support/oidc-issuer.js");
  const { unsignedIdentityToken } = await import("../test/support/sigstore-mock.js");
  const issuer = await startOidcIssuer();
  const dataDir = join(work, "data");
  const env = cleanEnv({ VOUCH_DATA_DIR: dataDir, VOUCH_CA_PASSWORD: CA_PASSWORD });
  delete env.DATABASE_URL;
  vouchCli(["ca", "init", "-o", "json"], env);
  const config = join(work, "vouch.yaml");
  const logSection = options.logMaxDelayMs === undefined ? [] : ["log:", `  maxDelayMs: ${options.logMaxDelayMs}`];
  writeFileSync(config, [...logSection, "ca:", "  issuers:", `    - url: ${issuer.url}`, "      type: github-workflow", ""].join("\n"));
  const serveArgs = [vouchCliPath(), "serve", "--port", "0", "--config", config];
  let server = await startService(REPO, serveArgs, env, "vouch serve", { checkExit: true });
  let serverStopped = false;
  let mock: Service | undefined;
  const results: { certs: CertRow[]; signs: SignRow[]; profile?: ProfileResult } = { certs: [], signs: [] };
  try {
    vouchCli(["trust", "export", "--out", join(work, "trust")], env);
    const vouchRoot = join(work, "trust", "trusted_root.json");
    const vouchConfig = join(work, "trust", "signing_config.json");
    const mockRoot = join(work, "mock-trusted-root.json");
    mock = await startService(REPO, ["--import", "tsx", SELF, "--role", "mock", "--trusted-root", mockRoot], cleanEnv(), "mock sigstore", { checkExit: true });
    // The same signing config with the mock's URL in place of vouch's, and without a TSA: the mock's TSA takes only
    // timestamp-authority's JSON request (what @sigstore/sign's TSAWitness sends), and vouch's client sends the RFC 3161
    // DER request (application/timestamp-query). The vouch → mock rows therefore have no TSA request.
    const mockConfig = join(work, "mock-signing-config.json");
    const mockSigningConfig = JSON.parse(readFileSync(vouchConfig, "utf8").split(server.url).join(mock.url)) as { tsaUrls: unknown[] };
    mockSigningConfig.tsaUrls = [];
    writeFileSync(mockConfig, JSON.stringify(mockSigningConfig));
    log(`vouch serve at ${server.url}, mock at ${mock.url}, OIDC issuer at ${issuer.url}`);

    const claims = githubClaims();
    const mintVouch = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(await issuer.mintGithubToken({}, { expiresIn: 1800 }));
      return out;
    };
    const mintMock = (n: number) => Array.from({ length: n }, () => unsignedIdentityToken({ ...claims, sub: claims.sub!, iss: issuer.url }));
    const tokens = async (target: Target, n: number) => (target === "vouch" ? mintVouch(n) : mintMock(n));
    const urlOf = (target: Target) => (target === "vouch" ? server.url : mock!.url);
    const pidOf = (target: Target) => (target === "vouch" ? server.child.pid : mock!.child.pid);

    // --- 1. Certificates per second -------------------------------------------------------------------
    const certConfigs = options.concurrency.flatMap((concurrency) => (["vouch", "mock"] as Target[]).map((target) => ({ target, concurrency })));
    for (let run = 0; run < options.runs; run++) {
      const order = certConfigs.map((_c, i) => certConfigs[(i + run) % certConfigs.length]!);
      for (const { target, concurrency } of order) {
        const n = options.certWarmup + options.certs;
        const bodies = (await tokens(target, n)).map((token) => {
          const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
          // Proof of possession: the key's signature over the token's `sub` (Fulcio's challenge).
          const proof = nodeSign("sha256", Buffer.from(claims.sub!), privateKey).toString("base64");
          return JSON.stringify({
            credentials: { oidcIdentityToken: token },
            publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }).toString() }, proofOfPossession: proof },
          });
        });
        const file = join(work, "requests.json");
        writeFileSync(file, JSON.stringify(bodies));
        const { out, serverCpuMs } = await runRole<LoadOutput>(
          ["--role", "load", "--url", urlOf(target), "--file", file, "--warmup", String(options.certWarmup), "--concurrency", String(concurrency)],
          pidOf(target),
        );
        const ok = out.statuses["201"] ?? 0;
        const row: CertRow = {
          target,
          concurrency,
          run,
          certsPerS: ok / (out.wallMs / 1000),
          p50: percentile(out.latencies, 50),
          p99: percentile(out.latencies, 99),
          ok,
          statuses: out.statuses,
          serverCpuPerCertMs: serverCpuMs / ok,
          clientCpuPerCertMs: out.cpuMs / ok,
          chainLength: out.chainLength,
          errors: out.errors,
        };
        results.certs.push(row);
        log(
          `certs run ${run + 1}/${options.runs} ${target} C=${concurrency}: ${row.certsPerS.toFixed(0)}/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, ` +
            `server ${row.serverCpuPerCertMs.toFixed(2)} ms CPU/cert${ok !== options.certs ? ` STATUSES ${JSON.stringify(out.statuses)} ${out.errors[0] ?? ""}` : ""}`,
        );
      }
    }

    // --- 2. End-to-end keyless sign latency -----------------------------------------------------------
    const signConfigs: { client: Client; target: Target }[] = [
      { client: "vouch", target: "vouch" },
      { client: "sigstore-js", target: "vouch" },
      { client: "vouch", target: "mock" },
      { client: "sigstore-js", target: "mock" },
    ];
    for (let run = 0; run < options.runs; run++) {
      const order = signConfigs.map((_c, i) => signConfigs[(i + run) % signConfigs.length]!);
      for (const { client, target } of order) {
        const file = join(work, "tokens.json");
        writeFileSync(file, JSON.stringify(await tokens(target, options.signWarmup + options.signings)));
        const { out, serverCpuMs } = await runRole<SignOutput>(
          [
            "--role", "sign", "--client", client, "--url", urlOf(target), "--tokens", file, "--warmup", String(options.signWarmup),
            "--signing-config", target === "vouch" ? vouchConfig : mockConfig, "--trusted-root", target === "vouch" ? vouchRoot : mockRoot,
          ],
          pidOf(target),
        );
        const row: SignRow = {
          client,
          target,
          run,
          p50: percentile(out.latencies, 50),
          p90: percentile(out.latencies, 90),
          p99: percentile(out.latencies, 99),
          mean: out.latencies.reduce((a, b) => a + b, 0) / out.latencies.length,
          latencies: out.latencies,
          parts: out.parts,
          serverCpuPerSignMs: serverCpuMs / out.latencies.length,
          clientCpuPerSignMs: out.cpuMs / out.latencies.length,
          verified: out.verified,
          verifyError: out.verifyError,
          bundle: out.bundle,
        };
        results.signs.push(row);
        log(
          `sign run ${run + 1}/${options.runs} ${client} → ${target}: p50 ${row.p50.toFixed(1)} ms, p90 ${row.p90.toFixed(1)}, p99 ${row.p99.toFixed(1)}, ` +
            `server ${row.serverCpuPerSignMs.toFixed(2)} ms CPU/signing, verified: ${out.verified}${out.verifyError ? ` (${out.verifyError.slice(0, 200)})` : ""}`,
        );
      }
    }

    // --- 3. Profile -------------------------------------------------------------------------------------
    if (options.profile) {
      await server.stop();
      const profileDir = join(work, "profile");
      mkdirSync(profileDir, { recursive: true });
      server = await startService(REPO, ["--cpu-prof", "--cpu-prof-dir", profileDir, ...serveArgs], env, "vouch serve --cpu-prof", { checkExit: true });
      // The URL changed (port 0): a signing config for the new port.
      const profiledConfig = join(work, "profile-signing-config.json");
      const old = JSON.parse(readFileSync(vouchConfig, "utf8")) as { caUrls: { url: string }[] };
      const oldUrl = new URL(old.caUrls[0]!.url).origin;
      writeFileSync(profiledConfig, readFileSync(vouchConfig, "utf8").split(oldUrl).join(server.url));
      const file = join(work, "tokens.json");
      writeFileSync(file, JSON.stringify(await tokens("vouch", options.signWarmup + options.profileSignings)));
      // The client (vouch's) is profiled too: its CPU is on the critical path of a signing as much as the server's.
      const clientProfileDir = join(work, "client-profile");
      const { out, windowUs } = await runRole<SignOutput>(
        ["--role", "sign", "--client", "vouch", "--url", server.url, "--tokens", file, "--warmup", String(options.signWarmup), "--signing-config", profiledConfig, "--trusted-root", vouchRoot],
        server.child.pid,
        ["--cpu-prof", "--cpu-prof-dir", clientProfileDir],
      );
      await server.stop();
      const crop = (dir: string, kept: string) => {
        const found = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
        if (!found) throw new Error(`no .cpuprofile in ${dir}`);
        cropProfile(join(dir, found), kept, windowUs[0], windowUs[1]);
        return kept;
      };
      const serverProfile = crop(profileDir, join(WORK, "keyless-server.cpuprofile"));
      const clientProfile = crop(clientProfileDir, join(WORK, "keyless-client.cpuprofile"));
      results.profile = {
        summary: summarizeProfile(serverProfile, PROFILE_BUCKETS, 30, REPO),
        client: summarizeProfile(clientProfile, CLIENT_BUCKETS, 30, REPO),
        signings: out.latencies.length,
        file: serverProfile,
        latencyP50: percentile(out.latencies, 50),
      };
      log(`profile: server ${results.profile.summary.busyMs.toFixed(0)} ms busy of ${results.profile.summary.wallMs.toFixed(0)} ms, ${out.latencies.length} timed signings p50 ${results.profile.latencyP50.toFixed(1)} ms`);
      serverStopped = true;
    }
  } finally {
    if (!serverStopped) await server.stop().catch((error: unknown) => log(String(error)));
    await mock?.stop().catch((error: unknown) => log(String(error)));
    await issuer.close();
  }
  const loadAfter = uptime();
  log(`load after: ${loadAfter}`);
  const report = renderReport({ options, machine, commit, loadBefore, loadAfter, loadavg: loadavg(), minutes: (Date.now() - started) / 60_000, ...results });
  writeFileSync(join(WORK, "keyless.md"), report);
  writeFileSync(join(WORK, "keyless.json"), JSON.stringify({ options, machine, commit, loadBefore, loadAfter, ...results }, null, 1));
  rmSync(work, { recursive: true, force: true });
  console.log(report);
}

interface ProfileResult {
  summary: ProfileSummary;
  client: ProfileSummary;
  /** Timed signings (the profiles are cropped to them). */
  signings: number;
  file: string;
  latencyP50: number;
}

/** The client's side (vouch's keyless client, src/sign/keyless and src/api/sign.ts). */
const CLIENT_BUCKETS: Bucket[] = [
  { label: "signBytes (all below)", fn: "signBytes", url: "keyless-dist/api/sign.js" },
  { label: "├ openSigningSession (signing config, services, token)", fn: "openSigningSession" },
  { label: "├ KeylessSigner constructor (ephemeral P-256 key)", fn: "KeylessSigner" },
  { label: "├ KeylessSigner #certify (proof, certificate request, leaf check)", fn: "#certify" },
  { label: "├ witnessWithTimestamp (TSA request, reply checks)", fn: "witnessWithTimestamp" },
  { label: "├ witnessInRekor (log request, answer checks)", fn: "witnessInRekor" },
  { label: "└ bundleToJson", fn: "bundleToJson" },
  { label: "fetch (undici)", fn: "fetch" },
];

/** Functions whose inclusive share of the server's busy time the profile gives (names as V8 reports them). */
const PROFILE_BUCKETS: Bucket[] = [
  { label: "POST /api/v2/signingCert: CertificateAuthority.issue (all below)", fn: "issue", url: "keyless-dist/ca/authority.js" },
  { label: "├ parseSigningRequest (JSON fields, PEM key import)", fn: "parseSigningRequest", url: "keyless-dist/ca/signing-request.js" },
  { label: "├ IdentityVerifier.verify (OIDC token: RS256 signature, claims)", fn: "verify", url: "keyless-dist/ca/identity/verifier.js" },
  { label: "├ checkProofOfPossession (P-256 verify)", fn: "checkProofOfPossession" },
  { label: "├ leafTbs (build the TBSCertificate, ×2: precertificate and certificate)", fn: "leafTbs" },
  { label: "├ signCertificate (the CA's ECDSA P-384 signature, ×2)", fn: "signCertificate" },
  { label: "└ CtLog.addPreChain → #add (validate chain, log, SCT)", fn: "#add", url: "keyless-dist/ct/ct-log.js" },
  { label: "  ├ CtLog #validate (parse the chain, verify issuer signatures)", fn: "#validate", url: "keyless-dist/ct/ct-log.js" },
  { label: "  └ CtLog #sign (SCT and tree head signatures, P-256)", fn: "#sign", url: "keyless-dist/ct/ct-log.js" },
  { label: "POST /api/v1/timestamp: TimestampAuthority.issue", fn: "issue", url: "keyless-dist/tsa/authority.js" },
  { label: "POST /api/v1/log/entries: TransparencyLog.submit", fn: "submit", url: "keyless-dist/tlog/log.js" },
  { label: "├ canonicalizeProposedEntry (validate, verify the signature)", fn: "canonicalizeProposedEntry" },
  { label: "└ #rekorEntry (inclusion proof, SET)", fn: "#rekorEntry", url: "keyless-dist/tlog/log.js" },
  { label: "Sequencer #commit (both logs: integrate, checkpoint, LogStore.append)", fn: "#commit", url: "keyless-dist/tlog/sequencer.js" },
  { label: "└ FsLogStore #appendLocked (lock file, tiles, checkpoint; fsyncs run in libuv's pool)", fn: "#appendLocked" },
  { label: "LogReader #readRightEdge (a new head: re-read and re-hash the partial right-edge tile)", fn: "#readRightEdge" },
  { label: "@peculiar/asn1-schema AsnConvert/AsnParser.parse (any caller)", fn: "parse", url: "@peculiar/asn1-schema" },
  { label: "@peculiar/asn1-schema AsnConvert/AsnSerializer.serialize (any caller)", fn: "serialize", url: "@peculiar/asn1-schema" },
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
  loadavg: number[];
  minutes: number;
  certs: CertRow[];
  signs: SignRow[];
  profile?: ProfileResult;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");
const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const range = (values: number[], fmt: (n: number) => string) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

function renderReport(r: ReportInput): string {
  const lines: string[] = [];
  const o = r.options;
  lines.push(`### Results (${r.machine.date})`, "");
  lines.push(
    `Machine: ${r.machine.cpuModel}, ${r.machine.nproc} cores (nproc), ${r.machine.memory} RAM, ${r.machine.os}; Node ${r.machine.node}. vouch at ${r.commit}. ` +
      `Command: \`npx tsx bench/keyless.ts${o.quick ? " --quick" : ""}${o.logMaxDelayMs === undefined ? "" : ` --log-max-delay-ms ${o.logMaxDelayMs}`}` +
      `${DIST === join(WORK, "keyless-dist") ? "" : ` --dist ${DIST.slice(REPO.length + 1)}`}\` (${o.runs} run${o.runs > 1 ? "s" : ""}, ${o.certWarmup} + ${o.certs} certificates per row, ` +
      `${o.signWarmup} + ${o.signings} signings per client and target${o.logMaxDelayMs === undefined ? "" : `, log.maxDelayMs ${o.logMaxDelayMs}`}), ${r.minutes.toFixed(1)} minutes.`,
    "",
    `Load: before \`${r.loadBefore}\`; after \`${r.loadAfter}\`.`,
    "",
  );

  lines.push(`#### Certificates issued per second (median of ${o.runs} run${o.runs > 1 ? "s" : ""}; fresh token and key per request)`, "");
  lines.push("| CA | in flight | certs/s, median (min–max) | p50 ms | p99 ms | server CPU ms / cert | generator CPU ms / cert | chain | vouch ÷ mock (certs/s) |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const c of o.concurrency) {
    for (const target of ["vouch", "mock"] as Target[]) {
      const rows = r.certs.filter((x) => x.concurrency === c && x.target === target);
      if (rows.length === 0) continue;
      const ratios = rows.map((x) => x.certsPerS / (r.certs.find((m) => m.target === "mock" && m.concurrency === c && m.run === x.run)?.certsPerS ?? Number.NaN));
      lines.push(
        `| ${target === "vouch" ? "vouch serve" : "@sigstore/mock"} | ${c} | **${f0(median(rows.map((x) => x.certsPerS)))}** (${range(rows.map((x) => x.certsPerS), f0)}) | ` +
          `${f1(median(rows.map((x) => x.p50)))} | ${f1(median(rows.map((x) => x.p99)))} | ${f2(median(rows.map((x) => x.serverCpuPerCertMs)))} | ` +
          `${f2(median(rows.map((x) => x.clientCpuPerCertMs)))} | ${rows[0]!.chainLength} | ${target === "vouch" ? `${f2(median(ratios))}×` : ""} |`,
      );
    }
  }
  const bad = r.certs.filter((x) => x.ok !== o.certs);
  if (bad.length > 0) lines.push("", `Rows with non-201 answers: ${bad.map((x) => `${x.target} C=${x.concurrency} run ${x.run + 1}: ${JSON.stringify(x.statuses)} ${x.errors[0] ?? ""}`).join("; ")}`);
  lines.push("");

  lines.push(`#### End-to-end keyless signing, one after another (${o.signings} timed signings per run after ${o.signWarmup} untimed; median over runs of each run's percentile)`, "");
  lines.push("| client | services | p50 ms (min–max over runs) | p90 ms | p99 ms | server CPU ms / signing | client CPU ms / signing | bundle verified by @sigstore/verify | goal p50 < 50 ms |", "|---|---|--:|--:|--:|--:|--:|---|---|");
  const signConfigs: [Client, Target][] = [["vouch", "vouch"], ["sigstore-js", "vouch"], ["vouch", "mock"], ["sigstore-js", "mock"]];
  for (const [client, target] of signConfigs) {
    const rows = r.signs.filter((x) => x.client === client && x.target === target);
    if (rows.length === 0) continue;
    const p50 = median(rows.map((x) => x.p50));
    lines.push(
      `| ${client === "vouch" ? "vouch (signBytes, keyless)" : "@sigstore/sign"} | ${target === "vouch" ? "vouch serve" : "@sigstore/mock"} | **${f1(p50)}** (${range(rows.map((x) => x.p50), f1)}) | ` +
        `${f1(median(rows.map((x) => x.p90)))} | ${f1(median(rows.map((x) => x.p99)))} | ${f2(median(rows.map((x) => x.serverCpuPerSignMs)))} | ${f2(median(rows.map((x) => x.clientCpuPerSignMs)))} | ` +
        `${rows.every((x) => x.verified) ? "yes" : `NO: ${rows.find((x) => !x.verified)?.verifyError?.slice(0, 120) ?? ""}`} | ${target === "vouch" ? (p50 < TARGET_SIGN_P50_MS ? "PASS" : "FAIL") : ""} |`,
    );
  }
  lines.push("");

  lines.push("Where vouch's client spends a signing (its injected fetch, timed per service; TSA and log requests run concurrently), p50 over all timed signings:", "");
  lines.push("| services | whole signing | certificate request | TSA request | log request | the rest (client: key, signature, bundle; max(TSA, log) counted once) |", "|---|--:|--:|--:|--:|--:|");
  for (const target of ["vouch", "mock"] as Target[]) {
    const rows = r.signs.filter((x) => x.client === "vouch" && x.target === target);
    if (rows.length === 0) continue;
    const all = rows.flatMap((x) => x.latencies);
    const parts = rows.flatMap((x) => x.parts);
    const rest = rows.flatMap((x) => x.latencies.map((ms, i) => ms - x.parts[i]!.ca - Math.max(x.parts[i]!.tsa, x.parts[i]!.tlog)));
    lines.push(
      `| ${target === "vouch" ? "vouch serve" : "@sigstore/mock"} | ${f1(percentile(all, 50))} | ${f1(percentile(parts.map((p) => p.ca), 50))} | ${f1(percentile(parts.map((p) => p.tsa), 50))} | ` +
        `${f1(percentile(parts.map((p) => p.tlog), 50))} | ${f1(percentile(rest, 50))} |`,
    );
  }
  lines.push("");

  if (r.profile) {
    const s = r.profile.summary;
    const per = (ms: number) => (ms * 1000) / r.profile!.signings;
    lines.push(
      `#### The server under \`node --cpu-prof\`: ${r.profile.signings} vouch-client signings one after another, profile cropped to them (p50 ${f1(r.profile.latencyP50)} ms under the profiler)`,
      "",
      `Busy ${f0(s.busyMs)} ms of ${f0(s.wallMs)} ms wall (${f0(per(s.busyMs))} µs per signing; the rest idle: waiting for batch timers, fsyncs in libuv's pool and the client). GC ${f0(s.gcMs)} ms.`,
      "",
      "| share of busy | µs / signing | where (inclusive) |",
      "|--:|--:|---|",
    );
    for (const b of s.buckets) lines.push(`| ${((100 * b.ms) / s.busyMs).toFixed(1)}% | ${f0(per(b.ms))} | ${b.label} |`);
    lines.push("", "Top self time:", "", "| µs / signing | function |", "|--:|---|");
    for (const t of s.top.slice(0, 15)) lines.push(`| ${f0(per(t.ms))} | \`${t.name}\` |`);
    lines.push("", "By area (self):", "", "| µs / signing | area |", "|--:|---|");
    for (const a of s.areas.slice(0, 12)) lines.push(`| ${f0(per(a.ms))} | ${a.area} |`);
    const c = r.profile.client;
    lines.push("", `The client (vouch's signBytes, keyless) in the same run: busy ${f0(c.busyMs)} ms (${f0(per(c.busyMs))} µs per signing), GC ${f0(c.gcMs)} ms.`, "");
    lines.push("| share of busy | µs / signing | where (inclusive) |", "|--:|--:|---|");
    for (const b of c.buckets) lines.push(`| ${((100 * b.ms) / c.busyMs).toFixed(1)}% | ${f0(per(b.ms))} | ${b.label} |`);
    lines.push("", "| µs / signing | client top self time |", "|--:|---|");
    for (const t of c.top.slice(0, 12)) lines.push(`| ${f0(per(t.ms))} | \`${t.name}\` |`);
    lines.push("", "| µs / signing | client area (self) |", "|--:|---|");
    for (const a of c.areas.slice(0, 10)) lines.push(`| ${f0(per(a.ms))} | ${a.area} |`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

await main();
