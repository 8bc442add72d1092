import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SignJWT, importPKCS8 } from "jose";
import { RegistryClient, type RepositoryTarget } from "../../src/oci/client.js";
import { buildCertificate, DAY } from "./x509-builder.js";

/**
 * A real OCI registry for tests: Debian's docker-registry (the CNCF distribution registry, 2.8) on a free loopback
 * port, with its own temp storage and config, optionally behind htpasswd (bcrypt, from apache2-utils' htpasswd) or
 * token auth (a loopback token server below signs the JWTs; the registry trusts its certificate). Also: a push
 * helper (monolithic blob uploads, manifests), a builder for small OCI images (config + gzip tar layers, indexes)
 * and an OCI layout writer/reader.
 *
 * scripts/setup/registry.sh installs docker-registry and apache2-utils (as root, with apt). Without them the tests
 * skip: `registryUnavailable()` / `htpasswdUnavailable()` return the reason and print it.
 */

export const REGISTRY_BINARY = "docker-registry";

let reportedRegistry = false;
let reportedHtpasswd = false;

/** Why a real registry cannot run here, or undefined. Prints the reason once per test file. */
export function registryUnavailable(): string | undefined {
  const probe = spawnSync(REGISTRY_BINARY, ["--version"], { encoding: "utf8" });
  const reason =
    probe.error !== undefined
      ? `${REGISTRY_BINARY} is not installed (Debian package docker-registry; scripts/setup/registry.sh installs it when run as root with apt-get)`
      : probe.status !== 0
        ? `${REGISTRY_BINARY} --version failed: ${(probe.stderr || probe.stdout).trim().split("\n")[0]}`
        : undefined;
  if (reason !== undefined && !reportedRegistry) {
    reportedRegistry = true;
    console.warn(`[registry] real-registry tests SKIPPED: ${reason}`);
  }
  return reason;
}

/** Why htpasswd (bcrypt) is not available, or undefined. Prints the reason once per test file. */
export function htpasswdUnavailable(): string | undefined {
  const probe = spawnSync("htpasswd", ["-nbB", "u", "p"], { encoding: "utf8" });
  const reason =
    probe.error !== undefined
      ? "htpasswd is not installed (Debian package apache2-utils; scripts/setup/registry.sh installs it when run as root with apt-get)"
      : probe.status !== 0 || !probe.stdout.startsWith("u:$2")
        ? `htpasswd -B did not write a bcrypt entry: ${(probe.stderr || probe.stdout).trim().split("\n")[0]}`
        : undefined;
  if (reason !== undefined && !reportedHtpasswd) {
    reportedHtpasswd = true;
    console.warn(`[registry] basic-auth registry tests SKIPPED: ${reason}`);
  }
  return reason;
}

export interface RegistryAuthHtpasswd {
  htpasswd: { username: string; password: string };
}

export interface RegistryAuthToken {
  /** The token server the registry sends clients to, and whose certificate it trusts. */
  token: TokenServer;
}

export interface RunningRegistry {
  /** "127.0.0.1:PORT": the registry part of references. */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** Storage, config and logs (removed by stop). */
  dir: string;
  /** The registry's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
  /** Stops the process and keeps its storage: the registry is down (connections refused) until restart(). */
  kill(): Promise<void>;
  /** Starts the process again on the same port with the same storage, and waits until /v2/ answers. */
  restart(): Promise<void>;
}

/**
 * Starts docker-registry on 127.0.0.1 with a port the kernel picks (read back from its "listening on" log line,
 * so there is no race for a free port), and waits until /v2/ answers.
 */
