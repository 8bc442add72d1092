import type { FastifyInstance } from "fastify";
import type { AttestationListQuery, AttestationViews } from "../../../sbom-index/attestation-views.js";
import type { Catalog } from "../../../sbom-index/catalog.js";
import type { KeyHealthService } from "../../../sbom-index/key-health.js";
import type { ComponentQuery, ComponentReader } from "../../../sbom-index/components.js";
import type { DecisionLog } from "../../../sbom-index/decisions.js";
import type { DecisionListQuery } from "../../../sbom-index/views.js";
import { BEARER_SECURITY } from "../../plugins/auth.js";
import { attestationRecordSchema } from "./attestations.js";
import { digest, errorBody, errors } from "./schemas.js";

/**
 * The dashboard's read endpoints (issue 11; answer types in src/sbom-index/views.ts), inside the index plugin (read
 * scope, its error handler): `GET /api/v1/decisions`, `GET /api/v1/services`, `GET /api/v1/artifacts/{digest}`.
 * Response schemas list every field of the views' types: Fastify's serializer drops what a schema does not name.
 */

const timestamp = { type: "string", format: "date-time" } as const;
/** What the store's list cursors are: base64url. */
const cursor = { type: "string", minLength: 1, maxLength: 4096, pattern: "^[A-Za-z0-9_-]+$", description: "the `next` of the page before" } as const;
/** An artifact digest as attestations name subjects (sha256, or sha384 / sha512 for npm provenance), lower case. */
export const artifactDigest = {
  type: "string",
  pattern: "^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$",
  description: "sha256:<64 lower-case hex> (or sha384 / sha512)",
} as const;

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;

export const decisionEventSchema = {
  type: "object",
  required: ["id", "time", "source", "resource", "allowed", "needsReconciliation", "decision"],
  properties: {
    id: { type: "string" },
    time: { type: "string" },
    source: { enum: ["admission", "cli", "reconcile"] },
    resource: {
      type: "object",
      required: ["kind"],
      properties: { kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" }, labels: stringMap },
    },
    uid: { type: "string" },
    operation: { type: "string" },
    allowed: { type: "boolean" },
    needsReconciliation: { type: "boolean" },
    decision: { type: "object", additionalProperties: true, description: "the Decision as recorded (policy/decision.ts), whole" },
    reconciles: { type: "string" },
    reconciled: { type: "object", required: ["at", "by"], properties: { at: { type: "string" }, by: { type: "string" } } },
  },
} as const;

export const decisionQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    allowed: { type: "boolean", description: "false: only denies" },
    pending: { type: "boolean", description: "true: only events decided by an outage action or in audit mode and not re-verified yet" },
    source: { enum: ["admission", "cli", "reconcile"] },
    since: { ...timestamp, description: "time >= since (RFC 3339)" },
    until: { ...timestamp, description: "time < until (RFC 3339)" },
    limit: { type: "integer", minimum: 1, maximum: 500, description: "events per page (default 50)" },
    cursor,
  },
} as const;

export const decisionPage = {
  type: "object",
  required: ["events"],
  properties: { events: { type: "array", items: decisionEventSchema }, next: { type: "string", description: "the cursor of the next (older) page; absent on the last" } },
} as const;

const releaseProperties = {
  sbomId: digest,
  version: { type: "string" },
  digest: { type: "string" },
  format: { type: "string" },
  components: { type: "integer" },
  ingestedAt: { type: "string" },
} as const;
export const releaseSummary = { type: "object", required: ["sbomId", "format", "components", "ingestedAt"], properties: releaseProperties } as const;

export const serviceList = {
  type: "object",
  required: ["services"],
  properties: {
    services: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "releases", "deployments"],
        properties: {
          name: { type: "string" },
          team: { type: "string" },
          releases: { type: "array", items: releaseSummary, description: "newest ingest first" },
          deployments: {
            type: "array",
            description: "the current deployment per environment",
            items: { type: "object", required: ["environment", "digest", "at"], properties: { environment: { type: "string" }, digest: { type: "string" }, at: { type: "string" } } },
          },
        },
      },
    },
  },
} as const;

export const scanFindingSchema = {
  type: "object",
  required: ["vulnerabilityId", "aliases", "purl", "name", "version", "severity", "fixedIn", "kev"],
  properties: {
    vulnerabilityId: { type: "string" },
    aliases: { type: "array", items: { type: "string" } },
    purl: { type: "string" },
    name: { type: "string" },
    version: { type: "string" },
    severity: { type: "string" },
    score: { type: "number" },
    fixedIn: { type: "array", items: { type: "string" } },
    kev: { type: "boolean" },
    vexStatus: { enum: ["not_affected", "affected", "fixed", "under_investigation"] },
  },
} as const;

