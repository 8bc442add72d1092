import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogSource } from "../catalog.js";
import { DirectorySource } from "../sources/directory.js";
import { MemorySource } from "../sources/memory.js";
import type { CatalogContext, PackageRecord, ParseResult } from "../types.js";
import { OLD_MODINFO } from "./fixtures/go-binary/generate.js";
import { syntheticGoBinary } from "./fixtures/go-binary/synthetic-elf.js";
import { readGoBuildInfo } from "./go-buildinfo.js";
import { golangBinaryCatalogers } from "./index.js";
import { goBinaryCataloger, isExecutablePath, parseGoBinary, parseModInfo, unquoteGo, versionFromLdflags } from "./parse-go-binary.js";
import { thrownVouchError } from "../../../test/support/errors.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "go-binary");

type Parsed = ParseResult & { warnings: { message: string; line?: number }[] };

function parseBytes(path: string, bytes: Uint8Array): Parsed {
  const warnings: Parsed["warnings"] = [];
  const ctx: CatalogContext = { readFile: () => undefined, listDir: () => [], warn: (message, line) => warnings.push({ message, line }) };
  return { ...parseGoBinary({ path, text: "", bytes }, ctx), warnings };
}

function parseFixture(rel: string): Parsed {
  return parseBytes(rel, readFileSync(join(FIXTURES, rel)));
}

function props(pkg: PackageRecord): Record<string, string> {
  return Object.fromEntries((pkg.properties ?? []).map((p) => [p.name, p.value]));
}

