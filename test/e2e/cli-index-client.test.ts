import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/server/app.js";
import type { TokenStore } from "../../src/store/ports.js";
import { openSqliteTokenStore } from "../../src/store/sqlite/token-store.js";
import { vouchAsync } from "../support/cli.js";
import { FakeIndexService } from "../support/fake-index-service.js";

/**
 * `vouch token`, `vouch push` and `vouch query` as a user runs them, against an index API served in this process over
 * a fake IndexService (the real index is covered by cli-index.test.ts through `vouch serve`). The tokens are created
 * by the CLI in the data directory the server reads, as `vouch serve` does.
 */

const log4j = (v: string) =>
  JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5", version: 1, components: [{ type: "library", name: "log4j-core", version: v, purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${v}` }] });
const DIGEST = `sha256:${"c".repeat(64)}`;

describe("vouch token / push / query against an index API", () => {
  let dir: string;
  let dataDir: string;
  let tokens: TokenStore;
  let app: FastifyInstance;
  let server: string;
  const service = new FakeIndexService();
  const cli = (args: string[], env: Record<string, string> = {}) => vouchAsync(["--data-dir", dataDir, ...args], { env });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-cli-index-"));
    dataDir = join(dir, "data");
    tokens = await openSqliteTokenStore(join(dataDir, "index.sqlite"));
    app = await buildApp({ index: { service, tokens } });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    server = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    await tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates tokens (printed once, stored hashed), lists and revokes them; bad flags exit 2", async () => {
    const created = await cli(["token", "create", "--scope", "read", "--name", "dashboard", "--expires-in", "90d"]);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^vouch_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/not shown again/);
    const id = token.slice(6, 22);
    const listed = await cli(["token", "list", "-o", "json"]);
    const entry = (JSON.parse(listed.stdout) as { id: string; name: string; scopes: string[]; expiresAt: string }[]).find((t) => t.id === id);
    expect(entry).toMatchObject({ name: "dashboard", scopes: ["read"] });
    expect(Date.parse(entry!.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(listed.stdout).not.toContain(token);
    const table = await cli(["token", "list"]);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+dashboard\\s+read\\s+`));
    const revoked = await cli(["token", "revoke", id]);
    expect(revoked.code).toBe(0);
    expect((await cli(["token", "list"])).stdout).toMatch(new RegExp(`${id}.*revoked`));
    for (const args of [["token", "revoke", "0123456789abcdef"], ["token", "create", "--scope", "write"], ["token", "create", "--scope", "read", "--expires-in", "soon"], ["token", "create"]]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n").length, r.stderr).toBeLessThanOrEqual(2);
    }
  });

  it("pushes SBOMs and deployments and queries impact, with the token from the CLI; refusals exit 2 with the reason", async () => {
    const ingest = (await cli(["token", "create", "--scope", "ingest,read"])).stdout.trim();
    const file = join(dir, "payments.cdx.json");
    writeFileSync(file, log4j("2.14.1"));
    const pushed = await cli(["push", "sbom", file, "--server", server, "--token", ingest, "--service", "payments", "--version", "1.2.0", "--digest", DIGEST]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/^indexed sha256:[0-9a-f]{64} for payments 1\.2\.0 \(sha256:c+\): cyclonedx 1\.5, 1 components/);
    const again = await cli(["push", "sbom", file, "--service", "payments", "--version", "1.2.0", "--digest", DIGEST, "-o", "json"], { VOUCH_SERVER: server, VOUCH_TOKEN: ingest });
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, service: "payments", version: "1.2.0" });
    const deployed = await cli(["push", "deployment", "--server", server, "--token", ingest, "--service", "payments", "--environment", "prod", "--digest", DIGEST]);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/recorded deployment .*: payments in prod runs sha256:c+/);
    const token = ingest.slice(6, 22);
    expect([...service.sboms.values()][0]?.by).toBe(token);
    expect(service.deployments[0]?.by).toBe(token);

    const table = await cli(["query", "affected", "--server", server, "--token", ingest, "--purl", "pkg:maven/org.apache.logging.log4j/log4j-core", "--range", "<2.17.1"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/SERVICE\s+ENVIRONMENT\s+VERSION\s+DIGEST\s+COMPONENT VERSION/);
    expect(table.stdout).toMatch(new RegExp(`payments\\s+prod\\s+1\\.2\\.0\\s+${DIGEST}\\s+2\\.14\\.1`));
    const json = await cli(["query", "affected", "--purl", "pkg:maven/org.apache.logging.log4j/log4j-core", "-o", "json"], { VOUCH_SERVER: server, VOUCH_TOKEN: ingest });
    expect(JSON.parse(json.stdout)).toMatchObject({ services: ["payments"], environments: ["prod"] });

    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const port = (probe.address() as { port: number }).port;
        probe.close(() => resolve(port));
      });
    });
    const refusals: [string[], RegExp][] = [
      [["query", "affected", "--server", server, "--name", "x"], /answered 401: a token is required.*VOUCH_TOKEN/],
      [["push", "sbom", file, "--server", server, "--service", "payments"], /--token \(or VOUCH_TOKEN\)/],
      [["push", "sbom", file, "--server", server, "--token", `${ingest.slice(0, 23)}${"x".repeat(43)}`, "--service", "payments"], /answered 401: the token is not valid/],
      [["push", "sbom", join(dir, "missing.json"), "--server", server, "--token", ingest, "--service", "payments"], /missing\.json: no such file/],
      [["push", "sbom", file, "--server", server, "--token", ingest, "--service", "../etc"], /answered 400: .*service/],
      [["push", "deployment", "--server", server, "--token", ingest, "--service", "a", "--environment", "prod", "--digest", "sha256:beef"], /--digest sha256:beef: use sha256:<64/],
      [["query", "affected", "--server", server, "--token", ingest, "--name", "a", "--purl", "pkg:npm/a"], /exactly one of --purl, --name or --advisory/],
      [["query", "affected", "--server", "ftp://x", "--name", "a"], /use an http or https URL/],
      [["query", "affected", "--server", `http://127.0.0.1:${closed}`, "--name", "a"], new RegExp(`cannot reach http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`)],
      [["query", "affected", "--name", "a"], /--server URL \(or VOUCH_SERVER\)/],
    ];
    for (const [args, message] of refusals) {
      const r = await cli(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const notJson = join(dir, "broken.json");
    writeFileSync(notJson, '{"bomFormat": ');
    const broken = await cli(["push", "sbom", notJson, "--server", server, "--token", ingest, "--service", "payments"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json: .*answered 400: the body is not JSON/);
  });
});