export const artifactSummary = {
  type: "object",
  required: ["digest", "services", "sboms", "previous", "deployments", "attestations"],
  properties: {
    digest: { type: "string" },
    services: { type: "array", items: { type: "string" } },
    sboms: {
      type: "array",
      description: "SBOMs of this digest, newest ingest first",
      items: { type: "object", required: ["sbomId", "format", "components", "ingestedAt", "service"], properties: { ...releaseProperties, service: { type: "string" } } },
    },
    previous: {
      type: "array",
      description: "per SBOM: the release of its service ingested just before it (diff against it)",
      items: { type: "object", required: ["sbomId"], properties: { sbomId: { type: "string" }, previous: releaseSummary } },
    },
    deployments: {
      type: "array",
      description: "every deployment of the digest, newest first",
      items: {
        type: "object",
        required: ["service", "environment", "at", "current"],
        properties: { service: { type: "string" }, environment: { type: "string" }, at: { type: "string" }, current: { type: "boolean" }, source: { type: "string" } },
      },
    },
    vulnerabilities: {
      type: "object",
      required: ["scanId", "ingestedAt", "findings"],
      description: "the latest scan's findings; absent when the digest was never scanned",
      properties: { scanId: { type: "string" }, ingestedAt: { type: "string" }, findings: { type: "array", items: scanFindingSchema } },
    },
    attestations: { type: "array", items: attestationRecordSchema, description: "attestations naming the digest (verified or not), newest ingest first" },
  },
} as const;

export function registerDecisionRoutes(app: FastifyInstance, decisions: DecisionLog): void {
  app.get<{ Querystring: DecisionListQuery }>(
    "/api/v1/decisions",
    {
      config: { scope: "read" },
      schema: {
        summary: "Policy decision events (admission, CLI gates, reconciliations), newest first",
        tags: ["index"],
        security: BEARER_SECURITY,
        querystring: decisionQuery,
        response: { 200: decisionPage, ...errors },
      },
    },
    async (request) => decisions.list(request.query),
  );
}

export function registerCatalogRoutes(app: FastifyInstance, catalog: Catalog): void {
  app.get(
    "/api/v1/services",
    {
      config: { scope: "read" },
      schema: {
        summary: "Every service the index knows: its team, releases (newest first) and current deployments",
        tags: ["index"],
        security: BEARER_SECURITY,
        response: { 200: serviceList, ...errors },
      },
    },
    async () => catalog.services(),
  );

  app.get<{ Params: { digest: string } }>(
    "/api/v1/artifacts/:digest",
    {
      config: { scope: "read" },
      schema: {
        summary: "One artifact: its SBOMs (each with the release before it), deployments, latest scan findings with VEX state, attestations",
        tags: ["index"],
        security: BEARER_SECURITY,
        params: { type: "object", required: ["digest"], properties: { digest: artifactDigest } },
        response: { 200: artifactSummary, 404: errorBody, ...errors },
      },
    },
    async (request) => catalog.artifact(request.params.digest),
  );
}

export const componentQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    q: { type: "string", maxLength: 200, pattern: "^[^\\x00-\\x1f\\x7f]*$", description: "case-insensitive substring of name, version, purl or licence" },
    offset: { type: "integer", minimum: 0, maximum: 100000000, description: "components to skip (default 0)" },
    limit: { type: "integer", minimum: 1, maximum: 1000, description: "components per page (default 100)" },
  },
} as const;

export const componentPage = {
  type: "object",
  required: ["sbomId", "total", "offset", "components"],
  properties: {
    sbomId: { type: "string" },
    total: { type: "integer", description: "components matching q, before paging" },
    offset: { type: "integer" },
    components: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "licenses"],
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          purl: { type: "string" },
          type: { type: "string" },
          licenses: { type: "array", items: { type: "string" } },
          sha256: { type: "string" },
        },
      },
    },
  },
} as const;

export function registerComponentRoutes(app: FastifyInstance, components: ComponentReader): void {
  app.get<{ Params: { id: string }; Querystring: ComponentQuery }>(
    "/api/v1/sboms/:id/components",
    {
      config: { scope: "read" },
      schema: {
        summary: "An SBOM's components, searchable and paged (the stored document, read with vouch's SBOM readers)",
        tags: ["index"],
        security: BEARER_SECURITY,
        params: { type: "object", required: ["id"], properties: { id: { ...digest, description: "the SBOM's id: the sha256 of its bytes" } } },
        querystring: componentQuery,
        response: { 200: componentPage, 404: errorBody, ...errors },
      },
    },
    async (request) => components.page(request.params.id, request.query),
  );
}

export const attestationQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    verified: { type: "boolean", description: "false: only attestations that failed verification" },
    digest: { ...artifactDigest, description: "only attestations with this subject digest" },
    limit: { type: "integer", minimum: 1, maximum: 500, description: "attestations per page (default 50)" },
    cursor,
  },
} as const;

