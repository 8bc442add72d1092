/**
 * The SBOM index and provenance store (issue 9, capability C11): what `vouch serve`'s index routes call. The
 * service (src/sbom-index/service.ts) holds an IndexStore port (store/ports.ts) and the advisory store; routes hold
 * only this interface, so route tests can use a fake and the drivers stay behind runtime.ts.
 *
 * Every write names who made it (`by`: a token id, or "oidc:<issuer>#<subject>" for CI tokens) and is idempotent
 * by content digest: the same bytes ingested twice answer the first ingest's id with `created: false`.
 */

/** `sha256:<64 hex>`, lower case. */
export type Digest = `sha256:${string}`;

export interface IngestSbomRequest {
  /** The SBOM document exactly as received (SPDX 2.2/2.3 or CycloneDX 1.4-1.7 JSON). */
  bytes: Uint8Array;
  /**
   * What the caller already made of `bytes` (the HTTP route, as the body arrived), so that a large SBOM is hashed,
   * decoded and parsed once: they MUST be of `bytes` exactly (`sha256` of them, `text` their UTF-8, `json` its parse).
   */
  received?: ReceivedSbom;
  service: string;
  version?: string;
  /** The artifact the SBOM describes (an image or file digest); else the SBOM's own subject when it names one. */
  digest?: Digest;
  by: string;
}

/** An SBOM body as received: its bytes, their sha256, their UTF-8 text, that text's JSON. */
export interface ReceivedSbom {
  bytes: Uint8Array;
  sha256: Digest;
  text: string;
  json: unknown;
}

export interface IngestSbomResult {
  /** The SBOM's id: the sha256 of its bytes. */
  id: Digest;
  created: boolean;
  service: string;
  version?: string;
  digest?: Digest;
  format: "spdx" | "cyclonedx";
  specVersion: string;
  components: number;
  /** Components without a purl: stored, found by name only (never silently dropped). */
  withoutPurl: number;
}

export interface IngestDeploymentRequest {
  service: string;
  environment: string;
  digest: Digest;
  /** RFC 3339; default: the server's clock. */
  at?: string;
  /** "push" (vouch push deployment), "admission" (the webhook). */
  source?: string;
  by: string;
}

export interface IngestDeploymentResult {
  id: string;
  created: boolean;
}

/**
 * An impact question. Exactly one of purl / name / advisory. `purl` with a version asks about that version;
 * without one (or with `range`) about every version, `range` in the ecosystem's own version semantics
 * (`<2.17.1`, `>=2.0.0 <2.17.1`, `>=2.0-beta9, <2.17.1`; the matcher's schemes, src/vuln/versions).
 */
export interface AffectedQuery {
  purl?: string;
  name?: string;
  range?: string;
  /** An OSV id, CVE or GHSA: the advisory's affected packages and ranges, from the advisory database. */
  advisory?: string;
  /** Only artifacts currently deployed (default false: every indexed artifact, each with its deployments). */
  deployedOnly?: boolean;
  /** Artifacts per page (1-10,000); without it, every artifact in one answer. */
  limit?: number;
  /** Where the page starts: the `next` of the page before (opaque). */
  cursor?: string;
}

export interface AffectedComponent {
  purl?: string;
  name: string;
  version?: string;
}

export interface AffectedDeployment {
  /**
   * The deployment's service (added with the data helper's service; always set by it). It may differ from the
   * artifact's when one image runs as several services.
   */
  service?: string;
  environment: string;
  /** RFC 3339 */
  deployedAt: string;
}

/** One artifact containing a matching component, with where it currently runs. */
export interface AffectedArtifact {
  service: string;
  version?: string;
  digest?: Digest;
  sbom: Digest;
  components: AffectedComponent[];
  /** Current deployments of this digest: the latest deployment per (service, environment) names it. */
  deployments: AffectedDeployment[];
}

export interface AffectedResult {
  query: AffectedQuery;
  artifacts: AffectedArtifact[];
  /** Artifacts in the whole answer (every page together). */
  total: number;
  /** With `limit`, when more artifacts follow: the cursor of the next page. */
  next?: string;
  /** Distinct services / environments among the current deployments of the whole answer (every page), sorted. */
  services: string[];
  environments: string[];
  /** Milliseconds the store took (reported, never asserted). */
  tookMs: number;
  /** What limited the answer, when something did ("2 matching components without a version left out"). */
  notes?: string[];
}

export interface IndexService {
  ingestSbom(request: IngestSbomRequest): Promise<IngestSbomResult>;
  ingestDeployment(request: IngestDeploymentRequest): Promise<IngestDeploymentResult>;
  affected(query: AffectedQuery): Promise<AffectedResult>;
  /** True when the store answers (for /readyz). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
