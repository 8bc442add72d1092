import { describe, expect, it } from "vitest";
import { schemaErrors } from "../../../test/support/schemas.js";
import type { Component, Sbom } from "../model/types.js";
import { toCycloneDx } from "./cyclonedx.js";
import { toSpdx } from "./spdx.js";

function lib(name: string, version: string, extra: Partial<Component> = {}): Component {
  const purl = `pkg:npm/${name}@${version}`;
  return {
    bomRef: purl,
    type: "library",
    ecosystem: "npm",
    name,
    version,
    purl,
    licenses: [],
    hashes: [],
    scope: "required",
    externalRefs: [],
    foundIn: ["package-lock.json"],
    properties: [],
    ...extra,
  };
}

const root: Component = { ...lib("app", "1.0.0"), type: "application", bomRef: "pkg:npm/app@1.0.0", foundIn: [] };
const sbom: Sbom = {
  metadata: {
    timestamp: "2024-01-02T03:04:05Z",
    tools: [{ vendor: "vouch", name: "vouch", version: "0.1.0" }],
    authors: ["Example Corp"],
    root,
    build: { git: { commit: "a".repeat(40), branch: "main", remote: "https://example.test/org/app.git" } },
  },
  components: [
    lib("dual", "2.0.0", { licenses: [{ expression: "MIT OR Apache-2.0" }] }),
    lib("left-pad", "1.3.0", {
      licenses: [{ expression: "WTFPL" }],
      hashes: [{ alg: "SHA-512", content: "ab".repeat(64) }],
    }),
    lib("odd", "0.0.1", { licenses: [{ name: "Custom Corp License" }], scope: "dev" }),
  ],
  dependencies: [
    { ref: "pkg:npm/app@1.0.0", dependsOn: ["pkg:npm/dual@2.0.0", "pkg:npm/left-pad@1.3.0", "pkg:npm/odd@0.0.1"] },
    { ref: "pkg:npm/dual@2.0.0", dependsOn: ["pkg:npm/left-pad@1.3.0"] },
  ],
};

describe("CycloneDX serializer", () => {
  const doc = toCycloneDx(sbom, { specVersion: "1.6", serialNumber: "urn:uuid:00000000-0000-4000-8000-000000000000" }) as Record<string, any>;

  it("is schema-valid in 1.5, 1.6 and 1.7", () => {
    for (const v of ["1.5", "1.6", "1.7"] as const) {
      expect(schemaErrors(`cyclonedx-${v}`, toCycloneDx(sbom, { specVersion: v, serialNumber: doc.serialNumber }))).toEqual([]);
    }
  });

  it("writes a simple id as a license object and a compound one as an expression", () => {
    const byName = new Map<string, any>(doc.components.map((c: any) => [c.name, c]));
    expect(byName.get("left-pad").licenses).toEqual([{ license: { id: "WTFPL", acknowledgement: "declared" } }]);
    expect(byName.get("dual").licenses).toEqual([{ expression: "MIT OR Apache-2.0", acknowledgement: "declared" }]);
    expect(byName.get("odd").licenses).toEqual([{ license: { name: "Custom Corp License", acknowledgement: "declared" } }]);
  });

  it("marks dev-only components excluded, keeps hashes, lists every component in dependencies", () => {
    const odd = doc.components.find((c: any) => c.name === "odd");
    expect(odd.scope).toBe("excluded");
    expect(odd.properties).toContainEqual({ name: "vouch:scope", value: "dev" });
    expect(doc.components.find((c: any) => c.name === "left-pad").hashes).toEqual([{ alg: "SHA-512", content: "ab".repeat(64) }]);
    expect(doc.dependencies.map((d: any) => d.ref)).toEqual([
      "pkg:npm/app@1.0.0",
      "pkg:npm/dual@2.0.0",
      "pkg:npm/left-pad@1.3.0",
      "pkg:npm/odd@0.0.1",
    ]);
    expect(doc.metadata.component.externalReferences).toEqual([{ type: "vcs", url: "https://example.test/org/app.git" }]);
    expect(doc.metadata.properties).toContainEqual({ name: "vouch:git:commit", value: "a".repeat(40) });
    expect(doc.metadata.authors).toEqual([{ name: "Example Corp" }]);
  });
});

describe("SPDX serializer", () => {
  const doc = toSpdx(sbom, { documentNamespace: "https://vouch.dev/spdxdocs/app-x" }) as Record<string, any>;
  const id = (name: string) => doc.packages.find((p: any) => p.name === name).SPDXID;

  it("is schema-valid, with the author and the tool as creators", () => {
    expect(schemaErrors("spdx-2.3", doc)).toEqual([]);
    expect(doc.creationInfo.creators).toEqual(["Organization: Example Corp", "Tool: vouch-0.1.0"]);
  });

  it("describes the root and spells dev edges from the dependency's side", () => {
    expect(doc.relationships).toContainEqual({ spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: id("app") });
    expect(doc.relationships).toContainEqual({ spdxElementId: id("app"), relationshipType: "DEPENDS_ON", relatedSpdxElement: id("dual") });
    expect(doc.relationships).toContainEqual({ spdxElementId: id("odd"), relationshipType: "DEV_DEPENDENCY_OF", relatedSpdxElement: id("app") });
  });

  it("converts checksums and licenses; unknown license text becomes an extracted LicenseRef", () => {
    const leftPad = doc.packages.find((p: any) => p.name === "left-pad");
    expect(leftPad.checksums).toEqual([{ algorithm: "SHA512", checksumValue: "ab".repeat(64) }]);
    expect(leftPad.licenseDeclared).toBe("WTFPL");
    expect(doc.packages.find((p: any) => p.name === "odd").licenseDeclared).toBe("LicenseRef-Custom-Corp-License");
    expect(doc.hasExtractedLicensingInfos).toEqual([
      { licenseId: "LicenseRef-Custom-Corp-License", extractedText: "Custom Corp License", name: "Custom Corp License" },
    ]);
    expect(doc.packages.find((p: any) => p.name === "app").licenseDeclared).toBe("NOASSERTION");
  });

  it("gives stable, valid SPDX ids", () => {
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(toSpdx(sbom, { documentNamespace: "x" }).packages).toEqual(doc.packages);
  });
});
