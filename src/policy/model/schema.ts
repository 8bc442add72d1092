import { LABEL_OPERATORS, POLICY_API_VERSION, POLICY_KINDS, POLICY_MODES, SBOM_FORMATS, UNAVAILABLE_ACTIONS, WORKLOAD_KINDS } from "./types.js";

/**
 * The published JSON schema (draft-07) of one policy document; docs/policy.schema.json is this object, written out
 * (src/policy/model/schema.test.ts keeps the two identical: `VOUCH_WRITE_SCHEMA=1 npx vitest run src/policy/model`
 * rewrites the file). The schema checks shape; parse.ts checks what a schema cannot say well (regular expressions
 * compile, globs are balanced, `count` is at most the number of authorities, dates exist) and names the field.
 */

const nonEmpty = { type: "string", minLength: 1 } as const;
const glob = {
  type: "object",
  additionalProperties: false,
  required: ["glob"],
  properties: { glob: { type: "string", minLength: 1, maxLength: 1024, pattern: "^[^\\s!]\\S*$" } },
} as const;
const globs = { type: "array", items: glob } as const;
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const namespaceGlobs = { type: "array", items: { type: "string", minLength: 1, maxLength: 253, pattern: "^[a-z0-9*?\\-\\[\\]{},.]+$" } } as const;
/** RFC 3339 date-time (parse.ts also checks the date exists). */
export const RFC3339 = "^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$";

const trustedRoot = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { path: nonEmpty, data: nonEmpty },
} as const;

const key = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description: "exactly one of path (a PEM public key file), data (PEM text), pkcs11 (RFC 7512 URI), kms (awskms://, gcpkms://, azurekms://, hashivault://)",
  properties: {
    path: nonEmpty,
    data: { type: "string", pattern: "-----BEGIN PUBLIC KEY-----" },
    pkcs11: { type: "string", pattern: "^pkcs11:" },
    kms: { type: "string", pattern: "^(awskms|gcpkms|azurekms|hashivault)://\\S+$" },
  },
} as const;

const identity = {
  type: "object",
  additionalProperties: false,
  properties: {
    issuer: nonEmpty,
    issuerRegExp: nonEmpty,
    subject: nonEmpty,
    subjectRegExp: nonEmpty,
    extensions: { type: "object", additionalProperties: nonEmpty },
  },
  allOf: [{ anyOf: [{ required: ["issuer"] }, { required: ["issuerRegExp"] }] }, { anyOf: [{ required: ["subject"] }, { required: ["subjectRegExp"] }] }],
} as const;

const authority = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: nonEmpty,
    key,
    keyless: {
      type: "object",
      additionalProperties: false,
      required: ["identities"],
      properties: { identities: { type: "array", minItems: 1, items: identity } },
    },
    static: { enum: ["pass", "fail"] },
    trustedRoot,
  },
} as const;

export const POLICY_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://vouch.dev/schemas/policy/v1.json",
  title: "vouch image policy",
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: POLICY_API_VERSION },
    kind: { enum: [...POLICY_KINDS] },
    metadata: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", maxLength: 253, pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" },
        namespace: { type: "string", maxLength: 63, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
        labels: stringMap,
        annotations: stringMap,
      },
    },
    spec: {
      type: "object",
      additionalProperties: false,
      required: ["images", "authorities"],
      properties: {
        mode: { enum: [...POLICY_MODES] },
        images: { type: "array", minItems: 1, items: glob },
        excludeImages: globs,
        resources: {
          type: "object",
          additionalProperties: false,
          properties: {
            kinds: { type: "array", minItems: 1, items: { enum: [...WORKLOAD_KINDS] } },
            namespaces: namespaceGlobs,
            excludeNamespaces: namespaceGlobs,
            labelSelector: {
              type: "object",
              additionalProperties: false,
              properties: {
                matchLabels: stringMap,
                matchExpressions: {
                  type: "array",
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["key", "operator"],
                    properties: { key: nonEmpty, operator: { enum: [...LABEL_OPERATORS] }, values: { type: "array", items: { type: "string" } } },
                  },
                },
              },
            },
          },
        },
        authorities: { type: "array", minItems: 1, items: authority },
        count: { type: "integer", minimum: 1 },
        attestations: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["predicateType"],
            properties: {
              name: nonEmpty,
              predicateType: nonEmpty,
              conditions: { type: "array", items: nonEmpty },
            },
          },
        },
        sbom: {
          type: "object",
          additionalProperties: false,
          properties: {
            required: { type: "boolean" },
            formats: { type: "array", minItems: 1, uniqueItems: true, items: { enum: [...SBOM_FORMATS] } },
            subjectIsImage: { type: "boolean" },
            minQualityScore: { type: "number", minimum: 0, maximum: 10 },
            deniedLicenses: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9.+:-]*$" } },
          },
        },
        vulnerabilities: {
          type: "object",
          additionalProperties: false,
          properties: {
            denyAtOrAbove: { enum: ["low", "medium", "high", "critical"] },
            denyKev: { type: "boolean" },
            onlyFixed: { type: "boolean" },
            useVex: { type: "boolean" },
          },
        },
        exceptions: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["reason", "approver", "expiresAt"],
            properties: {
              name: nonEmpty,
              images: globs,
              namespaces: namespaceGlobs,
              reason: nonEmpty,
              ticket: nonEmpty,
              approver: nonEmpty,
              expiresAt: { type: "string", pattern: RFC3339 },
            },
          },
        },
        onVerificationUnavailable: { enum: [...UNAVAILABLE_ACTIONS] },
      },
    },
  },
} as const;
