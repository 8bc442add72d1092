import { createHash, createPublicKey } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateProvenance } from "../../src/api/attest.js";
import { podAdmissionReview } from "./admission.js";
import { spawnVouch, vouchAsync, type CliResult, type RunningVouch } from "./cli.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "./registry.js";

/**
 * A `vouch serve` with a small supply chain in it, for the dashboard's end-to-end tests, screenshots and load
 * benchmark. Everything goes in as a user's tools put it there: the CLI (key generate, sign, attest, push sbom, push
 * attestation, key revoke, db import, token create), the public HTTP API (deployments at chosen times, a scan), and
 * real AdmissionReviews to /admission/validate against images in Debian's docker-registry. Nothing is written into a
 * store directly.
 *
 * The world (times are days before the seed ran):
 *
 *   service   team       env      artifact            SBOM              attestation (slsaprovenance)         deployed
 *   checkout  payments   prod     checkout 1.4.0      log4j 2.14.1      old-ci key, verified, complete        13d (replaced)
 *   checkout  payments   staging  checkout 1.4.0                                                            12d (replaced)
 *   checkout  payments   staging  checkout 1.5.0      log4j 2.16.0      release key, verified, complete       8d
 *   checkout  payments   prod     checkout 1.5.0                                                              6d
 *   search    discovery  staging  search 2.0.0        log4j 2.0-beta9   rogue key: fails verification        11d
 *   search    discovery  prod     search 2.0.0                                                               10d
 *   billing   payments   prod     billing 3.2.0       log4j 2.17.1      old-ci key, verified, incomplete       3d
 *   billing   payments   staging  billing 3.3.0-rc1   (none)            (none)                                1d
 *   ledger    (no team)  prod     ledger 0.9          (none)            (none)                                5d
 *
 * Then: the old-ci key is revoked (compromised 2 days ago: its signature on billing 3.2.0, logged today, is after the
 * compromise and billing 3.2.0 still runs in prod); checkout 1.5.0's image is signed (cosign-style) with the release
 * key; a CycloneDX VDR for checkout 1.5.0 says CVE-2021-45105 affects it and CVE-2021-44832 does not (VEX
 * not_affected); the advisory database holds GHSA-jfh8-c2jp-5v3q (Log4Shell, CVE-2021-44228). Three Pods are
 * admitted or not: checkout 1.5.0 (signed: allowed), search 2.0.0 (unsigned: denied by signed-by-release-key), and
 * ledger 0.9 from a registry that refuses connections (allowed by allow-and-record, awaiting reconciliation).
 */

const REPO = join(import.meta.dirname, "..", "..");
const FIXTURES = join(REPO, "src", "sbom-index", "fixtures");
const LOG4SHELL_OSV = join(REPO, "src", "vuln", "osv", "fixtures", "records", "GHSA-jfh8-c2jp-5v3q.json");
const DAY = 24 * 3600 * 1000;

export const LOG4J_CORE = "pkg:maven/org.apache.logging.log4j/log4j-core";

/** The seeded SLI values: computed here from the table above, never read back from the server. */
export interface ExpectedSlis {
  deployments: number;
  signedDeploymentRatio: number;
  sbomCoverage: number;
  sbomAlignment: number;
  provenanceCompleteness: number;
  denyRate: number;
}

export interface SeededDeployment {
  service: string;
  environment: string;
  digest: string;
  at: string;
  current: boolean;
}

