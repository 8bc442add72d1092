import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { emptyRoot, nodeHash, verifyConsistency, verifyInclusion } from "../../core/merkle/index.js";
import { MemoryLogStore } from "../../../test/support/memory-log-store.js";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { decodeEntryBundle, encodeEntryBundle } from "./bundle.js";
import { EMPTY_EDGE, integrate, type RightEdge } from "./integrate.js";
import { encodeTileIndex, parseTilePath, tilePath } from "./path.js";
import { FullTileCache, LogReader } from "./reader.js";

/** Reference MTH straight from RFC 6962 §2.1, over leaf hashes. */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

function entriesOf(count: number, start = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`{"entry":${start + i}}`));
}

/** Grows a log in the given batch sizes through a MemoryLogStore, as the sequencer does. */
function grow(batches: number[]): { store: MemoryLogStore; edge: RightEdge; leaves: Uint8Array[]; roots: Uint8Array[] } {
  const store = new MemoryLogStore();
  let edge = EMPTY_EDGE;
  const leaves: Uint8Array[] = [];
  const roots: Uint8Array[] = [];
  for (const count of batches) {
    const entries = entriesOf(count, edge.size);
    const step = integrate(edge, entries);
    for (const tile of step.tiles) store.tiles.set(`${tile.level}/${tile.index}`, tile.hashes);
    for (const bundle of step.bundles) store.bundles.set(bundle.index, bundle.data);
    store.head = { size: step.edge.size, rootHash: step.rootHash, checkpoint: "" };
    leaves.push(...step.leafHashes);
    roots[step.edge.size] = step.rootHash;
    edge = step.edge;
  }
  return { store, edge, leaves, roots };
}

describe("tile paths (c2sp.org/tlog-tiles)", () => {
  it("encodes indexes in x-prefixed three-digit groups", () => {
    expect(encodeTileIndex(0)).toBe("000");
    expect(encodeTileIndex(1234067)).toBe("x001/x234/067");
    expect(tilePath({ kind: "hashes", level: 0, index: 1234067, width: 256 })).toBe("tile/0/x001/x234/067");
    expect(tilePath({ kind: "hashes", level: 1, index: 5, width: 17 })).toBe("tile/1/005.p/17");
    expect(tilePath({ kind: "entries", index: 1000, width: 3 })).toBe("tile/entries/x001/000.p/3");
  });

  it("parses exactly the canonical spellings", () => {
    expect(parseTilePath("tile/0/x001/x234/067")).toEqual({ kind: "hashes", level: 0, index: 1234067, width: 256 });
    expect(parseTilePath("tile/2/005.p/255")).toEqual({ kind: "hashes", level: 2, index: 5, width: 255 });
    expect(parseTilePath("tile/entries/x001/000.p/3")).toEqual({ kind: "entries", index: 1000, width: 3 });
    for (const bad of ["tile/0/5", "tile/00/005", "tile/64/000", "tile/0/005.p/256", "tile/0/005.p/0", "tile/0/005.p/07",
      "tile/0/x000/005", "tile/0/001/002", "tile/entries", "checkpoint", "tile/0/x001", "tile/-1/000"]) {
      expect(parseTilePath(bad), bad).toBeUndefined();
    }
  });
});

describe("entry bundles", () => {
  it("round-trips length-prefixed entries", () => {
    const entries = [Buffer.from("a"), Buffer.alloc(0), randomBytes(70_00)];
    expect(decodeEntryBundle(encodeEntryBundle(entries)).map((e) => Buffer.from(e))).toEqual(entries);
  });

  it("refuses an entry too long for a uint16 prefix, and a truncated bundle", () => {
    expect(() => encodeEntryBundle([Buffer.alloc(0x10000)])).toThrow(/does not fit/);
    const data = encodeEntryBundle([Buffer.from("hello")]);
    expect(() => decodeEntryBundle(data.subarray(0, 4))).toThrow(/past the end/);
    expect(() => decodeEntryBundle(Uint8Array.of(0))).toThrow(/cut off/);
  });
});

