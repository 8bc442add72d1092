import { VouchError } from "../core/errors.js";
import { DEFAULT_IMAGE_LIMITS, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, type Descriptor } from "../catalog/sources/image/types.js";
import { VOUCH_VERSION } from "../version.js";
import { parseChallenges, type Challenge } from "./challenge.js";
import { createDigester, digestOf, isDigest, parseDigest, type ParsedDigest } from "./digest.js";
import type { CredentialStore, RegistryCredential } from "./docker-config.js";
import { parseManifestDocument, type ManifestDocument } from "./manifest.js";
import { apiHost, isLoopbackRegistry, type ImageReference } from "./reference.js";
import { abortableSleep, backoffDelay, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, type RetryPolicy } from "./retry.js";

/**
 * A client for the OCI distribution API v2 (opencontainers/distribution-spec `spec.md`) over an injected fetch:
 * manifests by tag or digest, blobs as verified streams, and the registries' auth (anonymous, basic, and the
 * bearer token flow of distribution `docs/spec/auth/token.md`).
 *
 * Integrity: a manifest asked for by digest must hash to it, and one whose registry names its digest
 * (Docker-Content-Digest) must hash to that; a blob must hash to its descriptor's digest and have its size. A
 * mismatch is INPUT_MALFORMED, never a warning: a registry (or anything between it and us) is not trusted.
 * Blob streams are checked while they flow, so the error arrives at the end of the stream (or as soon as it is
 * longer than it should be); a reader must treat a stream error as fatal and drop what it built from the stream.
 *
 * Transport: HTTPS, except plain HTTP for a loopback registry (localhost, 127.0.0.0/8, [::1]) or with
 * `insecure: true` (as go-containerregistry does). Redirects (blob storage) are followed by the client, so
 * credentials are never sent to another origin and an HTTPS request is never redirected to plain HTTP on a
 * non-loopback host.
 *
 * Faults: 429, 502, 503, 504, network errors and timeouts are tried again with exponential backoff and jitter (a
 * Retry-After is honoured up to a cap), a bounded number of times, for requests that can be repeated (GET, HEAD,
 * DELETE, PUT of a manifest, a blob mount); an upload is restarted from its POST, never resumed halfway. Then
 * SERVICE_UNAVAILABLE, naming the registry and the request. A request that gets no answer (headers) within the
 * timeout, or a body that stalls that long, is such a fault too.
 */

/** The slice of fetch the client uses; global fetch satisfies it. `redirect: "manual"` must return the 3xx. */
export type OciFetch = (url: string, init: OciRequestInit) => Promise<OciResponse>;

export interface OciRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  redirect: "manual";
  signal?: AbortSignal;
}

export interface OciResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface RegistryClientOptions {
  /** Default: global fetch. */
  fetch?: OciFetch;
  /** Where credentials come from (readDockerConfig, staticCredentials). Default: none (anonymous). */
  credentials?: CredentialStore;
  /**
   * Talk plain HTTP to every registry and token service, not only loopback ones. Unsafe: anyone on the path sees
   * the credentials and can serve other content (digests still protect content asked for by digest).
   */
  insecure?: boolean;
  /** Bytes a manifest or index may have (read whole). Default DEFAULT_IMAGE_LIMITS.maxMetadataBytes. */
  maxManifestBytes?: number;
  /** Aborts every request of this client. */
  signal?: AbortSignal;
  userAgent?: string;
  /** Retries (DEFAULT_RETRY_POLICY: 4 tries, 250 ms doubling to 8 s, Retry-After up to 60 s). */
  retry?: Partial<RetryPolicy>;
  /**
   * Milliseconds a request may wait for the registry's answer (its headers), and a body may go without data.
   * Default 30 s.
   */
  timeoutMs?: number;
  /** How the client waits between tries (tests: instant). Default: a timer, cut short by `signal`. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) for the backoff jitter. Default Math.random. */
  random?: () => number;
  /** The clock Retry-After dates are read against (ms since the epoch). Default Date.now. */
  now?: () => number;
}

/** A repository on a registry. */
export type RepositoryTarget = Pick<ImageReference, "registry" | "repository">;

export interface FetchedManifest {
  /** Media type (the document's own, else the Content-Type), digest (verified) and size of the bytes. */
  descriptor: Descriptor;
  /** The bytes exactly as served (what the digest is over). */
  bytes: Uint8Array;
  document: ManifestDocument;
}

/** Every manifest media type vouch reads, for the Accept header (a registry converts nothing it is not asked for). */
export const MANIFEST_ACCEPT = [...INDEX_MEDIA_TYPES, ...MANIFEST_MEDIA_TYPES].join(", ");

const MAX_REDIRECTS = 10;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_TOKEN_BODY = 1024 * 1024;
/** Pages of a tags list followed at most (a Link loop, or a registry paging one tag at a time, ends here). */
const MAX_PAGES = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** An error body is a courtesy: it is not waited for long. */
const ERROR_BODY_TIMEOUT_MS = 5_000;
/** Chunk size of a streamed upload: memory held per upload, and the size of each PATCH. */
const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
const PUSH: readonly string[] = ["pull", "push"];
/** Methods whose request may be sent again as it is (RFC 9110 §9.2.2); PUT only where the caller says so. */
const IDEMPOTENT = new Set(["GET", "HEAD", "DELETE"]);

/** A request to the repository's API, as `request` takes it. */
export interface RegistryRequest {
  method: string;
  /** Under `/v2/<repository>/`. */
  path?: string;
  /** An absolute URL the registry handed out (an upload location, a Link). */
  url?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Actions on the repository the token must grant. Default ["pull"]. */
  actions?: readonly string[];
  /** More token scopes (a blob mount needs `repository:<from>:pull`). */
  scopes?: readonly string[];
  /** Try again on a fault. Default: GET, HEAD and DELETE yes, others no (the caller retries the whole operation). */
  retry?: boolean;
}

/** A small document read whole (a tags list, a referrers index). */
export interface FetchedDocument {
  status: number;
  headers: OciResponse["headers"];
  /** Where it was read from (a Link is relative to it). */
  url: string;
  /** The body for a 200; empty for an allowed other status. */
  bytes: Uint8Array;
}

/**
 * Faults that another try may cure (a network error, a timeout, 429/502/503/504), with the Retry-After the registry
 * asked for. Module-private: callers see a plain SERVICE_UNAVAILABLE.
 */
const transientFaults = new WeakMap<VouchError, { retryAfterMs?: number }>();

