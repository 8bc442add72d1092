/** JSON schemas of the Rekor v1 routes (after rekor's openapi.yaml), checked by Fastify on every request. */

const hex64 = { type: "string", pattern: "^[0-9a-fA-F]{64}$" } as const;

export const inclusionProof = {
  type: "object",
  required: ["checkpoint", "hashes", "logIndex", "rootHash", "treeSize"],
  properties: {
    checkpoint: { type: "string" },
    hashes: { type: "array", items: hex64 },
    logIndex: { type: "integer", minimum: 0 },
    rootHash: hex64,
    treeSize: { type: "integer", minimum: 1 },
  },
} as const;

export const logEntry = {
  type: "object",
  required: ["body", "integratedTime", "logID", "logIndex", "verification"],
  properties: {
    body: { type: "string" },
    integratedTime: { type: "integer" },
    logID: hex64,
    logIndex: { type: "integer", minimum: 0 },
    verification: {
      type: "object",
      required: ["inclusionProof", "signedEntryTimestamp"],
      properties: { inclusionProof, signedEntryTimestamp: { type: "string" } },
    },
  },
} as const;

/** {"<uuid>": LogEntryAnon}: Rekor's LogEntry is a map with one key. */
export const logEntryMap = { type: "object", additionalProperties: logEntry } as const;

export const errorBody = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "integer" }, message: { type: "string" } },
} as const;

export const proposedEntry = {
  type: "object",
  required: ["kind"],
  properties: { kind: { type: "string" }, apiVersion: { type: "string" }, spec: { type: "object" } },
} as const;

export const logIndexQuery = {
  type: "object",
  required: ["logIndex"],
  properties: { logIndex: { type: "integer", minimum: 0 } },
} as const;

export const uuidParams = {
  type: "object",
  required: ["uuid"],
  properties: { uuid: { type: "string", pattern: "^([0-9a-fA-F]{16})?[0-9a-fA-F]{64}$" } },
} as const;

export const searchLogQuery = {
  type: "object",
  properties: {
    entryUUIDs: { type: "array", maxItems: 10, items: { type: "string" } },
    logIndexes: { type: "array", maxItems: 10, items: { type: "integer", minimum: 0 } },
    entries: { type: "array", maxItems: 10, items: proposedEntry },
  },
} as const;

export const logInfo = {
  type: "object",
  required: ["rootHash", "treeSize", "signedTreeHead", "treeID"],
  properties: {
    rootHash: hex64,
    treeSize: { type: "integer", minimum: 0 },
    signedTreeHead: { type: "string" },
    treeID: { type: "string" },
    inactiveShards: { type: "array" },
  },
} as const;

export const proofQuery = {
  type: "object",
  required: ["lastSize"],
  properties: {
    firstSize: { type: "integer", minimum: 1, default: 1 },
    lastSize: { type: "integer", minimum: 1 },
    treeID: { type: "string" },
  },
} as const;

export const consistencyProof = {
  type: "object",
  required: ["hashes", "rootHash"],
  properties: { hashes: { type: "array", items: hex64 }, rootHash: hex64 },
} as const;