describe("integration", () => {
  it("gives the RFC 6962 root after every batch, across tile and level boundaries", () => {
    const { leaves, roots } = grow([1, 2, 253, 1, 255, 256, 257, 3000, 1]);
    for (const size of [1, 3, 256, 257, 512, 768, 1025, 4025, 4026]) {
      expect(Buffer.from(roots[size]!), `size ${size}`).toEqual(Buffer.from(referenceRoot(leaves.slice(0, size))));
    }
  });

  it("writes full tiles once complete and parent hashes one level up", () => {
    const { store, edge } = grow([300]);
    expect(store.tiles.get("0/0")!.length).toBe(256 * 32);
    expect(store.tiles.get("0/1")!.length).toBe(44 * 32);
    expect(store.tiles.get("1/0")!.length).toBe(32);
    expect(edge.tiles.map((t) => t.length)).toEqual([44, 1]);
    expect(edge.bundle.length).toBe(44);
  });

  it("reaches level 2 (65,536 leaves) with the reference root", () => {
    const { leaves, roots } = grow([65_535, 2]);
    expect(Buffer.from(roots[65_537]!)).toEqual(Buffer.from(referenceRoot(leaves)));
  });

  it("an empty batch changes nothing", () => {
    const { edge } = grow([10]);
    const step = integrate(edge, []);
    expect(step.tiles).toEqual([]);
    expect(step.bundles).toEqual([]);
    expect(step.edge.size).toBe(10);
  });
});

describe("LogReader", () => {
  it("serves inclusion proofs that verify, for every leaf of small trees and any earlier size", async () => {
    const { store, leaves, roots } = grow([1, 1, 5, 9, 40]);
    const reader = new LogReader(store, store.head!);
    for (let size = 1; size <= leaves.length; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await reader.inclusionProof(index, size);
        expect(verifyInclusion(BigInt(index), BigInt(size), leaves[index]!, proof, referenceRoot(leaves.slice(0, size))).ok).toBe(true);
      }
      const known = roots[size];
      if (known) expect(Buffer.from(await reader.rootAt(size))).toEqual(Buffer.from(known));
    }
  });

  it("serves inclusion and consistency proofs in a two-level tree", async () => {
    const { store, leaves } = grow([70_000, 123]);
    const reader = new LogReader(store, store.head!);
    const root = store.head!.rootHash;
    const size = leaves.length;
    for (const index of [0, 255, 256, 65_535, 65_536, 69_999, size - 1]) {
      const proof = await reader.inclusionProof(index);
      expect(verifyInclusion(BigInt(index), BigInt(size), leaves[index]!, proof, root)).toEqual({ ok: true });
    }
    for (const first of [1, 2, 255, 256, 257, 65_536, 70_000, size]) {
      const proof = await reader.consistencyProof(first);
      const old = await reader.rootAt(first);
      expect(Buffer.from(old)).toEqual(Buffer.from(referenceRoot(leaves.slice(0, first))));
      expect(verifyConsistency(BigInt(first), BigInt(size), proof, old, root), `from ${first}`).toEqual({ ok: true });
    }
  });

  it("returns entries and partial tiles checked against their leaves", async () => {
    const { store } = grow([300]);
    const reader = new LogReader(store, store.head!);
    expect(Buffer.from(await reader.entry(299)).toString()).toBe('{"entry":299}');
    expect((await reader.entries(1, 44)).length).toBe(44);
    expect((await reader.tileHashes(0, 0, 10)).length).toBe(10);
    expect((await reader.tileHashes(0, 1, 44)).length).toBe(44);
    expect((await rejectedVouchError(() => reader.tileHashes(0, 1, 45))).code).toBe("LOG_NOT_FOUND");
    expect((await rejectedVouchError(() => reader.entry(300))).code).toBe("LOG_NOT_FOUND");
  });

  it("ignores stored tiles and bundles longer than the committed head (an interrupted append)", async () => {
    const { store } = grow([300]);
    const head = store.head!;
    const longer = grow([300, 20]).store;
    longer.head = head;
    const reader = new LogReader(longer, head);
    expect((await reader.entries(1, 44)).length).toBe(44);
    await expect(reader.inclusionProof(299)).resolves.toHaveLength(5);
  });

  it("detects a tampered full tile, right-edge tile and entry, and never returns them", async () => {
    const tamper = (bytes: Uint8Array, at: number) => {
      const copy = Uint8Array.from(bytes);
      copy[at]! ^= 1;
      return copy;
    };
    const full = grow([600]).store;
    full.tiles.set("0/0", tamper(full.tiles.get("0/0")!, 40));
    expect((await rejectedVouchError(() => new LogReader(full, full.head!).inclusionProof(3))).code).toBe("STORE_CORRUPT");

    const edge = grow([600]).store;
    edge.tiles.set("0/2", tamper(edge.tiles.get("0/2")!, 0));
    expect((await rejectedVouchError(() => new LogReader(edge, edge.head!).tileHashes(0, 2, 1))).code).toBe("STORE_CORRUPT");

    const entry = grow([600]).store;
    entry.bundles.set(0, tamper(entry.bundles.get(0)!, 5));
    const message = (await rejectedVouchError(() => new LogReader(entry, entry.head!).entry(0))).message;
    expect(message).toMatch(/entry 0 does not hash to its leaf/);
  });

  it("shares checked full tiles through the cache", async () => {
    const { store } = grow([1000]);
    const cache = new FullTileCache();
    await new LogReader(store, store.head!, cache).inclusionProof(5);
    store.tiles.delete("0/0");
    await expect(new LogReader(store, store.head!, cache).inclusionProof(5)).resolves.toHaveLength(10);
  });

  it("checks the signed root even for a reader of an empty prefix", async () => {
    const { store } = grow([5]);
    const wrong = { size: 5, rootHash: createHash("sha256").update("x").digest() };
    expect((await rejectedVouchError(() => new LogReader(store, wrong).entry(0))).code).toBe("STORE_CORRUPT");
  });
});

