import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { maven } from "./maven.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

/**
 * osv-scalibr's generated file was sorted with maven-artifact 3.8.6. Maven 3.8.7 and 3.9 changed ComparableVersion
 * (MNG-7559: a qualifier after "." starts a sublist as after "-", so `1.0.0.RC1` = `1.0.0-RC1`; a list is compared
 * with a missing item by all its items): these lines are in the order 3.8.6 gave, and every one is the other way
 * round in maven-artifact 3.8.7 and 3.9.6 (checked by running both; maven-versions-current.txt holds their order).
 * vouch orders versions as the Maven people run today does. The hand-written `1-1 = 1-ga-1` is the POM reference's
 * example, which no maven-artifact release implements (3.0, 3.2.5, 3.8.7 and 3.9.6 all give `1-1 > 1-ga-1`).
 */
const MAVEN_3_8_6_ONLY = "the order of maven-artifact 3.8.6, reversed since 3.8.7 (MNG-7559)";
const KNOWN_DIFFERENCES = new Map<string, string>([
  ["1-1 = 1-ga-1", "the POM reference's example; every maven-artifact release gives 1-1 > 1-ga-1"],
  ...[
    "1.0.0-RC16 < 1.0.0.RC8-beta",
    "1.0.0-gradle-rework-beta3 < 1.0.0.RC7-3",
    "2.9.0-1 < 2.9.0.RC1",
    "6.1.12.rc5 < 6.1.12rc1",
    "1.1.31.sec10 < 1.1.31_noneautotype",
    "1.1.34.sec10 < 1.1.34_noneautotype",
    "1.1.46.sec10 < 1.1.46_noneautotype",
    "1.2.8.sec10_noneautotype < 1.2.8_noneautotype",
    "1.2.31.sec10 < 1.2.31_noneautotype",
    "1.2.48.sec10 < 1.2.48_noneautotype",
    "1.2.50.sec10 < 1.2.50_noneautotype",
    "1.2.54.sec10 < 1.2.54_noneautotype",
    "1.2.57.sec10 < 1.2.57_noneautotype",
    "1.2.60.sec10 < 1.2.60_noneautotype",
    "1.2.67.sec10 < 1.2.67_noneautotype",
    "1.0.0rc0 < 1.0.beta8",
    "1.5.9.RC1 < 1.5.9-RC0",
    "1.1.0-01-glassfish < 1.1.0.Beta1",
  ].map((line): [string, string] => [line, MAVEN_3_8_6_ONLY]),
]);

describe("maven", () => {
  it("passes every comparison in osv-scalibr's maven-versions.txt", () => {
    const cases = fixture("maven-versions.txt");
    expect(cases.length).toBe(102);
    expect(checkComparisons(maven, cases, KNOWN_DIFFERENCES)).toEqual([]);
  });

  it("passes every comparison in maven-versions-generated.txt (sorted by maven-artifact 3.8.6) but the 18 listed", () => {
    const cases = fixture("maven-versions-generated.txt");
    expect(cases.length).toBe(14_752);
    expect(checkComparisons(maven, cases, KNOWN_DIFFERENCES)).toEqual([]);
  });

  it("orders as maven-artifact 3.8.7 and 3.9.6 do (maven-versions-current.txt, generated with them)", () => {
    const cases = fixture("maven-versions-current.txt");
    expect(cases.length).toBe(51);
    expect(checkComparisons(maven, cases)).toEqual([]);
    expect(maven.compare("2.9.0.RC1", "2.9.0-1")).toBeLessThan(0);
    expect(maven.compare("6.1.12rc1", "6.1.12.rc5")).toBeLessThan(0);
  });

  it("orders the qualifiers as the POM reference specifies", () => {
    const chain = ["1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp", "1-abc", "1-xyz", "1-1", "1.1"];
    expect([...chain].reverse().sort(maven.compare)).toEqual(chain);
    expect(maven.compare("1-cr", "1-RC")).toBe(0);
    expect(maven.compare("1.0-GA", "1")).toBe(0);
  });

  it("orders Log4Shell's boundaries (GHSA-jfh8-c2jp-5v3q)", () => {
    const chain = ["2.0-beta9", "2.0-rc1", "2.0", "2.3", "2.3.1", "2.4", "2.12.1", "2.12.2", "2.13.0", "2.14.1", "2.15.0"];
    expect([...chain].reverse().sort(maven.compare)).toEqual(chain);
    expect(maven.compare("2.3.0", "2.3")).toBe(0);
  });

  it("compares numbers of any size exactly", () => {
    expect(maven.compare("1.9007199254740993", "1.9007199254740992")).toBeGreaterThan(0);
    expect(maven.compare("20230101120000", "9")).toBeGreaterThan(0);
  });

  it("refuses the empty string; isValid refuses what Maven's model validator refuses", () => {
    expect(() => maven.compare("", "1")).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }));
    for (const ok of ["1", "1.0-SNAPSHOT", "2.0.0.Final", "1.0.0-2021-05-17T01-01-51-5ec03a8b"]) {
      expect(maven.isValid(ok), ok).toBe(true);
    }
    for (const bad of ["", "1.0 beta", "1:0", "1/0", "${project.version}x*"]) expect(maven.isValid(bad), bad).toBe(false);
  });
});
