import { VouchError } from "../core/errors.js";
import { DEFAULT_IMAGE_LIMITS, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, type Descriptor } from "../catalog/sources/image/types.js";
import { VOUCH_VERSION } from "../version.js";
import { parseChallenges, type Challenge } from "./challenge.js";
import { createDigester, digestOf, isDigest, parseDigest } from "./digest.js";
import type { CredentialStore, RegistryCredential } from "./docker-config.js";
import { parseManifestDocument, type ManifestDocument } from "./manifest.js";
import { apiHost, isLoopbackRegistry, type ImageReference } from "./reference.js";

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

  constructor(options: RegistryClientOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#credentials = options.credentials;
    this.#insecure = options.insecure ?? false;
    this.#maxManifestBytes = options.maxManifestBytes ?? DEFAULT_IMAGE_LIMITS.maxMetadataBytes;
    this.#signal = options.signal;
    this.#userAgent = options.userAgent ?? `vouch/${VOUCH_VERSION}`;
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
    const pinned = isDigest(reference) ? parseDigest(reference) : undefined;
    const what = `manifest ${target.registry}/${target.repository}${pinned ? "@" : ":"}${reference}`;
    if (!pinned && !/^[\w][\w.-]{0,127}$/.test(reference)) throw new VouchError("INPUT_USAGE", `${what}: not a tag or digest`);
    const response = await this.request(target, { method: "GET", path: `manifests/${reference}`, headers: { accept: options.accept ?? MANIFEST_ACCEPT } });
    if (response.status !== 200) throw await this.#statusError(response, target, what);
    const bytes = await readCapped(response, this.#maxManifestBytes, what);

    if (pinned !== undefined) {
      const actual = digestOf(bytes, pinned.algorithm);
      if (actual !== pinned.digest) throw new VouchError("INPUT_MALFORMED", `${what}: the registry served a manifest whose digest is ${actual}`);
    }
    const header = response.headers.get("docker-content-digest")?.trim();
    let digest = pinned?.digest;
    if (header !== undefined && header !== "") {
      let named;
      try {
        named = parseDigest(header);
      } catch (error) {
        throw new VouchError("INPUT_MALFORMED", `${what}: Docker-Content-Digest header: ${(error as Error).message}`);
      }
      const actual = digestOf(bytes, named.algorithm);
      if (actual !== named.digest) throw new VouchError("INPUT_MALFORMED", `${what}: the registry says its digest is ${named.digest}, but the bytes served hash to ${actual}`);
      digest ??= named.digest;
    }
    digest ??= digestOf(bytes, "sha256");
    const document = parseManifestDocument(bytes, response.headers.get("content-type") ?? undefined, what);
    return { descriptor: { mediaType: document.mediaType, digest, size: bytes.length }, bytes, document };
  }

  /**
   * A blob as a stream, checked against the descriptor's digest and size while it flows (the stream errors with
   * INPUT_MALFORMED on a mismatch). Redirects to blob storage are followed without the registry's credentials.
   * INPUT_NOT_FOUND when the registry has no such blob.
   */
  async openBlob(target: RepositoryTarget, descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const what = `blob ${descriptor.digest} of ${target.registry}/${target.repository}`;
    let parsed;
    try {
      parsed = parseDigest(descriptor.digest);
    } catch (error) {
      throw new VouchError("INPUT_MALFORMED", `${what}: ${(error as Error).message}`);
    }
    const response = await this.request(target, { method: "GET", path: `blobs/${descriptor.digest}` });
    if (response.status !== 200) throw await this.#statusError(response, target, what);
    const length = response.headers.get("content-length");
    if (length !== null && /^\d+$/.test(length) && Number(length) !== descriptor.size) {
      await discard(response);
      throw new VouchError("INPUT_MALFORMED", `${what}: the registry serves ${length} bytes, the descriptor says ${descriptor.size}`);
    }
    if (response.body === null) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the registry answered 200 without a body`);
    return verifying(response.body, parsed.algorithm, descriptor, what);
  }

  /** A whole blob (a config), verified, at most `maxBytes` (INPUT_TOO_LARGE past it). */
  async readBlob(target: RepositoryTarget, descriptor: Descriptor, maxBytes: number = this.#maxManifestBytes): Promise<Uint8Array> {
    const what = `blob ${descriptor.digest} of ${target.registry}/${target.repository}`;
    if (descriptor.size > maxBytes) throw new VouchError("INPUT_TOO_LARGE", `${what}: ${descriptor.size} bytes, more than the limit of ${maxBytes}`);
    const stream = await this.openBlob(target, descriptor);
    return readStream(stream, maxBytes, what);
  }

  /**
   * One authorized request to the repository's API (`/v2/<repository>/<path>`, or an absolute URL the registry
   * handed out, such as an upload location). Answers 401 by following the registry's challenge once (bearer token
   * for `repository:<repo>:<actions>`, or basic credentials) and retries; the answer is returned whatever its
   * status, except a 401 the credentials could not get past (INPUT_USAGE). Network failures: SERVICE_UNAVAILABLE.
   */
  async request(
    target: RepositoryTarget,
    init: { method: string; path?: string; url?: string; headers?: Record<string, string>; body?: Uint8Array | string; actions?: readonly string[] },
  ): Promise<OciResponse> {
    const url = init.url ?? `${this.baseUrl(target.registry)}/v2/${target.repository}/${init.path ?? ""}`;
    const scope = `repository:${target.repository}:${(init.actions ?? ["pull"]).join(",")}`;
    const host = this.#host(target.registry);
    let retried = false;
    for (;;) {
      const authorization = await this.#authorization(host, target, scope);
      const headers: Record<string, string> = { "user-agent": this.#userAgent, ...init.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      const response = await this.#fetchFollowing(url, { method: init.method, headers, body: init.body });
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
    const scopes = [scope];
    if (challenge.params.scope !== undefined && challenge.params.scope !== scope) scopes.push(...challenge.params.scope.split(" ").filter((s) => s !== "" && s !== scope));
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
      throw new VouchError("SERVICE_UNAVAILABLE", `the token service of ${target.registry} (${url.origin}) answered ${response.status} (${await errorReason(response)})`);
    }
    const body = await readCapped(response, MAX_TOKEN_BODY, `token from ${url.origin}`);
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
      let response: OciResponse;
      try {
        response = await this.#fetch(current.href, { method, headers, body, redirect: "manual", signal: this.#signal });
      } catch (error) {
        if (this.#signal?.aborted) throw new VouchError("SERVICE_UNAVAILABLE", `request to ${current.origin} aborted`, { cause: error });
        throw new VouchError("SERVICE_UNAVAILABLE", `cannot reach ${current.origin}: ${describeNetworkError(error)}`, { cause: error });
      }
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
    text = new TextDecoder().decode(await readCapped(response, MAX_ERROR_BODY, "error body"));
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

async function discard(response: OciResponse): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // nothing to release
  }
}

async function readCapped(response: OciResponse, max: number, what: string): Promise<Uint8Array> {
  const length = response.headers.get("content-length");
  if (length !== null && /^\d+$/.test(length) && Number(length) > max) {
    await discard(response);
    throw new VouchError("INPUT_TOO_LARGE", `${what}: ${length} bytes, more than the limit of ${max}`);
  }
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());
  return readStream(response.body, max, what);
}

async function readStream(stream: ReadableStream<Uint8Array>, max: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        throw new VouchError("INPUT_TOO_LARGE", `${what}: more than the limit of ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof VouchError) throw error;
    throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the connection failed while reading (${describeNetworkError(error)})`, { cause: error });
  } finally {
    reader.releaseLock();
  }
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
 * errors it with SERVICE_UNAVAILABLE. Cancelling it cancels the download.
 */
function verifying(source: ReadableStream<Uint8Array>, algorithm: "sha256" | "sha512", descriptor: Descriptor, what: string): ReadableStream<Uint8Array> {
  const digester = createDigester(algorithm);
  const reader = source.getReader();
  let count = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
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
