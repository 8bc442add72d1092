import { describe, expect, it } from "vitest";
import { normalizeLicense, normalizeLicenses } from "./license.js";

describe("normalizeLicense", () => {
  it("passes valid SPDX expressions through", () => {
    expect(normalizeLicense("MIT")).toEqual([{ expression: "MIT" }]);
    expect(normalizeLicense("(MIT OR Apache-2.0)")).toEqual([{ expression: "(MIT OR Apache-2.0)" }]);
    expect(normalizeLicense("Apache-2.0 WITH LLVM-exception")).toEqual([{ expression: "Apache-2.0 WITH LLVM-exception" }]);
  });

  it("corrects obvious spellings", () => {
    expect(normalizeLicense("mit")).toEqual([{ expression: "MIT" }]);
    expect(normalizeLicense("Apache 2.0")).toEqual([{ expression: "Apache-2.0" }]);
    expect(normalizeLicense("MIT/Apache-2.0")).toEqual([{ expression: "MIT OR Apache-2.0" }]);
    expect(normalizeLicense("MIT or Apache-2.0")).toEqual([{ expression: "MIT OR Apache-2.0" }]);
    expect(normalizeLicense("Apache License, Version 2.0")).toEqual([{ expression: "Apache-2.0" }]);
    expect(normalizeLicense("MIT, Apache-2.0")).toEqual([{ expression: "MIT OR Apache-2.0" }]);
  });

  it("never guesses a version the author did not state", () => {
    expect(normalizeLicense("BSD")).toEqual([{ name: "BSD" }]);
    expect(normalizeLicense("GPL")).toEqual([{ name: "GPL" }]);
  });

  it("keeps unknown text verbatim and treats 'unknown' markers as none", () => {
    expect(normalizeLicense("Proprietary - see EULA")).toEqual([{ name: "Proprietary - see EULA" }]);
    expect(normalizeLicense("UNKNOWN")).toEqual([]);
    expect(normalizeLicense("NOASSERTION")).toEqual([]);
    expect(normalizeLicense(undefined)).toEqual([]);
  });

  it("keeps very long text as a name without parsing it (bounded cost on hostile input)", () => {
    const long = `MIT ${" ".repeat(50_000)}OR x`;
    expect(normalizeLicense(long)).toEqual([{ name: long }]);
  });

  it("ANDs several declared licenses", () => {
    expect(normalizeLicenses(["MIT", "Apache-2.0"])).toEqual([{ expression: "MIT AND Apache-2.0" }]);
  });
});
