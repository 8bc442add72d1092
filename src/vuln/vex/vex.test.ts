import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSuppressed, type Finding } from "../findings.js";
import { log4shell } from "../findings.test-helper.js";
import { applyVex, parseCycloneDxVexJson, parseOpenVexJson, parseVexJson, purlCovers } from "./index.js";
import { thrownVouchError } from "../../../test/support/errors.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const read = (path: string) => readFileSync(join(FIXTURES, path), "utf8");

function component(purl: string, version: string, bomRef?: string): Finding["component"] {
  return { purl, name: purl.split("/").pop()!.split("@")[0]!, version, ecosystem: "Alpine", ...(bomRef ? { bomRef } : {}) };
}
function finding(id: string, purl: string, version: string, aliases: string[] = []): Finding {
  const base = log4shell();
  return {
    ...base,
    vulnerability: { ...base.vulnerability, id, aliases },
    component: component(purl, version),
  };
}

describe("OpenVEX parsing", () => {
  it("reads vexctl's documents: status, product, the statement's own timestamp", () => {
    const doc = parseOpenVexJson(read("openvex/vexctl-document1.vex.json"));
    expect(doc.format).toBe("openvex");
    expect(doc.id).toBe("https://openvex.dev/docs/public/vex-0f3be8817faafa24e4bfb3d17eaf619efb1fe54923b9c42c57b156a936b91431");
    expect(doc.statements).toHaveLength(1);
    expect(doc.statements[0]).toMatchObject({
      vulnerability: "CVE-1234-5678",
      status: "under_investigation",
      timestamp: "2023-12-05T05:04:34.77929922Z",
      products: [{ ids: ["pkg:apk/wolfi/bash@1.0.0"], subcomponents: [] }],
    });
  });

  it("inherits the document timestamp when a statement has none", () => {
    const doc = parseOpenVexJson(read("openvex/grype-openvex-demo1.json"));
    expect(doc.statements[0]!.timestamp).toBe("2023-07-17T18:28:47.696004345-06:00");
    expect(doc.statements[0]!.products[0]!.subcomponents).toEqual([["pkg:apk/alpine/libssl3@3.0.8-r3"], ["pkg:apk/alpine/libcrypto3@3.0.8-r3"]]);
  });

  it("refuses a corrupt document naming the field", () => {
    const bad = thrownVouchError(() => parseOpenVexJson(read("corrupt/openvex-bad-justification.json")));
    expect(bad.code).toBe("INPUT_MALFORMED");
    expect(bad.message).toContain("statements[0].justification");
    expect(thrownVouchError(() => parseOpenVexJson(read("corrupt/openvex-truncated.json"))).code).toBe("INPUT_MALFORMED");
  });

  it.each([
    ["not_affected without justification or impact_statement", { status: "not_affected" }, "statements[0] is not_affected"],
    ["affected without action_statement", { status: "affected" }, "statements[0].action_statement"],
    ["an unknown status", { status: "exploitable" }, "statements[0].status"],
    ["a product with neither @id nor identifiers", { status: "fixed", products: [{ hashes: {} }] }, "statements[0].products[0]"],
    ["a bad timestamp", { status: "fixed", timestamp: "yesterday" }, "statements[0].timestamp"],
    ["no vulnerability name", { status: "fixed", vulnerability: {} }, "statements[0].vulnerability.name"],
  ])("refuses %s", (_name, statement, field) => {
    const doc = {
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex",
      author: "t",
      timestamp: "2024-01-01T00:00:00Z",
      version: 1,
      statements: [{ vulnerability: { name: "CVE-1" }, products: [{ "@id": "pkg:npm/a@1" }], ...statement }],
    };
    const e = thrownVouchError(() => parseOpenVexJson(JSON.stringify(doc)));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain(field);
  });

  it("notes a statement without products (it covers nothing)", () => {
    const doc = parseOpenVexJson(
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex",
        author: "t",
        timestamp: "2024-01-01T00:00:00Z",
        version: 1,
        statements: [{ vulnerability: { name: "CVE-1" }, status: "fixed" }],
      }),
    );
    expect(doc.notes).toEqual(["statements[0] names no products: it applies to nothing"]);
    expect(applyVex([finding("CVE-1", "pkg:npm/a@1", "1")], [doc], { products: ["pkg:npm/a@1"] })[0]!.vex).toBeUndefined();
  });

  it("refuses a document that is not v0.2.0 as unsupported", () => {
    const e = thrownVouchError(() => parseOpenVexJson(JSON.stringify({ "@context": "https://openvex.dev/ns/v0.0.1", statements: [] })));
    expect(e.code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });
});

