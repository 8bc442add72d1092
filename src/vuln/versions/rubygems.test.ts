import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { schemeForEcosystem } from "./index.js";
import { rubygems } from "./rubygems.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("rubygems", () => {
  it("passes every comparison in osv-scalibr's rubygems-versions.txt", () => {
    const cases = fixture("rubygems-versions.txt");
    expect(cases.length).toBe(25);
    expect(checkComparisons(rubygems, cases)).toEqual([]);
  });

  it("passes every comparison in rubygems-versions-generated.txt (Gem::Version over the OSV export)", () => {
    const cases = fixture("rubygems-versions-generated.txt");
    expect(cases.length).toBe(4098);
    expect(checkComparisons(rubygems, cases)).toEqual([]);
  });

  it("orders pre-releases (any letter) before the release, and drops trailing zeros", () => {
    const chain = ["1.0.a", "1.0.a.1", "1.0.b1", "1.0.beta", "1.0.pre", "1.0.rc1", "1.0", "1.0.1", "1.1", "1.10"];
    expect([...chain].reverse().sort(rubygems.compare)).toEqual(chain);
    expect(rubygems.compare("1.0.0", "1")).toBe(0);
    expect(rubygems.compare("1.0.a.0", "1.a")).toBe(0);
    expect(rubygems.compare("1.0.a2", "1.0.a.2")).toBe(0);
  });

  it("reads '-' as '.pre.' and compares numbers of any size", () => {
    expect(rubygems.compare("1.0-1", "1.0.pre.1")).toBe(0);
    expect(rubygems.compare("1.0-1", "1.0")).toBeLessThan(0);
    expect(rubygems.compare("7.0.8.99999999999999999999", "7.0.8.99999999999999999998")).toBeGreaterThan(0);
    expect(rubygems.compare("", "0")).toBe(0);
    expect(rubygems.compare("  1.2 ", "1.2")).toBe(0);
  });

  it("isValid is Gem::Version.correct?; compare still orders what RubyGems refuses", () => {
    for (const ok of ["1", "1.2.3", "1.0.0.rc1", "1.0.a10", "2.0.0-x86-linux", "", " 1.0 ", "1.0-beta.1"]) {
      expect(rubygems.isValid(ok), JSON.stringify(ok)).toBe(true);
    }
    for (const bad of ["1beta", "v1.0", "1..0", "1.0_1", "1.0-", "a", "1.0 beta"]) {
      expect(rubygems.isValid(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(rubygems.compare("1beta", "1.beta")).toBe(0);
    expect(rubygems.compare("1", "1beta")).toBeGreaterThan(0);
  });

  it("is the scheme of RubyGems", () => {
    for (const e of ["RubyGems"]) expect(schemeForEcosystem(e)?.name, e).toBe("rubygems");
  });
});
