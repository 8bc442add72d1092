import { describe, expect, it } from "vitest";
import { parsePolicies } from "./model/index.js";
import { Coalescer, exceptionBoundary, VerdictCache } from "./cache.js";
import { DependencyHealth } from "./health.js";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("VerdictCache", () => {
  it("positive and negative entries are fresh for their own TTLs, then stale (replayable), then gone", () => {
    const c = clock();
    const cache = new VerdictCache<string>({ positiveTtlMs: 1000, negativeTtlMs: 100, maxEntries: 10, maxStaleMs: 5000, now: c.now });
    cache.store("ok", "allowed", { positive: true });
    cache.store("no", "denied", { positive: false });
    expect(cache.lookup("ok")).toMatchObject({ value: "allowed", fresh: true });
    expect(cache.lookup("no")).toMatchObject({ value: "denied", fresh: true });
    c.advance(100);
    expect(cache.lookup("ok")?.fresh).toBe(true);
    expect(cache.lookup("no")).toMatchObject({ value: "denied", fresh: false });
    c.advance(900);
    expect(cache.lookup("ok")).toMatchObject({ value: "allowed", fresh: false });
    c.advance(4099); // 5099 after storing: "no" went stale at 100, and is kept 5000 past that
    expect(cache.lookup("no")).toMatchObject({ fresh: false });
    c.advance(1);
    expect(cache.lookup("no")).toBeUndefined();
    expect(cache.lookup("ok")?.fresh).toBe(false);
    c.advance(900);
    expect(cache.lookup("ok")).toBeUndefined();
    expect(cache.lookup("never")).toBeUndefined();
  });

  it("never keeps an entry fresh past notAfter (an exception's expiry)", () => {
    const c = clock();
    const cache = new VerdictCache<string>({ positiveTtlMs: 60_000, negativeTtlMs: 1000, maxEntries: 10, now: c.now });
    cache.store("k", "waived", { positive: true, notAfter: c.now() + 10 });
    c.advance(9);
    expect(cache.lookup("k")?.fresh).toBe(true);
    c.advance(1);
    expect(cache.lookup("k")?.fresh).toBe(false);
  });

  it("evicts the least recently used entry past maxEntries", () => {
    const c = clock();
    const cache = new VerdictCache<number>({ positiveTtlMs: 1000, negativeTtlMs: 1000, maxEntries: 2, now: c.now });
    cache.store("a", 1, { positive: true });
    cache.store("b", 2, { positive: true });
    cache.lookup("a");
    cache.store("c", 3, { positive: true });
    expect(cache.lookup("b")).toBeUndefined();
    expect(cache.lookup("a")?.value).toBe(1);
    expect(cache.lookup("c")?.value).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("refuses nonsense TTLs", () => {
    expect(() => new VerdictCache({ positiveTtlMs: -1, negativeTtlMs: 0, maxEntries: 1, now: Date.now })).toThrow(RangeError);
    expect(() => new VerdictCache({ positiveTtlMs: 1, negativeTtlMs: Number.NaN, maxEntries: 1, now: Date.now })).toThrow(RangeError);
  });
});

describe("Coalescer", () => {
  it("runs one computation for concurrent calls with one key, and a new one after it settles (failures too)", async () => {
    const co = new Coalescer<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = async () => {
      runs++;
      await gate;
      return runs;
    };
    const all = Array.from({ length: 20 }, () => co.run("img", work));
    const other = co.run("other", async () => -1);
    expect(co.inFlight).toBe(2);
    release();
    expect(new Set(await Promise.all(all))).toEqual(new Set([1]));
    expect(await other).toBe(-1);
    expect(co.inFlight).toBe(0);
    await expect(co.run("img", async () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await co.run("img", work)).toBe(2);
  });
});

const policyWithExceptions = parsePolicies(`apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: p }
spec:
  images: [ { glob: "**" } ]
  authorities: [ { static: fail } ]
  exceptions:
    - { name: early, images: [ { glob: "**" } ], reason: r, approver: a, expiresAt: "2026-01-01T00:00:00Z" }
    - { name: late, namespaces: [prod], reason: r, approver: a, expiresAt: "2026-06-01T00:00:00Z" }
`);

describe("exceptionBoundary", () => {
  it("the boundary is the first exception expiry after now", () => {
    expect(exceptionBoundary(policyWithExceptions, Date.parse("2025-12-01T00:00:00Z"))).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(exceptionBoundary(policyWithExceptions, Date.parse("2026-01-01T00:00:00Z"))).toBe(Date.parse("2026-06-01T00:00:00Z"));
    expect(exceptionBoundary(policyWithExceptions, Date.parse("2026-07-01T00:00:00Z"))).toBeUndefined();
  });
});

describe("DependencyHealth", () => {
  it("a failure makes the dependency skipped until its probe time; one probe at a time; backoff doubles to the cap", () => {
    const c = clock();
    const h = new DependencyHealth({ baseDelayMs: 100, maxDelayMs: 300, now: c.now });
    expect(h.admit("reg")).toBe("call");
    h.failed("reg", "connection refused");
    expect(h.state("reg")).toMatchObject({ healthy: false, reason: "connection refused", failures: 1, nextProbeAt: c.now() + 100 });
    expect(h.admit("reg")).toBe("skip");
    expect(h.admit("other")).toBe("call");
    c.advance(100);
    expect(h.dueForProbe("reg")).toBe(true);
    expect(h.admit("reg")).toBe("probe");
    expect(h.admit("reg")).toBe("skip"); // the probe is in flight
    h.failed("reg", "still down");
    expect(h.state("reg").nextProbeAt).toBe(c.now() + 200);
    c.advance(200);
    expect(h.admit("reg")).toBe("probe");
    h.failed("reg", "still down");
    expect(h.state("reg").nextProbeAt).toBe(c.now() + 300);
    expect(h.unhealthy()).toEqual(["reg"]);
    c.advance(300);
    expect(h.admit("reg")).toBe("probe");
    h.succeeded("reg");
    expect(h.state("reg")).toEqual({ healthy: true, failures: 0 });
    expect(h.admit("reg")).toBe("call");
    expect(h.unhealthy()).toEqual([]);
  });
});
