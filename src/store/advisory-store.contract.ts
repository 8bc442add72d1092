import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseOsvJson, type OsvRecord } from "../vuln/osv/parse.js";
import type { AdvisoryStore, EpssScore, KevCatalog, KevEntry } from "./ports.js";

/**
 * The AdvisoryStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver. A driver's test
 * file calls `describeAdvisoryStoreContract` with a fixture that opens its store at a fresh, empty location per test.
 * Records are the real OSV records of src/vuln/osv/fixtures (parsed as the importer parses them), and variants of
 * them with one field changed.
 */

export interface AdvisoryStoreFixture {
  /** Opens (again) the store at this fixture's location, which starts out empty. */
  open(): Promise<AdvisoryStore>;
  /** Removes the location once every store on it is closed. */
  dispose?(): Promise<void>;
}

const RECORDS_DIR = join(import.meta.dirname, "..", "vuln", "osv", "fixtures", "records");

/** Every fixture record, parsed, by id. */
function realRecords(): Map<string, OsvRecord> {
  const out = new Map<string, OsvRecord>();
  for (const f of readdirSync(RECORDS_DIR).filter((n) => n.endsWith(".json")).sort()) {
    const r = parseOsvJson(readFileSync(join(RECORDS_DIR, f), "utf8"));
    out.set(r.id, r);
  }
  return out;
}

/** A copy of `record` with some fields changed (parse.ts shapes are plain data). */
function variant(record: OsvRecord, change: Partial<OsvRecord>): OsvRecord {
  return { ...structuredClone(record), ...change };
}

/** A small synthetic record of one npm package (for volume and alias tests). */
function synthetic(id: string, pkg: string, modified = "2024-01-01T00:00:00Z", aliases: string[] = []): OsvRecord {
  return {
    schemaVersion: "1.6.0",
    id,
    modified,
    aliases,
    upstream: [],
    related: [],
    severity: [],
    references: [],
    affected: [
      {
        package: { ecosystem: "npm", parsedEcosystem: { ecosystem: "npm", known: true }, name: pkg, normalizedName: pkg },
        severity: [],
        ranges: [{ type: "SEMVER", events: [{ kind: "introduced", version: "0" }, { kind: "fixed", version: "1.0.0" }] }],
        versions: [],
      },
    ],
  } as OsvRecord;
}

function kevEntry(cveID: string, dateAdded = "2021-12-10"): KevEntry {
  return {
    cveID,
    vendorProject: "Apache",
    product: "Log4j2",
    vulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability",
    dateAdded,
    shortDescription: "JNDI features do not protect against attacker-controlled LDAP endpoints.",
    requiredAction: "Apply updates per vendor instructions.",
    dueDate: "2021-12-24",
    knownRansomwareCampaignUse: "Known",
    notes: "",
    cwes: ["CWE-20", "CWE-400", "CWE-502"],
  };
}

async function* throwingAfter<T>(items: T[], error: Error): AsyncGenerator<T> {
  for (const item of items) yield item;
  throw error;
}

const ids = (records: OsvRecord[]) => records.map((r) => r.id);

