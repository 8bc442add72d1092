import type { FastifyInstance } from "fastify";
import { isVouchError } from "../../../core/errors.js";
import type { SliQuery, SliService } from "../../../sbom-index/sli.js";
import { BEARER_SECURITY } from "../../plugins/auth.js";
import { errorBody, errors } from "./schemas.js";

/**
 * `GET /api/v1/slis`: the supply-chain SLIs (src/sbom-index/sli.ts), registered inside the index plugin so it shares
 * its auth (read scope) and error handling. The same numbers are on /metrics as gauges (routes/metrics/sli-gauges.ts).
 */

/** One SLI: a ratio with its counts, or absent with the reason (never a made-up 0). */
const ratio = {
  type: "object",
  properties: {
    numerator: { type: "integer" },
    denominator: { type: "integer" },
    value: { type: ["number", "null"], description: "numerator / denominator, 3 decimals; null when nothing is in scope" },
    absent: { type: "boolean" },
    reason: { type: "string" },
  },
} as const;

const values = {
  type: "object",
  required: ["deployments", "signedDeploymentRatio", "sbomCoverage", "sbomAlignment", "sbomFreshness", "provenanceCompleteness", "denyRate"],
  properties: {
    deployments: { type: "integer" },
    signedDeploymentRatio: { ...ratio, description: "deployments whose digest is the subject of a verified attestation or signature" },
    sbomCoverage: { ...ratio, description: "deployments whose service has an SBOM in the index" },
    sbomAlignment: { ...ratio, description: "deployments whose exact digest has an SBOM" },
    sbomFreshness: {
      type: "object",
      description: "age at deploy of the newest SBOM of the deployed digest (late: it came after the deploy)",
      properties: {
        measured: { type: "integer" },
        late: { type: "integer" },
        medianSeconds: { type: ["integer", "null"] },
        maxSeconds: { type: ["integer", "null"] },
      },
    },
    provenanceCompleteness: { ...ratio, description: "deployments whose digest has verified SLSA provenance with every required field" },
    denyRate: { ...ratio, description: "admission decisions denied / made over the series' window, each bucket's, else the last 24 hours; absent per service, environment or team (decisions are per namespace)" },
  },
} as const;

const group = { type: "object", required: ["key", "values"], properties: { key: { type: "string" }, values } } as const;

const timestamp = { type: "string", format: "date-time" } as const;

export const sliQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    service: { type: "string", minLength: 1, maxLength: 200, pattern: "^[^\\x00-\\x1f\\x7f]+$" },
    environment: { type: "string", minLength: 1, maxLength: 200, pattern: "^[^\\x00-\\x1f\\x7f]+$" },
    team: { type: "string", minLength: 1, maxLength: 200, pattern: "^[^\\x00-\\x1f\\x7f]+$", description: "a team of index.teams in vouch.yaml" },
    from: { ...timestamp, description: "series start (RFC 3339; default: 30 buckets before `to`)" },
    to: { ...timestamp, description: "series end (RFC 3339; default: now)" },
    bucket: { enum: ["hour", "day", "week"], description: "series bucket (default day); a series is computed when bucket, from or to is given" },
    deployments: { type: "boolean", description: "also list every current deployment in scope as judged (large: one row per deployment)" },
  },
} as const;

export const sliReport = {
  type: "object",
  required: ["at", "query", "overall", "byService", "byEnvironment", "byTeam", "signers", "targets", "tookMs"],
  properties: {
    at: { type: "string" },
    query: sliQuery,
    overall: values,
    byService: { type: "array", items: group },
    byEnvironment: { type: "array", items: group },
    byTeam: { type: "array", items: group },
    deployments: {
      type: "array",
      description: "with ?deployments=true: every current deployment in scope, as judged",
      items: {
        type: "object",
        properties: {
          service: { type: "string" },
          environment: { type: "string" },
          team: { type: "string" },
          digest: { type: "string" },
          deployedAt: { type: "string" },
          signed: { type: "boolean" },
          sbom: { type: "boolean" },
          sbomAfterDeploy: { type: "boolean" },
          serviceHasSbom: { type: "boolean" },
          sbomAgeSeconds: { type: "integer" },
          provenanceComplete: { type: "boolean" },
        },
      },
    },
    series: {
      type: "array",
      description: "per bucket, the deployments made in it, each judged as of its deploy",
      items: { type: "object", properties: { start: { type: "string" }, end: { type: "string" }, values } },
    },
    signers: {
      type: "object",
      properties: {
        absent: { type: "boolean" },
        reason: { type: "string" },
        anomalies: {
          type: "array",
          description: "a verified signer new to a service (its first signer is the baseline)",
          items: {
            type: "object",
            properties: { service: { type: "string" }, identity: { type: "string" }, issuer: { type: "string" }, digest: { type: "string" }, firstSeen: { type: "string" } },
          },
        },
        keyUsage: {
          type: "array",
          items: {
            type: "object",
            properties: {
              identity: { type: "string" },
              issuer: { type: "string" },
              signatures: { type: "integer" },
              artifacts: { type: "integer" },
              services: { type: "array", items: { type: "string" } },
              firstSeen: { type: "string" },
            },
          },
        },
      },
    },
    targets: {
      type: "object",
      description: "the SLO targets (index.slo in vouch.yaml): ratios the SLIs should meet; denyRate is a ceiling",
      required: ["signedDeploymentRatio", "sbomCoverage", "sbomAlignment", "provenanceCompleteness", "denyRate"],
      properties: {
        signedDeploymentRatio: { type: "number" },
        sbomCoverage: { type: "number" },
        sbomAlignment: { type: "number" },
        provenanceCompleteness: { type: "number" },
        denyRate: { type: "number" },
      },
    },
    tookMs: { type: "number" },
  },
} as const;

export function registerSliRoutes(app: FastifyInstance, slis: SliService): void {
  app.get<{ Querystring: SliQuery & { deployments?: boolean } }>(
    "/api/v1/slis",
    {
      config: { scope: "read" },
      schema: {
        summary: "Supply-chain SLIs per service, team and environment, and over time",
        tags: ["index"],
        security: BEARER_SECURITY,
        querystring: sliQuery,
        response: { 200: sliReport, 404: errorBody, ...errors },
      },
    },
    async (request, reply) => {
      try {
        const { deployments, ...query } = request.query;
        const report = await slis.report(query);
        // The summary is per scope; the per-deployment rows (one per running deployment, megabytes for a large
        // portfolio) only when asked for, so the summary stays a summary.
        if (deployments === true) return report;
        const { deployments: _rows, ...summary } = report;
        return summary;
      } catch (err) {
        // An unknown team is a missing resource, not a server failure.
        if (isVouchError(err) && err.code === "INPUT_NOT_FOUND") return reply.code(404).send({ code: 404, message: err.message });
        throw err;
      }
    },
  );
}
