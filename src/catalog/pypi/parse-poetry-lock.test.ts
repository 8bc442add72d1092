import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, parseText, pkg, scopes } from "../../../test/support/parse.js";
import { parsePoetryLock, poetryLockCataloger } from "./parse-poetry-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "pypi");
const sha256 = (s: string) => ({ alg: "SHA-256", content: createHash("sha256").update(s).digest("hex") });

/** Parse <root>/poetry.lock with <root> as the source root. */
const parseDir = (root: string) => parseFixtureFile(parsePoetryLock, root, "poetry.lock");
const malformed = (dir: string) => malformedError(() => parseDir(join(FIXTURES, dir)));

describe("pypi poetry.lock cataloger", () => {
  it("matches poetry.lock only", () => {
    expect(poetryLockCataloger.matches("poetry.lock")).toBe(true);
    expect(poetryLockCataloger.matches("sub/poetry.lock")).toBe(true);
    expect(poetryLockCataloger.matches("pyproject.toml")).toBe(false);
  });

  describe("lock-version 1.1: category, [metadata.files]", () => {
    const result = parseDir(join(FIXTURES, "poetry-1.1"));

    it("reads the project from [tool.poetry]", () => {
      expect(result.project).toEqual({
        name: "demo-app",
        version: "0.4.0",
        ecosystem: "pypi",
        purl: "pkg:pypi/demo-app@0.4.0",
        licenseDeclared: "MIT",
        description: "A demo application",
        author: "Jane Doe <jane@example.com>",
        externalRefs: [
          { type: "website", url: "https://example.com/demo" },
          { type: "vcs", url: "https://github.com/example/demo-app" },
        ],
      });
      expect(result.directDependencies).toEqual(["pkg:pypi/cachecontrol@0.12.11", "pkg:pypi/requests@2.28.1", "pkg:pypi/pytest@7.1.3"]);
    });

    it("scopes by category and optional", () => {
      expect(scopes(result)).toEqual({
        "pkg:pypi/cachecontrol@0.12.11": "required",
        "pkg:pypi/lockfile@0.12.2": "required",
        "pkg:pypi/msgpack@1.0.4": "required",
        "pkg:pypi/requests@2.28.1": "required",
        "pkg:pypi/pytest@7.1.3": "dev",
        "pkg:pypi/redis@4.3.4": "optional",
      });
    });

    it("takes hashes from [metadata.files] by normalised name, only this version's files, any algorithm", () => {
      expect(pkg(result, "pkg:pypi/cachecontrol@0.12.11")).toMatchObject({ name: "CacheControl", hashes: [sha256("cc-sdist"), sha256("cc-whl")].sort((a, b) => (a.content < b.content ? -1 : 1)) });
      expect(pkg(result, "pkg:pypi/msgpack@1.0.4").hashes).toEqual([sha256("msgpack-sdist")]);
      expect(pkg(result, "pkg:pypi/pytest@7.1.3").hashes).toEqual([{ alg: "MD5", content: createHash("md5").update("pytest").digest("hex") }]);
      expect(pkg(result, "pkg:pypi/requests@2.28.1").hashes).toEqual([]);
    });

    it("follows an optional dependency only when its extra is asked for", () => {
      // The project asks for cachecontrol[filecache] (lockfile); nobody asks for [redis].
      expect(pkg(result, "pkg:pypi/cachecontrol@0.12.11").dependsOn).toEqual(["pkg:pypi/lockfile@0.12.2", "pkg:pypi/msgpack@1.0.4", "pkg:pypi/requests@2.28.1"]);
      expect(pkg(result, "pkg:pypi/cachecontrol@0.12.11").description).toBe("httplib2 caching for requests");
    });
  });

  describe("lock-version 2.1: groups, several versions of one name, git source", () => {
    const result = parseDir(join(FIXTURES, "poetry-2.1-groups"));

    it("scopes by groups: main is required (optional if optional = true), other groups dev", () => {
      expect(scopes(result)).toEqual({
        "pkg:pypi/numpy@1.24.4": "required",
        "pkg:pypi/numpy@2.0.2": "required",
        "pkg:pypi/rich@13.7.0": "required",
        "pkg:pypi/pygments@2.17.2": "required",
        "pkg:pypi/matplotlib@3.8.2": "optional",
        "pkg:pypi/pytest@8.0.0": "dev",
        "pkg:pypi/internal-lib@0.1.0": "required",
      });
    });

    it("links a dependency to the locked version its constraint pins, else to every locked version", () => {
      expect(pkg(result, "pkg:pypi/matplotlib@3.8.2").dependsOn).toEqual(["pkg:pypi/numpy@1.24.4", "pkg:pypi/numpy@2.0.2"]);
      expect(pkg(result, "pkg:pypi/pytest@8.0.0").dependsOn).toEqual(["pkg:pypi/rich@13.7.0"]);
    });

    it("reads inline files hashes, the git source and the [project] table", () => {
      expect(pkg(result, "pkg:pypi/numpy@2.0.2").hashes).toEqual([sha256("numpy-2.0.2")]);
      expect(pkg(result, "pkg:pypi/internal-lib@0.1.0").properties).toEqual([
        { name: "vouch:pypi:source", value: "git+https://github.com/example/internal-lib.git@0123456789abcdef0123456789abcdef01234567" },
      ]);
      expect(result.project).toMatchObject({ name: "grouped", version: "1.2.3", licenseDeclared: "Apache-2.0", author: "Ann Example <ann@example.com>" });
      expect(result.directDependencies).toEqual(["pkg:pypi/numpy@1.24.4", "pkg:pypi/numpy@2.0.2", "pkg:pypi/rich@13.7.0", "pkg:pypi/matplotlib@3.8.2", "pkg:pypi/pytest@8.0.0"]);
    });
  });

  it("lock-version 2.0 (no category, no groups): scope by reachability from pyproject.toml", () => {
    const result = parseDir(join(FIXTURES, "poetry-2.0-reachability"));
    expect(scopes(result)).toEqual({
      "pkg:pypi/httpx@0.25.2": "required",
      "pkg:pypi/idna@3.6": "required",
      "pkg:pypi/black@23.12.1": "dev",
      "pkg:pypi/click@8.1.7": "dev",
      "pkg:pypi/uvloop@0.19.0": "optional",
    });
    expect(result.directDependencies).toEqual(["pkg:pypi/httpx@0.25.2", "pkg:pypi/uvloop@0.19.0", "pkg:pypi/black@23.12.1"]);
  });

  it("without a pyproject.toml: no project, no direct dependencies, packages still required", () => {
    const text = readFileSync(join(FIXTURES, "poetry-2.0-reachability", "poetry.lock"), "utf8");
    const result = parseText(parsePoetryLock, "poetry.lock", text);
    expect(result.project).toBeUndefined();
    expect(result.directDependencies).toEqual([]);
    expect(scopes(result)["pkg:pypi/black@23.12.1"]).toBe("required");
    expect(scopes(result)["pkg:pypi/uvloop@0.19.0"]).toBe("optional");
  });

  it("skips bad entries with a warning at their line", () => {
    const result = parseDir(join(FIXTURES, "poetry-bad-entry"));
    expect(result.packages.map((p) => p.id)).toEqual(["pkg:pypi/good@1.0.0"]);
    expect(result.warnings).toEqual([
      { message: "[[package]] no-version without a version; skipped", line: 5 },
      { message: "[[package]] without a name; skipped", line: 8 },
    ]);
  });

  it("rejects invalid TOML with its line, and an unknown lock-version", () => {
    expect(malformed("poetry-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 4 });
    expect(malformed("poetry-unsupported")).toMatchObject({ code: "INPUT_MALFORMED", message: 'poetry.lock: unsupported lock-version "3.0"' });
  });

  it("real poetry 1.1 lock: extras-only dependency followed, dev by category", () => {
    const result = parseDir(join(REAL, "poetry-lock-1.1-metadata-files-poetry"));
    expect(result.packages).toHaveLength(82);
    expect(pkg(result, "pkg:pypi/cachecontrol@0.12.11").dependsOn).toContain("pkg:pypi/lockfile@0.12.2");
    expect(pkg(result, "pkg:pypi/pytest@7.1.2").scope).toBe("dev");
    expect(result.project).toMatchObject({ name: "poetry", version: "1.3.0.dev0" });
  });

  it("catalogs the real lock-version 2.1 case end to end with the project as root", () => {
    const out = catalogDirectory(join(REAL, "poetry-lock-2.1-rich-small"));
    expect(out.rootProject).toMatchObject({ name: "rich", version: "14.2.0", purl: "pkg:pypi/rich@14.2.0" });
    expect(out.rootDependsOn).toContain("pkg:pypi/pygments@2.19.2");
    expect(out.components.find((c) => c.name === "pytest")?.scope).toBe("dev");
    expect(out.components.find((c) => c.name === "ipywidgets")?.scope).toBe("optional");
  });
});