export async function startRegistry(options: { auth?: RegistryAuthHtpasswd | RegistryAuthToken } = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "vouch-registry-"));
  const config: string[] = [
    "version: 0.1",
    "log:",
    "  level: info",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "storage")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    "  addr: 127.0.0.1:0",
    "  secret: vouch-test-secret",
  ];
  if (options.auth !== undefined && "htpasswd" in options.auth) {
    const { username, password } = options.auth.htpasswd;
    const made = spawnSync("htpasswd", ["-nbB", username, password], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`htpasswd failed: ${made.stderr}`);
    writeFileSync(join(dir, "htpasswd"), made.stdout);
    config.push("auth:", "  htpasswd:", "    realm: vouch-test", `    path: ${join(dir, "htpasswd")}`);
  } else if (options.auth !== undefined && "token" in options.auth) {
    const token = options.auth.token;
    writeFileSync(join(dir, "token-root.pem"), token.certificatePem);
    config.push(
      "auth:",
      "  token:",
      `    realm: ${token.realm}`,
      `    service: ${token.service}`,
      `    issuer: ${token.issuer}`,
      `    rootcertbundle: ${join(dir, "token-root.pem")}`,
    );
  }
  writeFileSync(join(dir, "config.yml"), `${config.join("\n")}\n`);

  let child: ChildProcess;
  // A test worker that dies without calling stop() must not leave a registry behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let log = "";
  const launch = () => new Promise<string>((resolve, reject) => {
    child = spawn(REGISTRY_BINARY, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
    const start = log.length;
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start within 20 s:\n${log}`)), 20_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString("utf8");
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(log.slice(start));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${code}:\n${log}`));
    });
  });
  const host = await launch();
  const url = `http://${host}`;
  const answering = async () => {
    for (let i = 0; ; i++) {
      try {
        const response = await fetch(`${url}/v2/`);
        await response.body?.cancel();
        if (response.status === 200 || response.status === 401) break;
      } catch {
        // not accepting yet
      }
      if (i > 200) throw new Error(`docker-registry on ${host} never answered /v2/:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await answering();
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  };
  return {
    host,
    url,
    dir,
    log: () => log,
    kill,
    async restart() {
      await kill();
      // The same port from now on (the first start let the kernel pick it).
      writeFileSync(join(dir, "config.yml"), `${config.map((line) => (line === "  addr: 127.0.0.1:0" ? `  addr: ${host}` : line)).join("\n")}\n`);
      await launch();
      await answering();
    },
    async stop() {
      process.removeListener("exit", killOnExit);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Token server (distribution docs/spec/auth/token.md) for a registry configured with `auth: token`.

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the self-signed certificate whose key signs the tokens (the registry's rootcertbundle). */
  certificatePem: string;
  /** Every token request (path, query, whether it carried basic credentials and for whom). */
  requests: { method: string; scope: string[]; service: string | null; user?: string; grant?: string }[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** Users and passwords it accepts (basic auth on GET, as docker login does). */
  users?: Record<string, string>;
  /** An OAuth2 refresh token it accepts (POST grant_type=refresh_token, Docker's identitytoken). */
  refreshToken?: string;
  /** Grant pull to anonymous requests (a public image). Default false: anonymous tokens grant nothing. */
  anonymousPull?: boolean;
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const now = Date.now();
  const cert = buildCertificate({ subject: "vouch test token signer", ca: true, keyUsage: [0, 5], notBefore: new Date(now - DAY), notAfter: new Date(now + DAY) });
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert.der).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END CERTIFICATE-----\n`;
  const key = await importPKCS8(cert.key.privateKey.export({ format: "pem", type: "pkcs8" }) as string, "ES256");
  const service = "vouch-test-registry";
  const issuer = "vouch-test-token-issuer";
  const requests: TokenServer["requests"] = [];

  const grant = async (scopes: string[], user: string | undefined): Promise<string> => {
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = [scope.split(":")[0], scope.split(":").slice(1, -1).join(":"), scope.split(":").at(-1)];
      if (type !== "repository" || !name || !actions) return [];
      const wanted = actions.split(",");
      const allowed = user !== undefined ? wanted : options.anonymousPull ? wanted.filter((a) => a === "pull") : [];
      return allowed.length > 0 ? [{ type, name, actions: allowed }] : [];
    });
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ access })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", x5c: [Buffer.from(cert.der).toString("base64")] })
      .setIssuer(issuer)
      .setAudience(service)
      .setSubject(user ?? "")
      .setIssuedAt(iat)
      .setNotBefore(iat - 60)
      .setExpirationTime(iat + 300)
      .setJti(createHash("sha256").update(`${iat}${Math.random()}`).digest("hex").slice(0, 16))
      .sign(key);
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/token") return void res.writeHead(404).end();
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST") {
      const form = new URLSearchParams(await bodyText(req));
      const scopes = (form.get("scope") ?? "").split(" ").filter((s) => s !== "");
      requests.push({ method: "POST", scope: scopes, service: form.get("service"), grant: form.get("grant_type") ?? undefined });
      if (form.get("grant_type") !== "refresh_token" || options.refreshToken === undefined || form.get("refresh_token") !== options.refreshToken) {
        return send(401, { errors: [{ code: "UNAUTHORIZED", message: "invalid refresh token" }] });
      }
      return send(200, { access_token: await grant(scopes, "refresh-user"), expires_in: 300 });
    }
    const scopes = url.searchParams.getAll("scope");
    let user: string | undefined;
    const authorization = req.headers.authorization;
    if (authorization?.startsWith("Basic ")) {
      const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
      const [name, ...rest] = decoded.split(":");
      if (options.users?.[name!] === undefined || options.users[name!] !== rest.join(":")) {
        requests.push({ method: "GET", scope: scopes, service: url.searchParams.get("service"), user: name });
        return send(401, { errors: [{ code: "UNAUTHORIZED", message: "wrong user name or password" }] });
      }
      user = name;
    }
    requests.push({ method: "GET", scope: scopes, service: url.searchParams.get("service"), ...(user === undefined ? {} : { user }) });
    send(200, { token: await grant(scopes, user), expires_in: 300, issued_at: new Date().toISOString() });
  });
  const port = await listen(server);
  return { realm: `http://127.0.0.1:${port}/token`, service, issuer, certificatePem, requests, stop: () => close(server) };
}

