import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { catalogSource } from "../catalog.js";
import { DirectorySource } from "../sources/directory.js";
import { MemorySource } from "../sources/memory.js";
import type { CatalogContext, PackageRecord, ParseResult } from "../types.js";
import { javaArchiveCatalogers } from "./index.js";
import { javaArchiveCataloger, nameVersionFromFileName, parseJavaArchive, parseJavaProperties, parseManifest } from "./parse-java-archive.js";
import { ZipArchive } from "./zip.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "java-archive");

type Parsed = ParseResult & { warnings: string[] };

function parse(rel: string, path = rel): Parsed {
  const warnings: string[] = [];
  const ctx: CatalogContext = { readFile: () => undefined, listDir: () => [], warn: (m) => warnings.push(m) };
  return { ...parseJavaArchive({ path, text: "", bytes: readFileSync(join(FIXTURES, rel)) }, ctx), warnings };
}

function props(pkg: PackageRecord): Record<string, string> {
  return Object.fromEntries((pkg.properties ?? []).map((p) => [p.name, p.value]));
}

function byPurl(result: ParseResult, purl: string): PackageRecord {
  const found = result.packages.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} among ${result.packages.map((p) => p.purl).join(", ")}`);
  return found;
}

function sha1(rel: string): string {
  return createHash("sha1").update(readFileSync(join(FIXTURES, rel))).digest("hex");
}

describe("Java archive cataloger", () => {
  it("matches zip-based Java packagings by extension", () => {
    for (const p of ["app.jar", "usr/share/java/x-1.0.jar", "opt/tomcat/webapps/ROOT.war", "x.EAR", "var/jenkins_home/plugins/git.jpi", "x.hpi"]) {
      expect(javaArchiveCataloger.matches(p), p).toBe(true);
    }
    for (const p of ["x.jar.sha1", "jar", "x.zip", "x.class", "META-INF/MANIFEST.MF"]) expect(javaArchiveCataloger.matches(p), p).toBe(false);
    expect(javaArchiveCataloger.reads).toBe("bytes");
    expect(javaArchiveCatalogers).toEqual([javaArchiveCataloger]);
  });

  describe("real jars from Maven Central", () => {
    it("javax.annotation-api: pom.properties names it, the manifest describes it, SHA-1 is Central's", () => {
      const r = parse("real/javax.annotation-api-1.3.2.jar");
      expect(r.packages).toHaveLength(1);
      const p = r.packages[0]!;
      expect(p.purl).toBe("pkg:maven/javax.annotation/javax.annotation-api@1.3.2");
      // The digest search.maven.org lists for javax.annotation:javax.annotation-api:1.3.2.
      expect(p.hashes).toEqual([{ alg: "SHA-1", content: "934c04d3cfef185a8008e7bf34331b79730a9d43" }]);
      expect(p.licenseDeclared).toBe("https://github.com/javaee/javax.annotation/blob/master/LICENSE");
      expect(p.supplier).toBe("GlassFish Community");
      expect(p.description).toBe("Java(TM) Common Annotations 1.3 API Design Specification");
      expect(props(p)["vouch:maven:metadata-source"]).toBe("pom.properties");
      expect(r.directDependencies).toEqual([p.id]);
      expect(r.warnings).toEqual([]);
    });

    it("jcip-annotations: no pom.properties, a bare manifest: the file name names it, the group is guessed", () => {
      const p = parse("real/jcip-annotations-1.0.jar").packages[0]!;
      expect(p.purl).toBe("pkg:maven/jcip-annotations/jcip-annotations@1.0");
      expect(props(p)["vouch:maven:group-source"]).toBe("artifact name");
      expect(props(p)["vouch:maven:metadata-source"]).toBe("file name");
    });

    it("javax.inject-1: no manifest at all", () => {
      const p = parse("real/javax.inject-1.jar").packages[0]!;
      expect(p.purl).toBe("pkg:maven/javax.inject/javax.inject@1");
      expect(p.hashes[0]!.content).toBe("6975da39a7040257bd51d21a231b76c915872d38");
    });
  });

  describe("a Spring Boot-style executable jar renamed app.jar", () => {
    const r = parse("built/app.jar", "app/app.jar");
    const app = byPurl(r, "pkg:maven/com.example/demo@0.0.1-SNAPSHOT");

    it("is named by its own pom.properties, matched through Implementation-Title", () => {
      expect(r.directDependencies).toEqual([app.id]);
      expect(props(app)["vouch:maven:main-class"]).toBe("com.example.demo.DemoApplication");
      expect(app.hashes[0]!.content).toBe(sha1("built/app.jar"));
      expect(props(app)["vouch:maven:archive-location"]).toBeUndefined();
    });

    it("reports every jar under BOOT-INF/lib, the jars and shaded libraries inside them, with their edges", () => {
      expect(r.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:maven/com.example/demo@0.0.1-SNAPSHOT",
        "pkg:maven/com.example/greeter@1.2.0",
        "pkg:maven/javax.inject/javax.inject@1",
        "pkg:maven/jcip-annotations/jcip-annotations@1.0",
        "pkg:maven/net.minidev/accessors-smart@2.5.2",
        "pkg:maven/org.example/shaded-bundle@2.0",
        "pkg:maven/org.tiny/tiny@0.1.5",
      ]);
      expect([...app.dependsOn].sort()).toEqual([
        "pkg:maven/com.example/greeter@1.2.0",
        "pkg:maven/jcip-annotations/jcip-annotations@1.0",
        "pkg:maven/net.minidev/accessors-smart@2.5.2",
        "pkg:maven/org.example/shaded-bundle@2.0",
      ]);
      expect([...byPurl(r, "pkg:maven/org.example/shaded-bundle@2.0").dependsOn].sort()).toEqual([
        "pkg:maven/javax.inject/javax.inject@1",
        "pkg:maven/org.tiny/tiny@0.1.5",
      ]);
      expect(r.warnings).toEqual([]);
    });

    it("hashes each nested jar's own bytes and says where it sits", () => {
      const greeter = byPurl(r, "pkg:maven/com.example/greeter@1.2.0");
      expect(greeter.hashes).toEqual([{ alg: "SHA-1", content: sha1("built/greeter-1.2.0.jar") }]);
      expect(props(greeter)["vouch:maven:archive-location"]).toBe("app/app.jar!/BOOT-INF/lib/greeter-1.2.0.jar");
      expect(greeter.licenseDeclared).toBe("Apache-2.0");
      expect(greeter.supplier).toBe("Example Corp");
      const accessors = byPurl(r, "pkg:maven/net.minidev/accessors-smart@2.5.2");
      expect(accessors.hashes[0]!.content).toBe("ce16fd235cfee48e67eda33e684423bba09f7d07");
      const tiny = byPurl(r, "pkg:maven/org.tiny/tiny@0.1.5");
      expect(tiny.hashes).toEqual([]);
      expect(props(tiny)["vouch:maven:archive-location"]).toBe("app/app.jar!/BOOT-INF/lib/shaded-bundle-2.0.jar!/META-INF/maven/org.tiny/tiny/pom.properties");
      const inject = byPurl(r, "pkg:maven/javax.inject/javax.inject@1");
      expect(props(inject)["vouch:maven:archive-location"]).toBe("app/app.jar!/BOOT-INF/lib/shaded-bundle-2.0.jar!/META-INF/lib/javax.inject-1.jar");
    });
  });

  it("a war without metadata of its own: named by its file, libraries from WEB-INF/lib (deflated)", () => {
    const r = parse("built/webapp.war");
    expect(r.packages.map((p) => p.purl).sort()).toEqual([
      "pkg:maven/com.example/greeter@1.2.0",
      "pkg:maven/javax.annotation/javax.annotation-api@1.3.2",
      "pkg:maven/webapp/webapp",
    ]);
    expect(byPurl(r, "pkg:maven/javax.annotation/javax.annotation-api@1.3.2").hashes[0]!.content).toBe("934c04d3cfef185a8008e7bf34331b79730a9d43");
  });

  it("reads three levels of nested archives and warns about the fourth", () => {
    const r = parse("nesting/deep-0.jar");
    expect(r.packages.map((p) => p.purl).sort()).toEqual(["pkg:maven/org.deep/deep-0@1.0", "pkg:maven/org.deep/deep-1@1.0", "pkg:maven/org.deep/deep-2@1.0", "pkg:maven/org.deep/deep-3@1.0"]);
    expect(r.warnings).toEqual(["nesting/deep-0.jar!/lib/deep-1.jar!/lib/deep-2.jar!/lib/deep-3.jar!/lib/deep-4.jar: nested more than 3 archives deep; not read"]);
    expect(byPurl(r, "pkg:maven/org.deep/deep-2@1.0").dependsOn).toEqual(["pkg:maven/org.deep/deep-3@1.0"]);
  });

  describe("corrupt archives", () => {
    for (const [name, message] of [
      ["bad-cd-offset-1.0.jar", /central directory .* lies outside/],
      ["truncated-1.0.jar", /no end of central directory record/],
      ["not-a-zip-1.0.jar", /no end of central directory record/],
    ] as const) {
      it(`${name} is INPUT_MALFORMED`, () => {
        const err = thrownVouchError(() => parse(`corrupt/${name}`));
        expect(err.code).toBe("INPUT_MALFORMED");
        expect(err.message).toMatch(message);
      });
    }

    it("a decompression bomb is stopped one byte past the declared size; the archive is still reported", () => {
      const r = parse("corrupt/bomb-1.0.jar");
      expect(r.packages.map((p) => p.purl)).toEqual(["pkg:maven/bomb/bomb@1.0"]);
      expect(r.warnings).toEqual([
        "corrupt/bomb-1.0.jar!/META-INF/maven/org.bomb/bomb/pom.properties: zip entry META-INF/maven/org.bomb/bomb/pom.properties inflates past its declared 60 bytes; skipped",
        "corrupt/bomb-1.0.jar!/BOOT-INF/lib/huge-1.0.jar: zip entry BOOT-INF/lib/huge-1.0.jar declares 4294967280 bytes, over the 268435456-byte limit; skipped",
      ]);
    });

    it("a nested archive that is not a zip is skipped with a warning, its siblings are read", () => {
      const r = parse("corrupt/nested-broken-1.0.jar");
      expect(r.packages.map((p) => p.purl).sort()).toEqual(["pkg:maven/com.example/greeter@1.2.0", "pkg:maven/org.example/nested-broken@1.0"]);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatch(/^corrupt\/nested-broken-1\.0\.jar!\/WEB-INF\/lib\/broken-2\.0\.jar: .*no end of central directory record.*; skipped$/);
    });
  });

  describe("formats", () => {
    it("reads manifests with continuation lines, CRLF and per-entry sections", () => {
      const m = parseManifest("Manifest-Version: 1.0\r\nBundle-Description: a lo\r\n ng line\r\nimplementation-title: x\r\n\r\nName: a/b/\r\nImplementation-Title: other\r\n");
      expect(Object.fromEntries(m)).toEqual({ "manifest-version": "1.0", "bundle-description": "a long line", "implementation-title": "x" });
    });

    it("reads java.util.Properties syntax", () => {
      const p = parseJavaProperties("# c\n! c\n  groupId = org.x\nartifactId:a\\\n   b\nversion 1.0\nk\\=ey=v\\u0041\n");
      expect(Object.fromEntries(p)).toEqual({ groupId: "org.x", artifactId: "ab", version: "1.0", "k=ey": "vA" });
    });

    it("splits file names at the first -<digit>", () => {
      expect(nameVersionFromFileName("commons-lang3-3.12.0.jar")).toEqual({ name: "commons-lang3", version: "3.12.0" });
      expect(nameVersionFromFileName("spring-boot-3.2.0-SNAPSHOT.jar")).toEqual({ name: "spring-boot", version: "3.2.0-SNAPSHOT" });
      expect(nameVersionFromFileName("guava-32.1.2-jre.jar")).toEqual({ name: "guava", version: "32.1.2-jre" });
      expect(nameVersionFromFileName("app.jar")).toEqual({ name: "app", version: "" });
    });

    it("the zip reader refuses a central directory that claims more entries than it holds", () => {
      const bytes = Buffer.from(readFileSync(join(FIXTURES, "built/greeter-1.2.0.jar")));
      const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      bytes.writeUInt16LE(bytes.readUInt16LE(eocd + 10) + 5, eocd + 10);
      expect(thrownVouchError(() => new ZipArchive(bytes)).code).toBe("INPUT_MALFORMED");
    });
  });

  it("in a rootfs: every jar of /usr/share/java and an app folder, one component per purl", () => {
    const out = catalogSource(new DirectorySource(join(FIXTURES, "real")), javaArchiveCatalogers);
    expect(out.components.map((c) => c.purl)).toEqual([
      "pkg:maven/javax.annotation/javax.annotation-api@1.3.2",
      "pkg:maven/javax.inject/javax.inject@1",
      "pkg:maven/jcip-annotations/jcip-annotations@1.0",
      "pkg:maven/net.minidev/accessors-smart@2.5.2",
    ]);
    const mem = catalogSource(
      new MemorySource({
        "usr/share/java/greeter-1.2.0.jar": readFileSync(join(FIXTURES, "built/greeter-1.2.0.jar")),
        "app/app.jar": readFileSync(join(FIXTURES, "built/app.jar")),
        "app/broken.jar": readFileSync(join(FIXTURES, "corrupt/truncated-1.0.jar")),
      }),
      javaArchiveCatalogers,
    );
    const greeter = mem.components.find((c) => c.purl === "pkg:maven/com.example/greeter@1.2.0")!;
    expect(greeter.foundIn).toEqual(["app/app.jar", "usr/share/java/greeter-1.2.0.jar"]);
    expect(mem.warnings.map((w) => [w.file, w.fileSkipped])).toEqual([["app/broken.jar", true]]);
    expect(mem.rootDependsOn).toEqual(["pkg:maven/com.example/demo@0.0.1-SNAPSHOT", "pkg:maven/com.example/greeter@1.2.0"]);
  });
});
