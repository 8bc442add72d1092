import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VouchError } from "../../core/errors.js";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { parseFixtureFile, parseText, pkgByPurl } from "../../../test/support/parse.js";
import { composerCatalogers } from "./index.js";
import { composerLockCataloger, parseComposerLock } from "./parse-composer-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

/** Parse <dir>/composer.lock with <dir> as the source root. */
const parseIn = (dir: string) => parseFixtureFile(parseComposerLock, dir, "composer.lock");

describe("composer: composer.lock", () => {
  const { warnings, ...result } = parseIn(join(FIXTURES, "app"));

  it("lists packages (required) and packages-dev (dev), versions as written", () => {
    expect(warnings).toEqual([]);
    expect(result.packages.map((p) => `${p.purl} ${p.scope}`)).toEqual([
      "pkg:composer/acme/logging-bridge@dev-main required",
      "pkg:composer/monolog/monolog@3.7.0 required",
      "pkg:composer/psr/container@2.0.2 required",
      "pkg:composer/psr/log@3.0.0 required",
      "pkg:composer/symfony/console@v6.4.8 required",
      "pkg:composer/symfony/polyfill-mbstring@v1.30.0 required",
      "pkg:composer/symfony/service-contracts@v3.5.0 required",
      "pkg:composer/symfony/string@v6.4.8 required",
      "pkg:composer/myclabs/deep-copy@1.12.0 dev",
      "pkg:composer/phpunit/phpunit@10.5.20 dev",
      "pkg:composer/sebastian/diff@5.1.1 dev",
    ]);
  });

  it("keeps name, vendor, license, authors, description, hashes and references", () => {
    expect(pkgByPurl(result, "pkg:composer/symfony/console@v6.4.8")).toEqual({
      id: "pkg:composer/symfony/console@v6.4.8",
      ecosystem: "composer",
      name: "console",
      group: "symfony",
      version: "v6.4.8",
      purl: "pkg:composer/symfony/console@v6.4.8",
      hashes: [{ alg: "SHA-1", content: "0d6e2c4a8b1f3e5d7c9a0b2d4f6e8a1c3b5d7f90" }],
      scope: "required",
      // php and ext-* are platform requirements, not packages
      dependsOn: [
        "pkg:composer/symfony/polyfill-mbstring@v1.30.0",
        "pkg:composer/symfony/service-contracts@v3.5.0",
        "pkg:composer/symfony/string@v6.4.8",
      ],
      licenseDeclared: ["MIT"],
      author: "Fabien Potencier <fabien@symfony.com>, Symfony Community",
      description: "Eases the creation of beautiful and testable command line interfaces",
      externalRefs: [
        { type: "vcs", url: "https://git.example.test/symfony/console.git" },
        { type: "distribution", url: "https://dist.example.test/symfony/console/be5854cee0e8c7b110f00d695d11debdfa1a2a91.zip" },
      ],
      properties: [{ name: "vouch:composer:source-reference", value: "be5854cee0e8c7b110f00d695d11debdfa1a2a91" }],
    });
    // shasum "" means no hash, and a malformed one is dropped
    expect(pkgByPurl(result, "pkg:composer/monolog/monolog@3.7.0").hashes).toEqual([]);
    expect(pkgByPurl(result, "pkg:composer/sebastian/diff@5.1.1").hashes).toEqual([]);
    expect(pkgByPurl(result, "pkg:composer/sebastian/diff@5.1.1").licenseDeclared).toBe("BSD-3-Clause");
    expect(pkgByPurl(result, "pkg:composer/monolog/monolog@3.7.0").externalRefs).toContainEqual({ type: "issue-tracker", url: "https://git.example.test/Seldaek/monolog/issues" });
    // a path repository's dist url is not a distribution
    expect(pkgByPurl(result, "pkg:composer/acme/logging-bridge@dev-main").externalRefs).toEqual([{ type: "vcs", url: "https://git.example.test/acme/logging-bridge.git" }]);
  });

  it("resolves requirements through provide/replace, and leaves out packages not in the lock", () => {
    // psr/log-implementation is provided by monolog and by symfony/console
    expect(pkgByPurl(result, "pkg:composer/acme/logging-bridge@dev-main").dependsOn).toEqual([
      "pkg:composer/monolog/monolog@3.7.0",
      "pkg:composer/symfony/console@v6.4.8",
    ]);
    // symfony/deprecation-contracts is not in the lock: no edge
    expect(pkgByPurl(result, "pkg:composer/symfony/service-contracts@v3.5.0").dependsOn).toEqual(["pkg:composer/psr/container@2.0.2"]);
    expect(pkgByPurl(result, "pkg:composer/phpunit/phpunit@10.5.20").dependsOn).toEqual(["pkg:composer/myclabs/deep-copy@1.12.0", "pkg:composer/sebastian/diff@5.1.1"]);
  });

  it("takes the project and its direct requirements from composer.json", () => {
    expect(result.project).toEqual({
      name: "shop-backend",
      version: "",
      group: "acme",
      ecosystem: "composer",
      purl: "pkg:composer/acme/shop-backend",
      licenseDeclared: "proprietary",
      description: "Order and catalogue API for the Acme shop",
    });
    expect(result.directDependencies).toEqual([
      "pkg:composer/acme/logging-bridge@dev-main",
      "pkg:composer/monolog/monolog@3.7.0",
      "pkg:composer/symfony/console@v6.4.8",
      "pkg:composer/phpunit/phpunit@10.5.20",
    ]);
    const out = catalogDirectory(join(FIXTURES, "app"), composerCatalogers);
    expect(out.rootProject?.bomRef).toBe("pkg:composer/acme/shop-backend");
    expect(out.rootDependsOn).toHaveLength(4);
  });

  it("without composer.json: no project, no direct dependencies", () => {
    const bare = parseIn(join(FIXTURES, "no-manifest"));
    expect(bare.project).toBeUndefined();
    expect(bare.directDependencies).toEqual([]);
    expect(bare.packages.map((p) => p.purl)).toEqual(["pkg:composer/psr/log@3.0.0"]);
  });

  it("skips bad entries with a warning each and survives a broken composer.json", () => {
    const bad = parseIn(join(FIXTURES, "bad-entries"));
    expect(bad.packages.map((p) => p.purl)).toEqual(["pkg:composer/acme/ok@1.0.0", "pkg:composer/standalone@0.1"]);
    expect(pkgByPurl(bad, "pkg:composer/acme/ok@1.0.0")).toMatchObject({ licenseDeclared: ["MIT"], dependsOn: [] });
    expect(pkgByPurl(bad, "pkg:composer/standalone@0.1").group).toBeUndefined();
    expect(bad.warnings).toEqual([
      { message: "packages[0] is not an object; skipped", line: undefined },
      { message: "packages[1] (acme/no-version) has no name or version; skipped", line: undefined },
      { message: "packages[2] has no name or version; skipped", line: undefined },
      { message: '"packages-dev" is not an array; skipped', line: undefined },
      {
        message: "composer.json: not valid JSON: Expected double-quoted property name in JSON at position 24 (line 2 column 1); project and direct dependencies unknown",
        line: 2,
      },
    ]);
  });

  it("throws INPUT_MALFORMED with the line of truncated JSON, and for JSON that is not a lockfile", () => {
    let err: unknown;
    try {
      parseIn(join(FIXTURES, "corrupt"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VouchError);
    expect((err as VouchError).code).toBe("INPUT_MALFORMED");
    expect((err as VouchError).location.line).toBe(24);
    expect(() => parseText(parseComposerLock, "composer.lock", '{"name": "acme/x"}')).toThrow(/not a composer.lock/);
    expect(() => parseText(parseComposerLock, "composer.lock", "[]")).toThrow(VouchError);
  });

  it("matches composer.lock only", () => {
    expect(composerLockCataloger.matches("composer.lock")).toBe(true);
    expect(composerLockCataloger.matches("api/composer.lock")).toBe(true);
    expect(composerLockCataloger.matches("composer.json")).toBe(false);
  });

  it("catalogs 20,000 packages", () => {
    const packages = Array.from({ length: 20_000 }, (_, i) => ({
      name: `vendor${i % 50}/package-${i}`,
      version: `1.${i}.0`,
      dist: { type: "zip", url: `https://dist.example.test/${i}.zip`, shasum: "" },
      require: { php: ">=8.1", [`vendor${(i + 1) % 50}/package-${(i + 1) % 20_000}`]: "^1.0" },
      license: ["MIT"],
    }));
    const out = catalogFiles({ "composer.lock": JSON.stringify({ packages, "packages-dev": [] }) }, composerCatalogers);
    expect(out.components).toHaveLength(20_000);
  });
});
