import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import type { LogStoreTestHooks } from "./log-common.js";
import type { LogAppend, LogEntryRecord, LogHead, LogStore, LogTile } from "./ports.js";

/**
 * The LogStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver (after tessera's
 * storage tests and kysely's test-setup). A driver's test file calls `describeLogStoreContract` with a fixture that
 * opens its store at a fresh, empty location per test.
 *
 * Drivers do not verify hashes (ports.ts), so batches here are shaped like the sequencer's — realistic entry bodies
 * with their RFC 6962 leaf hashes, level-0 tiles of those hashes, entry bundles, level-1 tiles once a level-0 tile
 * fills — but roots and level-1 hashes are random bytes.
 */

export interface LogStoreFixture {
  /** Opens (again) the store at this fixture's location, which starts out empty. */
  open(hooks?: LogStoreTestHooks): Promise<LogStore>;
  /**
   * How a child process opens the same store, for the tests in which a process dies: the child imports `exportName`
   * from `module` (a path; run with tsx) and calls it as `(location, { testHooks })`.
   */
  child: { module: string; exportName: string; location: string };
  /** Removes the location once every store on it is closed. */
  dispose?(): Promise<void>;
}

/** What a driver says of itself, so the suite checks the matching clause of the contract. */
export interface LogStoreTraits {
  /** A SubmissionQueue other processes share (SQL drivers); single-process drivers (files) have none. */
  sharedQueue: boolean;
  /** Keeps each record's bundleOffset and reads bundle ranges (SQL drivers; files read a whole bundle cheaply). */
  bundleRanges: boolean;
}

