import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { malformedError, parseFixtureFile, pkg, scopes } from "../../../test/support/parse.js";
import { parsePdmLock, pdmLockCataloger } from "./parse-pdm-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "pypi");
const sha256 = (s: string) => ({ alg: "SHA-256", content: createHash("sha256").update(s).digest("hex") });
const sorted = <T extends { content: string }>(list: T[]) => [...list].sort((a, b) => (a.content < b.content ? -1 : 1));

/** Parse <root>/pdm.lock with <root> as the source root. */
const parseDir = (root: string) => parseFixtureFile(parsePdmLock, root, "pdm.lock");
const malformed = (dir: string) => malformedError(() => parseDir(join(FIXTURES, dir)));

describe("pypi pdm.lock cataloger", () => {
  it("matches pdm.lock only", () => {
    expect(pdmLockCataloger.matches("pdm.lock")).toBe(true);
    expect(pdmLockCataloger.matches("x/pdm.lock")).toBe(true);
    expect(pdmLockCataloger.matches("pdm.toml")).toBe(false);
  });

  describe("lock_version 4.5 with per-package groups", () => {
    const result = parseDir(join(FIXTURES, "pdm-groups"));

    it("collapses entries that differ only by extras into one component with every hash", () => {
      expect(result.packages.map((p) => p.id)).toEqual([
        "pkg:pypi/annotated-types@0.7.0",
        "pkg:pypi/typing-extensions@4.12.2",
        "pkg:pypi/email-validator@2.2.0",
        "pkg:pypi/idna@3.10",
        "pkg:pypi/coverage@7.6.1",
        "pkg:pypi/tomli@2.0.1",
        "pkg:pypi/pytest@8.3.3",
      ]);
      expect(pkg(result, "pkg:pypi/coverage@7.6.1").hashes).toEqual(sorted([sha256("cov"), sha256("cov-whl")]));
      expect(pkg(result, "pkg:pypi/coverage@7.6.1").dependsOn).toEqual(["pkg:pypi/tomli@2.0.1"]);
    });

    it("scopes by groups: default required, a project extra optional, other groups dev", () => {
      expect(scopes(result)).toEqual({
        "pkg:pypi/annotated-types@0.7.0": "required",
        "pkg:pypi/typing-extensions@4.12.2": "required",
        "pkg:pypi/email-validator@2.2.0": "optional",
        "pkg:pypi/idna@3.10": "optional",
        "pkg:pypi/coverage@7.6.1": "dev",
        "pkg:pypi/tomli@2.0.1": "dev",
        "pkg:pypi/pytest@8.3.3": "dev",
      });
    });

    it("parses PEP 508 dependency strings into edges, and keeps files hashes, summary, git source", () => {
      expect(pkg(result, "pkg:pypi/annotated-types@0.7.0")).toMatchObject({
        dependsOn: ["pkg:pypi/typing-extensions@4.12.2"],
        hashes: sorted([sha256("at-whl"), sha256("at-sdist")]),
        description: "Reusable constraint types to use with typing.Annotated",
      });
      expect(pkg(result, "pkg:pypi/pytest@8.3.3").properties).toEqual([
        { name: "vouch:pypi:source", value: `git+https://github.com/pytest-dev/pytest.git@${sha256("pytest").content.slice(0, 40)}` },
      ]);
    });

    it("reads the project (dynamic version) and its direct dependencies", () => {
      expect(result.project).toEqual({ name: "pdm-demo", version: "", ecosystem: "pypi", purl: "pkg:pypi/pdm-demo", licenseDeclared: "BSD-3-Clause" });
      expect(result.directDependencies).toEqual(["pkg:pypi/annotated-types@0.7.0", "pkg:pypi/email-validator@2.2.0", "pkg:pypi/coverage@7.6.1", "pkg:pypi/pytest@8.3.3"]);
    });
  });

  it("lock_version 4.3 without groups: reachability from pyproject, self-references expanded", () => {
    const result = parseDir(join(FIXTURES, "pdm-no-groups"));
    expect(scopes(result)).toEqual({
      "pkg:pypi/rich@13.5.2": "required",
      "pkg:pypi/pygments@2.16.1": "required",
      // "nogroups[keyring]" in the `all` extra and "nogroups[all]" in the test group both mean keyring.
      "pkg:pypi/keyring@24.2.0": "optional",
      "pkg:pypi/jaraco-classes@3.3.0": "optional",
      "pkg:pypi/pytest@7.4.0": "dev",
    });
    expect(pkg(result, "pkg:pypi/keyring@24.2.0").dependsOn).toEqual(["pkg:pypi/jaraco-classes@3.3.0"]);
  });

  it("rejects invalid TOML with its line, and an unknown lock_version", () => {
    expect(malformed("pdm-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 3 });
    expect(malformed("pdm-unsupported")).toMatchObject({ code: "INPUT_MALFORMED", message: 'pdm.lock: unsupported lock_version "5.0"' });
  });

  it("reads the real pydantic lock: extras collapsed, email/timezone extras optional", () => {
    const result = parseDir(join(REAL, "pdm-lock-4.5.0-pydantic"));
    expect(result.packages).toHaveLength(109);
    expect(pkg(result, "pkg:pypi/email-validator@2.2.0").scope).toBe("optional");
    expect(pkg(result, "pkg:pypi/pydantic-core@2.26.0").scope).toBe("required");
    expect(result.warnings).toEqual([]);
  });
});
