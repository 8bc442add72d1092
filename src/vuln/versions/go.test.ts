import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { go, goReleaseToSemver } from "./go.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("go", () => {
  it("passes every comparison in go-versions.txt (pseudo-versions, +incompatible, Go releases)", () => {
    const cases = fixture("go-versions.txt");
    expect(cases.length).toBe(35);
    expect(checkComparisons(go, cases)).toEqual([]);
  });

  it("passes osv-scalibr's semver-versions.txt, as Go ranges are SEMVER", () => {
    expect(checkComparisons(go, fixture("semver-versions.txt"))).toEqual([]);
  });

  it("reads Go release names as the Go vulnerability database writes them", () => {
    expect(goReleaseToSemver("1.21rc2")).toBe("1.21.0-rc.2");
    expect(goReleaseToSemver("go1.9beta1")).toBe("1.9.0-beta.1");
    expect(goReleaseToSemver("1.20")).toBe("1.20.0");
    expect(goReleaseToSemver("1.2.3-pre")).toBe("1.2.3-pre");
  });

  it("isValid: canonical module versions (with or without v) and Go release names", () => {
    for (const ok of ["v1.2.3", "1.2.3", "0.0.0-20191109021931-daa7c04131f5", "v2.0.0+incompatible", "1.21rc2", "go1.21.5"]) {
      expect(go.isValid(ok), ok).toBe(true);
    }
    for (const bad of ["v1.2.3+build", "v1.0.0+incompatible", "1.2.3.4", "latest", "", "master"]) {
      expect(go.isValid(bad), bad).toBe(false);
    }
    expect(() => go.compare("master", "1.0.0")).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }));
  });
});
