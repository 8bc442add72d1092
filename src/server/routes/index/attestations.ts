import type { FastifyInstance } from "fastify";
import { VouchError } from "../../../core/errors.js";
import type { AttestationService } from "../../../sbom-index/attestations.js";
import { BEARER_SECURITY, principalOf } from "../../plugins/auth.js";
import { errorBody, errors } from "./schemas.js";

/**
 * `POST /api/v1/attestations` (ingest scope): a Sigstore bundle (v0.1-v0.3 JSON) or a bare DSSE envelope, verified on
 * ingest with the deployment's trust (src/sbom-index/attestations.ts) and stored with the verdict: 201 (new) or 200
 * (these bytes were pushed before: the first verdict stands). An unverifiable one is stored and answered with
 * `verified: false` and its reason; a malformed one is a 400 with its reason.
 */

/** Bundles and envelopes as clients send them; parameters (`;version=0.3`) are allowed. */
export const ATTESTATION_CONTENT_TYPES = [
  "application/json",
  "application/vnd.dev.sigstore.bundle+json",
  "application/vnd.dev.sigstore.bundle.v0.3+json",
  "application/vnd.dsse.envelope.v1+json",
] as const;

/** Default body limit: a bundle is kilobytes; provenance with many dependencies stays well under this. */
export const DEFAULT_MAX_ATTESTATION_BYTES = 16 * 1024 * 1024;

const subject = { type: "object", required: ["name", "digest"], properties: { name: { type: "string" }, digest: { type: "string" } } } as const;

export const attestationRecordSchema = {
  type: "object",
  required: ["id", "kind", "subjects", "verified", "logEntries", "ingestedAt", "ingestedBy"],
  properties: {
    id: { type: "string" },
    kind: { enum: ["bundle", "dsse"] },
    mediaType: { type: "string" },
    payloadType: { type: "string" },
    predicateType: { type: "string" },
    subjects: { type: "array", items: subject },
    signer: {
      type: "object",
      required: ["kind", "identity"],
      properties: { kind: { enum: ["certificate", "key"] }, identity: { type: "string" }, issuer: { type: "string" } },
    },
    verified: { type: "boolean" },
    reason: { type: "string" },
    logEntries: {
      type: "array",
      items: { type: "object", properties: { logId: { type: "string" }, logIndex: { type: "string" }, integratedTime: { type: "string" } } },
    },
    signedAt: { type: "string" },
    provenance: {
      type: "object",
      properties: {
        predicateType: { type: "string" },
        builderId: { type: "string" },
        buildType: { type: "string" },
        sourceRepo: { type: "string" },
        sourceCommit: { type: "string" },
        invocationId: { type: "string" },
        byproducts: {
          type: "array",
          description: "runDetails.byproducts named by sha256 (the SBOM the run produced)",
          items: { type: "object", required: ["digest"], properties: { digest: { type: "string" }, name: { type: "string" } } },
        },
        complete: { type: "boolean" },
      },
    },
    ingestedAt: { type: "string" },
    ingestedBy: { type: "string" },
  },
} as const;

const ingestResult = {
  type: "object",
  required: ["created", "attestation"],
  properties: { created: { type: "boolean" }, attestation: attestationRecordSchema },
} as const;

export async function registerAttestationRoutes(app: FastifyInstance, service: AttestationService, maxBytes = DEFAULT_MAX_ATTESTATION_BYTES): Promise<void> {
  // Its own context: the body is kept as bytes (the id is the sha256 of exactly what was sent).
  await app.register(async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...ATTESTATION_CONTENT_TYPES], { parseAs: "buffer", bodyLimit: maxBytes }, (_request, body, done) => done(null, body));
    scope.post(
      "/api/v1/attestations",
      {
        bodyLimit: maxBytes,
        config: { scope: "ingest" },
        schema: {
          summary: "Ingest a Sigstore bundle or DSSE envelope, verified on ingest (idempotent by content digest)",
          tags: ["index"],
          security: BEARER_SECURITY,
          consumes: [...ATTESTATION_CONTENT_TYPES],
          response: { 200: ingestResult, 201: ingestResult, 404: errorBody, ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.byteLength === 0) throw new VouchError("INPUT_MALFORMED", "no attestation in the request body");
        const { record, created } = await service.ingest(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), principalOf(request).id);
        return reply.code(created ? 201 : 200).send({ created, attestation: record });
      },
    );
  });
}
