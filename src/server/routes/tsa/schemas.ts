/**
 * JSON schemas of the TSA routes (after timestamp-authority's openapi.yaml). The DER body is binary and checked by the
 * request parser alone. The JSON form is shaped here (a missing or mistyped field is refused by Fastify's validation,
 * 400 with its message) and its values are checked by the same parser as the DER form, so both give the same reasons.
 */

/** timestamp-authority's JSONRequest (pkg/api/timestamp.go): what @sigstore/sign's TSAWitness posts. */
export const jsonTimestampRequest = {
  type: "object",
  required: ["artifactHash", "hashAlgorithm"],
  properties: {
    artifactHash: { type: "string", maxLength: 200 },
    hashAlgorithm: { type: "string", maxLength: 20 },
    certificates: { type: "boolean" },
    // nonce: an integer, or a decimal string beyond 2^53 (checked by the parser: a union type would need ajv's allowUnionTypes).
    nonce: {},
    tsaPolicyOID: { type: "string", maxLength: 600 },
  },
} as const;
