import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { leafHash } from "../../core/merkle/index.js";
import { Sequencer } from "../../tlog/sequencer.js";
import { describeLogStoreContract } from "../log-store.contract.js";
import { openSqliteLogStore } from "./log-store.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-sqlite-log-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeLogStoreContract("SQLite", async () => {
  const file = join(tempDir(), "data", "log.db");
  return {
    open: (testHooks) => openSqliteLogStore(file, { testHooks }),
    child: { module: join(import.meta.dirname, "log-store.ts"), exportName: "openSqliteLogStore", location: file },
  };
}, { sharedQueue: true, bundleRanges: true });

describe("SQLite log store", () => {
  it("runs in WAL mode with synchronous=FULL, and records its migrations", async () => {
    const file = join(tempDir(), "log.db");
    const store = await openSqliteLogStore(file);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("select name from vouch_migration").pluck().all()).toEqual(["0001_transparency_log", "0002_log_submission_queue", "0003_log_entry_bundle_offsets"]);
    db.close();
    await store.close();
    // Reopening runs nothing again.
    await (await openSqliteLogStore(file)).close();
  });

  it("migrates a log written before 0003: its entries keep no offset and still read, new ones get theirs", async () => {
    const file = join(tempDir(), "log.db");
    const signCheckpoint = ({ size }: { size: number }) => `test\n${size}\n`;
    let store = await openSqliteLogStore(file);
    let sequencer = await Sequencer.start({ store, signCheckpoint });
    await Promise.all([1, 2, 3].map((n) => sequencer.submit(Buffer.from(`{"n":${n}}`), Buffer.from(leafHash(Buffer.from(`{"n":${n}}`))).toString("hex"))));
    await sequencer.stop();
    await store.close();
    // Back to the schema of 0002, with its rows.
    const db = new Database(file);
    db.exec("alter table log_entries drop column bundle_offset; delete from vouch_migration where name = '0003_log_entry_bundle_offsets'");
    db.close();
    store = await openSqliteLogStore(file);
    expect((await store.readEntries(0, 3)).map((record) => record.bundleOffset)).toEqual([undefined, undefined, undefined]);
    sequencer = await Sequencer.start({ store, signCheckpoint });
    const body = Buffer.from('{"n":4}');
    await sequencer.submit(body, Buffer.from(leafHash(body)).toString("hex"));
    await sequencer.stop();
    const [fourth] = await store.readEntries(3, 1);
    expect(Buffer.from((await store.readBundleRange!(0, fourth!.bundleOffset!))!).subarray(2).toString()).toBe('{"n":4}');
    await store.close();
  });

  it("opens one new file from two stores at once", async () => {
    const file = join(tempDir(), "log.db");
    const [a, b] = await Promise.all([openSqliteLogStore(file), openSqliteLogStore(file)]);
    expect(await a.readHead()).toBeUndefined();
    expect(await b.readHead()).toBeUndefined();
    await a.close();
    await b.close();
  });

  it("takes over a lease row left by a process that died, and not one of a live process", async () => {
    const file = join(tempDir(), "log.db");
    const store = await openSqliteLogStore(file);
    const plant = (pid: number) => {
      const db = new Database(file);
      db.prepare("insert or replace into log_sequencer (id, owner) values (1, ?)").run(JSON.stringify({ pid, host: hostname(), token: randomBytes(16).toString("hex") }));
      db.close();
    };
    plant(1); // pid 1 lives as long as the machine (or container) does
    expect(await store.tryAcquireSequencer()).toBeUndefined();
    plant(spawnSync(process.execPath, ["-e", ""]).pid!);
    const lease = await store.tryAcquireSequencer();
    expect(lease).toBeDefined();
    await lease!.release();
    await store.close();
  });

  it("refuses to open a file that is not a database (STORE_UNAVAILABLE)", async () => {
    const dir = tempDir();
    await expect(openSqliteLogStore(dir)).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  });
});
