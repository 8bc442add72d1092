import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { maven, pep440, semver } from "../vuln/versions/index.js";
import { inRange, parseRange, rangeVersions } from "./range.js";

describe("parseRange", () => {
  it("reads the forms the issue and users write", () => {
    expect(parseRange("<2.17.1").anyOf).toEqual([[{ op: "<", version: "2.17.1" }]]);
    expect(parseRange(">=2.0.0 <2.17.1").anyOf).toEqual([[{ op: ">=", version: "2.0.0" }, { op: "<", version: "2.17.1" }]]);
    expect(parseRange(">=2.0-beta9, <2.17.1").anyOf).toEqual([[{ op: ">=", version: "2.0-beta9" }, { op: "<", version: "2.17.1" }]]);
    expect(parseRange(">= 2.0 ,<3").anyOf).toEqual([[{ op: ">=", version: "2.0" }, { op: "<", version: "3" }]]);
    expect(parseRange("=2.14.1").anyOf).toEqual([[{ op: "=", version: "2.14.1" }]]);
    expect(parseRange("==2.14.1").anyOf).toEqual([[{ op: "=", version: "2.14.1" }]]);
    expect(parseRange("!=2.16.0").anyOf).toEqual([[{ op: "!=", version: "2.16.0" }]]);
    expect(parseRange("  2.14.1 ").anyOf).toEqual([[{ op: "=", version: "2.14.1" }]]);
    expect(parseRange("<=1 || >2, <3").anyOf).toEqual([[{ op: "<=", version: "1" }], [{ op: ">", version: "2" }, { op: "<", version: "3" }]]);
    expect(parseRange(">1\t<2").text).toBe(">1\t<2");
    // Epochs, build metadata and plus signs are version characters, not syntax.
    expect(parseRange("<1:2.3-4+deb12u1").anyOf).toEqual([[{ op: "<", version: "1:2.3-4+deb12u1" }]]);
  });

  it.each([
    ["", "the range is empty"],
    ["   ", "the range is empty"],
    [">=", "an operator without a version"],
    ["<<1", "an operator without a version"],
    ["=>1", "an operator without a version"],
    [">=1,", "a comma with nothing after it"],
    [">=1,,<2", "unexpected \",<2\" at 5"],
    ["<1 ||", "an empty alternative"],
    ["|| <1", "an empty alternative"],
    ["1.0 2.0", "must stand alone"],
    ["<1\n>0", "control character"],
    ["<1\u0000", "control character"],
    ["~1.2", "npm shorthand"],
    ["^1.2", "npm shorthand"],
    ["*", "npm shorthand"],
    ["<-1", "an operator without a version"],
    [">1 | <2", "unexpected"],
    ["<" + "1".repeat(2000), "at most 1024"],
  ])("refuses %j (INPUT_MALFORMED)", (text, why) => {
    const err = thrownVouchError(() => parseRange(text));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.message).toContain(why);
    expect(err.message.split("\n")).toHaveLength(1);
  });

  it("lists the versions a range names once each", () => {
    expect(rangeVersions(parseRange(">=1 <2 || >=1 <3"))).toEqual(["1", "2", "3"]);
  });
});

describe("inRange", () => {
  const cmp = (s: { compare(a: string, b: string): number }) => (a: string, b: string) => s.compare(a, b);

  it("evaluates the log4j question in Maven order", () => {
    const r = parseRange("<2.17.1");
    expect(inRange(r, "2.14.1", cmp(maven))).toBe(true);
    expect(inRange(r, "2.16.0", cmp(maven))).toBe(true);
    expect(inRange(r, "2.17.1", cmp(maven))).toBe(false);
    expect(inRange(r, "2.17.1-SNAPSHOT", cmp(maven))).toBe(true);
    expect(inRange(r, "2.2", cmp(maven))).toBe(true);
    const lower = parseRange(">=2.0-beta9, <2.17.1");
    expect(inRange(lower, "2.0-beta8", cmp(maven))).toBe(false);
    expect(inRange(lower, "2.0-rc1", cmp(maven))).toBe(true);
    expect(inRange(lower, "1.2.17", cmp(maven))).toBe(false);
  });

  it("uses the scheme's order, not string order", () => {
    // String order would put 2.10.0 before 2.9.0.
    expect(inRange(parseRange(">2.9.0"), "2.10.0", cmp(semver))).toBe(true);
    // PEP 440: a release candidate comes before its release.
    expect(inRange(parseRange("<1.0"), "1.0rc1", cmp(pep440))).toBe(true);
    expect(inRange(parseRange("=1.0.0"), "1.0", cmp(pep440))).toBe(true);
    expect(inRange(parseRange("!=1.0"), "1.0.0", cmp(pep440))).toBe(false);
  });

  it("holds when any alternative holds, each alternative being all its comparators", () => {
    const r = parseRange("<1.2.3 || >=2.0.0 <2.0.5");
    expect(["1.0.0", "1.2.3", "2.0.0", "2.0.5", "3.0.0"].map((v) => inRange(r, v, cmp(semver)))).toEqual([true, false, true, false, false]);
  });

  it("lets a version the scheme cannot read surface as the scheme's error", () => {
    expect(thrownVouchError(() => inRange(parseRange("<1.0.0"), "not-a-version", cmp(semver))).code).toBe("INPUT_MALFORMED");
  });
});
