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
  /**
   * Where the edge runs: the source's right side, then for each column it crosses a lane entry and exit (below that
   * column's nodes, so a long edge never passes behind a node and reads as going through it), then the target's
   * left side.
   */
  points: { x: number; y: number }[];
  /** An SVG path through the points: curves between columns, straight through crossed columns. */
  path: string;
}

export interface GraphLayout {
  columns: { key: string; title: string; x: number }[];
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Lanes for edges that skip columns: this much room each, under the column's nodes. */
const LANE = 14;

function columnOf(type: NodeType): number {
  const i = COLUMNS.findIndex((c) => (c.types as readonly string[]).includes(type));
  return i < 0 ? COLUMNS.length - 1 : i;
}

export function layoutGraph(nodes: readonly ProvenanceNode[], edges: readonly ProvenanceEdge[], options: LayoutOptions = DEFAULT_LAYOUT): GraphLayout {
  const { nodeWidth, nodeHeight, columnGap, rowGap, top, left } = options;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // Sorted as the API sorts them (from, kind, to): the same answer in any order draws the same picture.
  const held = edges.filter((e) => byId.has(e.from) && byId.has(e.to)).sort((a, b) => cmp(a.from, b.from) || cmp(a.kind, b.kind) || cmp(a.to, b.to));

  // Stage columns, then drop the empty ones (a graph without a build has no build column).
  const stages: ProvenanceNode[][] = COLUMNS.map(() => []);
  for (const n of [...nodes].sort((a, b) => cmp(a.id, b.id))) stages[columnOf(n.type)]!.push(n);
  const drawn = COLUMNS.map((c, i) => ({ ...c, nodes: stages[i]! })).filter((c) => c.nodes.length > 0);
  const colOf = new Map<string, number>();
  drawn.forEach((c, ci) => c.nodes.forEach((n) => colOf.set(n.id, ci)));
  const xOf = (ci: number) => left + ci * (nodeWidth + columnGap);

  // An edge that skips columns gets a lane in each column it crosses (Sugiyama's dummy nodes, kept under the real
  // nodes): the lane's id stands for it in that column's ordering.
  const parents = new Map<string, string[]>();
  const addParent = (child: string, parent: string) => parents.set(child, [...(parents.get(child) ?? []), parent]);
  const lanesIn = drawn.map(() => [] as string[]);
  const laneIds = new Map<ProvenanceEdge, string[]>();
  const laneColumn = new Map<string, number>();
  held.forEach((e, k) => {
    const [a, b] = [colOf.get(e.from)!, colOf.get(e.to)!];
    const [from, to, lo, hi] = a <= b ? [e.from, e.to, a, b] : [e.to, e.from, b, a];
    let prev = from;
    const ids: string[] = [];
    for (let c = lo + 1; c < hi; c++) {
      // Node ids are `<type>:…` and no node type is "lane".
      const id = `lane:${k}:${c}`;
      lanesIn[c]!.push(id);
      laneColumn.set(id, c);
      addParent(id, prev);
      ids.push(id);
      prev = id;
    }
    addParent(to, prev);
    laneIds.set(e, ids);
  });

  const rowOf = new Map<string, number>();
  const laneY = new Map<string, number>();
  const placed: PlacedNode[] = [];
  let height = top;
  const bary = (id: string) => {
    const rows = (parents.get(id) ?? []).map((p) => rowOf.get(p)).filter((r): r is number => r !== undefined);
    return rows.length === 0 ? Number.POSITIVE_INFINITY : rows.reduce((a, b) => a + b, 0) / rows.length;
  };
  drawn.forEach((column, ci) => {
    const typeRank = (t: NodeType) => (column.types as readonly string[]).indexOf(t);
    const keyed = column.nodes.map((node) => ({ node, bary: bary(node.id) }));
    keyed.sort((a, b) => typeRank(a.node.type) - typeRank(b.node.type) || a.bary - b.bary || cmp(a.node.id, b.node.id));
    let y = top;
    keyed.forEach(({ node }, row) => {
      rowOf.set(node.id, row);
      placed.push({ node, column: ci, row, x: xOf(ci), y, width: nodeWidth, height: nodeHeight });
      y += nodeHeight + rowGap;
    });
    // Lanes go under the nodes, ordered like them by where they come from; their "row" continues the column's.
    const lanes = lanesIn[ci]!.map((id) => ({ id, bary: bary(id) })).sort((a, b) => a.bary - b.bary || cmp(a.id, b.id));
    y += lanes.length > 0 ? LANE / 2 - rowGap / 2 : 0;
    lanes.forEach(({ id }, i) => {
      rowOf.set(id, keyed.length + i);
      laneY.set(id, y);
      y += LANE;
    });
    height = Math.max(height, y - (lanes.length > 0 ? LANE / 2 : rowGap));
  });

  const at = new Map(placed.map((p) => [p.node.id, p]));
  const placedEdges: PlacedEdge[] = held.map((edge) => {
    const a = at.get(edge.from)!;
    const b = at.get(edge.to)!;
    const [from, to] = a.column <= b.column ? [a, b] : [b, a];
    const points: { x: number; y: number }[] = [{ x: from.x + from.width, y: from.y + from.height / 2 }];
    for (const id of laneIds.get(edge) ?? []) {
      const c = laneColumn.get(id)!;
      const y = laneY.get(id)!;
      points.push({ x: xOf(c), y }, { x: xOf(c) + nodeWidth, y });
    }
    points.push({ x: to.x, y: to.y + to.height / 2 });
    if (from.column === to.column) {
      // Same column (no edge kind does this today): a loop out to the right and back.
      const x = from.x + from.width;
      const [y1, y2] = [from.y + from.height / 2, to.y + to.height / 2];
      return { edge, points: [points[0]!, { x, y: y2 }], path: `M${x},${y1} C${x + 24},${y1} ${x + 24},${y2} ${x},${y2}` };
    }
    return { edge, points, path: edgePath(points) };
  });

  return {
    columns: drawn.map((c, i) => ({ key: c.key, title: c.title, x: xOf(i) })),
    nodes: placed,
    edges: placedEdges,
    width: left * 2 + Math.max(0, drawn.length * nodeWidth + (drawn.length - 1) * columnGap),
    height: height + 4,
  };
}

/** Curves across the gaps between columns (even points to odd), straight lines along lanes (odd to even). */
function edgePath(points: readonly { x: number; y: number }[]): string {
  const r = (n: number) => Math.round(n * 100) / 100;
  let d = `M${r(points[0]!.x)},${r(points[0]!.y)}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    if (i % 2 === 1) {
      const mid = (p.x + q.x) / 2;
      d += ` C${r(mid)},${r(p.y)} ${r(mid)},${r(q.y)} ${r(q.x)},${r(q.y)}`;
    } else {
      d += ` L${r(q.x)},${r(q.y)}`;
    }
  }
  return d;
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
