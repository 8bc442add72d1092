import { VouchError } from "../core/errors.js";
import type { AttestationRecord, AttestationStore, IndexSbom, IndexStore } from "../store/ports.js";

/**
 * The provenance graph (issue 9): source repo + commit → builder + run → artifact digest → SBOMs → attestations with
 * signer identities → log entries → deployments, as typed nodes and kinded edges (GUAC's shape, without its ontology),
 * and the reverse: everything built from a commit, everything a signer signed. The run also reaches the SBOM its
 * provenance names as a byproduct (`vouch provenance --sbom`), whichever artifact that SBOM was pushed for, if any.
 *
 * Only VERIFIED attestations contribute facts (source, builder, run, signer, log entries): an unverified one is shown
 * as a node with `verified: false`, its reason and what it claims, and nothing is inferred from it.
 */

export type ProvenanceNode =
  | { id: string; type: "source"; repo?: string; commit: string }
  | { id: string; type: "builder"; builderId: string; buildType?: string }
  | { id: string; type: "run"; invocationId: string }
  | { id: string; type: "artifact"; digest: string; names: string[] }
  | { id: string; type: "sbom"; sbomId: string; service: string; version?: string; format: string; ingestedAt: string }
  | {
      id: string;
      type: "attestation";
      attestationId: string;
      kind: "bundle" | "dsse";
      predicateType?: string;
      verified: boolean;
      reason?: string;
      /** What an unverified attestation's certificate claims (never a signer node). */
      claimedSigner?: string;
      provenanceComplete?: boolean;
      signedAt?: string;
      ingestedAt: string;
      ingestedBy: string;
    }
  | { id: string; type: "signer"; kind: "certificate" | "key"; identity: string; issuer?: string }
  | { id: string; type: "logEntry"; logId: string; logIndex: string; integratedTime?: string }
  | { id: string; type: "deployment"; deploymentId: string; service: string; environment: string; deployedAt: string; current: boolean };

export type ProvenanceEdgeKind =
  /** source → run: the run built from this source. */
  | "source-of"
  /** builder → run */
  | "ran"
  /** run → artifact */
  | "produced"
  /**
   * run → sbom: the run's verified SLSA v1 provenance names the SBOM among its runDetails.byproducts (by the sha256 of
   * its bytes, the index's SBOM id). The SBOM is joined to the run itself, not only through the artifact digest it was
   * pushed with (it may name none, or another artifact).
   */
  | "built-sbom"
  /** artifact → sbom */
  | "described-by"
  /** artifact → attestation */
  | "attested-by"
  /** attestation → signer */
  | "signed-by"
  /** attestation → logEntry */
  | "logged-in"
  /** artifact → deployment */
  | "deployed-as";

export interface ProvenanceEdge {
  from: string;
  to: string;
  kind: ProvenanceEdgeKind;
}

export interface ProvenanceGraph {
  /** What was asked: an artifact digest, a commit, or a signer. */
  query: { digest: string } | { commit: string } | { signer: string; issuer?: string };
  /** Sorted by type then id. */
  nodes: ProvenanceNode[];
  /** Sorted by from, kind, to. */
  edges: ProvenanceEdge[];
  /** True when a reverse query matched more artifacts than one answer holds (the first `maxArtifacts`, by digest). */
  truncated?: boolean;
}

export interface ProvenanceGraphService {
  /** The graph around one artifact digest; NOT_FOUND (INPUT_NOT_FOUND) when the index knows nothing of it. */
  forArtifact(digest: string): Promise<ProvenanceGraph>;
  /** Every artifact a verified provenance says was built from the commit (a hex prefix of 7+ characters matches). */
  forCommit(commit: string): Promise<ProvenanceGraph>;
  /** Every artifact a verified attestation by this signer covers (its identity, and the issuer when given). */
  forSigner(identity: string, issuer?: string): Promise<ProvenanceGraph>;
}

export interface ProvenanceGraphOptions {
  attestations: AttestationStore;
  index: Pick<IndexStore, "listSboms" | "listDeployments" | "currentDeployments">;
  /** Artifacts in one reverse answer (default 200). */
  maxArtifacts?: number;
}

const DIGEST = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;
const COMMIT = /^[0-9a-f]{7,64}$/;

/**
 * @example
 *   const graph = await createProvenanceGraph({ attestations, index }).forArtifact("sha256:…");
 *   graph.nodes.filter((n) => n.type === "deployment"); // where it runs, and ran
 */
