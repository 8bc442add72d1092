import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { TOKEN_MIGRATION_NAMES } from "../sql-token-store.js";
import { describeTokenStoreContract } from "../token-store.contract.js";
import { openSqliteTokenStore } from "./token-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-tokens-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeTokenStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "index.sqlite");
  return { open: () => openSqliteTokenStore(file) };
});

describe("SQLite token store", () => {
  it("runs in WAL mode, records its own migrations, and stores only the hash in hex", async () => {
    const file = join(tempDir(), "index.sqlite");
    const store = await openSqliteTokenStore(file);
    await store.create({ id: "t1", scopes: ["read"], createdAt: "2026-01-01T00:00:00.000Z", hash: new Uint8Array(32).fill(0xab) });
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_token_migration").pluck().all()).toEqual([...TOKEN_MIGRATION_NAMES]);
    expect(db.prepare("select hash from index_tokens").pluck().all()).toEqual(["ab".repeat(32)]);
    db.close();
    await store.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE)", async () => {
    await expect(openSqliteTokenStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
