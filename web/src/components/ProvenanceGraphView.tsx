import { useMemo, useState, type ReactNode } from "react";
import type { ProvenanceGraph, ProvenanceNode } from "../api/types";
import { layoutGraph, nodeLabel } from "../lib/layout";
import { formatTime } from "../lib/format";
import { artifactPath } from "../lib/route";
import { Link } from "./router";

/** The provenance graph as an SVG we draw ourselves (layout: lib/layout.ts); a node's click shows all it holds. */
export function ProvenanceGraphView({ graph }: { graph: ProvenanceGraph }) {
  const layout = useMemo(() => layoutGraph(graph.nodes, graph.edges), [graph]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const node = graph.nodes.find((n) => n.id === selected);
  const related = new Set(selected === undefined ? [] : graph.edges.flatMap((e) => (e.from === selected ? [e.to] : e.to === selected ? [e.from] : [])));
  return (
    <div className="graph-wrap">
      <div className="graph-scroll">
        <svg
          data-testid="provenance-graph"
          className="graph"
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width}
          height={layout.height}
          role="img"
          aria-label="provenance graph"
        >
          <defs>
            <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L8,4 L0,8 z" className="arrowhead" />
            </marker>
          </defs>
          {layout.columns.map((c) => (
            <text key={c.key} className="column-title" x={c.x} y={14}>
              {c.title}
            </text>
          ))}
          {layout.edges.map(({ edge, path }) => (
            <path
              key={`${edge.from}\n${edge.kind}\n${edge.to}`}
              data-testid="graph-edge"
              data-from={edge.from}
              data-to={edge.to}
              data-kind={edge.kind}
              className={`edge${selected !== undefined && (edge.from === selected || edge.to === selected) ? " lit" : ""}`}
              d={path}
              markerEnd="url(#arrow)"
            >
              <title>{edge.kind}</title>
            </path>
          ))}
          {layout.nodes.map((p) => {
            const [line1, line2] = nodeLabel(p.node);
            const bad = (p.node.type === "attestation" && !p.node.verified) || (p.node.type === "deployment" && !p.node.current);
            return (
              <g
                key={p.node.id}
                data-testid="graph-node"
                data-kind={p.node.type}
                data-id={p.node.id}
                className={`node kind-${p.node.type}${bad ? " bad" : ""}${selected === p.node.id ? " selected" : ""}${related.has(p.node.id) ? " related" : ""}`}
                transform={`translate(${p.x},${p.y})`}
                tabIndex={0}
                role="button"
                aria-label={`${p.node.type} ${line1}`}
                onClick={() => setSelected(selected === p.node.id ? undefined : p.node.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    setSelected(selected === p.node.id ? undefined : p.node.id);
                  }
                }}
              >
                <rect width={p.width} height={p.height} rx={6} />
                <text x={8} y={17} className="l1">
                  {clip(line1, 20)}
                </text>
                <text x={8} y={34} className="l2">
                  {clip(line2, 24)}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <aside className="node-details" data-testid="node-details">
        {node === undefined ? <p className="note">Select a node for its details.</p> : <NodeDetails node={node} />}
        {graph.truncated === true && <p className="note">The graph is truncated (more artifacts than one answer holds).</p>}
      </aside>
    </div>
  );
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function NodeDetails({ node }: { node: ProvenanceNode }) {
  const rows: [string, ReactNode][] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === "id" || v === undefined) continue;
    const value = Array.isArray(v) ? v.join(", ") : typeof v === "boolean" ? (v ? "yes" : "no") : String(v);
    rows.push([k, /At$|Time$|firstSeen/.test(k) ? `${value} (${formatTime(value)})` : value]);
  }
  return (
    <>
      <h3>{node.type}</h3>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className="mono wrap">{v}</dd>
          </div>
        ))}
      </dl>
      {node.type === "artifact" && <Link to={artifactPath(node.digest)}>Open this artifact</Link>}
      <p className="note mono wrap">{node.id}</p>
    </>
  );
}
