import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { describeAttestationStoreContract } from "../attestation-store.contract.js";
import { ATTESTATION_MIGRATION_NAMES } from "../sql-attestation-store.js";
import { INDEX_MIGRATION_NAMES } from "../sql-index-store.js";
import { openSqliteAttestationStore } from "./attestation-store.js";
import { openSqliteIndexStore } from "./index-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-attestation-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeAttestationStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "index.sqlite");
  return {
    open: () => openSqliteAttestationStore(file),
    sql: async (statements) => {
      const db = new Database(file);
      try {
        db.exec(statements);
      } finally {
        db.close();
      }
    },
  };
});

describe("SQLite attestation store", () => {
  it("shares the index's file, each with its own migration list, and indexes its lookups", async () => {
    const file = join(tempDir(), "index.sqlite");
    const [index, attestations] = await Promise.all([openSqliteIndexStore(file), openSqliteAttestationStore(file)]);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_attestation_migration").pluck().all()).toEqual([...ATTESTATION_MIGRATION_NAMES]);
    expect(db.prepare("select name from vouch_index_migration").pluck().all()).toEqual([...INDEX_MIGRATION_NAMES]);
    const indexes = db.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_%'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(["attestation_subjects_digest", "attestations_source_commit", "attestations_signer"]));
    db.close();
    await index.close();
    await attestations.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE)", async () => {
    await expect(openSqliteAttestationStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
