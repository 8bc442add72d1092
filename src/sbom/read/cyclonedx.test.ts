import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSbom, type ReadSbom } from "./index.js";

const TESTDATA = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

function read(path: string): ReadSbom {
  return readSbom(readFileSync(join(TESTDATA, path), "utf8"), path);
}

const spec = (file: string) => read(join("cyclonedx-testdata", file));

describe("CycloneDX specification test BOMs", () => {
  it("reads every valid-* BOM of 1.5 and 1.6 without a warning", () => {
    let count = 0;
    for (const version of ["1.5", "1.6"]) {
      for (const file of readdirSync(join(TESTDATA, "cyclonedx-testdata", version)).filter((f) => f.startsWith("valid-"))) {
        const r = spec(join(version, file));
        expect([file, r.format, r.specVersion, r.warnings]).toEqual([file, "cyclonedx", version, []]);
        count++;
      }
    }
    expect(count).toBe(36);
  });

  it("valid-bom-1.6: metadata, root, components, licences, dependencies", () => {
    const r = spec("1.6/valid-bom-1.6.json");
    expect(r.sbom.metadata).toMatchObject({
      timestamp: "2020-04-13T20:20:39Z",
      tools: [{ vendor: "Awesome Vendor", name: "Awesome Tool", version: "9.1.2" }],
      root: { bomRef: "metadata.component", name: "Acme Application", version: "9.1.1", author: "Acme Super Heros", type: "application" },
    });
    expect(r.root).toMatchObject({ hasSwid: true, purl: "absent" });
    expect(r.document).toMatchObject({
      identifier: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
      authors: ["Samantha Wright", "Acme, Inc."],
      creators: ["Person: Samantha Wright", "Organization: Acme, Inc.", "Tool: Awesome Tool 9.1.2"],
      rootDeclared: true,
      timestampValid: true,
    });
    expect(r.sbom.components.map((c) => [c.bomRef, c.group, c.name, c.version, c.licenses, c.hashes.length, c.supplier ?? null])).toEqual([
      ["pkg:maven/com.acme/tomcat-catalina@9.0.14?packaging=jar", "com.acme", "tomcat-catalina", "9.0.14", [{ expression: "Apache-2.0" }], 4, null],
      [
        "pkg:maven/com.example/myapplication@1.0.0?packaging=war",
        "org.example",
        "mylibrary",
        "1.0.0",
        [{ expression: "EPL-2.0 OR GPL-2.0-with-classpath-exception" }],
        4,
        "Example, Inc.",
      ],
      // No bom-ref: the purl names it.
      ["pkg:maven/com.example/myframework@1.0.0?packaging=war", "com.example", "myframework", "1.0.0", [{ name: "Some random license" }], 4, null],
    ]);
    expect(r.components.map((f) => [f.hasCpe, f.licenseTexts])).toEqual([
      [false, [{ text: "Apache-2.0", validSpdx: true }]],
      [true, [{ text: "EPL-2.0 OR GPL-2.0-with-classpath-exception", validSpdx: true }]],
      [false, [{ text: "Some random license", validSpdx: false }]],
    ]);
    expect(r.sbom.dependencies).toEqual([
      { ref: "metadata.component", dependsOn: [] },
      { ref: "pkg:maven/com.acme/tomcat-catalina@9.0.14?packaging=jar", dependsOn: ["pkg:maven/com.example/myapplication@1.0.0?packaging=war"] },
    ]);
  });

  it("metadata.tools in the 1.5+ object form (components and services) and the deprecated array form", () => {
    expect(spec("1.6/valid-metadata-tool-1.6.json").sbom.metadata.tools).toEqual([
      { vendor: "Awesome Vendor", name: "Awesome Tool", version: "9.1.2" },
      { vendor: "com.example", name: "Acme Signing Server", version: "" },
    ]);
    expect(spec("1.6/valid-metadata-tool-deprecated-1.6.json").sbom.metadata.tools).toEqual([
      { vendor: "Awesome Vendor", name: "Awesome Tool", version: "9.1.2" },
    ]);
  });

  it("authors and the supplier of the SBOM count as its authors", () => {
    expect(spec("1.6/valid-metadata-author-1.6.json").document.authors).toEqual(["Samantha Wright"]);
    expect(spec("1.6/valid-metadata-supplier-1.6.json").document.authors).toEqual(["Acme, Inc."]);
    expect(spec("1.6/valid-minimal-viable-1.6.json").document).toMatchObject({ authors: [], toolNames: [], rootDeclared: false, timestampValid: false });
  });

  it("every hash algorithm of the spec is kept", () => {
    expect(spec("1.6/valid-component-hashes-1.6.json").sbom.components[0]!.hashes.map((h) => h.alg)).toEqual([
      "BLAKE2b-256",
      "BLAKE2b-384",
      "BLAKE2b-512",
      "BLAKE3",
      "MD5",
      "SHA-1",
      "SHA-256",
      "SHA-384",
      "SHA-512",
      "SHA3-256",
      "SHA3-384",
      "SHA3-512",
    ]);
  });

  it("identifiers: CPE, OmniBOR and SWHID count as unique identifiers", () => {
    const r = spec("1.6/valid-component-identifiers-1.6.json");
    expect(r.components[0]).toMatchObject({ purl: "valid", hasCpe: true, hasOtherId: true, hasSwid: false });
    expect(r.sbom.components[0]).toMatchObject({ ecosystem: "maven", group: "com.example", purl: "pkg:maven/com.example/acme-library@1.0.0" });
  });

  it("licences: expression, id, name", () => {
    expect(spec("1.6/valid-license-expression-1.6.json").sbom.components[0]!.licenses).toEqual([{ expression: "EPL-2.0 OR GPL-2.0 WITH Classpath-exception-2.0" }]);
    expect(spec("1.6/valid-license-id-1.6.json").sbom.components[0]!.licenses).toEqual([{ expression: "Apache-2.0" }]);
    // A name that spells an SPDX licence is normalised; the raw text is kept as not valid SPDX for the quality report.
    const named = spec("1.6/valid-license-name-1.6.json");
    expect(named.sbom.components[0]!.licenses).toEqual([{ expression: "Apache-2.0" }]);
    expect(named.components[0]!.licenseTexts).toEqual([{ text: "Apache License 2.0", validSpdx: false }]);
  });

  it("nested components are flattened, remembering their parent", () => {
    const r = spec("1.6/valid-assembly-1.6.json");
    expect(r.sbom.components.map((c) => c.bomRef)).toEqual(["components[0]", "components[0].components[0]"]);
    expect(r.components.map((f) => f.nestedIn ?? null)).toEqual([null, "components[0]"]);
    expect(r.document.nestedComponentCount).toBe(1);
  });

  it("a SaaSBOM's dependencies on services are not components and not unknown refs either", () => {
    const r = spec("1.5/valid-saasbom-1.5.json");
    expect(r.sbom.components).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.sbom.metadata.root).toMatchObject({ bomRef: "acme-stock-application", name: "Acme SaaSBOM Example", version: "2022-1" });
  });

  it("component types outside the model's five become libraries; a container stays a container", () => {
    expect(spec("1.6/valid-component-types-1.6.json").sbom.components.map((c) => `${c.name}:${c.type}`)).toEqual([
      "application-a:application",
      "library-a:library",
      "framework-a:framework",
      "container-a:container",
      "operating-system-a:library",
      "firmware-a:library",
      "device-a:library",
      "file-a:file",
      "data-a:library",
    ]);
  });

  it("schema-invalid BOMs are read as far as they make sense, each defect a warning or a fact", () => {
    const dup = spec("1.5/invalid-component-ref-1.5.json");
    expect(dup.sbom.components.map((c) => c.bomRef)).toEqual(["123", "components[1]", "components[2]"]);
    expect(dup.warnings).toEqual([{ path: "components[1].bom-ref", message: 'duplicate bom-ref "123": renamed', line: 15 }]);

    expect(spec("1.6/invalid-dependency-1.6.json").warnings.map((w) => `${w.line} ${w.path}: ${w.message}`)).toEqual([
      "28 dependencies[0]: dependency without ref: skipped",
      "31 dependencies[1]: dependency without ref: skipped",
    ]);
    const md5 = spec("1.5/invalid-hash-md5-1.5.json");
    expect(md5.sbom.components[0]!.hashes.map((h) => h.alg)).toEqual(["SHA-1", "SHA-256", "SHA-512"]);
    expect(md5.warnings.map((w) => w.message)).toEqual(['not a "MD5" hex digest: skipped']);
    expect(spec("1.6/invalid-license-id-1.6.json").components[0]!.licenseTexts).toEqual([{ text: "Apache-2", validSpdx: false }]);
    expect(spec("1.6/invalid-metadata-timestamp-1.6.json").document).toMatchObject({ timestamp: "2020-04-13", timestampValid: false });
    expect(spec("1.6/invalid-metadata-timestamp-1.6.json").sbom.metadata.timestamp).toBe("");
    expect(spec("1.6/invalid-empty-component-1.6.json").sbom.components[0]).toMatchObject({ name: "", version: "" });
    expect(spec("1.5/invalid-scope-1.5.json").sbom.components[0]!.scope).toBe("required");
  });
});

