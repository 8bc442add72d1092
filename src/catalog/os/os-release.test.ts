import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DirectorySource } from "../sources/directory.js";
import { distroQualifier, isLike, parseOsRelease, readDistro, rootOf } from "./os-release.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const distroOf = (fixture: string) => readDistro(new DirectorySource(join(FIXTURES, fixture)));

describe("os-release", () => {
  it("reads ID, VERSION_ID, VERSION_CODENAME and ID_LIKE (Ubuntu is Debian-like)", () => {
    const d = distroOf("ubuntu-22.04");
    expect(d).toEqual({ id: "ubuntu", versionId: "22.04", versionCodename: "jammy", idLike: ["debian"], prettyName: "Ubuntu 22.04.4 LTS" });
    expect(distroQualifier(d)).toBe("ubuntu-22.04");
    expect(isLike(d, "debian")).toBe(true);
  });

  it("falls back to /usr/lib/os-release", () => {
    expect(distroQualifier(distroOf("usr-lib-only"))).toBe("alpine-3.19.1");
  });

  it("writes the distro qualifier as syft does: ID-VERSION_ID, else ID-BUILD_ID, else ID", () => {
    expect(distroQualifier(parseOsRelease('ID="rhel"\nVERSION_ID="9.3"\nID_LIKE="fedora"\n'))).toBe("rhel-9.3");
    expect(distroQualifier(parseOsRelease("ID=wolfi\nBUILD_ID=20230201\n"))).toBe("wolfi-20230201");
    expect(distroQualifier(parseOsRelease("ID=debian\nVERSION_CODENAME=trixie\n"))).toBe("debian");
  });

  it("unquotes values and ignores comments and junk", () => {
    expect(parseOsRelease("# c\nID='opensuse-leap'\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"a \\\"b\\\"\"\nnot a line\n")).toEqual({
      id: "opensuse-leap",
      versionId: "15.5",
      idLike: [],
      prettyName: 'a "b"',
    });
  });

  it("gives no distro for a file without ID, binary junk or a missing file", () => {
    expect(parseOsRelease("NAME=x\n")).toBeUndefined();
    expect(distroOf("corrupt")).toBeUndefined();
    expect(readDistro({ readFile: () => undefined })).toBeUndefined();
    expect(distroQualifier(undefined)).toBeUndefined();
  });

  it("finds the root of a database inside a scanned tree", () => {
    expect(rootOf("var/lib/dpkg/status", "var/lib/dpkg/status")).toBe("");
    expect(rootOf("x/rootfs/var/lib/dpkg/status", "var/lib/dpkg/status")).toBe("x/rootfs/");
    expect(rootOf("xvar/lib/dpkg/status", "var/lib/dpkg/status")).toBeUndefined();
  });
});
