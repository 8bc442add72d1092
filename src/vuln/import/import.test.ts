import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AdvisoryStore } from "../../store/ports.js";
import { openSqliteAdvisoryStore } from "../../store/sqlite/advisory-store.js";
import { importAdvisories, type AdvisoryImportWarning } from "./import.js";
import { openEpssCsv } from "./epss.js";
import { parseKevJson } from "./kev.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fx = (name: string) => join(FIXTURES, name);
const RECORDS = join(import.meta.dirname, "..", "osv", "fixtures", "records");
const CORRUPT = join(import.meta.dirname, "..", "osv", "fixtures", "corrupt");
const NOW = () => new Date("2025-06-02T00:00:00Z");

let dir: string;
let store: AdvisoryStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vouch-import-"));
  store = await openSqliteAdvisoryStore(join(dir, "advisories.sqlite"));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function collect<T>(items: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Everything readable back, for before/after comparisons. */
async function state(s: AdvisoryStore) {
  return {
    status: await s.status(),
    log4j: await s.findById("GHSA-jfh8-c2jp-5v3q"),
    rust: await s.findByPackages([{ ecosystem: "crates.io", name: "openssl" }]),
    epss: await s.findEpss(["CVE-2021-44228", "CVE-2020-8203"]),
    kev: await s.findKev(["CVE-2021-44228"]),
  };
}

describe("importAdvisories: OSV records", () => {
  it("imports OSV's all.zip layout, and re-importing changes nothing", async () => {
    const first = await importAdvisories(store, { paths: [fx("all.zip")], now: NOW });
    expect(first).toMatchObject({ read: 24, inserted: 24, updated: 0, unchanged: 0, older: 0, skipped: 0, unknownEcosystems: {}, warnings: [] });
    const again = await importAdvisories(store, { paths: [fx("all.zip")], now: NOW });
    expect(again).toMatchObject({ read: 0, unchangedEntries: 24, inserted: 0, unchanged: 24 });
    const full = await importAdvisories(store, { paths: [fx("all.zip")], now: NOW, full: true });
    expect(full).toMatchObject({ read: 24, unchangedEntries: 0, inserted: 0, unchanged: 24 });
    expect((await store.status()).feeds.osv).toEqual({ importedAt: "2025-06-02T00:00:00.000Z" });
  });

  it("the next day's export: only the zip entry that changed is read, and its record updated", async () => {
    await importAdvisories(store, { paths: [fx("all.zip")], now: NOW });
    const next = await importAdvisories(store, { paths: [fx("all-next-day.zip")], now: NOW });
    expect(next).toMatchObject({ read: 1, unchangedEntries: 23, inserted: 0, updated: 1, unchanged: 23 });
    const [go] = await store.findById("GO-2022-0969");
    expect(go!.summary).toMatch(/^Updated: /);
    // And back to the old zip: its GO-2022-0969 entry differs from the one last read, so it is read, and is older.
    expect(await importAdvisories(store, { paths: [fx("all.zip")], now: NOW })).toMatchObject({ read: 1, older: 1, unchanged: 23 });
  });

  it("a skipped entry is read, and warned about, again; a failed import remembers no entry", async () => {
    await importAdvisories(store, { paths: [fx("with-malformed.zip")], now: NOW });
    expect(await importAdvisories(store, { paths: [fx("with-malformed.zip")], now: NOW })).toMatchObject({ read: 2, unchangedEntries: 2, skipped: 2 });
    await expect(importAdvisories(store, { paths: [fx("corrupt-entry.zip")], now: NOW })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
    const after = await store.entryFingerprints();
    expect([...after.keys()].sort()).toEqual(["GHSA-jfh8-c2jp-5v3q.json", "GO-2022-0969.json"]);
  });

  it("a directory (recursive) and a single file read the same records as the zip", async () => {
    const other = await openSqliteAdvisoryStore(join(dir, "other.sqlite"));
    try {
      await importAdvisories(store, { paths: [fx("all.zip")], now: NOW });
      const nested = join(dir, "tree");
      // The records directory, one level down, beside a file that is not a record.
      const { cpSync } = await import("node:fs");
      cpSync(RECORDS, join(nested, "osv", "records"), { recursive: true });
      writeFileSync(join(nested, "osv", "NOTES.txt"), "not json");
      const summary = await importAdvisories(other, { paths: [nested], now: NOW });
      expect(summary).toMatchObject({ read: 24, inserted: 24, skipped: 0 });
      expect(await state(other)).toEqual(await state(store));
      const single = await importAdvisories(other, { paths: [join(RECORDS, "GHSA-jfh8-c2jp-5v3q.json")], now: NOW });
      expect(single).toMatchObject({ read: 1, unchanged: 1 });
    } finally {
      await other.close();
    }
  });

  it("skips a malformed record with a warning naming the file and id, and imports the rest", async () => {
    const seen: AdvisoryImportWarning[] = [];
    const summary = await importAdvisories(store, { paths: [fx("with-malformed.zip")], now: NOW, onWarning: (w) => seen.push(w) });
    expect(summary).toMatchObject({ read: 4, inserted: 2, skipped: 2 });
    expect(summary.warnings).toEqual(seen);
    expect(summary.warnings).toEqual([
      {
        file: `${fx("with-malformed.zip")}!GHSA-whgm-jr23-g3j9.json`,
        id: "GHSA-whgm-jr23-g3j9",
        message: expect.stringMatching(/GHSA-whgm-jr23-g3j9: affected\[0\]\.ranges\[0\]\.events must contain an introduced event/),
      },
      { file: `${fx("with-malformed.zip")}!broken.json`, message: expect.stringMatching(/^not JSON/) },
    ]);
    expect((await store.findById("GHSA-whgm-jr23-g3j9")).length).toBe(0);
    expect((await store.findById("GO-2022-0969")).length).toBe(1);
  });

  it("skips every corrupt fixture record, naming the id wherever the record has a usable one", async () => {
    const summary = await importAdvisories(store, { paths: [CORRUPT], now: NOW });
    expect(summary.read).toBe(25);
    expect(summary.skipped).toBe(25);
    expect(summary.inserted).toBe(0);
    const byFile = Object.fromEntries(summary.warnings.map((w) => [w.file.slice(CORRUPT.length + 1), w.id]));
    expect(byFile["id-missing.json"]).toBeUndefined();
    expect(byFile["not-json.json"]).toBeUndefined();
    expect(byFile["not-object.json"]).toBeUndefined();
    expect(byFile["schema-version-2.json"]).toBe("GHSA-whgm-jr23-g3j9");
    expect(byFile["ecosystem-empty-suffix.json"]).toBe("DLA-3008-1");
    expect(Object.values(byFile).filter((id) => id !== undefined)).toHaveLength(22);
  });

  it("counts records of an ecosystem OSV does not define, stores them, and never maps them to a known one", async () => {
    const record = JSON.parse(readFileSync(join(RECORDS, "GHSA-whgm-jr23-g3j9.json"), "utf8"));
    record.id = "TEST-2025-0001";
    record.affected[0].package.ecosystem = "Npm";
    writeFileSync(join(dir, "unknown.json"), JSON.stringify(record));
    const summary = await importAdvisories(store, { paths: [join(dir, "unknown.json")], now: NOW });
    expect(summary).toMatchObject({ inserted: 1, unknownEcosystems: { Npm: 1 } });
    expect(await store.findByPackages([{ ecosystem: "npm", name: "ansi-html" }])).toEqual([[]]);
    expect(await store.status()).toMatchObject({ ecosystems: [{ ecosystem: "Npm", records: 1 }] });
  });

  it("a corrupt or truncated zip fails the whole import and leaves the previous state", async () => {
    await importAdvisories(store, { paths: [join(RECORDS, "GHSA-jfh8-c2jp-5v3q.json")], epss: fx("epss.csv"), kev: fx("kev.json"), now: NOW });
    const before = await state(store);
    // The damaged entry is the last one: 23 records were already written inside the transaction.
    await expect(importAdvisories(store, { paths: [fx("corrupt-entry.zip")], now: NOW })).rejects.toMatchObject({
      code: "INPUT_MALFORMED",
      location: { file: fx("corrupt-entry.zip") },
      message: expect.stringMatching(/not a readable zip \(RUSTSEC-2023-0044\.json: /),
    });
    expect(await state(store)).toEqual(before);
    await expect(importAdvisories(store, { paths: [fx("truncated.zip")], now: NOW })).rejects.toMatchObject({
      code: "INPUT_MALFORMED",
      location: { file: fx("truncated.zip") },
    });
    expect(await state(store)).toEqual(before);
  });

  it("refuses a missing path and an empty request", async () => {
    await expect(importAdvisories(store, { paths: [join(dir, "nope")] })).rejects.toMatchObject({ code: "INPUT_NOT_FOUND" });
    await expect(importAdvisories(store, {})).rejects.toMatchObject({ code: "INPUT_USAGE" });
    expect((await store.status()).records).toBe(0);
  });
});

describe("importAdvisories: EPSS and KEV", () => {
  it("reads FIRST's CSV, plain or gzipped, and CISA's catalog", async () => {
    const summary = await importAdvisories(store, { epss: fx("epss.csv.gz"), kev: fx("kev.json"), now: NOW });
    expect(summary).toMatchObject({ epssRows: 6, kevEntries: 2, read: 0 });
    expect(await store.findEpss(["CVE-2021-44228"])).toEqual([{ cve: "CVE-2021-44228", epss: 0.94358, percentile: 0.99957 }]);
    expect((await store.findKev(["CVE-2021-44228"]))[0]).toMatchObject({ dateAdded: "2021-12-10", dueDate: "2021-12-24", knownRansomwareCampaignUse: "Known" });
    const status = await store.status();
    expect(status.feeds.epss).toEqual({ importedAt: "2025-06-02T00:00:00.000Z", version: "v2025.03.14", date: "2025-06-01T12:55:00+0000", count: 6 });
    expect(status.feeds.kev).toEqual({ importedAt: "2025-06-02T00:00:00.000Z", version: "2025.06.01", date: "2025-06-01T15:00:38.2893Z", count: 2 });
    const plain = await openEpssCsv(fx("epss.csv"));
    const gz = await openEpssCsv(fx("epss.csv.gz"));
    expect(await collect(gz.rows)).toEqual(await collect(plain.rows));
  });

  it("refuses a truncated EPSS CSV naming its line, and keeps the previous state (records of the same import included)", async () => {
    await importAdvisories(store, { epss: fx("epss.csv"), kev: fx("kev.json"), now: NOW });
    const before = await state(store);
    await expect(importAdvisories(store, { paths: [fx("all.zip")], epss: fx("epss-truncated.csv"), now: NOW })).rejects.toMatchObject({
      code: "INPUT_MALFORMED",
      location: { file: fx("epss-truncated.csv"), line: 8 },
      message: expect.stringMatching(/EPSS CSV line 8: the file ends inside this line/),
    });
    expect(await state(store)).toEqual(before);
    await expect(importAdvisories(store, { epss: fx("epss-bad-row.csv"), now: NOW })).rejects.toMatchObject({
      code: "INPUT_MALFORMED",
      location: { line: 5 },
      message: expect.stringMatching(/line 5: not cve,epss,percentile/),
    });
    expect(await state(store)).toEqual(before);
  });

  it("refuses an EPSS file without FIRST's comment line or header before writing anything", async () => {
    writeFileSync(join(dir, "no-comment.csv"), "cve,epss,percentile\nCVE-2021-44228,0.9,0.9\n");
    await expect(openEpssCsv(join(dir, "no-comment.csv"))).rejects.toMatchObject({ code: "INPUT_MALFORMED", location: { line: 1 } });
    writeFileSync(join(dir, "no-header.csv"), "#model_version:v1,score_date:2025-01-01T00:00:00+0000\nCVE-2021-44228,0.9,0.9\n");
    await expect(openEpssCsv(join(dir, "no-header.csv"))).rejects.toMatchObject({ code: "INPUT_MALFORMED", location: { line: 2 } });
    writeFileSync(join(dir, "twice.csv"), "#model_version:v1,score_date:2025-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.9,0.9\nCVE-2021-44228,0.9,0.9\n");
    await expect(collect((await openEpssCsv(join(dir, "twice.csv"))).rows)).rejects.toMatchObject({ location: { line: 4 } });
    writeFileSync(join(dir, "range.csv"), "#model_version:v1,score_date:2025-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,1.5,0.9\n");
    await expect(collect((await openEpssCsv(join(dir, "range.csv"))).rows)).rejects.toMatchObject({ location: { line: 3 } });
    await expect(openEpssCsv(join(dir, "missing.csv"))).rejects.toMatchObject({ code: "INPUT_NOT_FOUND" });
  });

  it("refuses a KEV catalog whose count disagrees with its entries, or with a bad entry", async () => {
    await expect(importAdvisories(store, { paths: [fx("all.zip")], kev: fx("kev-count-mismatch.json"), now: NOW })).rejects.toMatchObject({
      code: "INPUT_MALFORMED",
      message: expect.stringMatching(/count says 3 but the catalog lists 2/),
    });
    expect((await store.status()).records).toBe(0);
    const good = JSON.parse(readFileSync(fx("kev.json"), "utf8"));
    const bad = structuredClone(good);
    bad.vulnerabilities[1].dueDate = "soon";
    expect(() => parseKevJson(JSON.stringify(bad))).toThrow(/vulnerabilities\[1\]\.dueDate is not valid/);
    const twice = structuredClone(good);
    twice.vulnerabilities[1].cveID = "CVE-2021-44228";
    expect(() => parseKevJson(JSON.stringify(twice))).toThrow(/appears twice/);
    const old = structuredClone(good);
    delete old.vulnerabilities[0].cwes;
    delete old.vulnerabilities[0].notes;
    expect(parseKevJson(JSON.stringify(old)).entries[0]).toMatchObject({ cwes: [], notes: "" });
  });
});
