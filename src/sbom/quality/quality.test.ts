import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isVouchError } from "../../core/errors.js";
import { readSbom } from "../read/index.js";
import { assessQuality, checkGate, renderQualityTable, type QualityReport } from "./index.js";

const WILD = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "sboms-in-the-wild");
const files = readdirSync(WILD).filter((f) => f.endsWith(".json")).sort();

function assess(file: string): QualityReport {
  return assessQuality(readSbom(readFileSync(join(WILD, file), "utf8"), file));
}

/** The 25 real SBOMs: format, spec version, components, score (the weights in score.ts decide it), NTIA elements met. */
const EXPECTED: readonly [file: string, format: string, spec: string, components: number, score: number, ntia: number][] = [
  ["cdx14_custom_ghidra-10.2.2.json", "cyclonedx", "1.4", 109, 3.2, 1],
  ["cdx14_cyclonedx-gomod-1.2.0_harp-0.2.10.json", "cyclonedx", "1.4", 814, 7, 5],
  ["cdx14_cyclonedx-php-composer_laravel-7.12.0.json", "cyclonedx", "1.4", 62, 8.2, 4],
  ["cdx15_blackduck-hub-2025.1.1.json", "cyclonedx", "1.5", 116, 5, 5],
  ["cdx15_cdxgen-8.6.0_vuln-spring.json", "cyclonedx", "1.5", 88, 9.5, 6],
  ["cdx15_cdxgen-9.8.8_nodegoat.json", "cyclonedx", "1.5", 1060, 8, 6],
  ["cdx15_syft-0.96.0_plone-5.2.json", "cyclonedx", "1.5", 611, 7.6, 4],
  ["cdx16_trivy-0.54.1_test-image.json", "cyclonedx", "1.6", 23, 8.4, 4],
  ["cdx16_trivy-dev_fluentd-multiple-lockfiles.json", "cyclonedx", "1.6", 161, 8.5, 4],
  ["invalid_cdx16_dependency-track-4.13.5-export.json", "cyclonedx", "1.6", 21, 8.1, 4],
  ["spdx22_hand-written_julia.json", "spdx", "2.2", 33, 3.3, 4],
  ["spdx22_ko-0.12.0_multi-arch.json", "spdx", "2.2", 3, 5.5, 4],
  ["spdx22_sbom-tool-0.2.7_sbom-tool-win-x64.json", "spdx", "2.2", 87, 3.6, 5],
  ["spdx22_sbom-tool-2.0.88_powershell-7.2.1.json", "spdx", "2.2", 330, 6.7, 6],
  ["spdx22_syft-0.33.0_flux-0.26.3.json", "spdx", "2.2", 244, 4.9, 5],
  ["spdx22_syft-0.59.0_constellation-2.2.2.json", "spdx", "2.2", 1303, 4.9, 5],
  ["spdx22_syft-0.60.1_jx-3.10.16-darwin-arm64.json", "spdx", "2.2", 84, 5.6, 5],
  ["spdx22_tern_photon.json", "spdx", "2.2", 37, 4.8, 3],
  ["spdx23_apko_curl.json", "spdx", "2.3", 13, 7.6, 6],
  ["spdx23_github-dependency-graph_kubernetes.json", "spdx", "2.3", 424, 5.4, 5],
  ["spdx23_k8s-bom-devel_nginx.json", "spdx", "2.3", 1184, 5.3, 3],
  ["spdx23_syft-0.76.0_ratify-test-image.json", "spdx", "2.3", 16, 8.1, 5],
  ["spdx23_syft-0.90.0_kubectl-linux-amd64.json", "spdx", "2.3", 88, 6.1, 6],
  ["spdx23_trivy-0.42.1_mageia-5.1.json", "spdx", "2.3", 182, 8.1, 4],
];

const reports = new Map<string, QualityReport>();
for (const [file] of EXPECTED) reports.set(file, assess(file));
const score = (file: string) => reports.get(file)!.score;

