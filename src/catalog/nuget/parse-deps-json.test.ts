import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogSource } from "../catalog.js";
import { DirectorySource } from "../sources/directory.js";
import { malformedError, parseFixtureFile, pkgByPurl } from "../../../test/support/parse.js";
import { dotnetDepsCatalogers } from "./index.js";
import { depsJsonCataloger, parseDepsJson } from "./parse-deps-json.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "deps-json");

describe(".deps.json cataloger", () => {
  it("matches <name>.deps.json files", () => {
    expect(depsJsonCataloger.matches("app/MyApp.deps.json")).toBe(true);
    expect(depsJsonCataloger.matches("usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11/Microsoft.NETCore.App.deps.json")).toBe(true);
    expect(depsJsonCataloger.matches(".deps.json")).toBe(false);
    expect(depsJsonCataloger.matches("app/MyApp.runtimeconfig.json")).toBe(false);
    expect(dotnetDepsCatalogers).toEqual([depsJsonCataloger]);
  });

  describe("a self-contained application", () => {
    const r = parseFixtureFile(parseDepsJson, join(FIXTURES, "app"), "app/MyApp.deps.json");

    it("is the project named like the file; packages, the runtime pack and referenced projects are components", () => {
      expect(r.project).toEqual({ name: "MyApp", version: "1.0.0", ecosystem: "nuget", purl: "pkg:nuget/MyApp@1.0.0" });
      expect(r.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:nuget/Microsoft.Data.Sqlite.Core@8.0.0",
        "pkg:nuget/MyApp.Data@1.0.0",
        "pkg:nuget/Newtonsoft.Json@13.0.3",
        "pkg:nuget/SQLitePCLRaw.core@2.1.6",
        "pkg:nuget/Serilog.Sinks.Console@5.0.1",
        "pkg:nuget/Serilog@3.1.1",
        "pkg:nuget/runtimepack.Microsoft.NETCore.App.Runtime.linux-x64@8.0.11",
      ]);
      expect(r.warnings).toEqual([]);
    });

    it("leaves out compile-only packages (analyzers) and reference assemblies", () => {
      expect(r.packages.some((p) => p.name === "StyleCop.Analyzers" || p.name === "Microsoft.AspNetCore.App.Ref")).toBe(false);
    });

    it("takes edges from the runtime target and the nupkg SHA-512 from libraries", () => {
      expect([...r.directDependencies].sort()).toEqual([
        "pkg:nuget/MyApp.Data@1.0.0",
        "pkg:nuget/Newtonsoft.Json@13.0.3",
        "pkg:nuget/Serilog.Sinks.Console@5.0.1",
        "pkg:nuget/runtimepack.Microsoft.NETCore.App.Runtime.linux-x64@8.0.11",
      ]);
      expect(pkgByPurl(r, "pkg:nuget/MyApp.Data@1.0.0").dependsOn).toEqual(["pkg:nuget/Microsoft.Data.Sqlite.Core@8.0.0"]);
      expect(pkgByPurl(r, "pkg:nuget/Serilog.Sinks.Console@5.0.1").dependsOn).toEqual(["pkg:nuget/Serilog@3.1.1"]);
      const json = pkgByPurl(r, "pkg:nuget/Newtonsoft.Json@13.0.3");
      expect(json.hashes).toHaveLength(1);
      expect(json.hashes[0]!.alg).toBe("SHA-512");
      expect(json.hashes[0]!.content).toMatch(/^[0-9a-f]{128}$/);
      expect(json.properties).toEqual([
        { name: "vouch:nuget:library-type", value: "package" },
        { name: "vouch:nuget:target", value: ".NETCoreApp,Version=v8.0/linux-x64" },
      ]);
      expect(pkgByPurl(r, "pkg:nuget/MyApp.Data@1.0.0").properties?.[0]).toEqual({ name: "vouch:nuget:library-type", value: "project" });
    });
  });

  it("a framework-dependent app without runtimeTarget: the only target, a bad sha512 dropped, no prototype keys", () => {
    const r = parseFixtureFile(parseDepsJson, join(FIXTURES, "framework-dependent"), "Worker.deps.json");
    expect(r.project?.purl).toBe("pkg:nuget/Worker@2.3.0");
    expect(r.packages.map((p) => p.purl).sort()).toEqual(["pkg:nuget/Polly@7.2.4", "pkg:nuget/constructor@1.0.0"]);
    expect(pkgByPurl(r, "pkg:nuget/Polly@7.2.4").hashes).toEqual([]);
    expect([...r.directDependencies].sort()).toEqual(["pkg:nuget/Polly@7.2.4", "pkg:nuget/constructor@1.0.0"]);
  });

  it("skips library entries it cannot read, with a warning each", () => {
    const r = parseFixtureFile(parseDepsJson, join(FIXTURES, "bad-entries"), "App.deps.json");
    expect(r.packages.map((p) => p.purl)).toEqual(["pkg:nuget/Good@1.0.0"]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'libraries["NoVersion"]: the key is not "Name/Version"; skipped',
      'libraries["Bad Name/1.0.0"]: name or version with characters NuGet does not allow; skipped',
      'libraries["NotAnObject/1.0.0"]: not an object; skipped',
    ]);
    expect(r.directDependencies).toEqual(["pkg:nuget/Good@1.0.0"]);
  });

  it("corrupt files are INPUT_MALFORMED with a line", () => {
    expect(malformedError(() => parseFixtureFile(parseDepsJson, join(FIXTURES, "corrupt"), "Tool.deps.json"))).toMatchObject({ code: "INPUT_MALFORMED", line: 6 });
    expect(malformedError(() => parseFixtureFile(parseDepsJson, join(FIXTURES, "corrupt"), "NoLibraries.deps.json"))).toMatchObject({
      code: "INPUT_MALFORMED",
      message: 'not a .deps.json file: no "libraries" object',
    });
  });

  it("in a rootfs: the app is a component the image depends on", () => {
    const out = catalogSource(new DirectorySource(join(FIXTURES, "app")), dotnetDepsCatalogers);
    expect(out.rootProject).toBeUndefined();
    expect(out.rootDependsOn).toEqual(["pkg:nuget/MyApp@1.0.0"]);
    const app = out.components.find((c) => c.purl === "pkg:nuget/MyApp@1.0.0")!;
    expect(app.type).toBe("application");
    expect(out.dependencies.find((d) => d.ref === app.bomRef)?.dependsOn).toHaveLength(4);
  });
});