export function describeLogStoreContract(name: string, makeFixture: () => Promise<LogStoreFixture>, traits: LogStoreTraits): void {
  describe(`LogStore contract: ${name}`, () => {
    let fixture: LogStoreFixture;
    let opened: LogStore[];
    let children: ChildProcess[];

    const open = async (hooks?: LogStoreTestHooks): Promise<LogStore> => {
      const store = await fixture.open(hooks);
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      opened = [];
      children = [];
    });

    afterEach(async () => {
      for (const child of children) child.kill("SIGKILL");
      for (const store of opened) await store.close().catch(() => undefined);
      await fixture.dispose?.();
    });

    it("a store never appended to has no head, tiles, bundles or entries", async () => {
      const store = await open();
      expect(await store.readHead()).toBeUndefined();
      expect(await store.readTile(0, 0)).toBeUndefined();
      expect(await store.readEntryBundle(0)).toBeUndefined();
      expect(await store.readEntries(0, 10)).toEqual([]);
      expect(await store.findEntry(randomHash())).toBeUndefined();
    });

    it("reads back an append: head, tiles, entry bundles and records", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 3);
      await expectStoreHolds(store, log);
      expect((await store.readHead())?.size).toBe(3);
      expect(await store.readTile(0, 0)).toEqual(log.tiles.get("0/0"));
    });

    it("keeps the latest version of every tile and bundle across tile boundaries, and an append of no entries", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 0); // the sequencer's first append: the empty tree's checkpoint
      expect(await store.readHead()).toEqual(log.head);
      await commit(store, log, 3);
      await commit(store, log, 297); // fills tile 0/0 and starts 0/1; level 1 appears
      await commit(store, log, 0); // a new checkpoint for the same tree
      await commit(store, log, 470); // fills 0/1 and 0/2, starts 0/3
      await expectStoreHolds(store, log);
      expect(log.head.size).toBe(770);
      expect((await store.readTile(1, 0))?.length).toBe(3 * 32);
      expect((await store.readTile(0, 3))?.length).toBe(2 * 32);
    });

    it("readEntries returns committed records in index order, from any index", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 300);
      expect(await store.readEntries(0, 0)).toEqual([]);
      expect(await store.readEntries(250, 10)).toEqual(log.records.slice(250, 260));
      expect(await store.readEntries(295, 100)).toEqual(log.records.slice(295));
      expect(await store.readEntries(300, 5)).toEqual([]);
      expect(await store.readEntries(10_000, 1)).toEqual([]);
      await expect(store.readEntries(-1, 5)).rejects.toBeInstanceOf(RangeError);
      await expect(store.readEntries(0.5, 5)).rejects.toBeInstanceOf(RangeError);
    });

    it("findEntry finds committed entries by leaf hash and nothing else", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 20);
      for (const record of [log.records[0]!, log.records[7]!, log.records[19]!]) {
        expect(await store.findEntry(record.leafHash)).toEqual(record);
      }
      // Same first 8 bytes as a committed leaf (a prefix-keyed index must still compare the whole hash).
      const lookalike = new Uint8Array(log.records[7]!.leafHash);
      lookalike[31] = lookalike[31]! ^ 1;
      expect(await store.findEntry(lookalike)).toBeUndefined();
      expect(await store.findEntry(randomHash())).toBeUndefined();
      expect(await store.findEntry(log.records[7]!.leafHash.subarray(0, 31))).toBeUndefined();
    });

    it(`${traits.bundleRanges ? "keeps each record's bundleOffset and reads bundle ranges exactly" : "never guesses a bundleOffset it does not keep"}`, async () => {
      const store = await open();
      const log = new LogModel();
      const plan = log.next(300);
      const offsets = plan.batch.bundles.flatMap(({ data }) => entryOffsets(data));
      plan.batch.entries.forEach((entry, i) => (entry.bundleOffset = offsets[i]));
      await store.append(plan.batch);
      const back = await store.readEntries(0, 300);
      const found = await store.findEntries([plan.batch.entries[7]!.leafHash, plan.batch.entries[299]!.leafHash]);
      if (traits.bundleRanges) {
        expect(back.map((record) => record.bundleOffset)).toEqual(offsets);
        expect(found.map((record) => record?.bundleOffset)).toEqual([offsets[7], offsets[299]]);
        expect(await store.findEntry(plan.batch.entries[256]!.leafHash)).toMatchObject({ bundleOffset: 0 });
        const [first, second] = plan.batch.bundles;
        expect(Buffer.from((await store.readBundleRange!(0, offsets[7]!, offsets[8]!))!)).toEqual(Buffer.from(first!.data.subarray(offsets[7]!, offsets[8]!)));
        expect(Buffer.from((await store.readBundleRange!(0, offsets[255]!))!)).toEqual(Buffer.from(first!.data.subarray(offsets[255]!)));
        expect(Buffer.from((await store.readBundleRange!(1, 0, 10))!)).toEqual(Buffer.from(second!.data.subarray(0, 10)));
        expect(Buffer.from((await store.readBundleRange!(1, second!.data.length - 3, second!.data.length + 100))!)).toEqual(Buffer.from(second!.data.subarray(-3)));
        expect(await store.readBundleRange!(7, 0, 10)).toBeUndefined();
        await expect(store.readBundleRange!(0, -1, 10)).rejects.toBeInstanceOf(RangeError);
        await expect(store.readBundleRange!(0, 10, 5)).rejects.toBeInstanceOf(RangeError);
      } else {
        expect(back.every((record) => record.bundleOffset === undefined)).toBe(true);
        expect(found.every((record) => record?.bundleOffset === undefined)).toBe(true);
        expect(store.readBundleRange).toBeUndefined();
      }
    });

    it("findEntries answers as findEntry would, one element per hash, in order", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 1100);
      const lookalike = new Uint8Array(log.records[7]!.leafHash);
      lookalike[31] = lookalike[31]! ^ 1;
      const asked = [log.records[1099]!.leafHash, randomHash(), log.records[7]!.leafHash, lookalike, log.records[7]!.leafHash, log.records[0]!.leafHash.subarray(0, 31)];
      expect(await store.findEntries(asked)).toEqual([log.records[1099], undefined, log.records[7], undefined, log.records[7], undefined]);
      expect(await store.findEntries([])).toEqual([]);
      // More hashes than one IN list holds, every committed one found.
      const all = log.records.map((record) => record.leafHash);
      expect(await store.findEntries(all)).toEqual(log.records);
    });

    it("a store never appended to has the empty tree as its head for the compare-and-swap", async () => {
      const store = await open();
      const log = new LogModel();
      const plan = log.next(2);
      expect(await errorCode(store.append({ ...plan.batch, from: { size: 0, rootHash: randomHash() } }))).toBe("STORE_CONFLICT");
      const fromOne = log.next(2);
      expect(await errorCode(store.append(shifted(fromOne.batch, 1)))).toBe("STORE_CONFLICT");
      expect(await store.readHead()).toBeUndefined();
      await store.append(plan.batch);
      plan.apply();
      await expectStoreHolds(store, log);
    });

    it("refuses with STORE_CONFLICT, changing nothing, an append whose `from` is not the committed head", async () => {
      const store = await open();
      const log = new LogModel();
      const first = await commit(store, log, 5);
      await commit(store, log, 5);
      // A stale head (an old batch replayed), then the right size with another root hash.
      const stale = log.next(3);
      const replayed = { ...shifted(stale.batch, -5), from: { size: first.to.size, rootHash: first.to.rootHash } };
      expect(await errorCode(store.append(replayed))).toBe("STORE_CONFLICT");
      expect(await errorCode(store.append({ ...stale.batch, from: { size: log.head.size, rootHash: randomHash() } }))).toBe("STORE_CONFLICT");
      await expectStoreHolds(store, log);
      expect(await store.findEntry(stale.batch.entries[0]!.leafHash)).toBeUndefined();
      // Still appendable from the true head.
      await store.append(stale.batch);
      stale.apply();
      await expectStoreHolds(store, log);
    });

    it("refuses with STORE_CONFLICT, changing nothing, a leaf hash that is already in the log", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 4);
      const again = log.next(2);
      again.batch.entries[1] = { ...again.batch.entries[1]!, leafHash: log.records[2]!.leafHash };
      expect(await errorCode(store.append(again.batch))).toBe("STORE_CONFLICT");
      const twice = log.next(2);
      twice.batch.entries[1] = { ...twice.batch.entries[1]!, leafHash: twice.batch.entries[0]!.leafHash };
      expect(await errorCode(store.append(twice.batch))).toBe("STORE_CONFLICT");
      await expectStoreHolds(store, log);
      expect(await store.findEntry(again.batch.entries[0]!.leafHash)).toBeUndefined();
    });

    it("refuses a malformed batch with RangeError before writing any of it", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 3);
      const plan = () => log.next(2).batch;
      const malformed: LogAppend[] = [
        { ...plan(), tiles: [...plan().tiles, { level: 64, index: 0, hashes: randomHash() }] },
        { ...plan(), tiles: [{ level: 0, index: 0, hashes: randomBytes(33) }] },
        { ...plan(), tiles: [{ level: 0, index: -1, hashes: randomHash() }] },
        { ...plan(), bundles: [{ index: 0.5, data: randomBytes(8) }] },
        { ...plan(), entries: plan().entries.slice(1) },
        { ...plan(), entries: plan().entries.map((e) => ({ ...e, leafHash: e.leafHash.subarray(1) })) },
        { ...plan(), entries: plan().entries.map((e) => ({ ...e, index: e.index + 1 })) },
        { ...plan(), entries: plan().entries.map((e) => ({ ...e, integratedTime: -1 })) },
      ];
      for (const batch of malformed) await expect(store.append(batch)).rejects.toBeInstanceOf(RangeError);
      await expectStoreHolds(store, log);
    });

    it("an append that fails before its commit point leaves the old head and no new record", async () => {
      let failing = false;
      const hooks: LogStoreTestHooks = {
        beforeCommit: () => {
          if (failing) throw new Error("injected failure before the commit point");
        },
      };
      const store = await open(hooks);
      const log = new LogModel();
      await commit(store, log, 0);
      await commit(store, log, 250);
      failing = true;
      const lost = log.next(20); // crosses into tile 0/1 and fills 0/0
      await expect(store.append(lost.batch)).rejects.toThrow();
      await expectStoreHolds(store, log, { interrupted: lost.batch });
      for (const entry of lost.batch.entries) expect(await store.findEntry(entry.leafHash)).toBeUndefined();
      expect(await store.readEntries(250, 50)).toEqual([]);

      // The next append (other entries) extends the old head, and overwrites whatever the failed one left.
      failing = false;
      await commit(store, log, 30);
      await expectStoreHolds(store, log);
      await store.close();
      await expectStoreHolds(await open(), log);
    });

    it("a process killed in the middle of an append leaves the old head; the next append succeeds", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 250);
      await store.close();
      const lost = log.next(20);
      const { code, signal, stderr } = await runChild(
        fixture,
        children,
        [
          `const store = await open({ beforeCommit: () => { process.kill(process.pid, "SIGKILL"); return new Promise(() => {}); } });`,
          `await store.append(decodeBatch(JSON.parse(await readInput())));`,
          `process.stdout.write("committed\\n");`,
        ],
        JSON.stringify(encodeBatch(lost.batch)),
      );
      expect({ code, signal, stderr }).toMatchObject({ code: null, signal: "SIGKILL" });

      const reopened = await open();
      await expectStoreHolds(reopened, log, { interrupted: lost.batch });
      for (const entry of lost.batch.entries) expect(await reopened.findEntry(entry.leafHash)).toBeUndefined();
      await commit(reopened, log, 30);
      await expectStoreHolds(reopened, log);
    });

    it("returns bytes exactly as stored, which neither the caller's later writes nor a reader's can change", async () => {
      const store = await open();
      const log = new LogModel();
      const plan = log.next(3);
      plan.batch.to.checkpoint = "vouch.example/log ✓\n3\nAAAA\r\n\n— vouch.example/log   trailing spaces  \n";
      const tile: LogTile = { level: 0, index: 0, hashes: new Uint8Array(96) }; // zeros are bytes too
      tile.hashes.set(randomBytes(32), 32);
      plan.batch.tiles = [tile];
      const expected = structuredClone({ checkpoint: plan.batch.to.checkpoint, tile: tile.hashes, bundle: plan.batch.bundles[0]!.data, leaf: plan.batch.entries[0]!.leafHash });
      await store.append(plan.batch);
      // The caller reuses its buffers.
      tile.hashes.fill(0xff);
      plan.batch.bundles[0]!.data.fill(0xff);
      plan.batch.entries[0]!.leafHash.fill(0xff);
      plan.batch.to.rootHash.fill(0xff);

      const head = await store.readHead();
      expect(head?.checkpoint).toBe(expected.checkpoint);
      const readTile = await store.readTile(0, 0);
      expect(readTile).toEqual(expected.tile);
      expect(await store.readEntryBundle(0)).toEqual(expected.bundle);
      const [record] = await store.readEntries(0, 1);
      expect(record?.leafHash).toEqual(expected.leaf);
      expect(head?.rootHash).not.toEqual(plan.batch.to.rootHash);
      // A reader scribbling on what it got does not change the next read.
      readTile!.fill(7);
      record!.leafHash.fill(7);
      head!.rootHash.fill(7);
      expect(await store.readTile(0, 0)).toEqual(expected.tile);
      expect((await store.readEntries(0, 1))[0]?.leafHash).toEqual(expected.leaf);
      expect((await store.readHead())?.rootHash).not.toEqual(head!.rootHash);
      expect(await store.findEntry(expected.leaf)).toMatchObject({ index: 0 });
    });

    it("keeps everything across close and reopen", async () => {
      const store = await open();
      const log = new LogModel();
      await commit(store, log, 0);
      await commit(store, log, 260);
      await commit(store, log, 7);
      await store.close();
      const reopened = await open();
      await expectStoreHolds(reopened, log);
      await commit(reopened, log, 5);
      await expectStoreHolds(reopened, log);
    });

    it("refuses calls on a closed store with STORE_UNAVAILABLE", async () => {
      const store = await open();
      await store.close();
      await store.close(); // closing twice is harmless
      expect(await errorCode(store.readHead())).toBe("STORE_UNAVAILABLE");
      expect(await errorCode(store.append(new LogModel().next(1).batch))).toBe("STORE_UNAVAILABLE");
    });

    it("two stores on one location see each other's appends, and of two racing appends exactly one commits", async () => {
      const a = await open();
      const b = await open();
      const log = new LogModel();
      await commit(a, log, 10);
      await expectStoreHolds(b, log);
      for (const record of log.records) expect(await b.findEntry(record.leafHash)).toEqual(record);

      const x = log.next(5);
      const y = log.next(7);
      const results = await Promise.allSettled([a.append(x.batch), b.append(y.batch)]);
      const won = results.findIndex((r) => r.status === "fulfilled");
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const loser = results[1 - won] as PromiseRejectedResult;
      expect((loser.reason as VouchError).code).toBe("STORE_CONFLICT");
      (won === 0 ? x : y).apply();
      await expectStoreHolds(a, log);
      await expectStoreHolds(b, log);
      const lostBatch = won === 0 ? y.batch : x.batch;
      for (const entry of lostBatch.entries) expect(await b.findEntry(entry.leafHash)).toBeUndefined();
    });

    if (traits.sharedQueue) {
      it("a shared submission queue hands each body to one taker, oldest first", async () => {
        const store = await open();
        if (store.queue === undefined) throw new Error(`${name} claims a shared submission queue but has none`);
        const other = await open();
        const bodies = Array.from({ length: 7 }, (_, i) => Buffer.from(`{"queued":${i}}`));
        for (const body of bodies) await store.queue.enqueue(body);
        expect((await store.queue.take(2)).map((b) => Buffer.from(b).toString())).toEqual(['{"queued":0}', '{"queued":1}']);
        const [a, b] = await Promise.all([store.queue.take(3), other.queue!.take(3)]);
        const taken = [...a, ...b].map((x) => Buffer.from(x).toString()).sort();
        expect(taken).toEqual(bodies.slice(2).map((x) => x.toString()).sort());
        expect(await store.queue.take(5)).toEqual([]);
      });
    } else {
      it("has no submission queue: a single-process driver takes submissions only in its own process", async () => {
        expect((await open()).queue).toBeUndefined();
      });
    }

    it("grants the sequencer lease to one holder at a time, until it is released", async () => {
      const a = await open();
      const b = await open();
      const lease = await a.tryAcquireSequencer();
      expect(lease).toBeDefined();
      expect(await a.tryAcquireSequencer()).toBeUndefined();
      expect(await b.tryAcquireSequencer()).toBeUndefined();
      await lease!.release();
      await lease!.release(); // twice is harmless
      await expect(lease!.lost).resolves.toBeUndefined();
      const next = await b.tryAcquireSequencer();
      expect(next).toBeDefined();
      expect(await a.tryAcquireSequencer()).toBeUndefined();
      await next!.release();
    });

    it("closing a store gives up its lease", async () => {
      const a = await open();
      const b = await open();
      const lease = await a.tryAcquireSequencer();
      expect(lease).toBeDefined();
      await a.close();
      await expect(lease!.lost).resolves.toBeUndefined();
      const next = await b.tryAcquireSequencer();
      expect(next).toBeDefined();
      await next!.release();
    });

    it("refuses the lease while another process holds it, and grants it within seconds after that process is killed", async () => {
      const { child, firstLine } = startChild(fixture, children, [
        `const store = await open();`,
        `const lease = await store.tryAcquireSequencer();`,
        `process.stdout.write(lease ? "held\\n" : "busy\\n");`,
        `setInterval(() => {}, 1000);`,
      ]);
      expect(await firstLine).toBe("held");
      const store = await open();
      expect(await store.tryAcquireSequencer()).toBeUndefined();
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      const lease = await eventually(() => store.tryAcquireSequencer(), 15_000);
      expect(lease).toBeDefined();
      await lease!.release();
    });
  });
}

