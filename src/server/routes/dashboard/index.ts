import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";

export interface DashboardOptions {
  /** The built web app (index.html + assets/). Default: dist/web in vouch's package directory. */
  root?: string;
}

/**
 * The History-API paths of the web app (web/src routes): a browser navigating to one gets index.html and the app
 * routes on the client. Exactly these, so a mistyped API path still answers a JSON 404 instead of a 200 page.
 */
export const DASHBOARD_PATHS = ["/", "/oncall", "/impact", "/keys", "/artifacts/*"] as const;

/**
 * On every dashboard response. The app loads only its own hashed scripts and styles and talks only to this origin's
 * API, so anything else (an injected inline script, a style attribute carrying exfiltration, a form posting away,
 * a frame embedding the page for clickjacking, a <base> rewriting relative URLs) is refused by the browser.
 * no-referrer: the address may still carry `#token=` on first load, and artifact URLs name digests.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // frame-ancestors for browsers that predate it.
  "x-frame-options": "DENY",
};

/** Vite names every file under assets/ by its content hash: a name never changes meaning, so caches keep it a year. */
const IMMUTABLE = { cacheControl: true, maxAge: 365 * 24 * 3600 * 1000, immutable: true } as const;
/** index.html (and unhashed top-level files) must be revalidated: it names the current build's asset hashes. */
const REVALIDATE = { cacheControl: false } as const;

/** One path segment of a built file: what Vite emits; never empty, `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
/** Unhashed files Vite copies from web/public to the top of dist/web (favicon, robots.txt): served by name. */
const TOP_LEVEL_FILE = /^[A-Za-z0-9_-]+\.(svg|ico|png|txt|webmanifest)$/;

/**
 * vouch's package directory: the nearest directory above this module with vouch's package.json. The same walk works
 * from src/ (tsx), from dist/ (the build) and from node_modules/vouch (an install), which all ship dist/web beside.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string | undefined {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "vouch") return dir;
      } catch {
        // A broken package.json on the way up is not ours; keep walking.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where the built dashboard is by default: dist/web in vouch's package directory. */
export function defaultDashboardRoot(): string | undefined {
  const root = packageRoot();
  return root === undefined ? undefined : join(root, "dist", "web");
}

const hidden = { schema: { hide: true } } as const;

function acceptsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? "").toLowerCase().includes("text/html");
}

function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // The same body as the app's own not-found handler (app.ts), so a 404 here says nothing the other would not.
  return reply.code(404).send({ code: 404, message: `no route ${request.method} ${request.url.split("?")[0]}` });
}

/**
 * The dashboard (web/, issue 11) at `/`: the built app's static files, index.html for the app's History-API paths,
 * strict security headers. The app reads the public API only; nothing here is an API route, and none of it is in
 * /openapi.json. When the app is not built (a source checkout before `npm run build`), its paths answer 404
 * DASHBOARD_NOT_BUILT with the command that builds it, instead of an empty page.
 *
 * @example
 *   await app.register(dashboardRoutes, {});                        // dist/web of the vouch package
 *   await app.register(dashboardRoutes, { root: "/tmp/web-build" }); // tests
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const configured = options.root ?? defaultDashboardRoot();
  // realpath: the containment check below compares real paths, so a symlinked build directory still works.
  const root = configured !== undefined && existsSync(join(configured, "index.html")) ? realpathSync(configured) : undefined;

  app.addHook("onSend", async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) void reply.header(name, value);
    return payload;
  });

  if (root === undefined) {
    const notBuilt = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.code(404).send({
        code: "DASHBOARD_NOT_BUILT",
        message: `the dashboard is not built (no index.html in ${configured ?? "dist/web"}): build it, then restart vouch serve`,
        hint: "npm run build",
      });
    for (const path of [...DASHBOARD_PATHS, "/assets/*"]) app.get(path, hidden, notBuilt);
    return;
  }

  // serve: false: only reply.sendFile (ETag, Last-Modified, ranges, content types, @fastify/send's own traversal
  // guard); which paths reach it is decided by the routes below, not by whatever files the directory holds.
  await app.register(fastifyStatic, { root, serve: false, index: false, dotfiles: "deny" });

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    // Only a browser navigation gets the app's page: an API client that mistypes a path keeps getting JSON. The
    // answer depends on Accept, so a shared cache must not hand one client's answer to the other.
    if (request.routeOptions.url !== "/") void reply.header("vary", "accept");
    if (request.routeOptions.url !== "/" && !acceptsHtml(request)) return notFound(request, reply);
    return reply.header("cache-control", "no-cache").sendFile("index.html", root, REVALIDATE);
  };
  for (const path of DASHBOARD_PATHS) app.get(path, hidden, sendIndex);

  app.get("/assets/*", hidden, async (request, reply) => {
    const rest = (request.params as { "*": string })["*"];
    const segments = rest.split("/");
    // The wildcard arrives percent-decoded: `..`, `%2e%2e`, encoded slashes and backslashes all end up here as
    // segments that are not plain file names, and are refused before any file system call.
    if (!segments.every((s) => SEGMENT.test(s) && s !== "." && s !== "..")) return notFound(request, reply);
    const file = join(root, "assets", ...segments);
    let real: string;
    try {
      real = realpathSync(file);
      if (!statSync(real).isFile()) return notFound(request, reply);
    } catch {
      return notFound(request, reply);
    }
    // A symlink inside the build must not lead out of it.
    if (!real.startsWith(root + sep)) return notFound(request, reply);
    return reply.sendFile(["assets", ...segments].join("/"), root, IMMUTABLE);
  });

  // Unhashed top-level files (favicon...), listed once: names outside the pattern are never routed.
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isFile() || !TOP_LEVEL_FILE.test(entry.name)) continue;
    app.get(`/${entry.name}`, hidden, async (_request, reply) => reply.header("cache-control", "no-cache").sendFile(entry.name, root, REVALIDATE));
  }
};
