import type { FastifyInstance } from "fastify";
import { isVouchError } from "../../../core/errors.js";
import type { ReleaseDiffer } from "../../../sbom-index/diff.js";
import { BEARER_SECURITY } from "../../plugins/auth.js";
import { digest, errorBody, errors } from "./schemas.js";

/**
 * `GET /api/v1/services/{service}/diff?from=V1&to=V2`: the SBOM diff between two releases of a service
 * (src/sbom-index/diff.ts), registered inside the index plugin (read scope).
 */

/** A release: the version it was pushed with, or an SBOM id / artifact digest. */
const release = { type: "string", minLength: 1, maxLength: 128, pattern: "^[\\x21-\\x7e]+$" } as const;

const component = {
  type: "object",
  properties: {
    key: { type: "string" },
    name: { type: "string" },
    version: { type: "string" },
    ecosystem: { type: "string" },
    purl: { type: "string" },
    licenses: { type: "array", items: { type: "string" } },
  },
} as const;

const change = {
  type: "object",
  properties: { key: { type: "string" }, name: { type: "string" }, from: { type: "string" }, to: { type: "string" }, purl: { type: "string" } },
} as const;

const side = {
  type: "object",
  required: ["release", "sbom", "format", "specVersion", "components", "ingestedAt"],
  properties: {
    release: { type: "string" },
    version: { type: "string" },
    sbom: digest,
    digest,
    format: { enum: ["spdx", "cyclonedx"] },
    specVersion: { type: "string" },
    components: { type: "integer" },
    ingestedAt: { type: "string" },
  },
} as const;

export const releaseDiffResult = {
  type: "object",
  required: ["service", "from", "to", "diff"],
  properties: {
    service: { type: "string" },
    from: side,
    to: side,
    diff: {
      type: "object",
      properties: {
        summary: {
          type: "object",
          properties: Object.fromEntries(["added", "removed", "upgraded", "downgraded", "license", "hash-mismatch", "unchanged"].map((k) => [k, { type: "integer" }])),
        },
        added: { type: "array", items: component },
        removed: { type: "array", items: component },
        upgraded: { type: "array", items: change },
        downgraded: { type: "array", items: change },
        licenseChanged: {
          type: "array",
          items: {
            type: "object",
            properties: {
              key: { type: "string" },
              name: { type: "string" },
              version: { type: "string" },
              from: { type: "array", items: { type: "string" } },
              to: { type: "array", items: { type: "string" } },
              purl: { type: "string" },
            },
          },
        },
        hashMismatch: {
          type: "array",
          items: {
            type: "object",
            properties: {
              key: { type: "string" },
              name: { type: "string" },
              version: { type: "string" },
              purl: { type: "string" },
              digests: {
                type: "array",
                items: {
                  type: "object",
                  properties: { algorithm: { type: "string" }, old: { type: "array", items: { type: "string" } }, new: { type: "array", items: { type: "string" } } },
                },
              },
            },
          },
        },
      },
    },
    notes: { type: "array", items: { type: "string" } },
  },
} as const;

export function registerDiffRoutes(app: FastifyInstance, differ: ReleaseDiffer): void {
  app.get<{ Params: { service: string }; Querystring: { from: string; to: string } }>(
    "/api/v1/services/:service/diff",
    {
      config: { scope: "read" },
      schema: {
        summary: "SBOM diff between two releases of a service (added, removed, upgraded, downgraded, licence, checksum)",
        tags: ["index"],
        security: BEARER_SECURITY,
        params: {
          type: "object",
          required: ["service"],
          properties: { service: { type: "string", minLength: 1, maxLength: 200, pattern: "^(?!.*\\.\\.)[A-Za-z0-9@][A-Za-z0-9._:@/+-]*$" } },
        },
        querystring: {
          type: "object",
          required: ["from", "to"],
          additionalProperties: false,
          properties: {
            from: { ...release, description: "the older release (its pushed version), or an SBOM id / artifact digest" },
            to: { ...release, description: "the newer release" },
          },
        },
        response: { 200: releaseDiffResult, 404: errorBody, ...errors },
      },
    },
    async (request, reply) => {
      try {
        return await differ.diff({ service: request.params.service, from: request.query.from, to: request.query.to });
      } catch (err) {
        if (isVouchError(err) && err.code === "INPUT_NOT_FOUND") return reply.code(404).send({ code: 404, message: err.message });
        throw err;
      }
    },
  );
}
