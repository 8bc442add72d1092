import { describe, expect, it } from "vitest";
import type { AffectedResult } from "../api/types";
import { csvField, exportFileName, groupRows, impactParams, impactRows, toCsv, toJson } from "./impact";

const D1 = `sha256:${"a".repeat(64)}` as const;
const D2 = `sha256:${"b".repeat(64)}` as const;
const S1 = `sha256:${"1".repeat(64)}` as const;
const S2 = `sha256:${"2".repeat(64)}` as const;

const result: AffectedResult = {
  query: { purl: "pkg:maven/org.apache.logging.log4j/log4j-core", range: "<2.17.1" },
  artifacts: [
    {
      service: "checkout",
      version: "1.4.0",
      digest: D1,
      sbom: S1,
      components: [{ name: "log4j-core", version: "2.14.1", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" }],
      deployments: [
        { service: "checkout", environment: "staging", deployedAt: "2025-03-01T10:00:00Z" },
        { service: "checkout", environment: "prod", deployedAt: "2025-03-02T10:00:00Z" },
      ],
    },
    { service: "billing", digest: D2, sbom: S2, components: [{ name: "=HYPERLINK(\"http://x\")", version: "1,0" }], deployments: [] },
  ],
  total: 2,
  services: ["checkout"],
  environments: ["prod", "staging"],
  tookMs: 1,
};

describe("impact rows", () => {
  it("makes one row per (artifact, deployment), sorted by service then environment, undeployed last", () => {
    const rows = impactRows(result);
    expect(rows.map((r) => [r.service, r.environment, r.digest])).toEqual([
      ["billing", "", D2],
      ["checkout", "prod", D1],
      ["checkout", "staging", D1],
    ]);
    expect(groupRows(rows).map((g) => [g.service, g.environments.map((e) => e.environment)])).toEqual([
      ["billing", [""]],
      ["checkout", ["prod", "staging"]],
    ]);
  });
});

describe("CSV export (RFC 4180 + formula-injection guard)", () => {
  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField("")).toBe("");
  });

  it("prefixes cells a spreadsheet would run as a formula with a quote", () => {
    for (const lead of ["=", "+", "-", "@", "\t", "\r"]) expect(csvField(`${lead}1+1`).replace(/^"/, "")).toMatch(/^'/);
    expect(csvField("=SUM(A1:A2)")).toBe("'=SUM(A1:A2)");
    expect(csvField("-2")).toBe("'-2");
    expect(csvField("@cmd")).toBe("'@cmd");
    // Guarded first, then quoted (the quote prefix is inside the quotes).
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField("\r=1")).toBe(`"'\r=1"`);
    expect(csvField("a=b")).toBe("a=b");
  });

  it("writes a header and CRLF-terminated records", () => {
    const csv = toCsv(impactRows(result));
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe("service,environment,digest,version,sbom,components,deployedAt");
    expect(lines[1]).toBe(`billing,,${D2},,${S2},"'=HYPERLINK(""http://x"")@1,0",`);
    expect(lines[2]).toBe(`checkout,prod,${D1},1.4.0,${S1},pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,2025-03-02T10:00:00Z`);
    expect(lines.at(-1)).toBe("");
    expect(lines).toHaveLength(5);
  });

  it("exports JSON with the question and the rows, unguarded (machine-readable)", () => {
    const json = JSON.parse(toJson({ purl: "pkg:x/y" }, impactRows(result), new Date("2025-03-14T00:00:00Z")));
    expect(json.query).toEqual({ purl: "pkg:x/y" });
    expect(json.exportedAt).toBe("2025-03-14T00:00:00.000Z");
    expect(json.rows).toHaveLength(3);
    expect(json.rows[0].components).toEqual(['=HYPERLINK("http://x")@1,0']);
  });
});

describe("impact query parameters", () => {
  it("recognizes advisories, purls and names", () => {
    expect(impactParams("cve-2021-44228", "", false)).toEqual({ advisory: "CVE-2021-44228" });
    expect(impactParams("GHSA-JFH8-C2JP-5V3Q", "", false)).toEqual({ advisory: "GHSA-jfh8-c2jp-5v3q" });
    expect(impactParams(" pkg:maven/org.apache.logging.log4j/log4j-core ", "<2.17.1", true)).toEqual({
      purl: "pkg:maven/org.apache.logging.log4j/log4j-core",
      range: "<2.17.1",
      deployedOnly: "true",
    });
    expect(impactParams("log4j-core", "", false)).toEqual({ name: "log4j-core" });
    // A package that merely starts like an advisory prefix is a name.
    expect(impactParams("go-yaml", "", false)).toEqual({ name: "go-yaml" });
    // An advisory carries its own ranges.
    expect(impactParams("CVE-2021-44228", "<2", false)).toEqual({ advisory: "CVE-2021-44228" });
  });

  it("names the download after the question", () => {
    expect(exportFileName("pkg:maven/org.apache.logging.log4j/log4j-core", "csv", new Date("2025-03-14T12:00:00Z"))).toBe("impact-org.apache.logging.log4j-log4j-core-2025-03-14.csv");
    expect(exportFileName("///", "json", new Date("2025-03-14T12:00:00Z"))).toBe("impact-query-2025-03-14.json");
  });
});
