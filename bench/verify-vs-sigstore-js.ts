/**
 * vouch's bundle verifier against @sigstore/verify (the library sigstore-js verifies with), on the same real bundles.
 *
 *   npx tsx bench/verify-vs-sigstore-js.ts [--iterations N] [--warmup N] [--blocks N]
 *        [--first-sight-runs N] [--first-sight-passes N] [--cold-runs N]
 *
 * 0. vouch is benchmarked as built: dist/ (`npm run build` first when dist/ is older than src/).
 * 1. Acceptance: every bundle of the set (bench/lib/verify-bundle-set.ts: the sigstore-conformance cases expected
 *    to pass, sigstore-js's nine production bundles, sigstore-go's real public-good bundles) is verified once by each
 *    verifier, in process and with the cold-run commands. A bundle that either rejects is left out and listed.
 * 2. Warm: each verifier alone in a long-running process (bench/lib/verify-child.ts: its own heap, so neither pays
 *    for the other's garbage), trust material built once per trusted root. --blocks blocks; in each block each
 *    verifier gets a fresh process that makes --warmup untimed passes over the set and then --iterations / --blocks
 *    timed passes; the verifiers take turns block by block (and which goes first alternates), so a slow spell of
 *    the machine hits both. Each timed call is handed the bundle's JSON text and parses it (a real verifier is
 *    handed JSON). Bundles/second is computed per block, overall and per kind (Rekor v1 message signature, Rekor v1
 *    DSSE, Rekor v2); the table gives the median block, the range, and the median of the per-block ratios.
 *    First sight: the repeated set flatters a verifier that remembers what it has checked (vouch caches parsed
 *    certificates and successful issuer-signature checks by fingerprint, so from the second pass on it skips the
 *    leaf certificate's P-384 signature check). So each bundle is also verified once by a fresh process warmed up
 *    on the bundles signed with other certificates, --first-sight-runs times: what a stream of new bundles costs.
 * 3. Cold: a fresh `node` per verification: `node dist/cli/main.js verify ...` against a small script doing the same
 *    with @sigstore/verify (bench/lib/sigstore-js-verify-once.mjs), same bundle, artifact, identity and trusted root
 *    file. Also timed, as diagnostics: the same small script over vouch's library (bench/lib/vouch-verify-once.mjs)
 *    and `node -e ""` (the floor: Node's own start). --cold-runs rounds over every bundle, commands in turn;
 *    medians of the wall time from spawn to exit.
 *
 * Prints a markdown report (also written to bench/.work/verify-results.md, raw numbers to verify-results.json).
 * Everything runs offline from test/fixtures/sigstore and the installed node_modules.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cleanEnv, machineInfo, median, type Command, type MachineInfo } from "./lib/measure.js";
import { BUNDLE_KINDS, collectBundleSet, KIND_LABELS, PRODUCTION_ROOT, type BenchBundle, type BundleKind } from "./lib/verify-bundle-set.js";
import { installedVersion, sigstoreJsContender, vouchContender, type Contender } from "./lib/verify-contenders.js";
import { ensureVouchBuilt, gitDescription } from "./lib/vouch-build.js";

const REPO = resolve(import.meta.dirname, "..");
const WORK = join(REPO, "bench/.work");
const DIST = join(REPO, "dist");
const VOUCH_CLI = join(DIST, "cli/main.js");
const SIGSTORE_JS_ONCE = join(REPO, "bench/lib/sigstore-js-verify-once.mjs");
const VOUCH_ONCE = join(REPO, "bench/lib/vouch-verify-once.mjs");

/** What the issue asks: vouch verifies at least 10x the bundles per second of @sigstore/verify, warm and cold. */
const TARGET_RATIO = 10;

