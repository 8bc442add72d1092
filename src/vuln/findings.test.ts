import { describe, expect, it } from "vitest";
import { compareFindings, isSuppressed, severitiesFromOsv } from "./findings.js";
import { log4shell, opensslDebian, unscored } from "./findings.test-helper.js";

describe("severity from OSV entries (src/vuln/severity)", () => {
  it("scores the vectors and keeps the worst", () => {
    const out = severitiesFromOsv([
      { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" },
      { type: "CVSS_V2", score: "AV:N/AC:M/Au:N/C:C/I:C/A:C" },
      { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" },
    ]);
    expect(out.severity).toEqual({ type: "CVSS_V3", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", version: "3.1", score: 10, bucket: "critical" });
    expect(out.severities.map((s) => s.score)).toEqual([10, 9.3]);
    expect(severitiesFromOsv([]).severity).toBeUndefined();
  });
});

describe("order and suppression", () => {
  it("sorts by package, then worst severity first; unknown last", () => {
    const a = unscored({ component: { ...log4shell().component } });
    expect([a, opensslDebian(), log4shell()].sort(compareFindings).map((f) => f.vulnerability.id)).toEqual(["DSA-5532-1", "GHSA-jfh8-c2jp-5v3q", "MAL-2024-10238"]);
  });
  it("only not_affected suppresses", () => {
    const src = { format: "openvex", document: "d" } as const;
    expect(isSuppressed(log4shell({ vex: { status: "not_affected", justification: "component_not_present", source: src } }))).toBe(true);
    for (const status of ["fixed", "affected", "under_investigation"] as const) expect(isSuppressed(log4shell({ vex: { status, source: src } }))).toBe(false);
  });
});
