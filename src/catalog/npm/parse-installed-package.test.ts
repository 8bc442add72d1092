import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { malformedError, parseFixtureFile, pkgByPurl } from "../../../test/support/parse.js";
import { catalogSource } from "../catalog.js";
import { MemorySource } from "../sources/memory.js";
import { installedNpmCatalogers } from "./index.js";
import { isInstalledPackageJson, npmInstalledPackageCataloger, parseInstalledPackage } from "./parse-installed-package.js";

const ROOT = join(import.meta.dirname, "fixtures", "installed", "rootfs");
const NM = "usr/lib/node_modules";

describe("installed npm package cataloger", () => {
  it("matches package.json files of package folders under node_modules", () => {
    for (const p of [`${NM}/npm/package.json`, `${NM}/@types/node/package.json`, "usr/local/lib/node_modules/npm/node_modules/semver/package.json", "app/node_modules/x/package.json"]) {
      expect(isInstalledPackageJson(p), p).toBe(true);
    }
    for (const p of ["package.json", `${NM}/package.json`, `${NM}/x/lib/package.json`, `${NM}/@types/package.json`, `${NM}/.bin/package.json`, `${NM}/x/package.json.bak`]) {
      expect(isInstalledPackageJson(p), p).toBe(false);
    }
    expect(installedNpmCatalogers).toEqual([npmInstalledPackageCataloger]);
  });

  it("one package with its metadata, and edges to what Node would load (nearest node_modules first)", () => {
    const r = parseFixtureFile(parseInstalledPackage, ROOT, `${NM}/cowsay/package.json`);
    const cowsay = pkgByPurl(r, "pkg:npm/cowsay@1.5.0");
    expect(cowsay).toMatchObject({ licenseDeclared: "MIT", author: "Fabio Crisci <fabiocrisci@gmail.com>", description: "cowsay is a configurable talking cow" });
    expect(cowsay.dependsOn).toEqual(["pkg:npm/get-stdin@8.0.0", "pkg:npm/string-width@2.1.1", "pkg:npm/%40types/node@20.11.5"]);
    expect(r.directDependencies).toEqual(["pkg:npm/cowsay@1.5.0"]);
    expect(r.warnings).toEqual([]);
  });

  it("a package.json without name and version is no package; a truncated one is INPUT_MALFORMED", () => {
    expect(parseFixtureFile(parseInstalledPackage, ROOT, `${NM}/cowsay/test/fixture/package.json`).packages).toEqual([]);
    expect(malformedError(() => parseFixtureFile(parseInstalledPackage, ROOT, `${NM}/broken/package.json`))).toMatchObject({ code: "INPUT_MALFORMED", line: 3 });
  });

  it("in an image view: every installed package once, both versions of a package nested at two levels", () => {
    const files: Record<string, string> = {};
    for (const e of readdirSync(ROOT, { recursive: true, withFileTypes: true })) {
      if (e.isFile()) {
        const rel = join(e.parentPath, e.name).slice(ROOT.length + 1);
        files[rel] = readFileSync(join(ROOT, rel), "utf8");
      }
    }
    const out = catalogSource(new MemorySource(files), installedNpmCatalogers);
    expect(out.components.map((c) => c.purl)).toEqual([
      "pkg:npm/%40types/node@20.11.5",
      "pkg:npm/cowsay@1.5.0",
      "pkg:npm/get-stdin@8.0.0",
      "pkg:npm/get-stdin@9.0.0",
      "pkg:npm/string-width@2.1.1",
    ]);
    expect(out.warnings.map((w) => [w.file, w.fileSkipped])).toEqual([[`${NM}/broken/package.json`, true]]);
  });
});
