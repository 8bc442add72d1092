import { posix } from "node:path";
import { buildPurl } from "../../sbom/model/purl.js";
import type { CatalogContext, Cataloger, PackageRecord, ParseResult, ProjectRecord, SourceFile } from "../types.js";

/**
 * gradle.lockfile (Gradle 6+ dependency locking): one line per module, "group:artifact:version=conf1,conf2",
 * and a final "empty=conf..." naming the configurations that resolved nothing. buildscript-gradle.lockfile
 * has the same form for the build script's classpath. The legacy per-configuration files of Gradle 4.8-5
 * (gradle/dependency-locks/<configuration>.lockfile) list "group:artifact:version" without "=".
 *
 * The lockfile records no edges and does not say which modules are declared directly.
 */
export function parseGradleLockfile(file: SourceFile, ctx: CatalogContext): ParseResult {
  const legacyConfiguration = legacyLockConfiguration(file.path);
  const byId = new Map<string, PackageRecord>();
  const lines = file.text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const coordinates = eq === -1 ? line : line.slice(0, eq);
    if (coordinates === "empty") continue;
    const configurations = eq === -1 ? (legacyConfiguration ? [legacyConfiguration] : []) : splitList(line.slice(eq + 1));
    const parts = coordinates.split(":");
    if (parts.length !== 3 || parts.some((p) => p.trim() === "")) {
      ctx.warn(`not a "group:artifact:version=configurations" line: ${JSON.stringify(line.slice(0, 200))}; skipped`, index + 1);
      continue;
    }
    const [group, artifact, version] = parts.map((p) => p.trim()) as [string, string, string];
    const purl = buildPurl("maven", { namespace: group, name: artifact, version });
    const scope = configurations.length > 0 && configurations.every(isTestConfiguration) ? "dev" : "required";
    const seen = byId.get(purl);
    if (seen) {
      if (scope === "required") seen.scope = "required";
      continue;
    }
    byId.set(purl, { id: purl, ecosystem: "maven", name: artifact, group, version, purl, hashes: [], scope, dependsOn: [] });
  }
  const project = gradleProject(posix.dirname(file.path), ctx);
  return { ...(project ? { project } : {}), directDependencies: [], packages: [...byId.values()] };
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
}

/**
 * Configurations that only tests use: the java plugin's test* (testCompileClasspath, testRuntimeClasspath,
 * testAnnotationProcessor, testFixtures...), Android's androidTest* / <variant>UnitTest* / <variant>AndroidTest*,
 * and the usual integration-test source sets.
 */
const TEST_CONFIGURATION = /^(?:test|androidTest|unitTest|integrationTest|intTest|functionalTest)(?:[A-Z]|$)|[a-z0-9](?:UnitTest|AndroidTest|TestFixtures)(?:[A-Z]|$)/;

export function isTestConfiguration(name: string): boolean {
  return TEST_CONFIGURATION.test(name);
}

/** gradle/dependency-locks/<configuration>.lockfile -> the configuration's name. */
function legacyLockConfiguration(path: string): string | undefined {
  const m = /(?:^|\/)gradle\/dependency-locks\/([^/]+)\.lockfile$/.exec(path);
  return m?.[1];
}

/**
 * The project beside the lockfile: rootProject.name from settings.gradle(.kts), group and version from
 * gradle.properties. build.gradle is a program, not read here.
 */
function gradleProject(dir: string, ctx: CatalogContext): ProjectRecord | undefined {
  const at = (name: string) => (dir === "." ? name : posix.join(dir, name));
  const settings = ctx.readFile(at("settings.gradle.kts")) ?? ctx.readFile(at("settings.gradle"));
  const name = settings === undefined ? undefined : /^\s*rootProject\.name\s*=\s*["']([^"'\n]+)["']/m.exec(settings)?.[1];
  if (!name) return undefined;
  const properties = javaProperties(ctx.readFile(at("gradle.properties")) ?? "");
  const group = properties.get("group");
  const version = properties.get("version") ?? "";
  return {
    name,
    version,
    ecosystem: "maven",
    ...(group ? { group, purl: buildPurl("maven", { namespace: group, name, version }) } : {}),
  };
}

/** The simple "key=value" / "key: value" lines of a .properties file (no continuations or escapes needed here). */
function javaProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^#!\s=:][^=:\s]*)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}

export const gradleLockfileCataloger: Cataloger = {
  name: "maven-gradle-lockfile",
  ecosystem: "maven",
  matches: (path) => {
    const base = posix.basename(path);
    return base === "gradle.lockfile" || base === "buildscript-gradle.lockfile" || legacyLockConfiguration(path) !== undefined;
  },
  parse: parseGradleLockfile,
};