function transient(message: string, options: { cause?: unknown; retryAfterMs?: number } = {}): VouchError {
  const error = new VouchError("SERVICE_UNAVAILABLE", message, options.cause === undefined ? undefined : { cause: options.cause });
  transientFaults.set(error, options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs });
  return error;
}

interface HostState {
  /** The challenge the registry answered 401 with (undefined until it did: the first request goes anonymous). */
  challenge?: Challenge;
  /** Bearer tokens by scope. */
  tokens: Map<string, string>;
}

export class RegistryClient {
  readonly #fetch: OciFetch;
  readonly #credentials: CredentialStore | undefined;
  readonly #insecure: boolean;
  readonly #maxManifestBytes: number;
  readonly #signal: AbortSignal | undefined;
  readonly #userAgent: string;
  readonly #hosts = new Map<string, HostState>();
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(options: RegistryClientOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#credentials = options.credentials;
    this.#insecure = options.insecure ?? false;
    this.#maxManifestBytes = options.maxManifestBytes ?? DEFAULT_IMAGE_LIMITS.maxMetadataBytes;
    this.#signal = options.signal;
    this.#userAgent = options.userAgent ?? `vouch/${VOUCH_VERSION}`;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!Number.isSafeInteger(this.#policy.tries) || this.#policy.tries < 1) throw new VouchError("INPUT_USAGE", `retry.tries must be a positive integer, got ${this.#policy.tries}`);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.#timeoutMs > 0)) throw new VouchError("INPUT_USAGE", `timeoutMs must be positive, got ${this.#timeoutMs}`);
    this.#sleep = options.sleep ?? ((ms) => abortableSleep(ms, this.#signal));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** "https://ghcr.io" / "http://localhost:5000": where the registry's /v2/ API is. */
  baseUrl(registry: string): string {
    const plain = this.#insecure || isLoopbackRegistry(registry);
    return `${plain ? "http" : "https"}://${apiHost({ registry })}`;
  }

  /**
   * The manifest or index a tag or digest names, verified against the digest asked for and the registry's
   * Docker-Content-Digest. INPUT_NOT_FOUND for an unknown repository, tag or digest.
   *
   * @example const { document, descriptor } = await client.getManifest({ registry: "localhost:5000", repository: "app" }, "1.0");
   */
  async getManifest(target: RepositoryTarget, reference: string, options: { accept?: string } = {}): Promise<FetchedManifest> {
    const found = await this.#manifest(target, reference, options.accept, false);
    return found!;
  }

  /**
   * getManifest, but undefined when the registry has no such manifest (404) instead of INPUT_NOT_FOUND: for probes
   * that usually miss (cosign's `.sig` tag of an image signed the OCI 1.1 way), where building and catching an error
   * on every call is measurable.
   */
  async findManifest(target: RepositoryTarget, reference: string, options: { accept?: string } = {}): Promise<FetchedManifest | undefined> {
    return this.#manifest(target, reference, options.accept, true);
  }

  async #manifest(target: RepositoryTarget, reference: string, accept: string | undefined, missingIsUndefined: boolean): Promise<FetchedManifest | undefined> {
    const { pinned, what } = manifestReference(target, reference);
    return this.#retrying(this.#policy.tries, async () => {
      const response = await this.#exchange(target, { method: "GET", path: `manifests/${reference}`, headers: { accept: accept ?? MANIFEST_ACCEPT } });
      if (response.status === 404 && missingIsUndefined) {
        await discard(response);
        return undefined;
      }
      if (response.status !== 200) throw await this.#statusError(response, target, what);
      const bytes = await readCapped(response, this.#maxManifestBytes, what, this.#timeoutMs);

      if (pinned !== undefined) {
        const actual = digestOf(bytes, pinned.algorithm);
        if (actual !== pinned.digest) throw new VouchError("INPUT_MALFORMED", `${what}: the registry served a manifest whose digest is ${actual}`);
      }
      const named = contentDigest(response, what);
      let digest = pinned?.digest;
      if (named !== undefined) {
        const actual = digestOf(bytes, named.algorithm);
        if (actual !== named.digest) throw new VouchError("INPUT_MALFORMED", `${what}: the registry says its digest is ${named.digest}, but the bytes served hash to ${actual}`);
        digest ??= named.digest;
      }
      digest ??= digestOf(bytes, "sha256");
      const document = parseManifestDocument(bytes, response.headers.get("content-type") ?? undefined, what);
      return { descriptor: { mediaType: document.mediaType, digest, size: bytes.length }, bytes, document };
    });
  }

  /**
   * The descriptor a tag or digest names, from a HEAD (Docker-Content-Digest, Content-Type, Content-Length), without
   * the manifest's bytes; a registry that leaves out any of them (or names a media type vouch does not read) gets a
   * GET instead, verified as getManifest verifies. For a tag, the digest is the registry's word until the manifest
   * is read by that digest (which verifies it); for a digest, a registry naming another one is INPUT_MALFORMED.
   *
   * @example const { digest } = await client.resolve(target, "1.0"); // sign `${repository}@${digest}`, never the tag
   */
  async resolve(target: RepositoryTarget, reference: string): Promise<Descriptor> {
    const { pinned, what } = manifestReference(target, reference);
    const response = await this.request(target, { method: "HEAD", path: `manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT } });
    if (response.status !== 200) throw await this.#statusError(response, target, what);
    await discard(response);
    const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    const length = response.headers.get("content-length");
    let named: ParsedDigest | undefined;
    try {
      named = contentDigest(response, what);
    } catch {
      named = undefined; // the GET below says what is wrong with it, against the bytes
    }
    if (named !== undefined && pinned !== undefined && named.digest !== pinned.digest && named.algorithm === pinned.algorithm) {
      throw new VouchError("INPUT_MALFORMED", `${what}: the registry answered for ${named.digest}`);
    }
    const known = mediaType !== undefined && (INDEX_MEDIA_TYPES.has(mediaType) || MANIFEST_MEDIA_TYPES.has(mediaType));
    if (named === undefined || !known || length === null || !/^\d{1,15}$/.test(length) || (pinned !== undefined && named.algorithm !== pinned.algorithm)) {
      return (await this.getManifest(target, reference)).descriptor;
    }
    return { mediaType, digest: named.digest, size: Number(length) };
  }

  /**
   * A blob as a stream, checked against the descriptor's digest and size while it flows (the stream errors with
   * INPUT_MALFORMED on a mismatch). Redirects to blob storage are followed without the registry's credentials.
   * INPUT_NOT_FOUND when the registry has no such blob.
   */
  async openBlob(target: RepositoryTarget, descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const what = `blob ${descriptor.digest} of ${target.registry}/${target.repository}`;
    const parsed = blobDigest(descriptor.digest, what, "INPUT_MALFORMED");
    const response = await this.request(target, { method: "GET", path: `blobs/${descriptor.digest}` });
    if (response.status !== 200) throw await this.#statusError(response, target, what);
    const length = response.headers.get("content-length");
    if (length !== null && /^\d+$/.test(length) && Number(length) !== descriptor.size) {
      await discard(response);
      throw new VouchError("INPUT_MALFORMED", `${what}: the registry serves ${length} bytes, the descriptor says ${descriptor.size}`);
    }
    if (response.body === null) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the registry answered 200 without a body`);
    return verifying(response.body, parsed.algorithm, descriptor, what, this.#timeoutMs);
  }

  /** A whole blob (a config), verified, at most `maxBytes` (INPUT_TOO_LARGE past it). */
  async readBlob(target: RepositoryTarget, descriptor: Descriptor, maxBytes: number = this.#maxManifestBytes): Promise<Uint8Array> {
    const what = `blob ${descriptor.digest} of ${target.registry}/${target.repository}`;
    if (descriptor.size > maxBytes) throw new VouchError("INPUT_TOO_LARGE", `${what}: ${descriptor.size} bytes, more than the limit of ${maxBytes}`);
    return this.#retrying(this.#policy.tries, async () => {
      const stream = await this.openBlob(target, descriptor);
      return readStream(stream, maxBytes, what, this.#timeoutMs);
    });
  }

  /** Whether the repository has the blob (HEAD). */
  async hasBlob(target: RepositoryTarget, digest: string): Promise<boolean> {
    const what = `blob ${digest} of ${target.registry}/${target.repository}`;
    blobDigest(digest, what, "INPUT_USAGE");
    const response = await this.request(target, { method: "HEAD", path: `blobs/${digest}`, actions: PUSH });
    await discard(response);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await this.#statusError(response, target, what);
  }

  /**
   * Uploads a blob held in memory (a config, a signature, an SBOM) in one PUT (distribution-spec "monolithic
   * upload": POST, then PUT with `?digest=`), unless the repository has it already. The registry checks the digest;
   * a Docker-Content-Digest naming another is INPUT_MALFORMED. A fault restarts the upload from its POST.
   *
   * @example const config = await client.pushBlob(target, new TextEncoder().encode("{}"), "application/vnd.oci.empty.v1+json");
   */
  async pushBlob(target: RepositoryTarget, bytes: Uint8Array, mediaType = "application/octet-stream"): Promise<Descriptor> {
    const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
    if (await this.hasBlob(target, descriptor.digest)) return descriptor;
    const what = `blob ${descriptor.digest} to ${target.registry}/${target.repository}`;
    await this.#retrying(this.#policy.tries, async () => {
      const { location } = await this.#startUpload(target, what);
      location.searchParams.set("digest", descriptor.digest);
      const put = await this.#exchange(target, {
        method: "PUT",
        url: location.href,
        headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
        body: bytes,
        actions: PUSH,
      });
      // distribution-spec: an upload session the registry no longer knows (404) means "restart the upload process".
      if (put.status === 404) throw transient(`${what}: the registry lost the upload session (${await errorReason(put)})`);
      await this.#expectCreated(put, target, what, descriptor.digest);
    });
    return descriptor;
  }

  /**
   * Uploads a blob from a stream in chunks (distribution-spec "chunked upload": POST, PATCH per chunk with
   * Content-Range, then PUT with `?digest=`): at most about one chunk is held in memory, however large the blob.
   * The bytes are counted and hashed as they pass: a stream longer than `expected.size`, or one whose digest or size
   * differ at its end, cancels the upload and is INPUT_MALFORMED (the registry checks the digest again on the PUT).
   * Skipped (the stream cancelled) when the repository has the blob. Only the POST is retried: a stream cannot be
   * replayed, so a fault after the first PATCH cancels the upload (SERVICE_UNAVAILABLE; push again).
   */
  async pushBlobStream(target: RepositoryTarget, stream: ReadableStream<Uint8Array>, expected: { digest: string; size: number }, options: { chunkSize?: number } = {}): Promise<void> {
    const what = `blob ${expected.digest} to ${target.registry}/${target.repository}`;
    const parsed = blobDigest(expected.digest, what, "INPUT_USAGE");
    if (!Number.isSafeInteger(expected.size) || expected.size < 0) throw new VouchError("INPUT_USAGE", `${what}: size ${expected.size} is not a non-negative integer`);
    if (await this.hasBlob(target, expected.digest)) {
      await stream.cancel().catch(() => undefined);
      return;
    }
    const started = await this.#retrying(this.#policy.tries, () => this.#startUpload(target, what));
    let location = started.location;
    // A registry may ask for a minimum (OCI-Chunk-Min-Length, distribution-spec 1.1); every chunk but the last is at least that.
    const chunkSize = Math.max(options.chunkSize ?? DEFAULT_CHUNK_SIZE, started.minChunk ?? 1);
    const digester = createDigester(parsed.algorithm);
    const reader = stream.getReader();
    let sent = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;

    const flush = async () => {
      const chunk = concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const range = `${sent}-${sent + chunk.length - 1}`;
      const response = await this.#exchange(target, {
        method: "PATCH",
        url: location.href,
        headers: { "content-type": "application/octet-stream", "content-length": String(chunk.length), "content-range": range },
        body: chunk,
        actions: PUSH,
      });
      if (response.status !== 202) throw await this.#statusError(response, target, `${what}: chunk ${range}`);
      await discard(response);
      // Range is the registry's inclusive count of what it holds ("0-<last>", some send "bytes=0-<last>"). distribution
      // 2.8 does not check Content-Range (it appends whatever comes), so this and the digest on the PUT are the checks.
      const held = /^(?:bytes=)?0-(\d+)$/.exec(response.headers.get("range")?.trim() ?? "");
      if (held !== null && Number(held[1]) !== sent + chunk.length - 1) {
        throw new VouchError("SERVICE_UNAVAILABLE", `${what}: after chunk ${range} the registry holds bytes 0-${held[1]}`);
      }
      sent += chunk.length;
      location = uploadLocation(response, location, this.baseUrl(target.registry), what);
    };

    try {
      for (;;) {
        const { done, value } = await timedRead(reader, this.#timeoutMs, `${what}: reading the stream`);
        if (done) break;
        if (sent + pendingBytes + value.byteLength > expected.size) {
          throw new VouchError("INPUT_MALFORMED", `${what}: the stream is longer than the expected ${expected.size} bytes`);
        }
        digester.update(value);
        pending.push(value);
        pendingBytes += value.byteLength;
        if (pendingBytes >= chunkSize) await flush();
      }
      if (pendingBytes > 0) await flush();
      const actual = digester.digest();
      if (sent !== expected.size) throw new VouchError("INPUT_MALFORMED", `${what}: the stream ended after ${sent} bytes, expected ${expected.size}`);
      if (actual !== expected.digest) throw new VouchError("INPUT_MALFORMED", `${what}: the stream's bytes hash to ${actual}`);
      const done = new URL(location);
      done.searchParams.set("digest", expected.digest);
      const put = await this.#exchange(target, { method: "PUT", url: done.href, headers: { "content-type": "application/octet-stream", "content-length": "0" }, body: new Uint8Array(0), actions: PUSH });
      await this.#expectCreated(put, target, what, expected.digest);
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      // distribution-spec: clients SHOULD cancel an upload they cannot finish (the registry drops what it holds).
      await this.#cancelUpload(target, location);
      if (error instanceof VouchError && transientFaults.has(error)) {
        throw new VouchError("SERVICE_UNAVAILABLE", `${error.message} (after ${sent} bytes of a stream, which cannot be replayed: push again)`, { cause: error });
      }
      throw error;
    } finally {
      reader.releaseLock();
    }
  }

  /**
   * Mounts a blob from another repository of the same registry (POST `?mount=&from=`) instead of uploading it: true
   * when the registry mounted it (201), false when it started an upload instead (202: cancelled here; push the blob)
   * or the repositories are on different registries (nothing to ask).
   */
  async mountBlob(target: RepositoryTarget, from: RepositoryTarget, digest: string): Promise<boolean> {
    const what = `blob ${digest} from ${from.repository} to ${target.registry}/${target.repository}`;
    blobDigest(digest, what, "INPUT_USAGE");
    if (apiHost(from) !== apiHost(target)) return false;
    const url = `${this.baseUrl(target.registry)}/v2/${target.repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.repository)}`;
    // Repeating a mount is harmless (a second 201, or a second upload session that is cancelled below).
    const response = await this.request(target, {
      method: "POST",
      url,
      headers: { "content-length": "0" },
      actions: PUSH,
      scopes: [`repository:${from.repository}:pull`],
      retry: true,
    });
    if (response.status === 201) {
      await discard(response);
      const named = contentDigest(response, what);
      if (named !== undefined && named.algorithm === parseDigest(digest).algorithm && named.digest !== digest) {
        throw new VouchError("INPUT_MALFORMED", `${what}: the registry mounted ${named.digest}`);
      }
      return true;
    }
    if (response.status === 202) {
      await discard(response);
      const location = response.headers.get("location");
      if (location !== null) await this.#cancelUpload(target, safeUrl(location, this.baseUrl(target.registry)));
      return false;
    }
    throw await this.#statusError(response, target, what);
  }

  /**
   * Pushes a manifest or index under a tag or its digest. The bytes are parsed first (vouch pushes nothing it could
   * not read back), must hash to a digest reference, and the registry's Docker-Content-Digest must name their digest
   * (distribution-spec: it "MUST be equal to the client provided digest"), else INPUT_MALFORMED. `subjectIndexed`:
   * the registry answered with `OCI-Subject: <the subject's digest>`, so it has the referrers API and listed this
   * manifest under its subject (no referrers tag schema update is needed).
   *
   * @example const { descriptor } = await client.putManifest(target, "1.0", bytes, "application/vnd.oci.image.manifest.v1+json");
   */
  async putManifest(target: RepositoryTarget, reference: string, bytes: Uint8Array, mediaType: string): Promise<{ descriptor: Descriptor; subjectIndexed: boolean }> {
    const { pinned, what } = manifestReference(target, reference);
    if (bytes.length > this.#maxManifestBytes) throw new VouchError("INPUT_TOO_LARGE", `${what}: ${bytes.length} bytes, more than the limit of ${this.#maxManifestBytes}`);
    const document = parseManifestDocument(bytes, mediaType, what);
    const digest = digestOf(bytes, pinned?.algorithm ?? "sha256");
    if (pinned !== undefined && pinned.digest !== digest) throw new VouchError("INPUT_USAGE", `${what}: the bytes hash to ${digest}, not to the digest they are pushed under`);
    const response = await this.request(target, {
      method: "PUT",
      path: `manifests/${reference}`,
      headers: { "content-type": mediaType },
      body: bytes,
      actions: PUSH,
      retry: true, // the same bytes under the same reference: repeating it changes nothing
    });
    if (response.status < 200 || response.status > 299) throw await this.#statusError(response, target, what);
    await discard(response);
    const named = contentDigest(response, what);
    if (named !== undefined && digestOf(bytes, named.algorithm) !== named.digest) {
      throw new VouchError("INPUT_MALFORMED", `${what}: the registry says it stored ${named.digest}, but the bytes pushed hash to ${digestOf(bytes, named.algorithm)}`);
    }
    const subject = response.headers.get("oci-subject")?.trim();
    const subjectIndexed = subject !== undefined && document.subject !== undefined && subject === document.subject.digest;
    const descriptor: Descriptor = { mediaType: document.mediaType, digest, size: bytes.length };
    if (document.artifactType !== undefined) descriptor.artifactType = document.artifactType;
    return { descriptor, subjectIndexed };
  }

  /**
   * Deletes a manifest by digest (every tag on it goes too), or a tag (distribution-spec "Deleting tags"; distribution
   * 2.x does not: INPUT_USAGE, as for a registry with deletion disabled). INPUT_NOT_FOUND when there is no such
   * manifest or tag.
   */
  async deleteManifest(target: RepositoryTarget, reference: string): Promise<void> {
    const { pinned, what } = manifestReference(target, reference);
    const response = await this.request(target, { method: "DELETE", path: `manifests/${reference}`, actions: ["pull", "push", "delete"] });
    if (response.status >= 200 && response.status <= 299) return discard(response);
    if (response.status === 400 || response.status === 405) {
      const reason = await errorReason(response);
      throw new VouchError(
        "INPUT_USAGE",
        pinned === undefined
          ? `${what}: ${target.registry} does not delete tags (${reason}); delete the manifest by digest, which removes every tag on it`
          : `${what}: ${target.registry} refused to delete it (${reason}; is deletion enabled?)`,
      );
    }
    throw await this.#statusError(response, target, what);
  }

  /**
   * Every tag of the repository, following `Link: <…>; rel="next"` pages (distribution-spec "Listing Tags"), sorted
   * (code-unit order: distribution 2.8 serves them unsorted) and without duplicates. INPUT_NOT_FOUND for an unknown
   * repository. `pageSize` asks for pages of `n` tags (a registry may ignore it).
   */
  async listTags(target: RepositoryTarget, options: { pageSize?: number } = {}): Promise<string[]> {
    const what = `tags of ${target.registry}/${target.repository}`;
    let url = `${this.baseUrl(target.registry)}/v2/${target.repository}/tags/list${options.pageSize === undefined ? "" : `?n=${options.pageSize}`}`;
    const tags = new Set<string>();
    const seen = new Set<string>();
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES || seen.has(url)) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the registry's pages do not end (${page} pages read)`);
      seen.add(url);
      const fetched = await this.getDocument(target, { url, accept: "application/json" }, what);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fetched.bytes));
      } catch {
        throw new VouchError("INPUT_MALFORMED", `${what}: page ${page + 1} is not JSON`);
      }
      const list = (json as { tags?: unknown } | null)?.tags;
      if (typeof json !== "object" || json === null || (list !== null && !(Array.isArray(list) && list.every((t) => typeof t === "string")))) {
        throw new VouchError("INPUT_MALFORMED", `${what}: page ${page + 1} has no "tags" list of strings`);
      }
      for (const tag of (list ?? []) as string[]) tags.add(tag);
      const next = nextLink(fetched.headers.get("link"), fetched.url, what);
      if (next === undefined) break;
      url = next;
    }
    return [...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * A small document of the repository's API read whole (GET, retried, at most the manifest limit): a 200's body,
   * or an empty body for a status in `allow` (a 404 that means "not supported here"); any other status is the
   * usual error (INPUT_NOT_FOUND, INPUT_USAGE, SERVICE_UNAVAILABLE).
   */
  async getDocument(target: RepositoryTarget, init: { path?: string; url?: string; accept?: string }, what: string, options: { allow?: readonly number[] } = {}): Promise<FetchedDocument> {
    const url = init.url ?? `${this.baseUrl(target.registry)}/v2/${target.repository}/${init.path ?? ""}`;
    return this.#retrying(this.#policy.tries, async () => {
      const response = await this.#exchange(target, { method: "GET", url, headers: init.accept === undefined ? {} : { accept: init.accept } });
      if (response.status === 200) return { status: 200, headers: response.headers, url, bytes: await readCapped(response, this.#maxManifestBytes, what, this.#timeoutMs) };
      if (options.allow?.includes(response.status)) {
        await discard(response);
        return { status: response.status, headers: response.headers, url, bytes: new Uint8Array(0) };
      }
      throw await this.#statusError(response, target, what);
    });
  }

  /**
   * One authorized request to the repository's API (`/v2/<repository>/<path>`, or an absolute URL the registry
   * handed out, such as an upload location). Answers 401 by following the registry's challenge once (bearer token
   * for `repository:<repo>:<actions>`, or basic credentials) and retries; the answer is returned whatever its
   * status, except a 401 the credentials could not get past (INPUT_USAGE). Faults (network errors, timeouts, 429,
   * 502, 503, 504) are tried again when `retry` (default for GET, HEAD, DELETE), then SERVICE_UNAVAILABLE.
   */
  async request(target: RepositoryTarget, init: RegistryRequest): Promise<OciResponse> {
    const retry = init.retry ?? IDEMPOTENT.has(init.method.toUpperCase());
    return this.#retrying(retry ? this.#policy.tries : 1, () => this.#exchange(target, init));
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or `tries` are used up. Only transient faults are tried again;
   * a Retry-After longer than the policy allows ends it at once (saying when to come back).
   */
  async #retrying<T>(tries: number, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        const fault = error instanceof VouchError ? transientFaults.get(error) : undefined;
        if (fault === undefined || this.#signal?.aborted) throw error;
        const failure = error as VouchError;
        if (fault.retryAfterMs !== undefined && fault.retryAfterMs > this.#policy.maxRetryAfterMs) {
          throw new VouchError("SERVICE_UNAVAILABLE", `${failure.message}; not tried again: it asks to wait ${Math.ceil(fault.retryAfterMs / 1000)} s`, { cause: error });
        }
        if (n >= tries) {
          // tries === 1: the caller retries a larger operation (an upload from its POST), so the fault stays transient.
          if (tries === 1) throw error;
          throw new VouchError("SERVICE_UNAVAILABLE", `${failure.message} (gave up after ${tries} tries)`, { cause: error });
        }
        await this.#sleep(backoffDelay(n, this.#policy, this.#random, fault.retryAfterMs));
      }
    }
  }

  /** One authorized exchange (the 401 challenge dance included); a retryable status is a transient fault. */
  async #exchange(target: RepositoryTarget, init: RegistryRequest): Promise<OciResponse> {
    const url = init.url ?? `${this.baseUrl(target.registry)}/v2/${target.repository}/${init.path ?? ""}`;
    const scope = [`repository:${target.repository}:${(init.actions ?? ["pull"]).join(",")}`, ...(init.scopes ?? [])].join(" ");
    const host = this.#host(target.registry);
    let retried = false;
    for (;;) {
      const authorization = await this.#authorization(host, target, scope);
      const headers: Record<string, string> = { "user-agent": this.#userAgent, ...init.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      const response = await this.#fetchFollowing(url, { method: init.method, headers, body: init.body });
      if (isRetryableStatus(response.status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.#now());
        const reason = await errorReason(response);
        const label = response.status === 429 ? "is rate-limiting requests" : `answered ${response.status}`;
        const after = response.headers.get("retry-after");
        throw transient(`${target.registry} ${label} (${init.method} ${describeUrl(url)}: ${reason}${after ? `; retry after ${after.trim().slice(0, 40)}` : ""})`, {
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        });
      }
      if (response.status !== 401) return response;
      const challenges = parseChallenges(response.headers.get("www-authenticate") ?? "");
      const challenge = challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
      if (retried || challenge === undefined) {
        const reason = await errorReason(response);
        throw this.#refused(target, authorization !== undefined, challenge === undefined ? `${reason}; no bearer or basic challenge in WWW-Authenticate` : reason);
      }
      await discard(response);
      retried = true;
      host.challenge = challenge;
      host.tokens.delete(scope); // a cached token that was refused (expired): fetch a new one
    }
  }

  /** POST …/blobs/uploads/: the upload's location and the registry's minimum chunk size, if it names one. */
  async #startUpload(target: RepositoryTarget, what: string): Promise<{ location: URL; minChunk?: number }> {
    const response = await this.#exchange(target, { method: "POST", path: "blobs/uploads/", headers: { "content-length": "0" }, actions: PUSH });
    if (response.status !== 202) throw await this.#statusError(response, target, `${what}: starting the upload`);
    await discard(response);
    const location = uploadLocation(response, undefined, this.baseUrl(target.registry), what);
    const min = response.headers.get("oci-chunk-min-length");
    return min !== null && /^\d{1,12}$/.test(min.trim()) ? { location, minChunk: Number(min.trim()) } : { location };
  }

  async #expectCreated(response: OciResponse, target: RepositoryTarget, what: string, digest: string): Promise<void> {
    if (response.status !== 201) throw await this.#statusError(response, target, what);
    await discard(response);
    const named = contentDigest(response, what);
    if (named !== undefined && named.algorithm === parseDigest(digest).algorithm && named.digest !== digest) {
      throw new VouchError("INPUT_MALFORMED", `${what}: the registry stored ${named.digest}`);
    }
  }

  /** Best effort: an upload that cannot finish is cancelled (DELETE its location); a failure here changes nothing. */
  async #cancelUpload(target: RepositoryTarget, location: URL | undefined): Promise<void> {
    if (location === undefined) return;
    try {
      const response = await this.#exchange(target, { method: "DELETE", url: location.href, actions: PUSH });
      await discard(response);
    } catch {
      // the registry expires abandoned uploads itself
    }
  }

  #host(registry: string): HostState {
    let state = this.#hosts.get(registry);
    if (state === undefined) {
      state = { tokens: new Map() };
      this.#hosts.set(registry, state);
    }
    return state;
  }

  async #authorization(host: HostState, target: RepositoryTarget, scope: string): Promise<string | undefined> {
    const challenge = host.challenge;
    if (challenge === undefined) return undefined;
    const credential = this.#credentials?.credentialFor(target.registry);
    if (challenge.scheme === "basic") {
      if (credential === undefined) throw this.#refused(target, false, "the registry requires basic authentication");
      if (credential.kind === "helper") throw new VouchError("INPUT_USAGE", `${target.registry} requires credentials, and ${helperNote(credential)}`);
      if (credential.kind !== "basic") throw new VouchError("INPUT_USAGE", `${target.registry} asks for basic authentication, but ${credential.source} holds an identity token (only usable with a token service)`);
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, "utf8").toString("base64")}`;
    }
    const cached = host.tokens.get(scope);
    if (cached !== undefined) return `Bearer ${cached}`;
    const token = await this.#fetchToken(challenge, target, scope, credential);
    host.tokens.set(scope, token);
    return `Bearer ${token}`;
  }

  /**
   * The token flow (distribution docs/spec/auth/token.md): GET realm?service=…&scope=… with basic credentials when
   * there are any, or, for an identity token, the OAuth2 refresh-token grant (docs/spec/auth/oauth.md). Credentials
   * kept in a credential helper are not available: the token is then anonymous (enough for public images) and a
   * refusal says where the credentials are.
   */
  async #fetchToken(challenge: Challenge, target: RepositoryTarget, scope: string, credential: RegistryCredential | undefined): Promise<string> {
    const realm = challenge.params.realm;
    if (realm === undefined || realm === "") throw new VouchError("SERVICE_UNAVAILABLE", `${target.registry} sent a bearer challenge without a realm (token service)`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new VouchError("SERVICE_UNAVAILABLE", `${target.registry} named a token service that is not a URL: ${JSON.stringify(realm.slice(0, 200))}`);
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && (this.#insecure || isLoopbackRegistry(url.host)))) {
      // A token request carries the user's credentials: never over plain HTTP to another machine.
      throw new VouchError("SERVICE_UNAVAILABLE", `${target.registry} named a token service over ${url.protocol.replace(":", "")}: ${url.origin} (only https, or http on loopback or with --insecure)`);
    }
    const scopes = scope.split(" ");
    if (challenge.params.scope !== undefined) scopes.push(...challenge.params.scope.split(" ").filter((s) => s !== "" && !scopes.includes(s)));
    const service = challenge.params.service;
    const headers: Record<string, string> = { "user-agent": this.#userAgent, accept: "application/json" };
    let response: OciResponse;
    const usable = credential?.kind === "basic" || credential?.kind === "identity-token" ? credential : undefined;
    if (usable?.kind === "identity-token") {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: usable.token, client_id: "vouch", scope: scopes.join(" ") });
      if (service !== undefined) form.set("service", service);
      headers["content-type"] = "application/x-www-form-urlencoded";
      response = await this.#fetchFollowing(url.href, { method: "POST", headers, body: form.toString() });
    } else {
      if (service !== undefined) url.searchParams.set("service", service);
      for (const s of scopes) url.searchParams.append("scope", s);
      if (usable?.kind === "basic") {
        url.searchParams.set("account", usable.username);
        headers.authorization = `Basic ${Buffer.from(`${usable.username}:${usable.password}`, "utf8").toString("base64")}`;
      }
      response = await this.#fetchFollowing(url.href, { method: "GET", headers });
    }
    if (response.status === 401 || response.status === 403) {
      const reason = await errorReason(response);
      throw new VouchError(
        "INPUT_USAGE",
        usable === undefined
          ? `the token service of ${target.registry} (${url.origin}) refused an anonymous token for ${target.repository} (${reason})${credential?.kind === "helper" ? `; ${helperNote(credential)}` : "; log in (docker login) or add credentials to the Docker config"}`
          : `the token service of ${target.registry} (${url.origin}) refused the credentials from ${usable.source} (${reason})`,
      );
    }
    if (response.status !== 200) {
      const message = `the token service of ${target.registry} (${url.origin}) answered ${response.status} (${await errorReason(response)})`;
      if (isRetryableStatus(response.status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.#now());
        throw transient(message, retryAfterMs === undefined ? {} : { retryAfterMs });
      }
      throw new VouchError("SERVICE_UNAVAILABLE", message);
    }
    const body = await readCapped(response, MAX_TOKEN_BODY, `token from ${url.origin}`, this.#timeoutMs);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new VouchError("SERVICE_UNAVAILABLE", `the token service of ${target.registry} (${url.origin}) answered with something that is not JSON`);
    }
    const token = (json as { token?: unknown; access_token?: unknown } | null)?.token ?? (json as { access_token?: unknown } | null)?.access_token;
    if (typeof token !== "string" || token === "" || /[\r\n]/.test(token)) {
      throw new VouchError("SERVICE_UNAVAILABLE", `the token service of ${target.registry} (${url.origin}) answered without a token`);
    }
    return token;
  }

  /**
   * One fetch, cut off when no answer (headers) arrives within the timeout: the fetch is aborted, and the wait ends
   * even for a fetch that ignores its signal. Network errors and timeouts are transient faults.
   */
  async #fetchOnce(url: URL, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string }): Promise<OciResponse> {
    const controller = new AbortController();
    const signal = this.#signal === undefined ? controller.signal : AbortSignal.any([controller.signal, this.#signal]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(transient(`${url.origin} did not answer ${init.method} ${describeUrl(url.href)} within ${formatMs(this.#timeoutMs)}`));
      }, this.#timeoutMs);
    });
    const fetching = this.#fetch(url.href, { ...init, redirect: "manual", signal });
    try {
      return await Promise.race([fetching, timedOut]);
    } catch (error) {
      if (error instanceof VouchError) {
        fetching.then(discard, () => undefined); // an answer that comes after the timeout is dropped
        throw error;
      }
      if (this.#signal?.aborted) throw new VouchError("SERVICE_UNAVAILABLE", `request to ${url.origin} aborted`, { cause: error });
      throw transient(`cannot reach ${url.origin}: ${describeNetworkError(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  #refused(target: RepositoryTarget, sentCredentials: boolean, reason: string): VouchError {
    const credential = this.#credentials?.credentialFor(target.registry);
    let hint: string;
    if (credential === undefined) hint = "the repository does not exist or needs credentials: none for this registry in the Docker config (docker login)";
    else if (credential.kind === "helper") hint = helperNote(credential);
    else if (sentCredentials) hint = `it refused ${credential.username === undefined ? "the" : `user ${credential.username}'s`} credentials (${credential.source})`;
    else hint = `it did not ask for the credentials in ${credential.source}`;
    return new VouchError("INPUT_USAGE", `${target.registry} refused access to ${target.repository} (${reason}): ${hint}`);
  }

  async #statusError(response: OciResponse, target: RepositoryTarget, what: string): Promise<VouchError> {
    const reason = await errorReason(response);
    switch (response.status) {
      case 404:
        return new VouchError("INPUT_NOT_FOUND", `${what}: not found on ${target.registry} (${reason})`);
      case 400:
        // A write the registry refused as it was sent (DIGEST_INVALID, MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, …).
        return new VouchError("INPUT_MALFORMED", `${what}: ${target.registry} refused it (${reason})`);
      case 413:
        return new VouchError("INPUT_TOO_LARGE", `${what}: ${target.registry} refused it as too large (${reason})`);
      case 403: {
        const credential = this.#credentials?.credentialFor(target.registry);
        const hint = credential === undefined ? "no credentials for this registry in the Docker config" : credential.kind === "helper" ? helperNote(credential) : `credentials from ${credential.source}`;
        return new VouchError("INPUT_USAGE", `${what}: ${target.registry} denied access (${reason}; ${hint})`);
      }
      case 429:
        return new VouchError("SERVICE_UNAVAILABLE", `${what}: ${target.registry} is rate-limiting requests (429${response.headers.get("retry-after") ? `, retry after ${response.headers.get("retry-after")}s` : ""}; ${reason})`);
      default:
        return new VouchError("SERVICE_UNAVAILABLE", `${what}: ${target.registry} answered ${response.status} (${reason})`);
    }
  }

  async #fetchFollowing(url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string }): Promise<OciResponse> {
    let current = new URL(url);
    let method = init.method;
    let body = init.body;
    const headers = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const response = await this.#fetchOnce(current, { method, headers, body });
      const location = response.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
      await discard(response);
      if (hop >= MAX_REDIRECTS) throw new VouchError("SERVICE_UNAVAILABLE", `${url}: more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new VouchError("SERVICE_UNAVAILABLE", `${current.origin} redirected to something that is not a URL`);
      }
      if (next.protocol !== "https:" && !(next.protocol === "http:" && (this.#insecure || isLoopbackRegistry(next.host)))) {
        throw new VouchError("SERVICE_UNAVAILABLE", `${current.origin} redirected to ${next.origin}, which is not https (refused)`);
      }
      // Credentials are for the origin that asked for them (blob storage gets a signed URL, not the registry's token).
      if (next.origin !== current.origin) delete headers.authorization;
      if (response.status === 303 && method !== "GET" && method !== "HEAD") {
        method = "GET";
        body = undefined;
      }
      current = next;
    }
  }
}

function helperNote(credential: Extract<RegistryCredential, { kind: "helper" }>): string {
  return `the Docker config keeps its credentials in the credential helper ${credential.helper} (${credential.source}), which vouch does not run; put "auth" (base64 of user:password) in auths for this registry instead`;
}

/** distribution's error body `{"errors":[{"code","message"}]}` on one line, or the status text. */
async function errorReason(response: OciResponse): Promise<string> {
  let text = "";
  try {
    text = new TextDecoder().decode(await readCapped(response, MAX_ERROR_BODY, "error body", ERROR_BODY_TIMEOUT_MS));
  } catch {
    // an error body too large or cut off: the status says enough
  }
  let reason = "";
  try {
    const json = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(json.errors)) {
      reason = json.errors
        .map((e) => [typeof e?.code === "string" ? e.code : "", typeof e?.message === "string" ? e.message : ""].filter((s) => s !== "").join(": "))
        .filter((s) => s !== "")
        .join("; ");
    }
  } catch {
    reason = text.startsWith("<") ? "" : text;
  }
  const line = reason.replace(/\s+/g, " ").trim();
  const status = `HTTP ${response.status}`;
  if (line === "") return status;
  return `${status}: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause !== undefined && typeof cause.code === "string") return cause.code;
  if (cause !== undefined && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Done with a response whose body is not wanted: a small body is read to its end, so the connection goes back to the
 * pool (cancelling a body makes undici close the socket, and the next request pays a new TCP, or TLS, handshake);
 * a large or endless one is cancelled.
 */
async function discard(response: OciResponse): Promise<void> {
  const body = response.body;
  if (body === null) return;
  const length = response.headers.get("content-length");
  if (length === null || !/^\d+$/.test(length) || Number(length) > DRAIN_LIMIT) {
    await body.cancel().catch(() => undefined);
    return;
  }
  const reader = body.getReader();
  // A registry that stalls mid-body must not hold the caller: give up on the connection after a moment.
  const deadline = setTimeout(() => void reader.cancel().catch(() => undefined), DRAIN_TIMEOUT_MS);
  try {
    while (!(await reader.read()).done);
  } catch {
    // nothing to release
  } finally {
    clearTimeout(deadline);
  }
}

const DRAIN_TIMEOUT_MS = 2000;

/** Bytes of an unwanted body read to keep its connection (an error page, a redirect's text). */
const DRAIN_LIMIT = 64 * 1024;

async function readCapped(response: OciResponse, max: number, what: string, timeoutMs: number): Promise<Uint8Array> {
  const length = response.headers.get("content-length");
  if (length !== null && /^\d+$/.test(length) && Number(length) > max) {
    await discard(response);
    throw new VouchError("INPUT_TOO_LARGE", `${what}: ${length} bytes, more than the limit of ${max}`);
  }
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());
  return readStream(response.body, max, what, timeoutMs);
}

async function readStream(stream: ReadableStream<Uint8Array>, max: number, what: string, timeoutMs: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await timedRead(reader, timeoutMs, what);
      if (done) break;
      total += value.byteLength;
      if (total > max) throw new VouchError("INPUT_TOO_LARGE", `${what}: more than the limit of ${max} bytes`);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof VouchError) throw error;
    throw transient(`${what}: the connection failed while reading (${describeNetworkError(error)})`, { cause: error });
  } finally {
    reader.releaseLock();
  }
  return concat(chunks, total);
}

/**
 * The next chunk, or a transient fault when none comes within `timeoutMs` (a registry that sent its headers and
 * then stalls). The caller cancels the reader.
 */
async function timedRead(reader: ReadableStreamDefaultReader<Uint8Array>, timeoutMs: number, what: string): Promise<ReadResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(transient(`${what}: no data for ${formatMs(timeoutMs)}`)), timeoutMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.byteLength === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The blob's bytes, counted and hashed as they pass: the stream errors with INPUT_MALFORMED as soon as it is longer
 * than the descriptor's size, or at its end when the size or digest do not match; a connection that fails midway
 * (or stalls for the timeout) errors it with SERVICE_UNAVAILABLE. Cancelling it cancels the download.
 */
function verifying(source: ReadableStream<Uint8Array>, algorithm: "sha256" | "sha512", descriptor: Descriptor, what: string, timeoutMs: number): ReadableStream<Uint8Array> {
  const digester = createDigester(algorithm);
  const reader = source.getReader();
  let count = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadResult;
      try {
        next = await timedRead(reader, timeoutMs, what);
      } catch (error) {
        await reader.cancel().catch(() => undefined);
        if (error instanceof VouchError) throw error;
        throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the connection failed after ${count} bytes (${describeNetworkError(error)})`, { cause: error });
      }
      if (next.done) {
        if (count !== descriptor.size) throw new VouchError("INPUT_MALFORMED", `${what}: ${count} bytes, the descriptor says ${descriptor.size} (truncated)`);
        const actual = digester.digest();
        if (actual !== descriptor.digest) throw new VouchError("INPUT_MALFORMED", `${what}: the bytes served hash to ${actual} (digest mismatch)`);
        controller.close();
        return;
      }
      const chunk = next.value;
      count += chunk.byteLength;
      if (count > descriptor.size) {
        await reader.cancel().catch(() => undefined);
        throw new VouchError("INPUT_MALFORMED", `${what}: more bytes than the descriptor's size ${descriptor.size}`);
      }
      digester.update(chunk);
      controller.enqueue(chunk);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}

