/**
 * Kubernetes admission latency and throughput (issue 10, "Speed"): `vouch admission serve` as a real process over
 * HTTPS, a Pod of 8 containers whose images are signed into Debian's docker-registry on loopback, decided by an
 * enforce policy with a key authority. Goals: cached p99 under 5 ms, cold under 150 ms; sustained requests/s on
 * this machine's cores with no errors. In the same run, the peer: plain fetch + @sigstore/verify doing the same
 * verifications (bench/lib/image-verify-peer.ts, the peer of bench/image-verify.ts), 8 images concurrently per Pod.
 *
 *   npx tsx bench/admission.ts [--quick] [--profile] [--cold-pods N] [--cached N] [--seconds S] [--concurrency C]
 *
 * Setup: vouch compiled from src/ into bench/.work/admission-dist; `vouch serve` (its log), `vouch key generate`,
 * `vouch trust export`; 8 × (1 + cold pods) images pushed and signed with signImage (a DSSE bundle referrer, a log
 * entry), `vouch admission certs`, then `vouch admission serve --policy … --tls-cert … --tls-key … --trusted-root …`.
 *
 * What is measured (the client is this script: Node's https with keep-alive, trusting the CA, checking the
 * certificate for vouch-admission.vouch-system.svc as the API server does):
 * - cold: a Pod of 8 images the webhook has never seen (tags, so each is resolved, its referrers listed, its bundle
 *   fetched and verified), one Pod at a time, after the process is warm (JIT) on other Pods;
 * - cached: the same Pod again and again (the engine's verdict cache);
 * - sustained: --concurrency clients sending the cached Pod for --seconds; every answer must be allowed.
 * The peer does the verification work only (no HTTP hop in front, no policy evaluation): cold with an empty content
 * cache per Pod, warm with its content cache (it still asks the registry for the tag and the referrer listing, as it
 * has no verdict cache), and sustained with the same concurrency.
 *
 * Prints a markdown report (also bench/.work/admission.md; raw numbers in bench/.work/admission.json).
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as PublicImage from "../src/public/image.js";
import { podAdmissionReview } from "../test/support/admission.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../test/support/registry.js";
import { summarizeProfile, type Bucket, type ProfileSummary } from "./lib/cpuprofile.js";
import { writePeerModule } from "./lib/image-verify-peer.js";
import { cleanEnv, machineInfo, run } from "./lib/measure.js";
import { compileVouchInto, gitDescription } from "./lib/vouch-build.js";
import { startService, type Service } from "./lib/service.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const DIST = join(WORK, "admission-dist");
const PEER = join(WORK, "admission", "peer.mjs");
const SELF = join(REPO, "bench/admission.ts");
const PASSWORD = "admission bench password";
const SERVER_NAME = "vouch-admission.vouch-system.svc";
const CONTAINERS = 8;
const GOALS = { cachedP99Ms: 5, coldMs: 150 };

function log(message: string): void {
  process.stderr.write(`[admission] ${message}\n`);
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Options {
  /** Run the webhook under --cpu-prof and summarize where its time went (cold and cached phases together). */
  profile: boolean;
  coldPods: number;
  cached: number;
  seconds: number;
  concurrency: number;
}

interface Series {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

const series = (values: number[]): Series => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: Math.max(...values), n: values.length });

interface Sustained {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `one` from `concurrency` loops for `seconds`; counts answers and failures. */
async function sustain(one: () => Promise<boolean>, concurrency: number, seconds: number): Promise<Sustained> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await one().catch(() => false);
        latencies.push(performance.now() - t);
        if (!ok) errors++;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  return { requests: latencies.length, errors, seconds: wall, perSecond: latencies.length / wall, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

// --- the peer, in a process of its own ------------------------------------------------------------------------

interface PeerOutput {
  cold: number[];
  warm: number[];
  sustained: Sustained;
}

async function rolePeer(values: Record<string, string | boolean | undefined>): Promise<void> {
  const pods = JSON.parse(readFileSync(String(values.pods), "utf8")) as { base: string[]; cold: string[][] };
  const key = String(values.key);
  const trustedRoot = String(values["trusted-root"]);
  const cacheRoot = String(values["cache-dir"]);
  const peer = (await import(pathToFileURL(PEER).href)) as {
    createPeerVerifier(o: { key: string; trustedRoot: string; cacheDir: string }): (ref: string) => Promise<{ verified: boolean }>;
  };
  const pod = async (verify: (ref: string) => Promise<{ verified: boolean }>, refs: string[]) => (await Promise.all(refs.map(verify))).every((r) => r.verified);
  // Warm the JIT on the base Pod (its own cache), as the webhook is warmed before its cold Pods.
  const warmVerify = peer.createPeerVerifier({ key, trustedRoot, cacheDir: join(cacheRoot, "warm") });
  for (let i = 0; i < 20; i++) await pod(warmVerify, pods.base);
  const cold: number[] = [];
  for (const [i, refs] of pods.cold.entries()) {
    const verify = peer.createPeerVerifier({ key, trustedRoot, cacheDir: join(cacheRoot, `cold-${i}`) });
    const t = performance.now();
    if (!(await pod(verify, refs))) throw new Error("peer: a cold Pod did not verify");
    cold.push(performance.now() - t);
  }
  const warm: number[] = [];
  for (let i = 0; i < Number(values.cached); i++) {
    const t = performance.now();
    if (!(await pod(warmVerify, pods.base))) throw new Error("peer: the warm Pod did not verify");
    warm.push(performance.now() - t);
  }
  const sustained = await sustain(() => pod(warmVerify, pods.base), Number(values.concurrency), Number(values.seconds));
  const out: PeerOutput = { cold, warm, sustained };
  console.log(JSON.stringify(out));
}

function runPeer(args: string[]): Promise<PeerOutput> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", SELF, "--role", "peer", ...args], { cwd: REPO, env: cleanEnv(), stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`peer exited with ${code}`));
      done(JSON.parse(stdout.trim().split("\n").at(-1)!) as PeerOutput);
    });
  });
}

