/**
 * Dashboard load time (issue 11: "loads in under 1 s on the seeded demo"): Debian's Chromium (playwright-core,
 * headless, 1366×768) against a real `vouch serve` seeded by test/support/dashboard-seed.ts, the production build in
 * dist/web. For each view, the time from navigation start to the view's data-loaded="true" (every request it makes
 * settled and drawn), over --runs runs: a first visit (browser cache cleared through CDP before each run: the HTML,
 * the hashed bundle and every API answer fetched) and a repeat visit (the immutable assets cached, index.html and the
 * API revalidated/fetched again). The impact search is timed from the click to the result rows.
 *
 *   npx tsx bench/dashboard-load.ts [--runs 10]
 *
 * No peer runs in the same run: the obvious one, Dependency-Track, is a Java server (plus its own frontend and a
 * database) that cannot be installed or started on this machine, so there is no comparison, only the goal (< 1 s).
 * The script says so in its report. Prints a markdown report (also bench/.work/dashboard-load.md; raw numbers in
 * bench/.work/dashboard-load.json).
 */
import { mkdirSync, statSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { chromiumUnavailable, launchChromium } from "../test/support/chromium.js";
import { dashboardSeedUnavailable, LOG4J_CORE, seedDashboard } from "../test/support/dashboard-seed.js";
import { machineInfo } from "./lib/measure.js";

const REPO = join(import.meta.dirname, "..");
const WORK = join(REPO, "bench", ".work");
const GOAL_MS = 1000;

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: a whole number of runs, at least 1`);

const unavailable = chromiumUnavailable() ?? dashboardSeedUnavailable();
if (unavailable !== undefined) {
  console.error(`dashboard-load: cannot run here: ${unavailable}`);
  process.exit(2);
}
try {
  statSync(join(REPO, "dist", "web", "index.html"));
} catch {
  console.error("dashboard-load: dist/web is not built: npm run build");
  process.exit(2);
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round = (ms: number) => Math.round(ms * 10) / 10;

async function timeToLoaded(page: Page, url: string, view: string): Promise<number> {
  const started = performance.now();
  await page.goto(url, { waitUntil: "commit" });
  await page.locator(`[data-testid="view-${view}"][data-loaded="true"]`).waitFor({ timeout: 30_000 });
  return performance.now() - started;
}

async function timeImpactSearch(page: Page, url: string): Promise<number> {
  await timeToLoaded(page, url, "impact");
  await page.locator('[data-testid="impact-query"]').fill(LOG4J_CORE);
  await page.locator('[data-testid="impact-range"]').fill("<2.17.1");
  const started = performance.now();
  await page.locator('[data-testid="impact-search"]').click();
  await page.locator('[data-testid="impact-row"]').first().waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="view-impact"][data-loaded="true"]').waitFor({ timeout: 30_000 });
  return performance.now() - started;
}

const seed = await seedDashboard();
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  // The token once, as the demo's URL hands it over; it stays in localStorage for every run.
  await page.goto(`${seed.url}/#token=${seed.token}`);
  await page.locator('[data-testid="view-executive"][data-loaded="true"]').waitFor({ timeout: 30_000 });

  const cases: { name: string; measure: () => Promise<number> }[] = [
    { name: "executive (/)", measure: () => timeToLoaded(page, `${seed.url}/`, "executive") },
    { name: "on-call (/oncall)", measure: () => timeToLoaded(page, `${seed.url}/oncall`, "oncall") },
    { name: "artifact (/artifacts/checkout 1.5.0)", measure: () => timeToLoaded(page, `${seed.url}/artifacts/${seed.digests.checkout15}`, "artifact") },
    { name: "impact (/impact, the form)", measure: () => timeToLoaded(page, `${seed.url}/impact`, "impact") },
    { name: "impact search log4j-core <2.17.1 (click → rows)", measure: () => timeImpactSearch(page, `${seed.url}/impact`) },
  ];
  // Warm-up: the server's JIT and SQLite page cache, not the browser's (cleared below for first visits).
  for (const c of cases) await c.measure();

  const results: { name: string; visit: "first" | "repeat"; samples: number[]; median: number; p95: number }[] = [];
  for (const visit of ["first", "repeat"] as const) {
    for (const c of cases) {
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        if (visit === "first") await cdp.send("Network.clearBrowserCache");
        samples.push(await c.measure());
      }
      const sorted = [...samples].sort((a, b) => a - b);
      results.push({ name: c.name, visit, samples: samples.map(round), median: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)) });
    }
  }

  const assets = readdirSync(join(REPO, "dist", "web", "assets")).map((f) => ({ file: f, bytes: statSync(join(REPO, "dist", "web", "assets", f)).size }));
  const machine = machineInfo();
  const lines = [
    `## Dashboard load (${machine.date}, ${machine.cpuModel}, ${machine.nproc} cores, Node ${machine.node}, ${browser.version})`,
    "",
    `Seeded demo (test/support/dashboard-seed.ts): 4 services, 9 deployments, 4 attestations, 3 admission decisions, 1 scan. ${runs} runs per row, navigation start → data-loaded="true". Goal: under ${GOAL_MS} ms.`,
    `Bundle: ${assets.map((a) => `${a.file} ${(a.bytes / 1024).toFixed(1)} KiB`).join(", ")} (uncompressed; vouch serve does not compress).`,
    "",
    "| view | visit | median ms | p95 ms | under 1 s |",
    "| --- | --- | ---: | ---: | --- |",
    ...results.map((r) => `| ${r.name} | ${r.visit} | ${r.median} | ${r.p95} | ${r.p95 < GOAL_MS ? "yes" : "NO"} |`),
    "",
    "Peer: none in this run. Dependency-Track (the closest peer: SBOM portfolio and impact views) is a Java server with its own frontend and database; it cannot be installed or run on this machine, so there is no side-by-side number.",
  ];
  const report = `${lines.join("\n")}\n`;
  process.stdout.write(report);
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, "dashboard-load.md"), report);
  writeFileSync(join(WORK, "dashboard-load.json"), `${JSON.stringify({ machine, chromium: browser.version, runs, results, assets }, null, 2)}\n`);
} finally {
  await browser.close();
  await seed.stop();
}
