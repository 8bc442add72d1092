import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nameVersion } from "../../../test/support/catalog.js";
import { malformedError, parseFixtureFile, pkgByPurl } from "../../../test/support/parse.js";
import { catalogSource } from "../catalog.js";
import { DirectorySource } from "../sources/directory.js";
import { MemorySource } from "../sources/memory.js";
import { installedGemCatalogers } from "./index.js";
import { gemNameFromFileName, gemspecCataloger, listValue, parseGemspec, readGemspec, stringValue } from "./parse-gemspec.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "installed");
const SPECS = "usr/lib/ruby/gems/3.1.0/specifications";

describe("installed gemspec cataloger", () => {
  it("matches gemspecs in a specifications folder only", () => {
    expect(gemspecCataloger.matches(`${SPECS}/rake-13.0.6.gemspec`)).toBe(true);
    expect(gemspecCataloger.matches(`${SPECS}/default/json-2.6.1.gemspec`)).toBe(true);
    expect(gemspecCataloger.matches("usr/local/bundle/specifications/rails-7.1.0.gemspec")).toBe(true);
    expect(gemspecCataloger.matches("myproject/myproject.gemspec")).toBe(false);
    expect(gemspecCataloger.matches(`${SPECS}/../gems/rake-13.0.6/rake.gemspec`)).toBe(false);
    expect(installedGemCatalogers).toEqual([gemspecCataloger]);
  });

  it("a real Debian gemspec: name, version, licenses, authors, summary, links", () => {
    const r = parseFixtureFile(parseGemspec, join(FIXTURES, "rootfs"), `${SPECS}/rake-13.0.6.gemspec`);
    expect(r.packages).toHaveLength(1);
    const rake = r.packages[0]!;
    expect(rake).toMatchObject({
      purl: "pkg:gem/rake@13.0.6",
      name: "rake",
      version: "13.0.6",
      licenseDeclared: "MIT",
      author: "Hiroshi SHIBATA, Eric Hodel, Jim Weirich",
      description: "Rake is a Make-like program implemented in Ruby",
    });
    expect(rake.externalRefs).toEqual([
      { type: "website", url: "https://github.com/ruby/rake" },
      { type: "vcs", url: "https://github.com/ruby/rake/tree/v13.0.6" },
      { type: "issue-tracker", url: "https://github.com/ruby/rake/issues" },
    ]);
    expect(r.directDependencies).toEqual(["pkg:gem/rake@13.0.6"]);
  });

  it("a default gem: marked, with edges to the gems it needs among the installed ones (default/ and its parent)", () => {
    const rdoc = parseFixtureFile(parseGemspec, join(FIXTURES, "rootfs"), `${SPECS}/default/rdoc-6.4.1.1.gemspec`);
    expect(pkgByPurl(rdoc, "pkg:gem/rdoc@6.4.1.1").properties).toEqual([{ name: "vouch:gem:default", value: "true" }]);
    expect(pkgByPurl(rdoc, "pkg:gem/rdoc@6.4.1.1").dependsOn).toEqual(["pkg:gem/psych@4.0.4"]);
    const debug = parseFixtureFile(parseGemspec, join(FIXTURES, "rootfs"), `${SPECS}/debug-1.6.3.gemspec`);
    expect(pkgByPurl(debug, "pkg:gem/debug@1.6.3").dependsOn).toEqual(["pkg:gem/irb@1.4.1", "pkg:gem/reline@0.3.1"]);
    const webrick = parseFixtureFile(parseGemspec, join(FIXTURES, "rootfs"), "usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec");
    expect(webrick.packages[0]!.licenseDeclared).toEqual(["Ruby", "BSD-2-Clause"]);
  });

  it("finds exactly the gems Ruby itself lists for a real Ruby installation", () => {
    const out = catalogSource(new DirectorySource(join(FIXTURES, "rootfs")), installedGemCatalogers);
    expect(out.warnings).toEqual([]);
    const expected = readFileSync(join(FIXTURES, "expected-name-versions.txt"), "utf8").trim().split("\n");
    expect(out.components.map(nameVersion).sort()).toEqual(expected);
    expect(out.rootProject).toBeUndefined();
  });

  it("a native gem keeps its platform in the purl; a dependency goes to the highest installed version", () => {
    const r = parseFixtureFile(parseGemspec, join(FIXTURES, "bundle"), "usr/local/bundle/specifications/nokogiri-1.15.4-x86_64-linux.gemspec");
    const noko = pkgByPurl(r, "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux");
    expect(noko.properties).toEqual([{ name: "vouch:gem:platform", value: "x86_64-linux" }]);
    expect(noko.dependsOn).toEqual(["pkg:gem/racc@1.7.1"]);
    expect(noko.description).toBe("Nokogiri (\u92F8) makes it easy and painless to work with XML and HTML from Ruby.");
  });

  it("an older hand-written style: %q{}, Gem::Version.new, single quotes, license; interpolation is not a literal", () => {
    const spec = readGemspec(readFileSync(join(FIXTURES, "bundle/usr/local/bundle/specifications/racc-1.6.2.gemspec"), "utf8"));
    expect(spec).toMatchObject({ name: "racc", version: "1.6.2", licenses: ["Ruby"], authors: ["Minero Aoki", "Aaron Patterson"] });
    expect(spec.summary).toBeUndefined();
  });

  it("corrupt gemspecs are INPUT_MALFORMED; the catalog goes on with the others", () => {
    const root = join(FIXTURES, "corrupt");
    expect(malformedError(() => parseFixtureFile(parseGemspec, root, "specifications/computed-1.0.gemspec"))).toMatchObject({ code: "INPUT_MALFORMED", line: 1 });
    expect(malformedError(() => parseFixtureFile(parseGemspec, root, "specifications/garbage-0.1.gemspec")).code).toBe("INPUT_MALFORMED");
    const out = catalogSource(
      new MemorySource({
        "var/lib/gems/3.1.0/specifications/ok-1.0.gemspec": 's.name = "ok"\ns.version = "1.0"\n',
        "var/lib/gems/3.1.0/specifications/bad-1.0.gemspec": 's.name = "bad name"\ns.version = "1.0"\n',
      }),
      installedGemCatalogers,
    );
    expect(out.components.map((c) => c.purl)).toEqual(["pkg:gem/ok@1.0"]);
    expect(out.warnings.map((w) => w.file)).toEqual(["var/lib/gems/3.1.0/specifications/bad-1.0.gemspec"]);
  });

  it("Ruby literals", () => {
    expect(stringValue('"a\\"b\\n".freeze')).toBe('a"b\n');
    expect(stringValue("%q<x>.freeze")).toBe("x");
    expect(stringValue("'it\\'s'")).toBe("it's");
    expect(stringValue("Foo::BAR")).toBeUndefined();
    expect(stringValue('"a" + b')).toBeUndefined();
    expect(listValue('["a".freeze, nil, "b".freeze, CONST]')).toEqual(["a", "b"]);
    expect(listValue('"MIT"')).toEqual(["MIT"]);
    expect(gemNameFromFileName("net-http-0.3.0.1")).toBe("net-http");
    expect(gemNameFromFileName("nokogiri-1.15.4-x86_64-linux")).toBe("nokogiri");
    expect(gemNameFromFileName("noversion")).toBeUndefined();
  });
});
