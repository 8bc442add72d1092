import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { semver } from "./semver.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("semver", () => {
  it("passes every comparison in osv-scalibr's semver-versions.txt", () => {
    const cases = fixture("semver-versions.txt");
    expect(cases.length).toBe(86);
    expect(checkComparisons(semver, cases)).toEqual([]);
  });

  it("orders the semver.org §11 example chain", () => {
    const chain = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
      "2.0.0",
      "2.1.0",
      "2.1.1",
    ];
    expect([...chain].reverse().sort(semver.compare)).toEqual(chain);
  });

  it("ignores build metadata and compares numbers of any size exactly", () => {
    expect(semver.compare("1.0.0+20130313144700", "1.0.0+exp.sha.5114f85")).toBe(0);
    expect(semver.compare("1.0.0-rc.1+build.1", "1.0.0-rc.1")).toBe(0);
    expect(semver.compare("9007199254740993.0.0", "9007199254740992.0.0")).toBeGreaterThan(0);
    expect(semver.compare("1.0.0-alpha.9007199254740993", "1.0.0-alpha.9007199254740992")).toBeGreaterThan(0);
    expect(semver.compare("1.0.0-01", "1.0.0-1")).toBe(0);
  });

  it("reads short and prefixed versions leniently, as osv-scanner does", () => {
    expect(semver.compare("1.2", "1.2.0")).toBe(0);
    expect(semver.compare("1", "1.0.0")).toBe(0);
    expect(semver.compare("v1.2.3", "1.2.3")).toBe(0);
    expect(semver.compare("1.0.0rc1", "1.0.0-rc1")).toBe(0);
    expect(semver.compare("1.0.0rc1", "1.0.0")).toBeLessThan(0);
  });

  it("refuses a string with no leading number (INPUT_MALFORMED), never guessing its place", () => {
    for (const bad of ["", "latest", "*", "v", "x.1.2", "^1.2.3"]) {
      expect(() => semver.compare(bad, "1.0.0"), bad).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }));
    }
  });

  it("isValid is strict SemVer 2.0 (an optional leading v aside)", () => {
    for (const ok of ["0.0.0", "1.2.3", "v1.2.3", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x-y-z.--", "1.0.0+build.01"]) {
      expect(semver.isValid(ok), ok).toBe(true);
    }
    for (const bad of ["1.2", "1.2.3.4", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.3-a..b", " 1.2.3", "latest"]) {
      expect(semver.isValid(bad), bad).toBe(false);
    }
  });
});
