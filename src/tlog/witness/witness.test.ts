import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { WITNESS_GO_TEST, goSignerKey } from "../../../test/support/note-keys.js";
import { consistencyProof, leaves, treeRoot } from "../../../test/support/rfc6962.js";
import {
  cosignatureVerifierFromKey,
  createCosigner,
  createNoteSigner,
  formatSignedNote,
  parseSignedNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignatures,
  type NoteSigner,
} from "../../core/note/index.js";
import { createWitness, memoryWitnessState, type AddCheckpointOutcome, type WitnessStateStore } from "./index.js";

const NOW = 1_700_000_000;
const cosigner = createCosigner({ name: "witness.example.com/w1", privateKey: generateKeyPairSync("ed25519").privateKey });
const witnessKey = cosignatureVerifierFromKey(parseVerifierKey(cosigner.formatVerifierKey()));

/** A log of `data` leaves whose checkpoints at any size are signed by `signer`. */
function testLog(signer: NoteSigner, origin = signer.name, data = leaves(20)) {
  return {
    origin,
    vkey: signer.formatVerifierKey(),
    checkpoint: (size: number, root = treeRoot(data.slice(0, size))) => signCheckpoint({ origin, size, rootHash: root }, [signer]),
    proof: (from: number, to: number) => consistencyProof(from, data.slice(0, to)),
  };
}

const logSigner = createNoteSigner({ name: "log.example.com/vouch", privateKey: generateKeyPairSync("ed25519").privateKey });
const log = testLog(logSigner);

function witnessFor(state: WitnessStateStore = memoryWitnessState(), now = () => NOW) {
  return createWitness({ cosigner, logs: [{ origin: log.origin, keys: [log.vkey] }], state, now });
}

/** The cosignature in an ok outcome, verified over the checkpoint with the witness's public vkey. */
function verifiedTimestamp(outcome: AddCheckpointOutcome, checkpoint: string): number {
  if (!outcome.ok) throw new Error(`refused: ${outcome.refusal}: ${outcome.message}`);
  const note = parseSignedNote(checkpoint);
  const check = verifyCosignatures({ text: note.text, signatures: outcome.cosignatures }, [witnessKey]);
  expect(check.invalid).toEqual([]);
  expect(check.valid).toHaveLength(1);
  return check.valid[0]!.timestamp;
}

