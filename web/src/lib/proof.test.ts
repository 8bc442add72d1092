import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { leafHash as refLeafHash, nodeHash as refNodeHash, verifyInclusion } from "../../../src/core/merkle/index.js";
import type { AttestationLogEntryDetail } from "../api/types";
import { checkLogEntryProof, leafHash, parseCheckpoint, rootFromInclusionProof, subtleSha256, toHex } from "./proof";

/** RFC 6962 §2.1 MTH over leaf hashes, and §2.1.1 PATH(m, D[n]), written the spec's recursive way (independent of the code under test). */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return refNodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function path(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const enc = new TextEncoder();
const leaves = Array.from({ length: 13 }, (_, i) => refLeafHash(enc.encode(`entry ${i}`)));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function entry(index: number, size: number, overrides: Partial<NonNullable<AttestationLogEntryDetail["inclusionProof"]>> = {}): AttestationLogEntryDetail {
  const tree = leaves.slice(0, size);
  const root = mth(tree);
  return {
    logId: "c0ffee",
    logIndex: String(1000 + index),
    leafHash: hex(tree[index]!),
    ownLog: true,
    inclusionProof: {
      logIndex: String(index),
      treeSize: String(size),
      rootHash: hex(root),
      hashes: path(index, tree).map(hex),
      checkpoint: `vouch.example/log\n${size}\n${b64(root)}\n\n— vouch.example/log AAAAAQ==\n`,
      ...overrides,
    },
  };
}

describe("RFC 6962 inclusion proofs in the browser (WebCrypto)", () => {
  it("hashes a leaf as SHA-256(0x00 || data), like src/core/merkle", async () => {
    const data = enc.encode("hello");
    expect(toHex(await leafHash(subtleSha256, data))).toBe(hex(refLeafHash(data)));
    expect(toHex(await subtleSha256(data))).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("leads every leaf of trees of 1 to 13 leaves to the tree's root", async () => {
    for (let size = 1; size <= leaves.length; size++) {
      const tree = leaves.slice(0, size);
      for (let m = 0; m < size; m++) {
        const proof = path(m, tree);
        // The proof is a real one: vouch's own verifier (node) accepts it.
        expect(verifyInclusion(BigInt(m), BigInt(size), tree[m]!, proof, mth(tree))).toEqual({ ok: true });
        const root = await rootFromInclusionProof(subtleSha256, BigInt(m), BigInt(size), tree[m]!, proof);
        expect(hex(root)).toBe(hex(mth(tree)));
      }
    }
  });

  it("verifies an entry against the proof's root and the checkpoint's root line", async () => {
    const result = await checkLogEntryProof(entry(5, 13));
    expect(result.status).toBe("verified");
    expect(result.detail).toContain("checkpoint");
    expect(result.computedRoot).toBe(hex(mth(leaves)));
  });

  it("verifies without a checkpoint, against the proof's root", async () => {
    const result = await checkLogEntryProof(entry(0, 1, { checkpoint: undefined }));
    expect(result.status).toBe("verified");
  });

  it("fails a proof for another leaf, a tampered hash, a wrong index or size, and a short or long path", async () => {
    const good = entry(6, 13);
    const proof = good.inclusionProof!;
    const cases: AttestationLogEntryDetail[] = [
      { ...good, leafHash: hex(leaves[7]!) },
      { ...good, inclusionProof: { ...proof, hashes: [proof.hashes[0]!.replace(/^./, (c) => (c === "0" ? "1" : "0")), ...proof.hashes.slice(1)] } },
      { ...good, inclusionProof: { ...proof, logIndex: "7" } },
      { ...good, inclusionProof: { ...proof, treeSize: "12" } },
      { ...good, inclusionProof: { ...proof, hashes: proof.hashes.slice(1) } },
      { ...good, inclusionProof: { ...proof, hashes: [...proof.hashes, proof.hashes[0]!] } },
      { ...good, inclusionProof: { ...proof, logIndex: "13" } },
    ];
    for (const c of cases) expect((await checkLogEntryProof(c)).status).toBe("failed");
  });

  it("fails when the checkpoint names another root or size than the proof", async () => {
    const good = entry(2, 13);
    const otherRoot = b64(mth(leaves.slice(0, 12)));
    const wrongRoot = { ...good, inclusionProof: { ...good.inclusionProof!, checkpoint: `o\n13\n${otherRoot}\n\nsig\n` } };
    expect(await checkLogEntryProof(wrongRoot)).toMatchObject({ status: "failed", detail: expect.stringContaining("checkpoint's root") });
    const wrongSize = { ...good, inclusionProof: { ...good.inclusionProof!, checkpoint: `o\n14\n${b64(mth(leaves))}\n\nsig\n` } };
    expect(await checkLogEntryProof(wrongSize)).toMatchObject({ status: "failed", detail: expect.stringContaining("tree size 14") });
  });

  it("refuses malformed fields (attacker-controlled) as failed, never as verified", async () => {
    const good = entry(3, 13);
    const p = good.inclusionProof!;
    const bad: AttestationLogEntryDetail[] = [
      { ...good, leafHash: "zz" },
      { ...good, leafHash: good.leafHash!.slice(2) },
      { ...good, inclusionProof: { ...p, logIndex: "-1" } },
      { ...good, inclusionProof: { ...p, logIndex: "1e3" } },
      { ...good, inclusionProof: { ...p, treeSize: "99999999999999999999999" } },
      { ...good, inclusionProof: { ...p, rootHash: "00" } },
      { ...good, inclusionProof: { ...p, checkpoint: "only an origin" } },
      { ...good, inclusionProof: { ...p, checkpoint: "o\n13\nnot base64!\n\n" } },
    ];
    for (const c of bad) expect((await checkLogEntryProof(c)).status).toBe("failed");
  });

  it("is absent without a proof or a leaf hash", async () => {
    const good = entry(3, 13);
    expect((await checkLogEntryProof({ ...good, inclusionProof: undefined })).status).toBe("absent");
    expect((await checkLogEntryProof({ ...good, leafHash: undefined })).status).toBe("absent");
  });

  it("parses a checkpoint's body", () => {
    const cp = parseCheckpoint(`example.com/log\n42\n${b64(leaves[0]!)}\nextension\n\n— sig\n`);
    expect(cp.origin).toBe("example.com/log");
    expect(cp.size).toBe(42n);
    expect(hex(cp.rootHash)).toBe(hex(leaves[0]!));
  });
});
