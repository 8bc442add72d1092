import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { JSONWebKeySet, JWTPayload, ProtectedHeaderParameters } from "jose";
import { VouchError } from "../../core/errors.js";
import {
  fulcioConfiguration,
  matchIssuer,
  resolveIssuers,
  type FulcioIssuerConfiguration,
  type IssuerConfig,
  type MatchedIssuer,
  type ResolvedIssuer,
} from "./config.js";
import { principalFromClaims } from "./principal.js";
import type { Principal } from "./types.js";

/**
 * Verifies OIDC identity tokens for the keyless CA the way Fulcio does (go-oidc's IDTokenVerifier behind
 * pkg/config GetVerifier), with jose: the token's `iss` picks a configured issuer, the issuer's discovery document
 * names its JWKS, the signature must verify with a key from that JWKS, and `aud`, `exp`, `nbf` and `iat` must hold
 * within the clock skew. The verified claims then become a Principal (principal.ts).
 */

/** The slice of fetch the verifier uses (injected: tests, proxies, custom CAs). */
export type OidcFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface IdentityVerifierOptions {
  /** `ca.issuers` from vouch.yaml (checked and defaulted here by resolveIssuers: INPUT_MALFORMED when wrong). */
  issuers: readonly IssuerConfig[];
  fetch?: OidcFetch;
  now?: () => Date;
  /** Tolerance for `exp`, `nbf` and `iat` against `now`, in seconds. Default 60. */
  clockSkewSeconds?: number;
  /** How long a discovery document and JWKS are used before they are fetched again, in seconds. Default 600. */
  cacheTtlSeconds?: number;
  /**
   * A token whose `kid` is not in the cached JWKS makes the verifier fetch the JWKS again (the issuer may have
   * rotated its key), but not more often than this, in seconds: otherwise anyone could make the CA hammer the
   * issuer by sending tokens with made-up key ids. Default 30.
   */
  refetchCooldownSeconds?: number;
  /** Per-request timeout for discovery and JWKS fetches, in milliseconds. Default 10000 (Fulcio's). */
  timeoutMs?: number;
}

/** Signature algorithms accepted from issuers: asymmetric only (never `none` or HMAC, whose key would be public). */
export const ACCEPTED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;

// An ID token is a few KiB at most (GitHub's is ~1.5 KiB); the limit bounds the work an unauthenticated caller can cause.
const MAX_TOKEN_CHARS = 32 * 1024;
// Discovery documents and JWKS are small; a larger answer is refused rather than parsed.
const MAX_DOCUMENT_CHARS = 1024 * 1024;
// Meta issuers make the set of issuer URLs open-ended; the cache keeps the most recently loaded ones (Fulcio: LRU of 100).
const MAX_CACHED_ISSUERS = 100;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface IssuerKeys {
  jwksUri: string;
  /** id_token_signing_alg_values_supported ∩ ACCEPTED_ALGORITHMS (all accepted ones when discovery does not say). */
  algorithms: string[];
  keySet: ReturnType<typeof createLocalJWKSet>;
  /** Milliseconds (injected clock) when discovery and the JWKS were last fetched. */
  discoveredAt: number;
  jwksFetchedAt: number;
}

export class IdentityVerifier {
  readonly issuers: readonly ResolvedIssuer[];
  private readonly fetcher: OidcFetch;
  private readonly now: () => Date;
  private readonly skewSeconds: number;
  private readonly ttlMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly cache = new Map<string, IssuerKeys>();
  // One fetch at a time per issuer: a burst of requests after start-up or a rotation waits for the same answer.
  private readonly inflight = new Map<string, Promise<IssuerKeys>>();

