import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresUnavailable } from "../../test/support/postgres.js";
import { openPostgresAdvisoryStore } from "../store/postgres/advisory-store.js";
import { openSqliteAdvisoryStore } from "../store/sqlite/advisory-store.js";
import type { AdvisoryStore } from "../store/ports.js";
import { parseOsvJson, parseOsvRecord, type OsvRecord } from "../vuln/osv/parse.js";
import { readScanTarget, renderScan, scan, scanMany } from "./scan.js";

const RECORDS = join(import.meta.dirname, "..", "vuln", "osv", "fixtures", "records");
const work = mkdtempSync(join(tmpdir(), "vouch-api-scan-"));
let store: AdvisoryStore;
afterAll(() => rmSync(work, { recursive: true, force: true }));

function records(): OsvRecord[] {
  const out = readdirSync(RECORDS).map((f) => parseOsvJson(readFileSync(join(RECORDS, f), "utf8")));
  // An NVD-style record of Log4Shell under its CVE id, naming the GHSA among its aliases: the store joins them.
  const ghsa = JSON.parse(readFileSync(join(RECORDS, "GHSA-jfh8-c2jp-5v3q.json"), "utf8")) as Record<string, unknown>;
  out.push(parseOsvRecord({ ...ghsa, id: "CVE-2021-44228", aliases: ["GHSA-jfh8-c2jp-5v3q"], modified: "2025-01-01T00:00:00Z" }));
  return out;
}