interface Options {
  iterations: number;
  warmup: number;
  blocks: number;
  firstSightRuns: number;
  firstSightPasses: number;
  coldRuns: number;
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      iterations: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      blocks: { type: "string", default: "5" },
      "first-sight-runs": { type: "string", default: "5" },
      "first-sight-passes": { type: "string", default: "5" },
      "cold-runs": { type: "string", default: "10" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: npx tsx bench/verify-vs-sigstore-js.ts [--iterations N] [--warmup N] [--blocks N] [--first-sight-runs N] [--first-sight-passes N] [--cold-runs N]\n" +
        "       (--first-sight-runs 0 / --cold-runs 0 skip those parts)",
    );
    process.exit(0);
  }
  const whole = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number >= ${min}, not "${text}"`);
    return n;
  };
  const options = {
    iterations: whole("iterations", values.iterations, 1),
    warmup: whole("warmup", values.warmup, 0),
    blocks: whole("blocks", values.blocks, 1),
    firstSightRuns: whole("first-sight-runs", values["first-sight-runs"], 0),
    firstSightPasses: whole("first-sight-passes", values["first-sight-passes"], 0),
    coldRuns: whole("cold-runs", values["cold-runs"], 0),
  };
  if (options.iterations % options.blocks !== 0) throw new Error(`--iterations (${options.iterations}) must be a multiple of --blocks (${options.blocks})`);
  return options;
}

// ---------------------------------------------------------------------------------------------------------
// 1. Acceptance
// ---------------------------------------------------------------------------------------------------------

interface Rejection {
  bundle: BenchBundle;
  by: string;
  message: string;
}

/** Verify every bundle once with every contender, in this process; a bundle either rejects is left out. */
function acceptance(set: readonly BenchBundle[], contenders: readonly Contender[]): { accepted: BenchBundle[]; rejected: Rejection[] } {
  const accepted: BenchBundle[] = [];
  const rejected: Rejection[] = [];
  for (const bundle of set) {
    const json = readFileSync(bundle.bundlePath, "utf8");
    const refusal = contenders.find((contender) => {
      try {
        contender.prepare(bundle)(json);
        return false;
      } catch (err) {
        rejected.push({ bundle, by: contender.name, message: err instanceof Error ? err.message : String(err) });
        return true;
      }
    });
    if (!refusal) accepted.push(bundle);
  }
  return { accepted, rejected };
}

// ---------------------------------------------------------------------------------------------------------
// 2. Warm, in child processes (bench/lib/verify-child.ts): one verifier per process
// ---------------------------------------------------------------------------------------------------------

const CHILD = join(REPO, "bench/lib/verify-child.ts");
const ACCEPTED_FILE = join(WORK, "verify-accepted.json");
const CONTENDER_IDS: Record<string, "vouch" | "sigstore-js"> = { vouch: "vouch", "@sigstore/verify": "sigstore-js" };

/** Run bench/lib/verify-child.ts for one contender (under tsx, which only compiles the bench's own .ts files). */
function runChild<T>(contender: Contender, args: string[]): T {
  const argv = ["--import", "tsx", CHILD, "--contender", CONTENDER_IDS[contender.name]!, "--accepted", ACCEPTED_FILE, ...args];
  const result = spawnSync(process.execPath, argv, { cwd: REPO, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`verify-child ${argv.slice(3).join(" ")}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`verify-child ${argv.slice(3).join(" ")} exited with ${result.status ?? result.signal}:\n${result.stderr.trim().split("\n").slice(-8).join("\n")}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as T;
}

interface WarmBlock {
  /** Seconds spent in the timed calls of this block, all bundles. */
  seconds: number;
  secondsByKind: Record<BundleKind, number>;
}

interface WarmResult {
  contender: string;
  blocks: WarmBlock[];
  /** Per bundle id, every timed call in milliseconds. */
  callMs: Record<string, number[]>;
}

function zeroByKind(): Record<BundleKind, number> {
  return { "rekor-v1-message": 0, "rekor-v1-dsse": 0, "rekor-v2": 0 };
}

/**
 * --blocks blocks; in each, every contender runs in its own fresh process (--warmup untimed passes, then
 * --iterations / --blocks timed passes over the set), the contenders taking turns and alternating which goes first.
 */
function warm(accepted: readonly BenchBundle[], contenders: readonly Contender[], options: Options): WarmResult[] {
  const results: WarmResult[] = contenders.map((c) => ({ contender: c.name, blocks: [], callMs: Object.fromEntries(accepted.map((b) => [b.id, []])) }));
  const perBlock = options.iterations / options.blocks;
  for (let b = 0; b < options.blocks; b++) {
    const order = contenders.map((_c, ci) => ci);
    if (b % 2 === 1) order.reverse();
    for (const ci of order) {
      const { callMs } = runChild<{ callMs: Record<string, number[]> }>(contenders[ci]!, ["--mode", "warm", "--warmup", String(options.warmup), "--passes", String(perBlock)]);
      const block: WarmBlock = { seconds: 0, secondsByKind: zeroByKind() };
      for (const bundle of accepted) {
        const times = callMs[bundle.id] ?? [];
        if (times.length !== perBlock) throw new Error(`verify-child gave ${times.length} times for ${bundle.id}, not ${perBlock}`);
        const seconds = times.reduce((sum, ms) => sum + ms, 0) / 1000;
        block.seconds += seconds;
        block.secondsByKind[bundle.kind] += seconds;
        results[ci]!.callMs[bundle.id]!.push(...times);
      }
      results[ci]!.blocks.push(block);
    }
    log(`warm: block ${b + 1}/${options.blocks}: ${contenders.map((c, ci) => `${c.name} ${rate(accepted.length * perBlock, results[ci]!.blocks[b]!.seconds).toFixed(0)}/s`).join(", ")}`);
  }
  return results;
}

function rate(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : Number.NaN;
}

interface WarmSummary {
  /** Median over blocks of bundles/second, and the range. */
  overall: { median: number; min: number; max: number };
  byKind: Record<BundleKind, number>;
}

function summarizeWarm(result: WarmResult, accepted: readonly BenchBundle[], perBlock: number): WarmSummary {
  const rates = result.blocks.map((b) => rate(accepted.length * perBlock, b.seconds));
  const byKind = zeroByKind();
  for (const kind of BUNDLE_KINDS) {
    const count = accepted.filter((b) => b.kind === kind).length;
    byKind[kind] = median(result.blocks.map((b) => rate(count * perBlock, b.secondsByKind[kind])));
  }
  return { overall: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) }, byKind };
}

/** Median over blocks of (vouch rate / peer rate): each ratio compares two runs made in the same stretch of time. */
function blockRatios(vouch: WarmResult, peer: WarmResult, accepted: readonly BenchBundle[], kind?: BundleKind): number {
  const pick = (b: WarmBlock) => (kind ? b.secondsByKind[kind] : b.seconds);
  if (kind && !accepted.some((b) => b.kind === kind)) return Number.NaN;
  return median(vouch.blocks.map((b, i) => pick(peer.blocks[i]!) / pick(b)));
}

// ---------------------------------------------------------------------------------------------------------
// 2b. Warm, first sight (bench/lib/verify-child.ts --mode first-sight)
// ---------------------------------------------------------------------------------------------------------

interface FirstSightResult {
  /** Per contender name, per bundle id, the time of each first-sight verification in milliseconds. */
  samples: Record<string, Record<string, number[]>>;
}

/**
 * Each bundle verified once by a process that is warm but has not seen that bundle's signing certificate,
 * --first-sight-runs times per verifier, the verifiers taking turns.
 */
function firstSight(accepted: readonly BenchBundle[], contenders: readonly Contender[], options: Options): FirstSightResult {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, Object.fromEntries(accepted.map((b) => [b.id, [] as number[]]))]));
  for (let r = 0; r < options.firstSightRuns; r++) {
    accepted.forEach((bundle, bi) => {
      const order = (r + bi) % 2 === 0 ? [...contenders] : [...contenders].reverse();
      for (const c of order) {
        const { ms } = runChild<{ ms: number }>(c, ["--mode", "first-sight", "--bundle", bundle.id, "--warmup", String(options.firstSightPasses)]);
        samples[c.name]![bundle.id]!.push(ms);
      }
    });
    log(`first sight: run ${r + 1}/${options.firstSightRuns} done`);
  }
  return { samples };
}

/** Bundles per second from per-bundle median times: how many of these bundles, once each, a second holds. */
function firstSightRate(result: FirstSightResult, contender: string, bundles: readonly BenchBundle[], kind?: BundleKind): number {
  const chosen = bundles.filter((b) => !kind || b.kind === kind);
  const ms = chosen.reduce((sum, b) => sum + median(result.samples[contender]![b.id]!), 0);
  return chosen.length === 0 ? Number.NaN : (chosen.length * 1000) / ms;
}

// ---------------------------------------------------------------------------------------------------------
// 3. Cold
// ---------------------------------------------------------------------------------------------------------

type ColdId = "vouch-cli" | "sigstore-js" | "vouch-lib";

interface ColdCommand {
  id: ColdId;
  label: string;
  command(b: BenchBundle): Command;
}

function artifactArg(b: BenchBundle): string {
  return b.artifact.kind === "file" ? b.artifact.path : `${b.artifact.algorithm}:${b.artifact.hex}`;
}

function coldCommands(): ColdCommand[] {
  const env = cleanEnv();
  const node = (args: string[]): Command => ({ cmd: process.execPath, args, cwd: REPO, env });
  return [
    {
      id: "vouch-cli",
      label: "vouch verify (CLI)",
      command: (b) =>
        node([
          VOUCH_CLI,
          "verify",
          artifactArg(b),
          "--bundle",
          b.bundlePath,
          ...(b.signer.kind === "key" ? ["--key", b.signer.pemPath] : ["--certificate-identity", b.signer.subject, "--certificate-oidc-issuer", b.signer.issuer]),
          "--trusted-root",
          b.trustedRootPath,
        ]),
    },
    {
      id: "sigstore-js",
      label: "@sigstore/verify (script)",
      command: (b) =>
        node([
          SIGSTORE_JS_ONCE,
          "--bundle",
          b.bundlePath,
          "--trusted-root",
          b.trustedRootPath,
          ...(b.content === "messageSignature" && b.artifact.kind === "file" ? ["--artifact", b.artifact.path] : []),
          ...(b.signer.kind === "key" ? ["--key", b.signer.pemPath] : ["--identity", b.signer.subject, "--issuer", b.signer.issuer]),
        ]),
    },
    {
      id: "vouch-lib",
      label: "vouch library (script, diagnostic)",
      command: (b) =>
        node([
          VOUCH_ONCE,
          "--bundle",
          b.bundlePath,
          "--trusted-root",
          b.trustedRootPath,
          ...(b.artifact.kind === "file" ? ["--artifact", b.artifact.path] : ["--digest", artifactArg(b)]),
          ...(b.signer.kind === "key" ? ["--key", b.signer.pemPath] : ["--identity", b.signer.subject, "--issuer", b.signer.issuer]),
        ]),
    },
  ];
}

/** Spawn to exit, in milliseconds; throws (with the output) unless the command exits 0. */
function timeSpawn(command: Command, what: string): number {
  const start = performance.now();
  const r = spawnSync(command.cmd, command.args, { cwd: command.cwd, env: command.env, encoding: "utf8" });
  const ms = performance.now() - start;
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status ?? r.signal}:\n${`${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-8).join("\n")}`);
  return ms;
}

interface ColdResult {
  /** The bundles every cold command verified in its untimed run; the others are in `rejected`. */
  bundles: readonly BenchBundle[];
  rejected: Rejection[];
  /** Per command, per bundle id, every run in milliseconds. */
  samples: Record<ColdId, Record<string, number[]>>;
  /** `node -e ""`, once per round per bundle (so it is sampled as often and in the same stretch of time). */
  nodeFloor: number[];
}

function cold(all: readonly BenchBundle[], runs: number): ColdResult {
  let bundles = all;
  const commands = coldCommands();
  const samples = Object.fromEntries(commands.map((c) => [c.id, Object.fromEntries(bundles.map((b) => [b.id, [] as number[]]))])) as ColdResult["samples"];
  const nodeFloor: number[] = [];
  const floor: Command = { cmd: process.execPath, args: ["-e", ""], cwd: REPO, env: cleanEnv() };
  log(`cold: one untimed run of each command per bundle (acceptance, file cache)`);
  const rejected: Rejection[] = [];
  bundles = bundles.filter((b) =>
    commands.every((c) => {
      try {
        timeSpawn(c.command(b), `${c.label} on ${b.id}`);
        return true;
      } catch (err) {
        rejected.push({ bundle: b, by: c.label, message: (err as Error).message });
        return false;
      }
    }),
  );
  for (let r = 0; r < runs; r++) {
    bundles.forEach((b, bi) => {
      // Rotate which command goes first, so none always runs right after another's start-up.
      const shift = (r + bi) % (commands.length + 1);
      const order = [...commands.map((c) => c.id as ColdId | "node"), "node" as const];
      for (const id of [...order.slice(shift), ...order.slice(0, shift)]) {
        if (id === "node") nodeFloor.push(timeSpawn(floor, "node -e ''"));
        else samples[id][b.id]!.push(timeSpawn(commands.find((c) => c.id === id)!.command(b), `${id} on ${b.id}`));
      }
    });
    log(`cold: round ${r + 1}/${runs} done`);
  }
  return { bundles, rejected, samples, nodeFloor };
}

function coldMedian(result: ColdResult, id: ColdId, bundles: readonly BenchBundle[], kind?: BundleKind): number {
  return median(bundles.filter((b) => !kind || b.kind === kind).flatMap((b) => result.samples[id][b.id]!));
}

// ---------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------

interface Versions {
  vouch: string;
  sigstoreVerify: string;
  sigstoreBundle: string;
  sigstoreCore: string;
}

const fmtRate = (n: number) => (Number.isNaN(n) ? "–" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
const fmtRatio = (n: number) => (Number.isNaN(n) ? "–" : `${n.toFixed(1)}x`);
const fmtMs = (n: number) => (Number.isNaN(n) ? "–" : n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`);
const verdict = (ratio: number) => (ratio >= TARGET_RATIO ? "PASS" : "FAIL");

