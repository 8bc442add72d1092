import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { describeLogStoreContract } from "../log-store.contract.js";
import type { LogAppend, LogStore } from "../ports.js";
import { LeafIndex } from "./leaf-index.js";
import { openFsLogStore } from "./log-store.js";
import { encodeTileIndex } from "./tile-path.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-fs-log-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeLogStoreContract("filesystem", async () => {
  const dir = join(tempDir(), "log");
  return {
    open: (testHooks) => openFsLogStore(dir, { testHooks }),
    child: { module: join(import.meta.dirname, "log-store.ts"), exportName: "openFsLogStore", location: dir },
  };
}, { sharedQueue: false, bundleRanges: false });

const EMPTY_ROOT = Buffer.from("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "hex");

/** A batch of `count` entries extending `from`, with one level-0 tile and one bundle per 256 entries. */
function batch(from: { size: number; rootHash: Uint8Array }, count: number): LogAppend {
  const size = from.size + count;
  const entries = Array.from({ length: count }, (_, i) => ({ index: from.size + i, leafHash: randomBytes(32), integratedTime: 1_700_000_000 }));
  const tiles = [];
  const bundles = [];
  for (let t = Math.floor(from.size / 256); count > 0 && t <= Math.floor((size - 1) / 256); t++) {
    const width = Math.min(256, size - t * 256);
    tiles.push({ level: 0, index: t, hashes: randomBytes(width * 32) });
    bundles.push({ index: t, data: randomBytes(width * 3) });
  }
  const rootHash = randomBytes(32);
  return { from, to: { size, rootHash, checkpoint: `example.com/log\n${size}\n${rootHash.toString("base64")}\n` }, entries, tiles, bundles };
}

async function appendFresh(store: LogStore, count: number): Promise<LogAppend> {
  const head = await store.readHead();
  const b = batch(head ?? { size: 0, rootHash: EMPTY_ROOT }, count);
  await store.append(b);
  return b;
}

describe("filesystem log store layout", () => {
  it("names tiles and bundles by their c2sp.org/tlog-tiles paths", () => {
    expect(encodeTileIndex(0)).toBe("000");
    expect(encodeTileIndex(999)).toBe("999");
    expect(encodeTileIndex(1000)).toBe("x001/000");
    expect(encodeTileIndex(1234067)).toBe("x001/x234/067");
  });

  it("keeps tiles, bundles, the entry records, the head and the checkpoint where an operator expects them", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    const first = await appendFresh(store, 300);
    expect(readFileSync(join(dir, "tile/0/000"))).toEqual(Buffer.from(first.tiles[0]!.hashes));
    expect(readFileSync(join(dir, "tile/0/001"))).toEqual(Buffer.from(first.tiles[1]!.hashes));
    expect(readFileSync(join(dir, "tile/entries/001"))).toEqual(Buffer.from(first.bundles[1]!.data));
    expect(readFileSync(join(dir, "checkpoint"), "utf8")).toBe(first.to.checkpoint);
    expect(JSON.parse(readFileSync(join(dir, "head"), "utf8"))).toEqual({
      size: 300,
      rootHash: Buffer.from(first.to.rootHash).toString("hex"),
      checkpoint: first.to.checkpoint,
    });
    expect(statSync(join(dir, "entry-records")).size).toBe(300 * 40);
    expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    expect(existsSync(join(dir, "append.lock"))).toBe(false);
    await store.close();
  });

  it("stores tile 1234 at tile/0/x001/234", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    const hashes = randomBytes(64);
    await store.append({ ...batch({ size: 0, rootHash: EMPTY_ROOT }, 0), tiles: [{ level: 2, index: 1234, hashes }] });
    expect(readFileSync(join(dir, "tile/2/x001/234"))).toEqual(hashes);
    expect(await store.readTile(2, 1234)).toEqual(new Uint8Array(hashes));
    await store.close();
  });
});

describe("filesystem log store after an interrupted append", () => {
  it("ignores tiles, bundles and records written past the committed head, and the next append succeeds", async () => {
    const dir = tempDir();
    let fail = false;
    const store = await openFsLogStore(dir, {
      testHooks: {
        beforeCommit: () => {
          if (fail) throw new Error("crash before the head is written");
        },
      },
    });
    const first = await appendFresh(store, 10);
    fail = true;
    const lost = batch(first.to, 5);
    await expect(store.append(lost)).rejects.toThrow();
    // The files of the lost batch are on disk: the longer tile, and records 10..14 past the head.
    expect(readFileSync(join(dir, "tile/0/000"))).toEqual(Buffer.from(lost.tiles[0]!.hashes));
    expect(statSync(join(dir, "entry-records")).size).toBe(15 * 40);
    await store.close();

    const reopened = await openFsLogStore(dir);
    expect(await reopened.readHead()).toEqual({ ...first.to, rootHash: new Uint8Array(first.to.rootHash) });
    expect(await reopened.readEntries(0, 100)).toHaveLength(10);
    expect(await reopened.findEntry(lost.entries[0]!.leafHash)).toBeUndefined();
    const next = await appendFresh(reopened, 3);
    expect(statSync(join(dir, "entry-records")).size).toBe(13 * 40);
    expect(await reopened.findEntry(next.entries[2]!.leafHash)).toMatchObject({ index: 12 });
    expect(await reopened.readTile(0, 0)).toEqual(new Uint8Array(next.tiles[0]!.hashes));
    await reopened.close();
  });

  it("removes temporary files an interrupted append left behind", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    writeFileSync(join(dir, "tmp", "0123abcd"), randomBytes(100));
    await appendFresh(store, 1);
    expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    await store.close();
  });
});