/** A tag or digest to put in a manifest URL, checked (INPUT_USAGE otherwise), and how errors name it. */
function manifestReference(target: RepositoryTarget, reference: string): { pinned?: ParsedDigest; what: string } {
  const pinned = isDigest(reference) ? parseDigest(reference) : undefined;
  const what = `manifest ${target.registry}/${target.repository}${pinned ? "@" : ":"}${reference}`;
  // distribution-spec <reference> tags: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
  if (!pinned && !/^[\w][\w.-]{0,127}$/.test(reference)) throw new VouchError("INPUT_USAGE", `${what}: not a tag or digest`);
  return pinned === undefined ? { what } : { pinned, what };
}

function blobDigest(digest: string, what: string, code: "INPUT_USAGE" | "INPUT_MALFORMED"): ParsedDigest {
  try {
    return parseDigest(digest);
  } catch (error) {
    throw new VouchError(code, `${what}: ${(error as Error).message}`);
  }
}

/** Docker-Content-Digest, parsed; undefined when absent; INPUT_MALFORMED when it is not a digest vouch can check. */
function contentDigest(response: OciResponse, what: string): ParsedDigest | undefined {
  const header = response.headers.get("docker-content-digest")?.trim();
  if (header === undefined || header === "") return undefined;
  try {
    return parseDigest(header);
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", `${what}: Docker-Content-Digest header: ${(error as Error).message}`);
  }
}

