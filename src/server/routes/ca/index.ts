import type { FastifyPluginAsync } from "fastify";
import type { CertificateAuthority } from "../../../ca/authority.js";
import { encodePem } from "../../../core/crypto/keys.js";
import { configurationResponse, signingCertResponse, trustBundleResponse } from "./schemas.js";

/** One configured OIDC issuer as Fulcio's GET /api/v2/configuration describes it (ConfigurationResponse). */
export interface IssuerDescription {
  issuerUrl?: string;
  /** Meta-issuers with a `*` (e.g. EKS clusters). */
  wildcardIssuerUrl?: string;
  audience: string;
  /** The claim the proof of possession signs: "email" or "sub". */
  challengeClaim: string;
  spiffeTrustDomain?: string;
}

export interface CaRoutesOptions {
  ca: CertificateAuthority;
  issuers: readonly IssuerDescription[];
}

/**
 * The keyless CA over HTTP: Fulcio's v2 REST API (the grpc-gateway JSON mapping), so unmodified Fulcio clients
 * (cosign, sigstore-js's FulcioSigner, sigstore-go) get certificates from vouch.
 */
export const caRoutes: FastifyPluginAsync<CaRoutesOptions> = async (app, { ca, issuers }) => {
  const pem = (der: Uint8Array) => encodePem("CERTIFICATE", der);

  app.post(
    "/api/v2/signingCert",
    // A token, a key and a proof fit in a few KiB; a CSR in a few more. Nothing larger is a real request.
    { bodyLimit: 64 * 1024, schema: { body: { type: "object" }, response: { 201: signingCertResponse } } },
    async (request, reply) => {
      const issued = await ca.issue(request.body);
      request.log.info({ san: issued.identity.san.value, issuer: issued.identity.issuer }, "certificate issued");
      // Fulcio answers 201 Created with the chain (leaf, intermediate, root) and the SCT embedded in the leaf.
      return reply.code(201).send({ signedCertificateEmbeddedSct: { chain: { certificates: issued.chain.map(pem) } } });
    },
  );

  app.get("/api/v2/trustBundle", { schema: { response: { 200: trustBundleResponse } } }, () => ({
    chains: [{ certificates: ca.chain.map(pem) }],
  }));

  app.get("/api/v2/configuration", { schema: { response: { 200: configurationResponse } } }, () => ({ issuers }));
};
