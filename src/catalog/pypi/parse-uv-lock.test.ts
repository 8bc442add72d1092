import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, pkg } from "../../../test/support/parse.js";
import { pypiCatalogers } from "./index.js";
import { parseUvLock, uvLockCataloger } from "./parse-uv-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "pypi");
const sha256 = (s: string) => ({ alg: "SHA-256", content: createHash("sha256").update(s).digest("hex") });
const sorted = <T extends { content: string }>(list: T[]) => [...list].sort((a, b) => (a.content < b.content ? -1 : 1));

/** Parse <root>/uv.lock with <root> as the source root. */
const parseDir = (root: string) => parseFixtureFile(parseUvLock, root, "uv.lock");
const malformed = (dir: string) => malformedError(() => parseDir(join(FIXTURES, dir)));

describe("pypi uv.lock cataloger", () => {
  it("matches uv.lock only", () => {
    expect(uvLockCataloger.matches("uv.lock")).toBe(true);
    expect(uvLockCataloger.matches("python/uv.lock")).toBe(true);
    expect(uvLockCataloger.matches("uv.toml")).toBe(false);
  });

  describe("workspace with extras, dev groups, forked versions and a git source", () => {
    const result = parseDir(join(FIXTURES, "uv-workspace"));

    it("makes the member at '.' the project (metadata from pyproject.toml) and other members workspaces", () => {
      expect(result.project).toEqual({
        name: "Acme-App",
        version: "2.0.0",
        ecosystem: "pypi",
        purl: "pkg:pypi/acme-app@2.0.0",
        licenseDeclared: "MIT",
        description: "The Acme application",
        externalRefs: [{ type: "vcs", url: "https://github.com/example/acme-app" }],
      });
      expect(result.workspaces).toEqual([
        {
          project: { name: "acme-lib", version: "0.3.0", ecosystem: "pypi", purl: "pkg:pypi/acme-lib@0.3.0" },
          id: "uv-workspace:packages/acme-lib:acme-lib",
          directDependencies: ["pkg:pypi/idna@3.7"],
        },
      ]);
      expect(result.packages.map((p) => p.name)).not.toContain("acme-app");
      expect(result.packages.map((p) => p.name)).not.toContain("acme-lib");
    });

    it("lists the project's direct dependencies: main, extras and dev groups", () => {
      expect(result.directDependencies).toEqual([
        "uv-workspace:packages/acme-lib:acme-lib",
        "pkg:pypi/httpx@0.27.0",
        "pkg:pypi/numpy@1.26.4",
        "pkg:pypi/numpy@2.1.0",
        "pkg:pypi/uvloop@0.19.0",
        "pkg:pypi/pytest@8.2.0",
      ]);
    });

    it("scopes by reachability: dependencies required, optional-dependencies optional, dev groups dev", () => {
      expect(Object.fromEntries(result.packages.map((p) => [p.id, p.scope]))).toEqual({
        "pkg:pypi/h2@4.1.0": "required",
        "pkg:pypi/httpx@0.27.0": "required",
        "pkg:pypi/idna@3.7": "required",
        "pkg:pypi/numpy@1.26.4": "required",
        "pkg:pypi/numpy@2.1.0": "required",
        "pkg:pypi/pytest@8.2.0": "dev",
        "pkg:pypi/pluggy@1.5.0": "dev",
        // httpx[socks] is locked but nothing asks for it: unreachable, kept as required.
        "pkg:pypi/socksio@1.0.0": "required",
        "pkg:pypi/uvloop@0.19.0": "optional",
      });
    });

    it("adds an extra's dependencies as edges only when the extra is asked for", () => {
      expect(pkg(result, "pkg:pypi/httpx@0.27.0").dependsOn).toEqual(["pkg:pypi/idna@3.7", "pkg:pypi/h2@4.1.0"]);
      expect(pkg(result, "pkg:pypi/pytest@8.2.0").dependsOn).toEqual(["pkg:pypi/pluggy@1.5.0"]);
    });

    it("collects the sdist and every wheel hash, and records non-registry sources", () => {
      expect(pkg(result, "pkg:pypi/httpx@0.27.0").hashes).toEqual(sorted([sha256("httpx-sdist"), sha256("httpx-whl")]));
      expect(pkg(result, "pkg:pypi/h2@4.1.0").hashes).toEqual([sha256("h2-sdist")]);
      expect(pkg(result, "pkg:pypi/httpx@0.27.0").properties).toBeUndefined();
      const pluggy = pkg(result, "pkg:pypi/pluggy@1.5.0");
      expect(pluggy.hashes).toEqual([]);
      expect(pluggy.properties).toEqual([
        { name: "vouch:pypi:source", value: `git+https://github.com/pytest-dev/pluggy?rev=1.5.0#${sha256("pluggy").content.slice(0, 40)}` },
      ]);
    });
  });

  it("catalogs the workspace end to end: root project, member as an application depending on idna", () => {
    const out = catalogDirectory(join(FIXTURES, "uv-workspace"));
    expect(out.rootProject).toMatchObject({ name: "Acme-App", version: "2.0.0" });
    const member = out.components.find((c) => c.name === "acme-lib");
    expect(member).toMatchObject({ type: "application", bomRef: "pkg:pypi/acme-lib@0.3.0" });
    expect(out.dependencies).toContainEqual({ ref: "pkg:pypi/acme-lib@0.3.0", dependsOn: ["pkg:pypi/idna@3.7"] });
    expect(out.rootDependsOn).toContain("pkg:pypi/acme-lib@0.3.0");
    expect(out.warnings).toEqual([]);
  });

  it("rejects invalid TOML with its line, and a lockfile version other than 1", () => {
    // The inline table opened on line 5 never closes: smol-toml reports where the text ran out.
    expect(malformed("uv-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 6 });
    expect(malformed("uv-unsupported")).toMatchObject({ code: "INPUT_MALFORMED", message: "uv.lock: unsupported lockfile version 2" });
  });

  it("reads the real ragflow sdk lock: project excluded, test group dev", () => {
    const result = parseDir(join(REAL, "uv-lock-ragflow-sdk-small"));
    expect(result.packages).toHaveLength(25);
    expect(result.project).toMatchObject({ name: "ragflow-sdk", version: "0.25.6", licenseDeclared: "Apache License, Version 2.0" });
    expect(pkg(result, "pkg:pypi/requests@2.32.5").scope).toBe("required");
    expect(pkg(result, "pkg:pypi/pytest@8.4.2").scope).toBe("dev");
  });

  it("catalogs 20,000 packages", () => {
    const lines = ['version = 1', 'revision = 3', '', '[[package]]', 'name = "root"', 'version = "1.0.0"', 'source = { virtual = "." }', 'dependencies = [{ name = "pkg0" }]'];
    for (let i = 0; i < 20_000; i++) {
      const hex = (i % 65536).toString(16).padStart(4, "0").repeat(16);
      lines.push("", "[[package]]", `name = "pkg${i}"`, `version = "1.${i}.0"`, 'source = { registry = "https://pypi.example.invalid/simple" }');
      lines.push(`dependencies = [{ name = "pkg${(i + 1) % 20_000}" }, { name = "pkg${(i + 7) % 20_000}" }]`);
      lines.push(`sdist = { url = "https://files.example.invalid/pkg${i}.tar.gz", hash = "sha256:${hex}", size = 1 }`);
    }
    const out = catalogFiles({ "uv.lock": lines.join("\n") }, pypiCatalogers);
    expect(out.components).toHaveLength(20_000);
    expect(out.components.every((c) => c.scope === "required" && c.hashes.length === 1)).toBe(true);
  });
});
