import { describe, expect, it } from "vitest";
import { leafHash } from "../core/merkle/index.js";
import { MemoryLogStore } from "../../test/support/memory-log-store.js";
import { Sequencer } from "./sequencer.js";
import { LogReader } from "./tiles/reader.js";

const keyOf = (body: Uint8Array) => Buffer.from(leafHash(body)).toString("hex");
const body = (n: number) => Buffer.from(`{"n":${n}}`);

async function start(store = new MemoryLogStore(), options: { maxBatch?: number; maxDelayMs?: number } = {}) {
  const appends: number[] = [];
  const original = store.append.bind(store);
  store.append = async (batch) => {
    appends.push(batch.entries.length);
    return original(batch);
  };
  const sequencer = await Sequencer.start({
    store,
    signCheckpoint: ({ size, rootHash }) => `test\n${size}\n${Buffer.from(rootHash).toString("base64")}\n`,
    now: () => 1_700_000_000,
    ...options,
  });
  return { store, sequencer, appends };
}

describe("Sequencer", () => {
  it("commits the empty tree's checkpoint on a new log", async () => {
    const { store } = await start();
    expect(store.head?.size).toBe(0);
    expect(store.head?.checkpoint).toMatch(/^test\n0\n47DEQpj8HBSa\+\/TImW\+5JCeuQeRkm5NMpJWZG3hSuFU=\n$/);
  });

  it("batches concurrent submissions into one append and answers each with its index", async () => {
    const { sequencer, appends, store } = await start(undefined, { maxDelayMs: 5 });
    const results = await Promise.all([0, 1, 2, 3, 4].map((n) => sequencer.submit(body(n), keyOf(body(n)))));
    expect(results.map((r) => r.record.index).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(appends).toEqual([0, 5]);
    expect(results.every((r) => r.record.integratedTime === 1_700_000_000 && !r.duplicate)).toBe(true);
    const reader = new LogReader(store, store.head!);
    for (const [n, r] of results.entries()) expect(Buffer.from(await reader.entry(r.record.index))).toEqual(body(n));
  });

  it("caps a batch at maxBatch and integrates the rest right after", async () => {
    const { sequencer, appends } = await start(undefined, { maxBatch: 3, maxDelayMs: 1000 });
    await Promise.all(Array.from({ length: 7 }, (_, n) => sequencer.submit(body(n), keyOf(body(n)))));
    expect(appends.slice(1)).toEqual([3, 3, 1]);
    expect(sequencer.head.size).toBe(7);
  });

  it("de-duplicates identical entries in flight and already logged", async () => {
    const { sequencer } = await start();
    const [a, b] = await Promise.all([sequencer.submit(body(1), keyOf(body(1))), sequencer.submit(body(1), keyOf(body(1)))]);
    expect(a!.record.index).toBe(0);
    expect(b).toMatchObject({ duplicate: true, record: { index: 0 } });
    const again = await sequencer.submit(body(1), keyOf(body(1)));
    expect(again).toMatchObject({ duplicate: true, record: { index: 0 } });
    expect(sequencer.head.size).toBe(1);
  });

  it("looks up the submissions of one turn in one findEntries, and a failed lookup fails only them", async () => {
    const store = new MemoryLogStore();
    const lookups: number[] = [];
    const findEntries = store.findEntries.bind(store);
    let failNext = false;
    store.findEntries = async (leafHashes) => {
      lookups.push(leafHashes.length);
      if (failNext) {
        failNext = false;
        throw new Error("simulated lookup failure");
      }
      return findEntries(leafHashes);
    };
    const { sequencer } = await start(store);
    await sequencer.submit(body(0), keyOf(body(0)));
    const results = await Promise.all([0, 1, 2, 3].map((n) => sequencer.submit(body(n), keyOf(body(n)))));
    expect(lookups).toEqual([1, 4]);
    expect(results.map((r) => [r.record.index, r.duplicate])).toEqual([
      [0, true],
      [1, false],
      [2, false],
      [3, false],
    ]);
    failNext = true;
    await expect(sequencer.submit(body(9), keyOf(body(9)))).rejects.toThrow(/simulated lookup failure/);
    await expect(sequencer.submit(body(9), keyOf(body(9)))).resolves.toMatchObject({ duplicate: false, record: { index: 4 } });
  });

  it("fails the whole batch when the store fails, keeps the committed head, and goes on", async () => {
    const { sequencer, store } = await start();
    await sequencer.submit(body(0), keyOf(body(0)));
    store.failNextAppend = true;
    await expect(sequencer.submit(body(1), keyOf(body(1)))).rejects.toThrow(/simulated/);
    expect(store.head?.size).toBe(1);
    const next = await sequencer.submit(body(2), keyOf(body(2)));
    expect(next.record.index).toBe(1);
  });

  it("resumes a log from its stored head and right edge", async () => {
    const first = await start();
    await Promise.all(Array.from({ length: 300 }, (_, n) => first.sequencer.submit(body(n), keyOf(body(n)))));
    const second = await start(first.store);
    const r = await second.sequencer.submit(body(1000), keyOf(body(1000)));
    expect(r.record.index).toBe(300);
    expect((await second.sequencer.submit(body(5), keyOf(body(5)))).duplicate).toBe(true);
  });

  it("refuses an entry too large for a tile entry, and everything after stop()", async () => {
    const { sequencer } = await start();
    const big = Buffer.alloc(70_000, 0x20);
    await expect(sequencer.submit(big, keyOf(big))).rejects.toMatchObject({ code: "LOG_ENTRY_TOO_LARGE" });
    await sequencer.stop();
    await expect(sequencer.submit(body(1), keyOf(body(1)))).rejects.toMatchObject({ code: "LOG_UNAVAILABLE" });
  });
});
