import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isVouchError } from "../../core/errors.js";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, parseText, pkgByPurl } from "../../../test/support/parse.js";
import type { PackageRecord } from "../types.js";
import { compareGoVersions } from "./go-version.js";
import { golangCatalogers } from "./index.js";
import { goModCataloger, parseGoMod } from "./parse-go-mod.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "golang");

/** Parse <dir>/go.mod with <dir> as the source root. */
const parseDir = (dir: string) => parseFixtureFile(parseGoMod, dir, "go.mod");
const malformed = (dir: string) => malformedError(() => parseDir(dir));

function props(pkg: PackageRecord): Record<string, string> {
  return Object.fromEntries((pkg.properties ?? []).map((p) => [p.name, p.value]));
}

describe("go.mod cataloger", () => {
  it("matches go.mod files only", () => {
    expect(goModCataloger.matches("go.mod")).toBe(true);
    expect(goModCataloger.matches("cmd/tool/go.mod")).toBe(true);
    expect(goModCataloger.matches("go.sum")).toBe(false);
    expect(goModCataloger.matches("go.mod.orig")).toBe(false);
    expect(golangCatalogers).toEqual([goModCataloger]);
  });

  describe("basic: require forms, indirect marks, go.sum hashes", () => {
    const result = parseDir(join(FIXTURES, "basic"));

    it("reports the main module as the project, without a version", () => {
      expect(result.project).toEqual({
        name: "svc",
        group: "github.com/example",
        version: "",
        ecosystem: "golang",
        purl: "pkg:golang/github.com/example/svc",
      });
    });

    it("reports every require (single-line, block, quoted path), and nothing from go.sum alone", () => {
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:golang/github.com/google/uuid@v1.6.0",
        "pkg:golang/github.com/inconshreveable/mousetrap@v1.1.0",
        "pkg:golang/github.com/pkg/errors@v0.9.1",
        "pkg:golang/github.com/spf13/cobra@v1.8.1",
        "pkg:golang/github.com/spf13/pflag@v1.0.5",
        "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
      ]);
      // golang.org/x/text is in go.sum only (a pruned-graph leftover): not built, not reported.
      expect(result.warnings).toEqual([]);
    });

    it("splits the module path into group and name as the purl does", () => {
      const yaml = pkgByPurl(result, "pkg:golang/gopkg.in/yaml.v3@v3.0.1");
      expect([yaml.group, yaml.name, yaml.version, yaml.scope, yaml.ecosystem]).toEqual(["gopkg.in", "yaml.v3", "v3.0.1", "required", "golang"]);
    });

    it("marks `// indirect` (and `// indirect; reason`) but not other comments", () => {
      expect(props(pkgByPurl(result, "pkg:golang/github.com/inconshreveable/mousetrap@v1.1.0"))["vouch:golang:indirect"]).toBe("true");
      expect(props(pkgByPurl(result, "pkg:golang/github.com/spf13/pflag@v1.0.5"))["vouch:golang:indirect"]).toBe("true");
      expect(props(pkgByPurl(result, "pkg:golang/github.com/google/uuid@v1.6.0"))["vouch:golang:indirect"]).toBeUndefined();
    });

    it("makes the direct requires the project's direct dependencies", () => {
      expect([...result.directDependencies].sort()).toEqual([
        "pkg:golang/github.com/google/uuid@v1.6.0",
        "pkg:golang/github.com/pkg/errors@v0.9.1",
        "pkg:golang/github.com/spf13/cobra@v1.8.1",
        "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
      ]);
      for (const pkg of result.packages) expect(pkg.dependsOn).toEqual([]);
    });

    it("keeps go.sum's h1 dirhash as a property, not as an artifact hash", () => {
      const cobra = pkgByPurl(result, "pkg:golang/github.com/spf13/cobra@v1.8.1");
      expect(cobra.hashes).toEqual([]);
      expect(props(cobra)).toEqual({ "vouch:golang:h1": "h1:e5/vxKd/rZsfSJMUX1agtjeTDf+qv1/JdBF8gg5k9ZM=" });
    });
  });

  describe("replace and exclude", () => {
    const result = parseDir(join(FIXTURES, "replace"));

    it("reports the replacement module for a catch-all replace", () => {
      const fork = pkgByPurl(result, "pkg:golang/github.com/someone/fork-all@v1.2.1-0.20240101000000-abcdefabcdef");
      expect(props(fork)).toEqual({ "vouch:golang:replaces": "example.com/fork-all@v1.2.0" });
      expect(result.packages.some((p) => p.name === "fork-all" && p.group === "example.com")).toBe(false);
    });

    it("prefers the version-specific replace over the catch-all one", () => {
      expect(props(pkgByPurl(result, "pkg:golang/github.com/someone/fork-one@v1.4.1"))).toEqual({
        "vouch:golang:replaces": "example.com/fork-one@v1.4.0",
      });
      expect(result.packages.some((p) => p.group === "github.com/wrong")).toBe(false);
    });

    it("ignores a versioned replace whose version is not the required one", () => {
      expect(props(pkgByPurl(result, "pkg:golang/example.com/fork-other-version@v1.0.0"))).toEqual({
        "vouch:golang:h1": "h1:U9qPSI2PIWSS1VwoXQT9A3Wy9MM3WgvqSxFWenqJduM=",
        "vouch:golang:indirect": "true",
      });
    });

    it("keeps the original module, with no version, for a local-directory replacement", () => {
      const local = pkgByPurl(result, "pkg:golang/example.com/local");
      expect([local.name, local.group, local.version]).toEqual(["local", "example.com", ""]);
      expect(props(local)).toEqual({
        "vouch:golang:replaces": "example.com/local@v0.3.0",
        "vouch:golang:replacementDir": "./internal/local",
      });
    });

    it("takes the hash of the replacement version from go.sum", () => {
      expect(props(pkgByPurl(result, "pkg:golang/golang.org/x/text@v0.38.0"))).toEqual({
        "vouch:golang:h1": "h1:sXmwo9DwP3OK9EZ7PqAdaooSGozfl/3a6/xJcbzPRhE=",
        "vouch:golang:replaces": "golang.org/x/text@v0.37.0",
      });
    });

    it("drops an excluded requirement with a warning, and ignores replaces of modules not required", () => {
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:golang/example.com/fork-other-version@v1.0.0",
        "pkg:golang/example.com/local",
        "pkg:golang/github.com/someone/fork-all@v1.2.1-0.20240101000000-abcdefabcdef",
        "pkg:golang/github.com/someone/fork-one@v1.4.1",
        "pkg:golang/golang.org/x/text@v0.38.0",
      ]);
      expect(result.warnings).toEqual([{ message: "example.com/excluded v1.1.0 is both required and excluded; not reported", line: 10 }]);
    });

    it("points direct dependencies at the replacements", () => {
      expect([...result.directDependencies].sort()).toEqual([
        "pkg:golang/example.com/local",
        "pkg:golang/github.com/someone/fork-all@v1.2.1-0.20240101000000-abcdefabcdef",
        "pkg:golang/github.com/someone/fork-one@v1.4.1",
        "pkg:golang/golang.org/x/text@v0.38.0",
      ]);
    });
  });

  it("warns about malformed lines with their line numbers and keeps the good ones", () => {
    const result = parseDir(join(FIXTURES, "malformed-lines"));
    expect(result.packages.map((p) => `${p.purl} ${JSON.stringify(props(p))}`).sort()).toEqual([
      'pkg:golang/github.com/pkg/errors@v0.9.1 {}',
      'pkg:golang/gopkg.in/yaml.v3@v3.0.1 {"vouch:golang:h1":"h1:fxVm/GzAzEWqLHuvctI91KS9hhNmmWOoWu0XTYJS7CA=","vouch:golang:indirect":"true"}',
    ]);
    expect(result.warnings).toEqual([
      { message: 'malformed require "github.com/no/version": expected "<module path> <version>"; ignored', line: 7 },
      { message: 'malformed require "github.com/bad/version latest": expected "<module path> <version>"; ignored', line: 8 },
      { message: 'malformed require "github.com/too/many v1.0.0 v1.1.0": expected "<module path> <version>"; ignored', line: 9 },
      { message: 'malformed replace "github.com/pkg/errors => github.com/fork/errors": a module replacement needs a version; ignored', line: 14 },
      { message: 'malformed replace "github.com/pkg/errors => ./errors v1.0.0": a directory replacement takes no version; ignored', line: 15 },
      { message: 'unknown go.mod directive "frobnicate"; ignored', line: 17 },
      { message: "gopkg.in/yaml.v3 is required twice (lines 10 and 11); using v3.0.1", line: 11 },
      { message: 'go.sum:2: expected "<module> <version> <hash>"; line ignored', line: undefined },
      { message: "go.sum:3: malformed h1 hash for github.com/pkg/errors@v0.9.1; ignored", line: undefined },
    ]);
  });

  it("works without a go.sum, and with a module path that has no slash", () => {
    const result = parseDir(join(FIXTURES, "no-go-sum"));
    expect(result.project).toEqual({ name: "tool", version: "", ecosystem: "golang", purl: "pkg:golang/tool" });
    expect(result.packages.map((p) => [p.purl, p.properties])).toEqual([["pkg:golang/golang.org/x/text@v0.38.0", undefined]]);
  });

  describe("corrupt files", () => {
    it("rejects a block that is never closed, naming the line that opened it", () => {
      expect(malformed(join(FIXTURES, "corrupt", "unclosed-block"))).toEqual({
        code: "INPUT_MALFORMED",
        line: 5,
        message: '"require (" block is never closed',
      });
    });

    it("rejects a stray closing parenthesis", () => {
      expect(malformed(join(FIXTURES, "corrupt", "stray-paren"))).toEqual({
        code: "INPUT_MALFORMED",
        line: 4,
        message: '")" without an opening "("',
      });
    });

    it("rejects a file without a module directive", () => {
      expect(malformed(join(FIXTURES, "corrupt", "no-module"))).toEqual({
        code: "INPUT_MALFORMED",
        line: undefined,
        message: "go.mod has no module directive",
      });
    });

    it("rejects an unterminated quoted string", () => {
      expect(malformed(join(FIXTURES, "corrupt", "bad-string"))).toEqual({
        code: "INPUT_MALFORMED",
        line: 1,
        message: "unterminated quoted string",
      });
    });

    it("turns into a skipped-file warning in the catalog", () => {
      const out = catalogFiles({ "go.mod": "module x\nrequire (\n" }, golangCatalogers);
      expect(out.warnings).toEqual([{ file: "go.mod", line: 2, message: '"require (" block is never closed; skipped', fileSkipped: true }]);
    });
  });

  it("never throws a TypeError on hostile text", () => {
    const hostile = ["module", "module a//b", 'module "a"\nrequire "" v1.0.0', "module a\nreplace => =>", "module a\nrequire [ ] { } ,", "module a\nrequire a/ v1.0.0\nrequire /a v1.0.0"];
    for (const text of hostile) {
      try {
        parseText(parseGoMod, "go.mod", text);
      } catch (err) {
        expect(isVouchError(err)).toBe(true);
      }
    }
  });

  it("catalogs 20,000 requirements", () => {
    const lines = ["module example.com/big", "", "require ("];
    for (let i = 0; i < 20_000; i++) lines.push(`\texample.com/m${i} v1.${i}.0${i % 2 ? " // indirect" : ""}`);
    lines.push(")");
    const out = catalogFiles({ "go.mod": lines.join("\n") }, golangCatalogers);
    expect(out.components).toHaveLength(20_000);
  });
});