describe("witness: the add-checkpoint state machine (c2sp.org/tlog-witness)", () => {
  it("cosigns the first checkpoint of a log (old size 0, no proof) and remembers it", async () => {
    const state = memoryWitnessState();
    const witness = witnessFor(state);
    const checkpoint = log.checkpoint(5);
    const outcome = await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint });
    expect(verifiedTimestamp(outcome, checkpoint)).toBe(NOW);
    expect(await state.get(log.origin)).toEqual({ size: 5, rootHash: Uint8Array.from(treeRoot(leaves(20).slice(0, 5))), note: checkpoint });
  });

  it("cosigns a consistent update with the time of its clock, and moves its state forward", async () => {
    const state = memoryWitnessState();
    let now = NOW;
    const witness = witnessFor(state, () => now);
    await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(5) });
    now += 60;
    for (const [from, to] of [[5, 8], [8, 13], [13, 16], [16, 20]] as const) {
      const checkpoint = log.checkpoint(to);
      expect(verifiedTimestamp(await witness.addCheckpoint({ oldSize: from, proof: log.proof(from, to), checkpoint }), checkpoint)).toBe(NOW + 60);
      expect((await state.get(log.origin))?.size).toBe(to);
    }
  });

  it("re-cosigns the checkpoint it already has (same size, same root, empty proof) with a fresh timestamp", async () => {
    let now = NOW;
    const witness = witnessFor(memoryWitnessState(), () => now);
    await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(5) });
    now += 3600;
    const checkpoint = log.checkpoint(5);
    expect(verifiedTimestamp(await witness.addCheckpoint({ oldSize: 5, proof: [], checkpoint }), checkpoint)).toBe(NOW + 3600);
  });

  it("refuses an inconsistent proof (422) and keeps its state", async () => {
    const state = memoryWitnessState();
    const witness = witnessFor(state);
    await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(5) });
    const proof = log.proof(5, 8);
    proof[1] = Uint8Array.from(proof[1]!, (v, i) => (i === 0 ? v ^ 1 : v));
    expect(await witness.addCheckpoint({ oldSize: 5, proof, checkpoint: log.checkpoint(8) })).toMatchObject({ ok: false, refusal: "bad-proof" });
    // A fork: a validly signed checkpoint of size 8 whose tree does not extend the one cosigned at 5.
    const fork = testLog(logSigner, log.origin, leaves(20, "fork"));
    expect(await witness.addCheckpoint({ oldSize: 5, proof: fork.proof(5, 8), checkpoint: fork.checkpoint(8) })).toMatchObject({ ok: false, refusal: "bad-proof" });
    expect(await witness.addCheckpoint({ oldSize: 5, proof: [], checkpoint: log.checkpoint(8) })).toMatchObject({ ok: false, refusal: "bad-proof" });
    expect((await state.get(log.origin))?.size).toBe(5);
  });

  it("answers a stale or wrong old size with 409 and its stored size", async () => {
    const witness = witnessFor();
    await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(8) });
    // The client thinks the witness has nothing (or 5): the witness says 8, and the client retries from there.
    expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(13) })).toEqual({
      ok: false,
      refusal: "conflict",
      size: 8,
      message: "the latest cosigned checkpoint has size 8, not 0",
    });
    expect(await witness.addCheckpoint({ oldSize: 5, proof: log.proof(5, 13), checkpoint: log.checkpoint(13) })).toMatchObject({ refusal: "conflict", size: 8 });
    expect((await witness.addCheckpoint({ oldSize: 8, proof: log.proof(8, 13), checkpoint: log.checkpoint(13) })).ok).toBe(true);
  });

  it("never goes back: a smaller checkpoint is refused whatever old size is claimed", async () => {
    const state = memoryWitnessState();
    const witness = witnessFor(state);
    await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(13) });
    expect(await witness.addCheckpoint({ oldSize: 13, proof: [], checkpoint: log.checkpoint(8) })).toMatchObject({ refusal: "old-size-too-large" });
    expect(await witness.addCheckpoint({ oldSize: 8, proof: [], checkpoint: log.checkpoint(8) })).toMatchObject({ refusal: "conflict", size: 13 });
    expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(3) })).toMatchObject({ refusal: "conflict", size: 13 });
    expect((await state.get(log.origin))?.size).toBe(13);
  });

  it("same size, another root: 409 (a split view)", async () => {
    const witness = witnessFor();
    await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(5) });
    const other = log.checkpoint(5, new Uint8Array(32).fill(1));
    expect(await witness.addCheckpoint({ oldSize: 5, proof: [], checkpoint: other })).toMatchObject({ ok: false, refusal: "root-mismatch" });
  });

  it("refuses a checkpoint without a valid signature by the log's key (403), ignoring other keys' lines", async () => {
    const witness = witnessFor();
    const impostor = createNoteSigner({ name: log.origin, privateKey: generateKeyPairSync("ed25519").privateKey });
    const forged = testLog(impostor).checkpoint(5);
    expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: forged })).toMatchObject({ ok: false, refusal: "bad-signature" });
    const good = parseSignedNote(log.checkpoint(5));
    const tampered = formatSignedNote({ text: good.text.replace("\n5\n", "\n6\n"), signatures: good.signatures });
    expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: tampered })).toMatchObject({ refusal: "bad-signature" });
    // The log's valid signature among lines by unknown keys is enough.
    const stranger = parseSignedNote(forged).signatures[0]!;
    const mixed = formatSignedNote({ text: good.text, signatures: [{ ...stranger, name: "someone.else" }, ...good.signatures] });
    expect((await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: mixed })).ok).toBe(true);
  });

  it("refuses a log it does not follow (404) and a malformed checkpoint (400)", async () => {
    const witness = witnessFor();
    const other = testLog(createNoteSigner({ name: "other.example.com/log", privateKey: generateKeyPairSync("ed25519").privateKey }));
    expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: other.checkpoint(5) })).toMatchObject({ refusal: "unknown-log" });
    for (const checkpoint of ["not a note", `${log.origin}\nfive\nAA==\n\n\u2014 x AAAAAAA=\n`, `${log.origin}\n1\n\n\u2014 x AAAAAAA=\n`]) {
      expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint })).toMatchObject({ ok: false, refusal: "malformed" });
    }
  });

  it("old size 0 takes no proof; a size-0 checkpoint must carry the empty tree's root", async () => {
    const witness = witnessFor();
    expect(await witness.addCheckpoint({ oldSize: 0, proof: log.proof(1, 5), checkpoint: log.checkpoint(5) })).toMatchObject({ refusal: "bad-proof" });
    expect(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(0, new Uint8Array(32)) })).toMatchObject({ refusal: "bad-proof" });
    expect((await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(0) })).ok).toBe(true);
    expect((await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(5) })).ok).toBe(true);
  });

  it("two concurrent updates from the same size never roll the witness back", async () => {
    // The interleaving the spec warns about: both requests read size 5, the larger one is stored first, then the
    // stale one tries to store size 5 again.
    const inner = memoryWitnessState();
    await inner.compareAndSet(log.origin, 0, { size: 5, rootHash: treeRoot(leaves(20).slice(0, 5)), note: log.checkpoint(5) });
    const reads: (() => void)[] = [];
    const writes: { size: number; go: () => void }[] = [];
    let bothWriting: () => void = () => {};
    const writing = new Promise<void>((resolve) => (bothWriting = resolve));
    const state: WitnessStateStore = {
      get: async (origin) => {
        const value = await inner.get(origin);
        if (reads.length >= 2) return value; // the conflict report's re-read
        await new Promise<void>((resolve) => {
          reads.push(resolve);
          if (reads.length === 2) for (const release of reads) release();
        });
        return value;
      },
      compareAndSet: async (origin, oldSize, next) => {
        await new Promise<void>((go) => {
          writes.push({ size: next.size, go });
          if (writes.length === 2) bothWriting();
        });
        return inner.compareAndSet(origin, oldSize, next);
      },
    };
    const witness = witnessFor(state);
    const both = Promise.all([
      witness.addCheckpoint({ oldSize: 5, proof: log.proof(5, 13), checkpoint: log.checkpoint(13) }),
      witness.addCheckpoint({ oldSize: 5, proof: [], checkpoint: log.checkpoint(5) }),
    ]);
    await writing;
    writes.find((w) => w.size === 13)!.go();
    await new Promise((resolve) => setImmediate(resolve));
    writes.find((w) => w.size === 5)!.go();
    const [forward, stale] = await both;
    expect(forward.ok).toBe(true);
    expect(stale).toMatchObject({ ok: false, refusal: "conflict", size: 13 });
    expect((await inner.get(log.origin))?.size).toBe(13);
  });

  it("follows a log signing with ECDSA P-256 under a server name, as Rekor v1 does", async () => {
    const rekor = createNoteSigner({ name: "rekor.example.com", privateKey: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey });
    const rekorLog = testLog(rekor, "rekor.example.com - 1193050959916656506");
    const witness = createWitness({ cosigner, logs: [{ origin: rekorLog.origin, keys: [rekorLog.vkey] }], state: memoryWitnessState(), now: () => NOW });
    const checkpoint = rekorLog.checkpoint(7);
    expect(verifiedTimestamp(await witness.addCheckpoint({ oldSize: 0, proof: [], checkpoint }), checkpoint)).toBe(NOW);
  });

  it("cosigns transparency-dev/witness's Go-signed checkpoints with their published consistency proof", async () => {
    const witness = createWitness({
      cosigner: createCosigner(goSignerKey(WITNESS_GO_TEST.witnessSkey)),
      logs: [{ origin: WITNESS_GO_TEST.origin, keys: [WITNESS_GO_TEST.logVkey] }],
      state: memoryWitnessState(),
      now: () => NOW,
    });
    const goWitnessKey = cosignatureVerifierFromKey(parseVerifierKey(WITNESS_GO_TEST.witnessVkey));
    for (const [oldSize, proof, checkpoint] of [[0, [], WITNESS_GO_TEST.init], [5, WITNESS_GO_TEST.proof5to8, WITNESS_GO_TEST.next]] as const) {
      const outcome = await witness.addCheckpoint({ oldSize, proof: [...proof], checkpoint });
      expect(outcome.ok).toBe(true);
      const note = parseSignedNote(checkpoint);
      expect(verifyCosignatures({ text: note.text, signatures: outcome.ok ? outcome.cosignatures : [] }, [goWitnessKey]).valid).toHaveLength(1);
    }
    // The same tree head signed by another log's key ("bananas") is not this log's checkpoint.
    expect(await witness.addCheckpoint({ oldSize: 8, proof: [], checkpoint: WITNESS_GO_TEST.bananasInit })).toMatchObject({ refusal: "bad-signature" });
  });

  it("refuses an unusable configuration", () => {
    const state = memoryWitnessState();
    expect(thrownVouchError(() => createWitness({ cosigner, logs: [{ origin: "a", keys: ["a+00000000+AQID"] }], state })).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => createWitness({ cosigner, logs: [{ origin: "a", keys: [] }], state })).code).toBe("INPUT_MALFORMED");
    const twice = { origin: log.origin, keys: [log.vkey] };
    expect(thrownVouchError(() => createWitness({ cosigner, logs: [twice, twice], state })).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => createWitness({ cosigner, logs: [{ origin: "a", keys: [cosigner.formatVerifierKey()] }], state })).code).toBe("INPUT_MALFORMED");
  });
});
