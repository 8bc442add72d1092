import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { buildTestImage, close, listen } from "./registry.js";

/**
 * An in-process OCI registry for tests: opencontainers/distribution-spec 1.1 (`spec.md`) over node:http on a free
 * loopback port, its content in memory. It is what proves vouch's referrers-API path (Debian's docker-registry 2.8,
 * the real registry in the tests, has no referrers API), so it is exactly as strict as the spec and no more lenient
 * than distribution: every digest is checked, every failure is the spec's status with its error body
 * `{"errors":[{"code","message","detail"}]}` (BLOB_UNKNOWN, DIGEST_INVALID, MANIFEST_UNKNOWN, MANIFEST_BLOB_UNKNOWN, …).
 *
 * What it serves (the spec's endpoint ids in brackets):
 * - `/v2/` [end-1]; blobs GET/HEAD (with `Range`) and DELETE [end-2, end-10];
 * - uploads: POST+PUT, single POST `?digest=` [end-4b], chunked PATCH with `Content-Range` (416 when a chunk does not
 *   start where the upload ends) [end-5, end-6], upload status GET [end-13], cancel DELETE, cross-repository mount
 *   `?mount=&from=` (201, or 202 and an upload session when the blob is not in `from`) [end-11];
 * - manifests GET/HEAD/PUT/DELETE by tag or digest [end-3, end-7, end-9]: the bytes are stored as pushed; a PUT by
 *   digest must hash to it; every blob and child manifest the document names must be in the repository
 *   (MANIFEST_BLOB_UNKNOWN), except its `subject`, which the spec says MUST be accepted before it exists;
 * - tags list with `n`, `last` and `Link` [end-8a, end-8b];
 * - referrers [end-12a, end-12b]: `OCI-Subject` on a manifest PUT with `subject`, an image index of descriptors (the
 *   spec's artifactType rule, annotations copied), `?artifactType=` with `OCI-Filters-Applied`, `Link` paging.
 *
 * Options make it behave like registries that do less (the spec allows it): `referrers: false` is Debian's
 * docker-registry 2.8 (the referrers path answers Go's plain-text `404 page not found`, no OCI-Subject, manifests
 * with `subject` are stored and not indexed), `filterArtifactType: false` ignores the filter, `singlePostUpload: false`
 * answers a `?digest=` POST with an upload session, `deleteTags: false` refuses tag deletion. Faults (`setFault`) make
 * the next N matching requests answer a status, wait, hang, drop the connection, or serve other bytes than the
 * digest names. `requests` logs every request with the status it got.
 */

export interface OciRegistryOptions {
  /** Serve the referrers API and answer `OCI-Subject`. Default true; false behaves like distribution 2.8. */
  referrers?: boolean;
  /** Apply `?artifactType=` on the referrers API (and say so in OCI-Filters-Applied). Default true. */
  filterArtifactType?: boolean;
  /** Descriptors per referrers response; more follow through `Link: <…>; rel="next"`. Default: all in one. */
  referrersPageSize?: number;
  /** Most tags one tags/list response holds, whatever `n` asks (more follow through `Link`). Default: no cap. */
  tagsPageSize?: number;
  /** Complete a POST `?digest=` upload in one request (201). Default true; false answers 202 as distribution 2.8 does. */
  singlePostUpload?: boolean;
  /** Sent as `OCI-Chunk-Min-Length` on the POST that starts an upload. */
  chunkMinLength?: number;
  /** Allow DELETE of a tag. Default true; false answers 400 UNSUPPORTED (the spec allows 400 or 405). */
  deleteTags?: boolean;
  /** Require HTTP basic credentials (401 with a `Basic` challenge otherwise); `anonymousPull` lets GET/HEAD through. */
  auth?: { username: string; password: string; anonymousPull?: boolean };
  /** Largest manifest a PUT may carry (413 past it). Default 4 MiB, the size the spec says to expect. */
  maxManifestBytes?: number;
  /** Largest request body read (413 past it). Default 256 MiB. */
  maxBodyBytes?: number;
  /** Location headers as absolute URLs (as distribution sends them). Default false: relative paths. */
  absoluteLocations?: boolean;
  /** Faults armed from the start (see setFault). */
  faults?: readonly Fault[];
}

/** What a fault does to a request it matches. */
export type FaultAction =
  /** Answer this status (with these headers and body; default the spec's error body). The request is not processed, unless `afterProcessing`: then the registry did the work and the answer is lost. */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string | Uint8Array; afterProcessing?: boolean }
  /** Wait this long, then answer normally. */
  | { kind: "delay"; ms: number }
  /** Never answer (the connection stays open until the client gives up or the registry stops). */
  | { kind: "hang" }
  /** Close the connection without answering (a network error). A client that retries meets it once per try: arm `times` for all of them. */
  | { kind: "reset" }
  /** Answer normally but with other body bytes (default: the last byte flipped), headers kept: a lying registry. */
  | { kind: "corrupt"; transform?: (body: Uint8Array) => Uint8Array }
  /** Answer normally with headers set or removed (say, no Docker-Content-Digest, or another one). */
  | { kind: "headers"; set?: Record<string, string>; remove?: readonly string[] };