export interface DashboardSeed {
  url: string;
  /** A read-scope token (what the dashboard's sign-in form takes). */
  token: string;
  /** An ingest+read token, for tests that add data. */
  ingestToken: string;
  /** The moment the seed took as "now" for the deployment times. */
  now: Date;
  digests: { checkout14: string; checkout15: string; search: string; billing: string; billingRc: string; ledger: string };
  images: { checkout15: string; search: string; ledger: string };
  deployments: SeededDeployment[];
  teams: Record<string, string[]>;
  /** The SLO targets the seed's vouch.yaml sets (index.slo), none of them the defaults: the charts' SLO lines. */
  targets: { signedDeploymentRatio: number; sbomCoverage: number; sbomAlignment: number; provenanceCompleteness: number; denyRate: number };
  /** `sha256:<hex of the SPKI>`: how the index names a key signer. */
  keys: { release: string; oldCi: string; rogue: string };
  attestations: { failedId: string };
  expected: {
    overall: ExpectedSlis;
    /** Per group (team | environment | service) and key: the signed-deployment ratio, and the deployments counted. */
    groups: { group: "team" | "environment" | "service"; key: string; deployments: number; signedDeploymentRatio: number }[];
    /** log4j-core <2.17.1: artifacts with their current deployments. */
    log4jAffected: { services: string[]; environments: string[]; rows: { service: string; environment: string; digest: string }[] };
    /** CVE-2021-44228 (through GHSA-jfh8-c2jp-5v3q's ranges). */
    log4shell: { services: string[]; environments: string[]; rows: { service: string; environment: string; digest: string }[] };
    decisions: { total: number; denied: number; pending: number };
    /** The denied Pod's image and its artifact. */
    deny: { image: string; digest: string; policy: string };
    anomaly: { service: string; identity: string };
    keyStatus: { identity: string; status: "ok" | "revoked" }[];
    /** The artifact page of search 2.0.0 (the deny's click-through): node counts by type. */
    searchGraph: { artifact: number; sbom: number; attestation: number; deployment: number };
    /** checkout 1.5.0's SBOM: its components, and how many match "log4j". */
    checkoutComponents: { total: number; log4j: number };
    /** checkout 1.5.0 against 1.4.0: log4j-core and log4j-api 2.14.1 → 2.16.0, Flask_Cors removed, Vendored-Zlib added. */
    checkoutDiff: { added: number; removed: number; upgraded: number; downgraded: number };
    vulnerabilities: { id: string; vex: string }[];
  };
  stop(): Promise<void>;
}

/** Why the seed cannot run here (it needs Debian's docker-registry for the admission part), or undefined. */
export function dashboardSeedUnavailable(): string | undefined {
  return registryUnavailable();
}

/** A loopback port that was free a moment ago and has nothing listening on it now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const ratio = (n: number, d: number) => Math.round((n / d) * 1000) / 1000;
const sha256Of = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
/** The index names a key signer by the sha256 of its SubjectPublicKeyInfo (DER). */
const keyIdentity = (pem: string) => `sha256:${createHash("sha256").update(createPublicKey(pem).export({ type: "spki", format: "der" })).digest("hex")}`;