export function describeAdvisoryStoreContract(name: string, makeFixture: () => Promise<AdvisoryStoreFixture>): void {
  describe(`AdvisoryStore contract: ${name}`, () => {
    let fixture: AdvisoryStoreFixture;
    let opened: AdvisoryStore[];
    const real = realRecords();
    const rec = (id: string): OsvRecord => {
      const r = real.get(id);
      if (r === undefined) throw new Error(`no fixture record ${id}`);
      return r;
    };

    const open = async (): Promise<AdvisoryStore> => {
      const store = await fixture.open();
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      opened = [];
    });

    afterEach(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      await fixture.dispose?.();
    });

    it("an empty store finds nothing and says so in its status", async () => {
      const store = await open();
      expect(await store.findByPackages([{ ecosystem: "npm", name: "lodash" }])).toEqual([[]]);
      expect(await store.findById("GHSA-jfh8-c2jp-5v3q")).toEqual([]);
      expect(await store.aliasGroups(["CVE-2021-44228"])).toEqual([["CVE-2021-44228"]]);
      expect(await store.findEpss(["CVE-2021-44228"])).toEqual([]);
      expect(await store.findKev(["CVE-2021-44228"])).toEqual([]);
      expect(await store.status()).toEqual({ records: 0, withdrawn: 0, ecosystems: [], feeds: {} });
      expect(await store.scanStatus()).toEqual({ holdsRecords: false, feeds: {} });
    });

    it("finds records by their own ids only, never withdrawn ones, each once and sorted", async () => {
      const store = await open();
      const withdrawn = rec("GHSA-35c4-f3rq-f9g3");
      const log4j = rec("GHSA-jfh8-c2jp-5v3q");
      const go = rec("GO-2022-0969");
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [withdrawn, log4j, go] });
      expect(await store.findByIds([go.id, log4j.id, withdrawn.id, "CVE-2021-44228", go.id, "NOPE-1"])).toEqual([log4j, go]);
      expect(await store.findByIds([])).toEqual([]);
    });

    it("stores source entry fingerprints with the records they came with, the latest per name, all or nothing", async () => {
      const store = await open();
      expect(await store.entryFingerprints()).toEqual(new Map());
      const entries = () => [{ name: "a.json", fingerprint: "1" }, { name: "b.json", fingerprint: "2" }, { name: "a.json", fingerprint: "3" }];
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [rec("GO-2022-0969")], entries });
      expect(await store.entryFingerprints()).toEqual(new Map([["a.json", "3"], ["b.json", "2"]]));
      async function* failing(): AsyncGenerator<OsvRecord> {
        yield rec("GO-2023-2102");
        throw new Error("the source broke");
      }
      await expect(store.import({ importedAt: "2025-06-02T00:00:00Z", records: failing(), entries: () => [{ name: "c.json", fingerprint: "4" }] })).rejects.toThrow();
      expect(await store.entryFingerprints()).toEqual(new Map([["a.json", "3"], ["b.json", "2"]]));
    });

    it("scanStatus agrees with status: records held (withdrawn ones do not count) and the same feeds", async () => {
      const store = await open();
      const withdrawn = rec("GHSA-35c4-f3rq-f9g3");
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [withdrawn] });
      expect(await store.scanStatus()).toEqual({ holdsRecords: false, feeds: (await store.status()).feeds });
      await store.import({ importedAt: "2025-06-02T00:00:00Z", records: [rec("GO-2022-0969")], kev: { catalogVersion: "1", dateReleased: "2025-06-02T00:00:00Z", entries: [] } });
      const status = await store.status();
      expect(await store.scanStatus()).toEqual({ holdsRecords: true, feeds: status.feeds });
      expect(status.feeds.kev).toBeDefined();
    });

    it("a record read once and then replaced, or withdrawn, by another store on the same location is read as it is now", async () => {
      const reader = await open();
      const writer = await open();
      const base = synthetic("TEST-2", "a", "2024-01-02T00:00:00Z");
      await writer.import({ importedAt: "2025-06-01T00:00:00Z", records: [base] });
      const key = { ecosystem: "npm", name: "a" };
      expect(await reader.findByPackages([key])).toEqual([[base]]);
      expect(await reader.findByPackages([key])).toEqual([[base]]);
      const later = { ...synthetic("TEST-2", "a", "2024-01-03T00:00:00Z"), summary: "later" };
      await writer.import({ importedAt: "2025-06-02T00:00:00Z", records: [later] });
      expect(await reader.findByPackages([key])).toEqual([[later]]);
      const gone = { ...later, modified: "2024-01-04T00:00:00Z", withdrawn: "2024-01-04T00:00:00Z" };
      await writer.import({ importedAt: "2025-06-03T00:00:00Z", records: [gone] });
      expect(await reader.findByPackages([key])).toEqual([[]]);
      // Alias groups and package lookups asked before another store's import are answered as they are after it.
      expect(await reader.aliasGroups(["CVE-9", "TEST-3"])).toEqual([["CVE-9"], ["TEST-3"]]);
      expect(await reader.findByPackages([{ ecosystem: "npm", name: "b" }])).toEqual([[]]);
      const linking = synthetic("TEST-3", "b", "2024-01-01T00:00:00Z", ["CVE-9"]);
      await writer.import({ importedAt: "2025-06-04T00:00:00Z", records: [linking] });
      expect(await reader.aliasGroups(["CVE-9", "TEST-3"])).toEqual([["CVE-9", "TEST-3"]]);
      expect(await reader.findByPackages([{ ecosystem: "npm", name: "b" }])).toEqual([[linking]]);
    });

    it("stores every real record and returns it deep-equal, by package (any release) and by id", async () => {
      const store = await open();
      const counts = await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [...real.values()] });
      expect(counts).toEqual({ inserted: real.size, updated: 0, unchanged: 0, older: 0 });
      for (const r of real.values()) expect(await store.findById(r.id)).toContainEqual(r);
      const found = await store.findByPackages([
        { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core" },
        { ecosystem: "npm", name: "lodash" },
        { ecosystem: "npm", name: "lodash-es" },
        { ecosystem: "crates.io", name: "openssl" },
        { ecosystem: "Go", name: "stdlib" },
        { ecosystem: "Alpine", name: "musl" },
        { ecosystem: "Debian", name: "openssl" },
        { ecosystem: "PyPI", name: "flask-cors" },
        { ecosystem: "npm", name: "left-pad" },
        // Names are compared as stored (normalised by the caller): this spelling is not the normalised one.
        { ecosystem: "PyPI", name: "Flask_Cors" },
        // Ecosystem names are not suffixed: "Debian:9" is the caller's mistake, and finds nothing.
        { ecosystem: "Debian:9", name: "openssl" },
      ]);
      expect(found.map(ids)).toEqual([
        ["GHSA-jfh8-c2jp-5v3q"],
        ["GHSA-p6mc-m468-83gw"],
        ["GHSA-p6mc-m468-83gw"],
        ["RUSTSEC-2018-0010", "RUSTSEC-2023-0044"],
        ["GO-2022-0969", "GO-2023-2102"],
        ["ALPINE-CVE-2025-26519"],
        ["DLA-3008-1"],
        ["PYSEC-2020-43"],
        [],
        [],
        [],
      ]);
      expect(found[0]![0]).toEqual(rec("GHSA-jfh8-c2jp-5v3q"));
    });

    it("returns each record once per key, keys in the order asked, repeated keys answered each time", async () => {
      const store = await open();
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [rec("GHSA-p6mc-m468-83gw"), rec("GHSA-whgm-jr23-g3j9")] });
      const found = await store.findByPackages([
        { ecosystem: "npm", name: "ansi-html" },
        { ecosystem: "npm", name: "lodash" },
        { ecosystem: "npm", name: "ansi-html" },
      ]);
      expect(found.map(ids)).toEqual([["GHSA-whgm-jr23-g3j9"], ["GHSA-p6mc-m468-83gw"], ["GHSA-whgm-jr23-g3j9"]]);
      // ALPINE-CVE-2025-26519 affects musl in nine Alpine releases: one record, once.
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [rec("ALPINE-CVE-2025-26519")] });
      expect((await store.findByPackages([{ ecosystem: "Alpine", name: "musl" }])).map(ids)).toEqual([["ALPINE-CVE-2025-26519"]]);
    });

    it("answers thousands of keys in one call", async () => {
      const store = await open();
      const records = Array.from({ length: 1500 }, (_, i) => synthetic(`TEST-${String(i).padStart(5, "0")}`, `pkg-${i % 1200}`));
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records });
      const keys = Array.from({ length: 4000 }, (_, i) => ({ ecosystem: "npm", name: `pkg-${i}` }));
      const found = await store.findByPackages(keys);
      expect(found).toHaveLength(4000);
      expect(ids(found[0]!)).toEqual(["TEST-00000", "TEST-01200"]);
      expect(ids(found[299]!)).toEqual(["TEST-00299", "TEST-01499"]);
      expect(ids(found[300]!)).toEqual(["TEST-00300"]);
      expect(found.slice(1200).every((list) => list.length === 0)).toBe(true);
      expect(found.reduce((n, list) => n + list.length, 0)).toBe(1500);
    });

    it("re-importing changes nothing; an older copy never wins; a later one replaces the record and its index", async () => {
      const store = await open();
      const log4j = rec("GHSA-jfh8-c2jp-5v3q");
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [log4j] });
      expect(await store.import({ importedAt: "2025-06-02T00:00:00Z", records: [log4j] })).toEqual({ inserted: 0, updated: 0, unchanged: 1, older: 0 });

      // The same instant spelled with an offset and fewer fraction digits: unchanged, not "later".
      const sameInstant = variant(log4j, { modified: shiftSpelling(log4j.modified), summary: "same instant, other text" });
      expect(await store.import({ importedAt: "2025-06-02T00:00:00Z", records: [sameInstant] })).toEqual({ inserted: 0, updated: 0, unchanged: 1, older: 0 });
      expect(await store.findById(log4j.id)).toEqual([log4j]);

      const older = variant(log4j, { modified: "2020-01-01T00:00:00Z", summary: "older" });
      expect(await store.import({ importedAt: "2025-06-02T00:00:00Z", records: [older] })).toEqual({ inserted: 0, updated: 0, unchanged: 0, older: 1 });
      expect(await store.findById(log4j.id)).toEqual([log4j]);

      // A later copy that moved to another package: the old key no longer finds it, the new one does.
      const later = variant(log4j, { modified: "2030-01-01T00:00:00.5Z", aliases: ["CVE-2099-0001"] });
      later.affected = [structuredClone(rec("GHSA-whgm-jr23-g3j9").affected[0]!)];
      expect(await store.import({ importedAt: "2025-06-03T00:00:00Z", records: [later] })).toEqual({ inserted: 0, updated: 1, unchanged: 0, older: 0 });
      expect(await store.findById(log4j.id)).toEqual([later]);
      const found = await store.findByPackages([
        { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core" },
        { ecosystem: "npm", name: "ansi-html" },
      ]);
      expect(found.map(ids)).toEqual([[], [log4j.id]]);
      expect(await store.findById("CVE-2021-44228")).toEqual([]);
      expect(ids(await store.findById("CVE-2099-0001"))).toEqual([log4j.id]);
      expect((await store.status()).newestModified).toBe("2030-01-01T00:00:00.500000000Z");
    });

    it("takes copies of one id within one import in order, by the same rule", async () => {
      const store = await open();
      const base = synthetic("TEST-1", "a", "2024-01-02T00:00:00Z");
      const newer = synthetic("TEST-1", "b", "2024-01-03T00:00:00Z");
      const older = synthetic("TEST-1", "c", "2024-01-01T00:00:00Z");
      const counts = await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [base, newer, older, newer] });
      expect(counts).toEqual({ inserted: 1, updated: 1, unchanged: 1, older: 1 });
      expect(await store.findById("TEST-1")).toEqual([newer]);
      expect((await store.findByPackages([{ ecosystem: "npm", name: "a" }, { ecosystem: "npm", name: "b" }])).map(ids)).toEqual([[], ["TEST-1"]]);
    });

    it("keeps withdrawn records, finds them by id and alias, never by package, and never groups through them", async () => {
      const store = await open();
      const withdrawn = rec("GHSA-35c4-f3rq-f9g3");
      expect(withdrawn.withdrawn).toBeDefined();
      const live = variant(withdrawn, { withdrawn: undefined, modified: "2000-01-01T00:00:00Z" });
      delete (live as { withdrawn?: string }).withdrawn;
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [live] });
      const key = { ecosystem: "RubyGems", name: withdrawn.affected[0]!.package!.normalizedName };
      expect((await store.findByPackages([key])).map(ids)).toEqual([[withdrawn.id]]);
      await store.import({ importedAt: "2025-06-02T00:00:00Z", records: [withdrawn] });
      expect(await store.findByPackages([key])).toEqual([[]]);
      expect(await store.findById(withdrawn.id)).toEqual([withdrawn]);
      for (const alias of withdrawn.aliases) {
        expect(await store.findById(alias)).toEqual([withdrawn]);
        expect(await store.aliasGroups([alias])).toEqual([[alias]]);
      }
      expect(await store.status()).toMatchObject({ records: 1, withdrawn: 1, ecosystems: [] });
    });

    it("groups ids joined by aliases, transitively, each id asked in exactly one group", async () => {
      const store = await open();
      await store.import({
        importedAt: "2025-06-01T00:00:00Z",
        records: [
          synthetic("GHSA-aaaa-aaaa-aaaa", "x", undefined, ["CVE-2024-0001"]),
          synthetic("DEBIAN-CVE-2024-0001", "x", undefined, ["CVE-2024-0001"]),
          // Joined through the GHSA id, which it names as an alias: GHSA ↔ CVE ↔ DEBIAN ↔ … ↔ this one.
          synthetic("PYSEC-2024-1", "y", undefined, ["GHSA-aaaa-aaaa-aaaa", "CVE-2024-0002"]),
          synthetic("GHSA-bbbb-bbbb-bbbb", "z", undefined, ["CVE-2024-0009"]),
        ],
      });
      const groups = await store.aliasGroups(["DEBIAN-CVE-2024-0001", "CVE-2024-0002", "GHSA-bbbb-bbbb-bbbb", "CVE-2099-9999", "CVE-2024-0002"]);
      expect(groups).toEqual([
        ["CVE-2024-0001", "CVE-2024-0002", "DEBIAN-CVE-2024-0001", "GHSA-aaaa-aaaa-aaaa", "PYSEC-2024-1"],
        ["CVE-2024-0009", "GHSA-bbbb-bbbb-bbbb"],
        ["CVE-2099-9999"],
      ]);
      // The real records: Log4Shell's GHSA names its CVE.
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [rec("GHSA-jfh8-c2jp-5v3q")] });
      expect(await store.aliasGroups(["GHSA-jfh8-c2jp-5v3q"])).toEqual([["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"]]);
      expect(ids(await store.findById("CVE-2021-44228"))).toEqual(["GHSA-jfh8-c2jp-5v3q"]);
    });

    it("replaces the EPSS and KEV feeds wholesale, and keeps them through an import without them", async () => {
      const store = await open();
      const epss1: EpssScore[] = [
        { cve: "CVE-2021-44228", epss: 0.94358, percentile: 0.99957 },
        { cve: "CVE-2020-0001", epss: 0.00042, percentile: 0.05 },
      ];
      const kev1: KevCatalog = { catalogVersion: "2025.05.30", dateReleased: "2025-05-30T14:00:00.000Z", entries: [kevEntry("CVE-2021-44228"), kevEntry("CVE-2020-0001")] };
      const counts = await store.import({
        importedAt: "2025-06-01T00:00:00Z",
        epss: { modelVersion: "v2025.03.14", scoreDate: "2025-05-31T00:00:00Z", rows: epss1 },
        kev: kev1,
      });
      expect(counts).toEqual({ inserted: 0, updated: 0, unchanged: 0, older: 0, epssRows: 2, kevEntries: 2 });
      expect(await store.findEpss(["CVE-2021-44228", "CVE-2099-0001"])).toEqual([epss1[0]]);
      expect(await store.findKev(["CVE-2021-44228"])).toEqual([kev1.entries[0]]);
      expect((await store.status()).feeds).toEqual({
        epss: { importedAt: "2025-06-01T00:00:00Z", version: "v2025.03.14", date: "2025-05-31T00:00:00Z", count: 2 },
        kev: { importedAt: "2025-06-01T00:00:00Z", version: "2025.05.30", date: "2025-05-30T14:00:00.000Z", count: 2 },
      });

      await store.import({ importedAt: "2025-06-02T00:00:00Z", records: [rec("GHSA-jfh8-c2jp-5v3q")] });
      expect(await store.findEpss(["CVE-2020-0001"])).toHaveLength(1);
      expect(await store.findKev(["CVE-2020-0001"])).toHaveLength(1);

      async function* rows(): AsyncGenerator<EpssScore> {
        yield { cve: "CVE-2021-44228", epss: 0.9, percentile: 0.99 };
      }
      await store.import({
        importedAt: "2025-06-03T00:00:00Z",
        epss: { modelVersion: "v2025.03.14", scoreDate: "2025-06-02T00:00:00Z", rows: rows() },
        kev: { catalogVersion: "2025.06.02", dateReleased: "2025-06-02T14:00:00.000Z", entries: [kevEntry("CVE-2021-44228", "2021-12-11")] },
      });
      expect(await store.findEpss(["CVE-2021-44228", "CVE-2020-0001"])).toEqual([{ cve: "CVE-2021-44228", epss: 0.9, percentile: 0.99 }]);
      expect(await store.findKev(["CVE-2021-44228", "CVE-2020-0001"])).toEqual([kevEntry("CVE-2021-44228", "2021-12-11")]);
      const status = await store.status();
      expect(status.feeds.osv).toEqual({ importedAt: "2025-06-02T00:00:00Z" });
      expect(status.feeds.epss).toMatchObject({ importedAt: "2025-06-03T00:00:00Z", count: 1 });
    });

    it("a failed import leaves the previous state: records, feeds and status", async () => {
      const store = await open();
      const epss: EpssScore[] = [{ cve: "CVE-2021-44228", epss: 0.94, percentile: 0.99 }];
      await store.import({
        importedAt: "2025-06-01T00:00:00Z",
        records: [rec("GHSA-jfh8-c2jp-5v3q"), rec("GHSA-p6mc-m468-83gw")],
        epss: { modelVersion: "v1", scoreDate: "2025-05-31T00:00:00Z", rows: epss },
        kev: { catalogVersion: "1", dateReleased: "2025-05-31T00:00:00Z", entries: [kevEntry("CVE-2021-44228")] },
      });
      const before = await snapshot(store);

      // A source that fails part-way, after more records than one write round: some rows were already written.
      const many = Array.from({ length: 1200 }, (_, i) => synthetic(`TEST-${i}`, `pkg-${i}`));
      const update = variant(rec("GHSA-jfh8-c2jp-5v3q"), { modified: "2030-01-01T00:00:00Z", summary: "must not stay" });
      await expect(store.import({ importedAt: "2025-06-09T00:00:00Z", records: throwingAfter([update, ...many], new Error("corrupt zip")) })).rejects.toThrow(
        /corrupt zip/,
      );
      expect(await snapshot(store)).toEqual(before);

      // EPSS rows that fail part-way take the records of the same import with them.
      await expect(
        store.import({
          importedAt: "2025-06-09T00:00:00Z",
          records: [update, ...many],
          epss: { modelVersion: "v2", scoreDate: "2025-06-08T00:00:00Z", rows: throwingAfter([{ cve: "CVE-2020-0001", epss: 0.1, percentile: 0.2 }], new Error("line 3: truncated")) },
        }),
      ).rejects.toThrow(/truncated/);
      expect(await snapshot(store)).toEqual(before);

      // A KEV catalog the database refuses (one CVE twice) likewise.
      await expect(
        store.import({
          importedAt: "2025-06-09T00:00:00Z",
          records: [update],
          kev: { catalogVersion: "2", dateReleased: "2025-06-08T00:00:00Z", entries: [kevEntry("CVE-2020-0001"), kevEntry("CVE-2020-0001")] },
        }),
      ).rejects.toBeDefined();
      expect(await snapshot(store)).toEqual(before);

      // And the store still works.
      expect(await store.import({ importedAt: "2025-06-10T00:00:00Z", records: [update] })).toMatchObject({ updated: 1 });
    });

    it("a second store on the same location sees what the first committed", async () => {
      const a = await open();
      await a.import({ importedAt: "2025-06-01T00:00:00Z", records: [rec("GO-2022-0969")] });
      const b = await open();
      expect(ids(await b.findById("GO-2022-0969"))).toEqual(["GO-2022-0969"]);
      await b.import({ importedAt: "2025-06-02T00:00:00Z", records: [rec("GO-2023-2102")] });
      expect((await a.findByPackages([{ ecosystem: "Go", name: "golang.org/x/net" }])).map(ids)).toEqual([["GO-2022-0969", "GO-2023-2102"]]);
    });

    it("reports counts per ecosystem, withdrawn records and the newest modified", async () => {
      const store = await open();
      await store.import({ importedAt: "2025-06-01T00:00:00Z", records: [...real.values()] });
      const status = await store.status();
      const newest = [...real.values()].map((r) => new Date(r.modified).getTime()).reduce((a, b) => Math.max(a, b));
      expect(status.records).toBe(real.size);
      expect(status.withdrawn).toBe(1);
      expect(new Date(status.newestModified!).getTime()).toBe(newest);
      expect(status.feeds).toEqual({ osv: { importedAt: "2025-06-01T00:00:00Z" } });
      const perEcosystem = Object.fromEntries(status.ecosystems.map((e) => [e.ecosystem, e.records]));
      expect(perEcosystem).toEqual({
        Alpine: 1,
        "crates.io": 4,
        Debian: 3,
        Go: 4,
        Maven: 2,
        npm: 2,
        "OSS-Fuzz": 1,
        PyPI: 4,
        RubyGems: 2,
      });
      expect(status.ecosystems.map((e) => e.ecosystem)).toEqual(Object.keys(perEcosystem).sort((a, b) => (a < b ? -1 : 1)));
    });

    it("refuses an import time that is not RFC 3339, changing nothing", async () => {
      const store = await open();
      await expect(store.import({ importedAt: "yesterday", records: [rec("GO-2022-0969")] })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      expect((await store.status()).records).toBe(0);
    });
  });
}

/** Everything a caller can read back, for before/after comparisons. */
async function snapshot(store: AdvisoryStore) {
  const status = await store.status();
  const log4j = await store.findById("GHSA-jfh8-c2jp-5v3q");
  const packages = await store.findByPackages([
    { ecosystem: "npm", name: "lodash" },
    { ecosystem: "npm", name: "pkg-1" },
  ]);
  return { status, log4j, packages, epss: await store.findEpss(["CVE-2021-44228", "CVE-2020-0001"]), kev: await store.findKev(["CVE-2021-44228", "CVE-2020-0001"]) };
}

/** The same instant as an RFC 3339 `Z` timestamp, written with a +02:00 offset and its fraction digits trimmed. */
function shiftSpelling(modified: string): string {
  const d = new Date(modified);
  const frac = /\.(\d+)/.exec(modified)?.[1]?.replace(/0+$/, "") ?? "";
  const local = new Date(d.getTime() + 2 * 3600_000).toISOString().slice(0, 19);
  return `${local}${frac === "" ? "" : `.${frac}`}+02:00`;
}