/**
 * A fault for the next `times` (default 1; Infinity for all) requests that match `method` (exact, upper case) and
 * `path` (a string: the path without the query, exactly; a RegExp: tested against path and query). The first armed
 * fault that matches a request applies to it.
 */
export type Fault = FaultAction & { method?: string; path?: string | RegExp; times?: number };

export interface FaultHandle {
  /** Requests it applied to so far. */
  hits(): number;
  /** Requests it will still apply to. */
  remaining(): number;
}

export interface LoggedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** Bytes of the request body. */
  bodyBytes: number;
  /** The status answered (undefined while in flight, for a hung request, or a dropped connection). */
  status?: number;
}

export interface StoredManifestView {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
}

export interface RunningOciRegistry {
  /** "127.0.0.1:PORT": a loopback registry, which vouch talks plain HTTP to. */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** Every request so far, in arrival order. */
  requests: LoggedRequest[];
  setFault(fault: Fault): FaultHandle;
  clearFaults(): void;
  /**
   * Turn the referrers API on or off while running (a registry upgraded to distribution-spec 1.1). Manifests with
   * a `subject` pushed while it was off are listed once it is on: the spec's "Enabling the Referrers API" MUST
   * covers those listed in a referrers tag schema index, and this registry indexes every one (which it MAY).
   */
  setReferrers(enabled: boolean): void;
  /** Stores a blob directly (test setup without requests in the log); returns its sha256 digest. */
  putBlob(repository: string, bytes: Uint8Array): string;
  /** Stores a manifest directly, checked as a PUT is; throws an Error naming the spec's error code otherwise. */
  putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): string;
  blob(repository: string, digest: string): Uint8Array | undefined;
  manifest(repository: string, reference: string): StoredManifestView | undefined;
  tags(repository: string): string[];
  /** Upload sessions started and neither completed nor cancelled. */
  openUploads(repository?: string): number;
  stop(): Promise<void>;
}

/** Starts the registry on 127.0.0.1 with a port the kernel picks. */
export async function startOciRegistry(options: OciRegistryOptions = {}): Promise<RunningOciRegistry> {
  const registry = new InMemoryRegistry(options);
  const server = createServer((req, res) => void registry.serve(req, res));
  const port = await listen(server);
  registry.origin = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: registry.origin,
    requests: registry.requests,
    setFault: (fault) => registry.arm(fault),
    clearFaults: () => void registry.faults.splice(0),
    setReferrers: (enabled) => void (registry.referrers = enabled),
    putBlob: (repository, bytes) => direct(() => registry.storeBlob(registry.repository(repository, true), bytes)),
    putManifest: (repository, reference, bytes, mediaType) => direct(() => registry.storeManifest(repository, reference, bytes, mediaType).digest),
    blob: (repository, digest) => (registry.repos.get(repository)?.blobs.has(digest) ? registry.blobs.get(digest) : undefined),
    manifest: (repository, reference) => {
      const repo = registry.repos.get(repository);
      const digest = repo?.tags.get(reference) ?? reference;
      const stored = repo?.manifests.get(digest);
      return stored === undefined ? undefined : { digest: stored.digest, mediaType: stored.mediaType, bytes: stored.bytes };
    },
    tags: (repository) => [...(registry.repos.get(repository)?.tags.keys() ?? [])].sort(),
    openUploads: (repository) => [...registry.uploads.values()].filter((u) => repository === undefined || u.repository === repository).length,
    async stop() {
      registry.stopped = true;
      for (const timer of registry.timers) clearTimeout(timer);
      await close(server);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------

const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  empty: "application/vnd.oci.empty.v1+json",
} as const;
const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);
const MANIFEST_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);
/** Only OCI documents carry `subject` and `artifactType` (image-spec 1.1); Docker's schema 2 has neither. */
const OCI_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.ociIndex]);

/** Repository names and tags, as the spec's "Pulling manifests" defines them. */
const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The registered algorithms (image-spec descriptor.md): lower-case hex of the algorithm's length. */
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** The spec's Content-Range for chunks: inclusive on both ends. */
const CONTENT_RANGE = /^([0-9]+)-([0-9]+)$/;

const ROUTE = /^\/v2\/(.+)\/(?:manifests\/([^/]+)|blobs\/uploads\/([^/]*)|blobs\/([^/]+)|(tags\/list)|referrers\/([^/]+))$/;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** A spec error: thrown by handlers, answered as `{"errors":[…]}`. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  /** The `subject` digest, for OCI documents that have one. */
  subject?: string;
  /** The descriptor the referrers API lists for it (artifactType and annotations as the spec says). */
  referrer?: Record<string, unknown>;
}

interface Repository {
  /** Blobs linked into this repository (uploaded or mounted here); content lives in the registry-wide store. */
  blobs: Set<string>;
  /** By digest, in push order. */
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
}

