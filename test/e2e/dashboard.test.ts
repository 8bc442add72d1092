/**
 * The dashboard end to end (issue 11): Debian's Chromium, driven by playwright-core, against a real `vouch serve`
 * seeded through its public API and real flows (test/support/dashboard-seed.ts). Every view waits for
 * data-loaded="true" and is checked against the numbers the seed counted by hand from what it put in, through the
 * data-testid contract in docs/issue11-brief.md. VOUCH_SCREENSHOTS=1 also writes docs/screenshots/<view>.png.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumUnavailable, launchChromium, type TestBrowser } from "../support/chromium.js";
import { dashboardSeedUnavailable, LOG4J_CORE, seedDashboard, startEmptyServer, type DashboardSeed, type EmptyServer } from "../support/dashboard-seed.js";

const REPO = join(import.meta.dirname, "..", "..");
const SCREENSHOTS = join(REPO, "docs", "screenshots");
const shoot = process.env.VOUCH_SCREENSHOTS === "1";
const built = existsSync(join(REPO, "dist", "web", "index.html")) ? undefined : "dist/web is not built (npm run build builds the web app)";
const skipReason = chromiumUnavailable() ?? dashboardSeedUnavailable() ?? built;
if (skipReason !== undefined) console.warn(`[dashboard] browser end-to-end tests SKIPPED: ${skipReason}`);

/** The view's text for a ratio: one decimal percent, as the executive view shows it. */
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const SLIS = ["signedDeploymentRatio", "sbomCoverage", "sbomAlignment", "provenanceCompleteness", "denyRate"] as const;

const tid = (id: string) => `[data-testid="${id}"]`;

async function loaded(page: Page, view: string): Promise<void> {
  await page.locator(`${tid(`view-${view}`)}[data-loaded="true"]`).waitFor({ timeout: 20_000 });
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!shoot) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

async function attr(page: Page, selector: string, name: string): Promise<string | null> {
  return page.locator(selector).first().getAttribute(name);
}

