import { VouchError } from "../core/errors.js";
import type { AttestationStore, IndexSbom, IndexStore, ScanStore } from "../store/ports.js";
import type { ArtifactSummary, ReleaseSummary, ServiceList, ServiceSummary } from "./views.js";
import { byCodeUnits } from "./order.js";

/**
 * What the index knows, for navigation (issue 11's dashboard): every service with its releases and where it runs
 * (`GET /api/v1/services`), and everything about one artifact digest for the forensics page (`GET
 * /api/v1/artifacts/{digest}`): its SBOMs with the release before each, its deployment history, its latest scan's
 * findings with VEX state, and the attestations naming it. Reads the store ports only; the answer is deterministic
 * (every list sorted, ties broken by id).
 */

export interface CatalogOptions {
  index: Pick<IndexStore, "listSboms" | "listDeployments" | "listCurrentDeployments" | "currentDeployments">;
  /** Without it, an artifact has no attestations listed. */
  attestations?: Pick<AttestationStore, "forDigests">;
  /** Without it, an artifact has no vulnerabilities. */
  scans?: Pick<ScanStore, "latestForDigests" | "findings">;
  /** index.teams in vouch.yaml: team → its services. */
  teams?: Record<string, readonly string[]>;
}

export interface Catalog {
  services(): Promise<ServiceList>;
  /** INPUT_NOT_FOUND when the index holds nothing about the digest (no SBOM, deployment, scan or attestation). */
  artifact(digest: string): Promise<ArtifactSummary>;
}

/**
 * @example
 *   const catalog = createCatalog({ index: store, attestations, scans: scanStore, teams: { payments: ["checkout"] } });
 *   (await catalog.artifact("sha256:…")).previous[0]?.previous?.sbomId; // the release to diff against
 */
export function createCatalog(options: CatalogOptions): Catalog {
  const { index } = options;
  const teamOf = new Map<string, string>();
  for (const [team, members] of Object.entries(options.teams ?? {})) for (const s of members) if (!teamOf.has(s)) teamOf.set(s, team);

  async function services(): Promise<ServiceList> {
    const [sboms, current] = await Promise.all([index.listSboms(), index.listCurrentDeployments()]);
    const byName = new Map<string, ServiceSummary>();
    const entry = (name: string): ServiceSummary => {
      let s = byName.get(name);
      if (s === undefined) {
        s = { name, ...(teamOf.has(name) ? { team: teamOf.get(name)! } : {}), releases: [], deployments: [] };
        byName.set(name, s);
      }
      return s;
    };
    // listSboms is oldest first: unshift keeps each service's releases newest first.
    for (const sbom of sboms) entry(sbom.service).releases.unshift(release(sbom));
    for (const d of current) entry(d.service).deployments.push({ environment: d.environment, digest: d.digest, at: d.deployedAt });
    return { services: [...byName.values()].sort((a, b) => byCodeUnits(a.name, b.name)) };
  }

  async function artifact(digest: string): Promise<ArtifactSummary> {
    const [sboms, history, current, attestations, scans] = await Promise.all([
      index.listSboms({ digests: [digest] }),
      index.listDeployments({ digests: [digest] }),
      index.currentDeployments([digest]),
      options.attestations?.forDigests([digest]) ?? Promise.resolve([]),
      options.scans?.latestForDigests([digest]) ?? Promise.resolve([]),
    ]);
    if (sboms.length === 0 && history.length === 0 && attestations.length === 0 && scans.length === 0) {
      throw new VouchError("INPUT_NOT_FOUND", `the index knows nothing of ${digest} (no SBOM, deployment, scan or attestation names it)`);
    }
    const newestFirst = [...sboms].reverse();
    const owners = [...new Set(newestFirst.map((s) => s.service))];
    const releasesOf = new Map<string, IndexSbom[]>();
    await Promise.all(owners.map(async (service) => releasesOf.set(service, await index.listSboms({ services: [service] }))));
    const previous = newestFirst.map((sbom) => {
      // The service's releases in ingest order (the store's order: instants, then id): the one just before this SBOM.
      const all = releasesOf.get(sbom.service) ?? [];
      const at = all.findIndex((s) => s.id === sbom.id);
      const before = at > 0 ? all[at - 1] : undefined;
      return { sbomId: sbom.id, ...(before === undefined ? {} : { previous: release(before) }) };
    });
    const currentIds = new Set(current.map((c) => c.deploymentId));
    const deployments = [...history].reverse().map((d) => ({
      service: d.service,
      environment: d.environment,
      at: d.deployedAt,
      current: currentIds.has(d.id),
      ...(d.source === "" ? {} : { source: d.source }),
    }));
    const latest = scans.find((s) => s.digest === digest);
    const summary: ArtifactSummary = {
      digest,
      services: [...new Set([...sboms.map((s) => s.service), ...history.map((d) => d.service)])].sort(byCodeUnits),
      sboms: newestFirst.map((s) => ({ ...release(s), service: s.service })),
      previous,
      deployments,
      // forDigests is oldest ingest first.
      attestations: [...attestations].reverse(),
    };
    if (latest !== undefined && options.scans !== undefined) {
      summary.vulnerabilities = { scanId: latest.id, ingestedAt: latest.ingestedAt, findings: await options.scans.findings(latest.id) };
    }
    return summary;
  }

  return { services, artifact };
}

function release(sbom: IndexSbom): ReleaseSummary {
  return {
    sbomId: sbom.id,
    ...(sbom.version === undefined ? {} : { version: sbom.version }),
    ...(sbom.digest === undefined ? {} : { digest: sbom.digest }),
    format: sbom.format,
    components: sbom.components,
    ingestedAt: sbom.ingestedAt,
  };
}
