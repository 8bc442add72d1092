/**
 * `vouch serve` and its dashboard switch as a real process: served at / by default (the built app, or 404
 * DASHBOARD_NOT_BUILT with the build command when dist/web is missing), gone with `dashboard.enabled: false`, and a
 * malformed `dashboard:` section refused at start (exit 2, one line naming the field).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnVouch, vouchAsync } from "../support/cli.js";

const REPO = join(import.meta.dirname, "..", "..");
const built = existsSync(join(REPO, "dist", "web", "index.html"));
const work = mkdtempSync(join(tmpdir(), "vouch-e2e-dashboard-serve-"));
const env = { VOUCH_DATA_DIR: join(work, "data") };
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("vouch serve's dashboard", () => {
  it(`serves ${built ? "the built app" : "DASHBOARD_NOT_BUILT"} at / by default, and says where`, async () => {
    const server = await spawnVouch(["serve", "--port", "0"], { env });
    try {
      await server.waitForOutput(/dashboard at http:\/\/127\.0\.0\.1:\d+\//);
      const res = await fetch(`${server.url}/oncall`, { headers: { accept: "text/html" } });
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      if (built) {
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^text\/html/);
        const html = await res.text();
        const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
        expect(script, html).toBeDefined();
        const asset = await fetch(`${server.url}${script}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
        // Read whole: an unread body keeps the connection busy, and the server's drain on SIGTERM waits for it.
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);
      } else {
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ code: "DASHBOARD_NOT_BUILT", hint: "npm run build" });
      }
      // The API beside it is untouched.
      const ready = await fetch(`${server.url}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: "ready" }]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("is not served with dashboard.enabled: false", async () => {
    const config = join(work, "off.yaml");
    writeFileSync(config, "dashboard:\n  enabled: false\n");
    const server = await spawnVouch(["serve", "--port", "0", "--config", config], { env });
    try {
      await server.waitForOutput(/SBOM index at/);
      expect(server.output().stdout).not.toMatch(/dashboard at/);
      const res = await fetch(`${server.url}/`, { headers: { accept: "text/html" } });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: 404, message: "no route GET /" });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("refuses a malformed dashboard section at start: exit 2, one line naming the field", async () => {
    const config = join(work, "bad.yaml");
    writeFileSync(config, "dashboard:\n  enabled: sometimes\n");
    const result = await vouchAsync(["serve", "--port", "0", "--config", config], { env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("/dashboard/enabled");
  });
});