// ---- a model of the log that produces batches shaped like the sequencer's ----

const EMPTY_ROOT = createHash("sha256").digest();
const TILE = 256;

interface Plan {
  batch: LogAppend;
  /** Records the batch as committed in the model. */
  apply(): void;
}

/** Where each entry of a stored bundle starts (its length prefix), as the sequencer records it. */
function entryOffsets(data: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset < data.length; offset += 2 + ((data[offset]! << 8) | data[offset + 1]!)) offsets.push(offset);
  return offsets;
}

class LogModel {
  head: LogHead = { size: 0, rootHash: new Uint8Array(EMPTY_ROOT), checkpoint: "" };
  committed = false;
  readonly records: LogEntryRecord[] = [];
  readonly bodies: Uint8Array[] = [];
  /** Hashes of full level-0 tiles (random: drivers do not check them). */
  readonly level1: Uint8Array[] = [];
  readonly tiles = new Map<string, Uint8Array>();
  readonly bundles = new Map<number, Uint8Array>();

  next(count: number): Plan {
    const from = { size: this.head.size, rootHash: new Uint8Array(this.head.rootHash) };
    const size = from.size + count;
    const bodies = Array.from({ length: count }, () => entryBody());
    const integratedTime = 1_700_000_000 + from.size;
    const entries = bodies.map((body, i) => ({ index: from.size + i, leafHash: rfc6962Leaf(body), integratedTime }));
    const allBodies = [...this.bodies, ...bodies];
    const leaves = [...this.records, ...entries].map((r) => r.leafHash);
    const level1 = [...this.level1];
    while (level1.length < Math.floor(size / TILE)) level1.push(randomHash());
    const tiles: LogTile[] = [];
    const bundles: LogAppend["bundles"] = [];
    if (count > 0) {
      for (let t = Math.floor(from.size / TILE); t <= Math.floor((size - 1) / TILE); t++) {
        tiles.push({ level: 0, index: t, hashes: concat(leaves.slice(t * TILE, Math.min(size, (t + 1) * TILE))) });
        bundles.push({ index: t, data: bundle(allBodies.slice(t * TILE, Math.min(size, (t + 1) * TILE))) });
      }
    }
    for (let t = Math.floor(this.level1.length / TILE); this.level1.length < level1.length && t <= Math.floor((level1.length - 1) / TILE); t++) {
      tiles.push({ level: 1, index: t, hashes: concat(level1.slice(t * TILE, (t + 1) * TILE)) });
    }
    // Same tree, same root: an append of no entries only re-signs the checkpoint.
    const rootHash = count === 0 ? new Uint8Array(from.rootHash) : randomHash();
    const to: LogHead = { size, rootHash, checkpoint: checkpointText(size, rootHash) };
    const batch: LogAppend = { from, to, entries, tiles, bundles };
    const snapshot = structuredClone(batch);
    return {
      batch,
      apply: () => {
        this.head = snapshot.to;
        this.committed = true;
        this.records.push(...snapshot.entries);
        this.bodies.push(...bodies);
        this.level1.splice(0, this.level1.length, ...level1);
        for (const tile of snapshot.tiles) this.tiles.set(`${tile.level}/${tile.index}`, tile.hashes);
        for (const b of snapshot.bundles) this.bundles.set(b.index, b.data);
      },
    };
  }
}

