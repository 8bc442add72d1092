/** JSON schemas of the Fulcio v2 routes (fulcio.proto's HTTP mapping); the request body is checked in src/ca. */

const pemChain = {
  type: "object",
  required: ["certificates"],
  properties: { certificates: { type: "array", items: { type: "string" } } },
} as const;

export const signingCertResponse = {
  type: "object",
  properties: { signedCertificateEmbeddedSct: { type: "object", required: ["chain"], properties: { chain: pemChain } } },
} as const;

export const trustBundleResponse = {
  type: "object",
  required: ["chains"],
  properties: { chains: { type: "array", items: pemChain } },
} as const;

export const configurationResponse = {
  type: "object",
  required: ["issuers"],
  properties: {
    issuers: {
      type: "array",
      items: {
        type: "object",
        properties: {
          issuerUrl: { type: "string" },
          wildcardIssuerUrl: { type: "string" },
          audience: { type: "string" },
          challengeClaim: { type: "string" },
          spiffeTrustDomain: { type: "string" },
        },
      },
    },
  },
} as const;
