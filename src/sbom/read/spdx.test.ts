import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSbom, type ReadSbom } from "./index.js";

const TESTDATA = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

function read(folder: string, file: string): ReadSbom {
  return readSbom(readFileSync(join(TESTDATA, folder, file), "utf8"), file);
}

function component(r: ReadSbom, bomRef: string) {
  const i = r.sbom.components.findIndex((c) => c.bomRef === bomRef);
  if (i < 0) throw new Error(`no component ${bomRef}`);
  return { component: r.sbom.components[i]!, facts: r.components[i]! };
}

describe("SPDX examples from the SPDX project", () => {
  it("reads every example without a warning", () => {
    const files = readdirSync(join(TESTDATA, "spdx-examples")).filter((f) => f.endsWith(".json"));
    expect(files.length).toBe(6);
    for (const file of files) {
      const r = read("spdx-examples", file);
      expect([file, r.format, r.specVersion, r.warnings]).toEqual([file, "spdx", "2.3", []]);
    }
  });

  it("SPDXJSONExample-v2.3: the described package is the root, with everything the spec example puts in it", () => {
    const r = read("spdx-examples", "SPDXJSONExample-v2.3.spdx.json");
    const root = r.sbom.metadata.root;
    // documentDescribes lists a file first: the root is the first described *package*.
    expect(root).toMatchObject({
      bomRef: "SPDXRef-Package",
      name: "glibc",
      version: "2.11.1",
      supplier: "Jane Doe",
      author: "ExampleCodeInspect",
      licenses: [{ expression: "(LGPL-2.0-only AND LicenseRef-3)" }],
      externalRefs: [
        { type: "distribution", url: "http://ftp.gnu.org/gnu/glibc/glibc-ports-2.15.tar.gz" },
        { type: "website", url: "http://ftp.gnu.org/gnu/glibc" },
      ],
    });
    expect(root.hashes).toEqual([
      { alg: "BLAKE2b-384", content: "aaabd89c926ab525c242e6621f2f5fa73aa4afe3d9e24aed727faaadd6af38b620bdb623dd2b4788b1c8086984af8706" },
      { alg: "MD5", content: "624c1abb3664f4b35547e7c73864ad24" },
      { alg: "SHA-1", content: "85ed0817af83a24ad8da68c2b5094de69833983c" },
      { alg: "SHA-256", content: "11b6d3ee554eedf79299905a98f9b9a04e498210b59f15094c916c91d150efcd" },
    ]);
    expect(r.root).toMatchObject({ hasCpe: true, purl: "absent", supplierPresent: true });
    expect(r.sbom.metadata).toMatchObject({ timestamp: "2010-01-29T18:30:22Z", tools: [{ name: "LicenseFind", version: "1.0" }] });
    expect(r.document).toEqual({
      name: "SPDX-Tools-v2.0",
      identifier: "http://spdx.org/spdxdocs/spdx-example-444504E0-4F89-41D3-9A0C-0305E82C3301",
      creators: ["Tool: LicenseFind-1.0", "Organization: ExampleCodeInspect ()", "Person: Jane Doe ()"],
      authors: ["ExampleCodeInspect", "Jane Doe"],
      toolNames: ["LicenseFind 1.0"],
      timestamp: "2010-01-29T18:30:22Z",
      timestampValid: true,
      rootDeclared: true,
      dependencyEdgeCount: 1,
      rootDependencyCount: 1,
      fileCount: 5,
      nestedComponentCount: 0,
    });
  });

  it("SPDXJSONExample-v2.3: the other packages, NOASSERTION recorded, DYNAMIC_LINK as a dependency", () => {
    const r = read("spdx-examples", "SPDXJSONExample-v2.3.spdx.json");
    expect(r.sbom.components.map((c) => `${c.bomRef} ${c.name}@${c.version}`)).toEqual([
      "SPDXRef-Saxon Saxon@8.8",
      "SPDXRef-fromDoap-0 Jena@3.12.0",
      "SPDXRef-fromDoap-1 Apache Commons Lang@",
    ]);
    const jena = component(r, "SPDXRef-fromDoap-0");
    expect(jena.component).toMatchObject({ ecosystem: "maven", group: "org.apache.jena", purl: "pkg:maven/org.apache.jena/apache-jena@3.12.0", licenses: [] });
    // Jena's licence fields are absent, not NOASSERTION: that is "no licence", not "somebody said unknown".
    expect(jena.facts).toMatchObject({ licenseNoAssertion: false, licenseNone: false, purl: "valid" });
    expect(component(r, "SPDXRef-fromDoap-1").facts).toMatchObject({ licenseNoAssertion: true, licenseTexts: [] });
    expect(component(r, "SPDXRef-Saxon").component).toMatchObject({ licenses: [{ expression: "MPL-1.0" }], hashes: [{ alg: "SHA-1" }] });
    expect(r.sbom.dependencies).toEqual([{ ref: "SPDXRef-Package", dependsOn: ["SPDXRef-Saxon"] }]);
  });

  it("example8: TEST_DEPENDENCY_OF makes a dev dependency; packages without versions stay versionless", () => {
    const r = read("spdx-examples", "example8-examplemaven-0.0.1.spdx.json");
    expect(r.sbom.metadata.root).toMatchObject({ name: "examplemaven", version: "0.0.1", supplier: "SPDX", author: "Linux Foundation" });
    expect(component(r, "SPDXRef-junit").component).toMatchObject({ name: "JUnit", version: "3.8.1", scope: "dev", licenses: [{ expression: "CPL-1.0" }] });
    expect(component(r, "SPDXRef-log4jApi").component).toMatchObject({ version: "", scope: "required" });
    expect(r.sbom.dependencies).toEqual([
      {
        ref: "SPDXRef-example",
        dependsOn: ["SPDXRef-junit", "SPDXRef-log4jApi", "SPDXRef-log4jImpl", "SPDXRef-log4jslf4jApi", "SPDXRef-log4jslf4jbinding"],
      },
    ]);
  });

  it("example11: the concluded licence is used when the declared one is NOASSERTION", () => {
    const r = read("spdx-examples", "example11-sbom.spdx.json");
    expect(r.sbom.components.map((c) => [c.name, c.version, c.purl, c.licenses])).toEqual([
      ["hyper", "0.14", "pkg:cargo/hyper@0.14", [{ expression: "MIT" }]],
      ["pretty_env_logger", "0.4.0", "pkg:cargo/pretty_env_logger@0.4.0", [{ expression: "MIT OR Apache-2.0" }]],
      ["tokio", "1.19.2", "pkg:cargo/tokio@1.19.2", [{ expression: "MIT" }]],
    ]);
    expect(r.components.map((f) => f.licenseNoAssertion)).toEqual([false, false, false]);
    expect(r.document.rootDependencyCount).toBe(3);
  });

  it("the minimal SBOM: a root and nothing else", () => {
    const r = read("spdx-examples", "oss-na-2023-01-MinimalSBOM.spdx.json");
    expect(r.sbom.components).toEqual([]);
    expect(r.sbom.metadata.root).toMatchObject({
      name: "tools-java",
      version: "1.5.1",
      purl: "pkg:github/spdx/tools-java@2235d5d7f7fe46ce1e0d54b7831c5681633b25cc",
      supplier: "SPDX",
    });
    expect(r.document.authors).toEqual(["Gary O'Neall"]);
  });
});

