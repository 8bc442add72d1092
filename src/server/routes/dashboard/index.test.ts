import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isVouchError } from "../../../core/errors.js";
import { loadConfig } from "../../../runtime.js";
import { buildApp } from "../../app.js";
import { DASHBOARD_SECURITY_HEADERS, packageRoot } from "./index.js";

const REPO = join(import.meta.dirname, "..", "..", "..", "..");
const SECRET = "do-not-serve-this-secret";
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = "console.log('dashboard');";

/** One GET with the request line exactly as given: no client-side URL normalization. */
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (data += chunk));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

function expectSecurityHeaders(headers: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) expect(headers[name], name).toBe(value);
}

describe("dashboard routes", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vouch-dashboard-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("when the app is not built", () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await buildApp({ dashboard: { root: join(dir, "missing") } });
    });
    afterAll(() => app.close());

    it.each(["/", "/oncall", "/impact", "/keys", "/artifacts/sha256:abc", "/assets/index-Ab12Cd34.js"])("%s answers 404 DASHBOARD_NOT_BUILT with the build command", async (url) => {
      const res = await app.inject({ method: "GET", url, headers: { accept: "text/html" } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: "DASHBOARD_NOT_BUILT", hint: "npm run build" });
      expect(res.json<{ message: string }>().message).toContain("not built");
      expectSecurityHeaders(res.headers);
    });

    it("leaves other paths to the app's own 404", async () => {
      const res = await app.inject({ method: "GET", url: "/nowhere" });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 404, message: "no route GET /nowhere" });
    });
  });

  describe("when the app is built", () => {
    let app: FastifyInstance;
    let web: string;
    let port: number | undefined;
    const listening = async (): Promise<number> => {
      if (port === undefined) {
        await app.listen({ host: "127.0.0.1", port: 0 });
        port = (app.server.address() as AddressInfo).port;
      }
      return port;
    };
    beforeAll(async () => {
      // A package-like tree: web/ is the build, its parent holds a file no request may reach.
      const pkg = join(dir, "pkg");
      web = join(pkg, "dist", "web");
      mkdirSync(join(web, "assets", "nested"), { recursive: true });
      writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "secret", token: SECRET }));
      writeFileSync(join(pkg, "dist", "secret.txt"), SECRET);
      writeFileSync(join(web, "index.html"), INDEX);
      writeFileSync(join(web, "favicon.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
      writeFileSync(join(web, "notes.md"), SECRET);
      writeFileSync(join(web, "assets", "index-Ab12Cd34.js"), SCRIPT);
      writeFileSync(join(web, "assets", "index-Ef56Gh78.css"), "body{margin:0}");
      writeFileSync(join(web, "assets", "nested", "chunk-1.js"), SCRIPT);
      writeFileSync(join(web, "assets", ".env"), SECRET);
      // A symlink planted in the build must not lead out of it.
      symlinkSync(join(pkg, "package.json"), join(web, "assets", "link-Zz99.js"));
      app = await buildApp({ dashboard: { root: web } });
    });
    afterAll(() => app.close());

    it("serves index.html at / revalidated on every load, with the security headers", async () => {
      const res = await app.inject({ method: "GET", url: "/" });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.headers["cache-control"]).toBe("no-cache");
      expectSecurityHeaders(res.headers);
    });

    it.each(["/oncall", "/impact", "/keys", "/artifacts/sha256:0123abcd", "/?x=1", "/impact?q=log4j-core"])("falls back to index.html for a browser navigating to %s", async (url) => {
      const res = await app.inject({ method: "GET", url, headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers["cache-control"]).toBe("no-cache");
      expectSecurityHeaders(res.headers);
    });

    it("answers HEAD for the page", async () => {
      const res = await app.inject({ method: "HEAD", url: "/" });
      expect(res.statusCode).toBe(200);
      expectSecurityHeaders(res.headers);
    });

    it.each(["/oncall", "/artifacts/sha256:0123"])("answers an API client asking for %s with JSON 404, not the page", async (url) => {
      const res = await app.inject({ method: "GET", url, headers: { accept: "application/json" } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 404 });
      expect(res.headers.vary).toBe("accept");
      const page = await app.inject({ method: "GET", url, headers: { accept: "text/html" } });
      expect([page.statusCode, page.headers.vary]).toEqual([200, "accept"]);
    });

    it.each(["/settings", "/oncall/extra", "/artifacts", "/index.html/x"])("does not fall back for %s, which is not an app route", async (url) => {
      const res = await app.inject({ method: "GET", url, headers: { accept: "text/html" } });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toBe(INDEX);
    });

    it("serves hashed assets as immutable for a year, with their content type", async () => {
      const js = await app.inject({ method: "GET", url: "/assets/index-Ab12Cd34.js" });
      expect(js.statusCode).toBe(200);
      expect(js.body).toBe(SCRIPT);
      expect(js.headers["content-type"]).toMatch(/javascript/);
      expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expectSecurityHeaders(js.headers);
      const css = await app.inject({ method: "GET", url: "/assets/index-Ef56Gh78.css" });
      expect(css.headers["content-type"]).toMatch(/^text\/css/);
      const nested = await app.inject({ method: "GET", url: "/assets/nested/chunk-1.js" });
      expect(nested.body).toBe(SCRIPT);
    });

    it("revalidates unhashed top-level files and serves no others", async () => {
      const icon = await app.inject({ method: "GET", url: "/favicon.svg" });
      expect(icon.statusCode).toBe(200);
      expect(icon.headers["cache-control"]).toBe("no-cache");
      expect(icon.headers["content-type"]).toMatch(/^image\/svg\+xml/);
      expect((await app.inject({ method: "GET", url: "/notes.md" })).statusCode).toBe(404);
    });

    it.each([
      "/assets/../../package.json",
      "/assets/../../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/assets/..%5c..%5cpackage.json",
      "/assets/nested/../../../secret.txt",
      "/assets/.env",
      "/assets//index-Ab12Cd34.js",
      "/assets/link-Zz99.js",
      "/assets/nested",
      "/assets/missing-0000.js",
      "/assets/%00index-Ab12Cd34.js",
    ])("refuses %s without reading outside the build", async (url) => {
      // inject parses the URL (WHATWG: dot segments resolved) before the server sees it; a raw request line over a
      // socket is what an attacker sends, so both are tried.
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain(SECRET);
      expect(res.body).not.toBe(SCRIPT);
      const raw = await rawGet(await listening(), url);
      expect(raw.split("\r\n")[0]).toMatch(/^HTTP\/1\.1 (400|403|404) /);
      expect(raw).not.toContain(SECRET);
      expect(raw).not.toContain(SCRIPT);
    });

    it("stays out of /openapi.json", async () => {
      const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{ paths?: Record<string, unknown> }>();
      const paths = Object.keys(doc.paths ?? {});
      expect(paths.filter((p) => p === "/" || /^\/(oncall|impact|keys|artifacts|assets|favicon)/.test(p))).toEqual([]);
    });
  });

  it("is not served unless asked for (vouch log serve, admission serve)", async () => {
    const app = await buildApp({});
    try {
      const res = await app.inject({ method: "GET", url: "/", headers: { accept: "text/html" } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 404, message: "no route GET /" });
    } finally {
      await app.close();
    }
  });

  it("finds vouch's package directory from its own module", () => {
    expect(packageRoot()).toBe(REPO);
    expect(packageRoot(join(REPO, "dist", "server", "routes", "dashboard", "index.js"))).toBe(REPO);
    expect(packageRoot("/")).toBeUndefined();
  });

  describe("dashboard.enabled in vouch.yaml", () => {
    it("takes a boolean", () => {
      const file = join(dir, "enabled.yaml");
      writeFileSync(file, "dashboard:\n  enabled: false\n");
      expect(loadConfig(file)).toEqual({ dashboard: { enabled: false } });
    });

    it.each([["enabled: yes-please", "/dashboard/enabled"], ["path: /srv/web", "/dashboard"]])("refuses %s, naming the field", (line, at) => {
      const file = join(dir, "bad.yaml");
      writeFileSync(file, `dashboard:\n  ${line}\n`);
      let caught: unknown;
      try {
        loadConfig(file);
      } catch (error) {
        caught = error;
      }
      expect(isVouchError(caught) && caught.code).toBe("INPUT_MALFORMED");
      expect((caught as Error).message).toContain(at);
    });
  });
});