interface Upload {
  id: string;
  repository: string;
  /** A critical query parameter every Location carries: a client that drops the query loses the upload. */
  state: string;
  chunks: Buffer[];
  size: number;
}

type ArmedFault = Fault & { hits: number; left: number };

class InMemoryRegistry {
  origin = "";
  stopped = false;
  referrers: boolean;
  readonly requests: LoggedRequest[] = [];
  readonly faults: ArmedFault[] = [];
  readonly timers = new Set<NodeJS.Timeout>();
  readonly blobs = new Map<string, Uint8Array>();
  readonly repos = new Map<string, Repository>();
  readonly uploads = new Map<string, Upload>();

  constructor(readonly options: OciRegistryOptions) {
    this.referrers = options.referrers ?? true;
    for (const fault of options.faults ?? []) this.arm(fault);
  }

  arm(fault: Fault): FaultHandle {
    const armed: ArmedFault = { ...fault, hits: 0, left: fault.times ?? 1 };
    this.faults.push(armed);
    return { hits: () => armed.hits, remaining: () => armed.left };
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://registry");
    const entry: LoggedRequest = { method, path: url.pathname + url.search, headers: flatHeaders(req), bodyBytes: 0 };
    this.requests.push(entry);

    const fault = this.#takeFault(method, url);
    if (fault?.kind === "hang") return;
    if (fault?.kind === "reset") return void req.socket.destroy();

    let body: Buffer;
    try {
      body = await readBody(req, this.options.maxBodyBytes ?? 256 * 1024 * 1024);
    } catch (error) {
      if (!(error instanceof Refusal)) return void req.socket.destroy();
      entry.status = error.status;
      return send(res, refusalReply(error), method === "HEAD", true);
    }
    entry.bodyBytes = body.length;
    if (fault?.kind === "delay") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, fault.ms);
        this.timers.add(timer);
      });
      if (this.stopped) return;
    }

    let reply: Reply;
    if (fault?.kind === "status" && !fault.afterProcessing) {
      reply = faultReply(fault);
    } else {
      reply = this.#answer(method, url, req, body);
      if (fault?.kind === "status") reply = faultReply(fault);
    }
    if (fault?.kind === "corrupt" && reply.body !== undefined) {
      reply = { ...reply, body: (fault.transform ?? flipLastByte)(reply.body) };
    }
    if (fault?.kind === "headers") {
      const headers = { ...reply.headers };
      for (const name of fault.remove ?? []) {
        for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
      }
      reply = { ...reply, headers: { ...headers, ...fault.set } };
    }
    entry.status = reply.status;
    send(res, reply, method === "HEAD");
  }

  #takeFault(method: string, url: URL): ArmedFault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.left > 0 &&
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === url.pathname : f.path.test(url.pathname + url.search))),
    );
    if (fault === undefined) return undefined;
    fault.left -= 1;
    fault.hits += 1;
    return fault;
  }

  #answer(method: string, url: URL, req: IncomingMessage, body: Buffer): Reply {
    try {
      if (!url.pathname.startsWith("/v2/") && url.pathname !== "/v2") return goNotFound();
      this.#authorize(method, req);
      if (url.pathname === "/v2/" || url.pathname === "/v2") {
        if (method !== "GET" && method !== "HEAD") throw unsupportedMethod(method);
        return json(200, {});
      }
      const route = ROUTE.exec(url.pathname);
      if (route === null) return goNotFound();
      const [, name, manifestRef, uploadId, blobDigest, tagsList, referrersDigest] = route;
      if (!NAME.test(name!)) throw new Refusal(400, "NAME_INVALID", "invalid repository name", { name });
      if (manifestRef !== undefined) return this.#manifests(method, name!, decode(manifestRef), req, body);
      if (uploadId !== undefined) return this.#uploads(method, name!, uploadId, url, req, body);
      if (blobDigest !== undefined) return this.#blobs(method, name!, decode(blobDigest), req);
      if (tagsList !== undefined) return this.#tagsList(method, name!, url);
      if (referrersDigest !== undefined) {
        // distribution 2.8 has no such route: gorilla/mux's plain-text 404 (what vouch must read as "no referrers API").
        if (!this.referrers) return goNotFound();
        return this.#referrersList(method, name!, decode(referrersDigest), url);
      }
      return goNotFound();
    } catch (error) {
      if (error instanceof Refusal) return refusalReply(error);
      return errorReply(500, "UNKNOWN", `test registry failure: ${(error as Error).message}`);
    }
  }

  #authorize(method: string, req: IncomingMessage): void {
    const auth = this.options.auth;
    if (auth === undefined) return;
    if (auth.anonymousPull && (method === "GET" || method === "HEAD")) return;
    const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64")}`;
    if (req.headers.authorization === expected) return;
    throw new Refusal(401, "UNAUTHORIZED", "authentication required", undefined, { "www-authenticate": 'Basic realm="vouch-test-registry"' });
  }

  repository(name: string, create: boolean): Repository {
    let repo = this.repos.get(name);
    if (repo === undefined) {
      if (!create) throw new Refusal(404, "NAME_UNKNOWN", "repository name not known to registry", { name });
      repo = { blobs: new Set(), manifests: new Map(), tags: new Map() };
      this.repos.set(name, repo);
    }
    return repo;
  }

  // -- manifests [end-3, end-7, end-9] ---------------------------------------------------------------------------

  #manifests(method: string, name: string, reference: string, req: IncomingMessage, body: Buffer): Reply {
    const byDigest = reference.includes(":");
    if (byDigest ? !DIGEST.test(reference) : !TAG.test(reference)) {
      throw new Refusal(400, byDigest ? "DIGEST_INVALID" : "MANIFEST_INVALID", `${JSON.stringify(reference)} is neither a tag nor a digest`);
    }
    if (method === "PUT") {
      const stored = this.storeManifest(name, reference, body, req.headers["content-type"]);
      const headers: Record<string, string> = { location: this.#location(`/v2/${name}/manifests/${stored.digest}`), "docker-content-digest": stored.digest };
      // "a registry implementation that supports the referrers API MUST respond with the response header
      // OCI-Subject: <subject digest>": its absence is how a client knows to maintain the referrers tag schema.
      if (this.referrers && stored.subject !== undefined) headers["oci-subject"] = stored.subject;
      return { status: 201, headers };
    }
    const unknown = () => new Refusal(404, "MANIFEST_UNKNOWN", "manifest unknown", byDigest ? { Name: name, Revision: reference } : { Tag: reference });
    const repo = this.repos.get(name);
    if (method === "GET" || method === "HEAD") {
      const digest = byDigest ? reference : repo?.tags.get(reference);
      const stored = digest === undefined ? undefined : repo?.manifests.get(digest);
      if (stored === undefined) throw unknown();
      return {
        status: 200,
        headers: { "content-type": stored.mediaType, "docker-content-digest": stored.digest, etag: `"${stored.digest}"` },
        body: stored.bytes,
      };
    }
    if (method === "DELETE") {
      if (repo === undefined) throw unknown();
      if (!byDigest) {
        if (this.options.deleteTags === false) throw new Refusal(400, "UNSUPPORTED", "tag deletion is disabled on this registry; delete the manifest by digest");
        if (!repo.tags.delete(reference)) throw unknown();
        return { status: 202, headers: {} };
      }
      if (!repo.manifests.delete(reference)) throw unknown();
      // "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that digest will return a 404."
      for (const [tag, digest] of repo.tags) if (digest === reference) repo.tags.delete(tag);
      return { status: 202, headers: {} };
    }
    throw unsupportedMethod(method);
  }

  /** A manifest PUT, checked as the spec and image-spec require; throws a Refusal with the spec's code. */
  storeManifest(name: string, reference: string, bytes: Uint8Array, contentTypeHeader: string | undefined): StoredManifest {
    const invalid = (message: string, detail?: unknown) => new Refusal(400, "MANIFEST_INVALID", `manifest invalid: ${message}`, detail);
    const byDigest = reference.includes(":");
    if (byDigest ? !DIGEST.test(reference) : !TAG.test(reference)) throw new Refusal(400, byDigest ? "DIGEST_INVALID" : "MANIFEST_INVALID", `${JSON.stringify(reference)} is neither a tag nor a digest`);
    const max = this.options.maxManifestBytes ?? 4 * 1024 * 1024;
    if (bytes.length > max) throw new Refusal(413, "MANIFEST_INVALID", `manifest of ${bytes.length} bytes is larger than this registry's limit of ${max}`);
    // "The registry SHOULD ignore parameters on the Content-Type header."
    const contentType = contentTypeHeader?.split(";")[0]?.trim().toLowerCase();
    if (contentType === undefined || contentType === "") throw invalid("no Content-Type (it names the manifest's media type)");
    if (!INDEX_TYPES.has(contentType) && !MANIFEST_TYPES.has(contentType)) throw invalid(`unsupported manifest media type ${contentType}`);

    let doc: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      if (!isObject(parsed)) throw new Error("not a JSON object");
      doc = parsed;
    } catch (error) {
      throw invalid(`not a JSON object (${(error as Error).message})`);
    }
    if (doc.schemaVersion !== 2) throw invalid(`schemaVersion is ${JSON.stringify(doc.schemaVersion)}, expected 2`);
    // "If a manifest includes a mediaType field, clients MUST set the Content-Type header to the value specified by
    // the mediaType field": a mismatch is a client bug a reader would trip over (an index served as a manifest).
    if (doc.mediaType !== undefined && doc.mediaType !== contentType) throw invalid(`mediaType ${JSON.stringify(doc.mediaType)} does not match the Content-Type ${contentType}`);

    // The repository comes to exist when content lands in it, not on a refused PUT.
    const repo = this.repos.get(name) ?? { blobs: new Set<string>(), manifests: new Map<string, StoredManifest>(), tags: new Map<string, string>() };
    const oci = OCI_TYPES.has(contentType);
    const annotations = doc.annotations === undefined ? undefined : stringMap(doc.annotations, "annotations", invalid);
    let artifactType: string | undefined;
    if (oci && doc.artifactType !== undefined) {
      if (typeof doc.artifactType !== "string") throw invalid("artifactType is not a string");
      artifactType = doc.artifactType;
    }
    let subject: string | undefined;
    if (oci && doc.subject !== undefined) subject = descriptor(doc.subject, "subject", invalid).digest;

    let referrerType: string | undefined;
    if (INDEX_TYPES.has(contentType)) {
      if (doc.config !== undefined || doc.layers !== undefined) throw invalid("an index has no config or layers");
      if (!Array.isArray(doc.manifests)) throw invalid("manifests is not an array");
      doc.manifests.forEach((entry, i) => {
        const child = descriptor(entry, `manifests[${i}]`, invalid);
        const stored = repo.manifests.get(child.digest);
        if (stored === undefined) throw new Refusal(400, "MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", child.digest);
        if (stored.bytes.length !== child.size) throw invalid(`manifests[${i}] says size ${child.size}, the manifest ${child.digest} has ${stored.bytes.length} bytes`);
      });
      referrerType = artifactType || undefined; // an index without artifactType: the field is omitted
    } else {
      if (doc.manifests !== undefined) throw invalid("an image manifest has no manifests");
      const config = descriptor(doc.config, "config", invalid);
      if (!Array.isArray(doc.layers)) throw invalid("layers is not an array");
      const layers = doc.layers.map((entry, i) => descriptor(entry, `layers[${i}]`, invalid));
      // image-spec manifest.md: artifactType "MUST be set when config.mediaType is set to the empty value".
      if (oci && config.mediaType === MEDIA.empty && !artifactType) throw invalid(`artifactType is required when config.mediaType is ${MEDIA.empty}`);
      for (const [field, d] of [["config", config] as const, ...layers.map((l, i) => [`layers[${i}]`, l] as const)]) {
        // Non-distributable layers name where they live (urls); the registry need not hold them.
        if (d.urls) continue;
        const content = repo.blobs.has(d.digest) ? this.blobs.get(d.digest) : undefined;
        if (content === undefined) throw new Refusal(400, "MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", d.digest);
        if (content.length !== d.size) throw invalid(`${field} says size ${d.size}, the blob ${d.digest} has ${content.length} bytes`);
      }
      referrerType = artifactType || config.mediaType;
    }

    const algorithm = byDigest ? (reference.split(":")[0] as "sha256" | "sha512") : "sha256";
    const digest = digestOf(bytes, algorithm);
    // "The Docker-Content-Digest header … MUST be equal to the client provided digest": bytes that do not hash to
    // the digest they are pushed under are refused, never stored under a name they do not have.
    if (byDigest && digest !== reference) throw new Refusal(400, "DIGEST_INVALID", "provided digest did not match uploaded content", { expected: reference, actual: digest });

    const stored: StoredManifest = { digest, mediaType: contentType, bytes: new Uint8Array(bytes) };
    if (subject !== undefined) {
      stored.subject = subject;
      stored.referrer = {
        mediaType: contentType,
        digest,
        size: bytes.length,
        ...(referrerType !== undefined ? { artifactType: referrerType } : {}),
        ...(annotations !== undefined ? { annotations } : {}),
      };
    }
    this.repos.set(name, repo);
    repo.manifests.set(digest, stored);
    if (!byDigest) repo.tags.set(reference, digest);
    return stored;
  }

  // -- blobs [end-2, end-10] -------------------------------------------------------------------------------------

  #blobs(method: string, name: string, digest: string, req: IncomingMessage): Reply {
    checkDigest(digest);
    const repo = this.repos.get(name);
    const content = repo?.blobs.has(digest) ? this.blobs.get(digest) : undefined;
    if (content === undefined) throw new Refusal(404, "BLOB_UNKNOWN", "blob unknown to registry", digest);
    if (method === "DELETE") {
      repo!.blobs.delete(digest);
      return { status: 202, headers: {} };
    }
    if (method !== "GET" && method !== "HEAD") throw unsupportedMethod(method);
    const headers = { "content-type": "application/octet-stream", "docker-content-digest": digest, etag: `"${digest}"`, "accept-ranges": "bytes" };
    // "A registry SHOULD support the Range request header" (RFC 9110): one range, bytes=start-[end].
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range !== null) {
      const start = Number(range[1]);
      const end = Math.min(range[2] === "" ? content.length - 1 : Number(range[2]), content.length - 1);
      if (start > end) return { status: 416, headers: { "content-range": `bytes */${content.length}` } };
      return { status: 206, headers: { ...headers, "content-range": `bytes ${start}-${end}/${content.length}` }, body: content.subarray(start, end + 1) };
    }
    return { status: 200, headers, body: content };
  }

  /** Stores bytes as a blob of the repository; returns the digest. */
  storeBlob(repo: Repository, bytes: Uint8Array, algorithm: "sha256" | "sha512" = "sha256"): string {
    const digest = digestOf(bytes, algorithm);
    if (!this.blobs.has(digest)) this.blobs.set(digest, new Uint8Array(bytes));
    repo.blobs.add(digest);
    return digest;
  }

  // -- uploads [end-4a, end-4b, end-5, end-6, end-11, end-13] ------------------------------------------------------

  #uploads(method: string, name: string, id: string, url: URL, req: IncomingMessage, body: Buffer): Reply {
    if (id === "") {
      if (method !== "POST") throw unsupportedMethod(method);
      return this.#startUpload(name, url, body);
    }
    const upload = this.uploads.get(id);
    // The location's query is part of it ("MAY contain critical query parameters"): a client must send it back.
    if (upload === undefined || upload.repository !== name || url.searchParams.get("_state") !== upload.state) {
      throw new Refusal(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", { id });
    }
    switch (method) {
      case "GET":
        // "The response to an active upload <location> MUST be a 204 No Content … Location, Range: 0-<end-of-range>".
        return { status: 204, headers: this.#uploadHeaders(upload) };
      case "PATCH":
        this.#appendChunk(upload, req, body, true);
        return { status: 202, headers: this.#uploadHeaders(upload) };
      case "PUT": {
        const digest = url.searchParams.get("digest");
        if (digest === null || digest === "") throw new Refusal(400, "DIGEST_INVALID", "the closing PUT must name the blob's digest (?digest=)");
        checkDigest(digest);
        if (body.length > 0 || req.headers["content-range"] !== undefined) this.#appendChunk(upload, req, body, false);
        const content = Buffer.concat(upload.chunks);
        const actual = digestOf(content, digest.split(":")[0] as "sha256" | "sha512");
        // A failed upload is gone: the client starts again (distribution also drops it).
        this.uploads.delete(upload.id);
        if (actual !== digest) throw new Refusal(400, "DIGEST_INVALID", "provided digest did not match uploaded content", { expected: digest, actual });
        this.storeBlob(this.repository(name, true), content, digest.split(":")[0] as "sha256" | "sha512");
        return { status: 201, headers: { location: this.#location(`/v2/${name}/blobs/${digest}`), "docker-content-digest": digest } };
      }
      case "DELETE":
        this.uploads.delete(upload.id);
        return { status: 204, headers: {} };
      default:
        throw unsupportedMethod(method);
    }
  }

  #startUpload(name: string, url: URL, body: Buffer): Reply {
    const mount = url.searchParams.get("mount");
    if (mount !== null) {
      checkDigest(mount);
      const from = url.searchParams.get("from");
      // Mount only from the repository named (the spec lets a registry treat `from` as optional; this one does not,
      // so a client that forgets it gets an upload session, as from a registry that cannot mount).
      if (from !== null && NAME.test(from) && this.repos.get(from)?.blobs.has(mount) === true) {
        this.repository(name, true).blobs.add(mount);
        return { status: 201, headers: { location: this.#location(`/v2/${name}/blobs/${mount}`), "docker-content-digest": mount } };
      }
      return this.#newSession(name);
    }
    const digest = url.searchParams.get("digest");
    if (digest !== null && this.options.singlePostUpload !== false) {
      checkDigest(digest);
      const actual = digestOf(body, digest.split(":")[0] as "sha256" | "sha512");
      if (actual !== digest) throw new Refusal(400, "DIGEST_INVALID", "provided digest did not match uploaded content", { expected: digest, actual });
      this.storeBlob(this.repository(name, true), body, digest.split(":")[0] as "sha256" | "sha512");
      return { status: 201, headers: { location: this.#location(`/v2/${name}/blobs/${digest}`), "docker-content-digest": digest } };
    }
    // A body without ?digest= would be dropped silently: a client bug, refused (distribution 2.8 ignores such a body
    // when it does not do single-POST uploads; so does this registry with singlePostUpload: false).
    if (digest === null && body.length > 0) throw new Refusal(400, "BLOB_UPLOAD_INVALID", "a POST without ?digest= starts an upload session and carries no body");
    return this.#newSession(name);
  }

  #newSession(name: string): Reply {
    const upload: Upload = { id: randomUUID(), repository: name, state: randomUUID().replaceAll("-", ""), chunks: [], size: 0 };
    this.uploads.set(upload.id, upload);
    const headers = this.#uploadHeaders(upload);
    if (this.options.chunkMinLength !== undefined) headers["oci-chunk-min-length"] = String(this.options.chunkMinLength);
    return { status: 202, headers };
  }

  #uploadHeaders(upload: Upload): Record<string, string> {
    return {
      location: this.#location(`/v2/${upload.repository}/blobs/uploads/${upload.id}?_state=${upload.state}`),
      // Distribution's convention: "0-0" also for an empty upload (the spec's end-of-range is the last byte's position).
      range: `0-${Math.max(upload.size - 1, 0)}`,
      "docker-upload-uuid": upload.id,
    };
  }

  /**
   * A chunk: with Content-Range it must start where the upload ends ("If a chunk is uploaded out of order, the
   * registry MUST respond with a 416") and be as long as the range says; a PATCH chunk carries Content-Length.
   * Without Content-Range the body is appended (a streamed upload, which distribution also accepts).
   */
  #appendChunk(upload: Upload, req: IncomingMessage, body: Buffer, patch: boolean): void {
    const header = req.headers["content-range"];
    if (header !== undefined) {
      const range = CONTENT_RANGE.exec(header);
      const rangeError = (message: string) => new Refusal(416, "BLOB_UPLOAD_INVALID", message, { range: header, offset: upload.size }, this.#uploadHeaders(upload));
      if (range === null) throw rangeError(`Content-Range ${JSON.stringify(header)} does not match ^[0-9]+-[0-9]+$`);
      const start = Number(range[1]);
      const end = Number(range[2]);
      if (start !== upload.size) throw rangeError(`the chunk starts at ${start}, the upload has ${upload.size} bytes (chunks must be in order)`);
      if (end < start) throw rangeError(`Content-Range ${header} ends before it starts`);
      if (end - start + 1 !== body.length) throw new Refusal(400, "SIZE_INVALID", `Content-Range ${header} is ${end - start + 1} bytes, the chunk has ${body.length}`);
      if (patch && req.headers["content-length"] === undefined) throw new Refusal(400, "SIZE_INVALID", "a chunk PATCH with Content-Range carries Content-Length");
    }
    upload.chunks.push(body);
    upload.size += body.length;
  }

  // -- tags [end-8a, end-8b] -------------------------------------------------------------------------------------

  #tagsList(method: string, name: string, url: URL): Reply {
    if (method !== "GET") throw unsupportedMethod(method);
    const repo = this.repository(name, false);
    const nParam = url.searchParams.get("n");
    if (nParam !== null && !/^\d+$/.test(nParam)) throw new Refusal(400, "UNSUPPORTED", `n must be a non-negative integer, got ${JSON.stringify(nParam)}`);
    const last = url.searchParams.get("last");
    // ASCIIbetical, as Go's sort.Strings (the 1.1 spec allows it besides case-insensitive lexical order).
    let tags = [...repo.tags.keys()].sort(byCodeUnit);
    if (last !== null) tags = tags.filter((t) => t > last);
    // "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header."
    if (nParam !== null && Number(nParam) === 0) return json(200, { name, tags: [] });
    const cap = Math.min(nParam === null ? Infinity : Number(nParam), this.options.tagsPageSize ?? Infinity);
    const page = tags.slice(0, cap);
    const headers: Record<string, string> = {};
    if (page.length < tags.length) {
      const next = new URLSearchParams({ n: String(nParam === null ? page.length : Number(nParam)), last: page.at(-1)! });
      headers.link = `</v2/${name}/tags/list?${next}>; rel="next"`;
    }
    return json(200, { name, tags: page }, headers);
  }

  // -- referrers [end-12a, end-12b] --------------------------------------------------------------------------------

  #referrersList(method: string, name: string, digest: string, url: URL): Reply {
    if (method !== "GET") throw unsupportedMethod(method);
    // "If the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad Request MUST be returned."
    if (!DIGEST.test(digest)) throw new Refusal(400, "DIGEST_INVALID", `${JSON.stringify(digest)} is not a digest`);
    // "If the registry supports the referrers API, the registry MUST NOT return a 404": an unknown repository or
    // subject has no referrers, which is an empty index, not "no API" (a 404 would send the client to the tag schema).
    const repo = this.repos.get(name);
    let descriptors = [...(repo?.manifests.values() ?? [])].filter((m) => m.subject === digest).map((m) => m.referrer!);
    const wanted = url.searchParams.get("artifactType");
    const headers: Record<string, string> = {};
    if (wanted !== null && wanted !== "" && this.options.filterArtifactType !== false) {
      descriptors = descriptors.filter((d) => d.artifactType === wanted);
      headers["oci-filters-applied"] = "artifactType";
    }
    const last = url.searchParams.get("last");
    if (last !== null) {
      const at = descriptors.findIndex((d) => d.digest === last);
      descriptors = at < 0 ? [] : descriptors.slice(at + 1);
    }
    const size = this.options.referrersPageSize ?? Infinity;
    const page = descriptors.slice(0, size);
    if (page.length < descriptors.length) {
      // "A Link header MUST be included in the response when the descriptor list cannot be returned in a single manifest."
      const next = new URLSearchParams(url.searchParams);
      next.set("last", page.at(-1)!.digest as string);
      headers.link = `</v2/${name}/referrers/${digest}?${next}>; rel="next"`;
    }
    headers["content-type"] = MEDIA.ociIndex;
    return { status: 200, headers, body: encode({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: page }) };
  }

  #location(path: string): string {
    return this.options.absoluteLocations ? `${this.origin}${path}` : path;
  }
}

// ---------------------------------------------------------------------------------------------------------------

function direct<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof Refusal) throw new Error(`${error.code}: ${error.message}${error.detail === undefined ? "" : ` (${JSON.stringify(error.detail)})`}`, { cause: error });
    throw error;
  }
}