async function commit(store: LogStore, log: LogModel, count: number): Promise<LogAppend> {
  const plan = log.next(count);
  await store.append(plan.batch);
  plan.apply();
  return plan.batch;
}

/**
 * The store holds exactly what the model committed. After an interrupted append (`interrupted`), a tile or bundle
 * that batch wrote MAY be its newer version, but only one whose start is the committed version (ports.ts).
 */
async function expectStoreHolds(store: LogStore, log: LogModel, options: { interrupted?: LogAppend } = {}): Promise<void> {
  expect(await store.readHead()).toEqual(log.committed ? log.head : undefined);
  const newer = new Map<string, Uint8Array>();
  for (const tile of options.interrupted?.tiles ?? []) newer.set(`t${tile.level}/${tile.index}`, tile.hashes);
  for (const b of options.interrupted?.bundles ?? []) newer.set(`b${b.index}`, b.data);
  const check = (key: string, stored: Uint8Array | undefined, committed: Uint8Array | undefined) => {
    const candidate = newer.get(key);
    if (candidate !== undefined && stored !== undefined && committed !== undefined && stored.length > committed.length) {
      expect(stored).toEqual(candidate);
      expect(stored.subarray(0, committed.length)).toEqual(committed);
    } else if (candidate !== undefined && stored !== undefined && committed === undefined) {
      expect(stored).toEqual(candidate);
    } else {
      expect(stored).toEqual(committed);
    }
  };
  for (const [key, hashes] of log.tiles) {
    const [level, index] = key.split("/").map(Number) as [number, number];
    check(`t${key}`, await store.readTile(level, index), hashes);
  }
  for (const [index, data] of log.bundles) check(`b${index}`, await store.readEntryBundle(index), data);
  // No tile or bundle past the committed leaves, except what an interrupted append may have left.
  const past = Math.ceil(log.head.size / TILE);
  if (!newer.has(`t0/${past}`)) expect(await store.readTile(0, past)).toBeUndefined();
  if (!newer.has(`b${past}`)) expect(await store.readEntryBundle(past)).toBeUndefined();
  expect(await store.readEntries(0, log.head.size + 300)).toEqual(log.records);
  for (const record of [log.records[0], log.records[log.records.length - 1]]) {
    if (record !== undefined) expect(await store.findEntry(record.leafHash)).toEqual(record);
  }
}

