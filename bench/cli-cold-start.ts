/**
 * The CLI's cold start: wall time from spawn to exit, and modules loaded, for a few verbs, from one or more built
 * trees.
 *
 *   npx tsx bench/cli-cold-start.ts [--runs N] [--dist DIR ...]
 *
 * --dist (repeatable, default dist/): a built tree (`npm run build`). To compare with an older version, build it and
 * copy its dist/ somewhere (e.g. bench/.work/dist-before) and pass both; node_modules is found from the repo, so the
 * copy must sit inside it. Every scenario is run once untimed per tree (exit code checked, file cache warm, modules
 * counted with a module.registerHooks hook), then --runs rounds in which every (scenario, tree) pair and
 * `node -e ""` (Node's own start, the floor) run once each in a rotating order, so a slow spell of a shared machine
 * hits all of them. Medians of the wall time. Runs offline from test/fixtures.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cleanEnv, machineInfo, median } from "./lib/measure.js";

const REPO = resolve(import.meta.dirname, "..");
const CONFORMANCE = join(REPO, "test/fixtures/sigstore/conformance/test/assets/bundle-verify");
const ARTIFACT = join(CONFORMANCE, "a.txt");
const BUNDLE = join(CONFORMANCE, "happy-path-v0.3/bundle.sigstore.json");
const ROOT = join(REPO, "test/fixtures/sigstore/sigstore-js/derived/public-good-trusted_root.json");
const IDENTITY = ["--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];
const SBOM = join(REPO, "test/fixtures/sboms-in-the-wild/cdx14_cyclonedx-gomod-1.2.0_harp-0.2.10.json");

/** Records every module Node loads (ES and CommonJS; node: built-ins left out) into $VOUCH_BENCH_MODULES at exit. */
const COUNT_HOOK = `data:text/javascript,${encodeURIComponent(
  'import{registerHooks}from"node:module";import{writeFileSync}from"node:fs";const s=new Set();' +
    'registerHooks({load(u,c,n){if(!u.startsWith("node:"))s.add(u);return n(u,c)}});' +
    'process.on("exit",()=>writeFileSync(process.env.VOUCH_BENCH_MODULES,[...s].join("\\n")))',
)}`;

interface Scenario {
  label: string;
  args: string[];
}

function scenarios(): Scenario[] {
  const digest = createHash("sha256").update(readFileSync(ARTIFACT)).digest("hex");
  const verify = ["--bundle", BUNDLE, ...IDENTITY, "--trusted-root", ROOT];
  return [
    { label: "`vouch --version`", args: ["--version"] },
    { label: "`vouch --help`", args: ["--help"] },
    { label: "`vouch verify FILE` (keyless, Rekor v1)", args: ["verify", ARTIFACT, ...verify] },
    { label: "`vouch verify sha256:DIGEST` (same bundle)", args: ["verify", `sha256:${digest}`, ...verify] },
    { label: "`vouch sbom check FILE` (CycloneDX 1.4)", args: ["sbom", "check", SBOM] },
  ];
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" }, dist: { type: "string", multiple: true } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number >= 1, not "${values.runs}"`);
  const trees = (values.dist ?? ["dist"]).map((d) => resolve(d));
  for (const t of trees) if (!existsSync(join(t, "cli/main.js"))) throw new Error(`${t}/cli/main.js is missing: npm run build (and copy dist/)`);
  const env = cleanEnv();
  const all = scenarios();
  const tmp = mkdtempSync(join(tmpdir(), "vouch-cold-"));
  const modules: number[][] = all.map(() => []);
  try {
    all.forEach((s, si) =>
      trees.forEach((t, ti) => {
        const file = join(tmp, `${si}-${ti}.txt`);
        const r = spawnSync(process.execPath, ["--import", COUNT_HOOK, join(t, "cli/main.js"), ...s.args], { cwd: REPO, env: { ...env, VOUCH_BENCH_MODULES: file }, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`${s.label} from ${t} exited with ${r.status}: ${r.stderr}`);
        modules[si]![ti] = readFileSync(file, "utf8").split("\n").filter(Boolean).length;
      }),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const load = loadavg()[0]!;
  type Job = { si: number; ti: number } | "node";
  const jobs: Job[] = ["node", ...all.flatMap((_, si) => trees.map((_t, ti) => ({ si, ti })))];
  const ms: number[][][] = all.map(() => trees.map(() => []));
  const floor: number[] = [];
  for (let r = 0; r < runs; r++) {
    const shift = (r * 3) % jobs.length;
    for (const job of [...jobs.slice(shift), ...jobs.slice(0, shift)]) {
      const args = job === "node" ? ["-e", ""] : [join(trees[job.ti]!, "cli/main.js"), ...all[job.si]!.args];
      const start = process.hrtime.bigint();
      const p = spawnSync(process.execPath, args, { cwd: REPO, env, stdio: "ignore" });
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (p.status !== 0) throw new Error(`${args.join(" ")} exited with ${p.status}`);
      if (job === "node") floor.push(elapsed);
      else ms[job.si]![job.ti]!.push(elapsed);
    }
    console.error(`[cold-start] round ${r + 1}/${runs}`);
  }

  const m = machineInfo();
  const name = (t: string) => `\`${relative(REPO, t) || "."}\``;
  const lines = [
    `Machine: ${m.cpuModel}, ${m.nproc} cores, ${m.memory} RAM, ${m.os}; Node ${m.node}. Date ${m.date}. 1-minute load average ${load.toFixed(2)} before the timed runs, ${loadavg()[0]!.toFixed(2)} after.`,
    `Command: \`npx tsx bench/cli-cold-start.ts --runs ${runs}${trees.map((t) => ` --dist ${relative(REPO, t)}`).join("")}\`. Median of ${runs} runs each; \`node -e ""\` alone: ${median(floor).toFixed(1)} ms.`,
    "",
    `| command | ${trees.map((t) => `${name(t)}: modules | ${name(t)}: median`).join(" | ")} |`,
    `|---|${trees.map(() => "--:|--:").join("|")}|`,
    ...all.map((s, si) => `| ${s.label} | ${trees.map((_t, ti) => `${modules[si]![ti]} | ${median(ms[si]![ti]!).toFixed(0)} ms`).join(" | ")} |`),
  ];
  console.log(lines.join("\n"));
}

main();
