import { VouchError } from "../../core/errors.js";

/**
 * The `ca.issuers` list of vouch.yaml: which OIDC issuers the CA accepts identity tokens from and how each one's
 * claims become a certificate (after Fulcio's pkg/config: OIDCIssuers, MetaIssuers and the issuer types).
 *
 * ```yaml
 * ca:
 *   issuers:
 *     - url: https://token.actions.githubusercontent.com
 *       type: github-workflow
 *     - url: https://oidc.eks.*.amazonaws.com/id/*     # a meta issuer: `*` is one host label or path segment
 *       type: kubernetes
 * ```
 */

/** Fulcio's issuer types (pkg/config IssuerType); each one derives the SAN and extensions its own way. */
export const ISSUER_TYPES = [
  "github-workflow",
  "gitlab-pipeline",
  "buildkite-job",
  "codefresh-workflow",
  "email",
  "spiffe",
  "kubernetes",
  "uri",
  "username",
] as const;

export type IssuerType = (typeof ISSUER_TYPES)[number];

/** One entry of `ca.issuers` as written in vouch.yaml. */
export interface IssuerConfig {
  /** The issuer URL: the token's `iss` must equal it, discovery is at `<url>/.well-known/openid-configuration`. A `*` makes it a meta issuer. */
  url: string;
  type: IssuerType;
  /** The audience the token must carry (Fulcio's client-id). Default "sigstore". */
  clientId?: string;
  /** uri: the scheme and host every subject URI must have (https://example.com); username: the domain appended to the username (example.com). */
  subjectDomain?: string;
  /** spiffe: the trust domain every SPIFFE ID must be in. */
  spiffeTrustDomain?: string;
  /** github-workflow: the GitHub server the workflow refs are on (GitHub Enterprise Server). Default https://github.com. */
  githubServerUrl?: string;
  /** gitlab-pipeline: the GitLab instance. Default https://gitlab.com. */
  gitlabServerUrl?: string;
  /** buildkite-job: the Buildkite web URL. Default https://buildkite.com. */
  buildkiteUrl?: string;
  /** codefresh-workflow: the platform URL when the token has no `platform_url` claim. Default https://g.codefresh.io. */
  codefreshPlatformUrl?: string;
  /**
   * Accept a plain-http issuer that is not on loopback. Off by default: the JWKS fetched over http can be replaced
   * in transit, and whoever does that can mint any identity this CA will certify.
   */
  allowInsecureHttpUnsafe?: boolean;
}

const HTTP_URL = "^https?://[^\\s]+$";

/** JSON schema fragment for `ca.issuers` (ajv, draft-07 keywords); src/runtime.ts puts it under CONFIG_SCHEMA. */
export const ISSUERS_SCHEMA = {
  type: "array",
  minItems: 1,
  items: {
    type: "object",
    additionalProperties: false,
    required: ["url", "type"],
    properties: {
      url: { type: "string", pattern: HTTP_URL, maxLength: 2048 },
      type: { enum: [...ISSUER_TYPES] },
      clientId: { type: "string", minLength: 1 },
      subjectDomain: { type: "string", minLength: 1 },
      spiffeTrustDomain: { type: "string", minLength: 1 },
      githubServerUrl: { type: "string", pattern: HTTP_URL },
      gitlabServerUrl: { type: "string", pattern: HTTP_URL },
      buildkiteUrl: { type: "string", pattern: HTTP_URL },
      codefreshPlatformUrl: { type: "string", pattern: HTTP_URL },
      allowInsecureHttpUnsafe: { type: "boolean" },
    },
    allOf: [
      { if: { properties: { type: { const: "spiffe" } } }, then: { required: ["spiffeTrustDomain"] } },
      { if: { properties: { type: { enum: ["uri", "username"] } } }, then: { required: ["subjectDomain"] } },
    ],
  },
} as const;

