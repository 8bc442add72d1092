import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { malformedError, parseFixtureFile, pkg } from "../../../test/support/parse.js";
import { parsePipfileLock, pipfileLockCataloger } from "./parse-pipfile-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "pypi");
const sha256 = (s: string) => ({ alg: "SHA-256", content: createHash("sha256").update(s).digest("hex") });

/** Parse <root>/Pipfile.lock with <root> as the source root. */
const parseDir = (root: string) => parseFixtureFile(parsePipfileLock, root, "Pipfile.lock");
const malformed = (dir: string) => malformedError(() => parseDir(join(FIXTURES, dir)));

describe("pypi Pipfile.lock cataloger", () => {
  it("matches Pipfile.lock only", () => {
    expect(pipfileLockCataloger.matches("Pipfile.lock")).toBe(true);
    expect(pipfileLockCataloger.matches("app/Pipfile.lock")).toBe(true);
    expect(pipfileLockCataloger.matches("Pipfile")).toBe(false);
  });

  describe("default and develop sections with a Pipfile beside", () => {
    const result = parseDir(join(FIXTURES, "pipfile-basic"));

    it("reads default as required and develop as dev; a package in both stays required", () => {
      expect(result.packages.map((p) => [p.id, p.scope])).toEqual([
        ["pkg:pypi/django@4.2.7", "required"],
        ["pkg:pypi/asgiref@3.7.2", "required"],
        ["pkg:pypi/mylib", "required"],
        ["pkg:pypi/requests@2.31.0", "required"],
        ["pkg:pypi/pytest@7.4.3", "dev"],
      ]);
      expect(result.project).toBeUndefined();
    });

    it("keeps every well-formed sha256 hash, markers, extras and git references", () => {
      expect(pkg(result, "pkg:pypi/django@4.2.7").hashes).toEqual([sha256("django1"), sha256("django2")].sort((a, b) => (a.content < b.content ? -1 : 1)));
      expect(pkg(result, "pkg:pypi/django@4.2.7").properties).toEqual([{ name: "vouch:pypi:markers", value: "python_version >= '3.8'" }]);
      expect(pkg(result, "pkg:pypi/requests@2.31.0")).toMatchObject({ hashes: [sha256("requests")], properties: [{ name: "vouch:pypi:extras", value: "socks" }] });
      expect(pkg(result, "pkg:pypi/mylib").properties).toEqual([
        { name: "vouch:pypi:source", value: "git+https://github.com/example/mylib.git@0123456789abcdef0123456789abcdef01234567" },
      ]);
    });

    it("takes the Pipfile's [packages] and [dev-packages] as the direct dependencies", () => {
      expect(result.directDependencies).toEqual(["pkg:pypi/django@4.2.7", "pkg:pypi/requests@2.31.0", "pkg:pypi/mylib", "pkg:pypi/pytest@7.4.3"]);
      expect(result.packages.some((p) => p.name === "myproject")).toBe(false);
      expect(result.warnings).toEqual([{ message: 'package "broken" is not an object; skipped', line: undefined }]);
    });
  });

  it("without a Pipfile every locked package is direct", () => {
    const result = parseDir(join(FIXTURES, "pipfile-no-pipfile"));
    expect(result.directDependencies).toEqual(["pkg:pypi/six@1.16.0", "pkg:pypi/mock@5.1.0"]);
    expect(result.packages.map((p) => p.scope)).toEqual(["required", "dev"]);
  });

  it("rejects truncated JSON with its line, and an unknown pipfile-spec", () => {
    expect(malformed("pipfile-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 15 });
    expect(malformed("pipfile-unsupported")).toMatchObject({ code: "INPUT_MALFORMED", message: "Pipfile.lock: unsupported pipfile-spec 99" });
  });

  it("reads the real hellodjango lock", () => {
    const result = parseDir(join(REAL, "pipfile-lock-hellodjango"));
    expect(result.packages).toHaveLength(19);
    expect(pkg(result, "pkg:pypi/fabric@2.5.0").scope).toBe("dev");
    expect(result.directDependencies).toHaveLength(6);
  });
});
