import type { FastifyInstance } from "fastify";
import { VouchError } from "../../../core/errors.js";
import type { ScanService, VulnerabilityQuery } from "../../../sbom-index/scans.js";
import { BEARER_SECURITY, principalOf } from "../../plugins/auth.js";
import { digest, errors } from "./schemas.js";

/**
 * `POST /api/v1/scans` (ingest scope): a `vouch scan -o json` report, or a CycloneDX VEX/VDR document with
 * vulnerabilities, for an artifact digest and a service; 201 (new) or 200 (the same report for the same digest was
 * pushed before). `GET /api/v1/vulnerabilities` (read scope): the findings of the latest scan of each current
 * deployment, grouped by vulnerability, with the services and environments affected.
 */

export const SCAN_CONTENT_TYPES = ["application/json", "application/vnd.cyclonedx+json"] as const;

/** Reports are far smaller than the SBOMs they come from. */
export const DEFAULT_MAX_SCAN_BYTES = 32 * 1024 * 1024;

/** A service or environment name (as schemas.ts names them). */
const name = { type: "string", minLength: 1, maxLength: 200, pattern: "^(?!.*\\.\\.)[A-Za-z0-9@][A-Za-z0-9._:@/+-]*$" } as const;

const scanRecord = {
  type: "object",
  required: ["id", "digest", "service", "format", "findingCount", "ingestedAt", "ingestedBy"],
  properties: {
    id: digest,
    digest,
    service: { type: "string" },
    format: { enum: ["vouch-json", "cyclonedx"] },
    findingCount: { type: "integer" },
    ingestedAt: { type: "string" },
    ingestedBy: { type: "string" },
  },
} as const;

const ingestResult = { type: "object", required: ["created", "scan"], properties: { created: { type: "boolean" }, scan: scanRecord } } as const;

const SEVERITY_FILTER = ["none", "low", "medium", "high", "critical"] as const;

const vulnerabilitiesResult = {
  type: "object",
  required: ["vulnerabilities", "deployments", "unscanned"],
  properties: {
    deployments: { type: "integer", description: "current deployments the query covered" },
    unscanned: { type: "integer", description: "of them, how many run a digest without a scan" },
    vulnerabilities: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "aliases", "severity", "kev", "fixedIn", "components", "deployments"],
        properties: {
          id: { type: "string" },
          aliases: { type: "array", items: { type: "string" } },
          severity: { type: "string" },
          score: { type: "number" },
          kev: { type: "boolean" },
          fixedIn: { type: "array", items: { type: "string" } },
          components: {
            type: "array",
            items: { type: "object", properties: { purl: { type: "string" }, name: { type: "string" }, version: { type: "string" } } },
          },
          deployments: {
            type: "array",
            items: {
              type: "object",
              properties: { service: { type: "string" }, environment: { type: "string" }, digest: { type: "string" }, scanId: { type: "string" } },
            },
          },
        },
      },
    },
  },
} as const;

export async function registerScanRoutes(app: FastifyInstance, service: ScanService, maxBytes = DEFAULT_MAX_SCAN_BYTES): Promise<void> {
  // Its own context: the body is kept as bytes (the id hashes exactly what was sent).
  await app.register(async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...SCAN_CONTENT_TYPES], { parseAs: "buffer", bodyLimit: maxBytes }, (_request, body, done) => done(null, body));
    scope.post<{ Querystring: { service: string; digest?: string } }>(
      "/api/v1/scans",
      {
        bodyLimit: maxBytes,
        config: { scope: "ingest" },
        schema: {
          summary: "Ingest a vulnerability scan (vouch scan -o json, or CycloneDX VEX/VDR) for an artifact digest (idempotent)",
          tags: ["index"],
          security: BEARER_SECURITY,
          consumes: [...SCAN_CONTENT_TYPES],
          querystring: {
            type: "object",
            required: ["service"],
            additionalProperties: false,
            properties: {
              service: { ...name, description: "the service the artifact belongs to" },
              digest: { ...digest, description: "the artifact scanned (default: the digest the report's target names)" },
            },
          },
          response: { 200: ingestResult, 201: ingestResult, ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.byteLength === 0) throw new VouchError("INPUT_MALFORMED", "no scan report in the request body");
        const { service: svc, digest: d } = request.query;
        const result = await service.ingest({ bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), service: svc, ...(d !== undefined ? { digest: d } : {}), by: principalOf(request).id });
        return reply.code(result.created ? 201 : 200).send(result);
      },
    );
  });

  app.get<{ Querystring: VulnerabilityQuery }>(
    "/api/v1/vulnerabilities",
    {
      config: { scope: "read" },
      schema: {
        summary: "Vulnerabilities of what runs now: the latest scan of each current deployment, grouped by vulnerability",
        tags: ["index"],
        security: BEARER_SECURITY,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            service: name,
            environment: name,
            severity: { enum: [...SEVERITY_FILTER], description: "at or above this severity" },
            kev: { type: "boolean", description: "only vulnerabilities in CISA's KEV catalog" },
          },
        },
        response: { 200: vulnerabilitiesResult, ...errors },
      },
    },
    async (request) => service.vulnerabilities(request.query),
  );
}
