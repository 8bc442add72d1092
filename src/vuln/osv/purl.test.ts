import { describe, expect, it } from "vitest";
import { buildPurl, golangPurl, npmPurl } from "../../sbom/model/purl.js";
import { keyEcosystem, mapPurl, sourceRpmName, type OsvPackageKey } from "./purl.js";

function key(purl: string, source?: { name: string; version?: string }): OsvPackageKey {
  const m = mapPurl(purl, source);
  if (!m.ok) throw new Error(`${purl}: ${m.reason}`);
  return m.key;
}
const brief = (purl: string, source?: { name: string; version?: string }) => {
  const k = key(purl, source);
  return [keyEcosystem(k), k.name, k.version];
};
function refused(purl: string): string {
  const m = mapPurl(purl);
  if (m.ok) throw new Error(`${purl} mapped to ${JSON.stringify(m.key)}`);
  return m.reason;
}

describe("mapPurl: language packages", () => {
  it.each([
    ["pkg:npm/lodash@4.17.19", "npm", "lodash", "4.17.19"],
    ["pkg:npm/%40babel/core@7.0.0", "npm", "@babel/core", "7.0.0"],
    ["pkg:pypi/Flask_Cors@3.0.8", "PyPI", "flask-cors", "3.0.8"],
    ["pkg:pypi/zope.interface@5.0", "PyPI", "zope-interface", "5.0"],
    ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"],
    ["pkg:golang/golang.org/x/text@v0.3.6", "Go", "golang.org/x/text", "0.3.6"],
    ["pkg:golang/github.com/opencontainers/runc@v1.0.2", "Go", "github.com/opencontainers/runc", "1.0.2"],
    ["pkg:golang/golang.org/x/net@v0.0.0-20220722155237-a158d28d115b", "Go", "golang.org/x/net", "0.0.0-20220722155237-a158d28d115b"],
    ["pkg:golang/stdlib@go1.21.5", "Go", "stdlib", "1.21.5"],
    ["pkg:golang/stdlib@1.21.5", "Go", "stdlib", "1.21.5"],
    ["pkg:cargo/time@0.1.45", "crates.io", "time", "0.1.45"],
    ["pkg:gem/actionview@5.2.2", "RubyGems", "actionview", "5.2.2"],
    ["pkg:composer/Laravel/Framework@8.0.0", "Packagist", "laravel/framework", "8.0.0"],
    ["pkg:nuget/Newtonsoft.Json@12.0.3", "NuGet", "newtonsoft.json", "12.0.3"],
    ["pkg:hex/plug@1.0.0", "Hex", "plug", "1.0.0"],
    ["pkg:pub/http@0.13.0", "Pub", "http", "0.13.0"],
  ])("%s → %s %s %s", (purl, ecosystem, name, version) => {
    expect(brief(purl)).toEqual([ecosystem, name, version]);
  });

  it("maps the purls vouch's own catalogers build", () => {
    expect(brief(npmPurl("@types/node", "20.1.0"))).toEqual(["npm", "@types/node", "20.1.0"]);
    expect(brief(golangPurl("github.com/Masterminds/semver/v3", "v3.2.1"))).toEqual(["Go", "github.com/Masterminds/semver/v3", "3.2.1"]);
    expect(brief(buildPurl("pypi", { name: "PyYAML", version: "6.0" }))).toEqual(["PyPI", "pyyaml", "6.0"]);
    expect(brief(buildPurl("maven", { namespace: "junit", name: "junit", version: "4.12" }))).toEqual(["Maven", "junit:junit", "4.12"]);
  });

  it("keeps a Maven repository_url for matching advisories scoped to a repository", () => {
    expect(key("pkg:maven/androidx.core/core@1.0.0?repository_url=https://maven.google.com").repository).toBe("https://maven.google.com");
  });

  it("refuses what names no OSV ecosystem, never guessing", () => {
    expect(refused("pkg:generic/openssl@3.0.0")).toBe('no OSV ecosystem for purl type "generic"');
    expect(refused("pkg:github/package-url/purl-spec@1.0")).toContain('"github"');
    expect(refused("not a purl")).toContain("not a package URL");
    // A purl type is input: one that names an Object.prototype member is just another unknown type.
    expect(refused("pkg:constructor/x@1")).toBe('no OSV ecosystem for purl type "constructor"');
  });
});

describe("mapPurl: Debian and Ubuntu, by source package", () => {
  it("vouch's dpkg purls: source name and version from upstream (binNMU, epoch only on the binary)", () => {
    expect(brief("pkg:deb/debian/bash@5.2.15-2+b8?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2")).toEqual(["Debian:12", "bash", "5.2.15-2"]);
    expect(brief("pkg:deb/debian/bsdutils@1:2.36.1-8+deb11u1?arch=amd64&upstream=util-linux%402.36.1-8+deb11u1&distro=debian-11")).toEqual([
      "Debian:11",
      "util-linux",
      "2.36.1-8+deb11u1",
    ]);
    expect(brief("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl")).toEqual(["Debian:12", "openssl", "3.0.11-1~deb12u2"]);
    expect(brief("pkg:deb/debian/apt@2.2.4?arch=amd64&distro=debian-11")).toEqual(["Debian:11", "apt", "2.2.4"]);
    expect(key("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl").notes).toEqual([
      "source package openssl (binary libssl3) from the purl's upstream qualifier",
    ]);
  });

  it("syft's point-release and trivy's (no upstream: the source from the SBOM's properties)", () => {
    expect(brief("pkg:deb/debian/adduser@3.118?arch=all&distro=debian-10.2")).toEqual(["Debian:10", "adduser", "3.118"]);
    expect(brief("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.4", { name: "openssl", version: "3.0.11-1~deb12u2" })).toEqual([
      "Debian:12",
      "openssl",
      "3.0.11-1~deb12u2",
    ]);
    // a purl upstream wins over a hint
    expect(brief("pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl", { name: "other" })[1]).toBe("openssl");
  });

  it("Ubuntu releases carry :LTS for the April release of even years", () => {
    expect(brief("pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04&upstream=openssl")).toEqual([
      "Ubuntu:22.04:LTS",
      "openssl",
      "3.0.2-0ubuntu1.10",
    ]);
    expect(keyEcosystem(key("pkg:deb/ubuntu/bash@5.2?distro=ubuntu-23.10"))).toBe("Ubuntu:23.10");
    expect(keyEcosystem(key("pkg:deb/ubuntu/bash@4.3?distro=ubuntu-14.04"))).toBe("Ubuntu:14.04:LTS");
  });

  it("no release: only release-less advisories can match, and the key says so", () => {
    const k = key("pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64");
    expect([k.ecosystem, k.release]).toEqual(["Ubuntu", undefined]);
    expect(k.notes[0]).toContain("no release");
    expect(refused("pkg:deb/raspbian/bash@5.0?distro=raspbian-10")).toContain('"raspbian"');
  });
});