export function createProvenanceGraph(options: ProvenanceGraphOptions): ProvenanceGraphService {
  const { attestations, index } = options;
  const maxArtifacts = options.maxArtifacts ?? 200;

  async function build(digests: readonly string[], query: ProvenanceGraph["query"], seeded: readonly AttestationRecord[] = []): Promise<ProvenanceGraph & { empty: boolean }> {
    const wanted = new Set(digests);
    const [records, sboms, deployments, current] = await Promise.all([
      attestations.forDigests(digests),
      index.listSboms({ digests }),
      index.listDeployments({ digests }),
      index.currentDeployments(digests),
    ]);
    const g = new GraphBuilder();
    const byId = new Map<string, AttestationRecord>([...seeded, ...records].map((r) => [r.id, r]));
    // SBOMs a verified run names as byproducts: one more lookup, by SBOM id, only when there are some.
    const byproductIds = [...new Set([...byId.values()].flatMap((r) => (r.verified ? (r.provenance?.byproducts ?? []).map((b) => b.digest) : [])))];
    const built = new Map<string, IndexSbom>(byproductIds.length === 0 ? [] : (await index.listSboms({ ids: byproductIds })).map((s) => [s.id, s]));
    for (const digest of wanted) g.node({ id: `artifact:${digest}`, type: "artifact", digest, names: [] });
    for (const r of byId.values()) {
      const attestationNode = `attestation:${r.id}`;
      g.node({
        id: attestationNode,
        type: "attestation",
        attestationId: r.id,
        kind: r.kind,
        ...(r.predicateType !== undefined ? { predicateType: r.predicateType } : {}),
        verified: r.verified,
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
        ...(!r.verified && r.signer ? { claimedSigner: r.signer.identity } : {}),
        ...(r.verified && r.provenance ? { provenanceComplete: r.provenance.complete } : {}),
        ...(r.signedAt !== undefined ? { signedAt: r.signedAt } : {}),
        ingestedAt: r.ingestedAt,
        ingestedBy: r.ingestedBy,
      });
      const subjects = r.subjects.filter((s) => wanted.has(s.digest));
      for (const s of subjects) {
        g.nameArtifact(s.digest, s.name);
        g.edge(`artifact:${s.digest}`, attestationNode, "attested-by");
      }
      if (!r.verified) continue;
      if (r.signer) {
        const signerNode = `signer:${r.signer.kind}:${r.signer.identity}${r.signer.issuer !== undefined ? `|${r.signer.issuer}` : ""}`;
        g.node({ id: signerNode, type: "signer", kind: r.signer.kind, identity: r.signer.identity, ...(r.signer.issuer !== undefined ? { issuer: r.signer.issuer } : {}) });
        g.edge(attestationNode, signerNode, "signed-by");
      }
      for (const e of r.logEntries) {
        const entryNode = `log-entry:${e.logId}/${e.logIndex}`;
        g.node({ id: entryNode, type: "logEntry", logId: e.logId, logIndex: e.logIndex, ...(e.integratedTime !== undefined ? { integratedTime: e.integratedTime } : {}) });
        g.edge(attestationNode, entryNode, "logged-in");
      }
      const p = r.provenance;
      if (p === undefined) continue;
      // The run: its invocation id, else (no id) the attestation itself stands for the run it describes.
      const runNode = p.invocationId !== undefined ? `run:${p.invocationId}` : `run:${r.id}`;
      g.node({ id: runNode, type: "run", invocationId: p.invocationId ?? "" });
      for (const s of subjects) g.edge(runNode, `artifact:${s.digest}`, "produced");
      if (p.builderId !== undefined) {
        const builderNode = `builder:${p.builderId}`;
        g.node({ id: builderNode, type: "builder", builderId: p.builderId, ...(p.buildType !== undefined ? { buildType: p.buildType } : {}) });
        g.edge(builderNode, runNode, "ran");
      }
      if (p.sourceCommit !== undefined) {
        const sourceNode = `source:${p.sourceRepo ?? ""}@${p.sourceCommit}`;
        g.node({ id: sourceNode, type: "source", commit: p.sourceCommit, ...(p.sourceRepo !== undefined ? { repo: p.sourceRepo } : {}) });
        g.edge(sourceNode, runNode, "source-of");
      }
      for (const b of p.byproducts ?? []) {
        const sbom = built.get(b.digest);
        if (sbom === undefined) continue;
        g.edge(runNode, sbomNodeOf(g, sbom), "built-sbom");
      }
    }
    for (const s of sboms) {
      if (s.digest === undefined || !wanted.has(s.digest)) continue;
      g.edge(`artifact:${s.digest}`, sbomNodeOf(g, s), "described-by");
    }
    const currentIds = new Set(current.map((c) => c.deploymentId));
    for (const d of deployments) {
      if (!wanted.has(d.digest)) continue;
      const deploymentNode = `deployment:${d.id}`;
      g.node({ id: deploymentNode, type: "deployment", deploymentId: d.id, service: d.service, environment: d.environment, deployedAt: d.deployedAt, current: currentIds.has(d.id) });
      g.edge(`artifact:${d.digest}`, deploymentNode, "deployed-as");
    }
    return { query, ...g.result(), empty: byId.size === 0 && sboms.length === 0 && deployments.length === 0 };
  }

  async function reverse(records: AttestationRecord[], query: ProvenanceGraph["query"], subjectFilter: (r: AttestationRecord) => boolean): Promise<ProvenanceGraph> {
    const digests = [...new Set(records.filter(subjectFilter).flatMap((r) => r.subjects.map((s) => s.digest)))].sort();
    const truncated = digests.length > maxArtifacts;
    const { empty: _empty, ...graph } = await build(digests.slice(0, maxArtifacts), query, records);
    return truncated ? { ...graph, truncated } : graph;
  }

  return {
    async forArtifact(digest) {
      const d = digest.toLowerCase();
      if (!DIGEST.test(d)) throw new VouchError("INPUT_USAGE", "the artifact digest must be sha256:<64 hex> (or sha384 / sha512)");
      const { empty, ...graph } = await build([d], { digest: d });
      if (empty) throw new VouchError("INPUT_NOT_FOUND", `the index knows nothing of ${d}: no SBOM, attestation or deployment names it`);
      return graph;
    },
    async forCommit(commit) {
      const c = commit.toLowerCase();
      if (!COMMIT.test(c)) throw new VouchError("INPUT_USAGE", "the commit must be 7 to 64 hex characters");
      return reverse(await attestations.bySourceCommit(c), { commit: c }, (r) => r.provenance?.sourceCommit?.startsWith(c) === true);
    },
    async forSigner(identity, issuer) {
      if (identity === "") throw new VouchError("INPUT_USAGE", "the signer identity is empty");
      return reverse(await attestations.bySigner(identity, issuer), { signer: identity, ...(issuer !== undefined ? { issuer } : {}) }, () => true);
    },
  };
}

