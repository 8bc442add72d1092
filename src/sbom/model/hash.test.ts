import { describe, expect, it } from "vitest";
import { base64Hash, hexHash, mergeHashes, prefixedHexHash, sriHashes } from "./hash.js";

describe("hash conversion", () => {
  it("decodes SRI integrity strings", () => {
    // sha1 of "" is da39a3ee5e6b4b0d3255bfef95601890afd80709
    expect(sriHashes("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=")).toEqual([{ alg: "SHA-1", content: "da39a3ee5e6b4b0d3255bfef95601890afd80709" }]);
    expect(sriHashes("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg== sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=")).toHaveLength(2);
    expect(sriHashes("garbage")).toEqual([]);
  });

  it("knows only its own algorithm names (no prototype lookups)", () => {
    expect(hexHash("constructor", "ab")).toBeUndefined();
  });

  it("refuses digests of the wrong length", () => {
    expect(hexHash("sha256", "abcd")).toBeUndefined();
    expect(hexHash("sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")).toEqual({
      alg: "SHA-256",
      content: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    });
  });

  it("reads prefixed and base64 forms", () => {
    expect(prefixedHexHash("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")?.alg).toBe("SHA-256");
    expect(prefixedHexHash("sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")?.alg).toBe("SHA-256");
    expect(base64Hash("sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")?.content).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
  });

  it("merges without duplicates, sorted", () => {
    const a = { alg: "SHA-1" as const, content: "da39a3ee5e6b4b0d3255bfef95601890afd80709" };
    const b = { alg: "MD5" as const, content: "d41d8cd98f00b204e9800998ecf8427e" };
    expect(mergeHashes([a], [b, a])).toEqual([b, a]);
  });
});
