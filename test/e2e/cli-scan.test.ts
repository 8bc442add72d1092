import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vouch, vouchAsync } from "../support/cli.js";
import { buildImage, ociLayoutFiles, writeFiles, type TarInput } from "../support/oci-builder.js";
import { startOciRegistry } from "../support/oci-registry.js";
import { schemaErrors } from "../support/schemas.js";

const REPO = join(import.meta.dirname, "..", "..");
const RECORDS = join(REPO, "src", "vuln", "osv", "fixtures", "records");
const FEEDS = join(REPO, "src", "vuln", "import", "fixtures");
const BOOKWORM = join(REPO, "src", "catalog", "dpkg", "fixtures", "debian-bookworm");
const ALPINE = join(REPO, "src", "catalog", "apk", "fixtures", "alpine-3.19");
const work = mkdtempSync(join(tmpdir(), "vouch-cli-scan-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = { VOUCH_DATA_DIR: join(work, "data") };
beforeAll(() => {
  const r = vouch(["db", "import", RECORDS, "--epss", join(FEEDS, "epss.csv"), "--kev", join(FEEDS, "kev.json")], { env });
  expect(r.code, r.stderr).toBe(0);
});

/** The Log4Shell table: version → the fixed version of its branch, or undefined when not affected. */
const LOG4SHELL: [string, string | undefined][] = [
  ["2.14.1", "2.15.0"],
  ["2.15.0", undefined],
  ["2.12.1", "2.12.2"],
  ["2.12.2", undefined],
  ["2.3.0", "2.3.1"],
  ["2.3.1", undefined],
];

function file(name: string, content: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

const log4jPurl = (v: string) => `pkg:maven/org.apache.logging.log4j/log4j-core@${v}`;

const SBOM = file("app.cdx.json", {
  bomFormat: "CycloneDX",
  specVersion: "1.6",
  serialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  version: 1,
  metadata: { component: { type: "application", "bom-ref": "app", name: "app", version: "1.0.0", purl: "pkg:maven/com.example/app@1.0.0" } },
  components: [
    ...LOG4SHELL.map(([v]) => ({ type: "library", "bom-ref": log4jPurl(v), group: "org.apache.logging.log4j", name: "log4j-core", version: v, purl: log4jPurl(v) })),
    { type: "library", "bom-ref": "vendored-zlib", name: "zlib", version: "1.2.11" },
    { type: "library", "bom-ref": "tool", name: "tool", version: "1.0", purl: "pkg:generic/tool@1.0" },
  ],
});

interface JsonFinding {
  vulnerability: { id: string; aliases: string[]; fixedIn: string[]; severity?: { bucket: string; score?: number }; kev?: unknown; epss?: { score: number } };
  component: { purl: string; version: string; name: string };
  match: { package: string; via: string; ecosystem: string };
  vex?: { status: string; justification?: string };
  suppressed: boolean;
}

function scanJson(args: string[]) {
  const r = vouch(["scan", ...args, "-o", "json"], { env });
  return { ...r, json: r.stdout === "" ? undefined : (JSON.parse(r.stdout) as { findings: JsonFinding[]; scan: Record<string, unknown>; summary: Record<string, unknown> }) };
}

describe("vouch scan (the CLI, end to end, over the real OSV records)", () => {
  it("Log4Shell's three ranges as the issue's table says; components without a usable purl counted, not dropped", () => {
    const r = scanJson([SBOM]);
    expect(r.code, r.stderr).toBe(0);
    const findings = r.json!.findings;
    for (const [version, fixed] of LOG4SHELL) {
      const hits = findings.filter((f) => f.component.purl === log4jPurl(version));
      if (fixed === undefined) expect(hits, version).toEqual([]);
      else {
        expect(hits, version).toHaveLength(1);
        expect(hits[0]!.vulnerability).toMatchObject({ id: "GHSA-jfh8-c2jp-5v3q", aliases: ["CVE-2021-44228"], fixedIn: [fixed], severity: { bucket: "critical", score: 10 } });
      }
    }
    expect(findings).toHaveLength(3);
    // EPSS and KEV from the feeds imported beside the records.
    expect(findings[0]!.vulnerability.epss).toMatchObject({ score: 0.94358 });
    expect(findings[0]!.vulnerability.kev).toMatchObject({ dateAdded: expect.any(String) });
    expect(r.json!.scan).toMatchObject({
      components: 8,
      matched: 6,
      vulnerable: 3,
      unmatched: [
        { reason: "no OSV ecosystem for purl type \"generic\"", count: 1 },
        { reason: "no purl", count: 1 },
      ],
      unmatchedComponents: [
        { name: "tool", reason: 'no OSV ecosystem for purl type "generic"', purl: "pkg:generic/tool@1.0" },
        { name: "zlib", reason: "no purl" },
      ],
    });
    expect(r.stderr).toBe(
      `scanned ${SBOM}: 8 components, 6 matched against the advisory database (3 vulnerable), 2 unmatched (1 no OSV ecosystem for purl type "generic"; 1 no purl)\n` +
        "findings: 3 (3 critical), 0 suppressed by VEX\n",
    );
  });

  it("prints the table grype users know", () => {
    const r = vouch(["scan", SBOM], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME +INSTALLED +FIXED IN +TYPE +VULNERABILITY +SEVERITY +EPSS +KEV$/);
    expect(lines.slice(1)).toHaveLength(3);
    expect(r.stdout).toMatch(/org\.apache\.logging\.log4j:log4j-core +2\.14\.1 +2\.15\.0 +maven +GHSA-jfh8-c2jp-5v3q +Critical +94\.4% .* yes/);
  });

  it("gates: --fail-on and --fail-on-kev exit 1 and say why; --only-fixed drops findings without a fix", () => {
    const critical = vouch(["scan", SBOM, "--fail-on", "critical", "-o", "json"], { env });
    expect(critical.code).toBe(1);
    expect(critical.stderr).toContain("gate failed: 3 findings at or above critical (--fail-on)");
    const kev = vouch(["scan", SBOM, "--fail-on-kev", "-q"], { env });
    expect(kev.code).toBe(1);
    expect(kev.stderr).toBe("");
    const clean = file("clean.cdx.json", {
      bomFormat: "CycloneDX",
      specVersion: "1.6",
      version: 1,
      components: [{ type: "library", "bom-ref": "x", name: "log4j-core", group: "org.apache.logging.log4j", version: "2.17.1", purl: log4jPurl("2.17.1") }],
    });
    expect(vouch(["scan", clean, "--fail-on", "low", "--fail-on-kev"], { env }).code).toBe(0);
    const bad = vouch(["scan", SBOM, "--fail-on", "severe"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([expect.stringContaining("--fail-on must be one of low, medium, high, critical")]);
    // The lodash advisory's range for 4.17.15 has a fix; the MAL record lists a version with none.
    const mixed = file("mixed.cdx.json", {
      bomFormat: "CycloneDX",
      specVersion: "1.6",
      version: 1,
      components: [
        { type: "library", "bom-ref": "l", name: "lodash", version: "4.17.15", purl: "pkg:npm/lodash@4.17.15" },
        { type: "library", "bom-ref": "m", name: "123bla", version: readMalVersion(), purl: `pkg:pypi/123bla@${readMalVersion()}` },
      ],
    });
    const all = scanJson([mixed]);
    expect(all.json!.findings.map((f) => f.vulnerability.id).sort()).toEqual(["GHSA-p6mc-m468-83gw", "MAL-2024-10238"]);
    const fixedOnly = scanJson([mixed, "--only-fixed"]);
    expect(fixedOnly.json!.findings.map((f) => f.vulnerability.id)).toEqual(["GHSA-p6mc-m468-83gw"]);
    expect(fixedOnly.stderr).toContain("1 without a fix left out (--only-fixed)");
  });

  it("VEX: an OpenVEX not_affected statement suppresses the finding (kept in JSON with its justification, hidden from the table, not gated)", () => {
    const vex = file("app.openvex.json", {
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex/app-1",
      author: "Example Security",
      timestamp: "2024-01-01T00:00:00Z",
      version: 1,
      statements: [
        {
          vulnerability: { name: "CVE-2021-44228" },
          products: [{ "@id": log4jPurl("2.14.1") }],
          status: "not_affected",
          justification: "vulnerable_code_not_in_execute_path",
          impact_statement: "JNDI lookups are disabled",
        },
      ],
    });
    const r = scanJson([SBOM, "--vex", vex]);
    expect(r.code, r.stderr).toBe(0);
    const suppressed = r.json!.findings.find((f) => f.component.version === "2.14.1")!;
    expect(suppressed).toMatchObject({ suppressed: true, vex: { status: "not_affected", justification: "vulnerable_code_not_in_execute_path" } });
    expect(r.json!.findings.filter((f) => f.suppressed)).toHaveLength(1);
    expect(r.stderr).toContain("findings: 2 (2 critical), 1 suppressed by VEX");

    const table = vouch(["scan", SBOM, "--vex", vex], { env });
    expect(table.stdout).not.toMatch(/ 2\.14\.1 /);
    expect(table.stdout).toContain("1 suppressed by VEX (not_affected); --show-suppressed lists them");
    expect(vouch(["scan", SBOM, "--vex", vex, "--show-suppressed"], { env }).stdout).toMatch(/ 2\.14\.1 .*not_affected/);

    // The gate counts the two left; with them stated not_affected too it passes.
    const all = file("all.openvex.json", {
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex/app-2",
      author: "Example Security",
      timestamp: "2024-01-02T00:00:00Z",
      version: 1,
      statements: [{ vulnerability: { name: "GHSA-jfh8-c2jp-5v3q" }, products: [{ "@id": "pkg:maven/org.apache.logging.log4j/log4j-core" }], status: "not_affected", justification: "component_not_present" }],
    });
    expect(vouch(["scan", SBOM, "--vex", vex, "--fail-on", "high"], { env }).code).toBe(1);
    expect(vouch(["scan", SBOM, "--vex", vex, "--vex", all, "--fail-on", "high"], { env }).code).toBe(0);

    const broken = file("broken.openvex.json", "{ nope");
    const bad = vouch(["scan", SBOM, "--vex", broken], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^vouch: .*broken\.openvex\.json: /)]);
  });

  it("-o sarif is valid SARIF 2.1.0 and -o cyclonedx-vex valid CycloneDX 1.6", () => {
    const sarif = vouch(["scan", SBOM, "-o", "sarif"], { env });
    expect(sarif.code).toBe(0);
    const log = JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation?: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0]!.results).toHaveLength(3);
    expect(log.runs[0]!.results[0]!.locations[0]!.physicalLocation?.artifactLocation.uri).toBe(SBOM);

    const cdx = vouch(["scan", SBOM, "-o", "cyclonedx-vex"], { env });
    expect(cdx.code).toBe(0);
    const bom = JSON.parse(cdx.stdout) as { vulnerabilities: { id: string; affects: { ref: string }[] }[]; metadata: { component: { name: string } } };
    expect(schemaErrors("cyclonedx-1.6", bom)).toEqual([]);
    expect(bom.vulnerabilities.map((v) => v.id)).toEqual(["GHSA-jfh8-c2jp-5v3q", "GHSA-jfh8-c2jp-5v3q", "GHSA-jfh8-c2jp-5v3q"]);
    expect(bom.metadata.component.name).toBe("app");
  });

  it("a Debian image: binary packages matched through their source packages, in their release only", () => {
    const rootfs = join(work, "stretch");
    mkdirSync(join(rootfs, "etc"), { recursive: true });
    mkdirSync(join(rootfs, "var", "lib", "dpkg"), { recursive: true });
    writeFileSync(join(rootfs, "etc", "os-release"), STRETCH_OS_RELEASE);
    writeFileSync(join(rootfs, "var", "lib", "dpkg", "status"), STRETCH_STATUS);
    const r = scanJson([`rootfs:${rootfs}`]);
    expect(r.code, r.stderr).toBe(0);
    const byId = (id: string) => r.json!.findings.filter((f) => f.vulnerability.id === id).map((f) => [f.component.name, f.component.version, f.match.package, f.match.via, f.vulnerability.fixedIn]);
    // libssl1.1 and openssl are built from openssl: DLA-3008-1 (Debian:9, fixed 1.1.0l-1~deb9u6) is about the source.
    expect(byId("DLA-3008-1")).toEqual([
      ["libssl1.1", "1.1.0l-1~deb9u5", "openssl", "source package", ["1.1.0l-1~deb9u6"]],
      ["openssl", "1.1.0l-1~deb9u5", "openssl", "package", ["1.1.0l-1~deb9u6"]],
    ]);
    // libxml2's binNMU (+b1) is compared at its source version, the one before the fix.
    expect(byId("DLA-3012-1")).toEqual([["libxml2", "2.9.4+dfsg1-2.2+deb9u6+b1", "libxml2", "package", ["2.9.4+dfsg1-2.2+deb9u7"]]]);
    expect(r.json!.scan).toMatchObject({ components: 4, matched: 4, vulnerable: 3 });
    expect(r.json!.findings.every((f) => f.match.ecosystem === "Debian:9")).toBe(true);
    // The CVE the DLA names upstream carries no EPSS in the fixture feed; none is invented.
    expect(r.json!.findings.every((f) => f.vulnerability.epss === undefined)).toBe(true);

    // A real Debian 12 root file system: every package looked up by source, none matched by Debian 9's advisories.
    const bookworm = join(work, "bookworm");
    cpSync(BOOKWORM, bookworm, { recursive: true });
    const b = scanJson([`rootfs:${bookworm}`]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.json!.findings).toEqual([]);
    expect(b.json!.scan).toMatchObject({ components: 10, matched: 10, vulnerable: 0, unmatched: [] });
  });

  it("an Alpine image as an OCI layout and in a registry: musl matched in the image's release (origin package), the same findings both ways", async () => {
    // The apk fixture's root file system (Alpine 3.19, musl 1.2.4_git20230717-r4; v3.19's fix is -r5) as one layer.
    const entries: TarInput[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
        else if (name !== "SOURCE") entries.push({ name: `${prefix}${name}`, body: readFileSync(path) });
      }
    };
    walk(ALPINE, "");
    const image = buildImage({ layers: [{ entries }] });
    const layout = writeFiles(join(work, "alpine-layout"), ociLayoutFiles([{ image, refName: "3.19" }]));
    const fromLayout = scanJson([`oci-dir:${layout}`]);
    expect(fromLayout.code, fromLayout.stderr).toBe(0);
    const musl = (r: typeof fromLayout) =>
      r.json!.findings.filter((f) => f.vulnerability.id === "ALPINE-CVE-2025-26519").map((f) => [f.component.name, f.match.ecosystem, f.match.package, f.vulnerability.fixedIn]);
    expect(musl(fromLayout)).toEqual([["musl", "Alpine:v3.19", "musl", ["1.2.4_git20230717-r5"]]]);

    const registry = await startOciRegistry();
    try {
      for (const blob of image.blobs.values()) registry.putBlob("alpine", blob);
      registry.putManifest("alpine", "3.19", image.manifest.bytes, image.manifest.descriptor.mediaType);
      const fromRegistry = await vouchAsync(["scan", `registry:${registry.host}/alpine:3.19`, "-o", "json"], { env });
      expect(fromRegistry.code, fromRegistry.stderr).toBe(0);
      const json = JSON.parse(fromRegistry.stdout) as NonNullable<typeof fromLayout.json>;
      expect(musl({ ...fromRegistry, json })).toEqual(musl(fromLayout));
      expect(json.findings.length).toBe(fromLayout.json!.findings.length);
    } finally {
      await registry.stop();
    }
  });

  it("scans a directory by cataloging it in memory", () => {
    const dir = join(work, "project");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "package-lock.json"),
      JSON.stringify({
        name: "project",
        version: "1.0.0",
        lockfileVersion: 3,
        requires: true,
        packages: {
          "": { name: "project", version: "1.0.0", dependencies: { lodash: "4.17.15" } },
          "node_modules/lodash": { version: "4.17.15", resolved: "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz", integrity: "sha512-8xOcRHvCjnocdS5cpwXQXVzmmh5e5+saE2QGoeQmbKmRS6J3VQppPOIt0MnmE+4xlZoumy0GPG0D0MVIQbNA1A==" },
        },
      }),
    );
    const r = scanJson([dir, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.findings.map((f) => [f.vulnerability.id, f.component.name])).toEqual([["GHSA-p6mc-m468-83gw", "lodash"]]);
    const sarif = JSON.parse(vouch(["scan", dir, "-o", "sarif"], { env }).stdout) as { runs: { results: { locations: { physicalLocation?: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation?.artifactLocation.uri).toBe(encodeURI(`${dir}/package-lock.json`));
  });

  it("bad input: an SBOM that is not JSON, a missing target, an unknown -o, an empty database: exit 2, one line", () => {
    // No newline: V8 quotes the start of the text in its message, and core/encoding/json-text.ts passes a newline
    // there on (reported to the lead: it would make this message two lines).
    const notJson = file("not-json.cdx.json", "this is not JSON");
    const r = vouch(["scan", notJson], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^vouch: .*not-json\.cdx\.json.*JSON/)]);

    const missing = vouch(["scan", join(work, "nope.json")], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);

    const format = vouch(["scan", SBOM, "-o", "xml"], { env });
    expect(format.code).toBe(2);
    expect(format.stderr.trim()).toBe("vouch: -o xml: use one of table, json, sarif, cyclonedx-vex");

    const empty = vouch(["scan", SBOM], { env: { VOUCH_DATA_DIR: join(work, "empty-data") } });
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe("vouch: the advisory database is empty: import OSV records first (vouch db import PATH…)");
  });
});