describe("filesystem log store locks", () => {
  /** The pid of a process that has exited (spawned and waited for). */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ["-e", ""]);
    return child.pid!;
  }
  const lockText = (pid: number) => JSON.stringify({ pid, host: hostname(), token: randomBytes(16).toString("hex") });

  it("takes over a sequencer lock left by a process that died", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    writeFileSync(join(dir, "sequencer.lock"), lockText(deadPid()));
    const lease = await store.tryAcquireSequencer();
    expect(lease).toBeDefined();
    expect(JSON.parse(readFileSync(join(dir, "sequencer.lock"), "utf8")).pid).toBe(process.pid);
    await lease!.release();
    expect(existsSync(join(dir, "sequencer.lock"))).toBe(false);
    await store.close();
  });

  it("takes over a lock file it cannot read, and an append lock left by a process that died", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    writeFileSync(join(dir, "sequencer.lock"), "");
    const lease = await store.tryAcquireSequencer();
    expect(lease).toBeDefined();
    await lease!.release();
    writeFileSync(join(dir, "append.lock"), lockText(deadPid()));
    await appendFresh(store, 2);
    expect(existsSync(join(dir, "append.lock"))).toBe(false);
    await store.close();
  });

  it("refuses the lease and appends while a live process holds the locks", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    // pid 1 lives as long as the machine (or container) does.
    writeFileSync(join(dir, "sequencer.lock"), lockText(1));
    expect(await store.tryAcquireSequencer()).toBeUndefined();
    writeFileSync(join(dir, "append.lock"), lockText(1));
    expect((await rejectedVouchError(() => appendFresh(store, 1))).code).toBe("STORE_CONFLICT");
    expect(await store.readHead()).toBeUndefined();
    await store.close();
  });

  it("a lease learns of its loss when its lock file is taken away", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    const lease = await store.tryAcquireSequencer();
    rmSync(join(dir, "sequencer.lock"));
    await expect(lease!.lost).resolves.toBeUndefined();
    await store.close();
  });
});

describe("filesystem log store reading damaged files", () => {
  it("refuses to open with a head record that is not one (STORE_CORRUPT)", async () => {
    for (const text of ["", "{", "[]", '{"size":-1,"rootHash":"' + "00".repeat(32) + '","checkpoint":""}', '{"size":1,"rootHash":"xyz","checkpoint":""}', '{"size":1,"rootHash":"' + "00".repeat(32) + '"}']) {
      const dir = tempDir();
      writeFileSync(join(dir, "head"), text);
      expect((await rejectedVouchError(() => openFsLogStore(dir))).code).toBe("STORE_CORRUPT");
    }
  });

  it("refuses to open when the entry records end before the committed head (STORE_CORRUPT)", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    await appendFresh(store, 5);
    await store.close();
    writeFileSync(join(dir, "entry-records"), readFileSync(join(dir, "entry-records")).subarray(0, 4 * 40 + 7));
    expect((await rejectedVouchError(() => openFsLogStore(dir))).code).toBe("STORE_CORRUPT");
  });

  it("returns a tampered tile as stored: hashes are checked above the driver", async () => {
    const dir = tempDir();
    const store = await openFsLogStore(dir);
    await appendFresh(store, 3);
    const tampered = randomBytes(96);
    writeFileSync(join(dir, "tile/0/000"), tampered);
    expect(await store.readTile(0, 0)).toEqual(new Uint8Array(tampered));
    await store.close();
  });
});

describe("LeafIndex", () => {
  it("finds every added hash as it grows, and nothing else", () => {
    const index = new LeafIndex(16);
    const hashes = Array.from({ length: 5000 }, () => randomBytes(32));
    hashes.forEach((h, i) => index.add(h, i));
    expect(index.size).toBe(5000);
    hashes.forEach((h, i) => expect(index.candidates(h)).toEqual([i]));
    expect(index.candidates(randomBytes(32))).toEqual([]);
  });

  it("returns every entry sharing the first 64 bits, for the caller to compare in full", () => {
    const index = new LeafIndex();
    const a = randomBytes(32);
    const b = Buffer.concat([a.subarray(0, 8), randomBytes(24)]);
    index.add(a, 7);
    index.add(b, 9);
    expect(index.candidates(a).sort()).toEqual([7, 9]);
    expect(index.candidates(Buffer.concat([a.subarray(0, 8), randomBytes(24)])).sort()).toEqual([7, 9]);
  });
});
