/**
 * JSON schemas of the SBOM index routes (issue 9), checked by Fastify on every request and published in
 * /openapi.json. Names (service, environment) are identifiers, not paths: they start with a letter or digit, hold no
 * whitespace, control characters or `..`, so a name can never be read as a path by anything downstream.
 */

/** A service or environment name: `payments`, `team-a/api`, `eu-west-1.prod`, `@org/web`. */
const name = {
  type: "string",
  minLength: 1,
  maxLength: 200,
  pattern: "^(?!.*\\.\\.)[A-Za-z0-9@][A-Za-z0-9._:@/+-]*$",
} as const;

/** A version as the SBOM or release names it: printable, no whitespace. */
const version = { type: "string", minLength: 1, maxLength: 128, pattern: "^[\\x21-\\x7e]+$" } as const;

export const digest = { type: "string", pattern: "^sha256:[0-9a-f]{64}$", description: "sha256:<64 lower-case hex>" } as const;

export const errorBody = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "integer" }, message: { type: "string" } },
} as const;

/** Every refusal the index routes answer, by status. */
export const errors = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  413: errorBody,
  415: errorBody,
  503: errorBody,
} as const;

export const sbomQuery = {
  type: "object",
  required: ["service"],
  additionalProperties: false,
  properties: {
    service: { ...name, description: "the service the SBOM's artifact belongs to" },
    version: { ...version, description: "the release" },
    digest: { ...digest, description: "the artifact the SBOM describes (an image or file digest)" },
  },
} as const;

export const SBOM_CONTENT_TYPES = ["application/json", "application/vnd.cyclonedx+json", "application/spdx+json"] as const;

/** The SBOM document: validated by the index (every format `vouch sbom check` reads), not by a schema here. */
export const sbomBody = {
  type: "object",
  description: "an SPDX 2.2/2.3 or CycloneDX 1.4-1.7 JSON document, exactly as the tool wrote it",
} as const;

export const sbomResult = {
  type: "object",
  required: ["id", "created", "service", "format", "specVersion", "components", "withoutPurl"],
  properties: {
    id: { ...digest, description: "the SBOM's id: the sha256 of its bytes" },
    created: { type: "boolean", description: "false when the same bytes were ingested before (nothing changed)" },
    service: { type: "string" },
    version: { type: "string" },
    digest,
    format: { enum: ["spdx", "cyclonedx"] },
    specVersion: { type: "string" },
    components: { type: "integer" },
    withoutPurl: { type: "integer", description: "components without a purl: stored, found by name only" },
  },
} as const;

export const deploymentBody = {
  type: "object",
  required: ["service", "environment", "digest"],
  additionalProperties: false,
  properties: {
    service: name,
    environment: name,
    digest,
    at: { type: "string", format: "date-time", description: "when it was deployed (RFC 3339); default: now" },
    source: { type: "string", pattern: "^[a-z][a-z0-9-]{0,31}$", description: "push (vouch push deployment), admission (the webhook)" },
  },
} as const;

export const deploymentResult = {
  type: "object",
  required: ["id", "created"],
  properties: { id: { type: "string" }, created: { type: "boolean" } },
} as const;

export const affectedQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    purl: { type: "string", minLength: 5, maxLength: 2048, pattern: "^pkg:", description: "with a version: that version; without: every version (or --range)" },
    name: { type: "string", minLength: 1, maxLength: 512, pattern: "^[^\\x00-\\x1f\\x7f]+$", description: "a component name, case-insensitively" },
    range: { type: "string", minLength: 1, maxLength: 512, pattern: "^[^\\x00-\\x1f\\x7f]+$", description: "a version range in the ecosystem's semantics: <2.17.1, >=2.0 <2.17.1" },
    advisory: { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$", description: "an OSV id, CVE or GHSA" },
    deployedOnly: { type: "boolean", description: "only artifacts currently deployed" },
    limit: { type: "integer", minimum: 1, maximum: 10000, description: "artifacts per page (default 1,000; `total`, `services` and `environments` always cover every page)" },
    cursor: { type: "string", minLength: 1, maxLength: 4096, pattern: "^[A-Za-z0-9_-]+$", description: "the `next` of the page before" },
  },
} as const;

const affectedComponent = {
  type: "object",
  required: ["name"],
  properties: { purl: { type: "string" }, name: { type: "string" }, version: { type: "string" } },
} as const;

const affectedArtifact = {
  type: "object",
  required: ["service", "sbom", "components", "deployments"],
  properties: {
    service: { type: "string" },
    version: { type: "string" },
    digest,
    sbom: digest,
    components: { type: "array", items: affectedComponent },
    deployments: {
      type: "array",
      items: {
        type: "object",
        required: ["environment", "deployedAt"],
        properties: { service: { type: "string", description: "the service it runs as (one image may run as several)" }, environment: { type: "string" }, deployedAt: { type: "string" } },
      },
    },
  },
} as const;

export const affectedResult = {
  type: "object",
  required: ["query", "artifacts", "total", "services", "environments", "tookMs"],
  properties: {
    query: {
      type: "object",
      properties: {
        purl: { type: "string" },
        name: { type: "string" },
        range: { type: "string" },
        advisory: { type: "string" },
        deployedOnly: { type: "boolean" },
        limit: { type: "integer" },
        cursor: { type: "string" },
      },
    },
    artifacts: { type: "array", items: affectedArtifact },
    total: { type: "integer", description: "artifacts in the whole answer (every page)" },
    next: { type: "string", description: "when more artifacts follow: the cursor of the next page" },
    services: { type: "array", items: { type: "string" } },
    environments: { type: "array", items: { type: "string" } },
    tookMs: { type: "number" },
    notes: { type: "array", items: { type: "string" }, description: "what limited the answer, when something did" },
  },
} as const;
