import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isVouchError } from "../../core/errors.js";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, pkg, scopes } from "../../../test/support/parse.js";
import { cargoCatalogers } from "./index.js";
import { cargoLockCataloger, parseCargoLock } from "./parse-cargo-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "cargo");
const CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index";

/** Parse <dir>/Cargo.lock with <dir> as the source root. */
const parseDir = (dir: string) => parseFixtureFile(parseCargoLock, dir, "Cargo.lock");
const malformed = (dir: string) => malformedError(() => parseDir(dir));

describe("Cargo.lock cataloger", () => {
  it("matches Cargo.lock files only", () => {
    expect(cargoLockCataloger.matches("Cargo.lock")).toBe(true);
    expect(cargoLockCataloger.matches("tools/x/Cargo.lock")).toBe(true);
    expect(cargoLockCataloger.matches("Cargo.toml")).toBe(false);
    expect(cargoCatalogers).toEqual([cargoLockCataloger]);
  });

  describe("V1 (legacy): [metadata] checksums, full dependency strings, path and git crates", () => {
    const result = parseDir(join(FIXTURES, "v1-legacy"));

    it("reads every package, local crates included", () => {
      expect(result.warnings).toEqual([]);
      expect(result.packages.map((p) => `${p.id} -> ${p.purl}`)).toEqual([
        `aho-corasick 0.7.13 (${CRATES_IO}) -> pkg:cargo/aho-corasick@0.7.13`,
        "app 0.1.0 -> pkg:cargo/app@0.1.0",
        `cfg-if 0.1.10 (${CRATES_IO}) -> pkg:cargo/cfg-if@0.1.10`,
        "helper 0.2.0 -> pkg:cargo/helper@0.2.0",
        `log 0.4.8 (${CRATES_IO}) -> pkg:cargo/log@0.4.8`,
        `memchr 2.3.3 (${CRATES_IO}) -> pkg:cargo/memchr@2.3.3`,
        "vendored-log 0.4.8 (git+https://github.com/example/vendored-log?branch=fix#0123456789abcdef0123456789abcdef01234567) -> " +
          "pkg:cargo/vendored-log@0.4.8?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fexample%2Fvendored-log%400123456789abcdef0123456789abcdef01234567",
      ]);
    });

    it("takes checksums from [metadata], none for git (\"<none>\") or local crates", () => {
      expect(pkg(result, `memchr 2.3.3 (${CRATES_IO})`).hashes).toEqual([
        { alg: "SHA-256", content: "3728d817d99e5ac407411fa471ff9800a778d88a24685968b36824eaf4bee400" },
      ]);
      expect(result.packages.filter((p) => p.hashes.length === 0).map((p) => p.name)).toEqual(["app", "helper", "vendored-log"]);
    });

    it("resolves full and path (\"name version\") dependency strings", () => {
      expect(pkg(result, "app 0.1.0").dependsOn).toEqual([
        `aho-corasick 0.7.13 (${CRATES_IO})`,
        "helper 0.2.0",
        `log 0.4.8 (${CRATES_IO})`,
        "vendored-log 0.4.8 (git+https://github.com/example/vendored-log?branch=fix#0123456789abcdef0123456789abcdef01234567)",
      ]);
      expect(pkg(result, "helper 0.2.0").dependsOn).toEqual([`cfg-if 0.1.10 (${CRATES_IO})`]);
    });

    it("records where a git crate came from", () => {
      const git = result.packages.find((p) => p.name === "vendored-log")!;
      expect(git.properties).toEqual([
        { name: "vouch:cargo:source", value: "git+https://github.com/example/vendored-log?branch=fix#0123456789abcdef0123456789abcdef01234567" },
      ]);
      expect(git.externalRefs).toEqual([{ type: "vcs", url: "git+https://github.com/example/vendored-log@0123456789abcdef0123456789abcdef01234567" }]);
      expect(pkg(result, `log 0.4.8 (${CRATES_IO})`).properties).toBeUndefined();
    });

    it("makes Cargo.toml's package the project (with its crate's purl); other local crates are workspaces", () => {
      expect(result.project).toEqual({
        name: "app",
        version: "0.1.0",
        ecosystem: "cargo",
        purl: "pkg:cargo/app@0.1.0",
        licenseDeclared: "MIT",
        description: undefined,
        author: "A. Developer <dev@example.com>",
        externalRefs: [],
      });
      expect(result.directDependencies).toEqual(pkg(result, "app 0.1.0").dependsOn);
      expect(result.directDependencies.length).toBeGreaterThan(0);
      expect(pkg(result, "app 0.1.0").licenseDeclared).toBe("MIT");
      expect(result.workspaces).toEqual([
        {
          id: "helper 0.2.0",
          project: { name: "helper", version: "0.2.0", ecosystem: "cargo", purl: "pkg:cargo/helper@0.2.0", licenseDeclared: undefined, description: undefined, author: undefined, externalRefs: undefined },
          directDependencies: [`cfg-if 0.1.10 (${CRATES_IO})`],
        },
      ]);
    });
  });

  it("V1 with a [root] table: the root package is read too", () => {
    const result = parseDir(join(FIXTURES, "v1-root"));
    expect(result.warnings).toEqual([]);
    expect(result.packages.map((p) => [p.id, p.dependsOn, p.hashes.length])).toEqual([
      ["oldtool 0.3.0", [`libc 0.2.72 (${CRATES_IO})`], 0],
      [`libc 0.2.72 (${CRATES_IO})`, [], 1],
    ]);
    expect(result.project).toBeUndefined();
    expect(result.workspaces?.map((w) => w.id)).toEqual(["oldtool 0.3.0"]);
  });

  it("V2: inline checksums, \"name\" and \"name version\" dependencies between two locked versions", () => {
    const result = parseDir(join(FIXTURES, "v2"));
    expect(result.warnings).toEqual([]);
    expect(pkg(result, "demo 1.0.0").dependsOn).toEqual([`bitflags 2.11.1 (${CRATES_IO})`, `legacy 0.9.0 (${CRATES_IO})`, `libc 0.2.186 (${CRATES_IO})`]);
    expect(pkg(result, `legacy 0.9.0 (${CRATES_IO})`).dependsOn).toEqual([`bitflags 1.3.2 (${CRATES_IO})`]);
    expect(pkg(result, `bitflags 1.3.2 (${CRATES_IO})`).hashes).toEqual([
      { alg: "SHA-256", content: "bef38d45163c2f1dde094a7dfd33ccf595c92905c8f8f4fdc18d06fb1037718a" },
    ]);
    expect(result.packages.map((p) => p.purl).filter((p) => p.includes("bitflags"))).toEqual(["pkg:cargo/bitflags@1.3.2", "pkg:cargo/bitflags@2.11.1"]);
  });

  describe("V3 virtual workspace: member globs, exclude, inherited fields, renamed and git dependencies", () => {
    const result = parseDir(join(FIXTURES, "v3-workspace"));

    it("has no project (a virtual manifest names none) and one workspace per member", () => {
      expect(result.warnings).toEqual([]);
      expect(result.project).toBeUndefined();
      expect(result.directDependencies).toEqual([]);
      expect(result.workspaces?.map((w) => [w.project.name, w.project.version, w.project.purl, w.project.licenseDeclared])).toEqual([
        ["ws-cli", "0.4.0", "pkg:cargo/ws-cli@0.4.0", "MIT"],
        ["ws-core", "0.4.0", "pkg:cargo/ws-core@0.4.0", "Apache-2.0 OR MIT"],
      ]);
      const core = pkg(result, "ws-core 0.4.0");
      expect([core.licenseDeclared, core.description, core.externalRefs]).toEqual([
        "Apache-2.0 OR MIT",
        "The core of the workspace",
        [{ type: "vcs", url: "https://github.com/example/ws" }],
      ]);
    });

    it("tells the registry crate and the git crate of one name and version apart", () => {
      expect(pkg(result, "ws-cli 0.4.0").dependsOn).toEqual(["memchr 2.8.0 (git+https://github.com/example/fork-of-memchr#89abcdef0123456789abcdef0123456789abcdef)", "ws-core 0.4.0"]);
      expect(pkg(result, "ws-core 0.4.0").dependsOn).toEqual([`memchr 2.8.0 (${CRATES_IO})`, `serde_json 1.0.145 (${CRATES_IO})`]);
      expect(result.packages.filter((p) => p.name === "memchr").map((p) => p.purl)).toEqual([
        "pkg:cargo/memchr@2.8.0",
        "pkg:cargo/memchr@2.8.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fexample%2Ffork-of-memchr%4089abcdef0123456789abcdef0123456789abcdef",
      ]);
    });

    it("scopes what only a member's (workspace-inherited, renamed) dev-dependency needs as dev", () => {
      expect(scopes(result)).toEqual({
        [`itoa 1.0.18 (${CRATES_IO})`]: "dev",
        [`memchr 2.8.0 (${CRATES_IO})`]: "required",
        "memchr 2.8.0 (git+https://github.com/example/fork-of-memchr#89abcdef0123456789abcdef0123456789abcdef)": "required",
        [`serde 1.0.228 (${CRATES_IO})`]: "dev",
        [`serde_json 1.0.145 (${CRATES_IO})`]: "dev",
        "ws-cli 0.4.0": "required",
        "ws-core 0.4.0": "required",
      });
    });
  });

  describe("V4 with dev-dependencies of the root crate", () => {
    const result = parseDir(join(FIXTURES, "v4-dev-scope"));

    it("scopes dev-only crates (including target-specific ones) as dev; normal and build ones win", () => {
      expect(result.warnings).toEqual([]);
      expect(scopes(result)).toEqual({
        [`aho-corasick 1.1.4 (${CRATES_IO})`]: "required",
        [`cfg-if 1.0.4 (${CRATES_IO})`]: "required", // a renamed build-dependency, also under tempfile
        [`libc 0.2.186 (${CRATES_IO})`]: "dev", // [target.'cfg(unix)'.dev-dependencies]
        [`memchr 2.8.0 (${CRATES_IO})`]: "required", // under regex, and under tempfile
        [`regex 1.13.1 (${CRATES_IO})`]: "required",
        [`regex-syntax 0.8.11 (${CRATES_IO})`]: "required",
        [`serde 1.0.228 (${CRATES_IO})`]: "required", // both a dependency and a dev-dependency
        [`tempfile 3.27.0 (${CRATES_IO})`]: "dev",
        "viewer 2.1.0": "required",
      });
    });

    it("takes the project's details from Cargo.toml", () => {
      expect(result.project).toEqual({
        name: "viewer",
        version: "2.1.0",
        ecosystem: "cargo",
        purl: "pkg:cargo/viewer@2.1.0",
        licenseDeclared: "MIT OR Apache-2.0",
        description: "Views things.",
        author: undefined,
        externalRefs: [{ type: "website", url: "https://viewer.example.org" }],
      });
      expect(result.workspaces).toEqual([]);
    });
  });

  it("without a Cargo.toml: no project, the local crate is a workspace; sparse crates.io is crates.io", () => {
    const result = parseDir(join(FIXTURES, "no-manifest"));
    expect(result.warnings).toEqual([]);
    expect(result.project).toBeUndefined();
    expect(result.workspaces?.map((w) => [w.id, w.directDependencies])).toEqual([["lonely 0.1.0", ["itoa 1.0.18 (sparse+https://index.crates.io/)"]]]);
    expect(pkg(result, "itoa 1.0.18 (sparse+https://index.crates.io/)").properties).toBeUndefined();
  });

  it("warns about bad entries and dependencies, with the entry's line, and keeps the rest", () => {
    const result = parseDir(join(FIXTURES, "bad-entries"));
    expect(result.packages.map((p) => p.id)).toEqual([
      `good 1.0.0 (${CRATES_IO})`,
      `twice 1.0.0 (${CRATES_IO})`,
      `twice 2.0.0 (${CRATES_IO})`,
      "odd-source 0.1.0",
    ]);
    expect(result.warnings).toEqual([
      { message: `package good 1.0.0 (${CRATES_IO}): dependencies that are not strings are ignored`, line: 3 },
      { message: "package entry without a name and version; skipped", line: 15 },
      { message: `package twice 2.0.0 (${CRATES_IO}) is listed twice; the repeat is ignored`, line: 28 },
      { message: "package odd-source 0.1.0: source is not a string; ignored", line: 33 },
      { message: "package odd-source 0.1.0: dependencies that are not strings are ignored", line: 33 },
      { message: `package good 1.0.0 (${CRATES_IO}): dependency "missing" is not in the lockfile; edge ignored`, line: 3 },
      { message: `package good 1.0.0 (${CRATES_IO}): dependency "twice" matches several packages; edge ignored`, line: 3 },
      { message: `package good 1.0.0 (${CRATES_IO}): dependency "spaces are not a dependency" is not "name [version [(source)]]"; edge ignored`, line: 3 },
      { message: `package good 1.0.0 (${CRATES_IO}): checksum is not a SHA-256 hex digest; ignored`, line: 3 },
    ]);
    expect(pkg(result, `good 1.0.0 (${CRATES_IO})`).hashes).toEqual([]);
  });

  describe("corrupt files", () => {
    it("rejects invalid TOML with its line", () => {
      expect(malformed(join(FIXTURES, "corrupt", "invalid-toml"))).toEqual({
        code: "INPUT_MALFORMED",
        line: 5,
        message: "invalid TOML: control characters are not allowed in strings",
      });
    });

    it("rejects a lockfile version Cargo has not written yet", () => {
      expect(malformed(join(FIXTURES, "corrupt", "unknown-version"))).toEqual({ code: "INPUT_MALFORMED", line: 3, message: "unsupported Cargo.lock version 5" });
    });

    it("rejects `package` that is not an array of tables", () => {
      expect(malformed(join(FIXTURES, "corrupt", "package-not-array"))).toEqual({
        code: "INPUT_MALFORMED",
        line: undefined,
        message: "`package` is not an array of tables",
      });
    });

    it("turns into a skipped-file warning in the catalog, and a broken Cargo.toml into a plain warning", () => {
      const out = catalogFiles({ "Cargo.lock": 'version = "four"\n' }, cargoCatalogers);
      expect(out.warnings).toEqual([{ file: "Cargo.lock", line: 1, message: 'unsupported Cargo.lock version "four"; skipped', fileSkipped: true }]);
      const withBadManifest = catalogFiles(
        { "Cargo.lock": '[[package]]\nname = "a"\nversion = "1.0.0"\n', "Cargo.toml": "[package\n" },
        cargoCatalogers,
      );
      expect(withBadManifest.warnings).toEqual([{ file: "Cargo.lock", line: undefined, message: "Cargo.toml:1: invalid TOML; its project details are not used" }]);
      expect(withBadManifest.components.map((c) => c.purl)).toEqual(["pkg:cargo/a@1.0.0"]);
    });
  });

  it("never throws a TypeError on hostile values", () => {
    const hostile = [
      "package = 3",
      "[[package]]\nname = []\nversion = {}\n",
      '[[package]]\nname = "a"\nversion = "1"\ndependencies = [[1], {a = 1}, ""]\nchecksum = 5\n',
      '[metadata]\n"checksum a 1" = 7\n[[package]]\nname = "a"\nversion = "1"\n',
      "root = 1\nmetadata = []\n",
      'version = 1.5\n',
    ];
    for (const text of hostile) {
      try {
        catalogFiles({ "Cargo.lock": text, "Cargo.toml": "[workspace]\nmembers = [1, \"*\", \"../..\"]\n[package]\nname = 5\n" }, cargoCatalogers);
      } catch (err) {
        expect(isVouchError(err)).toBe(true);
      }
    }
  });

  it("catalogs 20,000 packages", () => {
    const lines = ["version = 4", "", "[[package]]", 'name = "root"', 'version = "0.1.0"', "dependencies = ["];
    for (let i = 0; i < 20_000; i++) lines.push(` "crate${i}",`);
    lines.push("]");
    for (let i = 0; i < 20_000; i++) {
      lines.push("", "[[package]]", `name = "crate${i}"`, `version = "1.0.${i}"`, `source = "${CRATES_IO}"`);
      lines.push(`checksum = "${i.toString(16).padStart(64, "0")}"`);
      if (i > 0) lines.push("dependencies = [", ` "crate${i - 1}",`, "]");
    }
    const out = catalogFiles({ "Cargo.lock": lines.join("\n") }, cargoCatalogers);
    expect(out.components).toHaveLength(20_001);
  });
});