export const attestationPage = {
  type: "object",
  required: ["attestations"],
  properties: { attestations: { type: "array", items: attestationRecordSchema }, next: { type: "string", description: "the cursor of the next (older) page; absent on the last" } },
} as const;

const hexString = { type: "string", pattern: "^[0-9a-f]*$" } as const;

export const attestationDetail = {
  type: "object",
  required: ["record", "logEntries"],
  properties: {
    record: attestationRecordSchema,
    logEntries: {
      type: "array",
      description: "one per record.logEntries, same order",
      items: {
        type: "object",
        required: ["logId", "logIndex", "ownLog"],
        properties: {
          logId: { type: "string" },
          logIndex: { type: "string" },
          integratedTime: { type: "string" },
          kind: { type: "string", description: "the entry's kind and version (hashedrekord 0.0.1, dsse 0.0.1)" },
          leafHash: { ...hexString, description: "RFC 6962 leaf hash of the canonicalized body" },
          inclusionProof: {
            type: "object",
            required: ["logIndex", "treeSize", "rootHash", "hashes"],
            properties: {
              logIndex: { type: "string" },
              treeSize: { type: "string" },
              rootHash: hexString,
              hashes: { type: "array", items: hexString, description: "leaf to root" },
              checkpoint: { type: "string", description: "the signed checkpoint (C2SP signed note) the proof is against" },
            },
          },
          ownLog: { type: "boolean", description: "the entry is in this server's own log (GET /api/v1/log/entries?logIndex= answers it)" },
        },
      },
    },
  },
} as const;

export function registerAttestationViewRoutes(app: FastifyInstance, views: AttestationViews, ownLogId: string | undefined): void {
  app.get<{ Querystring: AttestationListQuery }>(
    "/api/v1/attestations",
    {
      config: { scope: "read" },
      schema: {
        summary: "Stored attestations, newest ingest first (verified=false: the verification failures)",
        tags: ["index"],
        security: BEARER_SECURITY,
        querystring: attestationQuery,
        response: { 200: attestationPage, ...errors },
      },
    },
    async (request) => views.list(request.query),
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/attestations/:id",
    {
      config: { scope: "read" },
      schema: {
        summary: "One attestation with its log entries' leaf hashes, inclusion proofs and checkpoints as the bundle carries them",
        tags: ["index"],
        security: BEARER_SECURITY,
        params: { type: "object", required: ["id"], properties: { id: { ...digest, description: "the attestation's id: the sha256 of the ingested document" } } },
        response: { 200: attestationDetail, 404: errorBody, ...errors },
      },
    },
    async (request) => views.detail(request.params.id, ownLogId),
  );
}

export const keyHealthReport = {
  type: "object",
  required: ["at", "rotateAfterDays", "warnBeforeDays", "keys"],
  properties: {
    at: { type: "string" },
    rotateAfterDays: { type: "integer" },
    warnBeforeDays: { type: "integer" },
    keys: {
      type: "array",
      description: "worst first: revoked, rotate-now, rotate-soon, ok",
      items: {
        type: "object",
        required: ["identity", "kind", "firstSeen", "lastSeen", "signatures", "artifacts", "services", "status", "inUse"],
        properties: {
          identity: { type: "string", description: "keyed: sha256:<hex> of the SPKI; keyless: the certificate identity" },
          issuer: { type: "string" },
          kind: { enum: ["key", "certificate"] },
          firstSeen: { type: "string" },
          lastSeen: { type: "string" },
          signatures: { type: "integer" },
          artifacts: { type: "integer" },
          services: { type: "array", items: { type: "string" } },
          ageDays: { type: "integer", description: "keys only: whole days since firstSeen" },
          status: { enum: ["ok", "rotate-soon", "rotate-now", "revoked"] },
          revoked: { type: "object", required: ["compromisedAt", "reason"], properties: { compromisedAt: { type: "string" }, reason: { type: "string" } } },
          inUse: {
            type: "array",
            description: "revoked keys: current deployments whose digest carries a verified signature by the key",
            items: {
              type: "object",
              required: ["service", "environment", "digest", "afterCompromise"],
              properties: {
                service: { type: "string" },
                environment: { type: "string" },
                digest: { type: "string" },
                signedAt: { type: "string" },
                afterCompromise: { type: "boolean", description: "no signature by the key over the digest has a trusted time before the compromise" },
              },
            },
          },
        },
      },
    },
  },
} as const;

export function registerKeyRoutes(app: FastifyInstance, keys: KeyHealthService): void {
  app.get(
    "/api/v1/keys",
    {
      config: { scope: "read" },
      schema: {
        summary: "Key-management health: signers seen, keys due for rotation, revoked keys still in use",
        tags: ["index"],
        security: BEARER_SECURITY,
        response: { 200: keyHealthReport, ...errors },
      },
    },
    async () => keys.report(),
  );
}