function ok(result: CliResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

async function api(url: string, token: string, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": contentType } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

/**
 * Seeds a fresh `vouch serve` (real process, SQLite in a temp data directory) as described above and returns where
 * it listens, a read token and the numbers the dashboard must show.
 */
export async function seedDashboard(options: { port?: number } = {}): Promise<DashboardSeed> {
  const work = mkdtempSync(join(tmpdir(), "vouch-dashboard-seed-"));
  const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "dashboard seed password", VOUCH_CACHE_DIR: join(work, "cache") };
  const cli = (args: string[], what: string) => vouchAsync(args, { env }).then((r) => ok(r, what));
  let registry: RunningRegistry | undefined;
  let server: RunningVouch | undefined;
  const stop = async () => {
    await server?.stop();
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
    registry = await startRegistry();
    const reg = registry.host;

    // Images: the deployable artifacts are real registry images, so admission resolves the same digests the index holds.
    const image = (name: string, version: string) => buildTestImage({ layers: [[{ path: "srv/app", content: `${name} ${version}\n` }]] });
    const checkout14 = image("checkout", "1.4.0");
    const checkout15 = image("checkout", "1.5.0");
    const search = image("search", "2.0.0");
    const billing = image("billing", "3.2.0");
    await Promise.all([
      pushTestImage({ registry: reg, repository: "shop/checkout" }, checkout14, "1.4.0"),
      pushTestImage({ registry: reg, repository: "shop/checkout" }, checkout15, "1.5.0"),
      pushTestImage({ registry: reg, repository: "shop/search" }, search, "2.0.0"),
      pushTestImage({ registry: reg, repository: "shop/billing" }, billing, "3.2.0"),
    ]);
    const digests = {
      checkout14: checkout14.manifest.digest,
      checkout15: checkout15.manifest.digest,
      search: search.manifest.digest,
      billing: billing.manifest.digest,
      // Never pushed anywhere: deployed artifacts the index has no SBOM for.
      billingRc: sha256Of("billing 3.3.0-rc1 image"),
      ledger: sha256Of("ledger 0.9 image"),
    };
    // ledger's registry is down: a loopback port nothing listens on (connections refused), as an outage looks.
    const downRegistry = `127.0.0.1:${await closedPort()}`;
    const images = { checkout15: `${reg}/shop/checkout:1.5.0`, search: `${reg}/shop/search:2.0.0`, ledger: `${downRegistry}/legacy/ledger:0.9` };

    // Keys, the advisory database, tokens: before the server starts (the CLI writes the data directory).
    await Promise.all(["release", "old-ci", "rogue"].map((k) => cli(["key", "generate", "--out", join(work, k)], `key generate ${k}`)));
    const pem = (k: string) => readFileSync(join(work, `${k}.pub`), "utf8");
    const keys = { release: keyIdentity(pem("release")), oldCi: keyIdentity(pem("old-ci")), rogue: keyIdentity(pem("rogue")) };
    await cli(["db", "import", LOG4SHELL_OSV], "db import");
    const ingestToken = (await cli(["token", "create", "--scope", "ingest,read", "--name", "ci"], "token create")).trim();
    const token = (await cli(["token", "create", "--scope", "read", "--name", "dashboard"], "token create")).trim();

    const teams = { payments: ["checkout", "billing"], discovery: ["search"] };
    const targets = { signedDeploymentRatio: 0.9, sbomCoverage: 0.85, sbomAlignment: 0.8, provenanceCompleteness: 0.6, denyRate: 0.1 };
    const indexYaml = [
      "index:",
      `  slo: ${JSON.stringify(targets)}`,
      "  teams:",
      ...Object.entries(teams).map(([team, services]) => `    ${team}: [${services.join(", ")}]`),
      "  trust:",
      `    keys: [${JSON.stringify(join(work, "release.pub"))}, ${JSON.stringify(join(work, "old-ci.pub"))}]`,
    ].join("\n");
    const config = join(work, "vouch.yaml");
    writeFileSync(config, `${indexYaml}\n`);
    // First start: creates the log key (its trusted root is what admission verifies signatures' log entries against).
    server = await spawnVouch(["serve", "--port", "0", "--config", config], { env });
    const first = server.url;

    // SBOMs (the CLI, as CI pushes them).
    const releases = [
      { service: "checkout", version: "1.4.0", file: "checkout-1.4.0-log4j-2.14.1.cdx.json", digest: digests.checkout14 },
      { service: "checkout", version: "1.5.0", file: "checkout-1.5.0-log4j-2.16.0.cdx.json", digest: digests.checkout15 },
      { service: "search", version: "2.0.0", file: "search-2.0.0-log4j-2.0-beta9.spdx.json", digest: digests.search },
      { service: "billing", version: "3.2.0", file: "billing-3.2.0-log4j-2.17.1.cdx.json", digest: digests.billing },
    ];
    // In order: the release diff compares a service's SBOMs by ingest time.
    for (const r of releases) {
      await cli(["push", "sbom", join(FIXTURES, r.file), "--server", first, "--token", ingestToken, "--service", r.service, "--version", r.version, "--digest", r.digest], `push sbom ${r.service}`);
    }

    // Deployments at chosen times (the API takes `at`; the CLI pushes "now").
    const deployments: SeededDeployment[] = [
      { service: "checkout", environment: "prod", digest: digests.checkout14, at: ago(13), current: false },
      { service: "checkout", environment: "staging", digest: digests.checkout14, at: ago(12), current: false },
      { service: "search", environment: "staging", digest: digests.search, at: ago(11), current: true },
      { service: "search", environment: "prod", digest: digests.search, at: ago(10), current: true },
      { service: "checkout", environment: "staging", digest: digests.checkout15, at: ago(8), current: true },
      { service: "checkout", environment: "prod", digest: digests.checkout15, at: ago(6), current: true },
      { service: "ledger", environment: "prod", digest: digests.ledger, at: ago(5), current: true },
      { service: "billing", environment: "prod", digest: digests.billing, at: ago(3), current: true },
      { service: "billing", environment: "staging", digest: digests.billingRc, at: ago(1), current: true },
    ];
    for (const d of deployments) await api(first, ingestToken, "POST", "/api/v1/deployments", { service: d.service, environment: d.environment, digest: d.digest, at: d.at });

    // Attestations: SLSA provenance over the image manifest (its sha256 is the image digest), signed with a key and
    // logged in this server's log, pushed to the index, verified on ingest against index.trust.keys.
    const attest = async (name: string, manifest: Uint8Array, key: string, predicate: object) => {
      const subject = join(work, `${name}.manifest.json`);
      writeFileSync(subject, manifest);
      writeFileSync(join(work, `${name}.provenance.json`), JSON.stringify(predicate));
      const bundle = join(work, `${name}.sigstore.json`);
      await cli(["attest", subject, "--type", "slsaprovenance", "--predicate", join(work, `${name}.provenance.json`), "--key", join(work, `${key}.key`), "--tlog-url", first, "--bundle", bundle], `attest ${name}`);
      const pushed = JSON.parse(await cli(["push", "attestation", bundle, "--server", first, "--token", ingestToken, "-o", "json"], `push attestation ${name}`)) as {
        attestation: { id: string; verified: boolean; reason?: string };
      };
      return pushed.attestation;
    };
    const github = (sha: string) => ({
      GITHUB_ACTIONS: "true",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "shop/monorepo",
      GITHUB_RUN_ID: String(parseInt(sha.slice(0, 6), 16)),
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_REF: "refs/heads/main",
      GITHUB_SHA: sha,
      GITHUB_WORKFLOW_REF: "shop/monorepo/.github/workflows/release.yml@refs/heads/main",
      GITHUB_EVENT_NAME: "push",
    });
    const complete = (sha: string) => generateProvenance({ env: github(sha), now: () => now });
    const a14 = await attest("checkout-1.4.0", checkout14.manifest.bytes, "old-ci", complete("1".repeat(40)));
    const aBilling = await attest("billing-3.2.0", billing.manifest.bytes, "old-ci", {
      // No source, no run id: verified, but provenance incomplete.
      buildDefinition: { buildType: "https://shop.example/build/manual@v1", externalParameters: { target: "billing" } },
      runDetails: { builder: { id: "https://shop.example/builders/laptop" } },
    });
    // The signer anomaly is ordered by first signature (log integrated time, whole seconds): the release key's first
    // signature on checkout must come in a later second than the old CI key's.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const a15 = await attest("checkout-1.5.0", checkout15.manifest.bytes, "release", complete("2".repeat(40)));
    const aSearch = await attest("search-2.0.0", search.manifest.bytes, "rogue", complete("3".repeat(40)));
    for (const [name, a, verified] of [["checkout 1.4.0", a14, true], ["billing", aBilling, true], ["checkout 1.5.0", a15, true], ["search", aSearch, false]] as const) {
      if (a.verified !== verified) throw new Error(`seed: the ${name} attestation was ${a.verified ? "verified" : `not verified (${a.reason})`}, expected ${verified ? "verified" : "a failure"}`);
    }

    // A scan of checkout 1.5.0: one finding stands, one is covered by a VEX statement (CycloneDX VDR analysis).
    const log4j216 = `${LOG4J_CORE}@2.16.0`;
    const vdr = {
      bomFormat: "CycloneDX",
      specVersion: "1.6",
      version: 1,
      components: [{ type: "library", "bom-ref": log4j216, name: "log4j-core", group: "org.apache.logging.log4j", version: "2.16.0", purl: log4j216 }],
      vulnerabilities: [
        { id: "CVE-2021-45105", ratings: [{ severity: "medium", score: 5.9 }], affects: [{ ref: log4j216 }] },
        {
          id: "CVE-2021-44832",
          ratings: [{ severity: "medium", score: 6.6 }],
          analysis: { state: "not_affected", justification: "requires_configuration", detail: "JDBC appender not configured" },
          affects: [{ ref: log4j216 }],
        },
      ],
    };
    await api(first, ingestToken, "POST", `/api/v1/scans?service=checkout&digest=${encodeURIComponent(digests.checkout15)}`, JSON.stringify(vdr), "application/vnd.cyclonedx+json");

    // The old CI key leaked two days ago: its signature on billing 3.2.0 (logged today) postdates the compromise.
    await cli(["key", "revoke", join(work, "old-ci.pub"), "--compromised-at", ago(2), "--reason", "CI runner image leaked"], "key revoke");

    // checkout 1.5.0's image signed with the release key in this log (what admission checks), and the trust material.
    await cli(["sign", images.checkout15, "--key", join(work, "release.key"), "--tlog-url", first], "sign checkout image");
    await cli(["trust", "export", "--out", join(work, "trust"), "--log-url", first], "trust export");

    // Second start, with admission: the policies need the trusted root the first start's log key made.
    await server.stop();
    server = undefined;
    mkdirSync(join(work, "policies"));
    copyFileSync(join(work, "release.pub"), join(work, "policies-release.pub"));
    writeFileSync(
      join(work, "policies", "policies.yaml"),
      `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: signed-by-release-key }
spec:
  mode: enforce
  images: [ { glob: "${reg}/shop/**" } ]
  authorities:
    - key: { path: ${join(work, "policies-release.pub")} }
---
apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: legacy-fail-open }
spec:
  mode: enforce
  images: [ { glob: "${downRegistry}/legacy/**" } ]
  authorities:
    - key: { path: ${join(work, "policies-release.pub")} }
  onVerificationUnavailable: allow-and-record
`,
    );
    writeFileSync(config, `${indexYaml}\nadmission:\n  policies: ${JSON.stringify(join(work, "policies"))}\n  trustedRoot: ${JSON.stringify(join(work, "trust", "trusted_root.json"))}\n  noMatch: deny\n`);
    server = await spawnVouch(["serve", "--port", String(options.port ?? 0), "--config", config], { env: { ...env, VOUCH_LOG_LEVEL: "warn" } });
    const url = server.url;

    const review = async (uid: string, ref: string) => {
      const answer = (await api(url, ingestToken, "POST", "/admission/validate", podAdmissionReview(uid, [ref], { namespace: "prod" }))) as { response: { allowed: boolean; status?: { message: string } } };
      return answer.response;
    };
    const allowed = await review("dashboard-seed-allowed", images.checkout15);
    const denied = await review("dashboard-seed-denied", images.search);
    const pending = await review("dashboard-seed-outage", images.ledger);
    if (!allowed.allowed || denied.allowed || !pending.allowed) {
      throw new Error(`seed: admission answered allowed=${allowed.allowed}/${denied.allowed}/${pending.allowed}, expected true/false/true: ${JSON.stringify([allowed, denied, pending])}`);
    }
    // The engine records decisions in the background: wait until all three are in the store.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const slis = (await api(url, token, "GET", "/api/v1/slis")) as { overall: { denyRate: { denominator?: number } } };
      if (slis.overall.denyRate.denominator === 3) break;
      if (Date.now() > deadline) throw new Error(`seed: decisions not recorded: ${JSON.stringify(slis.overall.denyRate)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // What the dashboard must show, counted from the table above.
    const current = deployments.filter((d) => d.current);
    const signed = new Set([digests.checkout15, digests.billing]);
    const described = new Set([digests.checkout14, digests.checkout15, digests.search, digests.billing]);
    const servicesWithSbom = new Set(["checkout", "search", "billing"]);
    const completeProvenance = new Set([digests.checkout15]);
    const count = (list: SeededDeployment[], pick: (d: SeededDeployment) => boolean) => list.filter(pick).length;
    const teamOf = (service: string) => Object.entries(teams).find(([, s]) => s.includes(service))?.[0];
    const groups: DashboardSeed["expected"]["groups"] = [];
    for (const group of ["team", "environment", "service"] as const) {
      const keyOf = (d: SeededDeployment) => (group === "team" ? teamOf(d.service) : group === "environment" ? d.environment : d.service);
      for (const key of [...new Set(current.map(keyOf))].filter((k): k is string => k !== undefined).sort()) {
        const members = current.filter((d) => keyOf(d) === key);
        groups.push({ group, key, deployments: members.length, signedDeploymentRatio: ratio(count(members, (d) => signed.has(d.digest)), members.length) });
      }
    }
    const vulnerableDigests = new Set([digests.checkout14, digests.checkout15, digests.search]);
    const log4shellDigests = new Set([digests.checkout14, digests.search]);
    const affected = (set: Set<string>) => {
      const rows = current.filter((d) => set.has(d.digest)).map(({ service, environment, digest }) => ({ service, environment, digest }));
      return { services: [...new Set(rows.map((r) => r.service))].sort(), environments: [...new Set(rows.map((r) => r.environment))].sort(), rows };
    };
    return {
      url,
      token,
      ingestToken,
      now,
      digests,
      images,
      deployments,
      teams,
      targets,
      keys,
      attestations: { failedId: aSearch.id },
      expected: {
        overall: {
          deployments: current.length,
          signedDeploymentRatio: ratio(count(current, (d) => signed.has(d.digest)), current.length),
          sbomCoverage: ratio(count(current, (d) => servicesWithSbom.has(d.service)), current.length),
          sbomAlignment: ratio(count(current, (d) => described.has(d.digest)), current.length),
          provenanceCompleteness: ratio(count(current, (d) => completeProvenance.has(d.digest)), current.length),
          denyRate: ratio(1, 3),
        },
        groups,
        log4jAffected: affected(vulnerableDigests),
        log4shell: affected(log4shellDigests),
        decisions: { total: 3, denied: 1, pending: 1 },
        deny: { image: images.search, digest: digests.search, policy: "signed-by-release-key" },
        anomaly: { service: "checkout", identity: keys.release },
        keyStatus: [
          { identity: keys.release, status: "ok" },
          { identity: keys.oldCi, status: "revoked" },
        ],
        searchGraph: { artifact: 1, sbom: 1, attestation: 1, deployment: 2 },
        checkoutComponents: { total: 3, log4j: 2 },
        checkoutDiff: { added: 1, removed: 1, upgraded: 2, downgraded: 0 },
        vulnerabilities: [
          { id: "CVE-2021-44832", vex: "not_affected" },
          { id: "CVE-2021-45105", vex: "none" },
        ],
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

export interface EmptyServer {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** A `vouch serve` with nothing in it (and a read token): every view's empty state. */
export async function startEmptyServer(): Promise<EmptyServer> {
  const work = mkdtempSync(join(tmpdir(), "vouch-dashboard-empty-"));
  const env = { VOUCH_DATA_DIR: join(work, "data") };
  let server: RunningVouch | undefined;
  try {
    const token = ok(await vouchAsync(["token", "create", "--scope", "read", "--name", "dashboard"], { env }), "token create").trim();
    server = await spawnVouch(["serve", "--port", "0"], { env });
    const running = server;
    return {
      url: running.url,
      token,
      stop: async () => {
        await running.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}