/** A canonical-looking hashedrekord body, as the log stores it. */
function entryBody(): Uint8Array {
  const body = {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: randomBytes(32).toString("hex") } },
      signature: { content: randomBytes(71).toString("base64"), publicKey: { content: randomBytes(91).toString("base64") } },
    },
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

function rfc6962Leaf(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(Uint8Array.of(0)).update(body).digest());
}

function checkpointText(size: number, root: Uint8Array): string {
  const b64 = Buffer.from(root).toString("base64");
  return `vouch.example/log\n${size}\n${b64}\n\n— vouch.example/log ${randomBytes(68).toString("base64")}\n`;
}

function bundle(bodies: readonly Uint8Array[]): Uint8Array {
  return concat(bodies.flatMap((b) => [Uint8Array.of(b.length >> 8, b.length & 0xff), b]));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function randomHash(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** The batch as if the tree were `by` entries larger than it is (a `from` that is not the committed head). */
function shifted(batch: LogAppend, by: number): LogAppend {
  return { ...batch, from: { ...batch.from, size: batch.from.size + by }, to: { ...batch.to, size: batch.to.size + by }, entries: shiftedEntries(batch.entries, by) };
}

function shiftedEntries(entries: readonly LogEntryRecord[], by: number): LogEntryRecord[] {
  return entries.map((e) => ({ ...e, index: e.index + by }));
}

/** The code of the VouchError the promise rejects with (fails the test if it resolves or rejects otherwise). */
async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof VouchError) return err.code;
    throw err;
  }
  throw new Error("expected a VouchError");
}