describe.skipIf(skipReason !== undefined)("the dashboard in Chromium against a seeded vouch serve", () => {
  let seed: DashboardSeed;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    [seed, browser] = await Promise.all([seedDashboard(), launchChromium()]);
    page = await browser.context.newPage();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await seed?.stop();
  });

  it("takes the token from #token= once, keeps it, and removes it from the address bar", async () => {
    await page.goto(`${seed.url}/#token=${seed.token}`);
    await loaded(page, "executive");
    expect(new URL(page.url()).hash).toBe("");
    expect(await page.evaluate(() => localStorage.getItem("vouch.token"))).toBe(seed.token);
  });

  it("executive: the seeded SLIs, deployments, groups, charts with SLO lines, and key health", async () => {
    await page.goto(`${seed.url}/`);
    await loaded(page, "executive");
    const overall = seed.expected.overall;
    for (const name of SLIS) {
      const cell = page.locator(tid(`sli-${name}`)).first();
      expect(Number(await cell.getAttribute("data-value")), name).toBe(overall[name]);
      expect(await cell.textContent(), name).toContain(percent(overall[name]));
    }
    expect(Number(await attr(page, tid("deployments-count"), "data-value"))).toBe(overall.deployments);
    expect((await page.locator(tid("deployments-count")).textContent())?.trim()).toBe(String(overall.deployments));

    for (const g of seed.expected.groups) {
      const row = page.locator(`${tid("group-row")}[data-group="${g.group}"][data-key="${g.key}"]`);
      expect(await row.count(), `${g.group} ${g.key}`).toBe(1);
      expect(Number(await row.locator('[data-sli="signedDeploymentRatio"]').getAttribute("data-value")), `${g.group} ${g.key}`).toBe(g.signedDeploymentRatio);
    }
    // ledger belongs to no team: no team row for it, and no team row beyond the two configured.
    expect(await page.locator(`${tid("group-row")}[data-group="team"]`).count()).toBe(Object.keys(seed.teams).length);

    // "Last 30 days", one bucket a day; the SLO line at the targets the seed's vouch.yaml sets (index.slo).
    for (const name of SLIS) {
      const chart = page.locator(tid(`chart-${name}`));
      expect(await chart.evaluate((el) => el.tagName.toLowerCase()), name).toBe("svg");
      expect(Number(await chart.getAttribute("data-points")), name).toBe(30);
      expect(Number(await attr(page, tid(`slo-${name}`), "data-target")), name).toBe(seed.targets[name]);
    }

    for (const k of seed.expected.keyStatus) {
      const row = page.locator(`${tid("key-row")}[data-identity="${k.identity}"]`);
      expect(await row.count(), k.identity).toBe(1);
      expect(await row.getAttribute("data-status"), k.identity).toBe(k.status);
    }
    await screenshot(page, "executive");
  });

  it("on-call: the deny with reason, policy, image and artifact link; the signer anomaly; the failed verification; the pending decision", async () => {
    await page.goto(`${seed.url}/oncall`);
    await loaded(page, "oncall");
    const deny = page.locator(tid("deny-row"));
    expect(await deny.count()).toBe(seed.expected.decisions.denied);
    expect(await deny.locator(tid("deny-image")).textContent()).toContain(seed.expected.deny.image);
    expect(await deny.locator(tid("deny-policy")).textContent()).toContain(seed.expected.deny.policy);
    expect(await deny.locator(tid("deny-reason")).textContent()).toMatch(/sign/i);
    expect(await deny.locator(tid("deny-artifact-link")).getAttribute("href")).toBe(`/artifacts/${seed.expected.deny.digest}`);

    const anomalies = page.locator(tid("anomaly-row"));
    expect(await anomalies.count()).toBe(1);
    expect(await anomalies.getAttribute("data-service")).toBe(seed.expected.anomaly.service);
    expect(await anomalies.getAttribute("data-identity")).toBe(seed.expected.anomaly.identity);

    const failures = page.locator(tid("verification-failure-row"));
    expect(await failures.count()).toBe(1);
    expect(await failures.getAttribute("data-id")).toBe(seed.attestations.failedId);

    expect(await page.locator(tid("pending-row")).count()).toBe(seed.expected.decisions.pending);
    expect(await page.locator(tid("pending-row")).textContent()).toContain(seed.images.ledger);
    await screenshot(page, "oncall");
  });

  it("a click from the deny's artifact link lands on the artifact page with its provenance graph", async () => {
    await page.goto(`${seed.url}/oncall`);
    await loaded(page, "oncall");
    await page.locator(tid("deny-artifact-link")).first().click();
    await page.waitForURL(`**/artifacts/${seed.expected.deny.digest}`);
    await loaded(page, "artifact");
    const graph = page.locator(tid("provenance-graph"));
    expect(await graph.evaluate((el) => el.tagName.toLowerCase())).toBe("svg");
    for (const [kind, n] of Object.entries(seed.expected.searchGraph)) {
      expect(await graph.locator(`${tid("graph-node")}[data-kind="${kind}"]`).count(), kind).toBe(n);
    }
    // Every edge joins two drawn nodes.
    const ids = new Set(await graph.locator(tid("graph-node")).evaluateAll((els) => els.map((e) => e.getAttribute("data-id"))));
    const edges = await graph.locator(tid("graph-edge")).evaluateAll((els) => els.map((e) => [e.getAttribute("data-from"), e.getAttribute("data-to")]));
    expect(edges.length).toBeGreaterThanOrEqual(seed.expected.searchGraph.sbom + seed.expected.searchGraph.attestation + seed.expected.searchGraph.deployment);
    for (const [from, to] of edges) expect(ids.has(from) && ids.has(to), `${from} → ${to}`).toBe(true);
  });

  it("artifact: the SBOM table searches, the diff against the previous release, vulnerabilities with VEX, log proofs verified in the browser", async () => {
    await page.goto(`${seed.url}/artifacts/${seed.digests.checkout15}`);
    await loaded(page, "artifact");
    expect(Number(await attr(page, tid("component-count"), "data-count"))).toBe(seed.expected.checkoutComponents.total);
    expect(await page.locator(tid("component-row")).count()).toBe(seed.expected.checkoutComponents.total);
    await page.locator(tid("sbom-search")).fill("log4j");
    // (No waitForFunction with a string: the page's CSP refuses eval, as it should.)
    await expect.poll(() => page.locator(tid("component-row")).count()).toBe(seed.expected.checkoutComponents.log4j);
    for (const name of await page.locator(tid("component-row")).allTextContents()) expect(name.toLowerCase()).toContain("log4j");
    expect(Number(await attr(page, tid("component-count"), "data-count"))).toBe(seed.expected.checkoutComponents.log4j);

    const diff = seed.expected.checkoutDiff;
    for (const [name, n] of Object.entries(diff)) expect(Number(await attr(page, `${tid("diff-summary")} ${tid(`diff-${name}`)}`, "data-count")), name).toBe(n);

    const vulns = await page.locator(tid("vuln-row")).evaluateAll((els) => els.map((e) => ({ id: e.getAttribute("data-id"), vex: e.getAttribute("data-vex") })));
    expect(vulns.sort((a, b) => (a.id ?? "").localeCompare(b.id ?? ""))).toEqual(seed.expected.vulnerabilities);

    // checkout 1.5.0's attestation was logged in this server's log: the browser recomputes its inclusion proof.
    const proofs = page.locator(tid("log-entry"));
    const states = () => proofs.evaluateAll((els) => els.map((e) => e.getAttribute("data-proof")));
    await expect.poll(async () => (await states()).some((p) => p === "pending")).toBe(false);
    expect(await proofs.count()).toBeGreaterThanOrEqual(1);
    expect(await states()).toEqual(Array.from({ length: await proofs.count() }, () => "verified"));
    await screenshot(page, "artifact");
  });

  async function impactSearch(query: string, range: string): Promise<{ service: string; environment: string; digest: string }[]> {
    await page.goto(`${seed.url}/impact`);
    await loaded(page, "impact");
    await page.locator(tid("impact-query")).fill(query);
    await page.locator(tid("impact-range")).fill(range);
    await page.locator(tid("impact-search")).click();
    await page.locator(tid("impact-row")).first().waitFor({ timeout: 20_000 });
    await loaded(page, "impact");
    const rows = await page.locator(tid("impact-row")).evaluateAll((els) =>
      els.map((e) => ({ service: e.getAttribute("data-service") ?? "", environment: e.getAttribute("data-environment") ?? "", digest: e.getAttribute("data-digest") ?? "" })),
    );
    // Artifacts that no longer run anywhere may be listed without an environment: where a package RUNS is the answer.
    return rows.filter((r) => r.environment !== "");
  }
  const key = (r: { service: string; environment: string; digest: string }) => `${r.service} ${r.environment} ${r.digest}`;

  it("impact: log4j-core <2.17.1 finds exactly the services and environments running it, and exports them as CSV", async () => {
    const expected = seed.expected.log4jAffected;
    const rows = await impactSearch(LOG4J_CORE, "<2.17.1");
    expect(rows.map(key).sort()).toEqual(expected.rows.map(key).sort());
    expect([...new Set(rows.map((r) => r.service))].sort()).toEqual(expected.services);
    expect([...new Set(rows.map((r) => r.environment))].sort()).toEqual(expected.environments);
    await screenshot(page, "impact");

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(tid("impact-export-csv")).click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = readFileSync((await download.path())!, "utf8");
    const lines = csv.trim().split(/\r?\n/);
    for (const r of expected.rows) expect(lines.some((l) => l.includes(r.service) && l.includes(r.environment) && l.includes(r.digest)), key(r)).toBe(true);
    expect(csv).not.toContain("billing");
    expect(csv).not.toContain(seed.digests.billing);

    const [json] = await Promise.all([page.waitForEvent("download"), page.locator(tid("impact-export-json")).click()]);
    expect(json.suggestedFilename()).toMatch(/\.json$/);
    const exported = readFileSync((await json.path())!, "utf8");
    for (const r of expected.rows) expect(exported, key(r)).toContain(r.digest);
    expect(() => JSON.parse(exported) as unknown).not.toThrow();
  });

  it("impact: a CVE id finds what its advisory's ranges cover (Log4Shell: search, not checkout 1.5.0 on 2.16.0)", async () => {
    const rows = await impactSearch("CVE-2021-44228", "");
    expect(rows.map(key).sort()).toEqual(seed.expected.log4shell.rows.map(key).sort());
  });

  it("dark mode: the toggle switches the theme, changes the colours and is remembered", async () => {
    await page.goto(`${seed.url}/`);
    await loaded(page, "executive");
    const background = () => page.locator("body").evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor);
    const theme = () => page.locator("html").getAttribute("data-theme");
    const light = await background();
    for (let i = 0; i < 3 && (await theme()) !== "dark"; i++) await page.locator(tid("theme-toggle")).click();
    expect(await theme()).toBe("dark");
    expect(await background()).not.toBe(light);
    await page.reload();
    await loaded(page, "executive");
    expect(await theme()).toBe("dark");
    await screenshot(page, "executive-dark");
    for (let i = 0; i < 3 && (await theme()) !== "light"; i++) await page.locator(tid("theme-toggle")).click();
    expect(await background()).toBe(light);
  });

  it("without a token the sign-in form appears, and a read token signs in", async () => {
    await page.goto(`${seed.url}/`);
    await page.evaluate(() => localStorage.removeItem("vouch.token"));
    await page.goto(`${seed.url}/oncall`);
    await page.locator(tid("sign-in")).waitFor({ timeout: 20_000 });
    expect(await page.locator(tid("deny-row")).count()).toBe(0);
    await page.locator(tid("sign-in-token")).fill(seed.token);
    await page.locator(tid("sign-in-submit")).click();
    await loaded(page, "oncall");
    expect(await page.locator(tid("deny-row")).count()).toBe(seed.expected.decisions.denied);
    expect(await page.locator(tid("sign-in")).count()).toBe(0);
  });

  it("serves the app with the strict CSP, and Chromium reports no violation or script error", async () => {
    const problems: string[] = [];
    const fresh = await browser.context.newPage();
    fresh.on("console", (m) => {
      if (m.type() === "error" && !/401|Unauthorized/.test(m.text())) problems.push(m.text());
    });
    fresh.on("pageerror", (e) => problems.push(e.message));
    const response = await fresh.goto(`${seed.url}/#token=${seed.token}`);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await loaded(fresh, "executive");
    await fresh.close();
    expect(problems).toEqual([]);
  });
});

describe.skipIf(skipReason !== undefined)("the dashboard on a vouch serve with no data: every view says what to do", () => {
  let server: EmptyServer;
  let browser: TestBrowser;
  let page: Page;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startEmptyServer(), launchChromium()]);
    page = await browser.context.newPage();
    await page.goto(`${server.url}/#token=${server.token}`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.each([
    ["executive", "/"],
    ["oncall", "/oncall"],
    ["impact", "/impact"],
    ["artifact", `/artifacts/sha256:${"0".repeat(64)}`],
  ])("%s shows its empty state with the command that fills it", async (view, path) => {
    await page.goto(`${server.url}${path}`);
    await loaded(page, view);
    const root = page.locator(tid(`view-${view}`));
    const empty = root.locator(tid("empty-state"));
    // data-loaded is set once every request settled: the empty state (or whatever the view shows instead) is there.
    expect(await empty.count(), `the ${view} view shows: ${await root.textContent()}`).toBeGreaterThanOrEqual(1);
    expect(await empty.first().textContent()).toMatch(/vouch [a-z]/);
  });
});