describe("CycloneDX VEX parsing", () => {
  it.each([
    ["cisa-case1-not_affected.json", "not_affected", undefined, "code_not_present"],
    ["cisa-case1-affected.json", "affected", "exploitable", undefined],
    ["cisa-case1-fixed.json", "fixed", "resolved", undefined],
    ["cisa-case1-under_investigation.json", "under_investigation", "in_triage", undefined],
  ])("%s: analysis.state maps to %s", (file, status, state, justification) => {
    const doc = parseCycloneDxVexJson(read(`cyclonedx/${file}`));
    const s = doc.statements[0]!;
    expect(s.status).toBe(status);
    expect(s.source.state).toBe(state);
    expect(s.justification).toBe(justification);
    expect(s.timestamp).toBe("2022-03-03T00:00:00Z");
    expect(s.products[0]!.ids[0]).toMatch(/^product-/);
  });

  it("keeps the not_affected detail as the impact statement and the responses", () => {
    const s = parseCycloneDxVexJson(read("cyclonedx/cisa-case1-not_affected.json")).statements[0]!;
    expect(s.impactStatement).toContain("Class with vulnerable code was removed");
    expect(s.responses).toEqual(["will_not_fix"]);
  });

  it("reads a BOM-Link ref, a references alias and a lone-string response (bom-examples VEX/vex.json)", () => {
    const s = parseCycloneDxVexJson(read("cyclonedx/bom-examples-vex.json")).statements[0]!;
    expect(s.vulnerability).toBe("CVE-2020-25649");
    expect(s.aliases).toEqual(["SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302"]);
    expect(s.responses).toEqual(["will_not_fix"]);
    expect(s.products[0]!.ids).toContain("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar");
    expect(s.timestamp).toBe("2021-10-26T00:00:00.000Z");
  });

  it("reads an analysis without affects as being about metadata.component (grype cdx-demo1)", () => {
    const doc = parseCycloneDxVexJson(read("cyclonedx/grype-cdx-demo1.json"));
    expect(doc.id).toBe("urn:uuid:123e4567-e89b-12d3-a456-426614174000");
    expect(doc.statements[0]!.products).toEqual([{ ids: ["pkg:generic/sample-app@1.0.0"], subcomponents: [] }]);
  });

  it("applies affects.versions to the listed versions and vers ranges (in the scheme's order); a scheme vouch cannot order is noted", () => {
    const vex = (versions: unknown[]) =>
      parseCycloneDxVexJson(
        JSON.stringify({
          bomFormat: "CycloneDX",
          specVersion: "1.6",
          version: 1,
          vulnerabilities: [{ id: "CVE-1", analysis: { state: "not_affected", justification: "code_not_present" }, affects: [{ ref: "pkg:npm/a", versions }] }],
        }),
      );
    const doc = vex([{ version: "1.0.0", status: "unaffected" }, { range: "vers:npm/>=2.0.0|<2.5.0", status: "unaffected" }]);
    expect(doc.notes).toEqual([]);
    const status = (d: typeof doc, version: string) => applyVex([finding("CVE-1", `pkg:npm/a@${version}`, version)], [d])[0]!.vex?.status;
    expect(["1.0.0", "1.5.0", "2.0.0", "2.1.0", "2.5.0-rc.1", "2.5.0", "3.0.0"].map((v) => status(doc, v))).toEqual([
      "not_affected",
      undefined,
      "not_affected",
      "not_affected",
      "not_affected",
      undefined,
      undefined,
    ]);
    // Maven's order: 2.0-beta9 is before 2.0, so a range from 2.0 leaves it out.
    const maven = vex([{ range: "vers:maven/>=2.0|<2.17.1" }]);
    const mavenStatus = (version: string) => status(maven, version);
    expect(["2.0-beta9", "2.0", "2.14.1", "2.17.1"].map(mavenStatus)).toEqual([undefined, "not_affected", "not_affected", undefined]);
    const generic = vex([{ range: "vers:generic/>=1" }]);
    expect(generic.notes).toEqual([
      'vulnerabilities[0].affects[0].versions[0]: version range vers:generic/>=1 not evaluated (no version scheme for "generic"; the statement applies only to listed versions)',
    ]);
    expect(status(generic, "2")).toBeUndefined();
    const e = thrownVouchError(() => vex([{ range: "vers:npm/>=1.0.0||<2" }]));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain("vulnerabilities[0].affects[0].versions[0].range");
  });

  it("refuses a corrupt document naming the field", () => {
    const e = thrownVouchError(() => parseCycloneDxVexJson(read("corrupt/cyclonedx-bad-state.json")));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain("vulnerabilities[0].analysis.state");
  });

  it("detects the format", () => {
    expect(parseVexJson(read("cyclonedx/cisa-case1-fixed.json")).format).toBe("cyclonedx");
    expect(parseVexJson(read("openvex/vexctl-demo.vex.json")).format).toBe("openvex");
    expect(thrownVouchError(() => parseVexJson("{}")).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });
});

describe("purl coverage (go-vex PurlMatches)", () => {
  it.each([
    ["pkg:apk/wolfi/git", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", true],
    ["pkg:apk/wolfi/git@2.39.0-r1", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", true],
    ["pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", false],
    ["pkg:apk/wolfi/git@2.39.0-r2", "pkg:apk/wolfi/git@2.39.0-r1", false],
    ["pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", "pkg:apk/wolfi/git@2.39.0-r1", false],
    ["pkg:apk/alpine/git", "pkg:apk/wolfi/git", false],
    ["not a purl", "pkg:apk/wolfi/git", false],
  ])("%s covers %s: %s", (general, specific, expected) => {
    expect(purlCovers(general, specific)).toBe(expected);
  });
});

describe("applying VEX", () => {
  it("the later of two statements wins (vexctl document1 then document2: fixed)", () => {
    const docs = [parseOpenVexJson(read("openvex/vexctl-document2.vex.json")), parseOpenVexJson(read("openvex/vexctl-document1.vex.json"))];
    const [out] = applyVex([finding("CVE-1234-5678", "pkg:apk/wolfi/bash@1.0.0?arch=x86_64", "1.0.0")], docs);
    expect(out!.vex?.status).toBe("fixed");
    expect(out!.vex?.source.timestamp).toBe("2023-12-05T05:06:38.099731287Z");
  });

  it("compares timestamps below the millisecond", () => {
    const doc = (status: string, ts: string) =>
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": `https://example.com/${status}`,
        author: "t",
        timestamp: ts,
        version: 1,
        statements: [{ vulnerability: { name: "CVE-1" }, products: [{ "@id": "pkg:npm/a" }], status, ...(status === "affected" ? { action_statement: "upgrade" } : {}) }],
      });
    const later = parseOpenVexJson(doc("fixed", "2024-01-01T00:00:00.000000002Z"));
    const earlier = parseOpenVexJson(doc("affected", "2024-01-01T00:00:00.000000001Z"));
    const f = finding("CVE-1", "pkg:npm/a@1.0.0", "1.0.0");
    expect(applyVex([f], [later, earlier])[0]!.vex?.status).toBe("fixed");
    expect(applyVex([f], [earlier, later])[0]!.vex?.status).toBe("fixed");
  });

  it("matches through aliases: a CVE statement covers the GHSA finding", () => {
    const doc = parseCycloneDxVexJson(read("cyclonedx/bom-examples-vex.json"));
    const f = finding("GHSA-288c-cq4h-88gq", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", "2.10.0", ["CVE-2020-25649"]);
    const [out] = applyVex([f], [doc]);
    expect(isSuppressed(out!)).toBe(true);
    expect(out!.vex).toMatchObject({ status: "not_affected", justification: "code_not_reachable", source: { format: "cyclonedx" } });
  });

  it("a product with subcomponents applies only when it is the scanned product", () => {
    const doc = parseOpenVexJson(read("openvex/grype-openvex-demo1.json"));
    const image = "pkg:oci/alpine@sha256%253A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126?repository_url=index.docker.io%2Flibrary";
    const f = finding("CVE-2023-1255", "pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64&distro=alpine-3.17.3", "3.0.8-r3");
    expect(applyVex([f], [doc])[0]!.vex).toBeUndefined();
    expect(applyVex([f], [doc], { products: ["pkg:oci/other@sha256%3Aabc"] })[0]!.vex).toBeUndefined();
    expect(applyVex([f], [doc], { products: [image] })[0]!.vex?.status).toBe("fixed");
    const other = finding("CVE-2023-1255", "pkg:apk/alpine/openssl@3.0.8-r3", "3.0.8-r3");
    expect(applyVex([other], [doc], { products: [image] })[0]!.vex).toBeUndefined();
  });

  it("a product that is the package itself covers it (grype openvex-package-product)", () => {
    const doc = parseOpenVexJson(read("openvex/grype-openvex-package-product.json"));
    const f = finding("CVE-2023-1255", "pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64", "3.0.8-r3");
    expect(applyVex([f], [doc])[0]!.vex?.status).toBe("fixed");
    const otherVersion = finding("CVE-2023-1255", "pkg:apk/alpine/libcrypto3@3.0.8-r4", "3.0.8-r4");
    expect(applyVex([otherVersion], [doc])[0]!.vex).toBeUndefined();
  });

  it("a CycloneDX statement about the product's bom-ref covers every component of the scanned product", () => {
    const doc = parseCycloneDxVexJson(read("cyclonedx/cisa-case1-not_affected.json"));
    const f = log4shell();
    expect(applyVex([f], [doc])[0]!.vex).toBeUndefined();
    const [out] = applyVex([f], [doc], { products: ["product-ABC"] });
    expect(out!.vex).toMatchObject({ status: "not_affected", justification: "code_not_present" });
    expect(out!.vex?.impactStatement).toContain("removed before shipping");
  });

  it("a statement about another vulnerability or another component changes nothing", () => {
    const doc = parseOpenVexJson(read("openvex/vexctl-demo.vex.json"));
    const f = finding("CVE-2014-123456", "pkg:apk/distro/git@2.39.0-r1?arch=aarch64", "2.39.0-r1");
    expect(applyVex([f], [doc])[0]).toBe(f);
    const g = finding("CVE-2014-123456", "pkg:apk/distro/git@2.39.0-r1?arch=x86_64", "2.39.0-r1");
    expect(applyVex([g], [doc])[0]!.vex?.status).toBe("fixed");
  });
});
