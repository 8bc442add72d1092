import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { isVouchError, VouchError } from "../../../core/errors.js";
import type { AffectedQuery, Digest, IndexService } from "../../../sbom-index/types.js";
import { BEARER_SECURITY, principalOf, useTokenAuth, type AuthOptions } from "../../plugins/auth.js";
import { errorHandler } from "../../plugins/errors.js";
import type { ReleaseDiffer } from "../../../sbom-index/diff.js";
import type { SliService } from "../../../sbom-index/sli.js";
import type { AttestationService } from "../../../sbom-index/attestations.js";
import type { ProvenanceGraphService } from "../../../sbom-index/provenance.js";
import { registerAttestationRoutes } from "./attestations.js";
import { registerDiffRoutes } from "./diff.js";
import { registerProvenanceRoutes } from "./provenance.js";
import type { ScanService } from "../../../sbom-index/scans.js";
import { registerScanRoutes } from "./scans.js";
import { sbomBodyParser } from "./sbom-body.js";
import { registerSliRoutes } from "./sli.js";
import type { Catalog } from "../../../sbom-index/catalog.js";
import type { DecisionLog } from "../../../sbom-index/decisions.js";
import type { ComponentReader } from "../../../sbom-index/components.js";
import type { AttestationViews } from "../../../sbom-index/attestation-views.js";
import type { KeyHealthService } from "../../../sbom-index/key-health.js";
import { registerAttestationViewRoutes, registerCatalogRoutes, registerComponentRoutes, registerDecisionRoutes, registerKeyRoutes } from "./views.js";
import {
  affectedQuery,
  affectedResult,
  deploymentBody,
  deploymentResult,
  errors,
  SBOM_CONTENT_TYPES,
  sbomBody,
  sbomQuery,
  sbomResult,
} from "./schemas.js";

export interface IndexRoutesOptions {
  service: IndexService;
  auth: AuthOptions;
  /** Largest SBOM body accepted, in bytes (index.maxSbomBytes; default 64 MiB): beyond it, 413. */
  maxSbomBytes?: number;
  /** The supply-chain SLIs (`GET /api/v1/slis`). */
  slis?: SliService;
  /** The SBOM diff between releases (`GET /api/v1/services/{service}/diff`). */
  releases?: ReleaseDiffer;
  /** Attestations verified on ingest (`POST /api/v1/attestations`). */
  attestations?: AttestationService;
  /** The provenance graph (`GET /api/v1/artifacts/{digest}/provenance`, `GET /api/v1/provenance`). */
  provenance?: ProvenanceGraphService;
  /** Vulnerability scan results (`POST /api/v1/scans`, `GET /api/v1/vulnerabilities`). */
  scans?: ScanService;
  /** Policy decision events, newest first (`GET /api/v1/decisions`). */
  decisions?: DecisionLog;
  /** Services and artifacts for navigation (`GET /api/v1/services`, `GET /api/v1/artifacts/{digest}`). */
  catalog?: Catalog;
  /** An SBOM's components, searchable (`GET /api/v1/sboms/{id}/components`). */
  components?: ComponentReader;
  /** Stored attestations and their log entries' proofs (`GET /api/v1/attestations`, `GET /api/v1/attestations/{id}`). */
  attestationViews?: AttestationViews;
  /** This server's transparency log id (lower-case hex), when it runs one: an attestation's entry in it is `ownLog`. */
  ownLogId?: string;
  /** Key-management health (`GET /api/v1/keys`). */
  keys?: KeyHealthService;
}

export const DEFAULT_MAX_SBOM_BYTES = 64 * 1024 * 1024;

/** Deployments are small JSON objects. */
const MAX_DEPLOYMENT_BYTES = 64 * 1024;

/**
 * The SBOM index over HTTP (issue 9): SBOMs and deployments in, impact queries out. Writes need a token with the
 * ingest scope and record its id as `by`; reads need the read scope unless anonymous reads are configured.
 */
