import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory } from "../../../test/support/catalog.js";
import { catalogContext, malformedError, type ParseWarning } from "../../../test/support/parse.js";
import { DirectorySource } from "../sources/directory.js";
import { MemorySource } from "../sources/memory.js";
import { HeaderError, RpmHeader, TAG } from "./header.js";
import { rpmCatalogers } from "./index.js";
import { parseRpmBdb, parseRpmSqlite, RPM_PROP, rpmDbRoot, rpmNamespace } from "./parse-rpmdb.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const DB = "var/lib/rpm/rpmdb.sqlite";
const prop = (p: { properties?: { name: string; value: string }[] }, name: string) => p.properties?.filter((x) => x.name === name).map((x) => x.value);

function parse(fixture: string, listFiles = false, extra: Record<string, string> = {}) {
  const bytes = readFileSync(join(FIXTURES, fixture, DB));
  const warnings: ParseWarning[] = [];
  const source = Object.keys(extra).length > 0 ? new MemorySource(extra) : new DirectorySource(join(FIXTURES, fixture));
  return { ...parseRpmSqlite({ path: DB, text: "", bytes }, catalogContext(source, warnings), { listFiles }), warnings };
}

describe("rpm sqlite database cataloger", () => {
  it("matches rpmdb.sqlite under var/lib/rpm and usr/lib/sysimage/rpm", () => {
    expect(rpmDbRoot(DB)).toBe("");
    expect(rpmDbRoot("usr/lib/sysimage/rpm/rpmdb.sqlite")).toBe("");
    expect(rpmDbRoot("r/var/lib/rpm/rpmdb.sqlite")).toBe("r/");
    expect(rpmDbRoot("var/lib/rpm/Packages")).toBeUndefined();
  });

  describe("a database written by rpm 4.18", () => {
    const result = parse("fedora-39");
    const hello = result.packages.find((p) => p.name === "vouch-hello")!;
    const lib = result.packages.find((p) => p.name === "vouch-lib")!;

    it("finds both packages with syft's purl (epoch and source rpm as qualifiers, EVR as version)", () => {
      expect(result.warnings).toEqual([]);
      expect(hello.purl).toBe("pkg:rpm/fedora/vouch-hello@1.2.3-4.fc39?arch=x86_64&distro=fedora-39&epoch=2&upstream=vouch-hello-1.2.3-4.fc39.src.rpm");
      expect(hello.version).toBe("2:1.2.3-4.fc39");
      expect(lib.purl).toBe("pkg:rpm/fedora/vouch-lib@1.0-1.fc39?arch=noarch&distro=fedora-39&upstream=vouch-lib-1.0-1.fc39.src.rpm");
      expect(lib.version).toBe("1.0-1.fc39");
    });

    it("records license, vendor as supplier, summary, url and the source rpm", () => {
      expect(hello).toMatchObject({ licenseDeclared: "MIT AND Apache-2.0", supplier: "Vouch Test", description: "A tiny package for vouch's rpm fixture" });
      expect(hello.externalRefs).toEqual([{ type: "website", url: "https://example.org/hello" }]);
      expect(prop(hello, RPM_PROP.sourceRpm)).toEqual(["vouch-hello-1.2.3-4.fc39.src.rpm"]);
      expect(lib.licenseDeclared).toBe("GPL-2.0-or-later");
    });

    it("links Requires to the package providing the name or the file", () => {
      expect(hello.dependsOn).toEqual([lib.id]);
      expect(lib.dependsOn).toEqual([]);
    });

    it("counts owned files (not directories) and lists them with the header's SHA-256 digests when asked", () => {
      expect(prop(hello, RPM_PROP.fileCount)).toEqual(["2"]);
      const listed = parse("fedora-39", true).packages.find((p) => p.name === "vouch-hello")!;
      expect(prop(listed, RPM_PROP.file)).toEqual([
        expect.stringMatching(/^sha256:[0-9a-f]{64} {2}\/usr\/bin\/vouch-hello$/),
        expect.stringMatching(/^sha256:[0-9a-f]{64} {2}\/usr\/share\/doc\/vouch-hello\/README$/),
      ]);
    });

    it("namespaces RHEL as redhat (syft), and uses the vendor when there is no os-release", () => {
      const rhel = parse("fedora-39", false, { "etc/os-release": 'ID="rhel"\nVERSION_ID="9.3"\n' });
      expect(rhel.packages.find((p) => p.name === "vouch-lib")!.purl).toBe("pkg:rpm/redhat/vouch-lib@1.0-1.fc39?arch=noarch&distro=rhel-9.3&upstream=vouch-lib-1.0-1.fc39.src.rpm");
      const none = parse("fedora-39", false, { x: "" });
      expect(none.packages.find((p) => p.name === "vouch-lib")!.purl).toBe("pkg:rpm/fedora/vouch-lib@1.0-1.fc39?arch=noarch&upstream=vouch-lib-1.0-1.fc39.src.rpm");
      expect(none.packages.find((p) => p.name === "vouch-hello")!.purl).toBe("pkg:rpm/vouch-hello@1.2.3-4.fc39?arch=x86_64&epoch=2&upstream=vouch-hello-1.2.3-4.fc39.src.rpm");
      expect(rpmNamespace({ id: "opensuse-leap", idLike: [] }, undefined)).toBe("opensuse");
    });

    it("catalogs through the catalog, reading the database as bytes", () => {
      const out = catalogDirectory(join(FIXTURES, "fedora-39"), rpmCatalogers);
      expect(out.components.map((c) => c.name)).toEqual(["vouch-hello", "vouch-lib"]);
      expect(out.warnings).toEqual([]);
    });
  });

  describe("corrupt input", () => {
    it("keeps the readable headers and warns about each damaged one", () => {
      const result = parse("corrupt");
      expect(result.packages.map((p) => p.name)).toEqual(["vouch-hello"]);
      expect(result.warnings.map((w) => w.message)).toEqual([
        "package header 2: header index count 2147483647 is outside 1..65535; skipped",
        "package header 3: header entry 1 (tag 100) points at offset 1424, past the 1324-byte data store; skipped",
        "package header 4: header declares 66 entries and 1324 data bytes, more than the 1194-byte blob holds; skipped",
        "package header 5: string 99 of tag 1117 runs past the end of the data store; skipped",
        "package header 6: header blob of 3 bytes is shorter than its 8-byte preamble; skipped",
      ]);
    });

    it("refuses a file that is not SQLite, and a Packages view instead of a table (never runs it)", () => {
      for (const fixture of ["corrupt-garbage", "corrupt-view"]) {
        expect(malformedError(() => parse(fixture)).code, fixture).toBe("INPUT_MALFORMED");
      }
      expect(malformedError(() => parse("corrupt-view")).message).toBe("Packages is a view, not a table");
    });

    it("checks every index entry of a header against its data store", () => {
      const blob = new Uint8Array(8 + 16 + 4);
      const v = new DataView(blob.buffer);
      v.setUint32(0, 1);
      v.setUint32(4, 4);
      v.setUint32(8, TAG.DIRINDEXES);
      v.setUint32(12, 4); // INT32
      v.setUint32(20, 2); // two INT32s in a 4-byte store
      expect(() => RpmHeader.parse(blob)).toThrow(HeaderError);
      v.setUint32(20, 1);
      expect(RpmHeader.parse(blob).ints(TAG.DIRINDEXES)).toEqual([0]);
    });
  });

  describe("the legacy Berkeley DB backend (var/lib/rpm/Packages)", () => {
    const BDB = "var/lib/rpm/Packages";
    const parseBdb = (fixture: string) => {
      const warnings: ParseWarning[] = [];
      const bytes = readFileSync(join(FIXTURES, fixture, BDB));
      return { ...parseRpmBdb({ path: BDB, text: "", bytes }, catalogContext(new DirectorySource(join(FIXTURES, fixture)), warnings)), warnings };
    };

    it("reads the same headers from a hash database written by libdb, skipping rpm's counter record", () => {
      const result = parseBdb("centos-7");
      expect(result.warnings).toEqual([]);
      expect(result.packages.map((p) => p.purl).sort()).toEqual([
        "pkg:rpm/centos/vouch-hello@1.2.3-4.fc39?arch=x86_64&distro=centos-7&epoch=2&upstream=vouch-hello-1.2.3-4.fc39.src.rpm",
        "pkg:rpm/centos/vouch-lib@1.0-1.fc39?arch=noarch&distro=centos-7&upstream=vouch-lib-1.0-1.fc39.src.rpm",
      ]);
      expect(result.packages.find((p) => p.name === "vouch-hello")!.dependsOn).toHaveLength(1);
    });

    it("catalogs through the catalog", () => {
      const out = catalogDirectory(join(FIXTURES, "centos-7"), rpmCatalogers);
      expect(out.components.map((c) => c.name)).toEqual(["vouch-hello", "vouch-lib"]);
    });

    it("refuses a cycle in an overflow chain, and a file that is not a hash database", () => {
      expect(malformedError(() => parseBdb("corrupt-bdb"))).toMatchObject({ code: "INPUT_MALFORMED", message: "Berkeley DB rpm database: overflow chain reaches page 3 twice (a cycle)" });
      const garbage = readFileSync(join(FIXTURES, "corrupt-garbage", DB));
      expect(malformedError(() => parseRpmBdb({ path: "var/lib/rpm/Packages", text: "", bytes: garbage }, catalogContext(new MemorySource({})))).code).toBe("INPUT_MALFORMED");
    });

    it("names the ndb backend as not supported instead of finding nothing", () => {
      const ndb = rpmCatalogers.find((c) => c.name === "rpm-ndb")!;
      expect(ndb.matches("usr/lib/sysimage/rpm/Packages.db")).toBe(true);
      expect(malformedError(() => ndb.parse({ path: "usr/lib/sysimage/rpm/Packages.db", text: "" }, catalogContext(new MemorySource({})))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    });
  });
});