/** An issuer after defaults and checks: what the verifier and the principal derivation use. */
export interface ResolvedIssuer {
  /** The configured URL (for a meta issuer, the pattern as written). */
  url: string;
  type: IssuerType;
  clientId: string;
  /** Set for meta issuers: matches a whole token `iss`. */
  pattern?: RegExp;
  subjectDomain?: string;
  spiffeTrustDomain?: string;
  githubServerUrl: string;
  gitlabServerUrl: string;
  buildkiteUrl: string;
  codefreshPlatformUrl: string;
}

/** A concrete issuer for one token: the resolved entry with `url` set to the token's `iss` (meta issuers). */
export type MatchedIssuer = ResolvedIssuer & { pattern?: undefined };

export const DEFAULT_CLIENT_ID = "sigstore";

/**
 * Applies defaults and the checks Fulcio's validateConfig makes, so that a bad issuer list fails at start-up rather
 * than at the first certificate request.
 *
 * @throws VouchError INPUT_MALFORMED naming the issuer and the problem.
 */
export function resolveIssuers(configs: readonly IssuerConfig[]): ResolvedIssuer[] {
  const seen = new Set<string>();
  return configs.map((config, index) => {
    const where = `ca.issuers[${index}] (${config.url})`;
    const fail = (message: string): never => {
      throw new VouchError("INPUT_MALFORMED", `${where}: ${message}`);
    };
    if (!(ISSUER_TYPES as readonly string[]).includes(config.type)) fail(`unknown type "${String(config.type)}"`);
    if (seen.has(config.url)) fail("listed twice");
    seen.add(config.url);
    const isMeta = config.url.includes("*");
    const url = parseUrl(isMeta ? config.url.replaceAll("*", "0") : config.url, fail);
    if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") fail("an issuer URL has no query, fragment or credentials");
    if (url.protocol === "http:" && !isLoopback(url.hostname) && config.allowInsecureHttpUnsafe !== true) {
      fail("a plain-http issuer is accepted on loopback only (set allowInsecureHttpUnsafe to override)");
    }
    const resolved: ResolvedIssuer = {
      url: config.url,
      type: config.type,
      clientId: config.clientId ?? DEFAULT_CLIENT_ID,
      githubServerUrl: serverUrl(config.githubServerUrl ?? "https://github.com", "githubServerUrl", fail),
      gitlabServerUrl: serverUrl(config.gitlabServerUrl ?? "https://gitlab.com", "gitlabServerUrl", fail),
      buildkiteUrl: serverUrl(config.buildkiteUrl ?? "https://buildkite.com", "buildkiteUrl", fail),
      codefreshPlatformUrl: serverUrl(config.codefreshPlatformUrl ?? "https://g.codefresh.io", "codefreshPlatformUrl", fail),
    };
    if (isMeta) resolved.pattern = metaPattern(config.url);
    if (config.type === "spiffe") {
      // Fulcio: a SPIFFE meta issuer would map many issuers onto one trust domain, so it is refused.
      if (isMeta) fail("a spiffe issuer cannot be a meta issuer");
      const domain = config.spiffeTrustDomain;
      if (domain === undefined || !SPIFFE_TRUST_DOMAIN.test(domain)) fail("spiffe needs a valid spiffeTrustDomain (lowercase letters, digits, '.', '-', '_')");
      resolved.spiffeTrustDomain = domain;
    }
    if (config.type === "uri") {
      const domain = config.subjectDomain ?? fail("uri needs subjectDomain");
      const parsed = parseUrl(domain, (m) => fail(`subjectDomain: ${m}`));
      // Fulcio validateConfig: the subject domain must be under the issuer's registrable domain, proving the
      // operator checked that whoever runs the issuer also owns the names it vouches for.
      if (!isMeta) {
        if (parsed.protocol !== url.protocol) fail(`subjectDomain scheme ${parsed.protocol} differs from the issuer's ${url.protocol}`);
        checkAllowedDomain(parsed.hostname, url.hostname, fail);
      }
      resolved.subjectDomain = domain;
    }
    if (config.type === "username") {
      const domain = config.subjectDomain ?? fail("username needs subjectDomain");
      if (domain.includes("://")) fail("subjectDomain for username is a domain, without a scheme");
      if (!isMeta) checkAllowedDomain(domain, url.hostname, fail);
      resolved.subjectDomain = domain;
    }
    return resolved;
  });
}

