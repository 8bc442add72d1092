import { VouchError } from "../core/errors.js";
import type { ProvenanceGraph } from "../sbom-index/provenance.js";
import type { VulnerabilityQuery, VulnerabilityReport } from "../sbom-index/scans.js";
import type { AttestationRecord, ScanRecord } from "../store/ports.js";
import type {
  AffectedQuery,
  AffectedResult,
  Digest,
  IngestDeploymentResult,
  IngestSbomResult,
} from "../sbom-index/types.js";
import type { ReleaseDiff, ReleaseDiffQuery } from "../sbom-index/diff.js";
import type { SliQuery, SliReport } from "../sbom-index/sli.js";

/** Artifacts per page when IndexClient.affected walks every page (the route's most). */
const AFFECTED_PAGE = 10_000;

/** GET /api/v1/slis: the report, with the per-deployment rows only when asked for (`deployments: true`). */
export type SliSummary = Omit<SliReport, "deployments"> & { deployments?: SliReport["deployments"] };

/**
 * A client of `vouch serve`'s SBOM index API (what `vouch push` and `vouch query` call, and what a CI script or
 * another service can use). Refusals come back as VouchErrors naming the server's reason: a refused token or a bad
 * request is the caller's to fix (INPUT_*, exit 2); an unreachable or failing server is SERVICE_UNAVAILABLE.
 *
 * @example
 *   const client = new IndexClient({ server: "http://127.0.0.1:8080", token: process.env.VOUCH_TOKEN });
 *   const { artifacts } = await client.affected({ purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1" });
 */
export interface IndexClientOptions {
  /** The server's base URL (http or https). */
  server: string;
  token?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Artifacts per page when `affected` walks every page (default 10,000, the server's most). */
  affectedPageSize?: number;
}

export interface PushSbomOptions {
  service: string;
  version?: string;
  digest?: string;
}

export interface PushDeploymentOptions {
  service: string;
  environment: string;
  digest: string;
  /** RFC 3339; default: the server's clock. */
  at?: string;
}

export class IndexClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly affectedPageSize: number;

  constructor(options: IndexClientOptions) {
    this.server = serverUrl(options.server);
    this.token = options.token === undefined || options.token === "" ? undefined : options.token;
    this.fetch = options.fetch ?? fetch;
    this.affectedPageSize = options.affectedPageSize ?? AFFECTED_PAGE;
  }

  /** POST /api/v1/sboms: the document's bytes as they are (the index's id is their sha256). */
  async pushSbom(bytes: Uint8Array, options: PushSbomOptions): Promise<IngestSbomResult> {
    const query = new URLSearchParams({ service: options.service });
    if (options.version !== undefined) query.set("version", options.version);
    if (options.digest !== undefined) query.set("digest", checkDigest(options.digest));
    return this.request<IngestSbomResult>("POST", `/api/v1/sboms?${query}`, bytes, sbomContentType(bytes));
  }

  /** POST /api/v1/deployments */
  async pushDeployment(options: PushDeploymentOptions): Promise<IngestDeploymentResult> {
    const body = { service: options.service, environment: options.environment, digest: checkDigest(options.digest), ...(options.at === undefined ? {} : { at: options.at }) };
    return this.request<IngestDeploymentResult>("POST", "/api/v1/deployments", new TextEncoder().encode(JSON.stringify(body)), "application/json");
  }

  /**
   * GET /api/v1/affected. With `limit`, that one page; without, every artifact: the server pages its answers (1,000
   * artifacts by default), so this walks the pages, 10,000 artifacts each, and joins them into one answer.
   */
  async affected(query: AffectedQuery): Promise<AffectedResult> {
    const params = new URLSearchParams();
    for (const key of ["purl", "name", "range", "advisory"] as const) {
      const value = query[key];
      if (value !== undefined) params.set(key, value);
    }
    if (query.deployedOnly === true) params.set("deployedOnly", "true");
    if (query.limit !== undefined || query.cursor !== undefined) {
      if (query.limit !== undefined) params.set("limit", String(query.limit));
      if (query.cursor !== undefined) params.set("cursor", query.cursor);
      return this.request<AffectedResult>("GET", `/api/v1/affected?${params}`);
    }
    params.set("limit", String(this.affectedPageSize));
    const first = await this.request<AffectedResult>("GET", `/api/v1/affected?${params}`);
    const artifacts = [...first.artifacts];
    let next = first.next;
    let tookMs = first.tookMs;
    while (next !== undefined) {
      params.set("cursor", next);
      const page = await this.request<AffectedResult>("GET", `/api/v1/affected?${params}`);
      // A page that does not move the cursor would loop forever: a broken or hostile server.
      if (page.next === next || (page.artifacts.length === 0 && page.next !== undefined)) throw new VouchError("INPUT_MALFORMED", "the server's affected pages do not advance");
      artifacts.push(...page.artifacts);
      tookMs += page.tookMs;
      next = page.next;
    }
    const whole: AffectedResult = { ...first, query: { ...first.query }, artifacts, tookMs };
    delete whole.next;
    delete whole.query.limit;
    return whole;
  }

