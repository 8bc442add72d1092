/** verifyInclusionProof against a small log built here: a Merkle tree and checkpoints signed with fresh keys. */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TlogEntry, TransparencyLogInstance } from "../../bundle/types.js";
import type { VouchError } from "../../core/errors.js";
import { leafHash, nodeHash } from "../../core/merkle/index.js";
import { formatSignedNote, loadVerificationKey, noteKeyId, type NoteSignature } from "../../core/note/index.js";
import { verifyInclusionProof } from "./inclusion-proof.js";

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 1) return leafHash(d[0]!);
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function auditPath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k ? [...auditPath(m, d.slice(0, k)), mth(d.slice(k))] : [...auditPath(m - k, d.slice(k)), mth(d.slice(0, k))];
}

interface TestLog {
  tlog: TransparencyLogInstance;
  privateKey: KeyObject;
  name: string;
}

function testLog(type: "ed25519" | "ec", host: string, start = new Date("2025-01-01T00:00:00Z")): TestLog {
  const pair = type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const der = new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
  const keyDetails = type === "ed25519" ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256";
  return {
    tlog: {
      baseUrl: `https://${host}`,
      hashAlgorithm: "SHA2_256",
      publicKeyDer: der,
      keyDetails,
      validFor: { start },
      logId: new Uint8Array(createHash("sha256").update(der).digest()),
    },
    privateKey: pair.privateKey,
    name: host,
  };
}

function signature(log: TestLog, text: string, name = log.name): NoteSignature {
  const key = loadVerificationKey(log.tlog.publicKeyDer, log.tlog.keyDetails);
  const hash = log.tlog.keyDetails === "PKIX_ED25519" ? null : "sha256";
  return { name, keyId: noteKeyId(name, key), signature: new Uint8Array(sign(hash, Buffer.from(text), log.privateKey)) };
}

const bodies = Array.from({ length: 11 }, (_, i) => Buffer.from(`{"entry":${i}}`));
const root = mth(bodies);

function entry(log: TestLog, index: number, opts: { origin?: string; signers?: TestLog[]; integratedTime?: bigint } = {}): TlogEntry {
  const text = `${opts.origin ?? log.name}\n${bodies.length}\n${Buffer.from(root).toString("base64")}\n`;
  const checkpoint = formatSignedNote({ text, signatures: (opts.signers ?? [log]).map((l) => signature(l, text, log.name)) });
  return {
    logIndex: BigInt(index),
    logId: log.tlog.logId,
    kind: "hashedrekord",
    kindVersion: "0.0.2",
    ...(opts.integratedTime === undefined ? {} : { integratedTime: opts.integratedTime }),
    inclusionProof: {
      logIndex: BigInt(index),
      rootHash: root,
      treeSize: BigInt(bodies.length),
      hashes: auditPath(index, bodies),
      checkpoint,
    },
    canonicalizedBody: bodies[index]!,
  };
}

const signingTime = new Date("2025-03-01T00:00:00Z");
const failure = (fn: () => unknown): { code: string; message: string } | undefined => {
  try {
    fn();
  } catch (e) {
    return { code: (e as VouchError).code, message: (e as Error).message };
  }
  return undefined;
};

