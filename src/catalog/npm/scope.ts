import type { Scope } from "../../sbom/model/types.js";

/** How a package is reached: a plain (or peer) dependency, or an optionalDependencies entry. */
export type EdgeKind = "prod" | "optional";

export interface ScopeGraph {
  /** Outgoing edges per package id. */
  edges: ReadonlyMap<string, readonly { to: string; kind: EdgeKind }[]>;
  /** The projects' direct dependencies (root and workspaces), by the manifest section that names them. */
  roots: readonly { id: string; kind: "prod" | "optional" | "dev" }[];
}

/**
 * Scope of every package reachable from the projects, the way npm decides its dev/optional/devOptional flags
 * (arborist calc-dep-flags), for lockfiles that do not record them (yarn.lock, pnpm-lock v9):
 *  - required: reachable from a project's dependencies through plain dependencies only;
 *  - optional: otherwise reachable from dependencies/optionalDependencies through at least one optional
 *    edge. This includes what npm calls devOptional (also reachable from devDependencies): npm keeps such a
 *    package under --omit=dev, so in production it is an optional dependency, not a dev one;
 *  - dev: reachable only from devDependencies.
 * Packages not reachable at all are absent from the result (the caller decides their default).
 * Three breadth-first walks: O(packages + edges).
 */
export function computeScopes(graph: ScopeGraph): Map<string, Scope> {
  const scopes = new Map<string, Scope>();
  const prodRoots = graph.roots.filter((r) => r.kind === "prod").map((r) => r.id);
  walk(graph, prodRoots, (kind) => kind === "prod", "required", scopes);
  const optionalStarts = [...graph.roots.filter((r) => r.kind !== "dev").map((r) => r.id), ...scopes.keys()];
  walk(graph, optionalStarts, () => true, "optional", scopes);
  walk(graph, graph.roots.filter((r) => r.kind === "dev").map((r) => r.id), () => true, "dev", scopes);
  return scopes;
}

function walk(graph: ScopeGraph, starts: readonly string[], follow: (kind: EdgeKind) => boolean, scope: Scope, scopes: Map<string, Scope>): void {
  const queue: string[] = [];
  const seen = new Set<string>();
  for (const id of starts) {
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(id);
    if (!scopes.has(id)) scopes.set(id, scope);
  }
  for (let i = 0; i < queue.length; i++) {
    for (const edge of graph.edges.get(queue[i]!) ?? []) {
      if (!follow(edge.kind) || seen.has(edge.to)) continue;
      seen.add(edge.to);
      queue.push(edge.to);
      if (!scopes.has(edge.to)) scopes.set(edge.to, scope);
    }
  }
}