// ---------------------------------------------------------------------------------------------------------------
// Small OCI images, built in memory.

export interface TestFile {
  path: string;
  content: string | Uint8Array;
  mode?: number;
}

export interface TestImage {
  /** Every blob by digest (config, layers). */
  blobs: Map<string, Uint8Array>;
  config: { digest: string; size: number; bytes: Uint8Array };
  layers: { digest: string; size: number; diffId: string; bytes: Uint8Array }[];
  manifest: { digest: string; size: number; bytes: Uint8Array; mediaType: string };
}

/** A POSIX ustar archive of regular files (directories are implied, as most image layers have them). */
export function tar(files: readonly TestFile[]): Uint8Array {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const content = typeof file.content === "string" ? Buffer.from(file.content, "utf8") : Buffer.from(file.content);
    const header = Buffer.alloc(512);
    const path = file.path.replace(/^\/+/, "");
    if (Buffer.byteLength(path) > 100) throw new Error(`test tar: path longer than 100 bytes: ${path}`);
    header.write(path, 0, 100, "utf8");
    header.write(`${(file.mode ?? 0o644).toString(8).padStart(7, "0")}\0`, 100);
    header.write("0000000\0", 108); // uid
    header.write("0000000\0", 116); // gid
    header.write(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write(`${"14000000000".padStart(11, "0")}\0`, 136); // a fixed mtime: deterministic layers
    header.write("        ", 148); // checksum placeholder
    header.write("0", 156); // regular file
    header.write("ustar\0", 257);
    header.write("00", 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

export const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/**
 * An OCI image: one gzip tar layer per entry of `layers` (default one layer with /etc/os-release), a config with
 * the platform, diffIDs and a history entry per layer, and an OCI manifest.
 */
export function buildTestImage(options: { layers?: TestFile[][]; platform?: { os: string; architecture: string; variant?: string }; annotations?: Record<string, string> } = {}): TestImage {
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const layerFiles = options.layers ?? [[{ path: "etc/os-release", content: 'ID=vouchtest\nVERSION_ID="1"\n' }]];
  const layers = layerFiles.map((files) => {
    const raw = tar(files);
    const bytes = new Uint8Array(gzipSync(raw, { level: 6 }));
    return { digest: sha256(bytes), size: bytes.length, diffId: sha256(raw), bytes };
  });
  const config = encode({
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: ["PATH=/usr/bin:/bin"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: "2024-01-01T00:00:00Z", created_by: `vouch test layer ${i}` })),
  });
  const manifestBytes = encode({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  });
  const blobs = new Map<string, Uint8Array>([[sha256(config), config], ...layers.map((l) => [l.digest, l.bytes] as const)]);
  return {
    blobs,
    config: { digest: sha256(config), size: config.length, bytes: config },
    layers,
    manifest: { digest: sha256(manifestBytes), size: manifestBytes.length, bytes: manifestBytes, mediaType: "application/vnd.oci.image.manifest.v1+json" },
  };
}

/** An OCI image index over images, each entry with its config's platform. */
export function buildTestIndex(images: readonly { image: TestImage; platform: { os: string; architecture: string; variant?: string } }[], extra: object[] = []): TestImage["manifest"] {
  const bytes = encode({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      ...images.map(({ image, platform }) => ({ mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size, platform })),
      ...extra,
    ],
  });
  return { digest: sha256(bytes), size: bytes.length, bytes, mediaType: "application/vnd.oci.image.index.v1+json" };
}

function encode(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), "utf8"));
}

// ---------------------------------------------------------------------------------------------------------------
// Pushing, with the client's own write methods (monolithic blob uploads, manifests checked against their digest).

export interface PushTarget extends RepositoryTarget {
  /** The client to push with (its credentials and transport). Default: an anonymous client. */
  client?: RegistryClient;
}

export async function pushBlob(target: PushTarget, bytes: Uint8Array, digest = sha256(bytes)): Promise<void> {
  const client = target.client ?? new RegistryClient();
  const pushed = await client.pushBlob({ registry: target.registry, repository: target.repository }, bytes);
  if (pushed.digest !== digest) throw new Error(`pushBlob: the bytes hash to ${pushed.digest}, not ${digest}`);
}

