import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory, catalogFiles, nameVersion } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, parseText, pkg } from "../../../test/support/parse.js";
import { npmCatalogers } from "./index.js";
import { npmHiddenLockfileCataloger, npmPackageLockCataloger, npmShrinkwrapCataloger, parsePackageLock } from "./parse-package-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const sha512 = (s: string) => ({ alg: "SHA-512", content: createHash("sha512").update(s).digest("hex") });
const sha1 = (s: string) => ({ alg: "SHA-1", content: createHash("sha1").update(s).digest("hex") });

/** Parse <dir>/<file> of the fixtures, with the fixture folder <dir> as the source root. */
const parseFixture = (dir: string, file = "package-lock.json") => parseFixtureFile(parsePackageLock, join(FIXTURES, dir), file);
/** Parse a package-lock.json given as text, alone in its source. */
const parseLock = (text: string) => parseText(parsePackageLock, "package-lock.json", text);

describe("npm package-lock catalogers", () => {
  it("match by file name, shrinkwrap superseding package-lock, both superseding the hidden lockfile", () => {
    expect(npmPackageLockCataloger.matches("package-lock.json")).toBe(true);
    expect(npmPackageLockCataloger.matches("apps/web/package-lock.json")).toBe(true);
    expect(npmPackageLockCataloger.matches("my-package-lock.json")).toBe(false);
    expect(npmPackageLockCataloger.matches("package.json")).toBe(false);
    expect(npmShrinkwrapCataloger.matches("npm-shrinkwrap.json")).toBe(true);
    expect(npmHiddenLockfileCataloger.matches("node_modules/.package-lock.json")).toBe(true);
    expect(npmHiddenLockfileCataloger.matches("apps/web/node_modules/.package-lock.json")).toBe(true);
    expect(npmHiddenLockfileCataloger.matches(".package-lock.json")).toBe(false);
    expect(npmPackageLockCataloger.supersedes).toEqual(["node_modules/.package-lock.json"]);
    expect(npmShrinkwrapCataloger.supersedes).toEqual(["package-lock.json", "node_modules/.package-lock.json"]);
    expect(npmCatalogers.map((c) => c.name)).toEqual(["npm-shrinkwrap", "npm-package-lock", "npm-hidden-lockfile", "npm-pnpm-lock", "npm-yarn-lock"]);
  });

  describe("lockfileVersion 3: nested copies, flags, aliases, bundles, git", () => {
    const result = parseFixture("lock-v3");

    it("keys every package by its install path, two versions of one name side by side", () => {
      expect(result.packages.map((p) => `${p.id} ${p.purl}`)).toEqual([
        "node_modules/a pkg:npm/a@1.0.0",
        "node_modules/a/node_modules/b pkg:npm/b@2.0.0",
        "node_modules/b pkg:npm/b@1.0.0",
        "node_modules/c pkg:npm/c@1.0.0",
        "node_modules/my-alias pkg:npm/real-pkg@3.1.0",
        "node_modules/bundler pkg:npm/bundler@1.0.0",
        "node_modules/bundler/node_modules/inner pkg:npm/inner@0.5.0",
        "node_modules/gitdep pkg:npm/gitdep@0.1.0?vcs_url=git%2Bssh%3A%2F%2Fgit%40github.com%2Facme%2Fgitdep.git%400123456789abcdef0123456789abcdef01234567",
        "node_modules/devtool pkg:npm/devtool@1.0.0",
        "node_modules/fsevents pkg:npm/fsevents@2.3.3",
        "node_modules/shared-dep pkg:npm/shared-dep@1.0.0",
        "node_modules/opt-native pkg:npm/opt-native@1.0.0",
      ]);
    });

    it("resolves edges the way Node does: own node_modules first, then up the tree", () => {
      expect(pkg(result, "node_modules/a").dependsOn).toEqual(["node_modules/a/node_modules/b", "node_modules/c"]);
      expect(pkg(result, "node_modules/a/node_modules/b").dependsOn).toEqual(["node_modules/c"]);
      // c's peer dependency on a is installed; its optional peer "maybe" is not, silently.
      expect(pkg(result, "node_modules/c").dependsOn).toEqual(["node_modules/a"]);
      expect(pkg(result, "node_modules/bundler").dependsOn).toEqual(["node_modules/bundler/node_modules/inner"]);
      expect(pkg(result, "node_modules/devtool").dependsOn).toEqual(["node_modules/fsevents", "node_modules/shared-dep"]);
      expect(result.directDependencies).toEqual([
        "node_modules/a",
        "node_modules/b",
        "node_modules/bundler",
        "node_modules/devtool",
        "node_modules/gitdep",
        "node_modules/my-alias",
        "node_modules/opt-native",
      ]);
    });

    it("maps dev/optional/devOptional flags to scopes", () => {
      const scopes = Object.fromEntries(result.packages.map((p) => [p.id, p.scope]));
      expect(scopes).toMatchObject({
        "node_modules/a": "required",
        "node_modules/bundler/node_modules/inner": "required",
        "node_modules/devtool": "dev",
        "node_modules/fsevents": "dev", // dev and optional: only a dev tool's optional dependency
        "node_modules/shared-dep": "optional", // devOptional: kept by npm under --omit=dev
        "node_modules/opt-native": "optional",
      });
    });

    it("keeps every SRI hash, the declared license (string or legacy object), aliases and bundles as properties", () => {
      expect(pkg(result, "node_modules/a")).toMatchObject({
        hashes: [sha1("a-1.0.0"), sha512("a-1.0.0")],
        licenseDeclared: "MIT",
        externalRefs: [{ type: "distribution", url: "https://registry.example.org/a/-/a-1.0.0.tgz" }],
      });
      expect(pkg(result, "node_modules/my-alias")).toMatchObject({
        name: "real-pkg",
        version: "3.1.0",
        hashes: [sha512("real-pkg-3.1.0")],
        licenseDeclared: "ISC",
        properties: [{ name: "vouch:npm:alias", value: "my-alias" }],
      });
      expect(pkg(result, "node_modules/bundler/node_modules/inner").properties).toEqual([{ name: "vouch:npm:bundled", value: "true" }]);
      expect(pkg(result, "node_modules/gitdep").licenseDeclared).toBe("BSD-3-Clause");
      expect(pkg(result, "node_modules/fsevents").hashes).toEqual([]);
    });

    it("takes the project from package.json and warns about what it skipped", () => {
      expect(result.project).toEqual({
        ecosystem: "npm",
        name: "app",
        group: "@acme",
        version: "2.0.0",
        purl: "pkg:npm/%40acme/app@2.0.0",
        licenseDeclared: "MIT",
        description: "The app",
      });
      expect(result.warnings.map((w) => w.message)).toEqual([
        'packages["node_modules/bad-entry"] is not an object; skipped',
        "1 dependency edge(s) name a package the lockfile does not contain (node_modules/b -> ghost); left out",
      ]);
    });
  });

  describe("lockfileVersion 1", () => {
    const result = parseFixture("lock-v1");

    it("walks the recursive dependencies into install paths, aliases, git and file: entries included", () => {
      expect(result.packages.map((p) => `${p.id} ${p.name}@${p.version} ${p.scope}`)).toEqual([
        "node_modules/a a@1.0.0 required",
        "node_modules/b b@1.0.0 dev",
        "node_modules/my-alias real-pkg@3.1.0 required",
        "node_modules/gitdep gitdep@0123456789abcdef0123456789abcdef01234567 required",
        "node_modules/devtool devtool@1.0.0 dev",
        "node_modules/fsevents fsevents@2.3.3 dev",
        "node_modules/a/node_modules/b b@2.0.0 required",
        "node_modules/devtool/node_modules/bundled-inner bundled-inner@0.5.0 dev",
        "libs/util util@0.0.7 required",
      ]);
      expect(pkg(result, "node_modules/gitdep").purl).toBe(
        "pkg:npm/gitdep@0123456789abcdef0123456789abcdef01234567?vcs_url=github%3Aacme%2Fgitdep%400123456789abcdef0123456789abcdef01234567",
      );
    });

    it("resolves requires through nested dependencies, and a file: link to its folder", () => {
      expect(pkg(result, "node_modules/a").dependsOn).toEqual(["node_modules/a/node_modules/b"]);
      expect(pkg(result, "node_modules/devtool").dependsOn).toEqual(["node_modules/b", "node_modules/devtool/node_modules/bundled-inner", "node_modules/fsevents"]);
      expect(pkg(result, "libs/util")).toMatchObject({ dependsOn: ["node_modules/a"], properties: [{ name: "vouch:npm:local-path", value: "libs/util" }] });
      expect(pkg(result, "node_modules/devtool/node_modules/bundled-inner").properties).toEqual([{ name: "vouch:npm:bundled", value: "true" }]);
      expect(result.directDependencies).toEqual(["libs/util", "node_modules/a", "node_modules/devtool", "node_modules/gitdep", "node_modules/my-alias"]);
      expect(result.project).toMatchObject({ name: "legacy-app", version: "0.9.0" });
      expect(result.warnings).toEqual([]);
    });
  });

  describe("workspaces (lockfileVersion 2)", () => {
    const result = parseFixture("workspaces-v2");

    it("makes linked workspace folders workspaces, each with its own direct dependencies, dependencies first", () => {
      expect(result.workspaces).toEqual([
        {
          id: "packages/core",
          project: { ecosystem: "npm", name: "core", group: "@acme", version: "1.0.0", purl: "pkg:npm/%40acme/core@1.0.0", licenseDeclared: "MIT", description: "Core" },
          directDependencies: ["node_modules/lodash"],
        },
        {
          id: "packages/web",
          project: { ecosystem: "npm", name: "web", group: "@acme", version: "0.3.0", purl: "pkg:npm/%40acme/web@0.3.0" },
          directDependencies: ["libs/local-util", "packages/core", "packages/web/node_modules/lodash"],
        },
      ]);
    });

    it("keeps a linked folder outside the workspaces as a local package and drops an unlinked leftover folder", () => {
      expect(result.packages.map((p) => `${p.id} ${p.name}@${p.version} ${p.scope}`)).toEqual([
        "libs/local-util local-util@0.0.1 required",
        "node_modules/lodash lodash@4.17.21 required",
        "node_modules/typescript typescript@5.4.5 dev",
        "packages/web/node_modules/lodash lodash@3.10.1 required",
      ]);
      expect(pkg(result, "libs/local-util").properties).toEqual([{ name: "vouch:npm:local-path", value: "libs/local-util" }]);
      expect(result.directDependencies).toEqual(["node_modules/typescript"]);
      expect(result.project).toEqual({ ecosystem: "npm", name: "monorepo", version: "", purl: "pkg:npm/monorepo" });
    });

    it("puts workspaces in the SBOM as applications, not libraries", () => {
      const out = catalogDirectory(join(FIXTURES, "workspaces-v2"));
      expect(out.components.filter((c) => c.type === "application").map(nameVersion)).toEqual(["@acme/core@1.0.0", "@acme/web@0.3.0"]);
      expect(out.dependencies.find((d) => d.ref === "pkg:npm/%40acme/web@0.3.0")?.dependsOn).toEqual([
        "pkg:npm/%40acme/core@1.0.0",
        "pkg:npm/local-util@0.0.1",
        "pkg:npm/lodash@3.10.1",
      ]);
    });
  });

  describe("an installed tree beside the lockfile", () => {
    const result = parseFixture("installed");

    it("reads license, author, repository, homepage, bugs and description from installed package.json files", () => {
      expect(pkg(result, "node_modules/left")).toMatchObject({
        licenseDeclared: "MIT",
        author: "Ada Lovelace <ada@example.org>",
        description: "Left pads",
        hashes: [sha512("left-1.0.0")],
        externalRefs: [
          { type: "vcs", url: "https://github.com/acme/left" },
          { type: "website", url: "https://left.example.org" },
          { type: "issue-tracker", url: "https://github.com/acme/left/issues" },
        ],
      });
      expect(pkg(result, "node_modules/legacy")).toMatchObject({
        licenseDeclared: "BSD-2-Clause",
        author: "Jane Doe <jane@example.org>",
        externalRefs: [{ type: "vcs", url: "git+https://github.com/acme/legacy.git" }],
      });
      expect(pkg(result, "node_modules/multi").licenseDeclared).toEqual(["MIT", "Apache-2.0"]);
    });

    it("leaves out optional packages npm did not install, keeps a missing required one", () => {
      expect(result.packages.map((p) => p.id)).toEqual(["node_modules/left", "node_modules/legacy", "node_modules/multi", "node_modules/drift", "node_modules/missing-req"]);
      expect(result.directDependencies).toEqual(["node_modules/drift", "node_modules/left", "node_modules/legacy", "node_modules/missing-req", "node_modules/multi"]);
    });

    it("reports the installed version when it differs from the lockfile, without the other version's hash", () => {
      expect(pkg(result, "node_modules/drift")).toMatchObject({ version: "1.0.1", purl: "pkg:npm/drift@1.0.1", hashes: [], licenseDeclared: "MIT" });
      expect(result.warnings.map((w) => w.message)).toEqual([
        "1 installed package(s) differ from the lockfile (node_modules/drift: 1.0.1 installed, 1.0.0 locked); the installed versions are reported",
      ]);
    });

    it("does not read the hidden lockfile when package-lock.json is beside it", () => {
      const out = catalogDirectory(join(FIXTURES, "installed"));
      expect(out.filesCataloged.map((f) => f.path)).toEqual(["package-lock.json"]);
      expect(out.components.map(nameVersion)).not.toContain("only-hidden@9.9.9");
    });

    it("keeps every entry when node_modules holds only a cache, not an install", () => {
      expect(parseFixture("cache-only").packages.map((p) => `${p.name}@${p.version} ${p.scope}`)).toEqual(["fsevents@2.3.3 optional"]);
    });
  });

  describe("the hidden lockfile alone", () => {
    it("reads node_modules/.package-lock.json relative to the project, workspaces from their package.json", () => {
      const result = parseFixture("hidden-only", "node_modules/.package-lock.json");
      expect(result.packages.map((p) => `${p.id} ${p.purl} ${p.licenseDeclared}`)).toEqual(["node_modules/left pkg:npm/left@1.0.0 MIT"]);
      expect(result.directDependencies).toEqual(["node_modules/left", "packages/ws"]);
      expect(result.workspaces).toEqual([
        { id: "packages/ws", project: { ecosystem: "npm", name: "ws", group: "@h", version: "0.2.0", purl: "pkg:npm/%40h/ws@0.2.0" }, directDependencies: ["node_modules/left"] },
      ]);
      // Its folder is node_modules; the project is the folder above, which projectDir tells the catalog.
      expect(result.project).toEqual({ ecosystem: "npm", name: "hidden-app", purl: "pkg:npm/hidden-app@3.0.0", version: "3.0.0" });
      expect(result.projectDir).toBe(".");
    });

    it("is cataloged by a directory scan when no package-lock.json is present", () => {
      const out = catalogDirectory(join(FIXTURES, "hidden-only"));
      expect(out.filesCataloged).toEqual([{ path: "node_modules/.package-lock.json", cataloger: "npm-hidden-lockfile", packages: 1 }]);
      expect(out.components.map((c) => `${c.type} ${nameVersion(c)}`)).toEqual(["application @h/ws@0.2.0", "library left@1.0.0"]);
      expect(out.rootDependsOn).toEqual(["pkg:npm/%40h/ws@0.2.0", "pkg:npm/left@1.0.0"]);
      expect(out.rootProject?.bomRef).toBe("pkg:npm/hidden-app@3.0.0");
    });
  });

  it("reads npm-shrinkwrap.json instead of a package-lock.json beside it, as npm does", () => {
    const out = catalogDirectory(join(FIXTURES, "shrinkwrap"));
    expect(out.filesCataloged.map((f) => f.path)).toEqual(["npm-shrinkwrap.json"]);
    expect(out.components.map(nameVersion)).toEqual(["a@1.0.0"]);
    expect(out.rootProject?.bomRef).toBe("pkg:npm/cli-tool@4.0.0");
  });

  describe("malformed input", () => {
    it("rejects truncated JSON with the line where it ends", () => {
      expect(malformedError(() => parseFixture("corrupt"))).toMatchObject({ code: "INPUT_MALFORMED", line: 9 });
    });

    it("rejects an unknown lockfileVersion, naming its line", () => {
      expect(malformedError(() => parseFixture("unsupported"))).toEqual({ code: "INPUT_MALFORMED", line: 3, message: "unsupported lockfileVersion 99" });
      expect(malformedError(() => parseLock('{"lockfileVersion": 3}'))).toMatchObject({ message: 'lockfileVersion 3 without a "packages" object' });
      expect(malformedError(() => parseLock("[1, 2]"))).toMatchObject({ message: "lockfile is not a JSON object" });
    });

    it("reads hostile field types defensively, without throwing", () => {
      const text = JSON.stringify({
        lockfileVersion: 3,
        packages: {
          "": { dependencies: ["x"], workspaces: 7 },
          "node_modules/x": { version: 5, integrity: 7, license: ["MIT"], dependencies: "nope", peerDependenciesMeta: [1] },
          "node_modules/__proto__": { version: "1.0.0" },
          "node_modules/y": { link: true },
          "node_modules/": { version: "1.0.0" },
        },
      });
      const result = parseLock(text);
      expect(result.packages.map((p) => `${p.id} ${p.purl}`)).toEqual(["node_modules/x pkg:npm/x", "node_modules/__proto__ pkg:npm/__proto__@1.0.0"]);
      expect(result.warnings.map((w) => w.message)).toEqual([
        'packages["node_modules/y"] is a link without "resolved"; skipped',
        'packages["node_modules/"] names no package; skipped',
      ]);
    });

    it("caps v1 nesting instead of building ever longer install paths", () => {
      const depth = 20_000;
      const text = `{"lockfileVersion": 1, "dependencies": ${'{"p": {"version": "1.0.0", "dependencies": '.repeat(depth)}{}${"}}".repeat(depth)}}`;
      const result = parseLock(text);
      expect(result.packages).toHaveLength(256);
      expect(result.warnings.map((w) => w.message)).toEqual([
        `dependencies nested deeper than 256 levels under ${"node_modules/p/".repeat(255)}node_modules/p; the deeper ones are skipped`,
      ]);
    });
  });

  // Its speed is measured in bench/ (docs/benchmarks.md); here, that the result is whole.
  it("catalogs a 20,000-package lockfile with nested copies", () => {
    const packages: Record<string, unknown> = { "": { name: "big", version: "1.0.0", dependencies: { "pkg-0": "^1.0.0" } } };
    for (let i = 0; i < 20_000; i++) {
      const integrity = `sha512-${createHash("sha512").update(String(i)).digest("base64")}`;
      // Every tenth package is nested (a second copy's place); edges go to hoisted ones, which resolve from anywhere.
      const hoisted = (j: number) => (j % 10 === 9 ? j - 1 : j);
      const deps = Object.fromEntries([1, 2, 3].map((d) => [`pkg-${hoisted((i * 7 + d) % 20_000)}`, "^1.0.0"]));
      const key = i % 10 === 9 ? `node_modules/pkg-${i - 1}/node_modules/pkg-${i}` : `node_modules/pkg-${i}`;
      packages[key] = { version: `1.${i % 9}.0`, integrity, license: "MIT", dev: i % 3 === 0, dependencies: deps };
    }
    const text = JSON.stringify({ name: "big", lockfileVersion: 3, packages });
    const out = catalogFiles({ "package-lock.json": text });
    expect(out.components).toHaveLength(20_000);
    expect(out.warnings).toEqual([]);
    expect(out.dependencies.reduce((n, d) => n + d.dependsOn.length, 0)).toBeGreaterThan(50_000);
  });
});
