import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { parseFixtureFile, scopesByPurl } from "../../../test/support/parse.js";
import { mavenCatalogers } from "./index.js";
import { gradleLockfileCataloger, isTestConfiguration, parseGradleLockfile } from "./parse-gradle-lockfile.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "maven");

describe("maven: gradle.lockfile", () => {
  it("reads coordinates, skips empty=, marks test-only modules dev and reports a bad line", () => {
    const { warnings, ...result } = parseFixtureFile(parseGradleLockfile, join(FIXTURES, "gradle-lockfile"), "gradle.lockfile");
    expect(scopesByPurl(result)).toEqual({
      "pkg:maven/com.google.guava/failureaccess@1.0.2": "required",
      "pkg:maven/com.google.guava/guava@33.2.1-jre": "required",
      "pkg:maven/com.puppycrawl.tools/checkstyle@10.17.0": "required",
      "pkg:maven/org.apiguardian/apiguardian-api@1.1.2": "dev",
      "pkg:maven/org.junit.jupiter/junit-jupiter-api@5.10.2": "dev",
      "pkg:maven/org.junit.platform/junit-platform-launcher@1.10.2": "dev",
      "pkg:maven/androidx.test/core@1.5.0": "dev",
      "pkg:maven/org.slf4j/slf4j-api@2.0.13": "required",
    });
    expect(result.packages.find((p) => p.name === "guava")).toMatchObject({ group: "com.google.guava", version: "33.2.1-jre" });
    expect(warnings).toEqual([{ message: 'not a "group:artifact:version=configurations" line: "this line is not a coordinate"; skipped', line: 11 }]);
    expect(result.project).toEqual({
      name: "inventory",
      version: "2.1.0",
      group: "org.example.inventory",
      ecosystem: "maven",
      purl: "pkg:maven/org.example.inventory/inventory@2.1.0",
    });
  });

  it("reads buildscript-gradle.lockfile and the legacy per-configuration lockfiles", () => {
    const buildscript = parseFixtureFile(parseGradleLockfile, join(FIXTURES, "gradle-lockfile"), "buildscript-gradle.lockfile");
    expect(scopesByPurl(buildscript)).toEqual({
      "pkg:maven/com.diffplug.spotless/spotless-plugin-gradle@6.25.0": "required",
      "pkg:maven/com.google.guava/guava@33.2.1-jre": "required",
    });
    const out = catalogDirectory(join(FIXTURES, "gradle-legacy-locks"), mavenCatalogers);
    expect(out.components.map((c) => `${c.purl} ${c.scope}`)).toEqual([
      "pkg:maven/junit/junit@4.13.2 dev",
      // also in runtimeClasspath.lockfile
      "pkg:maven/org.hamcrest/hamcrest-core@1.3 required",
    ]);
  });

  it("knows test configurations", () => {
    for (const c of ["testCompileClasspath", "testRuntimeClasspath", "testAnnotationProcessor", "testFixturesRuntimeClasspath", "debugUnitTestRuntimeClasspath", "releaseAndroidTestCompileClasspath", "androidTestImplementation", "integrationTestRuntimeClasspath"]) {
      expect(isTestConfiguration(c), c).toBe(true);
    }
    for (const c of ["compileClasspath", "runtimeClasspath", "checkstyle", "jmhRuntimeClasspath", "testingLibraryClasspath", "kapt", "contestRuntimeClasspath"]) {
      expect(isTestConfiguration(c), c).toBe(false);
    }
  });

  it("matches its file names only", () => {
    expect(gradleLockfileCataloger.matches("gradle.lockfile")).toBe(true);
    expect(gradleLockfileCataloger.matches("app/buildscript-gradle.lockfile")).toBe(true);
    expect(gradleLockfileCataloger.matches("gradle/dependency-locks/compileClasspath.lockfile")).toBe(true);
    expect(gradleLockfileCataloger.matches("other.lockfile")).toBe(false);
  });

  it("real: jabref, every module of every configuration (199)", () => {
    const { warnings, ...result } = parseFixtureFile(parseGradleLockfile, join(REAL, "gradle-lockfile-jabref"), "gradle.lockfile");
    expect(result.packages).toHaveLength(199);
    expect(warnings).toEqual([]);
    expect(result.packages.find((p) => p.name === "mvvmfx-validation")?.purl).toBe("pkg:maven/com.github.sialcasa.mvvmFX/mvvmfx-validation@f195849ca9");
  });

  it("catalogs 20,000 lines", () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `org.example.g${i % 97}:artifact-${i}:1.${i}.0=compileClasspath,runtimeClasspath`);
    const out = catalogFiles({ "gradle.lockfile": lines.join("\n") }, mavenCatalogers);
    expect(out.components).toHaveLength(20_000);
  });
});