/** An upload's Location (absolute or relative, RFC 9110 §10.2.2): the URL for the next request of the upload. */
function uploadLocation(response: OciResponse, previous: URL | undefined, base: string, what: string): URL {
  const location = response.headers.get("location");
  if (location === null) {
    if (previous !== undefined) return previous; // spec: the location "won't change"; a registry may leave it out
    throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the registry started an upload without a Location`);
  }
  const url = safeUrl(location, base);
  if (url === undefined) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the registry's upload Location is not a URL`);
  return url;
}

function safeUrl(location: string, base: string): URL | undefined {
  try {
    return new URL(location, `${base}/`);
  } catch {
    return undefined;
  }
}

/**
 * The `rel="next"` target of a Link header (RFC 8288), resolved against the page it came with. It must stay on the
 * registry's origin: the request carries the registry's credentials.
 */
export function nextLink(header: string | null, pageUrl: string, what: string): string | undefined {
  if (header === null) return undefined;
  for (const match of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
    const params = match[2] ?? "";
    if (!/;\s*rel\s*=\s*"?(?:[^";,]*\s)?next(?:\s[^";,]*)?"?/i.test(params)) continue;
    let next: URL;
    try {
      next = new URL(match[1]!, pageUrl);
    } catch {
      throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the Link to the next page is not a URL`);
    }
    if (next.origin !== new URL(pageUrl).origin) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the Link to the next page leaves the registry (${next.origin})`);
    return next.href;
  }
  return undefined;
}

/** A URL for messages: path and query, with upload state (long, opaque) cut short. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const text = `${u.pathname}${u.search}`;
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  } catch {
    return url.slice(0, 160);
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