describe("real SPDX SBOMs", () => {
  const wild = (file: string) => read("sboms-in-the-wild", file);

  it("Microsoft sbom-tool 0.2.7: NOASSERTION licences and suppliers, purls with the version encoded away, a URL as a purl", () => {
    const r = wild("spdx22_sbom-tool-0.2.7_sbom-tool-win-x64.json");
    expect(r.sbom.metadata.root).toMatchObject({ name: "SBOMTool", version: "0.3.0" });
    expect(r.components.length).toBe(87);
    expect(r.components.filter((f) => f.licenseNoAssertion).length).toBe(87);
    expect(r.components.filter((f) => f.supplierPresent).length).toBe(9);
    const invalid = r.components.filter((f) => f.purl === "invalid").map((f) => f.purlText);
    expect(invalid.length).toBe(87);
    expect(invalid).toContain("https://github.com/actions/virtual-environments");
    expect(invalid).toContain("pkg:nuget/AutoMapper%4010.1.1");
    expect(r.sbom.components.find((c) => c.name === "AutoMapper")).toMatchObject({ version: "10.1.1", ecosystem: "generic" });
    expect(r.sbom.components.find((c) => c.name === "AutoMapper")).not.toHaveProperty("purl");
    expect(r.document).toMatchObject({ authors: ["Microsoft"], toolNames: ["Microsoft.SBOMTool 0.2.7"], rootDependencyCount: 87 });
  });

  it("old syft: licences NONE (recorded apart from NOASSERTION), CONTAINS from an element that is not in the document", () => {
    const r = wild("spdx22_syft-0.59.0_constellation-2.2.2.json");
    expect(r.components.length).toBe(1303);
    expect(r.components.every((f) => f.licenseNone && !f.licenseNoAssertion)).toBe(true);
    expect(r.components.every((f) => f.purl === "valid")).toBe(true);
    expect(r.components.filter((f) => f.hasCpe).length).toBe(1163);
    expect(r.document).toMatchObject({ rootDeclared: false, dependencyEdgeCount: 0, toolNames: ["syft 0.59.0"], authors: ["Anchore, Inc"] });
    // No documentDescribes: the root stands for the document.
    expect(r.sbom.metadata.root).toMatchObject({ bomRef: "SPDXRef-DOCUMENT", name: ".", type: "application" });
  });

  it("hand-written julia: build dependencies, build tools as dev dependencies, no versions", () => {
    const r = wild("spdx22_hand-written_julia.json");
    expect(r.sbom.metadata.root).toMatchObject({ name: "Julia", version: "1.8.0-DEV" });
    expect(r.sbom.components.filter((c) => c.version === "").length).toBe(33);
    expect(r.sbom.components.filter((c) => c.scope === "dev").map((c) => c.name).sort()).toEqual(["libwhich", "objconv", "patchelf"]);
    expect(r.document).toMatchObject({ toolNames: [], authors: ["julialang.org", "Simon Avery"], rootDependencyCount: 32 });
  });

  it("trivy: epoch versions, MD5 checksums, Organization suppliers", () => {
    const r = wild("spdx23_trivy-0.42.1_mageia-5.1.json");
    const basesystem = r.sbom.components.find((c) => c.name === "basesystem-minimal")!;
    expect(basesystem).toMatchObject({ version: "1:2-21.mga5", supplier: "Mageia.Org", hashes: [{ alg: "MD5" }] });
    expect(r.components.filter((f) => f.supplierPresent).length).toBe(180);
  });

  it("k8s bom nginx: files are not components, every licence field absent", () => {
    const r = wild("spdx23_k8s-bom-devel_nginx.json");
    expect(r.components.length).toBe(1184);
    expect(r.components.filter((f) => f.licenseTexts.length === 0 && !f.licenseNoAssertion).length).toBe(1184);
    expect(r.sbom.components.filter((c) => c.version === "").length).toBe(56);
  });
});
