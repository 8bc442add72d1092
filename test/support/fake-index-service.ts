import { createHash } from "node:crypto";
import { VouchError } from "../../src/core/errors.js";
import type {
  AffectedArtifact,
  AffectedQuery,
  AffectedResult,
  Digest,
  IndexService,
  IngestDeploymentRequest,
  IngestDeploymentResult,
  IngestSbomRequest,
  IngestSbomResult,
} from "../../src/sbom-index/types.js";

interface FakeComponent {
  purl?: string;
  name: string;
  version?: string;
}

interface FakeSbom {
  result: IngestSbomResult;
  components: FakeComponent[];
  by: string;
}

/**
 * An in-memory IndexService for route tests: idempotent by the sha256 of the bytes, components read from CycloneDX
 * `components` or SPDX `packages` (purl from externalRefs), impact by purl without version (exact package), with a
 * version (exact), or by name (case-insensitive). Ranges and advisories are the real service's business: the fake
 * records the query and answers every version. Every call is recorded for assertions (`by` above all).
 */
export class FakeIndexService implements IndexService {
  readonly sboms = new Map<string, FakeSbom>();
  readonly deployments: (IngestDeploymentRequest & { id: string })[] = [];
  readonly queries: AffectedQuery[] = [];
  isReady = true;
  closed = false;
  /** Set to make the next write fail with this error. */
  failNext?: Error;

  async ingestSbom(request: IngestSbomRequest): Promise<IngestSbomResult> {
    this.throwIfFailing();
    const id = `sha256:${createHash("sha256").update(request.bytes).digest("hex")}` as Digest;
    const existing = this.sboms.get(id);
    if (existing) return { ...existing.result, created: false };
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(Buffer.from(request.bytes).toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new VouchError("INPUT_MALFORMED", "not JSON");
    }
    let format: "spdx" | "cyclonedx";
    let specVersion: string;
    let components: FakeComponent[];
    if (doc.bomFormat === "CycloneDX") {
      format = "cyclonedx";
      specVersion = String(doc.specVersion);
      components = ((doc.components ?? []) as FakeComponent[]).map((c) => ({ purl: c.purl, name: c.name, version: c.version }));
    } else if (typeof doc.spdxVersion === "string") {
      format = "spdx";
      specVersion = doc.spdxVersion.replace(/^SPDX-/, "");
      const packages = (doc.packages ?? []) as { name: string; versionInfo?: string; externalRefs?: { referenceType: string; referenceLocator: string }[] }[];
      components = packages.map((p) => ({
        name: p.name,
        version: p.versionInfo,
        purl: p.externalRefs?.find((r) => r.referenceType === "purl")?.referenceLocator,
      }));
    } else {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "neither CycloneDX nor SPDX");
    }
    const result: IngestSbomResult = {
      id,
      created: true,
      service: request.service,
      ...(request.version === undefined ? {} : { version: request.version }),
      ...(request.digest === undefined ? {} : { digest: request.digest }),
      format,
      specVersion,
      components: components.length,
      withoutPurl: components.filter((c) => c.purl === undefined).length,
    };
    this.sboms.set(id, { result, components, by: request.by });
    return result;
  }

  async ingestDeployment(request: IngestDeploymentRequest): Promise<IngestDeploymentResult> {
    this.throwIfFailing();
    const id = createHash("sha256").update(JSON.stringify([request.service, request.environment, request.digest, request.at ?? ""])).digest("hex").slice(0, 16);
    if (request.at !== undefined && this.deployments.some((d) => d.id === id)) return { id, created: false };
    this.deployments.push({ ...request, at: request.at ?? new Date(0).toISOString(), id });
    return { id, created: true };
  }

  async affected(query: AffectedQuery): Promise<AffectedResult> {
    this.queries.push(query);
    const matches = (c: FakeComponent): boolean => {
      if (query.name !== undefined) return c.name.toLowerCase() === query.name.toLowerCase();
      if (query.purl === undefined || c.purl === undefined) return false;
      return query.purl.includes("@") ? c.purl === query.purl : c.purl.split("@")[0] === query.purl;
    };
    const artifacts: AffectedArtifact[] = [];
    for (const { result, components } of this.sboms.values()) {
      const found = components.filter(matches);
      if (found.length === 0) continue;
      const current = new Map<string, IngestDeploymentRequest>();
      for (const d of this.deployments) if (d.service === result.service) current.set(d.environment, d);
      const deployments = [...current.values()].filter((d) => d.digest === result.digest).map((d) => ({ environment: d.environment, deployedAt: d.at! }));
      if (query.deployedOnly === true && deployments.length === 0) continue;
      artifacts.push({ service: result.service, version: result.version, digest: result.digest, sbom: result.id, components: found, deployments });
    }
    const services = [...new Set(artifacts.filter((a) => a.deployments.length > 0).map((a) => a.service))].sort();
    const environments = [...new Set(artifacts.flatMap((a) => a.deployments.map((d) => d.environment)))].sort();
    return { query, artifacts, total: artifacts.length, services, environments, tookMs: 0 };
  }

  async ready(): Promise<boolean> {
    return this.isReady;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private throwIfFailing(): void {
    const failure = this.failNext;
    if (failure === undefined) return;
    this.failNext = undefined;
    throw failure;
  }
}
