import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VouchError } from "../errors.js";
import {
  emptyRoot,
  leafHash,
  nodeHash,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from "./index.js";

const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const hx = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sha256 = (b: Uint8Array): Uint8Array => createHash("sha256").update(b).digest();

// Reference implementation straight from RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF/SUBPROOF):
// recursive, slow and obviously right, used to generate proofs for every (index, size) pair.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array());
  if (d.length === 1) return leafHash(d[0]!);
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  const k = largestPowerOfTwoBelow(n);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}
const consistencyProof = (m: number, d: Uint8Array[]): Uint8Array[] => subproof(m, d, true);

const flip = (proof: Uint8Array[], i: number, bit: number): Uint8Array[] =>
  proof.map((p, j) => (j === i ? Uint8Array.from(p, (v, k) => (k === 0 ? v ^ bit : v)) : p));

// transparency-dev/merkle proof/verify_test.go: the 8-leaf tree of RFC 6962 test data.
const leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(h);
const roots = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
].map(h);
const inclusionVectors: { leaf: number; size: number; proof: string[] }[] = [
  { leaf: 1, size: 1, proof: [] },
  {
    leaf: 1,
    size: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    leaf: 6,
    size: 8,
    proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  { leaf: 3, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    leaf: 2,
    size: 5,
    proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];
const consistencyVectors: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

describe("RFC 6962 hashing", () => {
  it("matches the transparency-dev/merkle rfc6962 vectors", () => {
    expect(hx(emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hx(leafHash(new Uint8Array()))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    expect(hx(leafHash(Buffer.from("L123456")))).toBe(
      "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
    );
    expect(hx(nodeHash(Buffer.from("N123"), Buffer.from("N456")))).toBe(
      "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb",
    );
  });

  it("distinguishes leaves from nodes and left from right", () => {
    const a = leafHash(Buffer.from("Hello"));
    const b = leafHash(Buffer.from("World"));
    expect(hx(nodeHash(a, b))).not.toBe(hx(leafHash(Buffer.concat([a, b]))));
    expect(hx(nodeHash(a, b))).not.toBe(hx(nodeHash(b, a)));
  });

  it("the reference MTH reproduces the RFC 6962 test-tree roots", () => {
    for (let n = 1; n <= 8; n++) expect(hx(mth(leaves.slice(0, n)))).toBe(hx(roots[n - 1]!));
  });
});

describe("inclusion proofs (RFC 9162 §2.1.3.2)", () => {
  it.each(inclusionVectors)("verifies the known-good proof for leaf $leaf of $size", ({ leaf, size, proof }) => {
    const lh = leafHash(leaves[leaf - 1]!);
    const p = proof.map(h);
    expect(hx(rootFromInclusionProof(BigInt(leaf - 1), BigInt(size), lh, p))).toBe(hx(roots[size - 1]!));
    expect(verifyInclusion(BigInt(leaf - 1), BigInt(size), lh, p, roots[size - 1]!)).toEqual({ ok: true });
  });

  it.each(inclusionVectors.filter((v) => v.proof.length > 0))(
    "rejects every corruption of the proof for leaf $leaf of $size",
    ({ leaf, size, proof }) => {
      const i = BigInt(leaf - 1);
      const n = BigInt(size);
      const lh = leafHash(leaves[leaf - 1]!);
      const p = proof.map(h);
      const root = roots[size - 1]!;
      const someHash = h("abacaba000000000000000000000000000000000000000000060061e00123456");
      const probes: [bigint, bigint, Uint8Array, Uint8Array[], Uint8Array][] = [
        [i - 1n, n, lh, p, root],
        [i + 1n, n, lh, p, root],
        [i ^ 2n, n, lh, p, root],
        [i, n * 2n, lh, p, root],
        [i, n / 2n, lh, p, root],
        [i, n, leafHash(Buffer.from("WrongLeaf")), p, root],
        [i, n, lh, p, emptyRoot()],
        [i, n, lh, p, someHash],
        [i, n, lh, [...p, new Uint8Array()], root],
        [i, n, lh, [...p, root], root],
        [i, n, lh, [new Uint8Array(), ...p], root],
        [i, n, lh, [root, ...p], root],
        [i, n, lh, p.slice(0, -1), root],
        ...p.map((_, k): [bigint, bigint, Uint8Array, Uint8Array[], Uint8Array] => [i, n, lh, flip(p, k, 8), root]),
      ];
      if (p.length > 1) probes.push([i, n, lh, [p[0]!, someHash, ...p.slice(1)], root]);
      for (const [pi, pn, pl, pp, pr] of probes) {
        const result = verifyInclusion(pi, pn, pl, pp, pr);
        expect(result.ok, `index ${pi} size ${pn} proof length ${pp.length}`).toBe(false);
      }
    },
  );

  it("verifies the RFC 6962 PATH of every leaf of every tree up to 48 leaves, and rejects a flipped bit", () => {
    const data = Array.from({ length: 48 }, (_, i) => Buffer.from(`leaf ${i}`));
    for (let n = 1; n <= 48; n++) {
      const d = data.slice(0, n);
      const root = mth(d);
      for (let m = 0; m < n; m++) {
        const p = path(m, d);
        const lh = leafHash(d[m]!);
        expect(verifyInclusion(BigInt(m), BigInt(n), lh, p, root).ok).toBe(true);
        if (p.length > 0) expect(verifyInclusion(BigInt(m), BigInt(n), lh, flip(p, p.length - 1, 1), root).ok).toBe(false);
        // The same proof never proves a neighbouring index.
        if (m + 1 < n) expect(verifyInclusion(BigInt(m + 1), BigInt(n), lh, p, root).ok).toBe(false);
      }
    }
  });

  it("throws INPUT_MALFORMED for an index outside the tree, a negative index, an empty or oversized tree", () => {
    const lh = leafHash(new Uint8Array());
    for (const [index, size] of [
      [0n, 0n],
      [1n, 1n],
      [5n, 3n],
      [-1n, 4n],
      [0n, 1n << 64n],
    ] as const) {
      expect(() => rootFromInclusionProof(index, size, lh, [])).toThrow(VouchError);
      try {
        rootFromInclusionProof(index, size, lh, []);
      } catch (e) {
        expect((e as VouchError).code).toBe("INPUT_MALFORMED");
      }
    }
  });

  it("rejects proof hashes and leaf hashes that are not 32 bytes", () => {
    expect(verifyInclusion(0n, 1n, new Uint8Array(31), [], new Uint8Array(31))).toMatchObject({ ok: false });
    const r = verifyInclusion(0n, 2n, leafHash(new Uint8Array()), [new Uint8Array(33)], new Uint8Array(32));
    expect(r).toEqual({ ok: false, reason: "inclusion proof hash 0 is 33 bytes, expected 32" });
  });

  it("handles indexes and sizes beyond 2^53 exactly (bigint)", () => {
    // In a tree of 2^63 + 1 leaves, the last leaf's path is the single root of the first 2^63 leaves.
    const size = (1n << 63n) + 1n;
    const lh = leafHash(Buffer.from("last"));
    const left = leafHash(Buffer.from("left subtree stand-in"));
    expect(hx(rootFromInclusionProof(size - 1n, size, lh, [left]))).toBe(hx(nodeHash(left, lh)));
    // Leaf 2^53 + 1 of a 2^60 tree needs a 60-hash path.
    const proof = Array.from({ length: 60 }, (_, i) => leafHash(Buffer.from(String(i))));
    expect(() => rootFromInclusionProof((1n << 53n) + 1n, 1n << 60n, lh, proof)).not.toThrow();
    expect(verifyInclusion((1n << 53n) + 1n, 1n << 60n, lh, proof.slice(1), lh)).toEqual({
      ok: false,
      reason: "inclusion proof has 59 hashes, a leaf at 9007199254740993 of 1152921504606846976 needs 60",
    });
  });
});

describe("consistency proofs (RFC 9162 §2.1.4.2)", () => {
  it.each(consistencyVectors)("verifies the known-good proof $size1 -> $size2", ({ size1, size2, proof }) => {
    const p = proof.map(h);
    const r1 = roots[size1 - 1]!;
    const r2 = roots[size2 - 1]!;
    expect(verifyConsistency(BigInt(size1), BigInt(size2), p, r1, r2)).toEqual({ ok: true });
    expect(hx(rootFromConsistencyProof(BigInt(size1), BigInt(size2), p, r1))).toBe(hx(r2));
  });

  it.each(consistencyVectors.filter((v) => v.proof.length > 0))(
    "rejects every corruption of the proof $size1 -> $size2",
    ({ size1, size2, proof }) => {
      const s1 = BigInt(size1);
      const s2 = BigInt(size2);
      const p = proof.map(h);
      const r1 = roots[size1 - 1]!;
      const r2 = roots[size2 - 1]!;
      const wrong = Buffer.from("WrongRoot");
      const probes: [bigint, bigint, Uint8Array, Uint8Array, Uint8Array[]][] = [
        [s1 - 1n, s2, r1, r2, p],
        [s1 + 1n, s2, r1, r2, p],
        [s1 ^ 2n, s2, r1, r2, p],
        [s1, s2 * 2n, r1, r2, p],
        [s1, s2 / 2n, r1, r2, p],
        [s1, s2, wrong, r2, p],
        [s1, s2, r1, wrong, p],
        [s1, s2, r2, r1, p],
        [s1, s2, r1, r2, []],
        [s1, s2, r1, r2, [...p, new Uint8Array()]],
        [s1, s2, r1, r2, [...p, r1]],
        [s1, s2, r1, r2, [...p, r2]],
        [s1, s2, r1, r2, [new Uint8Array(), ...p]],
        [s1, s2, r1, r2, [r1, ...p]],
        [s1, s2, r1, r2, [r2, ...p]],
        [s1, s2, r1, r2, [p[0]!, ...p]],
        [s1, s2, r1, r2, p.slice(0, -1)],
        ...p.map((_, k): [bigint, bigint, Uint8Array, Uint8Array, Uint8Array[]] => [s1, s2, r1, r2, flip(p, k, 16)]),
      ];
      for (const [a, b, ra, rb, pp] of probes) {
        expect(verifyConsistency(a, b, pp, ra, rb).ok, `${a} -> ${b}, ${pp.length} hashes`).toBe(false);
      }
    },
  );

  it("edge sizes: equal sizes need an empty proof and equal roots; nothing is consistent with the empty tree", () => {
    const r1 = Buffer.from("don't care 1");
    const r2 = Buffer.from("don't care 2");
    expect(verifyConsistency(0n, 0n, [], r1, r1)).toEqual({ ok: true });
    expect(verifyConsistency(1n, 1n, [], r2, r2)).toEqual({ ok: true });
    expect(verifyConsistency(0n, 0n, [], r1, r2).ok).toBe(false);
    expect(verifyConsistency(1n, 1n, [], r1, r2).ok).toBe(false);
    expect(verifyConsistency(1n, 1n, [emptyRoot()], emptyRoot(), emptyRoot())).toEqual({
      ok: false,
      reason: "sizes are equal (1) but the consistency proof is not empty",
    });
    expect(verifyConsistency(0n, 1n, [], r1, r2)).toEqual({
      ok: false,
      reason: "a consistency proof from the empty tree proves nothing",
    });
    expect(verifyConsistency(2n, 1n, [], r1, r2)).toEqual({
      ok: false,
      reason: "tree size 1 is smaller than the earlier size 2",
    });
    expect(verifyConsistency(1n, 2n, [], r1, r2).ok).toBe(false);
  });

  it("verifies the RFC 6962 PROOF between every pair of sizes up to 40, and rejects a flipped bit", () => {
    const data = Array.from({ length: 40 }, (_, i) => Buffer.from(`entry ${i}`));
    const treeRoots = Array.from({ length: 41 }, (_, n) => mth(data.slice(0, n)));
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const p = consistencyProof(m, data.slice(0, n));
        expect(verifyConsistency(BigInt(m), BigInt(n), p, treeRoots[m]!, treeRoots[n]!), `${m} -> ${n}`).toEqual({
          ok: true,
        });
        for (let k = 0; k < p.length; k++) {
          expect(verifyConsistency(BigInt(m), BigInt(n), flip(p, k, 1), treeRoots[m]!, treeRoots[n]!).ok).toBe(false);
        }
      }
    }
  });
});
