import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { describeIndexStoreContract } from "../index-store.contract.js";
import { INDEX_MIGRATION_NAMES } from "../sql-index-store.js";
import { openSqliteIndexStore } from "./index-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-index-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeIndexStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "index.sqlite");
  return { open: () => openSqliteIndexStore(file) };
});

describe("SQLite index store", () => {
  it("runs in WAL mode, records its own migrations, and indexes every lookup key", async () => {
    const file = join(tempDir(), "index.sqlite");
    const store = await openSqliteIndexStore(file);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_index_migration").pluck().all()).toEqual([...INDEX_MIGRATION_NAMES]);
    const indexes = db.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_%'").pluck().all();
    expect(indexes).toEqual(
      expect.arrayContaining(["sbom_components_purl", "sbom_components_name", "sbom_components_osv", "current_deployments_digest", "sboms_digest"]),
    );
    db.close();
    await store.close();
    await (await openSqliteIndexStore(file)).close();
  });

  it("opens one new file from two stores at once", async () => {
    const file = join(tempDir(), "index.sqlite");
    const [a, b] = await Promise.all([openSqliteIndexStore(file), openSqliteIndexStore(file)]);
    await a.ping();
    await b.ping();
    await a.close();
    await b.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE)", async () => {
    await expect(openSqliteIndexStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
