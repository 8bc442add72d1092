/** JSON schemas of the RFC 6962 §4 routes, checked by Fastify on every request and answer. */

const b64 = { type: "string" } as const;
const size = { type: "integer", minimum: 0 } as const;

/** RFC 6962 §4.1 / §4.2 request: {"chain": [base64 DER, ...]}, end-entity (or precertificate) first. */
export const addChainBody = {
  type: "object",
  required: ["chain"],
  properties: { chain: { type: "array", items: b64, minItems: 1, maxItems: 16 } },
} as const;

/** RFC 6962 §4.1 response: the SCT's fields (id, extensions and signature base64; timestamp in milliseconds). */
export const addChainResponse = {
  type: "object",
  required: ["sct_version", "id", "timestamp", "extensions", "signature"],
  properties: { sct_version: { type: "integer" }, id: b64, timestamp: { type: "integer" }, extensions: b64, signature: b64 },
} as const;

export const sthResponse = {
  type: "object",
  required: ["tree_size", "timestamp", "sha256_root_hash", "tree_head_signature"],
  properties: { tree_size: size, timestamp: { type: "integer" }, sha256_root_hash: b64, tree_head_signature: b64 },
} as const;

export const consistencyQuery = {
  type: "object",
  required: ["first", "second"],
  properties: { first: size, second: size },
} as const;

export const consistencyResponse = {
  type: "object",
  required: ["consistency"],
  properties: { consistency: { type: "array", items: b64 } },
} as const;

export const proofByHashQuery = {
  type: "object",
  required: ["hash", "tree_size"],
  properties: { hash: { type: "string", maxLength: 100 }, tree_size: { type: "integer", minimum: 1 } },
} as const;

export const proofByHashResponse = {
  type: "object",
  required: ["leaf_index", "audit_path"],
  properties: { leaf_index: size, audit_path: { type: "array", items: b64 } },
} as const;

export const entriesQuery = {
  type: "object",
  required: ["start", "end"],
  properties: { start: size, end: size },
} as const;

export const entriesResponse = {
  type: "object",
  required: ["entries"],
  properties: {
    entries: {
      type: "array",
      items: { type: "object", required: ["leaf_input", "extra_data"], properties: { leaf_input: b64, extra_data: b64 } },
    },
  },
} as const;

export const rootsResponse = {
  type: "object",
  required: ["certificates"],
  properties: { certificates: { type: "array", items: b64 } },
} as const;
