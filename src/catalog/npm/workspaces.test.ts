import { describe, expect, it } from "vitest";
import { catalogContext } from "../../../test/support/parse.js";
import { MemorySource } from "../sources/memory.js";
import { expandWorkspacePatterns, matchesWorkspacePatterns } from "./workspaces.js";

describe("npm: workspace globs", () => {
  it("match folders the way npm and yarn write them, '!' excluding", () => {
    expect(matchesWorkspacePatterns("packages/a", ["packages/*"])).toBe(true);
    expect(matchesWorkspacePatterns("packages/a", ["./packages/*/"])).toBe(true);
    expect(matchesWorkspacePatterns("packages/a/b", ["packages/*"])).toBe(false);
    expect(matchesWorkspacePatterns("packages/a/b", ["packages/**"])).toBe(true);
    expect(matchesWorkspacePatterns("packages/old", ["packages/*", "!packages/old"])).toBe(false);
    expect(matchesWorkspacePatterns("libs/x", ["packages/*"])).toBe(false);
  });

  it("expand to the folders holding a package.json, outside node_modules", () => {
    const source = new MemorySource({
      "web/packages/a/package.json": "{}",
      "web/packages/b/README.md": "",
      "web/packages/old/package.json": "{}",
      "web/apps/x/y/package.json": "{}",
      "web/apps/node_modules/z/package.json": "{}",
      "web/tools/cli/package.json": "{}",
    });
    const ctx = catalogContext(source);
    expect(expandWorkspacePatterns(ctx, "web/", ["packages/*", "!packages/old", "apps/**", "tools/cli", "../outside/*"])).toEqual(["apps/x/y", "packages/a", "tools/cli"]);
  });
});
