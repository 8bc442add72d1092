import type { ProvenanceEdge, ProvenanceNode } from "../api/types";

/**
 * A layered layout for the provenance graph: one column per stage of the chain the issue names (commit → build →
 * artifact → SBOM → attestations → log entries → deployments), nodes stacked in a column without overlapping,
 * ordered to follow their parents (barycenter of the previous columns' positions), ties by id so the picture is
 * the same for the same answer. Pure; the SVG component only draws what this returns.
 */
export const COLUMNS = [
  // The builder sits beside the commit, both feeding the run (no edge runs inside a column).
  { key: "commit", title: "Commit · builder", types: ["source", "builder"] },
  { key: "build", title: "Build run", types: ["run"] },
  { key: "artifact", title: "Artifact", types: ["artifact"] },
  { key: "sbom", title: "SBOM", types: ["sbom"] },
  { key: "attestation", title: "Attestations", types: ["attestation"] },
  // Signers hang off attestations the way log entries do: the same column, after the entries.
  { key: "log", title: "Log entries · signers", types: ["logEntry", "signer"] },
  { key: "deployment", title: "Deployments", types: ["deployment"] },
] as const;

export type NodeType = ProvenanceNode["type"];

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  columnGap: number;
  rowGap: number;
  /** Room above the first row for the column titles. */
  top: number;
  left: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 150, nodeHeight: 44, columnGap: 32, rowGap: 12, top: 28, left: 4 };

export interface PlacedNode {
  node: ProvenanceNode;
  /** Index into the drawn (non-empty) columns. */
  column: number;
  row: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  edge: ProvenanceEdge;
  /** An SVG path from the source's right side to the target's left side (or a loop within a column). */
  path: string;
}

export interface GraphLayout {
  columns: { key: string; title: string; x: number }[];
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

function columnOf(type: NodeType): number {
  const i = COLUMNS.findIndex((c) => (c.types as readonly string[]).includes(type));
  return i < 0 ? COLUMNS.length - 1 : i;
}

export function layoutGraph(nodes: readonly ProvenanceNode[], edges: readonly ProvenanceEdge[], options: LayoutOptions = DEFAULT_LAYOUT): GraphLayout {
  const { nodeWidth, nodeHeight, columnGap, rowGap, top, left } = options;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parents = new Map<string, string[]>();
  for (const e of edges) {
    if (!byId.has(e.from) || !byId.has(e.to)) continue;
    const list = parents.get(e.to) ?? [];
    list.push(e.from);
    parents.set(e.to, list);
  }

  // Stage columns, then drop the empty ones (a graph without a build has no build column).
  const stages: ProvenanceNode[][] = COLUMNS.map(() => []);
  for (const n of [...nodes].sort((a, b) => cmp(a.id, b.id))) stages[columnOf(n.type)]!.push(n);
  const drawn = COLUMNS.map((c, i) => ({ ...c, nodes: stages[i]! })).filter((c) => c.nodes.length > 0);

  const rowOf = new Map<string, number>();
  const placed: PlacedNode[] = [];
  drawn.forEach((column, ci) => {
    const typeRank = (t: NodeType) => (column.types as readonly string[]).indexOf(t);
    const keyed = column.nodes.map((node) => {
      const rows = (parents.get(node.id) ?? []).map((p) => rowOf.get(p)).filter((r): r is number => r !== undefined);
      const bary = rows.length === 0 ? Number.POSITIVE_INFINITY : rows.reduce((a, b) => a + b, 0) / rows.length;
      return { node, bary };
    });
    keyed.sort((a, b) => typeRank(a.node.type) - typeRank(b.node.type) || a.bary - b.bary || cmp(a.node.id, b.node.id));
    keyed.forEach(({ node }, row) => {
      rowOf.set(node.id, row);
      placed.push({
        node,
        column: ci,
        row,
        x: left + ci * (nodeWidth + columnGap),
        y: top + row * (nodeHeight + rowGap),
        width: nodeWidth,
        height: nodeHeight,
      });
    });
  });

  const at = new Map(placed.map((p) => [p.node.id, p]));
  const placedEdges: PlacedEdge[] = [];
  for (const edge of edges) {
    const a = at.get(edge.from);
    const b = at.get(edge.to);
    if (a === undefined || b === undefined) continue;
    placedEdges.push({ edge, path: edgePath(a, b) });
  }

  const rows = Math.max(0, ...drawn.map((c) => c.nodes.length));
  return {
    columns: drawn.map((c, i) => ({ key: c.key, title: c.title, x: left + i * (nodeWidth + columnGap) })),
    nodes: placed,
    edges: placedEdges,
    width: left * 2 + Math.max(0, drawn.length * nodeWidth + (drawn.length - 1) * columnGap),
    height: top + Math.max(0, rows * nodeHeight + (rows - 1) * rowGap) + 4,
  };
}

function edgePath(a: PlacedNode, b: PlacedNode): string {
  const ay = a.y + a.height / 2;
  const by = b.y + b.height / 2;
  if (a.column === b.column) {
    // Same column (never for the API's edge kinds today): a loop out to the right and back.
    const x = a.x + a.width;
    return `M${x},${ay} C${x + 24},${ay} ${x + 24},${by} ${x},${by}`;
  }
  const [from, to, fy, ty] = a.column < b.column ? [a, b, ay, by] : [b, a, by, ay];
  const x1 = from.x + from.width;
  const x2 = to.x;
  const mid = (x1 + x2) / 2;
  return `M${x1},${fy} C${mid},${fy} ${mid},${ty} ${x2},${ty}`;
}

/** The label lines of a node: what it is, briefly (the details panel shows everything). */
export function nodeLabel(node: ProvenanceNode): [string, string] {
  switch (node.type) {
    case "source":
      return [node.commit.slice(0, 12), node.repo?.replace(/^https?:\/\//, "") ?? "source"];
    case "builder":
      return ["builder", lastPart(node.builderId)];
    case "run":
      return ["run", lastPart(node.invocationId)];
    case "artifact":
      return [short(node.digest), node.names[0] ?? "artifact"];
    case "sbom":
      return [`${node.service}${node.version === undefined ? "" : ` ${node.version}`}`, node.format];
    case "attestation":
      return [node.verified ? "verified" : "NOT verified", predicateName(node.predicateType) ?? node.kind];
    case "signer":
      return [node.kind === "key" ? "key" : "signer", node.identity];
    case "logEntry":
      return [`log #${node.logIndex}`, node.logId.slice(0, 12)];
    case "deployment":
      return [node.environment, `${node.service}${node.current ? " · current" : ""}`];
  }
}

/** In-toto predicate types people recognize, by name; others by their last path parts. */
export function predicateName(type: string | undefined): string | undefined {
  if (type === undefined) return undefined;
  if (/^https:\/\/slsa\.dev\/provenance\//.test(type)) return `SLSA provenance ${type.split("/").at(-1) ?? ""}`.trim();
  if (/cyclonedx/i.test(type)) return "CycloneDX SBOM";
  if (/spdx/i.test(type)) return "SPDX SBOM";
  if (/openvex/i.test(type)) return "OpenVEX";
  if (/vuln/i.test(type)) return "vulnerability scan";
  const parts = type.replace(/^https?:\/\//, "").split("/").filter((p) => p !== "");
  return parts.slice(-2).join("/") || type;
}

function short(digest: string): string {
  const hex = digest.replace(/^sha256:/, "");
  return `${hex.slice(0, 12)}…`;
}

function lastPart(text: string): string {
  const parts = text.split(/[/#]/).filter((p) => p !== "");
  return parts.at(-1) ?? text;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
