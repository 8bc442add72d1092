import { describe, expect, it } from "vitest";
import type { CatalogContext } from "../types.js";
import { declaredLicense, manifestFromJson, personName, readManifest, repositoryUrl } from "./manifest.js";

describe("npm: package.json reading", () => {
  it("keeps the license exactly as declared: string, legacy object, legacy array", () => {
    expect(declaredLicense({ license: " (MIT OR Apache-2.0) " })).toBe("(MIT OR Apache-2.0)");
    expect(declaredLicense({ license: { type: "BSD-3-Clause", url: "https://x" } })).toBe("BSD-3-Clause");
    expect(declaredLicense({ licenses: [{ type: "MIT" }, "Apache-2.0", { url: "no type" }] })).toEqual(["MIT", "Apache-2.0"]);
    expect(declaredLicense({ licenses: [{ type: "ISC" }] })).toBe("ISC");
    expect(declaredLicense({ license: "", licenses: "MIT" })).toBeUndefined();
  });

  it("writes a person as 'Name <email>'", () => {
    expect(personName("Ada <ada@example.org> (https://ada.example.org)")).toBe("Ada <ada@example.org> (https://ada.example.org)");
    expect(personName({ name: "Ada", email: "ada@example.org", url: "https://x" })).toBe("Ada <ada@example.org>");
    expect(personName({ email: "ada@example.org" })).toBe("ada@example.org");
    expect(personName({ name: 7 })).toBeUndefined();
  });

  it("spells out npm's repository shorthands", () => {
    expect(repositoryUrl("acme/left")).toBe("https://github.com/acme/left");
    expect(repositoryUrl("github:acme/left")).toBe("https://github.com/acme/left");
    expect(repositoryUrl("gitlab:acme/left")).toBe("https://gitlab.com/acme/left");
    expect(repositoryUrl("bitbucket:acme/left")).toBe("https://bitbucket.org/acme/left");
    expect(repositoryUrl("gist:11081aaa281")).toBe("https://gist.github.com/11081aaa281");
    expect(repositoryUrl("git+https://github.com/acme/left.git")).toBe("git+https://github.com/acme/left.git");
    expect(repositoryUrl("left")).toBe("left");
  });

  it("reads dependency sections, optional peers and both workspace forms, ignoring wrong types", () => {
    const m = manifestFromJson({
      name: "x",
      version: 1,
      dependencies: { a: "^1", b: 2 },
      peerDependencies: { p: "*" },
      peerDependenciesMeta: { p: { optional: true }, q: "yes" },
      workspaces: { packages: ["packages/*", 3] },
      resolutions: { "**/trim": "1.0.1" },
    });
    expect(m).toMatchObject({ name: "x", version: undefined, dependencies: [["a", "^1"]], peerDependencies: [["p", "*"]], workspaces: ["packages/*"], resolutions: [["**/trim", "1.0.1"]] });
    expect([...m.optionalPeers]).toEqual(["p"]);
  });

  it("treats an unparsable package.json as absent, with a warning", () => {
    const warnings: string[] = [];
    const ctx: CatalogContext = { readFile: (p) => ({ "a/package.json": "{", "b/package.json": "[]" })[p], listDir: () => [], warn: (m) => warnings.push(m) };
    expect(readManifest(ctx, "a/package.json")).toBeUndefined();
    expect(readManifest(ctx, "b/package.json")).toBeUndefined();
    expect(readManifest(ctx, "c/package.json")).toBeUndefined();
    expect(warnings).toEqual(["a/package.json is not valid JSON; its metadata is ignored", "b/package.json is not a JSON object; its metadata is ignored"]);
  });
});
