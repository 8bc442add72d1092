import { createServer as createHttpsServer } from "node:https";
import Fastify, { type FastifyInstance, type FastifyServerFactory, type FastifyServerOptions } from "fastify";
import type { PolicyEngine } from "../policy/decision.js";
import type { CertificateAuthority } from "../ca/authority.js";
import type { CtLog } from "../ct/ct-log.js";
import type { TransparencyLog } from "../tlog/log.js";
import type { TimestampAuthority } from "../tsa/index.js";
import type { IndexService } from "../sbom-index/types.js";
import type { AttestationService } from "../sbom-index/attestations.js";
import type { ScanService } from "../sbom-index/scans.js";
import type { ReleaseDiffer } from "../sbom-index/diff.js";
import type { ProvenanceGraphService } from "../sbom-index/provenance.js";
import type { SliService } from "../sbom-index/sli.js";
import type { Catalog } from "../sbom-index/catalog.js";
import type { DecisionLog } from "../sbom-index/decisions.js";
import type { ComponentReader } from "../sbom-index/components.js";
import type { AttestationViews } from "../sbom-index/attestation-views.js";
import type { KeyHealthService } from "../sbom-index/key-health.js";
import type { TokenStore } from "../store/ports.js";
import { registerOpenApi } from "./openapi.js";
import type { OidcAuth } from "./plugins/auth.js";
import { errorHandler } from "./plugins/errors.js";
import { indexRoutes } from "./routes/index/index.js";
import { createServerMetrics, metricsRoutes, type ServerMetrics } from "./routes/metrics/index.js";
import { registerSliGauges } from "./routes/metrics/sli-gauges.js";
import { healthRoutes } from "./routes/health/index.js";
import { caRoutes, type IssuerDescription } from "./routes/ca/index.js";
import { ctRoutes } from "./routes/ct/index.js";
import { tlogRoutes } from "./routes/tlog/index.js";
import { tsaRoutes } from "./routes/tsa/index.js";
import { admissionRoutes } from "./routes/admission/index.js";
import { dashboardRoutes, type DashboardOptions } from "./routes/dashboard/index.js";

/** What the server is built from: every domain is optional, so `vouch log serve` runs the log alone. */
export interface AppDeps {
  log?: TransparencyLog;
  /** The keyless CA and the issuers it accepts (Fulcio v2 API). */
  ca?: { authority: CertificateAuthority; issuers: readonly IssuerDescription[] };
  /** The certificate transparency log the CA logs precertificates in (RFC 6962 API under /ct/v1). */
  ct?: CtLog;
  /** The RFC 3161 timestamp authority. */
  tsa?: TimestampAuthority;
  /** The SBOM index (issue 9) and the API tokens its routes check. */
  index?: {
    service: IndexService;
    tokens: TokenStore;
    /** Reads without a token (index.anonymousRead). */
    anonymousRead?: boolean;
    /** Largest SBOM body, in bytes (index.maxSbomBytes; default 64 MiB). */
    maxSbomBytes?: number;
    /** CI identity tokens (index.oidc). */
    oidc?: OidcAuth;
    /** The supply-chain SLIs: GET /api/v1/slis, and gauges on /metrics. */
    slis?: SliService;
    /** The SBOM diff between releases: GET /api/v1/services/{service}/diff. */
    releases?: ReleaseDiffer;
    /** Attestations verified on ingest: POST /api/v1/attestations. */
    attestations?: AttestationService;
    /** The provenance graph: GET /api/v1/artifacts/{digest}/provenance, GET /api/v1/provenance. */
    provenance?: ProvenanceGraphService;
    /** Vulnerability scan results: POST /api/v1/scans, GET /api/v1/vulnerabilities. */
    scans?: ScanService;
    /** Policy decision events, newest first: GET /api/v1/decisions. */
    decisions?: DecisionLog;
    /** Services and artifacts: GET /api/v1/services, GET /api/v1/artifacts/{digest}. */
    catalog?: Catalog;
    /** An SBOM's components, searchable: GET /api/v1/sboms/{id}/components. */
    components?: ComponentReader;
    /** Stored attestations with their log entries' proofs: GET /api/v1/attestations, GET /api/v1/attestations/{id}. */
    attestationViews?: AttestationViews;
    /** This server's transparency log id (lower-case hex); default: the id of `log`, when the app runs one. */
    ownLogId?: string;
    /** Key-management health: GET /api/v1/keys. */
    keys?: KeyHealthService;
  };
  /** Kubernetes admission webhooks (issue 10): POST /admission/validate and /admission/mutate. */
  admission?: { engine: PolicyEngine; maxBodyBytes?: number };
  /** The dashboard (issue 11, web/): the built app at `/` (`vouch serve` unless dashboard.enabled is false). */
  dashboard?: DashboardOptions;
  /** Serve HTTPS with this PEM key and certificate chain (`vouch admission serve`: the API server calls webhooks over TLS only). */
  https?: { key: string | Buffer; cert: string | Buffer };
  /** Request metrics and the registry SLI gauges use (default: a new one per app). */
  metrics?: ServerMetrics;
  /** Fastify's logger option: false in tests, pino options for `vouch serve`. */
  logger?: FastifyServerOptions["logger"];
}

/** An HTTPS server for Fastify's serverFactory (an https.Server is an http.Server to Fastify's routing). */
function httpsFactory(tls: NonNullable<AppDeps["https"]>): FastifyServerFactory {
  return (handler) => createHttpsServer({ key: tls.key, cert: tls.cert }, handler);
}

/**
 * Builds the HTTP app from its services, one encapsulated plugin per domain (fastify's encapsulation), without
 * listening: tests drive it with `inject`, `vouch serve` calls listen().
 *
 * @example
 *   const app = await buildApp({ log });
 *   const res = await app.inject({ method: "GET", url: "/api/v1/log" });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    // Large enough for Rekor's retrieve; each route sets its own tighter limit.
    bodyLimit: 2 * 1024 * 1024,
    return503OnClosing: true,
    ...(deps.https ? { serverFactory: httpsFactory(deps.https) } : {}),
  });
  app.setErrorHandler(errorHandler);
  const metrics = deps.metrics ?? createServerMetrics();
  app.addHook("onResponse", metrics.observe);
  // Before every route: swagger collects the routes as they are registered.
  await registerOpenApi(app);
  await app.register(metricsRoutes, { metrics });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ code: 404, message: `no route ${request.method} ${request.url.split("?")[0]}` });
  });
  await app.register(healthRoutes, {
    ready: async () => (deps.log ? (await deps.log.checkpoint()).length > 0 : true) && (deps.index ? await deps.index.service.ready() : true),
  });
  if (deps.log) await app.register(tlogRoutes, { log: deps.log });
  if (deps.ca) await app.register(caRoutes, { ca: deps.ca.authority, issuers: deps.ca.issuers });
  if (deps.ct) await app.register(ctRoutes, { log: deps.ct });
  if (deps.tsa) await app.register(tsaRoutes, { authority: deps.tsa });
  if (deps.index) {
    const { tokens, anonymousRead, oidc, ...routes } = deps.index;
    const { slis } = routes;
    const ownLogId = routes.ownLogId ?? (deps.log ? Buffer.from(deps.log.signer.logId).toString("hex") : undefined);
    await app.register(indexRoutes, { ...routes, ownLogId, auth: { tokens, anonymousRead, oidc } });
    if (slis) registerSliGauges(metrics.registry, slis);
  }
  if (deps.admission) await app.register(admissionRoutes, deps.admission);
  if (deps.dashboard) await app.register(dashboardRoutes, deps.dashboard);
  return app;
}
