import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { schemeForEcosystem } from "./index.js";
import { packagist, packagistParts } from "./packagist.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("packagist", () => {
  it("passes every comparison in osv-scalibr's packagist-versions.txt", () => {
    const cases = fixture("packagist-versions.txt");
    expect(cases.length).toBe(95);
    expect(checkComparisons(packagist, cases)).toEqual([]);
  });

  it("passes every comparison in packagist-versions-generated.txt (version_compare over the OSV export)", () => {
    const cases = fixture("packagist-versions-generated.txt");
    expect(cases.length).toBe(10630);
    expect(checkComparisons(packagist, cases)).toEqual([]);
  });

  it("canonicalises as version_compare does", () => {
    expect(packagistParts("v1.0.0-RC1")).toEqual(["1", "0", "0", "RC", "1"]);
    expect(packagistParts("1.0rc1")).toEqual(["1", "0", "rc", "1"]);
    expect(packagistParts("2.0_beta+3")).toEqual(["2", "0", "beta", "3"]);
  });

  it("orders dev < alpha < beta < RC < release < patch, unknown words lowest", () => {
    const chain = ["1.0-foo", "1.0-dev", "1.0-alpha1", "1.0a2", "1.0-beta", "1.0-b2", "1.0-RC1", "1.0rc2", "1.0", "1.0.0", "1.0.1", "1.0-pl1", "1.0-p2"];
    expect([...chain].reverse().sort(packagist.compare)).toEqual(chain);
    expect(packagist.compare("v5.4.1", "5.4.1")).toBe(0);
    // version_compare ranks a patch word above a number in the same place (Composer would first pad both to four
    // numbers); osv.dev and osv-scanner compare the versions as written, as here
    expect(packagist.compare("1.0-patch1", "1.0.1")).toBeGreaterThan(0);
    expect(packagist.compare("1.0.0-patch1", "1.0.1")).toBeLessThan(0);
    expect(packagist.compare("1.0-patch1", "1.0")).toBeGreaterThan(0);
    expect(packagist.compare("", "0")).toBeLessThan(0);
  });

  it("isValid follows Composer's release-version grammar", () => {
    for (const ok of ["1", "v1.2.3", "1.2.3.4", "1.0.0-beta.2", "1.0RC1", "2.0-patch1", "1.0.0-dev", "1.0.x-dev", "20230101", "1.0.0+build.1", "V2.0"]) {
      expect(packagist.isValid(ok), ok).toBe(true);
    }
    for (const bad of ["", "dev-main", "1.0-foo", "latest", " 1.0", "1.2.3.4.5", "1..2"]) {
      expect(packagist.isValid(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("is the scheme of Packagist", () => {
    for (const e of ["Packagist"]) expect(schemeForEcosystem(e)?.name, e).toBe("packagist");
  });
});
