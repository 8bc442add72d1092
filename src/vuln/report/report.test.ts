import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { schemaErrors } from "../../../test/support/schemas.js";
import type { Finding } from "../findings.js";
import { log4shell, opensslDebian, unscored } from "../findings.test-helper.js";
import { applyVex, parseCycloneDxVexJson, parseOpenVexJson } from "../vex/index.js";
import { renderJson, renderTable, toCycloneDxVex, toJsonReport, toSarif } from "./index.js";

const VEX_FIXTURES = join(import.meta.dirname, "..", "vex", "fixtures");

const notAffected: Finding["vex"] = {
  status: "not_affected",
  justification: "vulnerable_code_not_in_execute_path",
  impactStatement: "JndiLookup.class removed from the jar",
  source: { format: "openvex", document: "https://example.com/vex-1", timestamp: "2024-01-01T00:00:00Z" },
};
const underInvestigation: Finding["vex"] = {
  status: "under_investigation",
  source: { format: "openvex", document: "https://example.com/vex-2", timestamp: "2024-01-01T00:00:00Z" },
};

/** The SARIF 2.1.0 schema (draft-04; see fixtures/SOURCE.md for why renaming `id` is all draft-07 needs). */
function sarifValidator() {
  const { id, $schema: _drop, ...rest } = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "sarif-2.1.0-rtm.5.json"), "utf8")) as Record<
    string,
    unknown
  >;
  // The schema's `language` pattern ^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$ has a stray `]`, a syntax error in a
  // Unicode (u-flag) RegExp and a literal outside one: compile patterns as ECMAScript reads them without the flag.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, unicodeRegExp: false });
  ajvFormats.default(ajv);
  return ajv.compile({ $id: id as string, ...rest });
}
const validateSarif = sarifValidator();
function sarifErrors(doc: unknown): string[] {
  if (validateSarif(doc)) return [];
  return (validateSarif.errors ?? []).slice(0, 10).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

describe("table", () => {
  it("prints grype's columns, grouped by package, worst first", () => {
    const second = log4shell({
      vulnerability: { ...log4shell().vulnerability, id: "GHSA-7rjr-3q55-vv33", aliases: ["CVE-2021-45046"], kev: undefined, epss: { score: 0.00042, percentile: 0.05, date: "2025-01-01" }, severity: { type: "CVSS_V3", version: "3.1", vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", score: 9.0, bucket: "critical" }, fixedIn: ["2.16.0"] },
    });
    const out = renderTable([opensslDebian(), second, log4shell(), unscored()]);
    expect(out).toBe(
      [
        "NAME                                 INSTALLED         FIXED IN          TYPE   VULNERABILITY        SEVERITY  EPSS          KEV",
        "123bla                               0.0.1                               pypi   MAL-2024-10238       Unknown",
        "libssl3                              3.0.11-1~deb12u1  3.0.11-1~deb12u2  deb    DSA-5532-1           Medium",
        "org.apache.logging.log4j:log4j-core  2.14.1            2.15.0            maven  GHSA-jfh8-c2jp-5v3q  Critical  94.4% (99th)  yes",
        "org.apache.logging.log4j:log4j-core  2.14.1            2.16.0            maven  GHSA-7rjr-3q55-vv33  Critical  < 0.1% (5th)",
        "",
      ].join("\n"),
    );
  });

  it("hides not_affected findings unless asked, and shows a VEX column for the rest", () => {
    const findings = [log4shell({ vex: notAffected }), opensslDebian({ vex: underInvestigation })];
    const out = renderTable(findings);
    expect(out).not.toContain("GHSA-jfh8-c2jp-5v3q");
    expect(out).toMatch(/VEX\n/);
    expect(out).toMatch(/DSA-5532-1 +Medium +under_investigation\n/);
    expect(out).toContain("1 suppressed by VEX (not_affected)");
    expect(renderTable(findings, { showSuppressed: true })).toMatch(/GHSA-jfh8-c2jp-5v3q +Critical +94.4% \(99th\) +yes +not_affected\n/);
  });

  it("says so when there is nothing", () => {
    expect(renderTable([])).toBe("No vulnerabilities found\n");
  });
});

describe("JSON", () => {
  it("keeps suppressed findings with their justification and counts the rest", () => {
    const report = toJsonReport([opensslDebian(), log4shell({ vex: notAffected }), unscored()]);
    expect(report.summary).toEqual({
      total: 3,
      suppressed: 1,
      kev: 0,
      fixable: 1,
      bySeverity: { critical: 0, high: 0, medium: 1, low: 0, none: 0, unknown: 1 },
    });
    const suppressed = report.findings.find((f) => f.suppressed)!;
    expect(suppressed.vex?.justification).toBe("vulnerable_code_not_in_execute_path");
    expect(renderJson([log4shell(), opensslDebian()])).toBe(renderJson([opensslDebian(), log4shell()]));
  });
});

describe("SARIF 2.1.0", () => {
  const findings = [log4shell(), opensslDebian(), unscored(), log4shell({ component: { ...log4shell().component, version: "2.12.1", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1", bomRef: "l2" }, vex: notAffected })];
  const log = toSarif(findings, { toolVersion: "0.1.0", artifactUri: "sbom/app image.cdx.json" });

  it("validates against the SARIF 2.1.0 schema", () => {
    expect(sarifErrors(log)).toEqual([]);
  });

  it("has one rule per vulnerability and one result per finding", () => {
    const run = (log.runs as any[])[0];
    expect(run.tool.driver.rules.map((r: any) => r.id)).toEqual(["DSA-5532-1", "GHSA-jfh8-c2jp-5v3q", "MAL-2024-10238"]);
    expect(run.results).toHaveLength(4);
    const rule = run.tool.driver.rules[1];
    expect(rule.properties["security-severity"]).toBe("10.0");
    expect(rule.properties.tags).toContain("kev");
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
  });

  it("locates results at the component's file, else the scanned artifact", () => {
    const run = (log.runs as any[])[0];
    const byPurl = (p: string) => run.results.find((r: any) => r.properties.purl === p);
    expect(byPurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").locations[0].physicalLocation.artifactLocation.uri).toBe("app/pom.xml");
    expect(byPurl("pkg:pypi/123bla@0.0.1").locations[0].physicalLocation.artifactLocation.uri).toBe("sbom/app%20image.cdx.json");
  });

  it("marks VEX not_affected results as externally suppressed with the justification", () => {
    const run = (log.runs as any[])[0];
    const suppressed = run.results.filter((r: any) => r.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0].suppressions[0]).toEqual({
      kind: "external",
      status: "accepted",
      justification: "VEX https://example.com/vex-1: not_affected (vulnerable_code_not_in_execute_path: JndiLookup.class removed from the jar)",
    });
  });

  it("levels: critical/high error, medium warning, low note; unknown warning", () => {
    const run = (log.runs as any[])[0];
    const level = (id: string) => run.results.find((r: any) => r.ruleId === id).level;
    expect([level("GHSA-jfh8-c2jp-5v3q"), level("DSA-5532-1"), level("MAL-2024-10238")]).toEqual(["error", "warning", "warning"]);
  });

  it("the validator refuses what the schema forbids (it is not a pass-everything)", () => {
    const bad = structuredClone(log) as any;
    bad.runs[0].results[0].level = "critical";
    expect(sarifErrors(bad).length).toBeGreaterThan(0);
    expect(sarifErrors({ ...log, version: "2.0.0" }).length).toBeGreaterThan(0);
  });

  it("validates with no findings too", () => {
    expect(sarifErrors(toSarif([], { toolVersion: "0.1.0" }))).toEqual([]);
  });
});

describe("CycloneDX 1.6 with vulnerabilities", () => {
  const options = { serialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", timestamp: "2025-01-01T00:00:00Z", toolVersion: "0.1.0", subject: { name: "app", version: "1.0.0", bomRef: "product-ABC" } };

  it("validates against the CycloneDX 1.6 schema, with and without VEX analysis", () => {
    const cdxVex = parseCycloneDxVexJson(readFileSync(join(VEX_FIXTURES, "cyclonedx", "bom-examples-vex.json"), "utf8"));
    const jackson: Finding = log4shell({
      vulnerability: { ...log4shell().vulnerability, id: "GHSA-288c-cq4h-88gq", aliases: ["CVE-2020-25649"], kev: undefined },
      component: { purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", name: "jackson-databind", version: "2.10.0", ecosystem: "Maven" },
    });
    const openvex = parseOpenVexJson(readFileSync(join(VEX_FIXTURES, "openvex", "grype-openvex-package-product.json"), "utf8"));
    const libcrypto: Finding = opensslDebian({
      vulnerability: { ...opensslDebian().vulnerability, id: "CVE-2023-1255", aliases: [] },
      component: { purl: "pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64", name: "libcrypto3", version: "3.0.8-r3", ecosystem: "Alpine", release: "v3.17" },
    });
    const findings = applyVex([log4shell({ vex: notAffected }), opensslDebian({ vex: underInvestigation }), unscored(), jackson, libcrypto], [cdxVex, openvex]);
    expect(findings[3]!.vex?.source.format).toBe("cyclonedx");
    expect(findings[4]!.vex?.status).toBe("fixed");
    const bom = toCycloneDxVex(findings, options);
    expect(schemaErrors("cyclonedx-1.6", bom)).toEqual([]);
    expect(schemaErrors("cyclonedx-1.6", toCycloneDxVex([], options))).toEqual([]);

    const vulns = bom.vulnerabilities as any[];
    const log4j = vulns.find((v) => v.id === "GHSA-jfh8-c2jp-5v3q");
    expect(log4j.ratings).toEqual([{ score: 10, severity: "critical", method: "CVSSv31", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" }]);
    expect(log4j.analysis).toEqual({ state: "not_affected", justification: "code_not_reachable", detail: "JndiLookup.class removed from the jar", lastUpdated: "2024-01-01T00:00:00Z" });
    expect(log4j.affects).toEqual([{ ref: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", versions: [{ version: "2.14.1", status: "unaffected" }] }]);
    expect(log4j.references).toEqual([{ id: "CVE-2021-44228", source: { name: "NVD", url: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228" } }]);
    const jack = vulns.find((v) => v.id === "GHSA-288c-cq4h-88gq");
    expect(jack.analysis).toMatchObject({ state: "not_affected", justification: "code_not_reachable", response: ["will_not_fix"] });
    expect(vulns.find((v) => v.id === "CVE-2023-1255").analysis.state).toBe("resolved");
    expect(vulns.find((v) => v.id === "DSA-5532-1").analysis.state).toBe("in_triage");
    const refs = new Set((bom.components as any[]).map((c) => c["bom-ref"]));
    for (const v of vulns) for (const a of v.affects) expect(refs.has(a.ref)).toBe(true);
  });
});
