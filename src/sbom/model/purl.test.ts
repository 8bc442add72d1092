import { describe, expect, it } from "vitest";
import { parsePurl } from "./purl.js";

describe("parsePurl", () => {
  it("reads a `+` in a qualifier value as a plus (purl spec), not as form data's space", () => {
    // syft writes the source package's Debian version unencoded.
    const p = parsePurl("pkg:deb/debian/bsdutils@1:2.36.1-8+deb11u1?arch=amd64&upstream=util-linux%402.36.1-8+deb11u1&distro=debian-11");
    expect(p?.version).toBe("1:2.36.1-8+deb11u1");
    expect(p?.qualifiers).toEqual({ arch: "amd64", upstream: "util-linux@2.36.1-8+deb11u1", distro: "debian-11" });
  });

  it("percent-decodes qualifier values, lower-cases keys, ignores the subpath, and refuses what is not a purl", () => {
    expect(parsePurl("pkg:npm/%40scope/name@1.0.0?Repository_URL=https%3A%2F%2Fr.example%2Fa%2Bb#sub/path")?.qualifiers).toEqual({ repository_url: "https://r.example/a+b" });
    expect(parsePurl("pkg:npm/left-pad@1.3.0")?.qualifiers).toBeUndefined();
    expect(parsePurl("not a purl")).toBeUndefined();
  });
});
