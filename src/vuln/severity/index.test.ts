import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { SEVERITY_BUCKETS, scoreSeverity, severityBucket, worstSeverity } from "./index.js";

describe("severityBucket (CVSS v3.1 section 5, v4.0 section 6)", () => {
  it.each([
    [0, "none"],
    [0.1, "low"],
    [3.9, "low"],
    [4.0, "medium"],
    [6.9, "medium"],
    [7.0, "high"],
    [8.9, "high"],
    [9.0, "critical"],
    [10.0, "critical"],
  ])("%d is %s", (score, bucket) => {
    expect(severityBucket(score)).toBe(bucket);
  });

  it("refuses a number that is not a CVSS score", () => {
    for (const bad of [-0.1, 10.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(thrownVouchError(() => severityBucket(bad)).code).toBe("INPUT_MALFORMED");
    }
  });

  it("lists the buckets from least to most severe", () => {
    expect(SEVERITY_BUCKETS).toEqual(["none", "low", "medium", "high", "critical"]);
  });
});

describe("scoreSeverity", () => {
  it("scores CVSS_V3 by the base score and CVSS_V4 by the v4.0 score", () => {
    expect(scoreSeverity({ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" })).toEqual({
      type: "CVSS_V3",
      vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
      version: "3.1",
      score: 10,
      bucket: "critical",
    });
    // a v3.1 vector with temporal metrics is still ranked by its base score
    expect(scoreSeverity({ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U" }).score).toBe(9.8);
    expect(
      scoreSeverity({ type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U" }),
    ).toMatchObject({ version: "4.0", score: 8.1, bucket: "high" });
  });

  it("refuses a vector whose version does not match the entry's type", () => {
    const v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    const v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    expect(thrownVouchError(() => scoreSeverity({ type: "CVSS_V3", score: v4 })).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => scoreSeverity({ type: "CVSS_V4", score: v3 })).code).toBe("INPUT_MALFORMED");
  });

  it("does not score CVSS_V2 or Ubuntu entries (INPUT_UNSUPPORTED_FORMAT)", () => {
    expect(thrownVouchError(() => scoreSeverity({ type: "CVSS_V2", score: "AV:N/AC:L/Au:N/C:P/I:P/A:P" })).code).toBe(
      "INPUT_UNSUPPORTED_FORMAT",
    );
    expect(thrownVouchError(() => scoreSeverity({ type: "Ubuntu", score: "medium" })).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });
});

describe("worstSeverity", () => {
  const V3_CRITICAL = { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }; // 9.8
  const V4_CRITICAL = { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" }; // 9.3
  const V3_HIGH = { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" }; // 7.5
  const V4_HIGH = { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N" }; // 8.7

  it("takes the highest score across v3 and v4 entries", () => {
    expect(worstSeverity([V4_CRITICAL, V3_CRITICAL, V3_HIGH]).worst).toMatchObject({ score: 9.8, version: "3.1" });
    expect(worstSeverity([V3_HIGH, V4_HIGH]).worst).toMatchObject({ score: 8.7, version: "4.0", bucket: "high" });
  });

  it("breaks a tie by the newer CVSS version, then by the earlier entry", () => {
    const v30 = { type: "CVSS_V3", score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" }; // 7.5
    expect(worstSeverity([v30, V3_HIGH]).worst).toMatchObject({ version: "3.1" });
    expect(worstSeverity([V3_HIGH, v30]).worst).toMatchObject({ version: "3.1" });
    const again = { type: "CVSS_V3", score: "CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:N/A:N" }; // 7.5, reordered
    expect(worstSeverity([V3_HIGH, again]).worst?.vector).toBe(V3_HIGH.score);
  });

  it("reports a bad entry without letting it hide the good ones", () => {
    const result = worstSeverity([
      { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H" },
      { type: "CVSS_V2", score: "AV:N/AC:L/Au:N/C:C/I:C/A:C" },
      V3_HIGH,
    ]);
    expect(result.worst).toMatchObject({ score: 7.5 });
    expect(result.scored).toHaveLength(1);
    expect(result.skipped.map((s) => s.error.code)).toEqual(["INPUT_MALFORMED", "INPUT_UNSUPPORTED_FORMAT"]);
  });

  it("has no worst for no entries", () => {
    expect(worstSeverity([])).toEqual({ worst: undefined, scored: [], skipped: [] });
  });

  it("scores the severity arrays of the OSV records in ../shared/testdata/osv", () => {
    // GHSA-jfh8-c2jp-5v3q (Log4Shell): database_specific.severity CRITICAL
    expect(worstSeverity([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" }]).worst?.bucket).toBe(
      "critical",
    );
    // GHSA-269g-pwp5-87pp (junit): MODERATE
    expect(worstSeverity([{ type: "CVSS_V3", score: "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:N/A:N" }]).worst?.bucket).toBe(
      "medium",
    );
    // GHSA-p6mc-m468-83gw (lodash): HIGH
    expect(worstSeverity([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H" }]).worst?.bucket).toBe(
      "high",
    );
    // RUSTSEC-2021-0078 (hyper): no label in the record; 5.3
    expect(worstSeverity([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N" }]).worst?.bucket).toBe(
      "medium",
    );
  });
});
