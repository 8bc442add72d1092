import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { malformedError, parseFixtureFile, pkg } from "../../../test/support/parse.js";
import type { CatalogContext } from "../types.js";
import { parseYarnLock, yarnLockCataloger } from "./parse-yarn-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "npm");
const sha512 = (s: string) => ({ alg: "SHA-512", content: createHash("sha512").update(s).digest("hex") });
const sha1 = (s: string) => ({ alg: "SHA-1", content: createHash("sha1").update(s).digest("hex") });
const GIT = "0123456789abcdef0123456789abcdef01234567";

/** Parse <root>/yarn.lock with <root> as the source root. */
const parseDir = (root: string) => parseFixtureFile(parseYarnLock, root, "yarn.lock");
const malformed = (dir: string) => malformedError(() => parseDir(join(FIXTURES, dir)));

describe("npm: yarn.lock cataloger", () => {
  it("matches yarn.lock only", () => {
    expect(yarnLockCataloger.matches("yarn.lock")).toBe(true);
    expect(yarnLockCataloger.matches("web/yarn.lock")).toBe(true);
    expect(yarnLockCataloger.matches("yarn.lock.bak")).toBe(false);
    expect(yarnLockCataloger.matches(".yarnrc.yml")).toBe(false);
  });

  describe("yarn classic (v1) with workspaces", () => {
    const result = parseDir(join(FIXTURES, "yarn-v1"));

    it("makes one package per name@version, real names for aliases, with every hash yarn recorded", () => {
      expect(result.packages.map((p) => `${p.id} ${p.purl} ${p.scope}`)).toEqual([
        "a@1.2.0 pkg:npm/a@1.2.0 required",
        "b@2.1.0 pkg:npm/b@2.1.0 required",
        "c@1.0.5 pkg:npm/c@1.0.5 required",
        "d@1.0.0 pkg:npm/d@1.0.0 dev",
        "dev-tool@3.0.0 pkg:npm/dev-tool@3.0.0 dev",
        `gitdep@0.3.0 pkg:npm/gitdep@0.3.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Facme%2Fgitdep.git%40${GIT} required`,
        "native@1.0.0 pkg:npm/native@1.0.0 optional",
        "opt@1.0.0 pkg:npm/opt@1.0.0 optional",
      ]);
      // integrity (SRI) and the "#<sha1>" fragment of "resolved"; the fragment is not part of the URL.
      expect(pkg(result, "a@1.2.0")).toMatchObject({
        hashes: [sha1("a-1.2.0"), sha512("a-1.2.0")],
        externalRefs: [{ type: "distribution", url: "https://registry.example.org/a/-/a-1.2.0.tgz" }],
      });
      // The same SHA-1 in both places is one hash.
      expect(pkg(result, "b@2.1.0").hashes).toEqual([sha1("b-2.1.0")]);
    });

    it("resolves dependencies by descriptor, optional ones included", () => {
      expect(pkg(result, "a@1.2.0").dependsOn).toEqual(["c@1.0.5"]);
      expect(pkg(result, "c@1.0.5").dependsOn).toEqual(["native@1.0.0"]);
      expect(pkg(result, "dev-tool@3.0.0").dependsOn).toEqual(["c@1.0.5", "d@1.0.0"]);
      expect(result.warnings.map((w) => w.message)).toEqual(["1 dependency descriptor(s) match no entry of the lockfile (dev-tool@3.0.0 -> missing@^9.0.0); left out"]);
    });

    it("finds workspaces by package.json's globs, each with its direct dependencies, siblings first", () => {
      expect(result.project).toEqual({ ecosystem: "npm", name: "yarn-app", version: "1.0.0", purl: "pkg:npm/yarn-app@1.0.0" });
      expect(result.directDependencies).toEqual(["a@1.2.0", "b@2.1.0", "dev-tool@3.0.0", "opt@1.0.0"]);
      expect(result.workspaces).toEqual([
        {
          id: "workspace:packages/util",
          project: { ecosystem: "npm", name: "util", group: "@yarn", version: "0.2.0", purl: "pkg:npm/%40yarn/util@0.2.0", licenseDeclared: "MIT" },
          directDependencies: [],
        },
        {
          id: "workspace:packages/lib",
          project: { ecosystem: "npm", name: "lib", group: "@yarn", version: "0.1.0", purl: "pkg:npm/%40yarn/lib@0.1.0" },
          directDependencies: ["a@1.2.0", "gitdep@0.3.0", "workspace:packages/util"],
        },
      ]);
    });

    it("reads a real yarn 1 lockfile's SHA-1 from the mirror URL", () => {
      const real = parseDir(join(REAL, "yarn-v1-vant-weapp"));
      expect(pkg(real, "@babel/code-frame@7.10.4")).toMatchObject({
        group: "@babel",
        name: "code-frame",
        purl: "pkg:npm/%40babel/code-frame@7.10.4",
        hashes: [{ alg: "SHA-1", content: "168da1a36e90da68ae8d49c0f1b48c7c6249213a" }],
        scope: "dev",
      });
      expect(real.warnings).toEqual([]);
    });
  });

  describe("yarn berry", () => {
    const result = parseDir(join(FIXTURES, "yarn-berry"));

    it("names packages by their resolution and folds patches into the package they patch", () => {
      expect(result.packages.map((p) => `${p.id} ${p.purl} ${p.scope}`)).toEqual([
        "a@npm:1.2.0 pkg:npm/a@1.2.0 required",
        "b@npm:2.1.0 pkg:npm/b@2.1.0 required",
        "c@npm:1.0.5 pkg:npm/c@1.0.5 required",
        "dev-tool@npm:3.0.0 pkg:npm/dev-tool@3.0.0 dev",
        "fsevents@npm:2.3.3 pkg:npm/fsevents@2.3.3 optional",
        `gitpkg@https://github.com/acme/gitpkg.git#commit=${GIT} pkg:npm/gitpkg@0.4.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Facme%2Fgitpkg.git%40${GIT} dev`,
        "patched@npm:1.0.0 pkg:npm/patched@1.0.0 required",
        "trim@npm:1.0.1 pkg:npm/trim@1.0.1 required",
        "typescript@npm:5.4.5 pkg:npm/typescript@5.4.5 required",
      ]);
      // A project's own patch is worth knowing; yarn's builtin compat patches (typescript, fsevents) are not.
      expect(pkg(result, "patched@npm:1.0.0").properties).toEqual([
        {
          name: "vouch:yarn:patch",
          value: "patched@patch:patched@npm%3A1.0.0#~/.yarn/patches/patched.patch::version=1.0.0&hash=abc123&locator=%40berry%2Flib%40workspace%3Apackages%2Flib",
        },
      ]);
      expect(pkg(result, "typescript@npm:5.4.5").properties).toBeUndefined();
    });

    it("keeps yarn's cache checksum as a property, never as the package's hash", () => {
      expect(pkg(result, "a@npm:1.2.0")).toMatchObject({
        hashes: [],
        properties: [{ name: "vouch:yarn:checksum", value: `10/${createHash("sha512").update("zip").digest("hex")}` }],
      });
    });

    it("resolves descriptors, patched ones and package.json resolutions included", () => {
      // a asks for trim@npm:0.0.1; the root's "resolutions" makes it 1.0.1.
      expect(pkg(result, "a@npm:1.2.0").dependsOn).toEqual(["c@npm:1.0.5", "fsevents@npm:2.3.3", "trim@npm:1.0.1"]);
      expect(pkg(result, "dev-tool@npm:3.0.0").dependsOn).toEqual(["c@npm:1.0.5", `gitpkg@https://github.com/acme/gitpkg.git#commit=${GIT}`]);
      expect(result.directDependencies).toEqual(["a@npm:1.2.0", "b@npm:2.1.0", "dev-tool@npm:3.0.0", "typescript@npm:5.4.5"]);
      expect(result.warnings).toEqual([]);
    });

    it("makes workspace: entries the project and workspaces", () => {
      expect(result.project).toEqual({ ecosystem: "npm", name: "berry-app", version: "1.0.0", purl: "pkg:npm/berry-app@1.0.0" });
      expect(result.workspaces).toEqual([
        {
          id: "workspace:packages/lib",
          project: { ecosystem: "npm", name: "lib", group: "@berry", version: "0.1.0", purl: "pkg:npm/%40berry/lib@0.1.0" },
          directDependencies: ["a@npm:1.2.0", "patched@npm:1.0.0"],
        },
      ]);
    });

    it("has no project for a root package.json without a name (yarn's invented root name is not used)", () => {
      const real = parseDir(join(REAL, "yarn-berry-v10-small-prettier-release"));
      expect(real.project).toBeUndefined();
      expect(real.directDependencies).toEqual([
        "enquirer@npm:2.4.1",
        "fast-glob@npm:3.3.3",
        "nano-spawn@npm:2.1.0",
        "node-style-text@npm:2.1.2",
        "outdent@npm:0.8.0",
        "semver@npm:7.8.5",
      ]);
      expect(real.packages).toHaveLength(26);
    });
  });

  describe("malformed input", () => {
    it("rejects a classic lockfile that does not parse, with its line", () => {
      expect(malformed("yarn-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 5 });
    });

    it("rejects invalid berry YAML, with its line", () => {
      expect(malformed("yarn-berry-corrupt")).toMatchObject({ code: "INPUT_MALFORMED", line: 6 });
    });

    it("rejects an unknown berry __metadata.version", () => {
      expect(malformed("yarn-berry-unsupported")).toMatchObject({ code: "INPUT_MALFORMED", message: 'unsupported yarn lockfile __metadata.version "42"' });
    });

    it("skips an entry without a version or resolution and goes on", () => {
      const warnings: string[] = [];
      const ctx: CatalogContext = { readFile: () => undefined, listDir: () => [], warn: (m) => warnings.push(m) };
      const classic = parseYarnLock({ path: "yarn.lock", text: '# yarn lockfile v1\n\n\na@^1:\n  resolved "x"\n\nb@^1:\n  version "1.0.0"\n' }, ctx);
      expect(classic.packages.map((p) => p.id)).toEqual(["b@1.0.0"]);
      const berry = parseYarnLock({ path: "yarn.lock", text: '__metadata:\n  version: 6\n\n"a@npm:^1":\n  version: 1.0.0\n\n"b@npm:^1":\n  version: 1.0.0\n  resolution: "b@npm:1.0.0"\n' }, ctx);
      expect(berry.packages.map((p) => p.id)).toEqual(["b@npm:1.0.0"]);
      expect(warnings).toEqual(['entry "a@^1" has no name@range key or no version; skipped', 'entry "a@npm:^1" has no valid "resolution"; skipped']);
    });
  });
});