function readMalVersion(): string {
  return (JSON.parse(readFileSync(join(RECORDS, "MAL-2024-10238.json"), "utf8")) as { affected: { versions: string[] }[] }).affected[0]!.versions[0]!;
}

/** The SARIF 2.1.0 schema beside the report writers (src/vuln/report/fixtures/SOURCE.md says why `id` is renamed). */
function sarifErrors(doc: unknown): string[] {
  const { id, $schema: _drop, ...rest } = JSON.parse(readFileSync(join(REPO, "src", "vuln", "report", "fixtures", "sarif-2.1.0-rtm.5.json"), "utf8")) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, unicodeRegExp: false });
  ajvFormats.default(ajv);
  const validate = ajv.compile({ $id: id as string, ...rest });
  if (validate(doc)) return [];
  return (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

/** Debian 9's os-release, as stretch shipped it. */
const STRETCH_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 9 (stretch)"
NAME="Debian GNU/Linux"
VERSION_ID="9"
VERSION="9 (stretch)"
VERSION_CODENAME=stretch
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

/**
 * dpkg status paragraphs in Debian 9's shape (fields as dpkg writes them, trimmed): libssl1.1 and openssl from the
 * openssl source at the version before DLA-3008-1's fix; libxml2 as a binNMU of the source version before
 * DLA-3012-1's fix; bash, whose source no fixture advisory names.
 */
const STRETCH_STATUS = `Package: libssl1.1
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 4073
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@lists.alioth.debian.org>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 1.1.0l-1~deb9u5
Depends: libc6 (>= 2.14)
Description: Secure Sockets Layer toolkit - shared libraries

Package: openssl
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 1422
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@lists.alioth.debian.org>
Architecture: amd64
Version: 1.1.0l-1~deb9u5
Depends: libc6 (>= 2.15), libssl1.1 (>= 1.1.0)
Description: Secure Sockets Layer toolkit - cryptographic utility

Package: libxml2
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 1851
Maintainer: Debian XML/SGML Group <debian-xml-sgml-pkgs@lists.alioth.debian.org>
Architecture: amd64
Multi-Arch: same
Source: libxml2 (2.9.4+dfsg1-2.2+deb9u6)
Version: 2.9.4+dfsg1-2.2+deb9u6+b1
Depends: libc6 (>= 2.15)
Description: GNOME XML library

Package: bash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 5799
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Version: 4.4-5
Description: GNU Bourne Again SHell
`;
