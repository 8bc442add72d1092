import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogContext, malformedError, parseFixtureFile, pkg, scopes } from "../../../test/support/parse.js";
import { DirectorySource } from "../sources/directory.js";
import type { CatalogContext } from "../types.js";
import { parsePnpmLock, pnpmLockCataloger } from "./parse-pnpm-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "npm");
const sha512 = (s: string) => ({ alg: "SHA-512", content: createHash("sha512").update(s).digest("hex") });
const GIT = "0123456789abcdef0123456789abcdef01234567";

/** Parse <root>/pnpm-lock.yaml with <root> as the source root. */
const parseDir = (root: string) => parseFixtureFile(parsePnpmLock, root, "pnpm-lock.yaml");
const malformed = (dir: string) => malformedError(() => parseDir(join(FIXTURES, dir)));

describe("npm: pnpm-lock.yaml cataloger", () => {
  it("matches pnpm-lock.yaml only", () => {
    expect(pnpmLockCataloger.matches("pnpm-lock.yaml")).toBe(true);
    expect(pnpmLockCataloger.matches("apps/pnpm-lock.yaml")).toBe(true);
    expect(pnpmLockCataloger.matches("pnpm-workspace.yaml")).toBe(false);
  });

  describe("lockfileVersion 9.0", () => {
    const result = parseDir(join(FIXTURES, "pnpm-v9"));

    it("makes one package per name@version from 'packages', with its integrity", () => {
      expect(result.packages.map((p) => `${p.id} ${p.purl} ${p.scope}`)).toEqual([
        "@types/node@20.0.0 pkg:npm/%40types/node@20.0.0 dev",
        "a@1.0.0 pkg:npm/a@1.0.0 required",
        "gitdep@0.5.0 pkg:npm/gitdep@0.5.0 dev",
        "loose-envify@1.4.0 pkg:npm/loose-envify@1.4.0 required",
        "native@1.0.0 pkg:npm/native@1.0.0 dev",
        "opt@1.0.0 pkg:npm/opt@1.0.0 optional",
        "react@18.2.0 pkg:npm/react@18.2.0 required",
        "real-x@2.0.0 pkg:npm/real-x@2.0.0 dev",
        "vitest@1.4.0 pkg:npm/vitest@1.4.0 dev",
      ]);
      expect(pkg(result, "a@1.0.0").hashes).toEqual([sha512("a-1.0.0")]);
      expect(pkg(result, "gitdep@0.5.0")).toMatchObject({
        hashes: [],
        externalRefs: [{ type: "distribution", url: `https://codeload.github.com/acme/gitdep/tar.gz/${GIT}` }],
      });
    });

    it("takes edges from every snapshot (peer variant) of a package, optional ones included", () => {
      expect(pkg(result, "vitest@1.4.0").dependsOn).toEqual(["@types/node@20.0.0", "gitdep@0.5.0", "native@1.0.0"]);
      expect(pkg(result, "opt@1.0.0").dependsOn).toEqual(["a@1.0.0"]);
      expect(pkg(result, "react@18.2.0").dependsOn).toEqual(["loose-envify@1.4.0"]);
    });

    it("makes importer '.' the project and the others workspaces, links to them edges", () => {
      expect(result.project).toEqual({ ecosystem: "npm", name: "pnpm-app", version: "1.0.0", purl: "pkg:npm/pnpm-app@1.0.0", licenseDeclared: "MIT" });
      // The alias "alias-x" (npm:real-x) is the real package.
      expect(result.directDependencies).toEqual(["a@1.0.0", "importer:packages/ui", "opt@1.0.0", "real-x@2.0.0", "vitest@1.4.0"]);
      expect(result.workspaces).toEqual([
        {
          id: "importer:packages/ui",
          project: { ecosystem: "npm", name: "ui", group: "@p", version: "0.1.0", purl: "pkg:npm/%40p/ui@0.1.0" },
          directDependencies: ["@types/node@20.0.0", "a@1.0.0", "react@18.2.0"],
        },
      ]);
      expect(result.warnings).toEqual([]);
    });

    it("computes from the importers the scopes pnpm's own v6 flags give, on the real vue-core lockfile", () => {
      const dir = join(REAL, "pnpm-v6-vue-core");
      const source = new DirectorySource(dir);
      const ctx = catalogContext(source);
      const text = source.readFile("pnpm-lock.yaml")!;
      const flagged = parsePnpmLock({ path: "pnpm-lock.yaml", text }, ctx);
      const unflagged = parsePnpmLock({ path: "pnpm-lock.yaml", text: text.replace(/^ {4}(dev|optional): (true|false)\n/gm, "") }, ctx);
      expect(flagged.packages).toHaveLength(742);
      expect(Object.values(scopes(flagged)).filter((s) => s === "dev")).toHaveLength(711);
      expect(scopes(unflagged)).toEqual(scopes(flagged));
    });

    it("reads the real vue-core v9 lockfile without a warning", () => {
      const real = parseDir(join(REAL, "pnpm-v9-vue-core"));
      expect(real.packages).toHaveLength(717);
      expect(pkg(real, "@babel/parser@7.29.2")).toMatchObject({ scope: "required", dependsOn: ["@babel/types@7.29.0"] });
      expect(real.warnings).toEqual([]);
    });
  });

  describe("lockfileVersion 6.0", () => {
    const result = parseDir(join(FIXTURES, "pnpm-v6"));

    it("strips the leading '/' and peer suffixes, takes scopes from the dev/optional flags", () => {
      expect(result.packages.map((p) => `${p.id} ${p.scope} ${p.dependsOn.join(",")}`)).toEqual([
        "a@1.0.0 required b@2.0.0",
        "b@2.0.0 required ",
        "eslint-plugin-i@2.29.1 dev b@2.0.0,eslint@8.57.0",
        "eslint@8.57.0 dev fsevents@2.3.3",
        "fsevents@2.3.3 dev ",
      ]);
    });

    it("resolves an alias to the real package, and ignores a workspace's link back to the root", () => {
      expect(result.directDependencies).toEqual(["a@1.0.0", "eslint-plugin-i@2.29.1", "eslint@8.57.0"]);
      // packages/lib has no package.json here: it is named by its folder.
      expect(result.workspaces).toEqual([{ id: "importer:packages/lib", project: { ecosystem: "npm", name: "packages/lib", version: "" }, directDependencies: ["a@1.0.0"] }]);
    });
  });

  it("reads a single-project lockfileVersion 5.4 file (sections at the top, '_' peer suffixes)", () => {
    const result = parseDir(join(FIXTURES, "pnpm-v5"));
    expect(result.packages.map((p) => `${p.id} ${p.purl} ${p.scope} ${p.dependsOn.join(",")}`)).toEqual([
      "@babel/core@7.23.0 pkg:npm/%40babel/core@7.23.0 dev a@1.0.0",
      "a@1.0.0 pkg:npm/a@1.0.0 required ",
      "plugin@1.2.0 pkg:npm/plugin@1.2.0 dev @babel/core@7.23.0",
    ]);
    expect(result.directDependencies).toEqual(["@babel/core@7.23.0", "a@1.0.0", "plugin@1.2.0"]);
    expect(pkg(result, "plugin@1.2.0").hashes).toEqual([sha512("plugin-1.2.0")]);
    expect(result.project).toMatchObject({ name: "pnpm5-app", version: "0.5.0" });
  });

  describe("malformed input", () => {
    it("rejects invalid YAML with its line", () => {
      expect(malformed("pnpm-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 6 });
    });

    it("rejects an unsupported lockfileVersion", () => {
      expect(malformed("pnpm-unsupported")).toEqual({ code: "INPUT_MALFORMED", line: 1, message: 'unsupported pnpm lockfileVersion "3.1"' });
    });

    it("skips bad entries and reads hostile field types without throwing", () => {
      const warnings: string[] = [];
      const ctx: CatalogContext = { readFile: () => undefined, listDir: () => [], warn: (m) => warnings.push(m) };
      const text = [
        "lockfileVersion: '9.0'",
        "importers:",
        "  .:",
        "    dependencies: [1, 2]",
        "    devDependencies:",
        "      a: {specifier: 1, version: [x]}",
        "packages:",
        "  a@1.0.0: {resolution: [1]}",
        "  nonsense: {}",
        "  b@1.0.0: 7",
        "snapshots:",
        "  a@1.0.0: {dependencies: {z: 9.9.9}}",
        "  c@1.0.0: {}",
      ].join("\n");
      const result = parsePnpmLock({ path: "pnpm-lock.yaml", text }, ctx);
      expect(result.packages.map((p) => `${p.purl} ${p.hashes.length}`)).toEqual(["pkg:npm/a@1.0.0 0"]);
      expect(warnings).toEqual([
        'packages["nonsense"] names no package@version; skipped',
        'packages["b@1.0.0"] is not a map; skipped',
        'snapshot "c@1.0.0" has no entry in "packages"; skipped',
        "1 dependency reference(s) match no package of the lockfile (a@1.0.0 -> z@9.9.9); left out",
      ]);
    });
  });
});
