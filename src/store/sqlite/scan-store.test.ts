import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { describeScanStoreContract } from "../scan-store.contract.js";
import { INDEX_MIGRATION_NAMES } from "../sql-index-store.js";
import { SCAN_MIGRATION_NAMES } from "../sql-scan-store.js";
import { openSqliteIndexStore } from "./index-store.js";
import { openSqliteScanStore } from "./scan-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-scan-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeScanStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "index.sqlite");
  return { open: () => openSqliteScanStore(file) };
});

describe("SQLite scan store", () => {
  it("shares the index's file, each with its own migration list, and indexes its lookups", async () => {
    const file = join(tempDir(), "index.sqlite");
    const [index, scans] = await Promise.all([openSqliteIndexStore(file), openSqliteScanStore(file)]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare("select name from vouch_scan_migration").pluck().all()).toEqual([...SCAN_MIGRATION_NAMES]);
    expect(db.prepare("select name from vouch_index_migration").pluck().all()).toEqual([...INDEX_MIGRATION_NAMES]);
    const indexes = db.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_%'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(["scans_digest_ingested", "scan_findings_vulnerability"]));
    db.close();
    await index.close();
    await scans.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE)", async () => {
    await expect(openSqliteScanStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