function write(name: string, doc: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

// The same scans over both advisory store drivers (PostgreSQL: DATABASE_URL, else the embedded server; skipped with
// the reason printed when neither can be had).
const postgresMissing = await postgresUnavailable();
const BACKENDS = [
  { name: "SQLite", skip: undefined, open: async () => ({ store: await openSqliteAdvisoryStore(join(work, "advisories.sqlite")), drop: async () => undefined }) },
  {
    name: "PostgreSQL",
    skip: postgresMissing,
    open: async () => {
      const database = await createTestDatabase();
      return { store: await openPostgresAdvisoryStore(database.url), drop: () => database.drop() };
    },
  },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`scan (the library, over the ${backend.name} advisory store)`, () => {
    let drop: () => Promise<unknown> = async () => undefined;
    beforeAll(async () => {
      const opened = await backend.open();
      store = opened.store;
      drop = opened.drop;
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: records() });
    });
    afterAll(async () => {
      await store.close();
      await drop();
    });

    it("reports a vulnerability the store holds under two ids once per component", async () => {
      const sbom = write("a.cdx.json", {
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        version: 1,
        components: ["2.14.1", "2.3.0"].map((v) => ({ type: "library", "bom-ref": v, group: "org.apache.logging.log4j", name: "log4j-core", version: v, purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${v}` })),
      });
      const result = await scan(store, await readScanTarget(sbom));
      expect(result.findings.map((f) => [f.component.version, f.vulnerability.id, f.vulnerability.aliases])).toEqual([
        ["2.14.1", "GHSA-jfh8-c2jp-5v3q", ["CVE-2021-44228"]],
        ["2.3.0", "GHSA-jfh8-c2jp-5v3q", ["CVE-2021-44228"]],
      ]);
    });

    it("scans many SBOMs with one lookup of their packages' union, each result as scan gives it", async () => {
      const targets = await Promise.all(
        ["2.14.1", "2.12.2", "2.3.0"].map((v) =>
          readScanTarget(
            write(`many-${v}.cdx.json`, {
              bomFormat: "CycloneDX",
              specVersion: "1.5",
              version: 1,
              components: [{ type: "library", "bom-ref": v, group: "org.apache.logging.log4j", name: "log4j-core", version: v, purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${v}` }],
            }),
          ),
        ),
      );
      let lookups = 0;
      const counting: AdvisoryStore = { ...store, findByPackages: (keys) => (lookups++, store.findByPackages(keys)) } as AdvisoryStore;
      const many = await scanMany(counting, targets);
      expect(lookups).toBe(1);
      expect(many.map((r) => r.findings.map((f) => f.vulnerability.id))).toEqual([["GHSA-jfh8-c2jp-5v3q"], [], ["GHSA-jfh8-c2jp-5v3q"]]);
      for (const [i, target] of targets.entries()) expect(many[i]!.findings).toEqual((await scan(store, target)).findings);
    });

    it("scans a fleet in rounds of at most keysPerBatch distinct packages, each result as scan gives it", async () => {
      const component = (purl: string) => {
        const [, type, rest] = /^pkg:([^/]+)\/(.+)@/.exec(purl)!;
        return { type: "library", "bom-ref": purl, name: rest!.split("/").pop()!, version: purl.split("@")[1]!, purl, ...(type === "maven" ? { group: "org.apache.logging.log4j" } : {}) };
      };
      const purls = ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:npm/lodash@4.17.15", "pkg:maven/org.apache.logging.log4j/log4j-core@2.3.0"];
      const targets = await Promise.all(
        purls.map((purl, i) => readScanTarget(write(`fleet-${i}.cdx.json`, { bomFormat: "CycloneDX", specVersion: "1.5", version: 1, components: [component(purl)] }))),
      );
      const asked: string[][] = [];
      const counting: AdvisoryStore = { ...store, findByPackages: (keys) => (asked.push(keys.map((k) => k.name)), store.findByPackages(keys)) } as AdvisoryStore;
      const many = await scanMany(counting, targets, { keysPerBatch: 1 });
      expect(asked).toEqual([["org.apache.logging.log4j:log4j-core"], ["lodash"], ["org.apache.logging.log4j:log4j-core"]]);
      expect(many.map((r) => r.findings.map((f) => f.vulnerability.id))).toEqual([["GHSA-jfh8-c2jp-5v3q"], ["GHSA-p6mc-m468-83gw"], ["GHSA-jfh8-c2jp-5v3q"]]);
      for (const [i, target] of targets.entries()) expect(many[i]!.findings).toEqual((await scan(store, target)).findings);
    });

    it("reads SPDX 2.3 JSON, with purls from externalRefs", async () => {
      const sbom = write("a.spdx.json", {
        spdxVersion: "SPDX-2.3",
        dataLicense: "CC0-1.0",
        SPDXID: "SPDXRef-DOCUMENT",
        name: "app",
        documentNamespace: "https://example.com/app",
        creationInfo: { created: "2025-01-01T00:00:00Z", creators: ["Tool: test"] },
        packages: [
          {
            SPDXID: "SPDXRef-Package-lodash",
            name: "lodash",
            versionInfo: "4.17.15",
            downloadLocation: "NOASSERTION",
            externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: "pkg:npm/lodash@4.17.15" }],
          },
          { SPDXID: "SPDXRef-Package-plain", name: "plain", versionInfo: "1", downloadLocation: "NOASSERTION" },
        ],
      });
      const result = await scan(store, await readScanTarget(sbom));
      expect(result.findings.map((f) => f.vulnerability.id)).toEqual(["GHSA-p6mc-m468-83gw"]);
      expect(result.counts).toMatchObject({ components: 2, matched: 1, unmatched: [{ reason: "no purl", count: 1 }] });
    });

    it("matches trivy's Debian SBOMs through the SrcName/SrcVersion properties; an invalid purl is counted", async () => {
      const sbom = write("trivy.cdx.json", {
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        version: 1,
        components: [
          {
            type: "library",
            "bom-ref": "pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?arch=amd64&distro=debian-9.13",
            name: "libssl1.1",
            version: "1.1.0l-1~deb9u5",
            purl: "pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?arch=amd64&distro=debian-9.13",
            properties: [
              { name: "aquasecurity:trivy:SrcName", value: "openssl" },
              { name: "aquasecurity:trivy:SrcVersion", value: "1.1.0l" },
              { name: "aquasecurity:trivy:SrcRelease", value: "1~deb9u5" },
            ],
          },
          { type: "library", "bom-ref": "bad", name: "bad", version: "1", purl: "not a purl" },
        ],
      });
      const result = await scan(store, await readScanTarget(sbom));
      expect(result.findings.map((f) => [f.vulnerability.id, f.match.package, f.match.via])).toEqual([["DLA-3008-1", "openssl", "source package"]]);
      expect(result.counts.unmatched).toEqual([{ reason: "purl is not a valid package URL", count: 1 }]);
    });

    it("CycloneDX output is reproducible with a given clock and serial number", async () => {
      const sbom = write("b.cdx.json", {
        bomFormat: "CycloneDX",
        specVersion: "1.6",
        version: 1,
        metadata: { component: { type: "application", "bom-ref": "app", name: "app" } },
        components: [{ type: "library", "bom-ref": "l", name: "lodash", version: "4.17.15", purl: "pkg:npm/lodash@4.17.15" }],
      });
      const result = await scan(store, await readScanTarget(sbom));
      const opts = { now: () => new Date("2025-01-01T00:00:00.000Z"), serialNumber: "urn:uuid:00000000-0000-4000-8000-000000000000" };
      const a = renderScan(result, "cyclonedx-vex", opts);
      expect(renderScan(result, "cyclonedx-vex", opts)).toBe(a);
      expect(JSON.parse(a)).toMatchObject({ serialNumber: opts.serialNumber, metadata: { timestamp: "2025-01-01T00:00:00Z", component: { name: "app", "bom-ref": "app" } } });
    });
  });
}