function descriptor(value: unknown, field: string, invalid: (message: string) => Refusal): { mediaType: string; digest: string; size: number; urls?: string[] } {
  if (!isObject(value)) throw invalid(`${field} is not a descriptor`);
  if (typeof value.mediaType !== "string" || value.mediaType === "") throw invalid(`${field}.mediaType is missing`);
  if (typeof value.digest !== "string" || !DIGEST.test(value.digest)) throw invalid(`${field}.digest ${JSON.stringify(value.digest)} is not a sha256 or sha512 digest`);
  if (typeof value.size !== "number" || !Number.isSafeInteger(value.size) || value.size < 0) throw invalid(`${field}.size is not a non-negative integer`);
  const out: { mediaType: string; digest: string; size: number; urls?: string[] } = { mediaType: value.mediaType, digest: value.digest, size: value.size };
  if (value.urls !== undefined) {
    if (!Array.isArray(value.urls) || value.urls.some((u) => typeof u !== "string")) throw invalid(`${field}.urls is not an array of strings`);
    if (value.urls.length > 0) out.urls = value.urls as string[];
  }
  if (value.artifactType !== undefined && typeof value.artifactType !== "string") throw invalid(`${field}.artifactType is not a string`);
  if (value.annotations !== undefined) stringMap(value.annotations, `${field}.annotations`, invalid);
  return out;
}