function byPurl(result: ParseResult, purl: string): PackageRecord {
  const found = result.packages.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} among ${result.packages.map((p) => p.purl).join(", ")}`);
  return found;
}

describe("Go binary cataloger", () => {
  it("looks at executable-looking paths of an image only", () => {
    for (const p of ["usr/bin/docker-registry", "usr/local/bin/hello", "bin/busybox", "go/bin/tool", "opt/app/bin/server", "usr/sbin/x", "usr/libexec/docker/cli-plugins/docker-compose", "app", "manager", "ko-app/controller", "opt/tool/tool", "usr/bin/python3.11"]) {
      expect(isExecutablePath(p), p).toBe(true);
    }
    for (const p of ["usr/bin/script.sh", "usr/lib/x86_64-linux-gnu/libc.so.6", "etc/passwd", "README", "Dockerfile", "app.py", "usr/share/doc/x/copyright", "usr/bin/.hidden", "usr/lib/node_modules/x/index.js", "bin/"]) {
      expect(isExecutablePath(p), p).toBe(false);
    }
    expect(goBinaryCataloger.reads).toBe("bytes");
    expect(golangBinaryCatalogers).toEqual([goBinaryCataloger]);
  });

  describe("a real binary built by Go 1.19 (inline build info), amd64", () => {
    const result = parseFixture("real/usr/local/bin/hello");

    it("reports the main module, its dependencies and the standard library", () => {
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:golang/example.com/greet@v1.2.3",
        "pkg:golang/example.com/hello@v1.4.0",
        "pkg:golang/example.com/local",
        "pkg:golang/example.com/quote-fork@v1.1.0",
        "pkg:golang/stdlib@1.19.8",
      ]);
      expect(result.warnings).toEqual([]);
    });

    it("takes the main module's version from -ldflags -X main.version when the go command stamped (devel)", () => {
      const main = byPurl(result, "pkg:golang/example.com/hello@v1.4.0");
      const p = props(main);
      expect(p["vouch:golang:main-module"]).toBe("true");
      expect(p["vouch:golang:main-module-version"]).toBe("(devel)");
      expect(p["vouch:golang:toolchain"]).toBe("go1.19.8");
      expect(p["vouch:golang:buildinfo-format"]).toBe("inline");
      expect(p["vouch:golang:build:GOOS"]).toBe("linux");
      expect(p["vouch:golang:build:GOARCH"]).toBe("amd64");
      expect(p["vouch:golang:build:CGO_ENABLED"]).toBe("0");
      expect(p["vouch:golang:build:-ldflags"]).toBe("-s -w -X main.version=1.4.0");
      expect(p["vouch:golang:build:vcs.revision"]).toMatch(/^[0-9a-f]{40}$/);
      expect(p["vouch:golang:build:vcs.time"]).toBe("2024-01-02T03:04:05Z");
      expect([main.group, main.name]).toEqual(["example.com", "hello"]);
    });

    it("makes the main module depend on every other module, and the image on the main module", () => {
      const main = byPurl(result, "pkg:golang/example.com/hello@v1.4.0");
      expect([...main.dependsOn].sort()).toEqual(result.packages.filter((p) => p !== main).map((p) => p.id).sort());
      expect(result.directDependencies).toEqual([main.id]);
      expect(result.project).toBeUndefined();
    });

    it("keeps h1 sums as properties, reports the replacement that was built, and a directory replacement without a version", () => {
      expect(props(byPurl(result, "pkg:golang/example.com/greet@v1.2.3"))).toEqual({ "vouch:golang:h1": "h1:YnHNxPwzWK0Ha/zSG5fJkf8xer4KIUeMH6m8CRDRk2Y=" });
      expect(props(byPurl(result, "pkg:golang/example.com/quote-fork@v1.1.0"))).toEqual({
        "vouch:golang:h1": "h1:GRFZP389Tek+itNoIbEO7D5LYkxCCOaB19e+7O+5Jds=",
        "vouch:golang:replaces": "example.com/quote@v1.0.0",
      });
      expect(props(byPurl(result, "pkg:golang/example.com/local"))).toEqual({
        "vouch:golang:replaces": "example.com/local@v0.0.0",
        "vouch:golang:replacementDir": "./local",
      });
      for (const p of result.packages) expect(p.hashes).toEqual([]);
    });
  });

  it("reads a 32-bit binary (386) and falls back to a vcs pseudo-version without -ldflags", () => {
    const result = parseFixture("real/bin/hello-386");
    const main = result.packages.find((p) => props(p)["vouch:golang:main-module"] === "true")!;
    expect(main.version).toMatch(/^v0\.0\.0-20240102030405-[0-9a-f]{12}$/);
    expect(props(main)["vouch:golang:build:GOARCH"]).toBe("386");
    expect(props(main)["vouch:golang:build:-trimpath"]).toBe("true");
    expect(result.packages.map((p) => p.purl)).toContain("pkg:golang/stdlib@1.19.8");
  });

  for (const name of ["oldtool-amd64", "oldtool-ppc32be"]) {
    it(`reads the pointer format of Go < 1.18 (${name})`, () => {
      const result = parseFixture(`old-format/${name}`);
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:golang/example.com/oldtool@v0.3.1",
        "pkg:golang/github.com/pkg/errors@v0.9.1",
        "pkg:golang/golang.org/x/sys@v0.0.0-20210630005230-0f9fa26af87c",
        "pkg:golang/stdlib@1.16.15",
      ]);
      const main = byPurl(result, "pkg:golang/example.com/oldtool@v0.3.1");
      expect(props(main)["vouch:golang:buildinfo-format"]).toBe("pointer");
      expect(props(main)["vouch:golang:h1"]).toBe("h1:3Ym0SiZ5YqQGm5bd0cGPJ2RAZfqRmSwCm1YB8Z2cqxk=");
      expect(props(main)["vouch:golang:main-module-version"]).toBeUndefined();
      expect(props(byPurl(result, "pkg:golang/golang.org/x/sys@v0.0.0-20210630005230-0f9fa26af87c"))["vouch:golang:replaces"]).toBe(
        "golang.org/x/sys@v0.0.0-20210124154548-22da62e12c0c",
      );
    });
  }

  it("reads the same module info in both formats and both byte orders alike", () => {
    const formats = [
      syntheticGoBinary({ is64: true, littleEndian: true, goVersion: "go1.16.15", modinfo: OLD_MODINFO, format: "pointer" }),
      syntheticGoBinary({ is64: false, littleEndian: true, goVersion: "go1.16.15", modinfo: OLD_MODINFO, format: "pointer" }),
      syntheticGoBinary({ is64: true, littleEndian: false, goVersion: "go1.16.15", modinfo: OLD_MODINFO, format: "pointer" }),
      syntheticGoBinary({ is64: false, littleEndian: false, goVersion: "go1.16.15", modinfo: OLD_MODINFO, format: "inline" }),
    ].map((b) => readGoBuildInfo(b));
    for (const f of formats) expect({ goVersion: f?.goVersion, modinfo: f?.modinfo }).toEqual({ goVersion: "go1.16.15", modinfo: OLD_MODINFO });
  });

  it("reports only the standard library for a binary built outside module mode", () => {
    const result = parseFixture("no-modinfo/gopath-tool");
    expect(result.packages.map((p) => p.purl)).toEqual(["pkg:golang/stdlib@1.20.14"]);
    expect(result.directDependencies).toEqual(["pkg:golang/stdlib@1.20.14"]);
  });

  it("reports nothing, silently, for ELF files that are not Go and for files that are not ELF", () => {
    expect(parseFixture("not-go/usr/bin/cprog")).toEqual({ directDependencies: [], packages: [], warnings: [] });
    expect(parseBytes("usr/bin/script", new TextEncoder().encode("#!/bin/sh\necho hi\n"))).toEqual({ directDependencies: [], packages: [], warnings: [] });
    expect(parseBytes("usr/bin/empty", new Uint8Array(0)).packages).toEqual([]);
    expect(parseBytes("usr/bin/elf-header-only", Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1])).packages).toEqual([]);
  });

  it("skips module lines it cannot trust, with a warning, and keeps the rest", () => {
    const result = parseFixture("malformed-lines/tool");
    expect(result.packages.map((p) => p.purl).sort()).toEqual(["pkg:golang/example.com/ok@v1.2.0", "pkg:golang/example.com/x@v1.0.0", "pkg:golang/stdlib@1.21.5"]);
    expect(result.warnings.map((w) => [w.line, w.message])).toEqual([
      [2, "Go module info: dep line without a valid module path; skipped"],
      [3, "Go module info: dep line without a valid module path; skipped"],
    ]);
  });

  describe("corrupt binaries are INPUT_MALFORMED, never a read outside the bytes", () => {
    for (const [name, message] of [
      ["truncated", /module info .* runs past the end/],
      ["bad-pointer-size", /pointer size 3/],
      ["pointer-outside-segments", /outside the file's loaded segments/],
      ["bad-modinfo", /replacement without a module line/],
    ] as const) {
      it(name, () => {
        const err = thrownVouchError(() => parseFixture(`corrupt/${name}`));
        expect(err.code).toBe("INPUT_MALFORMED");
        expect(err.message).toMatch(message);
      });
    }

    it("a real binary cut inside its build info", () => {
      const real = readFileSync(join(FIXTURES, "real/usr/local/bin/hello"));
      // .go.buildinfo starts at 0xbc000 in this build; cut 0x50 bytes into it (inside the module info).
      expect(real.subarray(0xbc000, 0xbc00e).toString("latin1")).toBe("\xff Go buildinf:");
      const err = thrownVouchError(() => parseBytes("usr/local/bin/hello", real.subarray(0, 0xbc050)));
      expect(err.code).toBe("INPUT_MALFORMED");
      // Cut before the build info: the headers at the end are gone, nothing says it was Go: nothing reported.
      expect(parseBytes("usr/local/bin/hello", real.subarray(0, 0x1000)).packages).toEqual([]);
    });

    it("a varint length larger than any module info is INPUT_TOO_LARGE, not an allocation", () => {
      const b = syntheticGoBinary({ is64: true, littleEndian: true, goVersion: "go1.21.5", modinfo: "", format: "inline" });
      // Header at 0x80, strings at 0xa0: version length 8 ("go1.21.5"), then the module info length: make it 2^34.
      b.set([0x80, 0x80, 0x80, 0x80, 0x40], 0xa0 + 9);
      expect(thrownVouchError(() => parseBytes("x", b)).code).toBe("INPUT_TOO_LARGE");
    });
  });

  describe("module info text", () => {
    it("parses quoted build settings as Go quotes them", () => {
      const info = parseModInfo('build\t-tags=netgo,osusergo\nbuild\t-ldflags="-X \\"main.v=1\\" -s"\nbuild\t"key=with=eq"=v\nbuild\tDefaultGODEBUG=a=1\n', "go1.22.0");
      expect(info.settings).toEqual([
        ["-tags", "netgo,osusergo"],
        ["-ldflags", '-X "main.v=1" -s'],
        ["key=with=eq", "v"],
        ["DefaultGODEBUG", "a=1"],
      ]);
      expect(() => parseModInfo("build\t=x\n", "go1.22.0")).toThrow(/key=value/);
      expect(unquoteGo('"a\\x41\\u00e9\\101\\n"')).toBe("aAé\u0041\n");
      expect(unquoteGo('"unterminated')).toBeUndefined();
      expect(unquoteGo('"bad \\q"')).toBeUndefined();
    });

    it("finds a version in -ldflags only where a version variable is set to a version", () => {
      expect(versionFromLdflags("-s -w -X main.version=1.4.0")).toBe("v1.4.0");
      expect(versionFromLdflags("-X github.com/x/y/pkg/version.Version=v2.3.4-rc.1 -X main.commit=abc")).toBe("v2.3.4-rc.1");
      expect(versionFromLdflags("-X 'main.Version=0.9.0'")).toBe("v0.9.0");
      expect(versionFromLdflags("-X main.version=dev")).toBeUndefined();
      expect(versionFromLdflags("-X main.commit=1.2.3")).toBeUndefined();
      expect(versionFromLdflags(undefined)).toBeUndefined();
    });

    it("a development toolchain has no stdlib release to report", () => {
      const b = syntheticGoBinary({ is64: true, littleEndian: true, goVersion: "devel go1.23-abcdef Tue Jan 1", modinfo: "mod\texample.com/x\tv1.0.0\t\n", format: "inline" });
      expect(parseBytes("x", b).packages.map((p) => p.purl)).toEqual(["pkg:golang/example.com/x@v1.0.0"]);
      const boring = syntheticGoBinary({ is64: true, littleEndian: true, goVersion: "go1.22.1 X:boringcrypto", modinfo: "", format: "inline" });
      expect(parseBytes("x", boring).packages.map((p) => p.purl)).toEqual(["pkg:golang/stdlib@1.22.1"]);
    });
  });

  describe("in a rootfs", () => {
    it("catalogs Go binaries of a rootfs directory and of an in-memory image view alike", () => {
      const dir = catalogSource(new DirectorySource(join(FIXTURES, "real")), golangBinaryCatalogers);
      expect(dir.warnings).toEqual([]);
      const purls = dir.components.map((c) => c.purl);
      expect(purls).toContain("pkg:golang/example.com/hello@v1.4.0");
      expect(purls).toContain("pkg:golang/stdlib@1.19.8");
      expect(dir.components.find((c) => c.purl === "pkg:golang/stdlib@1.19.8")?.foundIn).toEqual(["bin/hello-386", "usr/local/bin/hello"]);
      // The source files beside them are no executables: not even opened.
      expect(dir.filesCataloged.map((f) => f.path)).toEqual(["bin/hello-386", "usr/local/bin/hello"]);

      const mem = new MemorySource({
        "usr/local/bin/hello": readFileSync(join(FIXTURES, "real/usr/local/bin/hello")),
        "usr/bin/cprog": readFileSync(join(FIXTURES, "not-go/usr/bin/cprog")),
        "usr/bin/broken": readFileSync(join(FIXTURES, "corrupt/truncated")),
        "etc/hostname": "box\n",
      });
      const out = catalogSource(mem, golangBinaryCatalogers);
      expect(out.components.map((c) => c.purl)).toContain("pkg:golang/example.com/hello@v1.4.0");
      expect(out.warnings.map((w) => [w.file, w.fileSkipped])).toEqual([["usr/bin/broken", true]]);
      expect(out.rootDependsOn).toEqual(["pkg:golang/example.com/hello@v1.4.0"]);
    });
  });
});
