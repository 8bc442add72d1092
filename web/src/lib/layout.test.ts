import { describe, expect, it } from "vitest";
import type { ProvenanceEdge, ProvenanceNode } from "../api/types";
import { COLUMNS, DEFAULT_LAYOUT, layoutGraph, nodeLabel } from "./layout";

const art = `sha256:${"a".repeat(64)}`;
const nodes: ProvenanceNode[] = [
  { id: "deployment:2", type: "deployment", deploymentId: "2", service: "checkout", environment: "staging", deployedAt: "2025-03-01T00:00:00Z", current: true },
  { id: "deployment:1", type: "deployment", deploymentId: "1", service: "checkout", environment: "prod", deployedAt: "2025-03-02T00:00:00Z", current: true },
  { id: "source:abc", type: "source", repo: "https://github.com/o/r", commit: "abc1234def" },
  { id: "builder:gh", type: "builder", builderId: "https://github.com/actions/runner" },
  { id: "run:1", type: "run", invocationId: "https://github.com/o/r/actions/runs/1" },
  { id: `artifact:${art}`, type: "artifact", digest: art, names: ["registry/app"] },
  { id: "sbom:s1", type: "sbom", sbomId: "s1", service: "checkout", version: "1.4.0", format: "cyclonedx", ingestedAt: "2025-03-01T00:00:00Z" },
  { id: "attestation:b", type: "attestation", attestationId: "b", kind: "bundle", verified: false, reason: "VERIFY_CHAIN: x", ingestedAt: "t", ingestedBy: "ci" },
  { id: "attestation:a", type: "attestation", attestationId: "a", kind: "bundle", predicateType: "https://slsa.dev/provenance/v1", verified: true, ingestedAt: "t", ingestedBy: "ci" },
  { id: "signer:x", type: "signer", kind: "certificate", identity: "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main" },
  { id: "logEntry:9", type: "logEntry", logId: "c0ffee", logIndex: "9" },
];
const edges: ProvenanceEdge[] = [
  { from: "source:abc", to: "run:1", kind: "source-of" },
  { from: "builder:gh", to: "run:1", kind: "ran" },
  { from: "run:1", to: `artifact:${art}`, kind: "produced" },
  { from: `artifact:${art}`, to: "sbom:s1", kind: "described-by" },
  { from: `artifact:${art}`, to: "attestation:a", kind: "attested-by" },
  { from: `artifact:${art}`, to: "attestation:b", kind: "attested-by" },
  { from: "attestation:a", to: "signer:x", kind: "signed-by" },
  { from: "attestation:a", to: "logEntry:9", kind: "logged-in" },
  { from: `artifact:${art}`, to: "deployment:1", kind: "deployed-as" },
  { from: `artifact:${art}`, to: "deployment:2", kind: "deployed-as" },
  // An edge to a node the answer does not hold is not drawn (never a dangling line).
  { from: "attestation:a", to: "logEntry:missing", kind: "logged-in" },
];

