import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { catalogDirectory } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, parseText, pkg } from "../../../test/support/parse.js";
import { relationshipGroups, parseParagraphs } from "./control.js";
import { licensesFromCopyright } from "./copyright.js";
import { dpkgCatalogers, dpkgCatalogersWith } from "./index.js";
import { DEB_PROP, isDpkgStatus, isDpkgStatusD, parseDpkgStatus } from "./parse-status.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const parse = (fixture: string, path: string, listFiles = false) =>
  parseFixtureFile((file, ctx) => parseDpkgStatus(file, ctx, { listFiles }), join(FIXTURES, fixture), path);
const prop = (p: { properties?: { name: string; value: string }[] }, name: string) => p.properties?.filter((x) => x.name === name).map((x) => x.value);

describe("dpkg catalogers", () => {
  it("match the status database and status.d entries (not their md5sums), at the root or under a rootfs folder", () => {
    expect(isDpkgStatus("var/lib/dpkg/status")).toBe(true);
    expect(isDpkgStatus("images/deb/var/lib/dpkg/status")).toBe(true);
    expect(isDpkgStatus("var/lib/dpkg/status-old")).toBe(false);
    expect(isDpkgStatus("myvar/lib/dpkg/status")).toBe(false);
    expect(isDpkgStatusD("var/lib/dpkg/status.d/libc6")).toBe(true);
    expect(isDpkgStatusD("r/var/lib/dpkg/status.d/libssl3")).toBe(true);
    expect(isDpkgStatusD("var/lib/dpkg/status.d/libssl3.md5sums")).toBe(false);
    expect(isDpkgStatusD("var/lib/dpkg/status.d/x/y")).toBe(false);
  });

  it("parse deb822 paragraphs with continuation lines and relationship fields", () => {
    const [p] = parseParagraphs("Package: a\nDescription: short\n long\n .\n more\n");
    expect(p!.fields.get("description")!.value).toBe("short\nlong\n\nmore");
    expect(relationshipGroups("libc6 (>= 2.34), libfoo1:any | libbar [amd64], perl:any <!nocheck>,  ")).toEqual([["libc6"], ["libfoo1", "libbar"], ["perl"]]);
  });

  describe("a real Debian 12 status database", () => {
    const result = parse("debian-bookworm", "var/lib/dpkg/status");

    it("finds every installed package with the distro in its purl", () => {
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:deb/debian/base-files@12.4+deb12u11?arch=amd64&distro=debian-12",
        "pkg:deb/debian/bash@5.2.15-2+b8?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2",
        "pkg:deb/debian/debianutils@5.7-0.5~deb12u1?arch=amd64&distro=debian-12",
        "pkg:deb/debian/gcc-12-base@12.2.0-14+deb12u1?arch=amd64&distro=debian-12&upstream=gcc-12",
        "pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12&upstream=glibc",
        "pkg:deb/debian/libcrypt1@1:4.4.33-2?arch=amd64&distro=debian-12&upstream=libxcrypt",
        "pkg:deb/debian/libgcc-s1@12.2.0-14+deb12u1?arch=amd64&distro=debian-12&upstream=gcc-12",
        "pkg:deb/debian/mawk@1.3.4.20200120-3.1?arch=amd64&distro=debian-12",
        "pkg:deb/debian/tzdata@2025b-0+deb12u2?arch=all&distro=debian-12",
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib",
      ]);
      expect(result.warnings).toEqual([]);
    });

    it("records the source package and its version, the maintainer as supplier, the installed size", () => {
      const bash = pkg(result, "pkg:deb/debian/bash@5.2.15-2+b8?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2");
      expect(bash).toMatchObject({ name: "bash", version: "5.2.15-2+b8", ecosystem: "deb", scope: "required", supplier: "Matthias Klose <doko@debian.org>" });
      expect(bash.description).toBe("GNU Bourne Again SHell");
      expect(prop(bash, DEB_PROP.source)).toEqual(["bash"]);
      expect(prop(bash, DEB_PROP.sourceVersion)).toEqual(["5.2.15-2"]);
      expect(prop(bash, DEB_PROP.installedSize)?.[0]).toMatch(/^\d+$/);
      const zlib = result.packages.find((p) => p.name === "zlib1g")!;
      expect(prop(zlib, DEB_PROP.source)).toEqual(["zlib"]);
      expect(prop(zlib, DEB_PROP.sourceVersion)).toEqual(["1:1.2.13.dfsg-1"]);
      expect(zlib.externalRefs).toEqual([{ type: "website", url: "http://zlib.net/" }]);
    });

    it("links Depends and Pre-Depends to the installed packages", () => {
      const byName = (n: string) => result.packages.find((p) => p.name === n)!;
      const names = (n: string) => byName(n).dependsOn.map((id) => result.packages.find((p) => p.id === id)!.name).sort();
      expect(names("bash")).toEqual(["base-files", "debianutils", "libc6"]);
      expect(names("libc6")).toEqual(["libgcc-s1"]);
      expect(names("libgcc-s1")).toEqual(["gcc-12-base", "libc6"]);
    });

    it("takes licenses from machine-readable copyright files only", () => {
      const byName = (n: string) => result.packages.find((p) => p.name === n)!;
      expect(byName("zlib1g").licenseDeclared).toBe("Zlib");
      expect(byName("tzdata").licenseDeclared).toBe("public-domain");
      expect(byName("mawk").licenseDeclared).toEqual(["GPL-2", "X11", "CC-BY-3.0"]);
      expect(byName("libc6").licenseDeclared).toBeUndefined(); // prose copyright
      expect(byName("base-files").licenseDeclared).toBeUndefined();
    });

    it("counts the owned files from the .list (name or name:arch) and lists them with MD5 digests only when asked", () => {
      const zlib = result.packages.find((p) => p.name === "zlib1g")!;
      expect(prop(zlib, DEB_PROP.fileCount)).toEqual(["5"]);
      expect(prop(zlib, DEB_PROP.file)).toEqual([]);
      expect(prop(result.packages.find((p) => p.name === "libc6")!, DEB_PROP.fileCount)).toEqual([]); // no .list in the fixture
      const listed = parse("debian-bookworm", "var/lib/dpkg/status", true).packages.find((p) => p.name === "zlib1g")!;
      // The symlink libz.so.1 is owned but has no digest (md5sums lists regular files only).
      expect(prop(listed, DEB_PROP.file)).toEqual([
        "/lib/x86_64-linux-gnu/libz.so.1",
        "md5:c7c774d91213e966a04b2e51c787be23  /lib/x86_64-linux-gnu/libz.so.1.2.13",
        "md5:b46797e4e48336c9dbfe95eb2454fe57  /usr/share/doc/zlib1g/changelog.Debian.gz",
        "md5:34e2d8a611bef13ec8f381b28382b107  /usr/share/doc/zlib1g/changelog.gz",
        "md5:d348307d5bf18267bcbada155a715a3e  /usr/share/doc/zlib1g/copyright",
      ]);
    });
  });

  describe("Status states", () => {
    const result = parse("states", "var/lib/dpkg/status");
    const ids = result.packages.map((p) => `${p.name}@${p.version}:${/arch=(\w+)/.exec(p.purl)?.[1]}`).sort();

    it("keeps installed, held, trigger-pending and selected-for-removal packages; skips the others with a reason", () => {
      expect(ids).toEqual(["held@1.0-1:amd64", "libfoo-compat@2:0.9:all", "libfoo1@1.0-1+b1:amd64", "mawk-like@1.3.4-3:amd64", "multi@3:amd64", "multi@3:i386"]);
      expect(result.warnings.map((w) => w.message)).toEqual([
        "removed: not installed (Status: deinstall ok config-files); skipped",
        "broken: not installed (Status: install reinstreq half-installed); skipped",
        "unpacked: not installed (Status: install ok unpacked); skipped",
        "purged: not installed (Status: purge ok not-installed); skipped",
      ]);
    });

    it("writes no distro without os-release, and upstream with the source version", () => {
      expect(result.packages.find((p) => p.name === "libfoo1")!.purl).toBe("pkg:deb/debian/libfoo1@1.0-1+b1?arch=amd64&upstream=foo%401.0-1");
      expect(prop(result.packages.find((p) => p.name === "libfoo1")!, DEB_PROP.status)).toEqual(["install ok triggers-pending"]);
    });

    it("resolves alternatives, provided virtual packages and multi-arch by the depending package's architecture", () => {
      const held = result.packages.find((p) => p.name === "held")!;
      expect(held.dependsOn).toEqual([
        "pkg:deb/debian/libfoo1@1.0-1+b1?arch=amd64&upstream=foo%401.0-1",
        "pkg:deb/debian/libfoo-compat@2:0.9?arch=all",
        "pkg:deb/debian/mawk-like@1.3.4-3?arch=amd64",
        "pkg:deb/debian/multi@3?arch=amd64",
      ]);
    });
  });

  describe("distroless status.d", () => {
    const result = parse("distroless", "var/lib/dpkg/status.d/libssl3", true);

    it("reads the entry without a Status field, its md5sums beside it, and links to sibling entries", () => {
      const ssl = result.packages[0]!;
      expect(ssl.purl).toBe("pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl");
      expect(ssl.licenseDeclared).toEqual(["Apache-2.0", "Artistic or GPL-1+"]);
      expect(Number(prop(ssl, DEB_PROP.fileCount)![0])).toBeGreaterThan(3);
      expect(prop(ssl, DEB_PROP.file)!.every((f) => /^md5:[0-9a-f]{32} {2}\//.test(f))).toBe(true);
      expect(ssl.dependsOn).toEqual(["pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12&upstream=glibc"]);
      expect(result.packages.map((p) => p.name)).toEqual(["libssl3", "libc6"]);
    });

    it("catalogs the whole folder through the catalog: one component per entry", () => {
      const out = catalogDirectory(join(FIXTURES, "distroless"), dpkgCatalogers);
      expect(out.components.map((c) => c.name).sort()).toEqual(["base-files", "libc6", "libssl3", "tzdata"]);
      expect(out.warnings).toEqual([]);
    });
  });

  describe("corrupt input", () => {
    it("refuses binary data", () => {
      expect(malformedError(() => parse("corrupt-binary", "var/lib/dpkg/status"))).toMatchObject({ code: "INPUT_MALFORMED", line: 1 });
    });

    it("refuses text with no Package paragraph", () => {
      expect(malformedError(() => parseText(parseDpkgStatus, "var/lib/dpkg/status", "hello\nworld\n"))).toMatchObject({ code: "INPUT_MALFORMED" });
      expect(parseText(parseDpkgStatus, "var/lib/dpkg/status", "").packages).toEqual([]);
    });

    it("keeps the good paragraphs of a truncated, damaged file and warns about the rest", () => {
      const result = parse("corrupt-truncated", "var/lib/dpkg/status");
      expect(result.packages.map((p) => p.name)).toEqual(["good"]);
      expect(result.warnings.map((w) => [w.line, w.message])).toEqual([
        [12, "continuation line without a field above it"],
        [13, 'not a "Field: value" line: "this line is not a field"'],
        // The last paragraph was cut short and the next one ran into it without a blank line.
        [26, "field Package repeated in one paragraph; the first one is kept"],
        [27, "field Status repeated in one paragraph; the first one is kept"],
        [7, "no-version: no Version field; skipped"],
        [15, 'Package "bad name!" is not a valid package name; skipped'],
        [21, 'spacey: Version "1.0 with spaces" is not a Debian version; skipped'],
        [25, "trunc: not installed (Status: install ok inst); skipped"],
      ]);
    });

    it("bounds the warnings of a file with one problem per line", () => {
      const text = "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n" + "garbage line\n".repeat(10_000);
      const result = parseText(parseDpkgStatus, "var/lib/dpkg/status", text);
      expect(result.packages.map((p) => p.name)).toEqual(["a"]);
      expect(result.warnings).toHaveLength(21);
      expect(result.warnings[20]!.message).toBe("9980 more problems like the above were not reported");
    });
  });

  it("reads DEP-5 header and Files licenses, and nothing from prose", () => {
    const dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n\nFiles: a/*\nLicense: MIT or Apache-2.0\n\nLicense: GPL-2+\n text\n";
    expect(licensesFromCopyright(dep5)).toEqual(["GPL-2+", "MIT or Apache-2.0"]);
    expect(licensesFromCopyright("This is the Debian prepackaged version.\nLicense: GPL\n")).toEqual([]);
  });
});

/**
 * The acceptance test of issue 6: the package set vouch finds in a dpkg database equals what dpkg itself
 * lists, `dpkg-query -W --admindir=<rootfs>/var/lib/dpkg`, restricted to the installed states (-W also lists
 * config-files and half-installed entries, which have no files on disk and which vouch skips with a warning).
 * Run on this machine's own database, copied into a temporary rootfs.
 */
describe("dpkg catalogers against dpkg-query", () => {
  const hasDpkg = existsSync("/var/lib/dpkg/status") && whichDpkgQuery();
  const tmp = mkdtempSync(join(tmpdir(), "vouch-dpkg-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function dpkgQuery(admindir: string): string[] {
    const out = execFileSync("dpkg-query", ["-W", `--admindir=${admindir}`, "-f=${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\n"], { encoding: "utf8" });
    return out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"))
      .filter(([state]) => state === "installed" || state === "triggers-pending" || state === "triggers-awaited")
      .map(([, name, version, arch]) => `${name} ${version} ${arch}`)
      .sort();
  }

  const vouch = (root: string) =>
    catalogDirectory(root, dpkgCatalogersWith({})).components.map((c) => `${c.name} ${c.version} ${/[?&]arch=([^&]+)/.exec(c.purl!)?.[1]}`).sort();

  it.skipIf(!hasDpkg)("finds exactly the packages dpkg-query lists for this machine's database", () => {
    const root = join(tmp, "host");
    mkdirSync(join(root, "var/lib/dpkg"), { recursive: true });
    mkdirSync(join(root, "etc"), { recursive: true });
    copyFileSync("/var/lib/dpkg/status", join(root, "var/lib/dpkg/status"));
    if (existsSync("/etc/os-release")) copyFileSync("/etc/os-release", join(root, "etc/os-release"));
    const expected = dpkgQuery(join(root, "var/lib/dpkg"));
    expect(expected.length).toBeGreaterThan(50);
    expect(vouch(root)).toEqual(expected);
  });

  it.skipIf(!hasDpkg)("agrees with dpkg-query on held, trigger-pending, removed and half-installed entries", () => {
    const admin = join(FIXTURES, "states/var/lib/dpkg");
    expect(vouch(join(FIXTURES, "states"))).toEqual(dpkgQuery(admin));
  });

  if (!hasDpkg) console.warn("skipped: the dpkg-query comparisons need dpkg-query and /var/lib/dpkg/status (not a Debian system)");
});

function whichDpkgQuery(): boolean {
  try {
    execFileSync("dpkg-query", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
