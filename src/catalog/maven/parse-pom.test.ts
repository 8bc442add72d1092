import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory } from "../../../test/support/catalog.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseFixtureFile, parseText, scopesByPurl } from "../../../test/support/parse.js";
import { mavenCatalogers } from "./index.js";
import { parsePom, pomCataloger } from "./parse-pom.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const REAL = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "lockfiles", "maven");

describe("maven: pom.xml", () => {
  it("resolves nested properties, project.*, dependencyManagement, scopes, type and classifier", () => {
    const { warnings, ...result } = parseFixtureFile(parsePom, join(FIXTURES, "pom-basic"), "pom.xml");
    expect(scopesByPurl(result)).toEqual({
      "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.1": "required",
      "pkg:maven/io.netty/netty-handler@4.1.110.Final": "required",
      "pkg:maven/io.netty/netty-transport-native-epoll@4.1.110.Final?classifier=linux-x86_64": "required",
      "pkg:maven/org.slf4j/slf4j-api@2.0.13": "required",
      "pkg:maven/jakarta.servlet/jakarta.servlet-api@6.0.0": "optional",
      "pkg:maven/com.h2database/h2@2.2.224": "optional",
      // scope test comes from the dependencyManagement entry
      "pkg:maven/org.junit.jupiter/junit-jupiter@5.10.2": "dev",
      "pkg:maven/org.example.shop/shop-test-support@3.2.0?type=test-jar": "dev",
      "pkg:maven/org.example/cyclic": "required",
      "pkg:maven/org.example/unmanaged": "required",
    });
    // Plugin dependencies and profile dependencies are not the project's.
    expect(result.packages.map((p) => p.name)).not.toContain("asm");
    expect(result.packages.map((p) => p.name)).not.toContain("postgresql");
    expect(result.directDependencies).toEqual(result.packages.map((p) => p.id));
    const databind = result.packages.find((p) => p.name === "jackson-databind")!;
    expect(databind).toMatchObject({ group: "com.fasterxml.jackson.core", version: "2.17.1", ecosystem: "maven", hashes: [], dependsOn: [] });
    expect(result.packages.find((p) => p.name === "unmanaged")!.version).toBe("");
    expect(warnings).toEqual([
      { message: 'org.example:cyclic: version "${cycle.a}" could not be resolved; listed without a version', line: 97 },
      { message: "org.example:unmanaged: no version is declared or managed in this file or its parents; listed without a version", line: 102 },
    ]);
    expect(result.project).toEqual({
      name: "shop-service",
      version: "3.2.0",
      group: "org.example.shop",
      ecosystem: "maven",
      purl: "pkg:maven/org.example.shop/shop-service@3.2.0",
      licenseDeclared: ["Apache-2.0"],
      description: "Order handling for the example shop",
      externalRefs: [
        { type: "website", url: "https://example.test/shop" },
        { type: "vcs", url: "https://example.test/git/shop" },
      ],
    });
  });

  it("resolves a module against its parent and grandparent in the tree, BOM imports and sibling modules", () => {
    const dir = join(FIXTURES, "pom-multimodule");
    const api = parseFixtureFile(parsePom, dir, "services/api/pom.xml");
    // guava's managed version is ${guava.version}, interpolated after inheritance: services overrides it.
    expect(scopesByPurl(api)).toEqual({
      "pkg:maven/org.example.billing/billing-core@1.4.0": "required",
      "pkg:maven/org.example.billing/billing-worker@1.4.0": "required",
      "pkg:maven/com.google.guava/guava@33.3.1-jre": "required",
      "pkg:maven/org.junit.jupiter/junit-jupiter@5.10.2": "dev",
    });
    expect(api.warnings).toEqual([]);
    // ${revision} from the root's properties gives every module its version; licenses are inherited.
    expect(api.project).toMatchObject({ name: "billing-api", group: "org.example.billing", version: "1.4.0", licenseDeclared: ["MIT"] });

    const core = parseFixtureFile(parsePom, dir, "core/pom.xml");
    // jdbi3-core is managed only by billing-bom, imported by the root with <scope>import</scope>.
    expect(scopesByPurl(core)).toEqual({
      "pkg:maven/com.google.guava/guava@33.2.0-jre": "required",
      "pkg:maven/org.jdbi/jdbi3-core@3.45.1": "required",
      "pkg:maven/org.junit.jupiter/junit-jupiter@5.10.2": "dev",
    });
    expect(core.project?.description).toBe("Billing domain model");

    const worker = parseFixtureFile(parsePom, dir, "services/worker/pom.xml");
    expect(Object.keys(scopesByPurl(worker))).toContain("pkg:maven/org.example.billing/billing-core@1.4.0");
  });

  it("catalogs a multi-module build: modules are projects, a dependency on a sibling is that module", () => {
    const out = catalogDirectory(join(FIXTURES, "pom-multimodule"), mavenCatalogers);
    expect(out.warnings).toEqual([]);
    expect(out.rootProject?.purl).toBe("pkg:maven/org.example.billing/billing-parent@1.4.0");
    const core = out.components.filter((c) => c.name === "billing-core");
    expect(core.map((c) => c.purl)).toEqual(["pkg:maven/org.example.billing/billing-core@1.4.0"]);
    const apiEdges = out.dependencies.find((d) => d.ref === "pkg:maven/org.example.billing/billing-api@1.4.0")!;
    expect(apiEdges.dependsOn).toContain("pkg:maven/org.example.billing/billing-core@1.4.0");
  });

  it("reports versions that would come from a parent outside the tree, and keeps the dependency", () => {
    const { warnings, ...result } = parseFixtureFile(parsePom, join(FIXTURES, "pom-parent-missing"), "pom.xml");
    expect(scopesByPurl(result)).toEqual({
      "pkg:maven/org.springframework.boot/spring-boot-starter-web": "required",
      "pkg:maven/org.example/greeter-client": "required",
      "pkg:maven/com.example.tools/lombok-config@1.2": "optional",
    });
    expect(warnings.map((w) => w.line)).toEqual([15, 19]);
    expect(warnings[0]!.message).toContain("org.springframework.boot:spring-boot-starter-parent:3.3.0, which is not in the tree");
  });

  it("stops at a parent cycle and a property cycle", () => {
    const { warnings, ...result } = parseFixtureFile(parsePom, join(FIXTURES, "pom-cycle"), "pom.xml");
    expect(scopesByPurl(result)).toEqual({
      "pkg:maven/org.example/self-reference": "required",
      "pkg:maven/org.example/managed-by-b@2.0": "required",
    });
    expect(result.project).toMatchObject({ name: "loop-a", group: "org.example.loop", version: "1" });
    expect(warnings).toHaveLength(1);
  });

  it("throws INPUT_MALFORMED with the line for a truncated pom and for a non-pom", () => {
    const err = thrownVouchError(() => parseFixtureFile(parsePom, join(FIXTURES, "corrupt-pom"), "pom.xml"));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.location.line).toBe(11);
    expect(err.message).toContain("<project>, <dependencies>");
    const notPom = thrownVouchError(() => parseText(parsePom, "pom.xml", "<settings><x/></settings>"));
    expect(notPom.message).toContain("no <project> root");
  });

  it("never reaches Object.prototype through hostile element names", () => {
    const text = `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties><constructor>x</constructor><__proto__>y</__proto__></properties>
      <dependencies><dependency><groupId>g</groupId><artifactId>b</artifactId><version>\${constructor}</version></dependency><dependency><toString/></dependency></dependencies></project>`;
    const warnings: string[] = [];
    const result = parsePom({ path: "pom.xml", text }, { readFile: () => undefined, listDir: () => [], warn: (m) => warnings.push(m) });
    // fast-xml-parser refuses these names; they are read as "constructor_" and "__proto___" instead.
    expect(result.packages.map((p) => p.purl)).toEqual(["pkg:maven/g/b"]);
    expect(warnings).toEqual([
      "dependency ?:? has no resolvable groupId/artifactId; skipped",
      'g:b: version "${constructor}" could not be resolved; listed without a version',
    ]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("matches pom.xml by name", () => {
    expect(pomCataloger.matches("pom.xml")).toBe(true);
    expect(pomCataloger.matches("a/b/pom.xml")).toBe(true);
    expect(pomCataloger.matches("a/pom.xml.bak")).toBe(false);
  });

  // Real: google/gson multi-module build (4 poms, 22 <dependency> elements: 2 managed + 1 plugin configuration
  // in the parent, 4 in extras, 5 + 2 plugin ones in gson, 8 in proto).
  describe("real: gson parent and modules", () => {
    const dir = join(REAL, "pom-parent-gson");

    it("the parent declares no dependencies of its own", () => {
      const { warnings, ...result } = parseFixtureFile(parsePom, dir, "pom.xml");
      expect(result.packages).toEqual([]);
      expect(warnings).toEqual([]);
      expect(result.project).toMatchObject({ name: "gson-parent", group: "com.google.code.gson", version: "2.14.1-SNAPSHOT", licenseDeclared: ["Apache-2.0"] });
    });

    it("gson: versions from the parent's dependencyManagement, plugin dependencies left out", () => {
      const { warnings, ...result } = parseFixtureFile(parsePom, dir, "gson/pom.xml");
      expect(scopesByPurl(result)).toEqual({
        "pkg:maven/com.google.errorprone/error_prone_annotations@2.50.0": "required",
        "pkg:maven/junit/junit@4.13.2": "dev",
        "pkg:maven/com.google.truth/truth@1.4.5": "dev",
        "pkg:maven/com.google.guava/guava-testlib@33.6.0-jre": "dev",
        "pkg:maven/com.google.guava/guava@33.6.0-jre": "dev",
      });
      expect(warnings).toEqual([]);
      expect(result.project).toMatchObject({ name: "gson", group: "com.google.code.gson", version: "2.14.1-SNAPSHOT" });
    });

    it("extras depends on the gson module", () => {
      const result = parseFixtureFile(parsePom, dir, "extras/pom.xml");
      expect(scopesByPurl(result)).toEqual({
        "pkg:maven/com.google.code.gson/gson@2.14.1-SNAPSHOT": "required",
        "pkg:maven/javax.annotation/jsr250-api@1.0": "required",
        "pkg:maven/junit/junit@4.13.2": "dev",
        "pkg:maven/com.google.truth/truth@1.4.5": "dev",
      });
      expect(result.project?.purl).toBe("pkg:maven/com.google.code.gson/gson-extras@2.14.1-SNAPSHOT");
    });

    it("proto: ${project.parent.version} and ${protobufVersion}", () => {
      const { warnings, ...result } = parseFixtureFile(parsePom, dir, "proto/pom.xml");
      expect(scopesByPurl(result)).toEqual({
        "pkg:maven/com.google.code.gson/gson@2.14.1-SNAPSHOT": "required",
        "pkg:maven/com.google.protobuf/protobuf-java@4.35.1": "required",
        "pkg:maven/com.google.guava/guava@33.6.0-jre": "required",
        "pkg:maven/com.google.protobuf/protobuf-java-util@4.35.1": "dev",
        "pkg:maven/junit/junit@4.13.2": "dev",
        "pkg:maven/com.google.truth/truth@1.4.5": "dev",
        "pkg:maven/com.google.truth.extensions/truth-proto-extension@1.4.5": "dev",
        "pkg:maven/com.google.testparameterinjector/test-parameter-injector@1.22": "dev",
      });
      expect(warnings).toEqual([]);
    });

    it("the whole tree: 13 distinct artifacts, the gson module shared by extras and proto", () => {
      const out = catalogDirectory(dir, mavenCatalogers);
      expect(out.warnings).toEqual([]);
      expect(out.rootProject?.name).toBe("gson-parent");
      // 12 dependencies (guava is required: proto uses it at compile scope) plus the modules extras and proto.
      expect(out.components.map((c) => `${c.purl} ${c.scope}`)).toEqual([
        "pkg:maven/com.google.code.gson/gson-extras@2.14.1-SNAPSHOT required",
        "pkg:maven/com.google.code.gson/gson@2.14.1-SNAPSHOT required",
        "pkg:maven/com.google.code.gson/proto@2.14.1-SNAPSHOT required",
        "pkg:maven/com.google.errorprone/error_prone_annotations@2.50.0 required",
        "pkg:maven/com.google.guava/guava-testlib@33.6.0-jre dev",
        "pkg:maven/com.google.guava/guava@33.6.0-jre required",
        "pkg:maven/com.google.protobuf/protobuf-java-util@4.35.1 dev",
        "pkg:maven/com.google.protobuf/protobuf-java@4.35.1 required",
        "pkg:maven/com.google.testparameterinjector/test-parameter-injector@1.22 dev",
        "pkg:maven/com.google.truth.extensions/truth-proto-extension@1.4.5 dev",
        "pkg:maven/com.google.truth/truth@1.4.5 dev",
        "pkg:maven/javax.annotation/jsr250-api@1.0 required",
        "pkg:maven/junit/junit@4.13.2 dev",
      ]);
      const proto = out.dependencies.find((d) => d.ref === "pkg:maven/com.google.code.gson/proto@2.14.1-SNAPSHOT")!;
      expect(proto.dependsOn).toContain("pkg:maven/com.google.code.gson/gson@2.14.1-SNAPSHOT");
    });
  });
});