  constructor(options: IdentityVerifierOptions) {
    this.issuers = resolveIssuers(options.issuers);
    this.fetcher = options.fetch ?? ((url, init) => fetch(url, init));
    this.now = options.now ?? (() => new Date());
    this.skewSeconds = options.clockSkewSeconds ?? 60;
    this.ttlMs = (options.cacheTtlSeconds ?? 600) * 1000;
    this.cooldownMs = (options.refetchCooldownSeconds ?? 30) * 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Verifies an identity token and derives the principal to certify.
   *
   * @throws VouchError CA_TOKEN_INVALID with a one-line reason (malformed, unknown issuer, expired, not yet valid,
   *   wrong audience, bad signature, key not in the issuer's JWKS, missing claim); CA_ISSUER_UNAVAILABLE when the
   *   issuer's discovery document or JWKS cannot be fetched or used.
   * @example
   *   const verifier = new IdentityVerifier({ issuers: config.ca.issuers });
   *   const principal = await verifier.verify(request.credentials.oidcIdentityToken);
   */
  async verify(token: string): Promise<Principal> {
    const { header, claims } = decodeUnverified(token);
    const iss = claims.iss;
    if (typeof iss !== "string" || iss === "") throw invalid('missing claim "iss"');
    const issuer = matchIssuer(this.issuers, iss);
    if (issuer === undefined) throw invalid(`unknown issuer ${JSON.stringify(iss)}`);

    const verified = await this.verifySignatureAndClaims(token, header, issuer);
    return principalFromClaims(issuer, verified);
  }

  /** The OIDC issuers for Fulcio's GET /api/v2/configuration. */
  configuration(): { issuers: FulcioIssuerConfiguration[] } {
    return fulcioConfiguration(this.issuers);
  }

  private async verifySignatureAndClaims(token: string, header: ProtectedHeaderParameters, issuer: MatchedIssuer): Promise<JWTPayload> {
    let keys = await this.keysFor(issuer.url, false);
    try {
      return await this.check(token, header, issuer, keys);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // The issuer may have rotated its key since we fetched the JWKS (go-oidc's RemoteKeySet does the same). When
      // another request saw the new kid first, its refetch (under way or done) is used rather than a new one.
      const current = this.cache.get(issuer.url);
      if (this.inflight.has(issuer.url)) keys = await this.keysFor(issuer.url, false);
      else if (current !== undefined && current !== keys) keys = current;
      else if (this.nowMs() - keys.jwksFetchedAt >= this.cooldownMs) keys = await this.keysFor(issuer.url, true);
      else throw keyNotInJwks(header);
      try {
        return await this.check(token, header, issuer, keys);
      } catch (again) {
        if (again instanceof errors.JWKSNoMatchingKey) throw keyNotInJwks(header);
        throw again;
      }
    }
  }

  private async check(token: string, header: ProtectedHeaderParameters, issuer: MatchedIssuer, keys: IssuerKeys): Promise<JWTPayload> {
    if (!keys.algorithms.includes(header.alg ?? "")) {
      throw invalid(`algorithm ${String(header.alg)} is not one ${issuer.url} signs with (${keys.algorithms.join(", ")})`);
    }
    const now = this.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.keySet, {
        issuer: issuer.url,
        audience: issuer.clientId,
        algorithms: keys.algorithms,
        clockTolerance: this.skewSeconds,
        currentDate: now,
        requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
      }));
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) throw err;
      throw joseRefusal(err, issuer, header);
    }
    // jose checks iat only against a maximum age; a token minted in the future is as suspect as one not yet valid.
    if (typeof payload.iat === "number" && payload.iat > now.getTime() / 1000 + this.skewSeconds) {
      throw invalid(`token issued in the future (iat ${isoSeconds(payload.iat)})`);
    }
    return payload;
  }

  /** The issuer's keys: cached ones while fresh, else discovery + JWKS (`refreshJwks`: the JWKS again, now). */
  private async keysFor(url: string, refreshJwks: boolean): Promise<IssuerKeys> {
    const pending = this.inflight.get(url);
    if (pending !== undefined) return pending;
    const cached = this.cache.get(url);
    const now = this.nowMs();
    if (cached !== undefined && !refreshJwks && now - cached.discoveredAt < this.ttlMs) return cached;
    const load = (async () => {
      const fresh = cached !== undefined && now - cached.discoveredAt < this.ttlMs ? await this.reloadJwks(cached) : await this.load(url);
      this.cache.delete(url);
      this.cache.set(url, fresh);
      while (this.cache.size > MAX_CACHED_ISSUERS) this.cache.delete(this.cache.keys().next().value as string);
      return fresh;
    })();
    this.inflight.set(url, load);
    try {
      return await load;
    } finally {
      this.inflight.delete(url);
    }
  }

  private async load(url: string): Promise<IssuerKeys> {
    // OpenID Connect Discovery 1.0 §4: the configuration is at <issuer>/.well-known/openid-configuration, and §4.3:
    // its `issuer` MUST be identical to the issuer URL used to find it (else a document could claim another issuer).
    const discoveryUrl = `${url.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const discovery = await this.getJson(discoveryUrl, "discovery document");
    if (typeof discovery !== "object" || discovery === null || Array.isArray(discovery)) throw unavailable(`the discovery document ${discoveryUrl} is not a JSON object`);
    const doc = discovery as Record<string, unknown>;
    if (doc.issuer !== url) throw unavailable(`the discovery document ${discoveryUrl} names issuer ${JSON.stringify(doc.issuer)}, not ${url}`);
    const jwksUri = doc.jwks_uri;
    if (typeof jwksUri !== "string" || !URL.canParse(jwksUri)) throw unavailable(`the discovery document ${discoveryUrl} has no usable jwks_uri`);
    const jwksProtocol = new URL(jwksUri).protocol;
    // Keys fetched over plain http could be swapped in transit; allowed only when the issuer itself was (loopback or unsafe opt-in).
    if (jwksProtocol !== "https:" && !(jwksProtocol === "http:" && url.startsWith("http:"))) {
      throw unavailable(`the jwks_uri ${jwksUri} of ${url} is not https`);
    }
    const algorithms = acceptedAlgorithms(doc.id_token_signing_alg_values_supported);
    if (algorithms.length === 0) throw unavailable(`${url} signs ID tokens with none of ${ACCEPTED_ALGORITHMS.join(", ")}`);
    const at = this.nowMs();
    return { jwksUri, algorithms, keySet: await this.fetchKeySet(jwksUri), discoveredAt: at, jwksFetchedAt: at };
  }

  private async reloadJwks(cached: IssuerKeys): Promise<IssuerKeys> {
    // The attempt counts for the cooldown even if it fails: an unreachable issuer is not asked again per request.
    cached.jwksFetchedAt = this.nowMs();
    return { ...cached, keySet: await this.fetchKeySet(cached.jwksUri) };
  }

  private async fetchKeySet(jwksUri: string): Promise<IssuerKeys["keySet"]> {
    const jwks = await this.getJson(jwksUri, "JWKS");
    try {
      return createLocalJWKSet(jwks as JSONWebKeySet);
    } catch (err) {
      throw unavailable(`the JWKS ${jwksUri} is malformed: ${(err as Error).message}`, err);
    }
  }

  private async getJson(url: string, what: string): Promise<unknown> {
    let status: number;
    let text: string;
    try {
      const response = await this.fetcher(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (err) {
      throw unavailable(`cannot fetch the ${what} ${url}: ${networkReason(err)}`, err);
    }
    if (status !== 200) throw unavailable(`the ${what} ${url} answered HTTP ${status}`);
    if (text.length > MAX_DOCUMENT_CHARS) throw unavailable(`the ${what} ${url} is larger than ${MAX_DOCUMENT_CHARS} characters`);
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw unavailable(`the ${what} ${url} is not JSON`, err);
    }
  }

  private nowMs(): number {
    return this.now().getTime();
  }
}

/**
 * Header and claims of a token before any check, to find its issuer. Attacker-controlled: only its shape is trusted
 * here, and nothing read from it is used before the signature has been verified except `iss` (to pick the issuer).
 */
function decodeUnverified(token: string): { header: ProtectedHeaderParameters; claims: JWTPayload } {
  if (typeof token !== "string" || token.length === 0) throw invalid("malformed token: empty");
  if (token.length > MAX_TOKEN_CHARS) throw invalid(`malformed token: larger than ${MAX_TOKEN_CHARS} characters`);
  if (!COMPACT_JWS.test(token)) throw invalid("malformed token: not a compact JWS (three base64url parts)");
  if (token.endsWith(".")) throw invalid("malformed token: unsigned");
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch (err) {
    throw invalid(`malformed token: ${(err as Error).message}`, err);
  }
  if (typeof header.alg !== "string" || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw invalid(`algorithm ${JSON.stringify(header.alg)} is not accepted (${ACCEPTED_ALGORITHMS.join(", ")})`);
  }
  return { header, claims };
}

function acceptedAlgorithms(supported: unknown): string[] {
  if (!Array.isArray(supported)) return [...ACCEPTED_ALGORITHMS];
  return ACCEPTED_ALGORITHMS.filter((alg) => supported.includes(alg));
}

/** One line saying why jose refused the token (callers see the message; tests branch on the code). */
function joseRefusal(err: unknown, issuer: MatchedIssuer, header: ProtectedHeaderParameters): VouchError {
  if (!(err instanceof errors.JOSEError)) throw err;
  if (err instanceof errors.JWTExpired) {
    return invalid(`token expired (exp ${isoSeconds(err.payload.exp)})`, err);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, payload } = err;
    if (reason === "missing") return invalid(`missing claim "${claim}"`, err);
    if (claim === "aud") return invalid(`wrong audience: expected "${issuer.clientId}", the token is for ${JSON.stringify(payload.aud)}`, err);
    if (claim === "nbf") return invalid(`token not valid yet (nbf ${isoSeconds(payload.nbf)})`, err);
    if (claim === "iss") return invalid(`token issuer ${JSON.stringify(payload.iss)} is not ${issuer.url}`, err);
    return invalid(`claim "${claim}" is invalid: ${err.message}`, err);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return invalid(`bad signature: the token does not verify with ${issuer.url}'s key${header.kid === undefined ? "" : ` ${header.kid}`}`, err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid(`algorithm ${String(header.alg)} is not accepted`, err);
  if (err instanceof errors.JWKInvalid || err instanceof errors.JWKSInvalid) {
    return unavailable(`${issuer.url}'s JWKS holds a key that cannot be used: ${err.message}`, err);
  }
  if (err instanceof errors.JOSENotSupported) return invalid(`unsupported token: ${err.message}`, err);
  return invalid(`malformed token: ${err.message}`, err);
}

function keyNotInJwks(header: ProtectedHeaderParameters): VouchError {
  return invalid(header.kid === undefined ? "no key in the issuer's JWKS matches the token" : `signing key ${JSON.stringify(header.kid)} is not in the issuer's JWKS`);
}

function invalid(message: string, cause?: unknown): VouchError {
  return new VouchError("CA_TOKEN_INVALID", message, cause === undefined ? undefined : { cause });
}

function unavailable(message: string, cause?: unknown): VouchError {
  return new VouchError("CA_ISSUER_UNAVAILABLE", message, cause === undefined ? undefined : { cause });
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if ((err as Error).name === "TimeoutError") return "timed out";
  return cause?.message ?? (err as Error).message ?? String(err);
}

function isoSeconds(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? new Date(value * 1000).toISOString() : String(value);
}
