import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parsePurl } from "../sbom/model/purl.js";
import type { Component } from "../sbom/model/types.js";
import { readSbom } from "../sbom/read/index.js";
import { indexComponent, purlKeyOf, queryPurl, schemeForPurlType, subjectDigest } from "./keys.js";

const key = (purl: string) => purlKeyOf(parsePurl(purl)!);

function component(change: Partial<Component>): Component {
  return { bomRef: "x", type: "library", ecosystem: "generic", name: "x", version: "", licenses: [], hashes: [], scope: "required", externalRefs: [], foundIn: [], properties: [], ...change };
}

describe("purl keys", () => {
  it("make two spellings of one package one key, per the purl type's rules", () => {
    expect(key("pkg:pypi/Flask_Cors@1")).toEqual(key("pkg:pypi/flask.cors"));
    expect(key("pkg:pypi/zope.interface")).toEqual({ type: "pypi", namespace: "", name: "zope-interface" });
    expect(key("pkg:npm/%40Babel/Core@7")).toEqual({ type: "npm", namespace: "@babel", name: "core" });
    expect(key("pkg:NuGet/Newtonsoft.Json@13")).toEqual(key("pkg:nuget/newtonsoft.json"));
    expect(key("pkg:github/Foo/Bar")).toEqual({ type: "github", namespace: "foo", name: "bar" });
    expect(key("pkg:deb/Debian/LibSSL3@1?arch=amd64")).toEqual({ type: "deb", namespace: "debian", name: "libssl3" });
  });

  it("keep case where the ecosystem is case-sensitive (Maven, Go)", () => {
    expect(key("pkg:maven/Org.A/B@1")).toEqual({ type: "maven", namespace: "Org.A", name: "B" });
    expect(key("pkg:golang/github.com/Foo/Bar@v1.0.0")).toEqual({ type: "golang", namespace: "github.com/Foo", name: "Bar" });
  });

  it("read a query's purl, its version, and refuse what is not a purl", () => {
    expect(queryPurl(" pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar ")).toEqual({
      key: { type: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core" },
      version: "2.14.1",
    });
    expect(queryPurl("pkg:npm/lodash")).toEqual({ key: { type: "npm", namespace: "", name: "lodash" } });
    for (const bad of ["", "log4j-core", "pkg:", "pkg:/x", "pkg:maven/%ZZ", `pkg:npm/${"a".repeat(5000)}`]) {
      expect(thrownVouchError(() => queryPurl(bad)).code).toBe("INPUT_MALFORMED");
    }
  });

  it("order versions with the matcher's scheme for the type, and have none for types without one", () => {
    expect(schemeForPurlType("maven")?.name).toBe("maven");
    expect(schemeForPurlType("deb")?.name).toBe("dpkg");
    expect(schemeForPurlType("pypi")?.name).toBe("pep440");
    expect(schemeForPurlType("generic")).toBeUndefined();
    expect(schemeForPurlType("oci")).toBeUndefined();
  });
});

describe("indexComponent", () => {
  it("keys an OS package by its source package for advisories, and by its own purl for purl queries", () => {
    const c = indexComponent(component({ name: "libssl3", version: "3.0.11-1~deb12u2", purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl" }));
    expect(c.purlKey).toEqual({ type: "deb", namespace: "debian", name: "libssl3" });
    expect(c.osvKey).toEqual({ ecosystem: "Debian", name: "openssl", release: "12", version: "3.0.11-1~deb12u2" });
    // trivy records the source package as a property.
    const trivy = indexComponent(
      component({
        name: "libssl3",
        version: "3.0.11-1~deb12u2",
        purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12.4",
        properties: [{ name: "aquasecurity:trivy:SrcName", value: "openssl" }],
      }),
    );
    expect(trivy.osvKey?.name).toBe("openssl");
  });

  it("keeps a component whose purl is unusable, by name only, and the purl's version when it differs", () => {
    expect(indexComponent(component({ name: "Thing", version: "1", purl: "not a purl" }))).toEqual({ name: "Thing", version: "1" });
    const image = indexComponent(component({ name: "redis", version: "7.2", purl: "pkg:oci/redis@sha256%3Aabc" }));
    expect(image).toMatchObject({ version: "7.2", purlVersion: "sha256:abc", purlKey: { type: "oci", namespace: "", name: "redis" } });
    expect(image.osvKey).toBeUndefined();
    expect(indexComponent(component({ name: "a", licenses: [{ expression: "MIT" }, { name: "Custom" }] })).license).toBe("MIT AND Custom");
  });
});

describe("subjectDigest", () => {
  const cdx = (component: object) =>
    readSbom(JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, metadata: { component }, components: [] }), "t.json");

  it("reads the root's SHA-256, an OCI purl digest, or a container's digest version", () => {
    expect(subjectDigest(cdx({ type: "application", name: "a", hashes: [{ alg: "SHA-256", content: "ab".repeat(32) }] }))).toBe(`sha256:${"ab".repeat(32)}`);
    expect(subjectDigest(cdx({ type: "container", name: "r", purl: `pkg:oci/r@sha256%3A${"cd".repeat(32)}` }))).toBe(`sha256:${"cd".repeat(32)}`);
    expect(subjectDigest(cdx({ type: "container", name: "r", version: `sha256:${"ef".repeat(32)}` }))).toBe(`sha256:${"ef".repeat(32)}`);
  });

  it("names nothing when the SBOM names no usable subject digest", () => {
    expect(subjectDigest(cdx({ type: "application", name: "a", version: "1.0" }))).toBeUndefined();
    expect(subjectDigest(cdx({ type: "application", name: "a", hashes: [{ alg: "SHA-1", content: "ab".repeat(20) }] }))).toBeUndefined();
    expect(subjectDigest(cdx({ type: "container", name: "r", purl: "pkg:oci/r@sha256%3Ashort" }))).toBeUndefined();
    expect(subjectDigest(readSbom(JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, components: [] }), "t.json"))).toBeUndefined();
  });
});
