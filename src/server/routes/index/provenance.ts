import type { FastifyInstance, FastifyReply } from "fastify";
import { isVouchError } from "../../../core/errors.js";
import type { ProvenanceGraph, ProvenanceGraphService } from "../../../sbom-index/provenance.js";
import { BEARER_SECURITY } from "../../plugins/auth.js";
import { errorBody, errors } from "./schemas.js";

/**
 * The provenance graph (read scope): `GET /api/v1/artifacts/{digest}/provenance` (404 when the index knows nothing of
 * the digest), and the reverse `GET /api/v1/provenance?commit=SHA` / `?signer=IDENTITY[&issuer=URL]` (an empty graph
 * when nothing matches). Nodes are typed (`type`), edges kinded (`kind`): src/sbom-index/provenance.ts.
 */

/** Every field any node type has: the serializer keeps only listed properties. */
const node = {
  type: "object",
  required: ["id", "type"],
  properties: {
    id: { type: "string" },
    type: { enum: ["source", "builder", "run", "artifact", "sbom", "attestation", "signer", "logEntry", "deployment"] },
    repo: { type: "string" },
    commit: { type: "string" },
    builderId: { type: "string" },
    buildType: { type: "string" },
    invocationId: { type: "string" },
    digest: { type: "string" },
    names: { type: "array", items: { type: "string" } },
    sbomId: { type: "string" },
    service: { type: "string" },
    version: { type: "string" },
    format: { type: "string" },
    attestationId: { type: "string" },
    kind: { type: "string" },
    predicateType: { type: "string" },
    verified: { type: "boolean" },
    reason: { type: "string" },
    claimedSigner: { type: "string" },
    provenanceComplete: { type: "boolean" },
    signedAt: { type: "string" },
    ingestedAt: { type: "string" },
    ingestedBy: { type: "string" },
    identity: { type: "string" },
    issuer: { type: "string" },
    logId: { type: "string" },
    logIndex: { type: "string" },
    integratedTime: { type: "string" },
    deploymentId: { type: "string" },
    environment: { type: "string" },
    deployedAt: { type: "string" },
    current: { type: "boolean" },
  },
} as const;

export const provenanceGraphSchema = {
  type: "object",
  required: ["query", "nodes", "edges"],
  properties: {
    query: { type: "object", properties: { digest: { type: "string" }, commit: { type: "string" }, signer: { type: "string" }, issuer: { type: "string" } } },
    nodes: { type: "array", items: node },
    edges: {
      type: "array",
      items: {
        type: "object",
        required: ["from", "to", "kind"],
        properties: {
          from: { type: "string" },
          to: { type: "string" },
          kind: { enum: ["source-of", "ran", "produced", "built-sbom", "described-by", "attested-by", "signed-by", "logged-in", "deployed-as"] },
        },
      },
    },
    truncated: { type: "boolean" },
  },
} as const;

const artifactDigest = { type: "string", pattern: "^(sha256:[0-9a-fA-F]{64}|sha384:[0-9a-fA-F]{96}|sha512:[0-9a-fA-F]{128})$", description: "sha256:<64 hex> (or sha384 / sha512)" } as const;
/** Identities are URIs or e-mail addresses (keyless) or `sha256:<hex>` key ids: printable, bounded. */
const printable = (max: number) => ({ type: "string", minLength: 1, maxLength: max, pattern: "^[\\x21-\\x7e]+$" }) as const;

export function registerProvenanceRoutes(app: FastifyInstance, graphs: ProvenanceGraphService): void {
  app.get<{ Params: { digest: string } }>(
    "/api/v1/artifacts/:digest/provenance",
    {
      config: { scope: "read" },
      schema: {
        summary: "Provenance graph of an artifact: source commit, builder and run, SBOMs, attestations and signers, log entries, deployments",
        tags: ["index"],
        security: BEARER_SECURITY,
        params: { type: "object", required: ["digest"], properties: { digest: artifactDigest } },
        response: { 200: provenanceGraphSchema, 404: errorBody, ...errors },
      },
    },
    async (request, reply) => answer(reply, () => graphs.forArtifact(request.params.digest)),
  );

  app.get<{ Querystring: { commit?: string; signer?: string; issuer?: string } }>(
    "/api/v1/provenance",
    {
      config: { scope: "read" },
      schema: {
        summary: "Everything built from a commit, or everything a signer signed (the reverse provenance graph)",
        tags: ["index"],
        security: BEARER_SECURITY,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            commit: { type: "string", pattern: "^[0-9a-fA-F]{7,64}$", description: "a source commit, or a prefix of 7+ hex characters" },
            signer: { ...printable(2048), description: "a certificate identity (SAN) or a key id (sha256:<hex>)" },
            issuer: { ...printable(2048), description: "with signer: the OIDC issuer" },
          },
        },
        response: { 200: provenanceGraphSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { commit, signer, issuer } = request.query;
      if ((commit === undefined) === (signer === undefined)) return reply.code(400).send({ code: 400, message: "ask with exactly one of commit or signer" });
      if (issuer !== undefined && signer === undefined) return reply.code(400).send({ code: 400, message: "issuer goes with signer" });
      return answer(reply, () => (commit !== undefined ? graphs.forCommit(commit) : graphs.forSigner(signer!, issuer)));
    },
  );
}

async function answer(reply: FastifyReply, run: () => Promise<ProvenanceGraph>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (isVouchError(err) && err.code === "INPUT_NOT_FOUND") return reply.code(404).send({ code: 404, message: err.message });
    throw err;
  }
}