describe("real Cargo.lock files: structure beyond the name@version lists", () => {
  it("bat (V4): the crate is the SBOM root, with the test-only crates scoped dev", () => {
    const out = catalogDirectory(join(REAL, "cargo-lock-v4-bat"), cargoCatalogers);
    expect(out.warnings).toEqual([]);
    expect(out.rootProject).toMatchObject({ bomRef: "pkg:cargo/bat@0.26.1", type: "application", name: "bat", version: "0.26.1", purl: "pkg:cargo/bat@0.26.1" });
    expect(out.rootProject?.licenses).toEqual([{ expression: "MIT OR Apache-2.0" }]);
    expect(out.components.find((c) => c.bomRef === "pkg:cargo/bat@0.26.1")).toBeUndefined();
    expect(out.rootDependsOn).toContain("pkg:cargo/assert_cmd@2.2.1");
    // Checked with Python's tomllib: the crates reachable from bat only through [dev-dependencies]
    // (and [target.'cfg(unix)'.dev-dependencies]).
    expect(out.components.filter((c) => c.scope === "dev").map((c) => `${c.name}@${c.version}`)).toEqual([
      "assert_cmd@2.2.1", "autocfg@1.5.0", "cfg_aliases@0.2.1", "dashmap@5.5.3", "difflib@0.4.0", "dissimilar@1.0.11",
      "expect-test@1.5.1", "float-cmp@0.10.0", "lazy_static@1.5.0", "nix@0.31.3", "normalize-line-endings@0.3.0",
      "num-traits@0.2.19", "predicates-core@1.0.10", "predicates-tree@1.0.13", "predicates@3.1.4", "serial_test@2.0.0",
      "serial_test_derive@2.0.0", "termtree@0.5.1", "wait-timeout@0.2.1",
    ]);
    const memchr = out.components.find((c) => c.bomRef === "pkg:cargo/memchr@2.8.0")!;
    expect(memchr.hashes).toEqual([{ alg: "SHA-256", content: "f8ca58f447f06ed17d5fc4043ce1b10dd205e060fb3ce5b979b8ed8e59ff3f79" }]);
  });

  it("ripgrep (V3 workspace, member manifests absent): the root depends on its own deps and the nine members", () => {
    const out = catalogDirectory(join(REAL, "cargo-lock-v3-small-ripgrep"), cargoCatalogers);
    expect(out.warnings).toEqual([]);
    expect(out.rootProject?.bomRef).toBe("pkg:cargo/ripgrep@14.1.1");
    expect(out.rootDependsOn).toEqual(expect.arrayContaining([
      "pkg:cargo/globset@0.4.16", "pkg:cargo/grep-cli@0.1.11", "pkg:cargo/grep-matcher@0.1.7", "pkg:cargo/grep-pcre2@0.1.8",
      "pkg:cargo/grep-printer@0.2.2", "pkg:cargo/grep-regex@0.1.13", "pkg:cargo/grep-searcher@0.1.14", "pkg:cargo/grep@0.3.2",
      "pkg:cargo/ignore@0.4.23",
    ]));
    // The nine members are applications (workspace projects merged into their crate); the root is metadata.
    expect(out.components.filter((c) => c.type === "application").map((c) => c.name).sort()).toEqual([
      "globset", "grep", "grep-cli", "grep-matcher", "grep-pcre2", "grep-printer", "grep-regex", "grep-searcher", "ignore",
    ]);
    expect(out.components).toHaveLength(60);
    expect(out.components.filter((c) => c.hashes.length === 0)).toHaveLength(9);
  });

  it("alacritty V1 legacy: every [metadata] checksum lands on its package", () => {
    const result = parseDir(join(REAL, "cargo-lock-v1-legacy-alacritty"));
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(259);
    // 259 packages, 2 local crates (alacritty, alacritty_terminal) without a checksum.
    expect(result.packages.filter((p) => p.hashes.length === 1)).toHaveLength(257);
    expect(pkg(result, `adler 0.2.2 (${CRATES_IO})`).hashes).toEqual([
      { alg: "SHA-256", content: "ccc9a9dd069569f212bc4330af9f17c4afb5e8ce185e83dbb14f1349dda18b10" },
    ]);
    expect(pkg(result, "alacritty 0.5.0-dev").dependsOn).toContain("alacritty_terminal 0.10.0-dev");
    expect(result.workspaces?.map((w) => w.id)).toEqual(["alacritty 0.5.0-dev", "alacritty_terminal 0.10.0-dev"]);
  });

  it("alacritty V3: every dependency string resolves", () => {
    const result = parseDir(join(REAL, "cargo-lock-v3-alacritty"));
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(280);
    const edges = result.packages.reduce((n, p) => n + p.dependsOn.length, 0);
    expect(edges).toBe(readFileSync(join(REAL, "cargo-lock-v3-alacritty", "Cargo.lock"), "utf8").match(/^ "[^"]+",$/gm)!.length);
  });
});
