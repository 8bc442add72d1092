import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { maven, semver } from "../versions/index.js";
import { parseVers, versContains, versScheme } from "./vers.js";

const inRange = (text: string, versions: string[], scheme = semver) => versions.filter((v) => versContains(parseVers(text), v, scheme));

describe("vers ranges", () => {
  it("parses the spec's examples: schemes, comparators, a bare version as =, percent-encoding, *", () => {
    expect(parseVers("vers:npm/1.2.3|>=2.0.0|<5.0.0")).toEqual({
      scheme: "npm",
      any: false,
      constraints: [
        { comparator: "=", version: "1.2.3" },
        { comparator: ">=", version: "2.0.0" },
        { comparator: "<", version: "5.0.0" },
      ],
    });
    expect(parseVers("vers:pypi/*")).toEqual({ scheme: "pypi", any: true, constraints: [] });
    expect(parseVers("vers:deb/!=1%3A2.0-1").constraints).toEqual([{ comparator: "!=", version: "1:2.0-1" }]);
    expect(parseVers("VERS:Maven/ >= 1.0 | < 2.0 ").constraints.map((c) => c.comparator)).toEqual([">=", "<"]);
  });

  it("evaluates containment as the spec's algorithm: equality, exclusions, leading and trailing bounds, intervals", () => {
    const versions = ["0.9.0", "1.0.0", "1.2.3", "1.5.0", "2.0.0", "3.0.0", "4.9.9", "5.0.0", "6.0.0"];
    expect(inRange("vers:npm/1.2.3|>=2.0.0|<5.0.0", versions)).toEqual(["1.2.3", "2.0.0", "3.0.0", "4.9.9"]);
    expect(inRange("vers:npm/<1.2.3", versions)).toEqual(["0.9.0", "1.0.0"]);
    expect(inRange("vers:npm/<=1.2.3", versions)).toEqual(["0.9.0", "1.0.0", "1.2.3"]);
    expect(inRange("vers:npm/>5.0.0", versions)).toEqual(["6.0.0"]);
    expect(inRange("vers:npm/<1.0.0|>=3.0.0|<5.0.0|>5.0.0", versions)).toEqual(["0.9.0", "3.0.0", "4.9.9", "6.0.0"]);
    expect(inRange("vers:npm/>=1.0.0|!=1.5.0|<3.0.0", versions)).toEqual(["1.0.0", "1.2.3", "2.0.0"]);
    expect(inRange("vers:npm/!=1.5.0", versions)).toEqual([]);
    expect(inRange("vers:npm/*", versions)).toEqual(versions);
    // Constraints out of order are sorted first.
    expect(inRange("vers:npm/<5.0.0|>=2.0.0", versions)).toEqual(["2.0.0", "3.0.0", "4.9.9"]);
  });

  it("orders versions in the scheme vers names (Maven: 2.0-beta9 < 2.0)", () => {
    expect(versScheme("maven")).toBe(maven);
    expect(inRange("vers:maven/>=2.0|<2.17.1", ["2.0-beta9", "2.0", "2.16.0", "2.17.1"], maven)).toEqual(["2.0", "2.16.0"]);
    expect(versScheme("generic")).toBeUndefined();
  });

  it("refuses malformed ranges, saying what is wrong", () => {
    for (const [text, why] of [
      ["npm/>=1", 'must start with "vers:"'],
      ["vers:npm", "needs"],
      ["vers:/>=1", "versioning scheme"],
      ["vers:npm/", "no constraint"],
      ["vers:npm/>=1||<2", "empty constraint"],
      ["vers:npm/*|>=1", '"*" must be the only constraint'],
      ["vers:npm/>=", "has no version"],
      ["vers:npm/%E0%A4%A", "percent-encoded"],
    ] as const) {
      const e = thrownVouchError(() => parseVers(text));
      expect([text, e.code, e.message.includes(why)]).toEqual([text, "INPUT_MALFORMED", true]);
    }
  });
});
