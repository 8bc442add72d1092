import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, parseText } from "../../../test/support/parse.js";
import { apkCatalogers } from "./index.js";
import { APK_PROP, apkDigest, isApkInstalled, parseApkInstalled } from "./parse-installed.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const DB = "lib/apk/db/installed";
const parse = (fixture: string, listFiles = false) => parseFixtureFile((f, ctx) => parseApkInstalled(f, ctx, { listFiles }), join(FIXTURES, fixture), DB);
const prop = (p: { properties?: { name: string; value: string }[] }, name: string) => p.properties?.filter((x) => x.name === name).map((x) => x.value);

describe("apk installed database cataloger", () => {
  it("matches lib/apk/db/installed at the root or under a rootfs folder", () => {
    expect(isApkInstalled(DB)).toBe(true);
    expect(isApkInstalled("rootfs/lib/apk/db/installed")).toBe(true);
    expect(isApkInstalled("lib/apk/db/installed.old")).toBe(false);
  });

  describe("an Alpine 3.19 database", () => {
    const result = parse("alpine-3.19");
    const byName = (n: string) => result.packages.find((p) => p.name === n)!;
    const deps = (n: string) => byName(n).dependsOn.map((id) => result.packages.find((p) => p.id === id)!.name).sort();

    it("finds every package with syft's purl (upstream = origin when it differs)", () => {
      expect(result.warnings).toEqual([]);
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:apk/alpine/alpine-baselayout-data@3.4.3-r2?arch=x86_64&distro=alpine-3.19.1&upstream=alpine-baselayout",
        "pkg:apk/alpine/alpine-baselayout@3.4.3-r2?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/apk-tools@2.14.0-r5?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1&upstream=busybox",
        "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/ca-certificates-bundle@20230506-r0?arch=x86_64&distro=alpine-3.19.1&upstream=ca-certificates",
        "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl",
        "pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl",
        "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/scanelf@1.3.7-r2?arch=x86_64&distro=alpine-3.19.1&upstream=pax-utils",
        "pkg:apk/alpine/ssl_client@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1&upstream=busybox",
        "pkg:apk/alpine/zlib@1.3.1-r0?arch=x86_64&distro=alpine-3.19.1",
      ]);
    });

    it("records license, maintainer, description, url, origin, the control checksum as is and the installed size", () => {
      const ssl = byName("libssl3");
      expect(ssl).toMatchObject({ version: "3.1.4-r5", licenseDeclared: "Apache-2.0", supplier: "Ariadne Conill <ariadne@dereferenced.org>", description: "SSL shared libraries" });
      expect(ssl.externalRefs).toEqual([{ type: "website", url: "https://www.openssl.org/" }]);
      expect(prop(ssl, APK_PROP.origin)).toEqual(["openssl"]);
      expect(prop(ssl, APK_PROP.checksum)![0]).toMatch(/^Q1[A-Za-z0-9+/]{27}=$/);
      expect(prop(ssl, APK_PROP.installedSize)).toEqual(["614400"]);
      expect(byName("ca-certificates-bundle").licenseDeclared).toBe("MPL-2.0 AND MIT");
    });

    it("resolves so:, cmd:, file and versioned dependencies through provides; conflicts are no edges", () => {
      expect(deps("libssl3")).toEqual(["libcrypto3", "musl"]);
      expect(deps("apk-tools")).toEqual(["ca-certificates-bundle", "libcrypto3", "libssl3", "musl", "zlib"]);
      expect(deps("alpine-baselayout")).toEqual(["alpine-baselayout-data", "busybox-binsh"]);
      expect(deps("busybox-binsh")).toEqual(["busybox"]);
      expect(deps("musl")).toEqual([]);
    });

    it("counts the owned files, and lists them with their SHA-1 only when asked", () => {
      expect(prop(byName("zlib"), APK_PROP.fileCount)).toEqual(["2"]);
      expect(prop(byName("zlib"), APK_PROP.file)).toEqual([]);
      const listed = parse("alpine-3.19", true).packages.find((p) => p.name === "zlib")!;
      expect(prop(listed, APK_PROP.file)).toEqual([
        expect.stringMatching(/^sha1:[0-9a-f]{40} {2}\/lib\/libz\.so\.1$/),
        expect.stringMatching(/^sha1:[0-9a-f]{40} {2}\/lib\/libz\.so\.1\.3\.1$/),
      ]);
    });

    it("catalogs through the catalog from a rootfs", () => {
      const out = catalogDirectory(join(FIXTURES, "alpine-3.19"), apkCatalogers);
      expect(out.components).toHaveLength(12);
      expect(out.dependencies.find((d) => d.ref.includes("/libssl3@"))!.dependsOn).toHaveLength(2);
    });
  });

  it("decodes apk checksums: Q1 is SHA-1, Q2 SHA-256; anything else is none", () => {
    expect(apkDigest("Q1pcfTfDNEbNKQc2s1tia7da05M8Q=")).toBe(`sha1:${Buffer.from("pcfTfDNEbNKQc2s1tia7da05M8Q=", "base64").toString("hex")}`);
    expect(apkDigest(`Q2${Buffer.alloc(32, 1).toString("base64")}`)).toBe(`sha256:${"01".repeat(32)}`);
    expect(apkDigest("Q1abc")).toBeUndefined();
    expect(apkDigest("md5:x")).toBeUndefined();
  });

  it("gives no distro qualifier and the alpine namespace without os-release", () => {
    const r = parseText(parseApkInstalled, DB, "P:musl\nV:1.2.4-r0\nA:aarch64\n");
    expect(r.packages[0]!.purl).toBe("pkg:apk/alpine/musl@1.2.4-r0?arch=aarch64");
  });

  describe("corrupt input", () => {
    it("refuses binary data and text without any package block", () => {
      expect(malformedError(() => parse("corrupt-binary"))).toMatchObject({ code: "INPUT_MALFORMED", line: 1 });
      expect(malformedError(() => parseText(parseApkInstalled, DB, "hello\nworld\n"))).toMatchObject({ code: "INPUT_MALFORMED" });
    });

    it("keeps the good blocks of a damaged, truncated database and warns about the rest", () => {
      const result = parse("corrupt-truncated", true);
      expect(result.packages.map((p) => p.name)).toEqual(["musl", "busybox"]);
      // Broken Z: checksums leave the file without a digest.
      expect(prop(result.packages[0]!, APK_PROP.file)).toEqual(["/lib/libc.musl-x86_64.so.1"]);
      expect(prop(result.packages[1]!, APK_PROP.file)).toEqual(["/bin/busybox"]);
      expect(result.packages[1]!.dependsOn).toEqual([result.packages[0]!.id]);
      expect(result.warnings.map((w) => [w.line, w.message])).toEqual([
        [13, 'not a "X:value" line: "this is not an apk line"'],
        // The last block was cut short and the next one ran into it without a blank line.
        [28, "P: line repeated in one package block (a lost blank line?); the first one is kept"],
        [29, "V: line repeated in one package block (a lost blank line?); the first one is kept"],
        [11, "package block without a P: line; skipped"],
        [15, 'P:"bad name" is not a package name; skipped'],
        [18, 'zlib: V:"one" is not an apk version; skipped'],
      ]);
    });
  });
});
