import { describe, expect, it } from "vitest";
import { compareVersions, sortVersions } from "./version-order.js";

/** Each list is in ascending order: every earlier entry must compare below every later one. */
function expectAscending(versions: readonly string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      expect([versions[i], versions[j], Math.sign(compareVersions(versions[i]!, versions[j]!))]).toEqual([versions[i], versions[j], -1]);
      expect([versions[j], versions[i], Math.sign(compareVersions(versions[j]!, versions[i]!))]).toEqual([versions[j], versions[i], 1]);
    }
  }
}

describe("compareVersions", () => {
  it("orders numeric segments as numbers, of any length", () => {
    expectAscending(["0.9", "1.2.3", "1.2.9", "1.2.10", "1.10.0", "2", "10.0.0", "20230101", "99999999999999999999999"]);
  });

  it("treats missing trailing zeros as equal", () => {
    expect(compareVersions("1.0", "1.0.0")).toBe(0);
    expect(compareVersions("1", "1.0.0.0")).toBe(0);
    expect(compareVersions("1.0.0", "1.0.0.1")).toBe(-1);
  });

  it("follows the semver 2.0 precedence example (§11)", () => {
    expectAscending([
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
      "1.0.1",
    ]);
  });

  it("reads Go versions: v prefix, pseudo-versions as pre-releases, +incompatible ignored", () => {
    expect(compareVersions("v1.2.3", "1.2.3")).toBe(0);
    expect(compareVersions("v2.0.0+incompatible", "v2.0.0")).toBe(0);
    expectAscending([
      "v0.0.0-20190101000000-abcdefabcdef",
      "v0.0.0-20210101120000-abcdefabcdef",
      "v0.1.0",
      "v1.2.3",
      "v1.2.4-0.20210101120000-abcdefabcdef",
      "v1.2.4",
      "v1.10.0",
    ]);
    // Without the v prefix, the timestamp still marks a pseudo-version.
    expect(compareVersions("0.0.0-20210101120000-abcdefabcdef", "0.0.1")).toBe(-1);
  });

  it("reads PEP 440 and Maven qualifiers", () => {
    expectAscending(["1.0.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.1"]);
    expectAscending(["1.0-alpha-1", "1.0-beta", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1"]);
    expect(compareVersions("2.0.0.RELEASE", "2.0.0")).toBe(0);
    expect(compareVersions("5.6.0.Final", "5.6.0")).toBe(0);
  });

  it("reads Debian, RPM and Alpine versions: epochs, revisions, tilde", () => {
    expectAscending(["1.0~rc1", "1.0", "1.0-1", "1.0-2", "1.0-10", "1.1"]);
    expect(compareVersions("1:1.0", "9.9")).toBe(1);
    expect(compareVersions("1:2-21.mga5", "1:2-22.mga5")).toBe(-1);
    expectAscending(["2.36-9", "2.36-9+deb12u3", "2.36-9+deb12u4"]);
    expectAscending(["3.4.0-r0", "3.4.0-r1", "3.4.0-r9", "3.4.0-r10"]);
    expect(compareVersions("7.61.1-22.el8", "7.61.1-25.el8")).toBe(-1);
  });

  it("puts an empty version below any real one", () => {
    expect(compareVersions("", "0.1")).toBe(-1);
    expect(compareVersions("", "")).toBe(0);
  });

  it("treats words that are Object.prototype keys as plain unknown words", () => {
    expect(compareVersions("1.0.constructor", "1.0.toString")).toBe(-1);
    expect(compareVersions("1.0.__proto__", "1.0")).toBe(1);
    expect(compareVersions("1.0-constructor", "1.0-constructor")).toBe(0);
  });

  it("never throws on odd input", () => {
    for (const odd of ["-", ":", "v", "~~", "..", "1..2", "a.b.c", "1:", "\u0000", "x".repeat(10_000), "1-".repeat(1000)]) {
      expect(() => compareVersions(odd, "1.0")).not.toThrow();
    }
  });
});

describe("sortVersions", () => {
  it("sorts ascending and breaks ties of equal versions by text", () => {
    expect(sortVersions(["1.10.0", "v1.2.0", "1.2.0", "1.9.0-rc.1", "1.9.0"])).toEqual(["1.2.0", "v1.2.0", "1.9.0-rc.1", "1.9.0", "1.10.0"]);
  });
});