/** The SBOM's node (added once), by its id. */
function sbomNodeOf(g: GraphBuilder, s: IndexSbom): string {
  const id = `sbom:${s.id}`;
  g.node({ id, type: "sbom", sbomId: s.id, service: s.service, ...(s.version !== undefined ? { version: s.version } : {}), format: s.format, ingestedAt: s.ingestedAt });
  return id;
}

const TYPE_ORDER: Record<ProvenanceNode["type"], number> = { source: 0, builder: 1, run: 2, artifact: 3, sbom: 4, attestation: 5, signer: 6, logEntry: 7, deployment: 8 };

class GraphBuilder {
  private readonly nodes = new Map<string, ProvenanceNode>();
  private readonly edges = new Map<string, ProvenanceEdge>();

  node(n: ProvenanceNode): void {
    if (!this.nodes.has(n.id)) this.nodes.set(n.id, n);
  }

  nameArtifact(digest: string, name: string): void {
    const n = this.nodes.get(`artifact:${digest}`);
    if (n?.type === "artifact" && name !== "" && !n.names.includes(name)) n.names.push(name);
  }

  edge(from: string, to: string, kind: ProvenanceEdgeKind): void {
    this.edges.set(`${from}\u0000${kind}\u0000${to}`, { from, to, kind });
  }

  result(): Pick<ProvenanceGraph, "nodes" | "edges"> {
    for (const n of this.nodes.values()) if (n.type === "artifact") n.names.sort();
    const nodes = [...this.nodes.values()].sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || cmp(a.id, b.id));
    const edges = [...this.edges.values()].sort((a, b) => cmp(a.from, b.from) || cmp(a.kind, b.kind) || cmp(a.to, b.to));
    return { nodes, edges };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
