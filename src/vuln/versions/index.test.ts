import { describe, expect, it } from "vitest";
import { ecosystemName, purlTypesWithScheme, schemeForEcosystem, schemeForPurlType, semverSchemeForEcosystem, supportedEcosystems } from "./index.js";

describe("schemeForEcosystem", () => {
  it("maps the language ecosystems to their schemes", () => {
    expect(schemeForEcosystem("npm")?.name).toBe("semver");
    expect(schemeForEcosystem("crates.io")?.name).toBe("semver");
    expect(schemeForEcosystem("Go")?.name).toBe("go");
    expect(schemeForEcosystem("PyPI")?.name).toBe("pep440");
    expect(schemeForEcosystem("Maven")?.name).toBe("maven");
    expect(schemeForEcosystem("NuGet")?.name).toBe("nuget");
    expect(schemeForEcosystem("Hex")?.name).toBe("semver");
  });

  it("reads the name before the first colon: releases and repository suffixes", () => {
    expect(ecosystemName("Debian:12")).toBe("Debian");
    expect(ecosystemName("Alpine:v3.19")).toBe("Alpine");
    expect(ecosystemName("Ubuntu:22.04:LTS")).toBe("Ubuntu");
    expect(ecosystemName("Ubuntu:Pro:18.04:LTS")).toBe("Ubuntu");
    expect(ecosystemName("Rocky Linux:9")).toBe("Rocky Linux");
    expect(ecosystemName("Red Hat:enterprise_linux:9::appstream")).toBe("Red Hat");
    expect(ecosystemName("npm")).toBe("npm");
    expect(schemeForEcosystem("Maven:https://maven.google.com")?.name).toBe("maven");
  });

  it("gives undefined for an unknown or wrongly spelled ecosystem, never a near miss", () => {
    for (const e of ["pypi", "Pypi", "NPM", "go", "crates", "Pub", "Hackage", "", ":12", "GIT"]) {
      expect(schemeForEcosystem(e), e).toBeUndefined();
    }
  });

  it("lists what it supports", () => {
    expect(supportedEcosystems()).toEqual(expect.arrayContaining(["Go", "Maven", "NuGet", "PyPI", "crates.io", "npm"]));
  });

  it("orders with the mapped scheme (Log4Shell's 2.12.2 backport, a PyPI release candidate)", () => {
    expect(schemeForEcosystem("Maven")!.compare("2.12.1", "2.12.2")).toBeLessThan(0);
    expect(schemeForEcosystem("PyPI")!.compare("1.0rc1", "1.0")).toBeLessThan(0);
    expect(schemeForEcosystem("Go")!.compare("1.21rc2", "1.21.0")).toBeLessThan(0);
  });

  it("SEMVER ranges use SemVer 2.0, and for Go the go scheme (Go release names read as the vulndb writes them)", () => {
    expect(semverSchemeForEcosystem("npm").name).toBe("semver");
    expect(semverSchemeForEcosystem("crates.io").name).toBe("semver");
    expect(semverSchemeForEcosystem("Debian:12").name).toBe("semver");
    expect(semverSchemeForEcosystem("Go").name).toBe("go");
    expect(semverSchemeForEcosystem("Go").compare("1.21rc10", "1.21.0-rc.2")).toBeGreaterThan(0);
  });
});

describe("schemeForPurlType", () => {
  it("gives the matcher's scheme for a purl type, undefined for one without (an Object.prototype member included)", () => {
    expect(schemeForPurlType("maven")).toBe(schemeForEcosystem("Maven"));
    expect(schemeForPurlType("deb")).toBe(schemeForEcosystem("Debian"));
    expect(schemeForPurlType("pub")).toBeUndefined();
    expect(schemeForPurlType("constructor")).toBeUndefined();
    expect(purlTypesWithScheme()).toEqual(["apk", "cargo", "composer", "deb", "gem", "golang", "hex", "maven", "npm", "nuget", "pypi", "rpm", "swift"]);
  });
});
