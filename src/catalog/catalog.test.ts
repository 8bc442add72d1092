import { describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import { catalogSource } from "./catalog.js";
import { MemorySource } from "./sources/memory.js";
import type { Cataloger, PackageRecord, ParseResult } from "./types.js";

/**
 * A toy line format for testing the merge logic alone: "name version scope dep,dep".
 * A first line "project NAME VERSION" names the project.
 */
function toyCataloger(fileName: string, extra: Partial<Cataloger> = {}): Cataloger {
  return {
    name: `toy-${fileName}`,
    ecosystem: "npm",
    matches: (p) => p.split("/").pop() === fileName,
    parse(file): ParseResult {
      if (file.text.startsWith("!")) throw new VouchError("INPUT_MALFORMED", "bad toy file", { line: 1 });
      const packages: PackageRecord[] = [];
      let project: ParseResult["project"];
      for (const line of file.text.split("\n").filter(Boolean)) {
        const [a, b, c, d] = line.split(" ");
        if (a === "project") {
          project = { name: b!, version: c!, ecosystem: "npm", purl: `pkg:npm/${b}@${c}` };
          continue;
        }
        packages.push({
          id: a!,
          ecosystem: "npm",
          name: a!,
          version: b!,
          purl: `pkg:npm/${a}@${b}`,
          hashes: [],
          scope: (c as PackageRecord["scope"]) ?? "required",
          dependsOn: d ? d.split(",") : [],
          licenseDeclared: "mit",
        });
      }
      const depended = new Set(packages.flatMap((p) => p.dependsOn));
      return { project, directDependencies: packages.filter((p) => !depended.has(p.id)).map((p) => p.id), packages };
    },
    ...extra,
  };
}

describe("catalogSource", () => {
  it("merges the same package from two files: one component, union of files, strongest scope", () => {
    const source = new MemorySource({
      "a/toy.lock": "project app 1.0.0\nleft 1.0.0 dev\n",
      "b/toy.lock": "left 1.0.0 required\nright 2.0.0 required left\n",
    });
    const out = catalogSource(source, [toyCataloger("toy.lock")]);
    const left = out.components.find((c) => c.name === "left")!;
    expect(left.foundIn).toEqual(["a/toy.lock", "b/toy.lock"]);
    expect(left.scope).toBe("required");
    expect(left.licenses).toEqual([{ expression: "MIT" }]);
    expect(out.components.map((c) => c.bomRef)).toEqual(["pkg:npm/app@1.0.0", "pkg:npm/left@1.0.0", "pkg:npm/right@2.0.0"]);
    expect(out.dependencies).toContainEqual({ ref: "pkg:npm/right@2.0.0", dependsOn: ["pkg:npm/left@1.0.0"] });
  });

  it("takes the root project from a top-level manifest; nested projects hang under it", () => {
    const source = new MemorySource({
      "toy.lock": "project root 0.1.0\nx 1.0.0\n",
      "sub/toy.lock": "project sub 0.2.0\ny 1.0.0\n",
    });
    const out = catalogSource(source, [toyCataloger("toy.lock")]);
    expect(out.rootProject?.bomRef).toBe("pkg:npm/root@0.1.0");
    expect(out.rootDependsOn).toEqual(["pkg:npm/sub@0.2.0", "pkg:npm/x@1.0.0"]);
    expect(out.components.map((c) => c.name)).not.toContain("root");
    expect(out.dependencies).toContainEqual({ ref: "pkg:npm/sub@0.2.0", dependsOn: ["pkg:npm/y@1.0.0"] });
  });

  it("turns a malformed file into a warning with file and line, and goes on", () => {
    const source = new MemorySource({ "bad/toy.lock": "!oops", "good/toy.lock": "z 1.0.0\n" });
    const out = catalogSource(source, [toyCataloger("toy.lock")]);
    expect(out.warnings).toEqual([{ file: "bad/toy.lock", line: 1, message: "bad toy file; skipped", fileSkipped: true }]);
    expect(out.components.map((c) => c.name)).toEqual(["z"]);
  });

  it("does not read a file another cataloger supersedes in the same directory", () => {
    const source = new MemorySource({ "main.lock": "a 1.0.0\n", "node_modules/.hidden.lock": "b 1.0.0\n", "other/node_modules/.hidden.lock": "c 1.0.0\n" });
    const main = toyCataloger("main.lock", { supersedes: ["node_modules/.hidden.lock"] });
    const out = catalogSource(source, [main, toyCataloger(".hidden.lock")]);
    expect(out.components.map((c) => c.name)).toEqual(["a", "c"]);
  });
});