function renderReport(
  machine: MachineInfo,
  load: { before: number; after: number },
  versions: Versions,
  options: Options,
  accepted: readonly BenchBundle[],
  rejected: readonly Rejection[],
  warmResults: WarmResult[],
  firstSightResult: FirstSightResult | undefined,
  coldResult: ColdResult | undefined,
): string {
  const bundles = accepted;
  const counts = Object.fromEntries(BUNDLE_KINDS.map((k) => [k, bundles.filter((b) => b.kind === k).length])) as Record<BundleKind, number>;
  const perBlock = options.iterations / options.blocks;
  const [vouchWarm, peerWarm] = [warmResults[0]!, warmResults[1]!];
  const vouchSum = summarizeWarm(vouchWarm, accepted, perBlock);
  const peerSum = summarizeWarm(peerWarm, accepted, perBlock);
  const warmRatio = blockRatios(vouchWarm, peerWarm, accepted);
  const lines: string[] = [];
  const rel = (p: string) => relative(REPO, p);

  lines.push(
    `Machine: ${machine.cpuModel}, ${machine.nproc} cores (nproc), ${machine.memory} RAM (free -h), ${machine.os}; Node ${machine.node}. ` +
      `Date ${machine.date}. 1-minute load average ${load.before.toFixed(2)} before the timed runs, ${load.after.toFixed(2)} after.`,
    `vouch ${versions.vouch} (built dist/); @sigstore/verify ${versions.sigstoreVerify}, @sigstore/bundle ${versions.sigstoreBundle}, @sigstore/core ${versions.sigstoreCore}.`,
    `Command: \`npx tsx bench/verify-vs-sigstore-js.ts --iterations ${options.iterations} --warmup ${options.warmup} --blocks ${options.blocks} ` +
      `--first-sight-runs ${options.firstSightRuns} --first-sight-passes ${options.firstSightPasses} --cold-runs ${options.coldRuns}\`.`,
    "",
    `Bundles: ${bundles.length} accepted by both (${BUNDLE_KINDS.map((k) => `${counts[k]} ${KIND_LABELS[k]}`).join(", ")}); ` +
      (rejected.length === 0 ? "none left out." : `${rejected.length} left out (below).`),
    "",
  );

  lines.push(
    `#### Warm, the set over and over: ${options.iterations} timed passes per verifier in ${options.blocks} processes of ${perBlock} (each after ${options.warmup} untimed passes)`,
    "",
    "Bundles verified per second (median block; JSON text in, parse and verify timed).",
    "",
    "| bundles | count | vouch | @sigstore/verify | vouch / @sigstore/verify |",
    "|---|--:|--:|--:|--:|",
    `| **all** | ${bundles.length} | **${fmtRate(vouchSum.overall.median)}** (${fmtRate(vouchSum.overall.min)}–${fmtRate(vouchSum.overall.max)}) | ${fmtRate(peerSum.overall.median)} (${fmtRate(peerSum.overall.min)}–${fmtRate(peerSum.overall.max)}) | **${fmtRatio(warmRatio)}** |`,
    ...BUNDLE_KINDS.map(
      (k) => `| ${KIND_LABELS[k]} | ${counts[k]} | ${fmtRate(vouchSum.byKind[k])} | ${fmtRate(peerSum.byKind[k])} | ${fmtRatio(blockRatios(vouchWarm, peerWarm, accepted, k))} |`,
    ),
    "",
    `Mean time per bundle: vouch ${fmtMs(1000 / vouchSum.overall.median)}, @sigstore/verify ${fmtMs(1000 / peerSum.overall.median)}. ` +
      "The ratio column is the median of the per-block ratios (each block's two runs were made in the same stretch of time).",
    "",
  );

  let firstSightRatio = Number.NaN;
  if (firstSightResult) {
    const [v, peer] = ["vouch", "@sigstore/verify"];
    const ratio = (kind?: BundleKind) => firstSightRate(firstSightResult, v, bundles, kind) / firstSightRate(firstSightResult, peer, bundles, kind);
    firstSightRatio = ratio();
    lines.push(
      `#### Warm, first sight: each bundle verified once by a warm process that has not seen its signing certificate`,
      "",
      `${options.firstSightRuns} runs per bundle and verifier, each in its own process after ${options.firstSightPasses} untimed passes over the bundles signed with other ` +
        "certificates. Bundles per second = bundles / sum of their median times.",
      "",
      "| bundles | count | vouch | @sigstore/verify | vouch / @sigstore/verify |",
      "|---|--:|--:|--:|--:|",
      `| **all** | ${bundles.length} | **${fmtRate(firstSightRate(firstSightResult, v, bundles))}** | ${fmtRate(firstSightRate(firstSightResult, peer, bundles))} | **${fmtRatio(firstSightRatio)}** |`,
      ...BUNDLE_KINDS.map(
        (k) => `| ${KIND_LABELS[k]} | ${counts[k]} | ${fmtRate(firstSightRate(firstSightResult, v, bundles, k))} | ${fmtRate(firstSightRate(firstSightResult, peer, bundles, k))} | ${fmtRatio(ratio(k))} |`,
      ),
      "",
    );
  }

  let coldRatio = Number.NaN;
  if (coldResult) {
    const ids: ColdId[] = ["vouch-cli", "sigstore-js", "vouch-lib"];
    const labels: Record<ColdId, string> = { "vouch-cli": "vouch verify (CLI)", "sigstore-js": "@sigstore/verify (script)", "vouch-lib": "vouch library (script)" };
    const floor = median(coldResult.nodeFloor);
    const cb = coldResult.bundles;
    coldRatio = coldMedian(coldResult, "sigstore-js", cb) / coldMedian(coldResult, "vouch-cli", cb);
    lines.push(
      `#### Cold: a fresh \`node\` per verification, ${options.coldRuns} runs of each of the ${cb.length} bundles per command`,
      "",
      `Median wall time from spawn to exit. \`node -e ""\` alone (the floor): ${fmtMs(floor)} (median of ${coldResult.nodeFloor.length}).`,
      "",
      `| bundles | ${ids.map((id) => labels[id]).join(" | ")} | @sigstore/verify / vouch CLI |`,
      `|---|${ids.map(() => "--:").join("|")}|--:|`,
      `| **all** | ${ids.map((id) => `${id === "vouch-cli" ? "**" : ""}${fmtMs(coldMedian(coldResult, id, cb))}${id === "vouch-cli" ? "**" : ""}`).join(" | ")} | **${fmtRatio(coldRatio)}** |`,
      ...BUNDLE_KINDS.map(
        (k) =>
          `| ${KIND_LABELS[k]} | ${ids.map((id) => fmtMs(coldMedian(coldResult, id, cb, k))).join(" | ")} | ${fmtRatio(coldMedian(coldResult, "sigstore-js", cb, k) / coldMedian(coldResult, "vouch-cli", cb, k))} |`,
      ),
      `| all, minus Node's start (${fmtMs(floor)}) | ${ids.map((id) => fmtMs(coldMedian(coldResult, id, cb) - floor)).join(" | ")} | ${fmtRatio((coldMedian(coldResult, "sigstore-js", cb) - floor) / (coldMedian(coldResult, "vouch-cli", cb) - floor))} |`,
      "",
      ...(coldResult.rejected.length > 0
        ? ["Left out of the cold runs (a command did not exit 0):", "", ...coldResult.rejected.map((r) => `- ${r.bundle.id}: ${r.by}: ${r.message.split("\n").slice(0, 2).join(" ")}`), ""]
        : []),
    );
  }

  lines.push(
    `#### Check: vouch ≥ ${TARGET_RATIO}x the bundles per second of @sigstore/verify`,
    "",
    `- warm, the set verified over and over: ${fmtRatio(warmRatio)} → **${verdict(warmRatio)}**`,
    firstSightResult
      ? `- warm, bundles not seen before: ${fmtRatio(firstSightRatio)} → **${verdict(firstSightRatio)}**`
      : "- warm, bundles not seen before: not run (--first-sight-runs 0)",
    coldResult ? `- cold: ${fmtRatio(coldRatio)} → **${verdict(coldRatio)}**` : "- cold: not run (--cold-runs 0)",
    "",
  );

  lines.push(
    "#### The bundles",
    "",
    "Median time per verification in ms: warm over the repeated set, and at first sight.",
    "",
    "| bundle | kind | trusted root | artifact | signer | vouch | @sigstore/verify | vouch, first sight | @sigstore/verify, first sight |",
    "|---|---|---|---|---|--:|--:|--:|--:|",
    ...accepted.map((b) => {
      const root = rel(b.trustedRootPath) === PRODUCTION_ROOT ? "production" : "the case's own";
      const artifact = b.artifact.kind === "file" ? `file ${rel(b.artifact.path).split("/").slice(-2).join("/")}` : `${b.artifact.algorithm} digest`;
      const signer = b.signer.kind === "key" ? "key.pub" : b.signer.subject.length > 40 ? `${b.signer.subject.slice(0, 37)}...` : b.signer.subject;
      const first = (c: string) => (firstSightResult ? median(firstSightResult.samples[c]![b.id]!).toFixed(2) : "–");
      return `| ${b.id} | ${KIND_LABELS[b.kind]} | ${root} | ${artifact} | ${signer} | ${median(vouchWarm.callMs[b.id]!).toFixed(2)} | ${median(peerWarm.callMs[b.id]!).toFixed(2)} | ${first("vouch")} | ${first("@sigstore/verify")} |`;
    }),
    "",
  );
  if (rejected.length > 0) {
    lines.push("Left out (rejected by one verifier):", "", ...rejected.map((r) => `- ${r.bundle.id}: ${r.by}: ${r.message.split("\n")[0]}`), "");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions();
  mkdirSync(WORK, { recursive: true });
  ensureVouchBuilt(REPO, ["dist/cli/main.js", "dist/bundle/parse.js", "dist/verify/verifier.js"], log);

  const versions: Versions = {
    vouch: `${(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version} (${gitDescription(REPO)})`,
    sigstoreVerify: installedVersion(REPO, "@sigstore/verify"),
    sigstoreBundle: installedVersion(REPO, "@sigstore/bundle"),
    sigstoreCore: installedVersion(REPO, "@sigstore/core"),
  };
  const contenders = [await vouchContender(DIST, versions.vouch), sigstoreJsContender(versions.sigstoreVerify)];
  const set = collectBundleSet(REPO);
  const { accepted, rejected } = acceptance(set, contenders);
  log(`${accepted.length} of ${set.length} bundles verify with both${rejected.length ? `; left out: ${rejected.map((r) => `${r.bundle.id} (${r.by})`).join(", ")}` : ""}`);
  if (accepted.length === 0) throw new Error("no bundle verifies with both verifiers");
  writeFileSync(ACCEPTED_FILE, `${JSON.stringify(accepted.map((b) => b.id))}\n`);

  const load = { before: loadavg()[0]!, after: Number.NaN };
  const warmResults = warm(accepted, contenders, options);
  const firstSightResult = options.firstSightRuns > 0 ? firstSight(accepted, contenders, options) : undefined;
  const coldResult = options.coldRuns > 0 ? cold(accepted, options.coldRuns) : undefined;
  load.after = loadavg()[0]!;

  const machine = machineInfo();
  const report = renderReport(machine, load, versions, options, accepted, rejected, warmResults, firstSightResult, coldResult);
  writeFileSync(join(WORK, "verify-results.md"), report);
  const raw = {
    machine,
    load,
    versions,
    options,
    bundles: accepted.map((b) => ({ id: b.id, kind: b.kind, signerFingerprint: b.signerFingerprint })),
    rejected: rejected.map((r) => ({ id: r.bundle.id, by: r.by, message: r.message })),
    warm: warmResults,
    firstSight: firstSightResult,
    cold: coldResult,
  };
  writeFileSync(join(WORK, "verify-results.json"), `${JSON.stringify(raw, null, 2)}\n`);
  console.log(report);
}

await main();