export async function pushManifest(target: PushTarget, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
  const client = target.client ?? new RegistryClient();
  return (await client.putManifest({ registry: target.registry, repository: target.repository }, reference, bytes, mediaType)).descriptor.digest;
}

/** Pushes an image's blobs and manifest, tagged `tag` when given (else by digest only). Returns the manifest digest. */
export async function pushTestImage(target: PushTarget, image: TestImage, tag?: string): Promise<string> {
  for (const [digest, bytes] of image.blobs) await pushBlob(target, bytes, digest);
  return pushManifest(target, tag ?? image.manifest.digest, image.manifest.bytes, image.manifest.mediaType);
}

// ---------------------------------------------------------------------------------------------------------------
// OCI image layouts on disk (image-spec image-layout.md).

/** Writes images (and an index, if given) as an OCI layout; index.json names `top` with ref.name `tag`. */
export function writeOciLayout(dir: string, images: readonly TestImage[], top: TestImage["manifest"], tag?: string, extraManifests: readonly TestImage["manifest"][] = []): void {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const put = (digest: string, bytes: Uint8Array) => writeFileSync(join(dir, "blobs", ...digest.split(":")), bytes);
  for (const image of images) {
    for (const [digest, bytes] of image.blobs) put(digest, bytes);
    put(image.manifest.digest, image.manifest.bytes);
  }
  for (const manifest of [top, ...extraManifests]) put(manifest.digest, manifest.bytes);
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.size, ...(tag ? { annotations: { "org.opencontainers.image.ref.name": tag } } : {}) }],
    }),
  );
}

/**
 * Pushes an OCI layout directory (as images.sh or skopeo write them) to the registry: the manifest index.json names
 * (the one whose org.opencontainers.image.ref.name is `refName`, or the only one), with every manifest, index and
 * blob under it, tagged `tag`. Returns the pushed top digest.
 */
export async function pushOciLayout(target: PushTarget, dir: string, tag: string, refName?: string): Promise<string> {
  const readBlob = (digest: string) => new Uint8Array(readFileSync(join(dir, "blobs", ...digest.split(":"))));
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: LayoutDescriptor[] };
  const candidates = refName === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.["org.opencontainers.image.ref.name"] === refName);
  if (candidates.length !== 1) throw new Error(`${dir}/index.json: ${candidates.length} manifests match ${refName ?? "(any)"}; name one with refName`);
  const pushTree = async (descriptor: LayoutDescriptor, reference: string): Promise<string> => {
    const bytes = readBlob(descriptor.digest);
    const document = JSON.parse(Buffer.from(bytes).toString("utf8")) as { manifests?: LayoutDescriptor[]; config?: LayoutDescriptor; layers?: LayoutDescriptor[] };
    if (document.manifests !== undefined) {
      for (const child of document.manifests) await pushTree(child, child.digest);
    } else {
      for (const blob of [document.config!, ...(document.layers ?? [])]) await pushBlob(target, readBlob(blob.digest), blob.digest);
    }
    return pushManifest(target, reference, bytes, descriptor.mediaType);
  };
  return pushTree(candidates[0]!, tag);
}

interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------------
// A tampering proxy: forwards to the registry and rewrites what it answers.

export interface TamperingProxy {
  host: string;
  /** Requests seen: method, path, authorization header. */
  seen: { method: string; path: string; authorization?: string }[];
  stop(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of `upstream` ("127.0.0.1:PORT"). `tamper(path, body)` may return other bytes for
 * a response body (headers such as Content-Length are adjusted, Docker-Content-Digest is kept: a lying registry).
 */
export async function startTamperingProxy(upstream: string, tamper: (method: string, path: string, body: Buffer) => Buffer | undefined): Promise<TamperingProxy> {
  const seen: TamperingProxy["seen"] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", path: req.url ?? "", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const [hostname, port] = upstream.split(":");
    const forward = httpRequest({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } }, (upstreamRes) => {
      const chunks: Buffer[] = [];
      upstreamRes.on("data", (c: Buffer) => chunks.push(c));
      upstreamRes.on("end", () => {
        const original = Buffer.concat(chunks);
        const body = tamper(req.method ?? "", req.url ?? "", original) ?? original;
        const headers = { ...upstreamRes.headers };
        if (headers["content-length"] !== undefined) headers["content-length"] = String(body.length);
        delete headers["transfer-encoding"];
        res.writeHead(upstreamRes.statusCode ?? 502, headers);
        res.end(body);
      });
    });
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  const port = await listen(server);
  return { host: `127.0.0.1:${port}`, seen, stop: () => close(server) };
}

// ---------------------------------------------------------------------------------------------------------------

export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function bodyText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}
