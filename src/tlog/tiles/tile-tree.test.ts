import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { perfectRoot } from "../../core/merkle/index.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { TileTree } from "./tile-tree.js";

const hashesOf = (count: number) => Array.from({ length: count }, () => new Uint8Array(randomBytes(32)));
const hex = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString("hex"));

describe("TileTree", () => {
  it("holds the root of every aligned run of a full tile, up to the tile's root", () => {
    const hashes = hashesOf(256);
    const tree = TileTree.fromBytes(Buffer.concat(hashes), 256);
    for (let height = 0; height <= 8; height++) {
      const run = 1 << height;
      for (let offset = 0; offset < 256 / run; offset++) {
        expect(hex(tree.node(height, offset))).toBe(hex(perfectRoot(hashes.slice(offset * run, (offset + 1) * run))));
      }
      expect(tree.node(height, 256 / run)).toBeUndefined();
    }
    expect(hex(tree.root)).toBe(hex(perfectRoot(hashes)));
  });

  it("holds only the perfect runs of a partial tile", () => {
    const hashes = hashesOf(45);
    const tree = TileTree.fromHashes(hashes);
    expect(tree.width).toBe(45);
    // 45 = 32 + 8 + 4 + 1: the run of 32 at offset 0 is perfect, a second run of 32 is not there yet.
    expect(hex(tree.node(5, 0))).toBe(hex(perfectRoot(hashes.slice(0, 32))));
    expect(tree.node(5, 1)).toBeUndefined();
    expect(hex(tree.node(2, 10))).toBe(hex(perfectRoot(hashes.slice(40, 44))));
    expect(tree.node(2, 11)).toBeUndefined();
    expect(hex(tree.node(0, 44))).toBe(hex(hashes[44]));
    expect(tree.node(0, 45)).toBeUndefined();
    expect(tree.root).toBeUndefined();
    expect(tree.node(-1, 0)).toBeUndefined();
    expect(tree.node(9, 0)).toBeUndefined();
  });

  it("serves its hashes back to back and one by one", () => {
    const hashes = hashesOf(10);
    const tree = TileTree.fromHashes(hashes);
    expect(hex(tree.bytes())).toBe(hex(Buffer.concat(hashes)));
    expect(hex(tree.bytes(3))).toBe(hex(Buffer.concat(hashes.slice(0, 3))));
    expect(tree.hashes(4).map(hex)).toEqual(hashes.slice(0, 4).map(hex));
  });

  it("copies the stored bytes, so that a store reusing its buffer cannot change a checked tile", () => {
    const stored = Buffer.concat(hashesOf(256));
    const tree = TileTree.fromBytes(stored, 256);
    const before = hex(tree.node(0, 0));
    stored.fill(0);
    expect(hex(tree.node(0, 0))).toBe(before);
  });

  it("refuses a short buffer, a width over 256 and a hash of the wrong size", () => {
    expect(thrownVouchError(() => TileTree.fromBytes(new Uint8Array(31), 1)).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => TileTree.fromBytes(new Uint8Array(257 * 32), 257)).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => TileTree.fromHashes([new Uint8Array(31)])).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => TileTree.fromHashes(hashesOf(257))).code).toBe("INPUT_MALFORMED");
  });
});
