import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { nuget } from "./nuget.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

describe("nuget", () => {
  it("passes every comparison in osv-scalibr's nuget-versions.txt", () => {
    const cases = fixture("nuget-versions.txt");
    expect(cases.length).toBe(35);
    expect(checkComparisons(nuget, cases)).toEqual([]);
  });

  it("orders four-part versions, labels case-insensitively, and ignores metadata", () => {
    const chain = ["1.0.0-alpha", "1.0.0-Beta", "1.0.0-beta.2", "1.0.0-beta.10", "1.0.0-RC.1", "1.0.0", "1.0.0.1", "1.0.1"];
    expect([...chain].reverse().sort(nuget.compare)).toEqual(chain);
    expect(nuget.compare("1.0.0+abc", "1.0.0+DEF")).toBe(0);
    expect(nuget.compare("4.3.0.0", "4.3")).toBe(0);
    expect(nuget.compare("13.0.1", "13.0.01")).toBe(0);
  });

  it("refuses a string with no leading number", () => {
    expect(() => nuget.compare("latest", "1.0.0")).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED" }));
  });

  it("isValid follows NuGetVersion.TryParse's grammar", () => {
    for (const ok of ["1", "1.0", "1.0.0", "1.0.0.0", "1.0.0-beta", "1.0.0-beta.1+sha.abc", "01.02.03"]) {
      expect(nuget.isValid(ok), ok).toBe(true);
    }
    for (const bad of ["1.0.0.0.0", "1.0.0-", "1.0.0-beta..1", "2147483648.0.0", "v1.0.0", "latest", ""]) {
      expect(nuget.isValid(bad), bad).toBe(false);
    }
  });
});
