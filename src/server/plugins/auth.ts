import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { checkToken, hasScope, tokenId, type Principal } from "../../api/tokens.js";
import { isVouchError } from "../../core/errors.js";
import type { TokenScope, TokenStore } from "../../store/ports.js";

/**
 * Bearer-token auth for a domain plugin (the SBOM index): every route declares the scope it needs in its config
 * (`config: { scope: "ingest" }`), and a route without one is refused when it is registered, so a new route cannot
 * skip auth by forgetting it. Reads may be opened to anonymous callers (`index.anonymousRead` in vouch.yaml); writes
 * never are. Refusals are Rekor-shaped `{code, message}` bodies with RFC 6750's WWW-Authenticate header.
 */

declare module "fastify" {
  interface FastifyContextConfig {
    /** The scope a request needs; "public" for routes anyone may call (none in the index yet). */
    scope?: TokenScope | "public";
  }
  interface FastifyRequest {
    /** Who made the request, once the auth hook has run (undefined on public routes). */
    principal?: Principal;
  }
}

/** A CI identity rule: tokens from `issuer` whose subject matches `subject` (`*`: any run of characters) get `scopes`. */
export interface OidcIdentityRule {
  issuer: string;
  subject: string;
  scopes: readonly TokenScope[];
}

/**
 * OIDC identity tokens for CI (GitHub Actions, GitLab…), so pipelines ingest without a stored secret: the token is
 * verified against the issuer (discovery, JWKS, audience, expiry: the CA's verifier), then its identity must match a
 * configured rule, whose scopes it gets. Writes are attributed to `oidc:<issuer>#<subject>`.
 */
export interface OidcAuth {
  /** Verifies a token's signature and claims; throws a VouchError (CA_TOKEN_INVALID, CA_ISSUER_UNAVAILABLE). */
  verify(token: string): Promise<{ issuer: string; subject: string }>;
  identities: readonly OidcIdentityRule[];
}

export interface AuthOptions {
  tokens: TokenStore;
  /** CI identity tokens (index.oidc in vouch.yaml); absent: API tokens only. */
  oidc?: OidcAuth;
  /** Reads (scope "read") without a token. Default false. */
  anonymousRead?: boolean;
  /** Default: the system clock. */
  now?: () => Date;
}

/** The principal of an anonymous read. */
export const ANONYMOUS: Principal = { id: "anonymous", scopes: ["read"] };

/** The OpenAPI security requirement of a route that needs a token (openapi.ts declares the scheme). */
export const BEARER_SECURITY = [{ bearerAuth: [] }];

/**
 * Installs token auth on `app` (an encapsulated plugin instance: its routes only).
 *
 * @example
 *   await app.register(async (index) => {
 *     useTokenAuth(index, { tokens });
 *     index.get("/api/v1/affected", { config: { scope: "read" } }, handler);
 *   });
 */
export function useTokenAuth(app: FastifyInstance, options: AuthOptions): void {
  const now = options.now ?? (() => new Date());
  app.decorateRequest("principal", undefined);
  app.addHook("onRoute", (route) => {
    const scope = (route.config as { scope?: unknown } | undefined)?.scope;
    if (scope !== "public" && scope !== "ingest" && scope !== "read" && scope !== "admin") {
      throw new Error(`route ${String(route.method)} ${route.url} declares no auth scope (config.scope)`);
    }
  });
  app.addHook("onRequest", async (request, reply) => {
    const scope = request.routeOptions.config.scope;
    if (scope === "public") return;
    // Defence in depth beside the onRoute check: an unknown scope is refused, never let through.
    if (scope === undefined) return refuse(reply, 403, "this route declares no scope");
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === "") {
      if (scope === "read" && options.anonymousRead === true) {
        request.principal = ANONYMOUS;
        return;
      }
      return refuse(reply, 401, `a token is required (Authorization: Bearer <token> with scope ${scope})`);
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (match === null) return refuse(reply, 401, "the Authorization header must be Bearer <token>");
    const presented = match[1]!;
    const checked: IdentityCheck = options.oidc !== undefined && tokenId(presented) === undefined && COMPACT_JWT.test(presented)
      ? await checkIdentityToken(options.oidc, presented)
      : await checkToken(options.tokens, presented, now());
    if (!checked.ok) return refuse(reply, checked.status ?? 401, checked.reason, 'error="invalid_token"');
    if (checked.principal.scopes.length === 0) {
      return refuse(reply, 403, `identity ${checked.principal.id} matches no rule of index.oidc.identities in vouch.yaml`, `error="insufficient_scope", scope="${scope}"`);
    }
    if (!hasScope(checked.principal.scopes, scope)) {
      return refuse(reply, 403, `token ${checked.principal.id} lacks the ${scope} scope (it has ${checked.principal.scopes.join(", ")})`, `error="insufficient_scope", scope="${scope}"`);
    }
    request.principal = checked.principal;
  });
}

/** The principal of a request that passed the auth hook (routes with a scope always have one). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new Error(`no principal on ${request.method} ${request.url}: the auth hook did not run`);
  return request.principal;
}

function refuse(reply: FastifyReply, status: 401 | 403 | 503, message: string, challenge?: string): FastifyReply {
  return reply
    .code(status)
    .header("www-authenticate", `Bearer realm="vouch"${challenge === undefined ? "" : `, ${challenge}`}`)
    .send({ code: status, message });
}

const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type IdentityCheck = { ok: true; principal: Principal } | { ok: false; reason: string; status?: 401 | 503 };

/** An OIDC token: verified by the issuer's keys, then its identity must match a rule (none matching: no scopes). */
async function checkIdentityToken(oidc: OidcAuth, token: string): Promise<IdentityCheck> {
  let identity: { issuer: string; subject: string };
  try {
    identity = await oidc.verify(token);
  } catch (err) {
    if (!isVouchError(err)) throw err;
    if (err.code === "CA_ISSUER_UNAVAILABLE" || err.code === "SERVICE_UNAVAILABLE") return { ok: false, reason: err.message, status: 503 };
    return { ok: false, reason: err.message };
  }
  const scopes = new Set<TokenScope>();
  for (const rule of oidc.identities) {
    if (rule.issuer === identity.issuer && globMatches(rule.subject, identity.subject)) for (const s of rule.scopes) scopes.add(s);
  }
  return { ok: true, principal: { id: `oidc:${identity.issuer}#${identity.subject}`, scopes: [...scopes].sort() } };
}

/** `*` matches any run of characters (none included); everything else literally. */
export function globMatches(pattern: string, text: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === text;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!text.startsWith(first) || !text.endsWith(last) || text.length < first.length + last.length) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = text.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}
