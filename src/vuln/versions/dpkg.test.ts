import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { schemeForEcosystem } from "./index.js";
import { dpkg, parseDpkgVersion } from "./dpkg.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("dpkg", () => {
  it("passes every comparison in osv-scalibr's debian-versions.txt", () => {
    const cases = fixture("debian-versions.txt");
    expect(cases.length).toBe(30);
    expect(checkComparisons(dpkg, cases)).toEqual([]);
  });

  it("passes every comparison in debian-versions-generated.txt (dpkg --compare-versions over the OSV export)", () => {
    const cases = fixture("debian-versions-generated.txt");
    expect(cases.length).toBe(14442);
    expect(checkComparisons(dpkg, cases)).toEqual([]);
  });

  it("orders ~ before the end, the end before letters, letters before other characters", () => {
    const chain = ["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0-1", "1.0a", "1.0+", "1.0.1", "1:0.9"];
    expect([...chain].reverse().sort(dpkg.compare)).toEqual(chain);
    expect(dpkg.compare("1.2.3-1~deb12u1", "1.2.3-1")).toBeLessThan(0);
    expect(dpkg.compare("2.36-9+deb12u4", "2.36-9+deb12u10")).toBeLessThan(0);
    expect(dpkg.compare("1.0-1ubuntu0.22.04.1", "1.0-1")).toBeGreaterThan(0);
  });

  it("compares numbers of any size and ignores leading zeros", () => {
    expect(dpkg.compare("1.99999999999999999999", "1.99999999999999999998")).toBeGreaterThan(0);
    expect(dpkg.compare("1.010", "1.10")).toBe(0);
    expect(dpkg.compare("007:1", "7:1")).toBe(0);
  });

  it("splits the revision at the last hyphen and the epoch at the first colon", () => {
    expect(parseDpkgVersion("1:2.0-beta-3")).toEqual({ epoch: 1, upstream: "2.0-beta", revision: "3" });
    expect(parseDpkgVersion(" 2:1:2.3 ")).toMatchObject({ epoch: 2, upstream: "1:2.3", revision: "" });
    expect(dpkg.compare("1.0", "1.0-0")).toBe(0);
  });

  it("refuses what dpkg refuses, with INPUT_MALFORMED", () => {
    for (const bad of ["", "  ", "1.0 1", ":1.0", "a:1.0", "-1:1.0", "1:", "1.0-", "-1", "1:-1", "99999999999:1"]) {
      expect(() => dpkg.compare(bad, "1.0"), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }));
      expect(dpkg.isValid(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("compares what dpkg only warns about, but isValid is false for it", () => {
    expect(dpkg.compare("a1.0", "1.0")).toBeGreaterThan(0);
    expect(dpkg.isValid("a1.0")).toBe(false);
    expect(dpkg.isValid("1.0_1")).toBe(false);
    expect(dpkg.isValid("1.0-1:2")).toBe(false);
    expect(dpkg.compare("1.0_1", "1.0.1")).toBeGreaterThan(0); // "_" (0x5f) after "." (0x2e)
    for (const ok of ["0", "1:2.36-9+deb12u4", "2.7.4+reloaded2-13ubuntu1", "1.0~rc1-1~bpo11+1", "1:2:3-4"]) {
      expect(dpkg.isValid(ok), ok).toBe(true);
    }
  });

  it("compares non-ASCII characters by their UTF-8 bytes, after every ASCII character", () => {
    expect(dpkg.compare("1.0é", "1.0~")).toBeGreaterThan(0);
    expect(dpkg.compare("1.0é", "1.0+")).toBeGreaterThan(0);
    expect(dpkg.compare("1.0é", "1.0ü")).toBeLessThan(0);
  });

  it("is the scheme of Debian, Debian, Ubuntu, Ubuntu", () => {
    for (const e of ["Debian:12", "Debian:11", "Ubuntu:22.04:LTS", "Ubuntu:Pro:18.04:LTS"]) expect(schemeForEcosystem(e)?.name, e).toBe("dpkg");
  });
});
