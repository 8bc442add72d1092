import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseFixtureFile, parseText, pkgByPurl } from "../../../test/support/parse.js";
import { gemCatalogers } from "./index.js";
import { gemfileLockCataloger, parseGemfileLock } from "./parse-gemfile-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "gem");

/** Parse <dir>/Gemfile.lock with <dir> as the source root. */
const parseDir = (dir: string) => parseFixtureFile(parseGemfileLock, dir, "Gemfile.lock");

describe("gem: Gemfile.lock", () => {
  it("reads GEM, GIT and PATH sources, platform gems, CHECKSUMS and the project under PATH remote: .", () => {
    const { warnings, ...result } = parseDir(join(FIXTURES, "checksums"));
    expect(warnings).toEqual([]);
    expect(result.project).toEqual({ name: "acme-widgets", version: "1.5.0", ecosystem: "gem", purl: "pkg:gem/acme-widgets@1.5.0" });
    expect(result.packages.map((p) => p.purl)).toEqual([
      "pkg:gem/http-signer@0.4.2",
      "pkg:gem/acme-logging@0.1.0",
      "pkg:gem/base64@0.2.0",
      "pkg:gem/bigdecimal@3.1.8",
      "pkg:gem/concurrent-ruby@1.3.4",
      "pkg:gem/nokogiri@1.16.7?platform=arm64-darwin",
      "pkg:gem/nokogiri@1.16.7?platform=x86_64-linux",
      "pkg:gem/racc@1.8.1",
      "pkg:gem/rack@3.1.7",
      "pkg:gem/rack-test@2.1.0",
      "pkg:gem/rake@13.2.1",
      "pkg:gem/rspec-core@3.13.1",
      "pkg:gem/rspec-support@3.13.1",
    ]);
    // The platform is a qualifier, not part of the version.
    expect(pkgByPurl(result, "pkg:gem/nokogiri@1.16.7?platform=x86_64-linux")).toMatchObject({
      name: "nokogiri",
      version: "1.16.7",
      ecosystem: "gem",
      scope: "required",
      hashes: [{ alg: "SHA-256", content: "df2be40e2b921aaaf5faaaa6239a29ee747fdcd20d6e9772172bc69e884992a4" }],
      dependsOn: ["pkg:gem/racc@1.8.1"],
    });
    expect(pkgByPurl(result, "pkg:gem/rake@13.2.1").hashes).toEqual([
      { alg: "SHA-256", content: "748168ac889940b7c667590dfc11503f17bbf9a16cbef433ad7beb702ad2508e" },
      {
        alg: "SHA-512",
        content: "15572e138ffe43fb9ff5a81d8270d9034eeb9c21682048d2ca43112971fc27a22d14f367c2ba028f07a1da16ed7982da3a42a7990cafaeed4a0b9b63eb5d8794",
      },
    ]);
    expect(pkgByPurl(result, "pkg:gem/http-signer@0.4.2")).toMatchObject({
      hashes: [],
      dependsOn: ["pkg:gem/base64@0.2.0"],
      externalRefs: [{ type: "vcs", url: "https://git.example.test/acme/http-signer.git" }],
      properties: [
        { name: "vouch:gem:git-revision", value: "5f0c2a7d9e1b3c4a6f8e0d2c4b6a8e0f1d3c5b7a" },
        { name: "vouch:gem:git-ref", value: "v0.4.2" },
      ],
    });
    expect(pkgByPurl(result, "pkg:gem/acme-logging@0.1.0").properties).toEqual([{ name: "vouch:gem:path", value: "vendor/gems/acme-logging" }]);
    expect(pkgByPurl(result, "pkg:gem/rack-test@2.1.0").dependsOn).toEqual(["pkg:gem/rack@3.1.7"]);
    // DEPENDENCIES (with "!" for pinned sources) plus the project gem's own runtime dependencies.
    expect(result.directDependencies).toEqual([
      "pkg:gem/acme-logging@0.1.0",
      "pkg:gem/bigdecimal@3.1.8",
      "pkg:gem/http-signer@0.4.2",
      "pkg:gem/rack-test@2.1.0",
      "pkg:gem/rake@13.2.1",
      "pkg:gem/rspec-core@3.13.1",
      "pkg:gem/concurrent-ruby@1.3.4",
      "pkg:gem/nokogiri@1.16.7?platform=arm64-darwin",
      "pkg:gem/nokogiri@1.16.7?platform=x86_64-linux",
    ]);
  });

  it("catalogs the project as the root with its direct dependencies", () => {
    const out = catalogDirectory(join(FIXTURES, "checksums"), gemCatalogers);
    expect(out.rootProject?.purl).toBe("pkg:gem/acme-widgets@1.5.0");
    expect(out.components.map((c) => c.purl)).not.toContain("pkg:gem/acme-widgets@1.5.0");
    expect(out.rootDependsOn).toContain("pkg:gem/http-signer@0.4.2");
  });

  it("warns about unreadable spec and checksum lines and keeps the rest", () => {
    const { warnings, ...result } = parseDir(join(FIXTURES, "bad-lines"));
    expect(result.packages.map((p) => p.purl)).toEqual(["pkg:gem/rack@3.1.7", "pkg:gem/rack-session@2.0.0", "pkg:gem/jruby-openssl@0.15.0?platform=java"]);
    expect(result.packages.every((p) => p.hashes.length === 0)).toBe(true);
    expect(result.project).toBeUndefined();
    expect(warnings).toEqual([
      { message: 'GEM specs: unreadable line "this line has no version"; skipped', line: 5 },
      { message: 'GEM specs: unreadable line "tab-indented (1.0)"; skipped', line: 8 },
      { message: 'CHECKSUMS: rack: unreadable checksum "sha256=nothex"; skipped', line: 20 },
      { message: 'CHECKSUMS: rack-session: unreadable checksum "md5=abc"; skipped', line: 21 },
    ]);
  });

  it("throws INPUT_MALFORMED for merge conflicts and for a file that is not a lockfile", () => {
    const conflict = thrownVouchError(() => parseDir(join(FIXTURES, "corrupt-conflict")));
    expect(conflict.code).toBe("INPUT_MALFORMED");
    expect(conflict.location.line).toBe(4);
    const notLock = thrownVouchError(() => parseDir(join(FIXTURES, "corrupt-not-lockfile")));
    expect(notLock.code).toBe("INPUT_MALFORMED");
    expect(notLock.location.line).toBe(1);
    expect(thrownVouchError(() => parseText(parseGemfileLock, "Gemfile.lock", "\n\n")).code).toBe("INPUT_MALFORMED");
  });

  it("matches Gemfile.lock and gems.locked", () => {
    expect(gemfileLockCataloger.matches("Gemfile.lock")).toBe(true);
    expect(gemfileLockCataloger.matches("app/gems.locked")).toBe(true);
    expect(gemfileLockCataloger.matches("Gemfile")).toBe(false);
  });

  it("catalogs 20,000 gems", () => {
    const specs = Array.from({ length: 20_000 }, (_, i) => `    gem-${i} (1.${i}.0)\n      gem-${(i + 1) % 20_000} (>= 1.0)`);
    const deps = Array.from({ length: 100 }, (_, i) => `  gem-${i}`);
    const text = `GEM\n  remote: https://gems.example.test/\n  specs:\n${specs.join("\n")}\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${deps.join("\n")}\n`;
    const out = catalogFiles({ "Gemfile.lock": text }, gemCatalogers);
    expect(out.components).toHaveLength(20_000);
    expect(out.rootDependsOn).toHaveLength(100);
  });

  describe("real: homeland (Ruby China)", () => {
    it("2016: 178 specs from one GEM and three GIT sections, 78 direct dependencies", () => {
      const { warnings, ...result } = parseDir(join(REAL, "gemfile-lock-git-homeland-2016"));
      expect(warnings).toEqual([]);
      expect(result.packages).toHaveLength(178);
      expect(result.directDependencies).toHaveLength(78);
      expect(result.project).toBeUndefined();
      const git = result.packages.filter((p) => p.externalRefs?.some((r) => r.type === "vcs"));
      expect(git.map((p) => p.purl)).toEqual(["pkg:gem/bulk_insert@1.2.0", "pkg:gem/sinatra@2.0.0.pre.alpha", "pkg:gem/turbolinks@3.0.0"]);
      expect(pkgByPurl(result, "pkg:gem/bulk_insert@1.2.0")).toMatchObject({
        dependsOn: ["pkg:gem/activerecord@5.0.0.beta3"],
        externalRefs: [{ type: "vcs", url: "https://github.com/huacnlee/bulk_insert.git" }],
        properties: [
          { name: "vouch:gem:git-revision", value: "d5cdd5a37c544d01afd7cb081a1fd41df40812f2" },
          { name: "vouch:gem:git-ref", value: "fix/active-record-5-warning" },
        ],
      });
      expect(pkgByPurl(result, "pkg:gem/sinatra@2.0.0.pre.alpha").dependsOn).toEqual([
        "pkg:gem/rack@2.0.0.alpha",
        "pkg:gem/rack-protection@1.5.3",
        "pkg:gem/tilt@2.0.2",
      ]);
      expect(pkgByPurl(result, "pkg:gem/actionmailer@5.0.0.beta3").dependsOn).toEqual([
        "pkg:gem/actionpack@5.0.0.beta3",
        "pkg:gem/actionview@5.0.0.beta3",
        "pkg:gem/activejob@5.0.0.beta3",
        "pkg:gem/mail@2.6.4",
        "pkg:gem/rails-dom-testing@1.0.7",
      ]);
      expect(result.directDependencies).toContain("pkg:gem/turbolinks@3.0.0");
    });

    it("2017: 183 specs, 81 direct dependencies, no GIT section", () => {
      const { warnings, ...result } = parseDir(join(REAL, "gemfile-lock-homeland-2017"));
      expect(warnings).toEqual([]);
      expect(result.packages).toHaveLength(183);
      expect(result.directDependencies).toHaveLength(81);
      expect(result.packages.some((p) => p.externalRefs)).toBe(false);
      expect(pkgByPurl(result, "pkg:gem/action-store@0.3.2").dependsOn).toEqual(["pkg:gem/rails@5.1.3"]);
      expect(pkgByPurl(result, "pkg:gem/xpath@2.1.0").dependsOn).toEqual(["pkg:gem/nokogiri@1.8.0"]);
    });
  });
});
