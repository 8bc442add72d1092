import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { cvss3Score, roundup30, roundup31 } from "./cvss3.js";

/** [vector, base score, where the score comes from] */
type Case = readonly [string, number, string];

// FIRST, "CVSS v3.1: Examples" (the same vectors and scores as the v3.0 examples document).
const SPEC_EXAMPLES: readonly Case[] = [
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "CVE-2013-1937 phpMyAdmin reflected XSS"],
  ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "CVE-2013-0375 MySQL stored SQL injection"],
  ["CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "CVE-2014-3566 SSLv3 POODLE"],
  ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "CVE-2012-1516 VMware guest to host escape"],
  ["CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, "CVE-2009-0783 Apache Tomcat XML parser"],
  ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "CVE-2012-0384 Cisco IOS command injection"],
  ["CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "CVE-2015-1098 Apple iWork denial of service"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "CVE-2014-0160 OpenSSL Heartbleed"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CVE-2014-6271 GNU Bash Shellshock"],
  ["CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, "CVE-2008-1447 DNS Kaminsky bug"],
  ["CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, "CVE-2014-2005 Sophos login screen bypass"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, "CVE-2010-0467 Joomla directory traversal"],
  ["CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3, "CVE-2013-6014 Juniper proxy ARP DoS"],
];

// Scores NVD published for these CVEs with these vectors.
const NVD_PUBLISHED: readonly Case[] = [
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "CVE-2021-44228 Log4Shell"],
  ["CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0, "CVE-2021-45046 Log4j"],
  ["CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.0, "CVE-2016-5195 Dirty COW"],
  ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "CVE-2021-4034 PwnKit"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, "CVE-2023-4863 libwebp heap overflow"],
  ["CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "CVE-2021-23337 lodash template command injection"],
  ["CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "CVE-2017-5638 Apache Struts (a v3.0 vector)"],
];

// Every CVSS vector in ../shared/testdata/osv/*.json, by record (see fixtures/SOURCE.md). The advisory's own
// label is noted where it has one (GHSA database_specific.severity).
const OSV_RECORDS: readonly Case[] = [
  ["CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.0, "ALPINE-CVE-2025-26519 (musl)"],
  ["CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:N/A:N", 4.4, "GHSA-269g-pwp5-87pp (junit; labelled MODERATE)"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "GHSA-86g5-2wh3-gc9j (actionview; HIGH)"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "GHSA-jfh8-c2jp-5v3q (log4j-core; CRITICAL)"],
  ["CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4, "GHSA-p6mc-m468-83gw (lodash; HIGH)"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "GHSA-whgm-jr23-g3j9 (ansi-html; HIGH)"],
  ["CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "RUSTSEC-2018-0010 (openssl crate)"],
  ["CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 6.2, "RUSTSEC-2020-0071 (time)"],
  ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", 5.3, "RUSTSEC-2021-0078 (hyper)"],
];

describe("cvss3Score: base scores", () => {
  it.each([...SPEC_EXAMPLES, ...NVD_PUBLISHED, ...OSV_RECORDS])("%s is %d (%s)", (vector, expected) => {
    expect(cvss3Score(vector).baseScore).toBe(expected);
  });

  it("scores no impact as 0.0 and reads the version from the prefix", () => {
    expect(cvss3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N").baseScore).toBe(0);
    expect(cvss3Score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").version).toBe("3.0");
    expect(cvss3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").version).toBe("3.1");
  });

  it("accepts the metrics in any order (v3.1 section 6: the table order is only preferred)", () => {
    // FIRST's v3.0 calculator scored this reordered vector 3.8 / 3.7 / 3.7 (Red Hat tests/vectors_calculator3)
    const score = cvss3Score("CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/E:F/RL:X");
    expect([score.baseScore, score.temporalScore, score.environmentalScore]).toEqual([3.8, 3.7, 3.7]);
    expect(score.hasTemporal).toBe(true);
    expect(score.hasEnvironmental).toBe(false);
  });
});

describe("cvss3Score: temporal and environmental scores", () => {
  it("matches FIRST's v3.0 calculator on a vector with every environmental metric (vectors_calculator3)", () => {
    const vector =
      "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/IR:H/AR:H/MAV:N/MAC:L/MPR:L/MUI:N/MS:C/MC:H/MI:H/MA:H";
    const score = cvss3Score(vector);
    expect([score.baseScore, score.temporalScore, score.environmentalScore]).toEqual([9.3, 8.9, 9.5]);
    expect(score.hasEnvironmental).toBe(true);
  });

  it("uses the modified metrics: a network bug modified to physical access scores lower", () => {
    const base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    expect(cvss3Score(`${base}/MAV:P`).environmentalScore).toBe(6.8); // = AV:P's base score (CVE-2014-2005 above)
    expect(cvss3Score(`${base}/CR:L/IR:L/AR:L`).environmentalScore).toBe(8.0); // MISS 0.627: impact 4.02 + 3.89
    expect(cvss3Score(`${base}/E:U/RL:O/RC:R`).temporalScore).toBe(8.2); // 9.8 × 0.91 × 0.95 × 0.96 = 8.13, rounded up
  });

  it("v3.1 changed the changed-scope environmental impact: Environmental 9.7 beside Base 9.6 with no M* metric", () => {
    // (MISS × 0.9731 − 0.02)^13 in v3.1, (MISS − 0.02)^15 in v3.0
    expect(cvss3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H")).toMatchObject({ baseScore: 9.6, environmentalScore: 9.7 });
    expect(cvss3Score("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H")).toMatchObject({ baseScore: 9.6, environmentalScore: 9.6 });
  });
});

describe("Roundup: v3.1 Appendix A against v3.0's ceil", () => {
  it("v3.1 does not round floating-point noise up a tenth; v3.0 does", () => {
    // 10 × 0.92 (RC:U) is 9.200000000000001 in binary floating point
    expect(10 * 0.92).toBe(9.200000000000001);
    expect(roundup31(10 * 0.92)).toBe(9.2);
    expect(roundup30(10 * 0.92)).toBe(9.3);
  });

  it("the same vector scores differently in v3.0 and v3.1: Temporal 9.3 against 9.2", () => {
    // the base space scores identically in both; the difference shows in Temporal and Environmental scores
    expect(cvss3Score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/RC:U")).toMatchObject({ baseScore: 10, temporalScore: 9.3 });
    expect(cvss3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/RC:U")).toMatchObject({ baseScore: 10, temporalScore: 9.2 });
  });

  it("rounds up anything above a tenth, and leaves an exact tenth alone", () => {
    expect(roundup31(4.02)).toBe(4.1);
    expect(roundup31(4.0)).toBe(4.0);
    expect(roundup31(4.000001)).toBe(4.0); // within 1e-5: v3.1 treats it as floating-point noise
    expect(roundup31(4.00001)).toBe(4.1);
    expect(roundup30(4.02)).toBe(4.1);
    expect(roundup30(4.0)).toBe(4.0);
  });
});

describe("cvss3Score: strict parsing", () => {
  const BASE = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  it.each([
    ["no prefix", BASE],
    ["CVSS v2 vector", "AV:N/AC:L/Au:N/C:P/I:P/A:P"],
    ["v4.0 prefix", `CVSS:4.0/${BASE}`],
    ["v3.2 prefix", `CVSS:3.2/${BASE}`],
    ["lower-case prefix", `cvss:3.1/${BASE}`],
    ["prefix only", "CVSS:3.1/"],
    ["empty", ""],
    ["a missing base metric (A)", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"],
    ["a missing Scope", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H"],
    ["a duplicate metric", `CVSS:3.1/${BASE}/AV:L`],
    ["a duplicate optional metric", `CVSS:3.1/${BASE}/E:P/E:P`],
    ["an unknown metric", `CVSS:3.1/${BASE}/XX:H`],
    ["a v4.0 metric", `CVSS:3.1/${BASE}/AT:N`],
    ["an invalid value", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
    ["X for a base metric", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X"],
    ["a lower-case value", "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
    ["a trailing slash", `CVSS:3.1/${BASE}/`],
    ["an empty part", `CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`],
    ["a part without a colon", `CVSS:3.1/${BASE}/E`],
    ["a part with two colons", `CVSS:3.1/${BASE}/E:P:P`],
    ["an empty value", `CVSS:3.1/${BASE}/E:`],
    ["surrounding whitespace", ` CVSS:3.1/${BASE}`],
    ["a trailing newline", `CVSS:3.1/${BASE}\n`],
    ["a huge input", `CVSS:3.1/${BASE}${"/E:P".repeat(500)}`],
  ])("refuses %s", (_why, vector) => {
    const error = thrownVouchError(() => cvss3Score(vector));
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.message).not.toContain("\n");
  });

  it("says which part was wrong", () => {
    expect(thrownVouchError(() => cvss3Score(`CVSS:3.1/${BASE}/AV:L`)).message).toContain("AV appears more than once");
    expect(thrownVouchError(() => cvss3Score(`CVSS:3.1/${BASE}/XX:H`)).message).toContain('unknown metric "XX"');
    expect(thrownVouchError(() => cvss3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H")).message).toContain(
      "lacks the base metrics S, A",
    );
  });

  it("accepts X for every optional metric", () => {
    const vector = `CVSS:3.1/${BASE}/E:X/RL:X/RC:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MPR:X/MUI:X/MS:X/MC:X/MI:X/MA:X`;
    expect(cvss3Score(vector)).toMatchObject({ baseScore: 9.8, temporalScore: 9.8, hasTemporal: false, hasEnvironmental: false });
  });
});
