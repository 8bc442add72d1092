import type { Scope } from "../../sbom/model/types.js";

/**
 * Which lockfile packages only tests, examples and benches need.
 *
 * Cargo.lock resolves the dev-dependencies of the local crates (workspace members, path dependencies) but not
 * those of registry/git crates, and it does not say which of its edges are dev edges. A local crate's
 * Cargo.toml does: an edge from a local crate to a package named only under [dev-dependencies] (of any target)
 * is a dev edge; every other edge is a normal one. A package is "required" when a local crate reaches it over
 * normal edges alone, "dev" when it is reached only through a dev edge.
 *
 * Conservative by construction: a local crate whose manifest was not read has only normal edges, and a
 * package no local crate reaches at all stays "required". A package is never called dev on a guess.
 */

export interface ScopeNode {
  id: string;
  /** Resolved dependency ids. */
  dependsOn: readonly string[];
}

/**
 * @param localIds the local crates (packages without a source): every one is a root, and required.
 * @param isDevEdge whether the edge from a local crate to a package is a dev-dependency edge.
 */
export function cargoScopes(
  nodes: readonly ScopeNode[],
  localIds: readonly string[],
  isDevEdge: (fromId: string, toId: string) => boolean,
): Map<string, Scope> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const required = reach(localIds, byId, (from, to) => !isDevEdge(from, to));
  const reachable = reach(localIds, byId, () => true);
  const scopes = new Map<string, Scope>();
  for (const node of nodes) {
    scopes.set(node.id, required.has(node.id) || !reachable.has(node.id) ? "required" : "dev");
  }
  return scopes;
}

function reach(roots: readonly string[], byId: Map<string, ScopeNode>, follow: (from: string, to: string) => boolean): Set<string> {
  const seen = new Set<string>(roots);
  const stack = [...roots];
  while (stack.length > 0) {
    const from = stack.pop()!;
    for (const to of byId.get(from)?.dependsOn ?? []) {
      if (!seen.has(to) && follow(from, to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}
