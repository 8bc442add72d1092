import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnVouch, vouchAsync, type RunningVouch } from "../support/cli.js";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../support/postgres.js";

/**
 * The SBOM index end to end, as the issue writes it: `vouch serve` (a real process on SQLite in its data directory)
 * + `vouch token create` + `vouch push sbom` + `vouch push deployment` + `vouch query affected`, for Log4Shell:
 * `--purl pkg:maven/org.apache.logging.log4j/log4j-core --range '<2.17.1'` finds the artifacts with 2.14.1 and
 * 2.16.0 and not the one with 2.17.1, and names where they run.
 */

const REPO = join(import.meta.dirname, "..", "..");
const LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core";

function cyclonedx(serial: string, components: { group?: string; name: string; version: string; purl: string }[]): string {
  return JSON.stringify(
    {
      bomFormat: "CycloneDX",
      specVersion: "1.5",
      serialNumber: `urn:uuid:${serial}`,
      version: 1,
      components: components.map((c) => ({ type: "library", "bom-ref": c.purl, ...c })),
    },
    null,
    2,
  );
}

const digestOf = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

const pgUnavailable = await postgresUnavailable();

describeIndexEndToEnd("SQLite in the data directory", async () => ({}));
describe.skipIf(pgUnavailable !== undefined)("on PostgreSQL", () => {
  describeIndexEndToEnd("PostgreSQL (DATABASE_URL)", async () => {
    const database: TestDatabase = await createTestDatabase();
    return { env: { DATABASE_URL: database.url }, dispose: () => database.drop() };
  });
});

