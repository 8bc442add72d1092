import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { isVouchError } from "../../core/errors.js";
import { assessQuality } from "../quality/index.js";
import { readSbom } from "./index.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const TESTDATA = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

const refusal = (text: string, file = "input.json") => thrownVouchError(() => readSbom(text, file));

describe("format detection", () => {
  it("reads SPDX 2.2 and 2.3 and CycloneDX 1.4 to 1.7", () => {
    const spdx = (v: string) => JSON.stringify({ spdxVersion: `SPDX-${v}`, SPDXID: "SPDXRef-DOCUMENT", name: "d", packages: [] });
    const cdx = (v: string) => JSON.stringify({ bomFormat: "CycloneDX", specVersion: v, components: [] });
    expect(["2.2", "2.3"].map((v) => [readSbom(spdx(v), "a").format, readSbom(spdx(v), "a").specVersion])).toEqual([
      ["spdx", "2.2"],
      ["spdx", "2.3"],
    ]);
    expect(["1.4", "1.5", "1.6", "1.7"].map((v) => readSbom(cdx(v), "a").specVersion)).toEqual(["1.4", "1.5", "1.6", "1.7"]);
  });

  it("refuses other versions with INPUT_UNSUPPORTED_FORMAT naming the field's line", () => {
    const old = refusal('{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.3",\n  "components": []\n}');
    expect([old.code, old.location.line, old.message]).toEqual([
      "INPUT_UNSUPPORTED_FORMAT",
      3,
      'CycloneDX "1.3" is not supported: vouch reads CycloneDX 1.4, 1.5, 1.6, 1.7 JSON',
    ]);
    const spdx21 = refusal('{"spdxVersion": "SPDX-2.1", "packages": []}');
    expect([spdx21.code, spdx21.message]).toEqual(["INPUT_UNSUPPORTED_FORMAT", 'SPDX version "SPDX-2.1" is not supported: vouch reads SPDX 2.2 and 2.3 JSON']);
    expect(refusal('{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}').message).toBe(
      "SPDX 3 (JSON-LD) is not supported: vouch reads SPDX 2.2 and 2.3 JSON",
    );
  });

  it("refuses JSON that is not an SBOM", () => {
    const app = refusal(fixture("neither-format.json"), "neither-format.json");
    expect([app.code, app.describe()]).toEqual([
      "INPUT_UNSUPPORTED_FORMAT",
      "neither-format.json: not an SBOM: neither SPDX JSON (no spdxVersion) nor CycloneDX JSON (no bomFormat)",
    ]);
    expect(refusal("[1, 2]").message).toBe("not an SBOM: the JSON document is an array, not an SPDX or CycloneDX object");
    expect(refusal('"CycloneDX"').message).toBe("not an SBOM: the JSON document is a string, not an SPDX or CycloneDX object");
    const other = refusal(readFileSync(join(TESTDATA, "cyclonedx-testdata", "1.6", "invalid-bomformat-1.6.json"), "utf8"));
    expect([other.code, other.message]).toEqual(["INPUT_UNSUPPORTED_FORMAT", 'bomFormat "AnotherFormat" is not "CycloneDX": not an SBOM vouch reads']);
  });

  it("names the other encodings instead of calling them bad JSON", () => {
    expect(refusal('<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>').message).toBe(
      "XML SBOMs are not supported: vouch reads SPDX and CycloneDX JSON",
    );
    expect(refusal("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n").message).toBe("SPDX tag-value is not supported: vouch reads SPDX JSON");
  });

  it("refuses a marker field of the wrong type as malformed", () => {
    const e = refusal('{"spdxVersion": 2.3}');
    expect([e.code, e.message]).toEqual(["INPUT_MALFORMED", 'spdxVersion: expected a string like "SPDX-2.3", found a number']);
  });
});

