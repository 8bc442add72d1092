import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import type { DecisionEvent, DecisionStore } from "../store/ports.js";
import { openSqliteDecisionStore } from "../store/sqlite/decision-store.js";
import { DecisionWriter } from "./decision-writer.js";

const event = (id: string): DecisionEvent => ({
  id,
  time: "2026-03-01T10:00:00Z",
  source: "admission",
  resource: { kind: "Pod", namespace: "n", name: id },
  allowed: true,
  needsReconciliation: false,
  decision: { allowed: true, reasons: [] },
});

/** The store with its recordBatch calls counted, and optionally held until `release()`. */
function observed(store: DecisionStore) {
  const batches: string[][] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  return {
    batches,
    hold() {
      gate = new Promise((done) => (open = done));
    },
    release() {
      open?.();
      gate = undefined;
    },
    store: {
      ...store,
      async recordBatch(events: readonly DecisionEvent[]) {
        batches.push(events.map((e) => e.id));
        if (gate !== undefined) await gate;
        return store.recordBatch(events);
      },
    } satisfies DecisionStore,
  };
}

describe("DecisionWriter", () => {
  let dir: string;
  let store: DecisionStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-decision-writer-"));
    store = await openSqliteDecisionStore(join(dir, "index.sqlite"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers before writing, then writes what arrived meanwhile in batches; flush waits for every write", async () => {
    const o = observed(store);
    const errors: unknown[] = [];
    const writer = new DecisionWriter({ store: o.store, maxBatch: 4, onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) await writer.add(event(`e${i}`));
    // Queued, not yet written: the writes start on the next turn of the event loop.
    expect(o.batches).toEqual([]);
    expect(await store.find("e0")).toBeUndefined();
    await writer.flush();
    expect(o.batches).toEqual([
      ["e0", "e1", "e2", "e3"],
      ["e4", "e5", "e6", "e7"],
      ["e8", "e9"],
    ]);
    expect((await store.list()).events.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    // Added while a batch is being written: goes into a later batch, and flush waits for it too.
    o.hold();
    await writer.add(event("late1"));
    const flushing = writer.flush();
    await new Promise((next) => setImmediate(next));
    await writer.add(event("late2"));
    o.release();
    await flushing;
    expect(await store.find("late2")).toMatchObject({ id: "late2" });
    expect(errors).toEqual([]);
  });

  it("bounds its queue: past maxQueue, add waits until a batch has made room", async () => {
    const o = observed(store);
    const writer = new DecisionWriter({ store: o.store, maxQueue: 2, maxBatch: 2, onError: () => undefined });
    o.hold();
    await writer.add(event("q1"));
    await writer.add(event("q2"));
    // The first batch (q1, q2) is taken and held in the store: room for two more.
    await new Promise((next) => setImmediate(next));
    expect(o.batches).toEqual([["q1", "q2"]]);
    await writer.add(event("q3"));
    await writer.add(event("q4"));
    let added = false;
    const fifth = writer.add(event("q5")).then(() => (added = true));
    await new Promise((next) => setImmediate(next));
    expect([added, writer.pending]).toEqual([false, 2]);
    o.release();
    await fifth;
    await writer.close();
    expect((await store.list()).events.map((e) => e.id)).toEqual(["q1", "q2", "q3", "q4", "q5"]);
  });

  it("reports a batch the store refuses and goes on with the next; conflicts are reported, the rest written", async () => {
    const errors: [string, string][] = [];
    let failNext = true;
    const flaky: DecisionStore = {
      ...store,
      recordBatch: (events) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new VouchError("STORE_UNAVAILABLE", "database is down"));
        }
        return store.recordBatch(events);
      },
    };
    const writer = new DecisionWriter({ store: flaky, maxBatch: 2, onError: (e, doing) => errors.push([doing, (e as Error).message]) });
    for (const id of ["f1", "f2", "f3", "f3"]) await writer.add(event(id));
    await writer.flush();
    expect(errors).toEqual([
      ["record 2 decision(s)", "database is down"],
      ["record 1 decision(s)", "decision ids already recorded: f3"],
    ]);
    expect((await store.list()).events.map((e) => e.id)).toEqual(["f3"]);
  });

  it("close writes what is queued and refuses more (STORE_UNAVAILABLE); the store stays open", async () => {
    const writer = new DecisionWriter({ store, onError: () => undefined });
    await writer.add(event("c1"));
    await writer.close();
    expect(await store.find("c1")).toMatchObject({ id: "c1" });
    await expect(writer.add(event("c2"))).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    expect(() => new DecisionWriter({ store, maxQueue: 0, onError: () => undefined })).toThrow(RangeError);
  });
});
