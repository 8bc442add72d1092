import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseFixtureFile, parseText, pkgByPurl } from "../../../test/support/parse.js";
import { nugetCatalogers } from "./index.js";
import { packagesLockCataloger, parsePackagesLock } from "./parse-packages-lock.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "nuget");

/** Parse <dir>/<file> with <dir> as the source root. */
const parseIn = (dir: string, file = "packages.lock.json") => parseFixtureFile(parsePackagesLock, dir, file);

describe("nuget: packages.lock.json", () => {
  const { warnings, ...result } = parseIn(join(FIXTURES, "app"));

  it("merges the same package across targets; Direct, Transitive and CentralTransitive are packages", () => {
    expect(warnings).toEqual([]);
    expect(result.packages.map((p) => p.purl)).toEqual([
      "pkg:nuget/Microsoft.Extensions.Logging@8.0.0",
      "pkg:nuget/Serilog@3.1.1",
      "pkg:nuget/Microsoft.Extensions.DependencyInjection@8.0.0",
      "pkg:nuget/Microsoft.Extensions.DependencyInjection.Abstractions@8.0.0",
      "pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.1",
      "pkg:nuget/System.IO.Ports@8.0.0",
      "pkg:nuget/runtime.native.System.IO.Ports@8.0.0",
      "pkg:nuget/System.Diagnostics.DiagnosticSource@8.0.0",
      "pkg:nuget/System.Runtime.CompilerServices.Unsafe@6.0.0",
    ]);
    expect(pkgByPurl(result, "pkg:nuget/Serilog@3.1.1")).toEqual({
      id: "pkg:nuget/Serilog@3.1.1",
      ecosystem: "nuget",
      name: "Serilog",
      version: "3.1.1",
      purl: "pkg:nuget/Serilog@3.1.1",
      // contentHash is base64 SHA-512
      hashes: [{ alg: "SHA-512", content: "ac1a604bedf630efe9e574109924857c417c1f4b391ea349dedf2cc73e72776d8e5aa90acc02f0cde06aefbfead09fad89997c2cecea5bf40c675c72b60c503d" }],
      scope: "required",
      dependsOn: [],
    });
    expect(result.directDependencies).toEqual(["pkg:nuget/Microsoft.Extensions.Logging@8.0.0", "pkg:nuget/Serilog@3.1.1"]);
  });

  it("resolves edges within each target (a runtime target falls back to its framework) and unions them", () => {
    // net8.0 adds DependencyInjection, net6.0 adds DiagnosticSource; Logging.Abstractions resolves to 8.0.1 in both
    expect(pkgByPurl(result, "pkg:nuget/Microsoft.Extensions.Logging@8.0.0").dependsOn).toEqual([
      "pkg:nuget/Microsoft.Extensions.DependencyInjection@8.0.0",
      "pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.1",
      "pkg:nuget/System.Diagnostics.DiagnosticSource@8.0.0",
    ]);
    // net8.0/linux-x64 has no Logging.Abstractions entry: net8.0's is the one
    expect(pkgByPurl(result, "pkg:nuget/System.IO.Ports@8.0.0").dependsOn).toEqual([
      "pkg:nuget/runtime.native.System.IO.Ports@8.0.0",
      "pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.1",
    ]);
  });

  it("turns Project entries into workspaces, referenced projects first", () => {
    expect(result.workspaces).toEqual([
      { id: "nuget-project:acme.contracts", project: { name: "acme.contracts", version: "", ecosystem: "nuget" }, directDependencies: [] },
      {
        id: "nuget-project:acme.shared",
        project: { name: "acme.shared", version: "", ecosystem: "nuget" },
        // "Acme.Contracts" in the dependency list is the "acme.contracts" entry: NuGet ids ignore case
        directDependencies: ["pkg:nuget/Serilog@3.1.1", "nuget-project:acme.contracts"],
      },
    ]);
  });

  it("names the project after the csproj beside the lockfile, with its <Version>", () => {
    expect(result.project).toEqual({ name: "Acme.Worker", version: "2.4.1", ecosystem: "nuget", purl: "pkg:nuget/Acme.Worker@2.4.1" });
    const out = catalogDirectory(join(FIXTURES, "app"), nugetCatalogers);
    expect(out.rootProject?.purl).toBe("pkg:nuget/Acme.Worker@2.4.1");
    const shared = out.dependencies.find((d) => d.ref === "project:nuget/acme.shared@")!;
    expect(shared.dependsOn).toEqual(["pkg:nuget/Serilog@3.1.1", "project:nuget/acme.contracts@"]);
    expect(out.rootDependsOn).toContain("project:nuget/acme.shared@");
  });

  it("picks the project named by packages.<project>.lock.json among several, and skips an MSBuild expression version", () => {
    const { warnings: w, ...api } = parseIn(join(FIXTURES, "shared-folder"), "packages.Api.lock.json");
    expect(api.project).toEqual({ name: "Api", version: "1.0.3", ecosystem: "nuget", purl: "pkg:nuget/Api@1.0.3" });
    expect(api.packages.map((p) => p.purl)).toEqual(["pkg:nuget/Dapper@2.1.35"]);
    expect(w).toEqual([]);
  });

  it("skips bad entries and targets with a warning each", () => {
    const bad = parseIn(join(FIXTURES, "bad-entries"));
    expect(bad.packages.map((p) => `${p.purl} ${p.hashes.length}`)).toEqual(["pkg:nuget/BadHash@1.0.0 0", "pkg:nuget/constructor@0.1.0 0"]);
    expect(pkgByPurl(bad, "pkg:nuget/BadHash@1.0.0").dependsOn).toEqual([]);
    expect(bad.workspaces).toBeUndefined();
    expect(bad.warnings).toEqual([
      { message: 'net8.0: "NoType" has no type; skipped', line: undefined },
      { message: 'net8.0: "NoResolved" (Transitive) has no resolved version; skipped', line: undefined },
      { message: 'target "net7.0" is not an object; skipped', line: undefined },
    ]);
  });

  it("throws INPUT_MALFORMED for truncated JSON and an unknown lock file version", () => {
    const truncated = thrownVouchError(() => parseIn(join(FIXTURES, "corrupt")));
    expect(truncated.code).toBe("INPUT_MALFORMED");
    expect(truncated.location.line).toBe(21);
    const unknown = thrownVouchError(() => parseIn(join(FIXTURES, "unknown-version")));
    expect(unknown.message).toContain("unsupported NuGet lock file version 3");
    expect(unknown.location.line).toBe(2);
    expect(() => parseText(parsePackagesLock, "packages.lock.json", '{"version": 1}')).toThrow(/no "dependencies"/);
  });

  it("matches packages.lock.json and packages.<project>.lock.json", () => {
    expect(packagesLockCataloger.matches("src/Api/packages.lock.json")).toBe(true);
    expect(packagesLockCataloger.matches("packages.Api.lock.json")).toBe(true);
    expect(packagesLockCataloger.matches("package-lock.json")).toBe(false);
    expect(packagesLockCataloger.matches("packages.config")).toBe(false);
  });

  it("catalogs 20,000 packages", () => {
    const entries: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) {
      entries[`Acme.Package${i}`] = {
        type: i < 50 ? "Direct" : "Transitive",
        resolved: `1.${i}.0`,
        contentHash: "rBpgS+32MO/p5XQQmSSFfEF8H0s5HqNJ3t8sxz5yd22OWqkKzALwzeBq77/q0J+tiZl8LOzqW/QMZ1xytgxQPQ==",
        dependencies: { [`Acme.Package${(i + 1) % 20_000}`]: "1.0.0" },
      };
    }
    const out = catalogFiles({ "packages.lock.json": JSON.stringify({ version: 1, dependencies: { "net8.0": entries } }) }, nugetCatalogers);
    expect(out.components).toHaveLength(20_000);
    expect(out.rootDependsOn).toHaveLength(50);
  });

  describe("real", () => {
    it("bitwarden Api: 153 packages, 14 Direct, 14 Project entries as workspaces", () => {
      const { warnings: w, ...api } = parseIn(join(REAL, "packages-lock-bitwarden-api"));
      expect(w).toEqual([]);
      expect(api.packages).toHaveLength(153);
      expect(api.directDependencies).toHaveLength(14);
      expect(api.project).toEqual({ name: "Api", version: "", ecosystem: "nuget", purl: "pkg:nuget/Api" });
      expect(api.workspaces?.map((w) => w.id)).toHaveLength(14);
      const core = api.workspaces!.find((w) => w.id === "nuget-project:core")!;
      expect(core.directDependencies).toHaveLength(52);
      expect(core.directDependencies).toContain("nuget-project:data");
      expect(pkgByPurl(api, "pkg:nuget/AspNetCore.HealthChecks.SqlServer@8.0.2")).toMatchObject({
        dependsOn: ["pkg:nuget/Microsoft.Data.SqlClient@7.0.0"],
        hashes: [{ alg: "SHA-512", content: expect.stringMatching(/^b1371556aeffce17d4ad24ecd16024b6/) }],
      });
    });

    it("bicep item template: one framework and eight runtime targets, 21 packages", () => {
      const bicep = parseIn(join(REAL, "packages-lock-small-bicep-itemtemplate"));
      expect(bicep.packages).toHaveLength(21);
      expect(bicep.project?.name).toBe("Bicep.VSLanguageServerClient.ItemTemplate");
      expect(pkgByPurl(bicep, "pkg:nuget/Microsoft.Win32.Registry@5.0.0").dependsOn).toEqual([
        "pkg:nuget/System.Security.AccessControl@5.0.0",
        "pkg:nuget/System.Security.Principal.Windows@5.0.0",
      ]);
    });
  });
});