describe("mapPurl: Alpine, Wolfi and Chainguard by origin", () => {
  it("vouch's and syft's (alpine-<VERSION_ID>) and trivy's (bare version) distro qualifiers", () => {
    expect(brief("pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl")).toEqual(["Alpine:v3.19", "openssl", "3.1.4-r5"]);
    expect(brief("pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1")).toEqual([
      "Alpine:v3.19",
      "musl",
      "1.2.4_git20230717-r4",
    ]);
    expect(brief("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4")).toEqual(["Alpine:v3.18", "musl", "1.2.4-r2"]);
    expect(brief("pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&upstream=busybox&distro=alpine-3.19.0")).toEqual(["Alpine:v3.19", "busybox", "1.36.1-r5"]);
  });

  it("Wolfi and Chainguard have no release", () => {
    expect(brief("pkg:apk/wolfi/libcrypto3@3.2.0-r1?arch=x86_64&upstream=openssl&distro=wolfi-20230201")).toEqual(["Wolfi", "openssl", "3.2.0-r1"]);
    expect(brief("pkg:apk/chainguard/glibc@2.38-r1")).toEqual(["Chainguard", "glibc", "2.38-r1"]);
  });

  it("an Alpine package without release cannot match and says why", () => {
    expect(key("pkg:apk/alpine/musl@1.2.4-r2").notes[0]).toContain("no Alpine release");
  });
});

describe("mapPurl: RPM distributions by source RPM", () => {
  it("reads the source RPM name from the upstream qualifier, the epoch from its qualifier or the version", () => {
    expect(sourceRpmName("openssl-3.0.7-24.el9.src.rpm")).toBe("openssl");
    expect(sourceRpmName("python3.11-3.11.5-1.el9_3.src.rpm")).toBe("python3.11");
    expect(sourceRpmName("foo.nosrc.rpm")).toBeUndefined();
    expect(brief("pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rocky-9.3")).toEqual([
      "Rocky Linux:9",
      "openssl",
      "1:3.0.7-24.el9",
    ]);
    expect(brief("pkg:rpm/almalinux/openssl-libs@1:3.0.7-24.el9?arch=x86_64&distro=almalinux-9.3", { name: "openssl" })).toEqual([
      "AlmaLinux:9",
      "openssl",
      "1:3.0.7-24.el9",
    ]);
    // trivy's family name "alma"
    expect(keyEcosystem(key("pkg:rpm/alma/bash@5.1.8-6.el9?distro=alma-9.3"))).toBe("AlmaLinux:9");
  });

  it("openSUSE and SUSE releases as OSV writes them (os-release PRETTY_NAME without the vendor)", () => {
    expect(keyEcosystem(key("pkg:rpm/opensuse/bash@5.1-1?distro=opensuse-leap-15.5"))).toBe("openSUSE:Leap 15.5");
    expect(keyEcosystem(key("pkg:rpm/opensuse.leap/bash@5.1-1?distro=opensuse.leap-15.5"))).toBe("openSUSE:Leap 15.5");
    expect(keyEcosystem(key("pkg:rpm/opensuse/bash@5.2-1?distro=opensuse-tumbleweed-20240101"))).toBe("openSUSE:Tumbleweed");
    expect(keyEcosystem(key("pkg:rpm/sles/bash@4.4-1?distro=sles-15.5"))).toBe("SUSE:Linux Enterprise Server 15 SP5");
    expect(keyEcosystem(key("pkg:rpm/sles/bash@4.4-1?distro=sles-15"))).toBe("SUSE:Linux Enterprise Server 15");
    expect(keyEcosystem(key("pkg:rpm/mageia/bash@5.2-1.mga9?distro=mageia-9"))).toBe("Mageia:9");
    expect(keyEcosystem(key("pkg:rpm/photon/bash@5.2-1.ph5?distro=photon-5.0"))).toBe("Photon OS:5.0");
  });

  it("maps RHEL to Red Hat by major release; refuses distributions without an OSV ecosystem", () => {
    const rhel = key("pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.3");
    expect([keyEcosystem(rhel), rhel.name, rhel.version]).toEqual(["Red Hat:9", "openssl", "1:3.0.7-24.el9"]);
    expect(refused("pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25")).toBe('no OSV ecosystem for rpm distribution "fedora"');
    expect(refused("pkg:rpm/centos/vouch-lib@1.0-1.fc39?arch=noarch&distro=centos-7&upstream=vouch-lib-1.0-1.fc39.src.rpm")).toContain('"centos"');
    expect(refused("pkg:rpm/bash@5.1")).toContain("without namespace or distro");
  });
});