describe("corrupt input (fixtures/)", () => {
  it("truncated JSON: INPUT_MALFORMED at the end of the text", () => {
    const e = refusal(fixture("truncated.cdx.json"), "truncated.cdx.json");
    expect([e.code, e.location]).toEqual(["INPUT_MALFORMED", { file: "truncated.cdx.json", line: 15 }]);
    expect(e.message).toMatch(/^not valid JSON: /);
  });

  it("CycloneDX components that are not an array: the field and its line", () => {
    const e = refusal(fixture("cdx-components-not-array.cdx.json"), "c.json");
    expect([e.code, e.describe()]).toEqual(["INPUT_MALFORMED", "c.json:8: components: expected an array, found an object"]);
  });

  it("SPDX packages that are not objects: the entry and its line", () => {
    const e = refusal(fixture("spdx-packages-not-objects.spdx.json"), "p.json");
    expect([e.code, e.describe()]).toEqual(["INPUT_MALFORMED", "p.json:18: packages[1]: expected an object, found a string"]);
  });

  it("SPDX package fields of the wrong types: each ignored with a warning that names it", () => {
    const read = readSbom(fixture("spdx-package-fields-wrong-types.spdx.json"), "f.json");
    expect(read.warnings.map((w) => `${w.line ?? "-"} ${w.path}: ${w.message}`)).toEqual([
      "8 creationInfo.created: expected a string, found a number: ignored",
      "9 creationInfo.creators[1]: expected a string, found a number: skipped",
      "21 packages[1].name: expected a string, found an array: ignored",
      "22 packages[1].versionInfo: expected a string, found a number: ignored",
      "23 packages[1].supplier: expected a string, found an object: ignored",
      "24 packages[1].licenseDeclared: expected a string, found a number: ignored",
      "26 packages[1].checksums: expected an array, found a string: ignored",
      "27 packages[1].externalRefs: expected an array, found an object: ignored",
      "35 packages[2].checksums[0]: expected an object, found a string: skipped",
      '36 packages[2].checksums[1].checksumValue: not a "SHA256" hex digest: skipped',
      '37 packages[2].checksums[2].algorithm: algorithm "SHA224" is not one vouch keeps: skipped',
      "42 packages[2].externalRefs[1].referenceLocator: expected a string, found a boolean: ignored",
      "49 relationships[1]: relationship without spdxElementId, relationshipType or relatedSpdxElement: skipped",
      "49 relationships[1].relationshipType: expected a string, found a number: ignored",
    ]);
    expect(read.warningCount).toBe(14);
    const [half, odd] = read.sbom.components;
    expect(odd).toMatchObject({ bomRef: "SPDXRef-Package-odd", name: "", version: "", licenses: [{ expression: "MIT" }], hashes: [] });
    expect(odd).not.toHaveProperty("supplier");
    expect(half).toMatchObject({
      bomRef: "SPDXRef-Package-half",
      name: "half",
      version: "1.2.3",
      purl: "pkg:npm/half@1.2.3",
      ecosystem: "npm",
      hashes: [{ alg: "SHA-1", content: "e6b1000b94e835ffd37f4c6dcbdad43f4b48a02a" }],
    });
    expect(read.sbom.dependencies).toEqual([{ ref: "SPDXRef-Package-app", dependsOn: ["SPDXRef-Package-half"] }]);
    expect(read.document).toMatchObject({ timestampValid: false, toolNames: ["hand 1.0"] });
    expect(read.document.timestamp).toBeUndefined();
  });

  it("refuses CycloneDX components nested deeper than any real assembly", () => {
    let component: Record<string, unknown> = { type: "library", name: "leaf" };
    for (let i = 0; i < 70; i++) component = { type: "library", name: `level-${i}`, components: [component] };
    const e = refusal(JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", components: [component] }));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toMatch(/^components\[0\](\.components\[0\]){65}: components nested more than 64 levels deep$/);
  });

  it("reads arrays nested far deeper than the stack allows only as a clear error", () => {
    const e = refusal(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": ${"[".repeat(100_000)}`);
    expect(e.code).toBe("INPUT_MALFORMED");
  });
});

/**
 * Every field is attacker-controlled: replace each value of two real documents, one at a time, with every other
 * JSON type. Reading and judging must either succeed or refuse with a VouchError, never throw anything else.
 */
describe("hostile values in every field", () => {
  const REPLACEMENTS: unknown[] = [null, 7, -1.5, "", "NOASSERTION", "constructor", "__proto__", "x\u0000\u001b[31m", true, [], [1, "a"], {}, { "bom-ref": 3 }];

  function* paths(value: unknown, path: (string | number)[] = []): Generator<(string | number)[]> {
    if (path.length > 0) yield path;
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* paths(value[i], [...path, i]);
    else if (typeof value === "object" && value !== null) for (const key of Object.keys(value)) yield* paths((value as Record<string, unknown>)[key], [...path, key]);
  }

  function replaced(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    let node = copy;
    for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = value;
    return copy;
  }

  for (const file of ["cyclonedx-testdata/1.6/valid-bom-1.6.json", "spdx-examples/example11-sbom.spdx.json"]) {
    it(file, () => {
      const doc = JSON.parse(readFileSync(join(TESTDATA, file), "utf8")) as unknown;
      let runs = 0;
      const unexpected: string[] = [];
      for (const path of paths(doc)) {
        for (const value of REPLACEMENTS) {
          runs++;
          try {
            assessQuality(readSbom(JSON.stringify(replaced(doc, path, value)), "hostile.json"));
          } catch (error) {
            if (!isVouchError(error) || !error.code.startsWith("INPUT_")) unexpected.push(`${path.join(".")} = ${JSON.stringify(value)}: ${String(error)}`);
          }
        }
      }
      expect(unexpected).toEqual([]);
      expect(runs).toBeGreaterThan(500);
    });
  }
});

describe("names of Object.prototype properties in the data", () => {
  it("are plain strings, not lookups into the prototype", () => {
    const read = readSbom(
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        components: [{ "bom-ref": "__proto__", type: "constructor", scope: "toString", name: "x", purl: "pkg:constructor/x@1" }],
        dependencies: [{ ref: "__proto__", dependsOn: ["constructor"] }],
      }),
      "proto.json",
    );
    expect(read.sbom.components[0]).toMatchObject({ bomRef: "__proto__", type: "library", scope: "required", ecosystem: "generic" });
    expect(read.warnings.map((w) => w.message)).toEqual(['unknown bom-ref "constructor": edge dropped']);
  });
});

describe("speed", () => {
  it("long hostile texts do not make the patterns backtrack for seconds", () => {
    const long = (s: string) => s.repeat(Math.ceil(50_000 / s.length));
    const doc = {
      spdxVersion: "SPDX-2.3",
      SPDXID: "SPDXRef-DOCUMENT",
      name: "d",
      creationInfo: { created: "2024-01-01T00:00:00Z", creators: [`Tool: x${long(" ")}!`, `Tool: ${long("a-1")}!`, `Organization: ${long(" ")}x`] },
      packages: [
        { SPDXID: "SPDXRef-a", name: "a", versionInfo: `${long("1-")}!`, supplier: `Person: x${long(" ")}(`, licenseDeclared: `MIT${long(" ")}x` },
        { SPDXID: "SPDXRef-b", name: "a", versionInfo: `2.0-${long("1.")}`, licenseDeclared: `${long("MIT and ")}(` },
      ],
    };
    // Not a speed target (bench/ measures speed): a guard that hostile strings cannot make reading quadratic,
    // which took 37 s on this input before lengths were bounded. The bound is loose enough for a busy CI box.
    const start = performance.now();
    const read = readSbom(JSON.stringify(doc), "long.json");
    assessQuality(read);
    expect(performance.now() - start).toBeLessThan(5000);
    expect(read.sbom.metadata.tools.map((t) => t.version)).toEqual(["", ""]);
  });

  it("a licence text that names no licence is no licence", () => {
    const read = readSbom(JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [{ SPDXID: "SPDXRef-a", name: "a", licenseDeclared: "UNKNOWN" }] }), "u.json");
    expect([read.components[0]!.licenseTexts, read.sbom.components[0]!.licenses]).toEqual([[], []]);
  });

  it("reads and judges the 2.7 MB syft SBOM", () => {
    const text = readFileSync(join(TESTDATA, "sboms-in-the-wild", "cdx15_syft-0.96.0_plone-5.2.json"), "utf8");
    const report = assessQuality(readSbom(text, "plone.json"));
    expect(report.componentCount).toBe(611);
  });
});