function stringMap(value: unknown, field: string, invalid: (message: string) => Refusal): Record<string, string> {
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== "string")) throw invalid(`${field} is not a map of strings`);
  return value as Record<string, string>;
}

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new Refusal(400, "DIGEST_INVALID", `${JSON.stringify(digest)} is not a sha256 or sha512 digest`, { digest });
}

function digestOf(bytes: Uint8Array, algorithm: "sha256" | "sha512"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encode(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), "utf8"));
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "content-type": "application/json", ...headers }, body: encode(value) };
}

function errorReply(status: number, code: string, message: string, detail?: unknown, headers: Record<string, string> = {}): Reply {
  return json(status, { errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] }, headers);
}

function refusalReply(error: Refusal): Reply {
  return errorReply(error.status, error.code, error.message, error.detail, error.headers);
}

function unsupportedMethod(method: string): Refusal {
  return new Refusal(405, "UNSUPPORTED", `${method} is not supported here`);
}

/** What distribution 2.8 answers for a path it has no route for (Go's http.NotFound). */
function goNotFound(): Reply {
  return { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" }, body: new TextEncoder().encode("404 page not found\n") };
}

function faultReply(fault: Extract<FaultAction, { kind: "status" }>): Reply {
  if (fault.body !== undefined) {
    const body = typeof fault.body === "string" ? new TextEncoder().encode(fault.body) : fault.body;
    return { status: fault.status, headers: { ...fault.headers }, body };
  }
  const code = fault.status === 429 ? "TOOMANYREQUESTS" : fault.status === 401 ? "UNAUTHORIZED" : fault.status === 403 ? "DENIED" : "UNKNOWN";
  return errorReply(fault.status, code, `injected fault: ${fault.status}`, undefined, fault.headers);
}

function flipLastByte(body: Uint8Array): Uint8Array {
  if (body.length === 0) return new Uint8Array([0x78]);
  const out = new Uint8Array(body);
  out[out.length - 1] = out[out.length - 1]! ^ 0x01;
  return out;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        req.removeAllListeners("data");
        req.resume();
        reject(new Refusal(413, "SIZE_INVALID", `request body larger than this registry's limit of ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply, head: boolean, closeAfter = false): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { "docker-distribution-api-version": "registry/2.0", ...reply.headers };
  headers["content-length"] = String(reply.body?.length ?? 0);
  if (closeAfter) headers.connection = "close";
  res.writeHead(reply.status, headers);
  res.end(head || reply.body === undefined ? undefined : reply.body);
}

/**
 * A small test image (one layer holding `seed`) stored straight into the registry (no requests in its log), tagged:
 * its digest, its tag reference and its digest reference.
 */
export function storeTestImage(r: RunningOciRegistry, repository: string, tag: string, seed: string): { digest: string; name: string; ref: string; pinned: string } {
  const built = buildTestImage({ layers: [[{ path: "etc/seed", content: seed }]] });
  for (const bytes of built.blobs.values()) r.putBlob(repository, bytes);
  const digest = r.putManifest(repository, tag, built.manifest.bytes, built.manifest.mediaType);
  const name = `${r.host}/${repository}`;
  return { digest, name, ref: `${name}:${tag}`, pinned: `${name}@${digest}` };
}
