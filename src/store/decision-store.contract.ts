import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DecisionEvent, DecisionStore } from "./ports.js";

/**
 * The DecisionStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver. A driver's test
 * file calls `describeDecisionStoreContract` with a fixture that opens its store at a fresh, empty location per test.
 */

export interface DecisionStoreFixture {
  /** Opens (again) the store at this fixture's location, which starts out empty. */
  open(): Promise<DecisionStore>;
  dispose?(): Promise<void>;
}

function event(id: string, change: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    id,
    time: "2026-03-01T10:00:00.000Z",
    source: "admission",
    resource: { kind: "Pod", namespace: "payments", name: `pod-${id}` },
    uid: `uid-${id}`,
    operation: "CREATE",
    allowed: true,
    needsReconciliation: false,
    decision: { allowed: true, reasons: [], warnings: ["w ü"], images: [{ reference: "r", policies: [], unmatched: true }], needsReconciliation: false, decidedAt: "2026-03-01T10:00:00.000Z" },
    ...change,
  };
}

const ids = (events: readonly DecisionEvent[]) => events.map((e) => e.id);

export function describeDecisionStoreContract(driver: string, makeFixture: () => Promise<DecisionStoreFixture>): void {
  describe(`DecisionStore contract: ${driver}`, () => {
    let fixture: DecisionStoreFixture;
    let store: DecisionStore;
    const opened: DecisionStore[] = [];
    const open = async () => {
      const s = await fixture.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await fixture.dispose?.();
    });

    it("finds a recorded event exactly as recorded (decision JSON deep-equal); undefined for an unknown id", async () => {
      const full = event("e1", { resource: { kind: "Pod", namespace: "n", name: "x", labels: { app: "a", "vouch.dev/tier": "1" } }, reconciles: "e0", needsReconciliation: true, allowed: false, source: "reconcile" });
      const bare = event("e2", { resource: { kind: "Deployment" }, uid: undefined, operation: undefined });
      delete (bare as { uid?: string }).uid;
      delete (bare as { operation?: string }).operation;
      await store.record(full);
      await store.record(bare);
      expect(await store.find("e1")).toEqual(full);
      expect(await store.find("e2")).toEqual(bare);
      expect(await store.find("e3")).toBeUndefined();
    });

    it("refuses an id already recorded (STORE_CONFLICT) and keeps the first; refuses a time that is not RFC 3339", async () => {
      await store.record(event("dup"));
      await expect(store.record(event("dup", { allowed: false }))).rejects.toMatchObject({ code: "STORE_CONFLICT" });
      expect(await store.find("dup")).toMatchObject({ allowed: true });
      await expect(store.record(event("bad", { time: "yesterday" }))).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      expect(await store.find("bad")).toBeUndefined();
    });

    it("recordBatch stores every new event whole, names the ids already stored (or repeated) as conflicts, and refuses a malformed batch whole", async () => {
      await store.record(event("old", { allowed: false }));
      const batch = [
        event("b1", { resource: { kind: "Pod", namespace: "n", labels: { app: "a" } }, needsReconciliation: true }),
        event("old"),
        event("b2", { source: "cli", time: "2026-03-01T10:00:01+01:00" }),
        event("b1", { allowed: false }),
      ];
      expect(await store.recordBatch(batch)).toEqual({ conflicts: ["old", "b1"] });
      expect(await store.find("b1")).toEqual(batch[0]);
      expect(await store.find("b2")).toEqual(batch[2]);
      expect(await store.find("old")).toMatchObject({ allowed: false });
      await expect(store.recordBatch([event("m1"), event("m2", { time: "soon" })])).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      await expect(store.recordBatch([event("m3"), event("m4", { source: "webhook" as DecisionEvent["source"] })])).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      for (const id of ["m1", "m2", "m3", "m4"]) expect(await store.find(id)).toBeUndefined();
      expect(await store.recordBatch([])).toEqual({ conflicts: [] });
    });

    it("recordBatch writes more events than one statement holds, in order, each once", async () => {
      const many = Array.from({ length: 1203 }, (_, i) => event(`m${String(i).padStart(4, "0")}`, { time: `2026-03-01T10:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z` }));
      expect(await store.recordBatch(many)).toEqual({ conflicts: [] });
      expect((await store.counts({ since: "2026-03-01T00:00:00Z", until: "2026-03-02T00:00:00Z" })).total).toBe(1203);
      expect(await store.find("m1202")).toEqual(many[1202]);
    });

    it("lists by instant (offsets and fraction digits compared as times), then id, with every filter narrowing", async () => {
      await store.record(event("b", { time: "2026-03-01T12:00:00+02:00" })); // 10:00Z
      await store.record(event("a", { time: "2026-03-01T10:00:00Z" }));
      await store.record(event("c", { time: "2026-03-01T09:59:59.999999999Z", allowed: false }));
      await store.record(event("d", { time: "2026-03-01T11:00:00.5Z", needsReconciliation: true }));
      await store.record(event("e", { time: "2026-03-01T11:30:00Z", needsReconciliation: true, allowed: false }));
      expect(ids((await store.list()).events)).toEqual(["c", "a", "b", "d", "e"]);
      expect(ids((await store.list({ since: "2026-03-01T10:00:00Z" })).events)).toEqual(["a", "b", "d", "e"]);
      expect(ids((await store.list({ until: "2026-03-01T10:00:00Z" })).events)).toEqual(["c"]);
      expect(ids((await store.list({ allowed: false })).events)).toEqual(["c", "e"]);
      expect(ids((await store.list({ needsReconciliation: true })).events)).toEqual(["d", "e"]);
      await store.markReconciled("d", { at: "2026-03-02T00:00:00Z", by: "z" });
      expect(ids((await store.list({ pending: true })).events)).toEqual(["e"]);
      expect(ids((await store.list({ pending: false })).events)).toEqual(["c", "a", "b", "d"]);
    });

    it("walks pages with a cursor, each event exactly once, even when events are recorded between pages", async () => {
      for (let i = 0; i < 7; i++) await store.record(event(`p${i}`, { time: `2026-03-01T10:00:0${i % 3}Z` }));
      const first = await store.list({ limit: 3 });
      expect(first.events).toHaveLength(3);
      expect(first.next).toBeDefined();
      await store.record(event("p-late", { time: "2026-03-01T09:00:00Z" })); // before the cursor: not seen on this walk
      await store.record(event("p-later", { time: "2026-03-01T11:00:00Z" })); // after it: seen
      const seen = [...ids(first.events)];
      let next = first.next;
      while (next !== undefined) {
        const page = await store.list({ limit: 3, cursor: next });
        seen.push(...ids(page.events));
        next = page.next;
      }
      expect(seen).toEqual(["p0", "p3", "p6", "p1", "p4", "p2", "p5", "p-later"]);
      await expect(store.list({ cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
    });

    it("lists newest first with order desc (instants, then id, descending), filters by source, and walks desc pages each once", async () => {
      await store.record(event("b", { time: "2026-03-01T12:00:00+02:00" })); // 10:00Z
      await store.record(event("a", { time: "2026-03-01T10:00:00Z", source: "cli" }));
      await store.record(event("c", { time: "2026-03-01T09:59:59.999999999Z", allowed: false }));
      await store.record(event("d", { time: "2026-03-01T11:00:00.5Z", source: "reconcile" }));
      await store.record(event("e", { time: "2026-03-01T11:30:00Z", allowed: false }));
      expect(ids((await store.list({ order: "desc" })).events)).toEqual(["e", "d", "b", "a", "c"]);
      expect(ids((await store.list({ order: "desc", allowed: false })).events)).toEqual(["e", "c"]);
      expect(ids((await store.list({ source: "admission" })).events)).toEqual(["c", "b", "e"]);
      expect(ids((await store.list({ order: "desc", source: "cli" })).events)).toEqual(["a"]);
      const first = await store.list({ order: "desc", limit: 2 });
      expect(ids(first.events)).toEqual(["e", "d"]);
      await store.record(event("late", { time: "2026-03-01T12:00:00Z" })); // newer than the cursor: not on this walk
      await store.record(event("early", { time: "2026-03-01T09:00:00Z" })); // older: seen at the end
      const seen = [...ids(first.events)];
      let next = first.next;
      while (next !== undefined) {
        const page = await store.list({ order: "desc", limit: 2, cursor: next });
        seen.push(...ids(page.events));
        next = page.next;
      }
      expect(seen).toEqual(["e", "d", "b", "a", "c", "early"]);
      // A cursor walks one order only: handed to the other it is refused, not misread.
      await expect(store.list({ cursor: first.next! })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      const ascending = await store.list({ limit: 1 });
      await expect(store.list({ order: "desc", cursor: ascending.next! })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
    });

    it("markReconciled sets the outcome once and keeps the first; an unknown id answers undefined", async () => {
      await store.record(event("r", { needsReconciliation: true }));
      expect(await store.markReconciled("r", { at: "2026-03-02T00:00:00Z", by: "n1" })).toMatchObject({ reconciled: { at: "2026-03-02T00:00:00Z", by: "n1" } });
      expect(await store.markReconciled("r", { at: "2026-03-03T00:00:00Z", by: "n2" })).toMatchObject({ reconciled: { at: "2026-03-02T00:00:00Z", by: "n1" } });
      expect(await store.find("r")).toMatchObject({ reconciled: { by: "n1" } });
      expect(await store.markReconciled("missing", { at: "2026-03-02T00:00:00Z", by: "n" })).toBeUndefined();
    });

    it("counts exactly the events in [since, until)", async () => {
      await store.record(event("in1", { time: "2026-03-01T10:00:00Z" }));
      await store.record(event("in2", { time: "2026-03-01T10:30:00Z", allowed: false }));
      await store.record(event("in3", { time: "2026-03-01T10:45:00Z", allowed: true, needsReconciliation: true }));
      await store.record(event("in4", { time: "2026-03-01T10:50:00Z", allowed: false, needsReconciliation: true }));
      await store.record(event("out", { time: "2026-03-01T11:00:00Z", allowed: false }));
      await store.markReconciled("in3", { at: "2026-03-01T12:00:00Z", by: "x" });
      expect(await store.counts({ since: "2026-03-01T10:00:00Z", until: "2026-03-01T11:00:00Z" })).toEqual({ total: 4, allowed: 2, denied: 2, needsReconciliation: 2, pending: 1 });
      expect(await store.counts({ since: "2026-03-02T00:00:00Z", until: "2026-03-03T00:00:00Z" })).toEqual({ total: 0, allowed: 0, denied: 0, needsReconciliation: 0, pending: 0 });
      // By source: a reconciliation's re-decision and a CI gate's decision are not admissions.
      await store.record(event("re", { time: "2026-03-01T10:55:00Z", source: "reconcile", allowed: false }));
      await store.record(event("ci", { time: "2026-03-01T10:56:00Z", source: "cli", allowed: true }));
      expect(await store.counts({ since: "2026-03-01T10:00:00Z", until: "2026-03-01T11:00:00Z", source: "admission" })).toEqual({ total: 4, allowed: 2, denied: 2, needsReconciliation: 2, pending: 1 });
      expect(await store.counts({ since: "2026-03-01T10:00:00Z", until: "2026-03-01T11:00:00Z", source: "reconcile" })).toEqual({ total: 1, allowed: 0, denied: 1, needsReconciliation: 0, pending: 0 });
      expect((await store.counts({ since: "2026-03-01T10:00:00Z", until: "2026-03-01T11:00:00Z" })).total).toBe(6);
    });

    it("stores SQL-significant characters as data, and sees another store's writes (no caching)", async () => {
      const other = await open();
      const nasty = ["x' or '1'='1", "%", "_", "\\", "a;b"];
      for (const [i, id] of nasty.entries()) await other.record(event(id, { time: `2026-03-01T10:00:0${i}Z`, resource: { kind: "Pod", namespace: id, name: id } }));
      for (const id of nasty) expect(await store.find(id)).toMatchObject({ id, resource: { namespace: id, name: id } });
      expect(await store.find("x%")).toBeUndefined();
      expect(ids((await store.list()).events)).toEqual(nasty);
    });

    it("keeps events across a reopen, and a closed store refuses work (STORE_UNAVAILABLE)", async () => {
      await store.record(event("kept"));
      await store.close();
      await expect(store.find("kept")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      expect(await (await open()).find("kept")).toMatchObject({ id: "kept" });
    });

    it("records concurrently from two stores without losing one", async () => {
      const other = await open();
      await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : other).record(event(`c${String(i).padStart(2, "0")}`))));
      expect(ids((await store.list()).events)).toEqual(Array.from({ length: 16 }, (_, i) => `c${String(i).padStart(2, "0")}`));
    });
  });
}