  /** GET /api/v1/slis */
  async slis(query: SliQuery & { deployments?: boolean } = {}): Promise<SliSummary> {
    const params = new URLSearchParams();
    for (const key of ["service", "environment", "team", "from", "to", "bucket"] as const) {
      const value = query[key];
      if (value !== undefined) params.set(key, value);
    }
    if (query.deployments === true) params.set("deployments", "true");
    const search = params.toString();
    return this.request<SliSummary>("GET", `/api/v1/slis${search === "" ? "" : `?${search}`}`);
  }

  /** GET /api/v1/services/{service}/diff */
  async diff(query: ReleaseDiffQuery): Promise<ReleaseDiff> {
    const params = new URLSearchParams({ from: query.from, to: query.to });
    return this.request<ReleaseDiff>("GET", `/api/v1/services/${encodeURIComponent(query.service)}/diff?${params}`);
  }

  /** POST /api/v1/attestations: a Sigstore bundle or DSSE envelope, verified by the server on ingest. */
  async pushAttestation(bytes: Uint8Array): Promise<{ created: boolean; attestation: AttestationRecord }> {
    return this.request("POST", "/api/v1/attestations", bytes, "application/json");
  }

  /** GET /api/v1/artifacts/{digest}/provenance, or the reverse GET /api/v1/provenance?commit=|signer=. */
  async provenance(query: { digest: string } | { commit: string } | { signer: string; issuer?: string }): Promise<ProvenanceGraph> {
    if ("digest" in query) return this.request("GET", `/api/v1/artifacts/${encodeURIComponent(query.digest)}/provenance`);
    const params = new URLSearchParams("commit" in query ? { commit: query.commit } : { signer: query.signer, ...(query.issuer !== undefined ? { issuer: query.issuer } : {}) });
    return this.request("GET", `/api/v1/provenance?${params}`);
  }

  /** POST /api/v1/scans: a `vouch scan -o json` report (or CycloneDX VEX/VDR) for an artifact of a service. */
  async pushScan(bytes: Uint8Array, options: { service: string; digest?: string }): Promise<{ created: boolean; scan: ScanRecord }> {
    const params = new URLSearchParams({ service: options.service, ...(options.digest !== undefined ? { digest: options.digest } : {}) });
    return this.request("POST", `/api/v1/scans?${params}`, bytes, "application/json");
  }

  /** GET /api/v1/vulnerabilities: the findings of what runs now, grouped by vulnerability. */
  async vulnerabilities(query: VulnerabilityQuery = {}): Promise<VulnerabilityReport> {
    const params = new URLSearchParams();
    if (query.service !== undefined) params.set("service", query.service);
    if (query.environment !== undefined) params.set("environment", query.environment);
    if (query.severity !== undefined) params.set("severity", query.severity);
    if (query.kev === true) params.set("kev", "true");
    const search = params.toString();
    return this.request("GET", `/api/v1/vulnerabilities${search === "" ? "" : `?${search}`}`);
  }

  private async request<T>(method: "GET" | "POST", path: string, body?: Uint8Array, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (contentType !== undefined) headers["content-type"] = contentType;
    let response: Response;
    try {
      response = await this.fetch(`${this.server}${path}`, { method, headers, body: body as RequestInit["body"] });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new VouchError("SERVICE_UNAVAILABLE", `cannot reach ${this.server}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
    }
    const text = await response.text();
    if (response.ok) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new VouchError("SERVICE_UNAVAILABLE", `${this.server} answered ${response.status} with a body that is not JSON`);
      }
    }
    let reason = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === "string") reason = parsed.message;
    } catch {
      // not JSON: the text itself
    }
    const said = `${this.server} answered ${response.status}: ${reason}`;
    if (response.status === 401 || response.status === 403) throw new VouchError("INPUT_USAGE", `${said}${this.token === undefined ? " (pass --token or set VOUCH_TOKEN)" : ""}`);
    if (response.status === 413) throw new VouchError("INPUT_TOO_LARGE", said);
    if (response.status === 404) throw new VouchError("INPUT_NOT_FOUND", said);
    if (response.status >= 400 && response.status < 500) throw new VouchError("INPUT_MALFORMED", said);
    throw new VouchError("SERVICE_UNAVAILABLE", said);
  }
}

function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new VouchError("INPUT_USAGE", `--server ${text}: not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new VouchError("INPUT_USAGE", `--server ${text}: use an http or https URL`);
  if (url.search !== "" || url.hash !== "") throw new VouchError("INPUT_USAGE", `--server ${text}: the server URL takes no query or fragment`);
  return url.toString().replace(/\/+$/, "");
}

/** A digest flag, checked before anything is sent. */
function checkDigest(text: string): Digest {
  if (!/^sha256:[0-9a-f]{64}$/.test(text)) throw new VouchError("INPUT_USAGE", `--digest ${text}: use sha256:<64 lower-case hex digits>`);
  return text as Digest;
}

/** The SBOM's media type from its first bytes, so the server's logs and proxies see what it is. */
function sbomContentType(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  if (/"bomFormat"\s*:\s*"CycloneDX"/.test(head)) return "application/vnd.cyclonedx+json";
  if (/"spdxVersion"\s*:/.test(head)) return "application/spdx+json";
  return "application/json";
}