describe("verifyInclusionProof (C2SP log, Ed25519)", () => {
  const log = testLog("ed25519", "log.example.dev");

  it("verifies every leaf of the tree against the signed checkpoint", () => {
    for (let i = 0; i < bodies.length; i++) {
      const result = verifyInclusionProof(entry(log, i), [log.tlog], { signingTime });
      expect(result.checkpoint).toMatchObject({ origin: "log.example.dev", size: 11n, extensions: [] });
      expect(result.tlog).toBe(log.tlog);
    }
  });

  it("ignores cosignatures by unknown keys wherever they are", () => {
    const witness = testLog("ed25519", "witness.example");
    const e = entry(log, 3, { signers: [witness, log, witness] });
    expect(() => verifyInclusionProof(e, [log.tlog], { signingTime })).not.toThrow();
  });

  it("refuses a checkpoint signed only by another key, even under the log's name", () => {
    const impostor = testLog("ed25519", "log.example.dev");
    const e = entry(log, 3, { signers: [impostor] });
    expect(failure(() => verifyInclusionProof(e, [log.tlog], { signingTime }))?.message).toMatch(
      /^checkpoint: no signature by log\.example\.dev with key ID [0-9a-f]{8} \(signatures: log\.example\.dev [0-9a-f]{8}\)$/,
    );
  });

  it("refuses a checkpoint whose origin is not the log's host", () => {
    const e = entry(log, 3, { origin: "other.example.dev" });
    expect(failure(() => verifyInclusionProof(e, [log.tlog], { signingTime }))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: 'the checkpoint origin "other.example.dev" is not the log\'s name "log.example.dev"',
    });
  });

  it("needs a base URL to know the log's name", () => {
    const e = entry(log, 3);
    expect(failure(() => verifyInclusionProof(e, [{ ...log.tlog, baseUrl: "" }], { signingTime }))?.message).toBe(
      "the trusted root gives log ? no usable base URL to check the checkpoint origin against",
    );
  });

  it("uses the trusted root's checkpoint key ID when it states one", () => {
    const e = entry(log, 3);
    const key = loadVerificationKey(log.tlog.publicKeyDer, log.tlog.keyDetails);
    const stated = { ...log.tlog, checkpointKeyId: noteKeyId(log.name, key) };
    expect(() => verifyInclusionProof(e, [stated], { signingTime })).not.toThrow();
    const wrong = { ...log.tlog, checkpointKeyId: new Uint8Array([1, 2, 3, 4]) };
    expect(failure(() => verifyInclusionProof(e, [wrong], { signingTime }))?.message).toMatch(
      /^checkpoint: no signature by log\.example\.dev with key ID 01020304/,
    );
  });

  it("refuses a wrong leaf, a proof for another index and a truncated proof", () => {
    const e = entry(log, 5);
    const p = e.inclusionProof!;
    expect(failure(() => verifyInclusionProof({ ...e, canonicalizedBody: bodies[6]! }, [log.tlog], { signingTime }))?.message).toMatch(
      /^inclusion proof leads to root/,
    );
    expect(
      failure(() => verifyInclusionProof({ ...e, logIndex: 6n, inclusionProof: { ...p, logIndex: 6n } }, [log.tlog], { signingTime }))
        ?.message,
    ).toMatch(/^inclusion proof leads to root/);
    expect(
      failure(() => verifyInclusionProof({ ...e, inclusionProof: { ...p, hashes: p.hashes.slice(1) } }, [log.tlog], { signingTime })),
    ).toEqual({ code: "VERIFY_TLOG_INCLUSION", message: "inclusion proof has 3 hashes, a leaf at 5 of 11 needs 4" });
    expect(
      failure(() => verifyInclusionProof({ ...e, logIndex: 11n, inclusionProof: { ...p, logIndex: 11n } }, [log.tlog], { signingTime })),
    ).toEqual({ code: "VERIFY_TLOG_INCLUSION", message: "leaf index 11 is outside a tree of size 11" });
  });

  it("refuses a log that is not SHA-256", () => {
    const e = entry(log, 1);
    expect(failure(() => verifyInclusionProof(e, [{ ...log.tlog, hashAlgorithm: "SHA2_384" }], { signingTime }))).toEqual({
      code: "INPUT_UNSUPPORTED_FORMAT",
      message: "log https://log.example.dev uses Merkle hash SHA2_384",
    });
  });

  it("refuses a malformed checkpoint note", () => {
    const e = entry(log, 1);
    const p = e.inclusionProof!;
    const broken = { ...e, inclusionProof: { ...p, checkpoint: p.checkpoint.replace("\u2014 ", "- ") } };
    expect(failure(() => verifyInclusionProof(broken, [log.tlog], { signingTime }))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: 'signed note: signature line 1 does not start with "\u2014 "',
    });
  });
});

describe("verifyInclusionProof (Rekor v1 style, ECDSA)", () => {
  const log = testLog("ec", "rekor.example.dev");

  it("accepts a '<host> - <tree ID>' origin and uses the integrated time to pick the key", () => {
    const e = entry(log, 7, { origin: "rekor.example.dev - 1193050959916656506", integratedTime: 1_740_000_000n });
    const result = verifyInclusionProof({ ...e, logIndex: 99_999n }, [log.tlog]);
    expect(result.checkpoint.origin).toBe("rekor.example.dev - 1193050959916656506");
  });

  it("uses the integrated time, not a passed signing time, for Rekor v1 entries", () => {
    const e = entry(log, 7, { origin: "rekor.example.dev - 1", integratedTime: 1_600_000_000n }); // 2020, before the key
    expect(failure(() => verifyInclusionProof(e, [log.tlog], { signingTime }))?.message).toBe(
      "the log key was not trusted at 2020-09-13T12:26:40.000Z: https://rekor.example.dev is trusted from 2025-01-01T00:00:00.000Z",
    );
  });

  it("refuses an integrated time that is not a usable time", () => {
    const e = entry(log, 7, { origin: "rekor.example.dev - 1", integratedTime: -5n });
    expect(failure(() => verifyInclusionProof(e, [log.tlog]))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: "integrated time -5 is not a usable time",
    });
  });
});
