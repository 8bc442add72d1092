import { describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import { apiHost, familiarReference, formatReference, isLoopbackRegistry, parseReference } from "./reference.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  it.each([
    ["alpine", { registry: "docker.io", repository: "library/alpine", tag: "latest" }],
    ["alpine:3.20", { registry: "docker.io", repository: "library/alpine", tag: "3.20" }],
    ["library/alpine:3.20", { registry: "docker.io", repository: "library/alpine", tag: "3.20" }],
    ["docker.io/alpine", { registry: "docker.io", repository: "library/alpine", tag: "latest" }],
    ["index.docker.io/library/alpine", { registry: "docker.io", repository: "library/alpine", tag: "latest" }],
    ["bitnami/redis:7", { registry: "docker.io", repository: "bitnami/redis", tag: "7" }],
    ["ghcr.io/org/team/app:v1.2.3", { registry: "ghcr.io", repository: "org/team/app", tag: "v1.2.3" }],
    ["localhost:5000/x", { registry: "localhost:5000", repository: "x", tag: "latest" }],
    ["localhost/x:t", { registry: "localhost", repository: "x", tag: "t" }],
    ["127.0.0.1:5000/a/b:c", { registry: "127.0.0.1:5000", repository: "a/b", tag: "c" }],
    ["[::1]:5000/app:1", { registry: "[::1]:5000", repository: "app", tag: "1" }],
    ["Registry.Example/app", { registry: "Registry.Example", repository: "app", tag: "latest" }],
    [`alpine@${D}`, { registry: "docker.io", repository: "library/alpine", digest: D }],
    [`localhost:5000/x:1@${D}`, { registry: "localhost:5000", repository: "x", tag: "1", digest: D }],
    ["a.b/c__d/e-f.g_h:___", { registry: "a.b", repository: "c__d/e-f.g_h", tag: "___" }],
    // "localhost:5000" alone is Docker Hub's library/localhost with tag 5000, as docker reads it
    ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000" }],
  ])("%s", (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each([
    ["", "empty"],
    [" alpine", "whitespace"],
    ["Alpine", "lowercase"],
    ["docker.io/Library/alpine", "lowercase"],
    ["alpine:", "bad tag"],
    ["alpine:-x", "bad tag"],
    [`alpine:${"t".repeat(129)}`, "bad tag"],
    ["alpine@sha256:abc", "bad digest"],
    [`alpine@md5:${"a".repeat(32)}`, "bad digest"],
    [`alpine@sha256:${"A".repeat(64)}`, "bad digest"],
    ["alpine@", "bad digest"],
    ["a//b", "empty path component"],
    ["a/b/", "empty path component"],
    ["localhost:5000/", "empty path component"],
    ["/alpine", "empty path component"],
    ["example.com:0/x", "bad registry port"],
    ["example.com:99999/x", "bad registry port"],
    ["example.com:http/x", "bad registry port"],
    ["-bad.example/x", "bad registry host"],
    [":5000/x", "bad registry host"],
    ["[::1/x", "bad registry host"],
    ["[zz]:5000/x", "bad registry host"],
    ["a-/b", "bad repository path component"],
    ["a..b", "bad repository path component"],
    ["a/b$c", "bad repository path component"],
    ["a".repeat(64), "image ID"],
    [`x.io/${"a".repeat(256)}`, "longer than 255"],
    [":tag", "no repository"],
    ["@" + D, "no repository"],
  ])("refuses %j (%s)", (input, why) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VouchError);
    expect((caught as VouchError).code).toBe("INPUT_USAGE");
    expect((caught as VouchError).message).toContain(why);
    expect((caught as VouchError).message).not.toContain("\n");
  });

  it("round-trips the canonical form and prints the familiar one", () => {
    for (const input of ["alpine", "bitnami/redis:7", `ghcr.io/o/a:1@${D}`, "localhost:5000/x"]) {
      const ref = parseReference(input);
      expect(parseReference(formatReference(ref))).toEqual(ref);
    }
    expect(formatReference(parseReference("alpine"))).toBe("docker.io/library/alpine:latest");
    expect(familiarReference(parseReference("docker.io/library/alpine:3"))).toBe("alpine:3");
    expect(familiarReference(parseReference("bitnami/redis:7"))).toBe("bitnami/redis:7");
    expect(familiarReference(parseReference("localhost:5000/x:1"))).toBe("localhost:5000/x:1");
  });

  it("knows Docker Hub's API host and which registries are loopback", () => {
    expect(apiHost(parseReference("alpine"))).toBe("registry-1.docker.io");
    expect(apiHost(parseReference("ghcr.io/a/b"))).toBe("ghcr.io");
    expect(isLoopbackRegistry("localhost:5000")).toBe(true);
    expect(isLoopbackRegistry("localhost")).toBe(true);
    expect(isLoopbackRegistry("127.0.0.1:40000")).toBe(true);
    expect(isLoopbackRegistry("[::1]:5000")).toBe(true);
    expect(isLoopbackRegistry("localhost.example.com")).toBe(false);
    expect(isLoopbackRegistry("127.0.0.1.nip.io")).toBe(false);
    expect(isLoopbackRegistry("10.0.0.1:5000")).toBe(false);
  });
});