// --- services -------------------------------------------------------------------------------------------------

// --- main -----------------------------------------------------------------------------------------------------

async function main(options: Options): Promise<void> {
  const skip = registryUnavailable();
  if (skip !== undefined) throw new Error(skip);
  const started = Date.now();
  const loadBefore = loadavg().map((n) => n.toFixed(2)).join(" ");
  compileVouchInto(REPO, DIST, ["cli/main.js", "public/image.js", "public/admission.js"], log);
  writePeerModule(PEER);
  const work = mkdtempSync(join(WORK, "admission-run-"));
  const env = cleanEnv({ VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: PASSWORD, VOUCH_CACHE_DIR: join(work, "cache"), HOME: work });
  const cli = (args: string[]) => run({ cmd: process.execPath, args: [join(DIST, "cli/main.js"), ...args], cwd: REPO, env }, `vouch ${args.join(" ")}`);
  let registry: RunningRegistry | undefined;
  let logServer: Service | undefined;
  let webhook: Service | undefined;
  try {
    [registry, logServer] = await Promise.all([startRegistry(), startService(REPO, [join(DIST, "cli/main.js"), "serve", "--port", "0"], env, "vouch serve")]);
    cli(["key", "generate", "--out", join(work, "signer")]);
    cli(["trust", "export", "--out", join(work, "trust"), "--log-url", logServer.url]);
    const key = join(work, "signer.pub");
    const trustedRoot = join(work, "trust", "trusted_root.json");

    // Images: the base Pod's 8, and 8 fresh ones per cold Pod, each signed (a referrer bundle, a log entry).
    const api = (await import(pathToFileURL(join(DIST, "public/image.js")).href)) as typeof PublicImage;
    const host = registry.host;
    const pod = (name: string) => Array.from({ length: CONTAINERS }, (_, c) => `${host}/bench/app${c}:${name}`);
    const pods = { base: pod("base"), cold: Array.from({ length: options.coldPods }, (_, i) => pod(`cold${i}`)) };
    const all = [...pods.base, ...pods.cold.flat()];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < all.length) {
          const ref = all[next++]!;
          const [repository, tag] = ref.slice(host.length + 1).split(":") as [string, string];
          await pushTestImage({ registry: host, repository }, buildTestImage({ layers: [[{ path: "etc/seed", content: `${ref}\n` }]] }), tag);
          await api.signImage(ref, { key: join(work, "signer.key"), password: { env: { VOUCH_PASSWORD: PASSWORD } }, tlogUrl: logServer!.url });
        }
      }),
    );
    const signSeconds = (performance.now() - t0) / 1000;
    log(`${all.length} images pushed and signed in ${signSeconds.toFixed(1)} s`);
    // Verification needs only the trusted root: the log is stopped before anything is measured.
    await logServer.stop();
    logServer = undefined;

    const policies = join(work, "policies");
    mkdirSync(policies);
    writeFileSync(
      join(policies, "bench.yaml"),
      `apiVersion: vouch.dev/v1\nkind: ImagePolicy\nmetadata: { name: signed-by-release-key }\nspec:\n  mode: enforce\n  images: [ { glob: "127.0.0.1:*/bench/**" } ]\n  authorities:\n    - key: { path: ${key} }\n`,
    );
    cli(["admission", "certs", "--out", join(work, "certs")]);
    const profileDir = join(work, "profile");
    webhook = await startService(
      REPO,
      [...(options.profile ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []), join(DIST, "cli/main.js"), "admission", "serve", "--policy", policies, "--port", "0", "--tls-cert", join(work, "certs", "tls.crt"), "--tls-key", join(work, "certs", "tls.key"), "--trusted-root", trustedRoot],
      { ...env, VOUCH_DATA_DIR: join(work, "webhook-data") },
      "vouch admission serve",
    );
    const url = new URL(webhook.url);
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, ca: readFileSync(join(work, "certs", "ca.crt"), "utf8"), servername: SERVER_NAME });
    let uid = 0;
    const validate = (images: readonly string[]) =>
      new Promise<{ status: number; allowed: boolean }>((done, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: "/admission/validate", method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (c: string) => (text += c));
          res.on("end", () => done({ status: res.statusCode ?? 0, allowed: (JSON.parse(text) as { response?: { allowed?: boolean } }).response?.allowed === true }));
        });
        req.on("error", reject);
        req.end(JSON.stringify(podAdmissionReview(`bench-${++uid}`, images, { namespace: "bench" })));
      });
    const timed = async (images: readonly string[]) => {
      const t = performance.now();
      const r = await validate(images);
      if (r.status !== 200 || !r.allowed) throw new Error(`the webhook did not admit a signed Pod: ${r.status} ${r.allowed}`);
      return performance.now() - t;
    };

    // Warm-up: the process's JIT, on the base Pod (after its first answer, it is cached).
    for (let i = 0; i < 200; i++) await timed(pods.base);
    const cold: number[] = [];
    for (const refs of pods.cold) cold.push(await timed(refs));
    const cached: number[] = [];
    for (let i = 0; i < options.cached; i++) cached.push(await timed(pods.base));
    const sustained = await sustain(async () => {
      const r = await validate(pods.base);
      return r.status === 200 && r.allowed;
    }, options.concurrency, options.seconds);
    agent.destroy();
    await webhook.stop();
    webhook = undefined;
    let profile: ProfileSummary | undefined;
    if (options.profile) {
      const file = join(profileDir, readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"))!);
      // Kept for a closer look (Chrome DevTools, speedscope): the run's work directory is removed.
      copyFileSync(file, join(WORK, "admission.cpuprofile"));
      profile = summarizeProfile(file, PROFILE_BUCKETS, 20, DIST);
    }
    log(`vouch: cold p50 ${percentile(cold, 50).toFixed(1)} ms; cached p50 ${percentile(cached, 50).toFixed(2)} p99 ${percentile(cached, 99).toFixed(2)} ms; ${sustained.perSecond.toFixed(0)} req/s, ${sustained.errors} errors`);

    const podsFile = join(work, "pods.json");
    writeFileSync(podsFile, JSON.stringify(pods));
    const peer = await runPeer([
      "--pods", podsFile, "--key", key, "--trusted-root", trustedRoot, "--cache-dir", join(work, "peer-cache"),
      "--cached", String(options.cached), "--concurrency", String(options.concurrency), "--seconds", String(options.seconds),
    ]);
    log(`peer: cold p50 ${percentile(peer.cold, 50).toFixed(1)} ms; warm p50 ${percentile(peer.warm, 50).toFixed(2)} p99 ${percentile(peer.warm, 99).toFixed(2)} ms; ${peer.sustained.perSecond.toFixed(0)} Pods/s`);

    const results = {
      options,
      machine: machineInfo(),
      commit: gitDescription(REPO),
      loadBefore,
      loadAfter: loadavg().map((n) => n.toFixed(2)).join(" "),
      minutes: (Date.now() - started) / 60_000,
      signSeconds,
      vouch: { cold: series(cold), cached: series(cached), sustained },
      peer: { cold: series(peer.cold), warm: series(peer.warm), sustained: peer.sustained },
      profile,
    };
    const report = renderReport(results);
    writeFileSync(join(WORK, "admission.md"), report);
    writeFileSync(join(WORK, "admission.json"), JSON.stringify({ ...results, raw: { cold, cachedSample: cached.slice(0, 200), peerCold: peer.cold } }, null, 1));
    process.stdout.write(report);
  } finally {
    await webhook?.stop();
    await logServer?.stop();
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

type Results = {
  options: Options;
  machine: ReturnType<typeof machineInfo>;
  commit: string;
  loadBefore: string;
  loadAfter: string;
  minutes: number;
  signSeconds: number;
  vouch: { cold: Series; cached: Series; sustained: Sustained };
  peer: { cold: Series; warm: Series; sustained: Sustained };
  profile?: ProfileSummary;
};

/** Inclusive time of the steps of a decision, in the webhook's profile. */
const PROFILE_BUCKETS: Bucket[] = [
  { label: "engine decide (all below)", fn: "decide", url: "api/policy-engine.js" },
  { label: "├ gather evidence (resolve, referrers, cosign tags, bundles)", fn: "gather", url: "api/policy-evidence.js" },
  { label: "├ verifyBundle (signature, tlog entry, proofs)", fn: "verifyBundle", url: "verify/verifier.js" },
  { label: "├ evaluate (policies)", fn: "evaluate", url: "policy/evaluate.js" },
  { label: "└ record (decision store)", fn: "record" },
  { label: "RegistryClient fetch (undici), any caller", fn: "fetch" },
  { label: "readAdmissionReview", fn: "readAdmissionReview" },
];

function renderReport(r: Results): string {
  const f2 = (n: number) => n.toFixed(2);
  const f1 = (n: number) => n.toFixed(1);
  const goal = (ok: boolean) => (ok ? "met" : "**missed**");
  return `## Admission: a Pod of ${CONTAINERS} signed images, \`vouch admission serve\` over HTTPS vs fetch + @sigstore/verify

${r.machine.date}, commit ${r.commit}; ${r.machine.cpuModel}, ${r.machine.nproc} cores, ${r.machine.memory} RAM, Node ${r.machine.node}, ${r.machine.os}.
Load average before ${r.loadBefore}, after ${r.loadAfter}; ${f1(r.minutes)} minutes. Registry: Debian's docker-registry on loopback
(no referrers API: the tag schema). Images: one gzip layer each, signed with a key (DSSE bundle referrer + Rekor v1 entry).
${r.options.coldPods} cold Pods, ${r.options.cached} cached requests, sustained ${r.options.seconds} s with ${r.options.concurrency} in flight; client and server on the same machine.

| | vouch (webhook, HTTPS round trip) | peer (verification only, in process) |
|---|---:|---:|
| cold Pod (8 images never seen): p50 / p99 / max ms | ${f1(r.vouch.cold.p50)} / ${f1(r.vouch.cold.p99)} / ${f1(r.vouch.cold.max)} | ${f1(r.peer.cold.p50)} / ${f1(r.peer.cold.p99)} / ${f1(r.peer.cold.max)} |
| cached / warm Pod: p50 / p99 ms | ${f2(r.vouch.cached.p50)} / ${f2(r.vouch.cached.p99)} | ${f2(r.peer.warm.p50)} / ${f2(r.peer.warm.p99)} |
| sustained: Pods/s (errors) | ${r.vouch.sustained.perSecond.toFixed(0)} (${r.vouch.sustained.errors} of ${r.vouch.sustained.requests}) | ${r.peer.sustained.perSecond.toFixed(0)} (${r.peer.sustained.errors} of ${r.peer.sustained.requests}) |
| sustained latency p50 / p99 ms | ${f2(r.vouch.sustained.p50)} / ${f2(r.vouch.sustained.p99)} | ${f2(r.peer.sustained.p50)} / ${f2(r.peer.sustained.p99)} |

Goals: cached p99 < ${GOALS.cachedP99Ms} ms: ${goal(r.vouch.cached.p99 < GOALS.cachedP99Ms)}; cold < ${GOALS.coldMs} ms (p99 of the cold Pods): ${goal(r.vouch.cold.p99 < GOALS.coldMs)}.
vouch's cold Pod: 8 tags resolved, referrer listings read, bundles fetched and verified, policy evaluated, decision queued
for the store (written to SQLite in the background by a writer thread); cached: the engine's verdict cache (no registry
request), the HTTPS request, parsing and the queued decision.
The peer has no verdict cache: "warm" is its content cache (bundles by digest), still asking the registry for each tag
and referrer listing; it has no HTTP hop, no policy and no decision record in front of it.
${r.profile === undefined ? "" : `
Webhook CPU profile (whole run: warm-up, cold, cached, sustained): ${f1(r.profile.busyMs)} ms busy of ${f1(r.profile.wallMs)} ms, GC ${f1(r.profile.gcMs)} ms.

| step (inclusive) | ms |
|---|---:|
${r.profile.buckets.map((b) => `| ${b.label} | ${f1(b.ms)} |`).join("\n")}

| top self time | ms |
|---|---:|
${r.profile.top.slice(0, 12).map((t) => `| ${t.name.replace(/\|/g, "\\|")} | ${f1(t.ms)} |`).join("\n")}
`}`;
}

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    "cold-pods": { type: "string" },
    cached: { type: "string" },
    seconds: { type: "string" },
    concurrency: { type: "string" },
    pods: { type: "string" },
    key: { type: "string" },
    "trusted-root": { type: "string" },
    "cache-dir": { type: "string" },
  },
});
if (values.role === "peer") {
  await rolePeer(values);
} else {
  const quick = values.quick === true;
  await main({
    profile: values.profile === true,
    coldPods: Number(values["cold-pods"] ?? (quick ? 5 : 30)),
    cached: Number(values.cached ?? (quick ? 200 : 2000)),
    seconds: Number(values.seconds ?? (quick ? 3 : 10)),
    concurrency: Number(values.concurrency ?? 16),
  });
}
