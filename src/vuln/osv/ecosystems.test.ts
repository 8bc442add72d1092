import { describe, expect, it } from "vitest";
import { ecosystemString, normalizePackageName, OSV_ECOSYSTEMS, parseEcosystem, sameRepository } from "./ecosystems.js";

describe("parseEcosystem", () => {
  it.each([
    ["PyPI", { ecosystem: "PyPI", known: true }],
    ["Debian:12", { ecosystem: "Debian", known: true, release: "12" }],
    ["Debian:sid", { ecosystem: "Debian", known: true, release: "sid" }],
    ["Alpine:v3.19", { ecosystem: "Alpine", known: true, release: "v3.19" }],
    ["Ubuntu:22.04:LTS", { ecosystem: "Ubuntu", known: true, release: "22.04:LTS" }],
    ["Ubuntu:Pro:18.04:LTS", { ecosystem: "Ubuntu", known: true, release: "Pro:18.04:LTS" }],
    ["Rocky Linux:9", { ecosystem: "Rocky Linux", known: true, release: "9" }],
    ["Red Hat:enterprise_linux:9::appstream", { ecosystem: "Red Hat", known: true, release: "enterprise_linux:9::appstream" }],
    ["openSUSE:Leap 15.5", { ecosystem: "openSUSE", known: true, release: "Leap 15.5" }],
    ["Maven:https://maven.google.com", { ecosystem: "Maven", known: true, repository: "https://maven.google.com" }],
    ["Packagist:https://packages.drupal.org/8", { ecosystem: "Packagist", known: true, repository: "https://packages.drupal.org/8" }],
    ["crates.io", { ecosystem: "crates.io", known: true }],
    ["GIT", { ecosystem: "GIT", known: true }],
  ])("%s", (value, expected) => {
    expect(parseEcosystem(value)).toEqual(expected);
    expect(ecosystemString(expected.ecosystem, "release" in expected ? expected.release : "repository" in expected ? expected.repository : undefined)).toBe(value);
  });

  it("an unknown or wrongly cased name is reported as unknown, never mapped to a near miss", () => {
    expect(parseEcosystem("pypi")).toEqual({ ecosystem: "pypi", known: false });
    expect(parseEcosystem("Gentoo:2024")).toEqual({ ecosystem: "Gentoo", known: false, release: "2024" });
  });

  it("refuses what is not an ecosystem string", () => {
    for (const bad of ["", ":12", "Debian:", "Deb\nian"]) expect(parseEcosystem(bad)).toBeUndefined();
  });

  it("lists every ecosystem of osv-schema 1.7 once", () => {
    expect(new Set(OSV_ECOSYSTEMS).size).toBe(OSV_ECOSYSTEMS.length);
    expect(OSV_ECOSYSTEMS).toContain("Azure Linux");
  });
});

describe("normalizePackageName", () => {
  it.each([
    ["PyPI", "Flask_CORS", "flask-cors"],
    ["PyPI", "zope.interface", "zope-interface"],
    ["PyPI", "a-_.b", "a-b"],
    ["NuGet", "Newtonsoft.Json", "newtonsoft.json"],
    ["Packagist", "Laravel/Framework", "laravel/framework"],
    ["Maven", "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"],
    ["Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"],
    ["npm", "JSONStream", "JSONStream"],
    ["npm", "@babel/core", "@babel/core"],
    ["crates.io", "serde_json", "serde_json"],
    ["Debian:12", " openssl ", "openssl"],
    ["PyPI:whatever", "Django", "django"],
  ])("%s %s → %s", (ecosystem, name, expected) => {
    expect(normalizePackageName(ecosystem, name)).toBe(expected);
  });
});

describe("sameRepository", () => {
  it("ignores trailing slashes, case and Maven Central's second host name", () => {
    expect(sameRepository("https://maven.google.com/", "https://maven.google.com")).toBe(true);
    expect(sameRepository("https://repo1.maven.org/maven2", "https://repo.maven.apache.org/maven2/")).toBe(true);
    expect(sameRepository("https://maven.google.com", "https://repo.maven.apache.org/maven2")).toBe(false);
  });
});
