import { describe, expect, it } from "vitest";
import { computeScopes, type EdgeKind } from "./scope.js";

const graph = (edges: Record<string, [string, EdgeKind][]>) => new Map(Object.entries(edges).map(([from, to]) => [from, to.map(([t, kind]) => ({ to: t, kind }))]));

describe("npm: computeScopes", () => {
  it("gives required, optional and dev the way npm flags them", () => {
    const edges = graph({
      app: [["lib", "prod"], ["native", "optional"]],
      native: [["helper", "prod"]],
      tool: [["lib", "prod"], ["helper", "prod"], ["devonly", "prod"]],
      lone: [["orphan-dep", "prod"]],
    });
    const scopes = computeScopes({ edges, roots: [{ id: "app", kind: "prod" }, { id: "opt-root", kind: "optional" }, { id: "tool", kind: "dev" }] });
    expect(Object.fromEntries(scopes)).toEqual({
      app: "required",
      lib: "required", // also a dev tool's: prod wins
      native: "optional",
      helper: "optional", // devOptional in npm's words: optional in production
      "opt-root": "optional",
      tool: "dev",
      devonly: "dev",
    });
  });

  it("terminates on cycles", () => {
    const scopes = computeScopes({ edges: graph({ a: [["b", "prod"]], b: [["a", "prod"]] }), roots: [{ id: "a", kind: "dev" }] });
    expect(Object.fromEntries(scopes)).toEqual({ a: "dev", b: "dev" });
  });
});
