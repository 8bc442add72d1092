import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { describeDecisionStoreContract } from "../decision-store.contract.js";
import { DECISION_MIGRATION_NAMES } from "../sql-decision-store.js";
import { openSqliteDecisionStore } from "./decision-store.js";
import { openSqliteTokenStore } from "./token-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-decisions-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeDecisionStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "index.sqlite");
  return { open: () => openSqliteDecisionStore(file) };
});

describe("SQLite decision store", () => {
  it("shares the index's file with the other stores, in WAL mode, with its own migrations", async () => {
    const file = join(tempDir(), "index.sqlite");
    const tokens = await openSqliteTokenStore(file);
    const store = await openSqliteDecisionStore(file);
    await store.record({ id: "d1", time: "2026-03-01T10:00:00Z", source: "cli", resource: { kind: "Pod" }, allowed: false, needsReconciliation: false, decision: { allowed: false } });
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_decision_migration").pluck().all()).toEqual([...DECISION_MIGRATION_NAMES]);
    expect(db.prepare("select at from policy_decisions").pluck().all()).toEqual(["2026-03-01T10:00:00.000000000Z"]);
    db.close();
    await store.close();
    await tokens.close();
  });

  it("writes batches in its writer thread: another connection sees them; a write the thread cannot do rejects with SQLite's reason", async () => {
    const file = join(tempDir(), "index.sqlite");
    const store = await openSqliteDecisionStore(file);
    const event = (id: string) => ({ id, time: "2026-03-01T10:00:00Z", source: "admission" as const, resource: { kind: "Pod" }, allowed: true, needsReconciliation: false, decision: { allowed: true } });
    expect(await store.recordBatch([event("w1"), event("w2")])).toEqual({ conflicts: [] });
    const db = new Database(file);
    expect(db.prepare("select id from policy_decisions order by id").pluck().all()).toEqual(["w1", "w2"]);
    db.exec("alter table policy_decisions rename to moved_away");
    await expect(store.recordBatch([event("w3")])).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("no such table: policy_decisions") });
    db.exec("alter table moved_away rename to policy_decisions");
    db.close();
    // The thread lives on: the next batch is written.
    expect(await store.recordBatch([event("w4")])).toEqual({ conflicts: [] });
    expect(await store.find("w4")).toMatchObject({ id: "w4" });
    await store.close();
  });

  it("refuses to open a directory (STORE_UNAVAILABLE)", async () => {
    await expect(openSqliteDecisionStore(tempDir())).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