describe("real CycloneDX SBOMs", () => {
  const wild = (file: string) => read(join("sboms-in-the-wild", file));

  it("cyclonedx-gomod: the root's nested packages are flattened too", () => {
    const r = wild("cdx14_cyclonedx-gomod-1.2.0_harp-0.2.10.json");
    expect(r.sbom.metadata.root).toMatchObject({ name: "github.com/elastic/harp", version: "v0.2.10", purl: "pkg:golang/github.com/elastic/harp@v0.2.10?type=module#cmd/harp" });
    expect(r.sbom.components.length).toBe(814);
    expect(r.document.nestedComponentCount).toBe(658);
    expect(r.components.filter((f) => f.nestedIn === r.sbom.metadata.root.bomRef).length).toBe(109);
    expect(r.sbom.metadata.tools).toEqual([{ vendor: "CycloneDX", name: "cyclonedx-gomod", version: "v1.2.0" }]);
    expect(r.document).toMatchObject({ rootDependencyCount: 69, dependencyEdgeCount: 443 });
  });

  it("cdxgen: 1.5 tools object, authors, optional scope, npm group", () => {
    const r = wild("cdx15_cdxgen-9.8.8_nodegoat.json");
    expect(r.sbom.metadata.tools).toEqual([{ vendor: "@cyclonedx", name: "cdxgen", version: "9.8.8" }]);
    expect(r.document.authors).toEqual(["Prabhu Subramanian"]);
    expect(r.sbom.metadata.timestamp).toBe("2023-10-06T13:48:15Z");
    expect(r.sbom.components.filter((c) => c.scope === "optional").length).toBe(715);
    expect(r.sbom.components.find((c) => c.bomRef === "pkg:npm/@cypress/listr-verbose-renderer@0.4.1")).toMatchObject({
      group: "@cypress",
      name: "listr-verbose-renderer",
      ecosystem: "npm",
      purl: "pkg:npm/%40cypress%2Flistr-verbose-renderer@0.4.1",
    });
  });

  it("Black Duck: suppliers with an empty name are no suppliers, few purls", () => {
    const r = wild("cdx15_blackduck-hub-2025.1.1.json");
    expect(r.components.length).toBe(116);
    expect(r.components.filter((f) => f.purl === "absent").length).toBe(113);
    expect(r.components.filter((f) => f.supplierPresent).length).toBe(3);
    expect(r.sbom.metadata.root).toMatchObject({ name: "STM32CubeH7", version: "1.12.1", supplier: "ST Microelectronics" });
    expect(r.document.toolNames).toEqual(["Hub 2025.1.1", "cyclonedx-core-java 5.0.5"]);
  });

  it("ghidra: no metadata at all, no bom-refs", () => {
    const r = wild("cdx14_custom_ghidra-10.2.2.json");
    expect(r.document).toMatchObject({ rootDeclared: false, toolNames: [], authors: [], timestampValid: false, dependencyEdgeCount: 0 });
    expect(r.sbom.components.length).toBe(109);
    expect(r.sbom.components.filter((c) => c.version === "").length).toBe(16);
    expect(r.components.filter((f) => f.purl === "absent").length).toBe(47);
  });
});
