import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { checkToken, hasScope, type Principal } from "../../api/tokens.js";
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

export interface AuthOptions {
  tokens: TokenStore;
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
    const checked = await checkToken(options.tokens, match[1]!, now());
    if (!checked.ok) return refuse(reply, 401, checked.reason, 'error="invalid_token"');
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

function refuse(reply: FastifyReply, status: 401 | 403, message: string, challenge?: string): FastifyReply {
  return reply
    .code(status)
    .header("www-authenticate", `Bearer realm="vouch"${challenge === undefined ? "" : `, ${challenge}`}`)
    .send({ code: status, message });
}