describe("provenance graph layout", () => {
  const layout = layoutGraph(nodes, edges);
  const at = (id: string) => layout.nodes.find((n) => n.node.id === id)!;

  it("puts each stage in its column, left to right in the chain's order", () => {
    expect(layout.columns.map((c) => c.key)).toEqual(COLUMNS.map((c) => c.key));
    const column = (id: string) => at(id).column;
    expect(column("source:abc")).toBe(0);
    expect(column("builder:gh")).toBe(0);
    expect(column("run:1")).toBe(1);
    expect(column(`artifact:${art}`)).toBe(2);
    expect(column("sbom:s1")).toBe(3);
    expect(column("attestation:a")).toBe(4);
    expect(column("logEntry:9")).toBe(5);
    expect(column("signer:x")).toBe(5);
    expect(column("deployment:1")).toBe(6);
    for (const n of layout.nodes) expect(n.x).toBe(DEFAULT_LAYOUT.left + n.column * (DEFAULT_LAYOUT.nodeWidth + DEFAULT_LAYOUT.columnGap));
  });

  it("orders a column by type, then by parents' rows, then by id", () => {
    // Sources before builders in their shared column.
    expect(at("source:abc").row).toBe(0);
    expect(at("builder:gh").row).toBe(1);
    expect(at("run:1").row).toBe(0);
    expect(at("attestation:a").row).toBe(0);
    expect(at("attestation:b").row).toBe(1);
    // Log entries before signers in their shared column.
    expect(at("logEntry:9").row).toBe(0);
    expect(at("signer:x").row).toBe(1);
    expect(at("deployment:1").row).toBe(0);
    expect(at("deployment:2").row).toBe(1);
  });

  it("never overlaps two nodes, and the canvas holds them all", () => {
    for (const a of layout.nodes) {
      expect(a.x + a.width).toBeLessThanOrEqual(layout.width);
      expect(a.y + a.height).toBeLessThanOrEqual(layout.height);
      for (const b of layout.nodes) {
        if (a === b) continue;
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${a.node.id} overlaps ${b.node.id}`).toBe(true);
      }
    }
  });

  it("draws every edge between held nodes, from the left node's right side to the right node's left side", () => {
    expect(layout.edges).toHaveLength(edges.length - 1);
    const e = layout.edges.find((x) => x.edge.kind === "produced")!;
    const run = at("run:1");
    const artifact = at(`artifact:${art}`);
    expect(e.path.startsWith(`M${run.x + run.width},${run.y + run.height / 2} `)).toBe(true);
    expect(e.path.endsWith(` ${artifact.x},${artifact.y + artifact.height / 2}`)).toBe(true);
  });

  it("runs an edge that skips columns through lanes under the crossed columns' nodes, never behind a node", () => {
    const deployed = layout.edges.find((x) => x.edge.to === "deployment:1")!;
    // artifact (2) → deployment (6) crosses the SBOM, attestation and log columns: entry and exit in each.
    expect(deployed.points).toHaveLength(2 + 2 * 3);
    for (const e of layout.edges) {
      for (let i = 1; i + 1 < e.points.length; i += 2) {
        const [p, q] = [e.points[i]!, e.points[i + 1]!];
        expect(p.y).toBe(q.y);
        for (const n of layout.nodes) {
          const crosses = n.x < q.x && p.x < n.x + n.width && p.y >= n.y && p.y <= n.y + n.height;
          expect(crosses, `${e.edge.from} → ${e.edge.to} runs behind ${n.node.id}`).toBe(false);
        }
        expect(p.y).toBeLessThanOrEqual(layout.height);
      }
    }
    // Two lanes through the same column never share a y.
    const lanes = layout.edges.flatMap((e) => e.points.slice(1, -1).filter((_, i) => i % 2 === 0).map((p) => `${p.x},${p.y}`));
    expect(new Set(lanes).size).toBe(lanes.length);
  });

  it("drops empty columns and is the same for the same answer in any order", () => {
    const small = layoutGraph(
      nodes.filter((n) => n.type === "artifact" || n.type === "deployment"),
      edges,
    );
    expect(small.columns.map((c) => c.key)).toEqual(["artifact", "deployment"]);
    const shuffled = layoutGraph([...nodes].reverse(), [...edges].reverse());
    const pos = (l: typeof layout) => l.nodes.map((n) => `${n.node.id}@${n.x},${n.y}`).sort();
    expect(pos(shuffled)).toEqual(pos(layout));
  });

  it("lays out an empty graph without rows", () => {
    const empty = layoutGraph([], []);
    expect(empty.nodes).toEqual([]);
    expect(empty.columns).toEqual([]);
  });

  it("labels nodes briefly", () => {
    expect(nodeLabel(nodes[2]!)).toEqual(["abc1234def", "github.com/o/r"]);
    expect(nodeLabel(nodes[7]!)).toEqual(["NOT verified", "bundle"]);
    expect(nodeLabel(nodes[8]!)).toEqual(["verified", "SLSA provenance v1"]);
    expect(nodeLabel(nodes[10]!)[0]).toBe("log #9");
  });
});