export const indexRoutes: FastifyPluginAsync<IndexRoutesOptions> = async (app, options) => {
  const { service } = options;
  const maxSbomBytes = options.maxSbomBytes ?? DEFAULT_MAX_SBOM_BYTES;
  useTokenAuth(app, options.auth);
  app.setErrorHandler(function indexErrors(error: unknown, request: FastifyRequest, reply: FastifyReply) {
    const code = (error as Partial<FastifyError>).code;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const limit = request.routeOptions.bodyLimit ?? maxSbomBytes;
      return reply.code(413).send({ code: 413, message: `request body is larger than ${limit} bytes (index.maxSbomBytes in vouch.yaml for SBOMs)` });
    }
    if (isVouchError(error) && error.code === "INPUT_TOO_LARGE") return reply.code(413).send({ code: 413, message: error.message });
    errorHandler.call(this, error, request, reply);
  });
  app.decorateRequest("sbom", undefined);

  // The SBOM route gets its own context: its body parsers keep the received bytes beside the parsed document.
  await app.register(async (sboms: FastifyInstance) => {
    sboms.removeAllContentTypeParsers();
    sboms.addContentTypeParser([...SBOM_CONTENT_TYPES], { bodyLimit: maxSbomBytes }, sbomBodyParser(maxSbomBytes));
    sboms.post<{ Querystring: { service: string; version?: string; digest?: Digest } }>(
      "/api/v1/sboms",
      {
        bodyLimit: maxSbomBytes,
        config: { scope: "ingest" },
        schema: {
          summary: "Ingest an SBOM (idempotent by content digest)",
          tags: ["index"],
          security: BEARER_SECURITY,
          consumes: [...SBOM_CONTENT_TYPES],
          querystring: sbomQuery,
          body: sbomBody,
          response: { 200: sbomResult, 201: sbomResult, ...errors },
        },
      },
      async (request, reply) => {
        const received = request.sbom;
        if (received === undefined) throw new VouchError("INPUT_MALFORMED", "no SBOM in the request body");
        const { service: name, version, digest } = request.query;
        const result = await service.ingestSbom({ bytes: received.bytes, received, service: name, version, digest, by: principalOf(request).id });
        return reply.code(result.created ? 201 : 200).send(result);
      },
    );
  });

  app.post<{ Body: { service: string; environment: string; digest: Digest; at?: string; source?: string } }>(
    "/api/v1/deployments",
    {
      bodyLimit: MAX_DEPLOYMENT_BYTES,
      config: { scope: "ingest" },
      schema: {
        summary: "Record a deployment of an artifact digest to a service's environment",
        tags: ["index"],
        security: BEARER_SECURITY,
        body: deploymentBody,
        response: { 200: deploymentResult, 201: deploymentResult, ...errors },
      },
    },
    async (request, reply) => {
      const { service: name, environment, digest, at, source } = request.body;
      const result = await service.ingestDeployment({ service: name, environment, digest, at, source: source ?? "push", by: principalOf(request).id });
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );

  if (options.slis) registerSliRoutes(app, options.slis);
  if (options.releases) registerDiffRoutes(app, options.releases);
  if (options.attestations) await registerAttestationRoutes(app, options.attestations);
  if (options.provenance) registerProvenanceRoutes(app, options.provenance);
  if (options.scans) await registerScanRoutes(app, options.scans);
  if (options.decisions) registerDecisionRoutes(app, options.decisions);
  if (options.catalog) registerCatalogRoutes(app, options.catalog);
  if (options.components) registerComponentRoutes(app, options.components);
  if (options.attestationViews) registerAttestationViewRoutes(app, options.attestationViews, options.ownLogId);
  if (options.keys) registerKeyRoutes(app, options.keys);

  /**
   * Artifacts per answer when the caller gives no `limit`. A popular package is in most of a portfolio's artifacts
   * (8,905 of 10,000 SBOMs in the benchmark): one answer with all of them is 3 MB of JSON that the server serialises
   * and every client parses, most of the query's time over HTTP, for a list nobody reads whole. As Dependency-Track's
   * and GitHub's APIs do, the list pages by default; `total`, `services` and `environments` always cover the whole
   * answer, so "are we affected, where?" is answered by the first page. `limit=10000` asks for more at once, and
   * `vouch query affected` (IndexClient.affected) walks every page.
   */
  const AFFECTED_DEFAULT_PAGE = 1000;

  app.get<{ Querystring: AffectedQuery }>(
    "/api/v1/affected",
    {
      config: { scope: "read" },
      schema: {
        summary: "Which artifacts, services and environments contain a component (purl, purl + range, name, or advisory)",
        tags: ["index"],
        security: BEARER_SECURITY,
        querystring: affectedQuery,
        response: { 200: affectedResult, ...errors },
      },
    },
    async (request) => {
      const query = request.query;
      const asked = [query.purl, query.name, query.advisory].filter((v) => v !== undefined).length;
      if (asked !== 1) throw new VouchError("INPUT_USAGE", "ask with exactly one of purl, name or advisory");
      if (query.range !== undefined && query.purl === undefined) throw new VouchError("INPUT_USAGE", "range goes with purl (a package's versions)");
      return service.affected(query.limit === undefined ? { ...query, limit: AFFECTED_DEFAULT_PAGE } : query);
    },
  );
};
