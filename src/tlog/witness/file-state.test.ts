import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { consistencyProof, leaves, treeRoot } from "../../../test/support/rfc6962.js";
import { createCosigner, createNoteSigner, signCheckpoint } from "../../core/note/index.js";
import { createWitness, fileWitnessState, type WitnessCheckpoint } from "./index.js";

const signer = createNoteSigner({ name: "log.example.com/vouch", privateKey: generateKeyPairSync("ed25519").privateKey });
const data = leaves(16);
const checkpointAt = (size: number, origin = signer.name): WitnessCheckpoint => {
  const rootHash = Uint8Array.from(treeRoot(data.slice(0, size)));
  return { size, rootHash, note: signCheckpoint({ origin, size, rootHash }, [signer]) };
};
const fileOf = (dir: string, origin: string) => join(dir, `${createHash("sha256").update(origin).digest("hex")}.json`);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vouch-witness-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("fileWitnessState", () => {
  it("stores one JSON file per origin, written atomically, and reads it back", async () => {
    const state = fileWitnessState(join(dir, "witness"));
    expect(await state.get(signer.name)).toBeUndefined();
    expect(await state.compareAndSet(signer.name, 0, checkpointAt(5))).toBe(true);
    expect(await state.get(signer.name)).toEqual(checkpointAt(5));
    expect(readdirSync(join(dir, "witness"))).toEqual([`${createHash("sha256").update(signer.name).digest("hex")}.json`]);
    expect(JSON.parse(readFileSync(fileOf(join(dir, "witness"), signer.name), "utf8"))).toMatchObject({ origin: signer.name, size: 5 });
  });

  it("compare-and-set changes nothing when the stored size is not the old size", async () => {
    const state = fileWitnessState(dir);
    await state.compareAndSet(signer.name, 0, checkpointAt(5));
    expect(await state.compareAndSet(signer.name, 0, checkpointAt(8))).toBe(false);
    expect(await state.compareAndSet(signer.name, 3, checkpointAt(8))).toBe(false);
    expect((await state.get(signer.name))?.size).toBe(5);
    expect(await state.compareAndSet(signer.name, 5, checkpointAt(8))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("lets exactly one of many concurrent updates from the same size win", async () => {
    const state = fileWitnessState(dir);
    const results = await Promise.all([3, 5, 8, 13, 16].map((size) => state.compareAndSet(signer.name, 0, checkpointAt(size))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = [3, 5, 8, 13, 16][results.indexOf(true)];
    expect((await state.get(signer.name))?.size).toBe(winner);
  });

  it("keeps origins apart whatever characters they hold (no path traversal)", async () => {
    const state = fileWitnessState(dir);
    for (const origin of ["../escape", "a/b", "a_b"]) {
      expect(await state.compareAndSet(origin, 0, checkpointAt(3, origin))).toBe(true);
    }
    expect(readdirSync(dir)).toHaveLength(3);
    expect((await state.get("a/b"))?.note).toContain("a/b\n3\n");
  });

  it.each([
    ["a file that is not JSON", (file: string) => writeFileSync(file, "{")],
    ["another origin's file in its place", (file: string) => writeFileSync(file, readFileSync(fileOf(dir, "other")))],
    ["an edited size", (file: string) => writeFileSync(file, readFileSync(file, "utf8").replace('"size": 5', '"size": 4'))],
    ["an edited root hash", (file: string) => writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), rootHash: Buffer.alloc(32).toString("base64") }))],
    ["a truncated note", (file: string) => writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), note: "x" }))],
  ])("reports %s as STORE_CORRUPT (never as 'nothing cosigned')", async (_what, damage) => {
    const state = fileWitnessState(dir);
    await state.compareAndSet(signer.name, 0, checkpointAt(5));
    await state.compareAndSet("other", 0, checkpointAt(5, "other"));
    damage(fileOf(dir, signer.name));
    expect((await rejectedVouchError(() => state.get(signer.name))).code).toBe("STORE_CORRUPT");
    expect((await rejectedVouchError(() => state.compareAndSet(signer.name, 0, checkpointAt(8)))).code).toBe("STORE_CORRUPT");
  });

  it("reports a directory it cannot write as STORE_UNAVAILABLE and leaves no temporary file", async () => {
    writeFileSync(join(dir, "file"), "");
    const state = fileWitnessState(join(dir, "file", "witness"));
    expect((await rejectedVouchError(() => state.compareAndSet(signer.name, 0, checkpointAt(5)))).code).toBe("STORE_UNAVAILABLE");
    expect(readdirSync(dir)).toEqual(["file"]);
  });

  it("a witness restarted on the same directory resumes where it was", async () => {
    const cosigner = createCosigner({ name: "witness.example.com/w1", privateKey: generateKeyPairSync("ed25519").privateKey });
    const logs = [{ origin: signer.name, keys: [signer.formatVerifierKey()] }];
    const first = createWitness({ cosigner, logs, state: fileWitnessState(dir) });
    expect((await first.addCheckpoint({ oldSize: 0, proof: [], checkpoint: checkpointAt(5).note })).ok).toBe(true);

    const restarted = createWitness({ cosigner, logs, state: fileWitnessState(dir) });
    expect(await restarted.addCheckpoint({ oldSize: 0, proof: [], checkpoint: checkpointAt(8).note })).toMatchObject({ refusal: "conflict", size: 5 });
    const proof = consistencyProof(5, data.slice(0, 8));
    expect((await restarted.addCheckpoint({ oldSize: 5, proof, checkpoint: checkpointAt(8).note })).ok).toBe(true);
    expect((await fileWitnessState(dir).get(signer.name))?.size).toBe(8);
  });
});