describe("LogReader after a failed read", () => {
  it("retries the right edge instead of remembering the failure", async () => {
    const { store } = grow([10]);
    const reader = new LogReader(store, store.head!);
    const saved = store.tiles.get("0/0")!;
    store.tiles.delete("0/0");
    expect((await rejectedVouchError(() => reader.entry(3))).code).toBe("STORE_CORRUPT");
    store.tiles.set("0/0", saved);
    expect(Buffer.from(await reader.entry(3)).toString()).toBe('{"entry":3}');
  });
});

describe("full entry bundles", () => {
  it("are decoded once and kept, while every entry read is still hashed against its leaf", async () => {
    const { store } = grow([600]);
    const cache = new FullTileCache();
    const reader = new LogReader(store, store.head!, cache);
    expect(Buffer.from(await reader.entry(7)).toString()).toBe('{"entry":7}');
    store.bundles.delete(0);
    expect(Buffer.from(await new LogReader(store, store.head!, cache).entry(9)).toString()).toBe('{"entry":9}');
    // The partial (right-edge) bundle is never cached: it still grows.
    store.bundles.delete(2);
    expect((await rejectedVouchError(() => new LogReader(store, store.head!, cache).entry(599))).code).toBe("STORE_CORRUPT");
  });

  it("are kept to the cache's byte budget, least recently used out first", async () => {
    const { store } = grow([1000]);
    const bundleBytes = store.bundles.get(1)!.length;
    const cache = new FullTileCache(4096, bundleBytes * 2);
    const reader = new LogReader(store, store.head!, cache);
    await reader.entry(1); // bundle 0
    await reader.entry(257); // bundle 1
    await reader.entry(2); // bundle 0 again: now the most recently used
    await reader.entry(513); // bundle 2: bundle 1 goes
    expect(cache.getBundle(0)).toBeDefined();
    expect(cache.getBundle(1)).toBeUndefined();
    expect(cache.getBundle(2)).toBeDefined();
    // A tampered bundle read after its eviction is read again, and caught.
    const tampered = Uint8Array.from(store.bundles.get(1)!);
    tampered[5]! ^= 1;
    store.bundles.set(1, tampered);
    expect((await rejectedVouchError(() => reader.entry(256))).code).toBe("STORE_CORRUPT");
  });
});

