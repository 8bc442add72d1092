import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { pep440 } from "./pep440.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("pep440", () => {
  it("passes every comparison in osv-scalibr's pypi-versions.txt", () => {
    const cases = fixture("pypi-versions.txt");
    expect(cases.length).toBe(37);
    expect(checkComparisons(pep440, cases)).toEqual([]);
  });

  it("passes every comparison in pypi-versions-generated.txt (sorted by Python packaging)", () => {
    const cases = fixture("pypi-versions-generated.txt");
    expect(cases.length).toBe(12_375);
    expect(checkComparisons(pep440, cases)).toEqual([]);
  });

  it("passes pypi-versions-spellings.txt (separators, case, implicit numbers, epochs, locals; sorted by packaging)", () => {
    const cases = fixture("pypi-versions-spellings.txt");
    expect(cases.length).toBe(706);
    expect(checkComparisons(pep440, cases)).toEqual([]);
    for (const c of cases) expect(pep440.isValid(c.a) && pep440.isValid(c.b), c.text).toBe(true);
  });

  it("orders PEP 440's summary example", () => {
    // https://peps.python.org/pep-0440/#summary-of-permitted-suffixes-and-relative-ordering
    const chain = [
      "1.dev0",
      "1.0.dev456",
      "1.0a1",
      "1.0a2.dev456",
      "1.0a12.dev456",
      "1.0a12",
      "1.0b1.dev456",
      "1.0b2",
      "1.0b2.post345.dev456",
      "1.0b2.post345",
      "1.0rc1.dev456",
      "1.0rc1",
      "1.0",
      "1.0+abc.5",
      "1.0+abc.7",
      "1.0+5",
      "1.0.post456.dev34",
      "1.0.post456",
      "1.0.15",
      "1.1.dev1",
    ];
    expect([...chain].reverse().sort(pep440.compare)).toEqual(chain);
  });

  it("normalises the permitted spellings", () => {
    const same: [string, string][] = [
      ["1.0.0-ALPHA.1", "1.0.0a1"],
      ["1.0-1", "1.0.post1"],
      ["1.0.r2", "1.0.post2"],
      ["1.0c1", "1.0rc1"],
      ["1.0-preview-2", "1.0rc2"],
      ["1.0.post", "1.0.post0"],
      ["1.0-dev", "1.0.dev0"],
      ["v1.0", "1.0"],
      [" 1.0\n", "1.0"],
      ["1!1.0", "1!1.0.0"],
      ["1.0+ubuntu-1", "1.0+ubuntu.1"],
      ["1.0+01", "1.0+1"],
    ];
    for (const [a, b] of same) expect(pep440.compare(a, b), `${a} = ${b}`).toBe(0);
  });

  it("orders epochs first and numbers of any size exactly", () => {
    expect(pep440.compare("1!0.1", "2024.1")).toBeGreaterThan(0);
    expect(pep440.compare("9007199254740993", "9007199254740992")).toBeGreaterThan(0);
  });

  it("sorts legacy (non-PEP 440) versions before every PEP 440 version, as packaging < 22 did", () => {
    expect(pep440.compare("0.1-bulbasaur", "0.0.1")).toBeLessThan(0);
    expect(pep440.compare("1.0-foo", "1.0-bar")).toBeGreaterThan(0);
    expect(pep440.compare("1.0-foo", "1.0-foo")).toBe(0);
    expect(pep440.isValid("0.1-bulbasaur")).toBe(false);
    expect(() => pep440.compare("", "1.0")).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }));
  });

  it("isValid accepts what packaging.version.Version accepts", () => {
    for (const ok of ["1", "1.0", "1!2.0", "1.0a1", "1.0.post1.dev2", "1.0+local.1", "V1.0", "1.0RC1"]) {
      expect(pep440.isValid(ok), ok).toBe(true);
    }
    for (const bad of ["", "1.0+", "1.0+a..b", "1.0-beta-1-x", "latest", "1.0.x"]) {
      expect(pep440.isValid(bad), bad).toBe(false);
    }
  });
});
