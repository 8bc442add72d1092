import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { schemeForEcosystem } from "./index.js";
import { parseRpmVersion, rpm, rpmvercmp } from "./rpm.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("rpm", () => {
  it("passes every comparison in osv-scalibr's redhat-versions.txt", () => {
    const cases = fixture("redhat-versions.txt");
    expect(cases.length).toBe(165);
    expect(checkComparisons(rpm, cases)).toEqual([]);
  });

  it("rpmvercmp: rpm's own test cases (tests/rpmvercmp.at)", () => {
    const cases: [string, string, number][] = [
      ["1.0", "1.0", 0], ["1.0", "2.0", -1], ["2.0.1", "2.0", 1], ["2.0.1a", "2.0.1", 1], ["5.5p1", "5.5p10", -1],
      ["10xyz", "10.1xyz", -1], ["xyz10", "xyz10.1", -1], ["xyz.4", "8", -1], ["5.6p1", "6.5p1", -1],
      ["6.0.rc1", "6.0", 1], ["10b2", "10a1", 1], ["1.0aa", "1.0a", 1], ["10.0001", "10.1", 0],
      ["4.999.9", "5.0", -1], ["2_0", "2.0", 0], ["a+", "a_", 0], ["+", "_", 0],
      ["1.0~rc1", "1.0", -1], ["1.0~rc1~git123", "1.0~rc1", -1], ["1.0~rc1", "1.0arc1", -1],
      ["1.0^", "1.0", 1], ["1.0^git1", "1.01", -1], ["1.0^20160101", "1.0.1", -1], ["1.0^20160102", "1.0^20160101^git1", 1],
      ["1.0~rc1^git1", "1.0~rc1", 1], ["1.0^git1~pre", "1.0^git1", -1],
    ];
    for (const [a, b, want] of cases) {
      expect(rpmvercmp(a, b), `${a} vs ${b}`).toBe(want);
      expect(rpmvercmp(b, a), `${b} vs ${a}`).toBe(want === 0 ? 0 : -want);
    }
  });

  it("orders real EVRs from Red Hat, Rocky, Alma and SUSE advisories", () => {
    const chain = [
      "4.18.0-477.10.1.el8_8", "4.18.0-477.13.1.el8_8", "4.18.0-513.5.1.el8_9", "0:4.18.0-513.24.1.el8_9",
      "1:4.18.0-80.el8", "1:1.0.0-1.el9",
    ];
    expect([...chain].reverse().sort(rpm.compare)).toEqual(chain.slice(0, 4).concat(["1:1.0.0-1.el9", "1:4.18.0-80.el8"]));
    expect(rpm.compare("1.1.1k-12.el8_9", "1:1.1.1k-12.el8_9")).toBeLessThan(0);
    expect(rpm.compare("3.0.7-25.el9_3", "3.0.7-25.el9_3.alma.1")).toBeLessThan(0);
    expect(rpm.compare("2.31-150300.63.1", "2.31-150300.46.1")).toBeGreaterThan(0);
    expect(rpm.compare("0:2.2.2-1.el9", "2.2.2-1.el9")).toBe(0);
  });

  it("splits epoch, version and release as osv-scanner does", () => {
    expect(parseRpmVersion("2:1.0-3.el9")).toEqual({ epoch: "2", version: "1.0", release: "3.el9" });
    expect(parseRpmVersion("1.0")).toEqual({ epoch: "0", version: "1.0", release: undefined });
    expect(parseRpmVersion(":1.0-")).toEqual({ epoch: "0", version: "1.0", release: "" });
    // a colon after anything but digits is part of the version
    expect(parseRpmVersion("1.m+e2:1")).toEqual({ epoch: "0", version: "1.m+e2:1", release: undefined });
    // a version without a release sorts before the same version with one
    expect(rpm.compare("1.0", "1.0-1")).toBeLessThan(0);
  });

  it("never throws; isValid refuses only empty strings and whitespace", () => {
    expect(rpm.compare("", "1")).toBeLessThan(0);
    expect(rpm.compare("", "")).toBe(0);
    expect(rpm.isValid("1:2.3-4.el9")).toBe(true);
    expect(rpm.isValid("1.0^git1~pre")).toBe(true);
    for (const bad of ["", "1.0 1", "1.0\n"]) expect(rpm.isValid(bad), JSON.stringify(bad)).toBe(false);
  });

  it("is the scheme of Red Hat, Rocky Linux, AlmaLinux, openSUSE, SUSE", () => {
    for (const e of ["Red Hat:enterprise_linux:9::appstream", "Rocky Linux:9", "AlmaLinux:8", "openSUSE:Tumbleweed", "SUSE:Linux Enterprise Server 15 SP5"]) expect(schemeForEcosystem(e)?.name, e).toBe("rpm");
  });
});