/**
 * The issuer entry for a token's `iss`: exact URLs first, then meta issuers (Fulcio's GetIssuer). The result's
 * `url` is the token's issuer, which is where discovery happens.
 */
export function matchIssuer(issuers: readonly ResolvedIssuer[], iss: string): MatchedIssuer | undefined {
  const exact = issuers.find((i) => i.pattern === undefined && i.url === iss);
  if (exact !== undefined) return exact as MatchedIssuer;
  const meta = issuers.find((i) => i.pattern?.test(iss) === true);
  if (meta === undefined) return undefined;
  const { pattern: _pattern, ...rest } = meta;
  return { ...rest, url: iss };
}

/** The claim the proof of possession signs (Fulcio's challenge claim): the email for email issuers, else `sub`. */
export function challengeClaim(type: IssuerType): "email" | "sub" {
  return type === "email" ? "email" : "sub";
}

/** The OIDC issuer entries of Fulcio's GET /api/v2/configuration (protobuf JSON names). */
export interface FulcioIssuerConfiguration {
  issuerUrl?: string;
  wildcardIssuerUrl?: string;
  audience: string;
  challengeClaim: string;
  spiffeTrustDomain: string;
}

/** What /api/v2/configuration answers for these issuers, in configuration order. */
export function fulcioConfiguration(issuers: readonly ResolvedIssuer[]): { issuers: FulcioIssuerConfiguration[] } {
  return {
    issuers: issuers.map((i) => ({
      ...(i.pattern === undefined ? { issuerUrl: i.url } : { wildcardIssuerUrl: i.url }),
      audience: i.clientId,
      challengeClaim: challengeClaim(i.type),
      spiffeTrustDomain: i.spiffeTrustDomain ?? "",
    })),
  };
}

// SPIFFE ID spec §2.1: the trust domain name is lowercase letters, digits, '.', '-' and '_'.
const SPIFFE_TRUST_DOMAIN = /^[a-z0-9._-]+$/;

/**
 * Fulcio's metaRegex: every `*` matches one run of [-_a-zA-Z0-9] (never '.' or '/', so a wildcard cannot widen to
 * another host or path depth). Anchored at both ends, so the issuer cannot carry a prefix or suffix of its choosing.
 */
function metaPattern(url: string): RegExp {
  const quoted = url.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^${quoted.join("[-_a-zA-Z0-9]+")}$`);
}

function parseUrl(text: string, fail: (message: string) => never): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`"${text}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail(`"${text}" is not an http(s) URL`);
  return url;
}

function serverUrl(text: string, field: string, fail: (message: string) => never): string {
  parseUrl(text, (m) => fail(`${field}: ${m}`));
  return text.replace(/\/+$/, "");
}

export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Fulcio validateAllowedDomain: both names have at least two labels and share the last two (top- and second-level). */
function checkAllowedDomain(subjectHost: string, issuerHost: string, fail: (message: string) => never): void {
  const subject = subjectHost.toLowerCase().split(".");
  const issuer = issuerHost.toLowerCase().split(".");
  if (subject.length < 2 || issuer.length < 2) fail(`subjectDomain ${subjectHost} and issuer host ${issuerHost} need a top- and second-level domain`);
  if (subject.slice(-2).join(".") !== issuer.slice(-2).join(".")) fail(`subjectDomain ${subjectHost} is not in the issuer's domain ${issuerHost}`);
}