describe("compareGoVersions (minimal version selection's order)", () => {
  it("orders numerically, pre-releases before releases, build metadata ignored", () => {
    const sorted = ["v1.10.0", "v1.2.0", "v1.2.0-rc.1", "v1.2.0-0.20240101000000-abcdefabcdef", "v2.0.0+incompatible", "v1.2.0-rc.10", "v1.2.0-beta"];
    expect([...sorted].sort(compareGoVersions)).toEqual([
      "v1.2.0-0.20240101000000-abcdefabcdef",
      "v1.2.0-beta",
      "v1.2.0-rc.1",
      "v1.2.0-rc.10",
      "v1.2.0",
      "v1.10.0",
      "v2.0.0+incompatible",
    ]);
    expect(compareGoVersions("v1.0.0+meta", "v1.0.0")).toBe(0);
  });
});

describe("real go.mod files (no independent expected list: counts and entries checked by reading the files)", () => {
  it("kyverno: 412 requires, 107 direct, one module-to-module replace", () => {
    const result = parseDir(join(REAL, "gomod-replace-kyverno"));
    expect(result.warnings).toEqual([]);
    expect(result.project?.purl).toBe("pkg:golang/github.com/kyverno/kyverno");
    expect(result.packages).toHaveLength(412);
    expect(result.directDependencies).toHaveLength(107);
    // go.mod line 424: replace k8s.io/pod-security-admission => github.com/kyverno/pod-security-admission v0.0.0-20251031094455-46f20778634f
    const psa = pkgByPurl(result, "pkg:golang/github.com/kyverno/pod-security-admission@v0.0.0-20251031094455-46f20778634f");
    expect(props(psa)).toEqual({
      "vouch:golang:h1": "h1:9u+4QYMLdZPC8qeUB1TnfiUYRrFGYHxjYQsPiHKgJjI=",
      "vouch:golang:replaces": "k8s.io/pod-security-admission@v0.36.2",
    });
    expect(result.directDependencies).toContain(psa.id);
    expect(result.packages.some((p) => p.group === "k8s.io" && p.name === "pod-security-admission")).toBe(false);
    // Line 421: in the second require block but without `// indirect`: a direct requirement.
    expect(result.directDependencies).toContain("pkg:golang/sigs.k8s.io/structured-merge-diff/v6@v6.4.2");
    // Line 100: a single-line require of an indirect module.
    expect(props(pkgByPurl(result, "pkg:golang/gopkg.in/yaml.v3@v3.0.1"))["vouch:golang:indirect"]).toBe("true");
  });

  it("etcd: 84 requires, eight of them replaced by local directories (./cache is replaced but not required)", () => {
    const result = parseDir(join(REAL, "gomod-local-replace-etcd"));
    expect(result.warnings).toEqual([]);
    expect(result.project?.purl).toBe("pkg:golang/go.etcd.io/etcd/v3");
    expect(result.packages).toHaveLength(84);
    expect(result.directDependencies).toHaveLength(22);
    const local = result.packages.filter((p) => props(p)["vouch:golang:replacementDir"] !== undefined);
    expect(local.map((p) => `${p.purl} <= ${props(p)["vouch:golang:replacementDir"]}`).sort()).toEqual([
      "pkg:golang/go.etcd.io/etcd/api/v3 <= ./api",
      "pkg:golang/go.etcd.io/etcd/client/pkg/v3 <= ./client/pkg",
      "pkg:golang/go.etcd.io/etcd/client/v3 <= ./client/v3",
      "pkg:golang/go.etcd.io/etcd/etcdctl/v3 <= ./etcdctl",
      "pkg:golang/go.etcd.io/etcd/etcdutl/v3 <= ./etcdutl",
      "pkg:golang/go.etcd.io/etcd/pkg/v3 <= ./pkg",
      "pkg:golang/go.etcd.io/etcd/server/v3 <= ./server",
      "pkg:golang/go.etcd.io/etcd/tests/v3 <= ./tests",
    ]);
    for (const p of local) expect(p.version).toBe("");
    expect(props(pkgByPurl(result, "pkg:golang/go.etcd.io/etcd/api/v3"))["vouch:golang:replaces"]).toBe("go.etcd.io/etcd/api/v3@v3.8.0-alpha.0");
    expect(result.packages.some((p) => p.name === "v3" && p.group === "go.etcd.io/etcd/cache")).toBe(false);
    expect(props(pkgByPurl(result, "pkg:golang/go.etcd.io/bbolt@v1.5.0"))["vouch:golang:h1"]).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
  });

  it("k8tz: 45 requires, 7 direct, excludes that name no required version", () => {
    const result = parseDir(join(REAL, "gomod-small-k8tz"));
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(45);
    expect([...result.directDependencies].sort()).toEqual([
      "pkg:golang/github.com/evanphx/json-patch@v4.12.0+incompatible",
      "pkg:golang/github.com/spf13/cobra@v1.8.1",
      "pkg:golang/k8s.io/api@v0.32.13",
      "pkg:golang/k8s.io/apimachinery@v0.32.13",
      "pkg:golang/k8s.io/client-go@v0.32.13",
      "pkg:golang/k8s.io/component-base@v0.32.13",
      "pkg:golang/sigs.k8s.io/yaml@v1.4.0",
    ]);
    // Every require has its h1 line in go.sum.
    for (const p of result.packages) expect(props(p)["vouch:golang:h1"]).toMatch(/^h1:/);
    expect(props(pkgByPurl(result, "pkg:golang/github.com/spf13/cobra@v1.8.1"))["vouch:golang:h1"]).toBe("h1:e5/vxKd/rZsfSJMUX1agtjeTDf+qv1/JdBF8gg5k9ZM=");
  });

  it("catalogs a whole directory: the module is the root, requires are library components", () => {
    const out = catalogDirectory(join(REAL, "gomod-small-k8tz"), golangCatalogers);
    expect(out.rootProject?.name).toBe("k8tz");
    expect(out.rootDependsOn).toHaveLength(7);
    expect(out.components.filter((c) => c.type === "library")).toHaveLength(45);
  });
});