describe("one entry of a bundle read by its range", () => {
  /** Where each entry of a bundle starts, walked from its length prefixes. */
  const offsetsIn = (data: Uint8Array) => {
    const offsets: number[] = [];
    for (let at = 0; at < data.length; at += 2 + ((data[at]! << 8) | data[at + 1]!)) offsets.push(at);
    return offsets;
  };

  it("integrate gives each new entry the offset it has in its bundle, across batches and bundle edges", () => {
    let edge = EMPTY_EDGE;
    const offsets: number[] = [];
    let bundles = new Map<number, Uint8Array>();
    for (const count of [1, 1, 5, 9, 300, 40, 256, 3]) {
      const step = integrate(edge, entriesOf(count, edge.size).map((entry, i) => Buffer.concat([entry, Buffer.alloc((edge.size + i) % 7)])));
      offsets.push(...step.bundleOffsets);
      bundles = new Map([...bundles, ...step.bundles.map((b) => [b.index, b.data] as const)]);
      edge = step.edge;
    }
    expect(offsets).toEqual([...bundles.keys()].sort((a, b) => a - b).flatMap((index) => offsetsIn(bundles.get(index)!)));
  });

  const rangeOf = (data: Uint8Array, position: number) => {
    const offsets = offsetsIn(data);
    return { start: offsets[position]!, end: offsets[position + 1] };
  };

  it("reads just that range, and caches the whole bundle in the background once it is missed again", async () => {
    const { store } = grow([600]);
    const cache = new FullTileCache();
    const reader = new LogReader(store, store.head!, cache);
    await reader.rightEdge();
    const reads = store.bundleReads;
    expect(Buffer.from(await reader.entry(300, rangeOf(store.bundles.get(1)!, 44))).toString()).toBe('{"entry":300}');
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.bundleReads).toBe(reads);
    expect(Buffer.from(await reader.entry(511, rangeOf(store.bundles.get(1)!, 255))).toString()).toBe('{"entry":511}');
    await new Promise((resolve) => setImmediate(resolve));
    // The second miss fetched the whole bundle, in the background; now the bundle answers from the cache.
    expect(store.bundleReads).toBe(reads + 1);
    store.bundles.delete(1);
    expect(Buffer.from(await reader.entry(301)).toString()).toBe('{"entry":301}');
  });

  it("takes a range that holds another entry for no answer, and reads the whole bundle", async () => {
    const { store } = grow([600]);
    const reader = new LogReader(store, store.head!, new FullTileCache());
    expect(Buffer.from(await reader.entry(300, rangeOf(store.bundles.get(1)!, 45))).toString()).toBe('{"entry":300}');
    expect(Buffer.from(await reader.entry(302, { start: 1, end: 30 })).toString()).toBe('{"entry":302}');
  });

  it("still never returns a tampered entry", async () => {
    const { store } = grow([600]);
    const range = rangeOf(store.bundles.get(1)!, 44);
    const tampered = new Uint8Array(store.bundles.get(1)!);
    tampered[range.start + 5] = tampered[range.start + 5]! ^ 1;
    store.bundles.set(1, tampered);
    const error = await rejectedVouchError(() => new LogReader(store, store.head!, new FullTileCache()).entry(300, range));
    expect(error.code).toBe("STORE_CORRUPT");
  });

  it("does not fill a cache that is already full", async () => {
    const { store } = grow([600]);
    const cache = new FullTileCache(4096, 1);
    const reader = new LogReader(store, store.head!, cache);
    await reader.rightEdge();
    const reads = store.bundleReads;
    await reader.entry(300, rangeOf(store.bundles.get(1)!, 44));
    await reader.entry(301, rangeOf(store.bundles.get(1)!, 45));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.bundleReads).toBe(reads + 1);
    expect(cache.getBundle(1)).toBeUndefined();
  });
});