describe("every real SBOM gets a report or a clear input error", () => {
  it("covers all 25 files", () => {
    expect(files.length).toBe(25);
    expect([...reports.keys(), "broken_spdx22_sbom-tool_psreadline-2.2.6.json"].sort()).toEqual(files);
  });

  it("refuses the one that is not JSON with the line where the JSON ends", () => {
    let error: unknown;
    try {
      assess("broken_spdx22_sbom-tool_psreadline-2.2.6.json");
    } catch (e) {
      error = e;
    }
    expect(isVouchError(error) && [error.code, error.location]).toEqual([
      "INPUT_MALFORMED",
      { file: "broken_spdx22_sbom-tool_psreadline-2.2.6.json", line: 2765 },
    ]);
  });

  for (const [file, format, spec, components, expectedScore, ntia] of EXPECTED) {
    it(file, () => {
      const r = reports.get(file)!;
      expect([r.format, r.specVersion, r.componentCount, r.score, r.ntia.elements.filter((e) => e.passed).length]).toEqual([
        format,
        spec,
        components,
        expectedScore,
        ntia,
      ]);
      // `-o json` writes the report as it is.
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      expect(r.scoreBreakdown.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(10, 6);
    });
  }
});

describe("the score ranks visibly poor SBOMs below good ones", () => {
  const poor = [
    "spdx22_hand-written_julia.json",
    "cdx14_custom_ghidra-10.2.2.json",
    "spdx22_tern_photon.json",
    "cdx15_blackduck-hub-2025.1.1.json",
    "spdx22_sbom-tool-0.2.7_sbom-tool-win-x64.json",
    "spdx22_sbom-tool-2.0.88_powershell-7.2.1.json",
    "spdx23_k8s-bom-devel_nginx.json",
  ];
  const good = [
    "cdx15_syft-0.96.0_plone-5.2.json",
    "spdx23_syft-0.76.0_ratify-test-image.json",
    "cdx16_trivy-0.54.1_test-image.json",
    "cdx16_trivy-dev_fluentd-multiple-lockfiles.json",
    "spdx23_trivy-0.42.1_mageia-5.1.json",
    "cdx15_cdxgen-8.6.0_vuln-spring.json",
    "cdx15_cdxgen-9.8.8_nodegoat.json",
    "cdx14_cyclonedx-php-composer_laravel-7.12.0.json",
    "cdx14_cyclonedx-gomod-1.2.0_harp-0.2.10.json",
  ];

  it("every poor SBOM scores below every good one", () => {
    const best = Math.max(...poor.map(score));
    const worst = Math.min(...good.map(score));
    expect(best).toBe(6.7); // sbom-tool 2.0.88: purls, versions, SHA-256 everywhere, but licences and suppliers NOASSERTION, a flat graph
    expect(worst).toBe(7); // cyclonedx-gomod: no licences or checksums in a binary, but a real module graph
    for (const p of poor) for (const g of good) expect([p, g, score(p) < score(g)]).toEqual([p, g, true]);
  });

  it("the hand-made SBOMs without versions, purls or tools are the two worst of all", () => {
    const ranked = [...reports.values()].sort((a, b) => a.score - b.score).map((r) => r.file);
    expect(ranked.slice(0, 2)).toEqual(["cdx14_custom_ghidra-10.2.2.json", "spdx22_hand-written_julia.json"]);
  });

  it("no purls costs more than no licences: tern and Black Duck rank below cyclonedx-gomod", () => {
    expect(score("spdx22_tern_photon.json")).toBeLessThan(score("cdx14_cyclonedx-gomod-1.2.0_harp-0.2.10.json") - 2);
    expect(score("cdx15_blackduck-hub-2025.1.1.json")).toBeLessThan(score("cdx14_cyclonedx-gomod-1.2.0_harp-0.2.10.json") - 1.5);
  });

  it("old syft SPDX output (licences NONE, no relationships to the packages) ranks with the poor ones", () => {
    expect(score("spdx22_syft-0.33.0_flux-0.26.3.json")).toBeLessThan(score("cdx15_syft-0.96.0_plone-5.2.json") - 2);
    expect(score("spdx22_syft-0.33.0_flux-0.26.3.json")).toBeLessThan(score("spdx22_sbom-tool-2.0.88_powershell-7.2.1.json"));
    expect(score("spdx22_syft-0.59.0_constellation-2.2.2.json")).toBeLessThan(score("spdx23_k8s-bom-devel_nginx.json"));
  });

  it("the best is cdxgen's Maven BOM: everything but suppliers", () => {
    const r = reports.get("cdx15_cdxgen-8.6.0_vuln-spring.json")!;
    expect(Math.max(...[...reports.values()].map((x) => x.score))).toBe(r.score);
    expect(r.scoreBreakdown.filter((c) => c.points < c.weight).map((c) => c.category)).toEqual(["licensing", "supplier"]);
  });
});

describe("per-component problems in real SBOMs", () => {
  it("julia: no versions, no purls, no checksums; two licences not SPDX", () => {
    const r = reports.get("spdx22_hand-written_julia.json")!;
    expect(r.totals).toEqual({
      "missing-name": 0,
      "missing-version": 33,
      "missing-purl": 33,
      "invalid-purl": 0,
      "missing-license": 0,
      "noassertion-license": 0,
      "invalid-license": 2,
      "missing-checksum": 33,
      "missing-supplier": 31,
    });
    expect(r.components.filter((c) => c.problems.includes("invalid-license")).map((c) => [c.name, c.invalidLicenses])).toEqual([
      ["7-Zip", ["LGPL-3.0-or-later AND BSD-3"]],
      ["LibSuiteSparse", ["LGPL-2.0-or-later AND GPL-2.0-or-later AND BSD-3 AND Apache-2.0"]],
    ]);
  });

  it("sbom-tool 0.2.7: every licence NOASSERTION, all listed for follow-up; its purls swallow the version", () => {
    const r = reports.get("spdx22_sbom-tool-0.2.7_sbom-tool-win-x64.json")!;
    expect([r.totals["missing-license"], r.totals["noassertion-license"], r.noAssertion.length]).toEqual([87, 87, 87]);
    expect(r.noAssertion[0]).toEqual({ ref: "SPDXRef-Package-C1F7CF0B7152B80A6268256666E527B4F72C1E9965E3BF94DC309111DD158516", name: "AutoMapper", version: "10.1.1" });
    // "pkg:nuget/AutoMapper%4010.1.1": the "@" is percent-encoded, so the purl names a package "AutoMapper@10.1.1" with no version.
    expect([r.totals["invalid-purl"], r.totals["missing-purl"]]).toEqual([87, 0]);
    const invalid = new Map(r.components.filter((c) => c.invalidPurl).map((c) => [c.name, c.invalidPurl]));
    expect(invalid.get("AutoMapper")).toBe("pkg:nuget/AutoMapper%4010.1.1");
    expect(invalid.get("Azure Pipelines Hosted Image win22")).toBe("https://github.com/actions/virtual-environments");
  });

  it("ghidra: NTIA passes only on component names", () => {
    const r = reports.get("cdx14_custom_ghidra-10.2.2.json")!;
    expect(r.ntia.elements.map((e) => [e.element, e.passed, e.coverage])).toEqual([
      ["supplier-name", false, 0],
      ["component-name", true, 1],
      ["component-version", false, 0.853],
      ["unique-identifier", false, 0.569],
      ["dependency-relationship", false, 0],
      ["sbom-author", false, 0],
      ["timestamp", false, 0],
    ]);
    expect(r.ntia.elements.find((e) => e.element === "timestamp")!.detail).toBe("no creation time");
  });
});

/** A small CycloneDX SBOM with one of everything, for exact output. */
const SMALL = JSON.stringify({
  bomFormat: "CycloneDX",
  specVersion: "1.6",
  metadata: {
    timestamp: "2024-05-01T10:00:00Z",
    tools: { components: [{ name: "hand", version: "1.0" }] },
    component: { "bom-ref": "app", type: "application", name: "app", version: "2.0.0" },
  },
  components: [
    {
      "bom-ref": "good",
      name: "good",
      version: "1.0.0",
      purl: "pkg:npm/good@1.0.0",
      supplier: { name: "Good Corp" },
      licenses: [{ license: { id: "MIT" } }],
      hashes: [{ alg: "SHA-256", content: "ab".repeat(32) }],
    },
    { "bom-ref": "unsure", name: "unsure", version: "0.1", purl: "not a purl", licenses: [{ license: { id: "NOASSERTION" } }] },
    { "bom-ref": "bare", name: "bare\u001b[31m" },
  ],
  dependencies: [
    { ref: "app", dependsOn: ["good", "unsure"] },
    { ref: "good", dependsOn: ["bare"] },
  ],
});
const small = assessQuality(readSbom(SMALL, "small.cdx.json"));

describe("a small SBOM, exactly", () => {
  it("lists each component's problems, most first", () => {
    expect(small.components).toEqual([
      {
        ref: "bare",
        name: "bare\u001b[31m",
        version: "",
        problems: ["missing-version", "missing-purl", "missing-license", "missing-checksum", "missing-supplier"],
      },
      {
        ref: "unsure",
        name: "unsure",
        version: "0.1",
        problems: ["invalid-purl", "missing-license", "noassertion-license", "missing-checksum", "missing-supplier"],
        invalidPurl: "not a purl",
      },
    ]);
    expect(small.noAssertion).toEqual([{ ref: "unsure", name: "unsure", version: "0.1" }]);
  });

  it("judges the document: graph, NTIA", () => {
    expect(small.document).toEqual({
      root: { name: "app", version: "2.0.0", declared: true },
      timestamp: "2024-05-01T10:00:00Z",
      timestampValid: true,
      authors: [],
      tools: ["hand 1.0"],
      dependencyGraph: true,
      dependencyEdges: 3,
      rootDependencies: 2,
      componentsInGraph: { count: 3, total: 3, ratio: 1 },
      componentsDeclaringDependencies: { count: 1, total: 3, ratio: 0.333 },
    });
    expect(small.ntia.passed).toBe(false);
    expect(small.ntia.elements.filter((e) => !e.passed).map((e) => `${e.element}: ${e.detail}`)).toEqual([
      "supplier-name: 1 of 3 components have a supplier",
      "component-version: 2 of 3 components have a version",
      "unique-identifier: 1 of 3 components have a purl, CPE or SWID",
      "sbom-author: no person or organisation named (tool only: hand 1.0)",
    ]);
  });

  it("scores it feature by feature", () => {
    expect(small.scoreBreakdown.map((c) => [c.category, c.points, c.weight])).toEqual([
      ["identification", 1.9, 4],
      ["dependencies", 2, 2],
      ["licensing", 0.5, 1.5],
      ["provenance", 0.95, 1.25],
      ["integrity", 0.25, 0.75],
      ["supplier", 0.17, 0.5],
    ]);
    expect(small.score).toBe(5.8);
  });

  it("renders a table a person can act on, with the SBOM's text made harmless", () => {
    expect(renderQualityTable(small)).toBe(
      [
        "SBOM quality 5.8/10  small.cdx.json",
        "CycloneDX 1.6, 3 components",
        "",
        "Score",
        "  identification  1.90 / 4.00  components with a version 66.7%; components with a valid purl 33.3%; components with a purl, CPE, SWID, OmniBOR or SWHID 33.3%",
        "  dependencies    2.00 / 2.00  complete",
        "  licensing       0.50 / 1.50  components with a declared licence 33.3%; components whose licences are valid SPDX expressions 33.3%",
        "  provenance      0.95 / 1.25  author of the SBOM data named 0.0%",
        "  integrity       0.25 / 0.75  components with a checksum 33.3%; components with SHA-256 or stronger 33.3%",
        "  supplier        0.17 / 0.50  components with a supplier 33.3%",
        "",
        "Components",
        "                          count  share",
        "  no name                 0      0.0%",
        "  no version              1      33.3%",
        "  no purl                 1      33.3%",
        "  invalid purl            1      33.3%",
        "  no licence              2      66.7%",
        "    of which NOASSERTION  1      33.3%",
        "  licence not SPDX        0      0.0%",
        "  no checksum             2      66.7%",
        "  no supplier             2      66.7%",
        "",
        "Document",
        "  subject       app 2.0.0",
        "  created       2024-05-01T10:00:00Z",
        "  authors       (none)",
        "  tools         hand 1.0",
        "  dependencies  3 edges, subject has 2 direct; 100.0% in the graph, 33.3% declare their own",
        "",
        "NTIA minimum elements: FAIL",
        "  FAIL  supplier-name            1 of 3 components have a supplier",
        "  ok    component-name           3 of 3 components have a name",
        "  FAIL  component-version        2 of 3 components have a version",
        "  FAIL  unique-identifier        1 of 3 components have a purl, CPE or SWID",
        "  ok    dependency-relationship  the subject has 2 direct dependencies; 3 of 3 components in the graph",
        "  FAIL  sbom-author              no person or organisation named (tool only: hand 1.0)",
        "  ok    timestamp                2024-05-01T10:00:00Z",
        "",
        "Top offenders (2 components with problems)",
        "  bare\\u001b[31m  no version, no purl, no licence, no checksum, no supplier",
        "  unsure@0.1      invalid purl, licence NOASSERTION, no checksum, no supplier",
        "",
        "Follow up: 1 component with licence NOASSERTION",
        "  unsure@0.1",
        "",
      ].join("\n"),
    );
  });

  it("judges from the model alone when the reader's facts are missing", () => {
    const read = readSbom(SMALL, "small.cdx.json");
    const report = assessQuality({ ...read, components: [] });
    // Without facts an invalid purl looks absent and NOASSERTION looks like no licence: only the model is left.
    expect([report.totals["missing-purl"], report.totals["invalid-purl"], report.totals["missing-license"], report.totals["noassertion-license"]]).toEqual([
      2, 0, 2, 0,
    ]);
    expect(report.coverage.suppliers).toEqual({ count: 1, total: 3, ratio: 0.333 });
  });

  it("an empty SBOM scores only on its document", () => {
    const empty = assessQuality(readSbom('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}', "empty.json"));
    expect([empty.score, empty.componentCount, empty.ntia.elements.find((e) => e.element === "component-name")!.detail]).toEqual([
      0,
      0,
      "no components",
    ]);
    expect(renderQualityTable(empty)).toContain("No component has a problem.");
  });
});

describe("checkGate", () => {
  const julia = reports.get("spdx22_hand-written_julia.json")!;

  it("passes when every required fact is there and the score is high enough", () => {
    const composer = reports.get("cdx14_cyclonedx-php-composer_laravel-7.12.0.json")!;
    expect(checkGate(composer, { require: ["versions", "purls", "licenses"], minScore: 8 })).toEqual({ passed: true, failures: [] });
  });

  it("names what is missing, how often, and a few examples", () => {
    expect(checkGate(julia, { require: ["versions", "purls", "licenses", "checksums"], minScore: 5 })).toEqual({
      passed: false,
      failures: [
        "checksums: 33 of 33 components lack a checksum (7-Zip, ArgTools.jl, Downloads.jl, GMP, LAPACK, ...)",
        "purls: 33 of 33 components lack a valid purl (7-Zip, ArgTools.jl, Downloads.jl, GMP, LAPACK, ...)",
        "versions: 33 of 33 components lack a version (7-Zip, ArgTools.jl, Downloads.jl, GMP, LAPACK, ...)",
        "score: 3.3 is below the required 5",
      ],
    });
  });

  it("counts NOASSERTION as no licence and an invalid purl as no purl", () => {
    const gate = checkGate(small, { require: ["licenses", "purls"] });
    expect(gate.failures).toEqual([
      "licenses: 2 of 3 components lack a declared licence (bare\\u001b[31m, unsure@0.1)",
      "purls: 2 of 3 components lack a valid purl (bare\\u001b[31m, unsure@0.1)",
    ]);
  });

  it("with nothing required and no minimum, always passes", () => {
    expect(checkGate(julia, { require: [] })).toEqual({ passed: true, failures: [] });
  });
});
