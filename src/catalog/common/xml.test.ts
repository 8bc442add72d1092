import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { attribute, childElement, childText, parseXml } from "./xml.js";

describe("parseXml", () => {
  it("accepts a byte-order mark (Visual Studio writes csproj files with one)", () => {
    const doc = parseXml('\uFEFF<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><Version>1.2.3</Version></PropertyGroup></Project>', "csproj");
    const project = childElement(doc, "Project");
    expect(attribute(project, "Sdk")).toBe("Microsoft.NET.Sdk");
    expect(childText(childElement(project, "PropertyGroup"), "Version")).toBe("1.2.3");
  });

  it("says a truncated document ends before its open tags close, at the last line", () => {
    const e = thrownVouchError(() => parseXml("<project>\n  <dependencies>\n", "pom.xml"));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.location.line).toBe(3);
  });
});
