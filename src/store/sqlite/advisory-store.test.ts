import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { describeAdvisoryStoreContract } from "../advisory-store.contract.js";
import { ADVISORY_MIGRATION_NAMES } from "../sql-advisory-store.js";
import { parseOsvRecord } from "../../vuln/osv/parse.js";
import { openSqliteAdvisoryStore } from "./advisory-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-advisory-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeAdvisoryStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "advisories.sqlite");
  return { open: () => openSqliteAdvisoryStore(file) };
});

describe("SQLite advisory store", () => {
  it("runs in WAL mode, records its own migrations, and indexes packages and aliases", async () => {
    const file = join(tempDir(), "advisories.sqlite");
    const store = await openSqliteAdvisoryStore(file);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_advisory_migration").pluck().all()).toEqual([...ADVISORY_MIGRATION_NAMES]);
    const indexes = db.prepare("select name from sqlite_master where type = 'index' and name like 'advisory_%'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(["advisory_packages_record", "advisory_aliases_alias"]));
    db.close();
    await store.close();
    await (await openSqliteAdvisoryStore(file)).close();
  });

  it("upgrades a database made before the alias groups table: the groups are built from the records it holds", async () => {
    const file = join(tempDir(), "advisories.sqlite");
    const record = (id: string, aliases: string[]) =>
      parseOsvRecord({ id, modified: "2024-01-01T00:00:00Z", aliases, affected: [{ package: { ecosystem: "npm", name: "a" }, versions: ["1.0.0"] }] });
    const store = await openSqliteAdvisoryStore(file);
    await store.import({ importedAt: "2025-01-01T00:00:00Z", records: [record("GHSA-1", ["CVE-1"]), record("DSA-1", ["CVE-1"]), record("GHSA-2", [])] });
    await store.close();
    // Back to the schema of migration 0001, as a database in the field has it.
    const db = new Database(file);
    db.exec(`drop table advisory_alias_groups; drop index advisory_records_state; drop index advisory_aliases_alias;
      create index advisory_aliases_alias on advisory_aliases (alias); drop table advisory_entries; drop table advisory_generation; delete from vouch_advisory_migration where name <> '0001_advisories';`);
    db.close();
    const upgraded = await openSqliteAdvisoryStore(file);
    expect(await upgraded.aliasGroups(["GHSA-1", "GHSA-2", "CVE-9"])).toEqual([["CVE-1", "DSA-1", "GHSA-1"], ["CVE-9"], ["GHSA-2"]]);
    await upgraded.close();
  });

  it("opens one new file from two stores at once", async () => {
    const file = join(tempDir(), "advisories.sqlite");
    const [a, b] = await Promise.all([openSqliteAdvisoryStore(file), openSqliteAdvisoryStore(file)]);
    expect((await a.status()).records).toBe(0);
    expect((await b.status()).records).toBe(0);
    await a.close();
    await b.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE), and a closed store refuses work", async () => {
    await expect(openSqliteAdvisoryStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    const store = await openSqliteAdvisoryStore(join(tempDir(), "a.sqlite"));
    await store.close();
    await expect(store.status()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