async function eventually<T>(attempt: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---- child processes: the tests in which a process dies ----

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

function childSource(fixture: LogStoreFixture, body: string[]): string {
  const { module, exportName, location } = fixture.child;
  return [
    `import { ${exportName} } from ${JSON.stringify(pathToFileURL(module).href)};`,
    `const open = (testHooks) => ${exportName}(${JSON.stringify(location)}, { testHooks });`,
    `const bytes = (hex) => new Uint8Array(Buffer.from(hex, "hex"));`,
    `const readInput = async () => { let text = ""; for await (const chunk of process.stdin) text += chunk; return text; };`,
    `const decodeBatch = (b) => ({`,
    `  from: { size: b.from.size, rootHash: bytes(b.from.rootHash) },`,
    `  to: { size: b.to.size, rootHash: bytes(b.to.rootHash), checkpoint: b.to.checkpoint },`,
    `  entries: b.entries.map((e) => ({ index: e.index, leafHash: bytes(e.leafHash), integratedTime: e.integratedTime })),`,
    `  tiles: b.tiles.map((t) => ({ level: t.level, index: t.index, hashes: bytes(t.hashes) })),`,
    `  bundles: b.bundles.map((x) => ({ index: x.index, data: bytes(x.data) })),`,
    `});`,
    ...body,
  ].join("\n");
}

/** Runs `body` in a child process with `open` bound to the fixture's store; `input` is its stdin. */
function startChild(fixture: LogStoreFixture, children: ChildProcess[], body: string[], input = "") {
  const child = spawn(process.execPath, ["--import", TSX, "--input-type=module", "-e", childSource(fixture, body)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  child.stdin.end(input);
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("\n")) resolve(stdout.slice(0, stdout.indexOf("\n")));
    });
    child.once("exit", (code, signal) => reject(new Error(`child exited (${code ?? signal}) before a line: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  return { child, firstLine, stderr: () => stderr };
}

async function runChild(fixture: LogStoreFixture, children: ChildProcess[], body: string[], input = "") {
  const { child, stderr } = startChild(fixture, children, body, input);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, s) => resolve([c, s])));
  return { code, signal, stderr: stderr() };
}

function encodeBatch(batch: LogAppend) {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return {
    from: { size: batch.from.size, rootHash: hex(batch.from.rootHash) },
    to: { size: batch.to.size, rootHash: hex(batch.to.rootHash), checkpoint: batch.to.checkpoint },
    entries: batch.entries.map((e) => ({ index: e.index, leafHash: hex(e.leafHash), integratedTime: e.integratedTime })),
    tiles: batch.tiles.map((t) => ({ level: t.level, index: t.index, hashes: hex(t.hashes) })),
    bundles: batch.bundles.map((b) => ({ index: b.index, data: hex(b.data) })),
  };
}