function describeIndexEndToEnd(store: string, setup: () => Promise<{ env?: Record<string, string>; dispose?: () => Promise<void> }>): void {
  describe(`vouch serve's SBOM index: push and impact over the CLI, ${store}`, () => {
    let work: string;
    let server: RunningVouch;
    let token: string;
    let storeEnv: Record<string, string> = {};
    let dispose: (() => Promise<void>) | undefined;
    const env = () => ({ VOUCH_DATA_DIR: join(work, "data"), ...storeEnv });
    const cli = (args: string[], extra: Record<string, string> = {}) => vouchAsync(args, { env: { ...env(), ...extra } });
    const releases = [
      { service: "payments", version: "1.0.0", log4j: "2.14.1", environment: "prod" },
      { service: "search", version: "4.2.0", log4j: "2.16.0", environment: "staging" },
      { service: "billing", version: "7.1.0", log4j: "2.17.1", environment: "prod" },
    ].map((r, i) => {
      const text = cyclonedx(`00000000-0000-4000-8000-00000000000${i}`, [
        { group: "org.apache.logging.log4j", name: "log4j-core", version: r.log4j, purl: `${LOG4J}@${r.log4j}` },
        { group: "org.apache.logging.log4j", name: "log4j-api", version: r.log4j, purl: `pkg:maven/org.apache.logging.log4j/log4j-api@${r.log4j}` },
        { name: "jackson-databind", group: "com.fasterxml.jackson.core", version: "2.15.2", purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2" },
      ]);
      return { ...r, text, artifact: digestOf(`image of ${r.service} ${r.version}`) };
    });

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "vouch-e2e-index-"));
      const prepared = await setup();
      storeEnv = prepared.env ?? {};
      dispose = prepared.dispose;
      const config = join(work, "vouch.yaml");
      writeFileSync(config, "index:\n  anonymousRead: true\n  maxSbomBytes: 1048576\n");
      const created = await cli(["token", "create", "--scope", "ingest,read", "--name", "ci"]);
      expect(created.code, created.stderr).toBe(0);
      token = created.stdout.trim();
      server = await spawnVouch(["serve", "--port", "0", "--config", config], { env: env() });
    }, 60_000);
    afterAll(async () => {
      if (server !== undefined) expect(await server.stop()).toBe(0);
      await dispose?.();
      rmSync(work, { recursive: true, force: true });
    });

    it("announces the index, and serves /readyz, /openapi.json and /metrics", async () => {
      await server.waitForOutput(/SBOM index at http:\/\/\S+\/api\/v1/);
      expect(server.output().stdout).toMatch(store.startsWith("PostgreSQL") ? /SBOM index .*store: PostgreSQL/ : /SBOM index .*store: SQLite/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/sboms", "/api/v1/deployments", "/api/v1/affected", "/api/v1/log/entries"]));
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/vouch_http_requests_total/);
    });

    it("finds exactly the Log4Shell-vulnerable artifacts and where they run", async () => {
      for (const r of releases) {
        const file = join(work, `${r.service}.cdx.json`);
        writeFileSync(file, r.text);
        const pushed = await cli(["push", "sbom", file, "--server", server.url, "--token", token, "--service", r.service, "--version", r.version, "--digest", r.artifact]);
        expect(pushed.code, pushed.stderr).toBe(0);
        expect(pushed.stdout).toMatch(new RegExp(`^indexed ${digestOf(r.text)} for ${r.service} ${r.version}`));
        const deployed = await cli(["push", "deployment", "--service", r.service, "--environment", r.environment, "--digest", r.artifact], { VOUCH_SERVER: server.url, VOUCH_TOKEN: token });
        expect(deployed.code, deployed.stderr).toBe(0);
      }
      // The same SBOM again is the same SBOM.
      const again = await cli(["push", "sbom", join(work, "payments.cdx.json"), "--server", server.url, "--token", token, "--service", "payments", "--version", "1.0.0", "--digest", releases[0]!.artifact, "-o", "json"]);
      expect(JSON.parse(again.stdout)).toMatchObject({ id: digestOf(releases[0]!.text), created: false, components: 3 });

      const json = await cli(["query", "affected", "--server", server.url, "--token", token, "--purl", LOG4J, "--range", "<2.17.1", "-o", "json"]);
      expect(json.code, json.stderr).toBe(0);
      const result = JSON.parse(json.stdout) as { artifacts: { service: string; version: string; digest: string; components: { version: string }[]; deployments: { environment: string }[] }[]; services: string[]; environments: string[] };
      expect(result.artifacts.map((a) => [a.service, a.version, a.digest, a.components.map((c) => c.version)]).sort()).toEqual([
        ["payments", "1.0.0", releases[0]!.artifact, ["2.14.1"]],
        ["search", "4.2.0", releases[1]!.artifact, ["2.16.0"]],
      ]);
      expect(result.services).toEqual(["payments", "search"]);
      expect(result.environments).toEqual(["prod", "staging"]);

      // Anonymous reads are on in this server's vouch.yaml: the table needs no token.
      const table = await cli(["query", "affected", "--server", server.url, "--purl", LOG4J, "--range", "<2.17.1"]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`payments\\s+prod\\s+1\\.0\\.0\\s+${releases[0]!.artifact}\\s+2\\.14\\.1`));
      expect(table.stdout).toMatch(new RegExp(`search\\s+staging\\s+4\\.2\\.0\\s+${releases[1]!.artifact}\\s+2\\.16\\.0`));
      expect(table.stdout).not.toMatch(/billing/);
      const exact = await cli(["query", "affected", "--server", server.url, "--purl", `${LOG4J}@2.17.1`, "-o", "json"]);
      expect((JSON.parse(exact.stdout) as { services: string[] }).services).toEqual(["billing"]);
    });

    it("takes vouch scan's reports and answers which running deployments have which vulnerabilities", async () => {
      // The advisory database vouch scan reads (real OSV records); the SBOMs and deployments of the test above.
      const imported = await cli(["db", "import", join(REPO, "src", "vuln", "osv", "fixtures", "records")]);
      expect(imported.code, imported.stderr).toBe(0);
      for (const r of [releases[0]!, releases[2]!]) {
        const report = await cli(["scan", join(work, `${r.service}.cdx.json`), "-o", "json"]);
        expect(report.code, report.stderr).toBe(0);
        const file = join(work, `${r.service}.scan.json`);
        writeFileSync(file, report.stdout);
        const pushed = await cli(["push", "scan", file, "--service", r.service, "--digest", r.artifact, "--server", server.url, "--token", token]);
        expect(pushed.code, pushed.stderr).toBe(0);
        expect(pushed.stdout).toMatch(new RegExp(`^stored scan sha256:[0-9a-f]{64} of ${r.service} \\(${r.artifact}\\)`));
      }
      const json = await cli(["query", "vulnerabilities", "--severity", "high", "--server", server.url, "--token", token, "-o", "json"]);
      expect(json.code, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout) as { vulnerabilities: { id: string; aliases: string[]; kev: boolean; deployments: { service: string; environment: string }[] }[]; deployments: number; unscanned: number };
      const log4shell = report.vulnerabilities.find((v) => v.id === "GHSA-jfh8-c2jp-5v3q");
      expect(log4shell?.aliases).toContain("CVE-2021-44228");
      expect(log4shell?.deployments.map((d) => [d.service, d.environment])).toEqual([["payments", "prod"]]);
      // billing runs 2.17.1: nothing at or above high; search was never scanned, and is counted as such.
      expect(report.vulnerabilities.flatMap((v) => v.deployments.map((d) => d.service))).not.toContain("billing");
      expect(report.unscanned).toBeGreaterThanOrEqual(1);
      const table = await cli(["query", "vulnerabilities", "--service", "payments", "--server", server.url]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^VULNERABILITY\s+SEVERITY\s+KEV/);
      expect(table.stdout).toMatch(/GHSA-jfh8-c2jp-5v3q\s+critical \(10\.0\)\s+\S*\s+org\.apache\.logging\.log4j:log4j-core@2\.14\.1/);
      const bad = await cli(["push", "scan", join(work, "payments.cdx.json"), "--service", "payments", "--digest", releases[0]!.artifact, "--server", server.url, "--token", token]);
      expect([bad.code, bad.stderr.trim().split("\n").length]).toEqual([2, 1]);
    });

    it("indexes a real SPDX SBOM from the wild and finds its packages by name", async () => {
      const file = join(REPO, "test", "fixtures", "sboms-in-the-wild", "spdx23_apko_curl.json");
      const pushed = await cli(["push", "sbom", file, "--server", server.url, "--token", token, "--service", "curl-image", "-o", "json"]);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({ format: "spdx", specVersion: "2.3" });
      const found = await cli(["query", "affected", "--server", server.url, "--name", "CURL", "-o", "json"]);
      expect(found.code, found.stderr).toBe(0);
      expect((JSON.parse(found.stdout) as { artifacts: { service: string }[] }).artifacts.map((a) => a.service)).toContain("curl-image");
    });

    it("sees a token created or revoked while it runs, and never opens writes to anonymous callers", async () => {
      const created = await cli(["token", "create", "--scope", "ingest"]);
      const late = created.stdout.trim();
      const deploy = (t?: string) =>
        cli(["push", "deployment", "--server", server.url, ...(t === undefined ? [] : ["--token", t]), "--service", "late", "--environment", "dev", "--digest", releases[2]!.artifact]);
      expect((await deploy(late)).code).toBe(0);
      expect((await cli(["token", "revoke", late.slice(6, 22)])).code).toBe(0);
      const refused = await deploy(late);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/answered 401: token [0-9a-f]{16} was revoked/);
      const anonymous = await fetch(`${server.url}/api/v1/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ service: "x", environment: "y", digest: releases[0]!.artifact }) });
      expect(anonymous.status).toBe(401);
    });
  });
}
