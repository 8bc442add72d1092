import { generateKeyPairSync } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { MemoryLogStore } from "../../test/support/memory-log-store.js";
import { ecdsaKey, hashedRekordProposal } from "../../test/support/rekor-proposals.js";
import { LogService } from "../api/log-service.js";
import { VouchError } from "../core/errors.js";
import { verifyConsistency, verifyInclusion, leafHash } from "../core/merkle/index.js";
import {
  cosignCheckpoint,
  cosignatureVerifierFromKey,
  createCosigner,
  parseSignedNote,
  parseVerifierKey,
  verifyCosignatures,
  verifyNoteSignature,
  type Cosigner,
} from "../core/note/index.js";
import { witnessRoutes } from "../server/routes/witness/index.js";
import type { LogHead } from "../store/ports.js";
import { createLogSigner } from "./log-signer.js";
import { TransparencyLog } from "./log.js";
import { Sequencer } from "./sequencer.js";
import {
  createWitness,
  formatSignatureLine,
  memoryWitnessState,
  parseAddCheckpointRequest,
  type AddCheckpointRequest,
  type WitnessStateStore,
} from "./witness/index.js";
import { CheckpointWitnessing, type WitnessFetch, type WitnessingLogger, type WitnessingOptions } from "./witnessing.js";

const logKey = ecdsaKey();
const signer = createLogSigner(logKey, "log.example.com/vouch");
const submitter = ecdsaKey();
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

// --- witnesses: the real add-checkpoint plugin, reached through an injected fetch (no sockets) --------------------

interface TestWitness {
  host: string;
  cosigner: Cosigner;
  vkey: string;
  state: WitnessStateStore;
  app: FastifyInstance;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function startWitness(host: string, state: WitnessStateStore = memoryWitnessState()): Promise<TestWitness> {
  const cosigner = createCosigner({ name: `${host}/witness`, privateKey: generateKeyPairSync("ed25519").privateKey });
  const witness = createWitness({ cosigner, logs: [{ origin: signer.origin, keys: [signer.note.formatVerifierKey()] }], state });
  const app = Fastify();
  await app.register(witnessRoutes, { witness, prefix: "/w" });
  apps.push(app);
  return { host, cosigner, vkey: cosigner.formatVerifierKey(), state, app };
}

const endpoint = (w: TestWitness) => ({ url: `http://${w.host}/w`, vkey: w.vkey });

interface Call {
  url: string;
  request: AddCheckpointRequest;
  status: number;
}

type Reply = { status: number; contentType?: string; body: string };

/**
 * A fetch that routes by host to the witnesses' apps, records every request and its status, and lets a test replace
 * a witness's answer (`override`) or hold requests (`gate`).
 */
function routedFetch(witnesses: TestWitness[], hooks: { override?: (host: string, real: Reply, request: AddCheckpointRequest) => Reply | undefined; gate?: () => Promise<void> } = {}) {
  const calls: Call[] = [];
  const fetch: WitnessFetch = async (url, init) => {
    await hooks.gate?.();
    const target = new URL(url);
    const witness = witnesses.find((w) => w.host === target.host);
    if (witness === undefined) throw new TypeError("fetch failed", { cause: new Error(`connect ECONNREFUSED ${target.host}`) });
    const res = await witness.app.inject({ method: "POST", url: target.pathname, payload: init.body, headers: init.headers });
    const real: Reply = { status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), body: res.body };
    const request = parseAddCheckpointRequest(init.body);
    const reply = hooks.override?.(witness.host, real, request) ?? real;
    calls.push({ url, request, status: reply.status });
    return { status: reply.status, headers: { get: (name) => (name.toLowerCase() === "content-type" ? (reply.contentType ?? null) : null) }, text: async () => reply.body };
  };
  return { fetch, calls };
}

/** Holds witness requests while closed. */
function gate() {
  let opened = Promise.resolve();
  let open = () => {};
  return {
    wait: () => opened,
    close: () => {
      opened = new Promise((resolve) => (open = resolve));
    },
    open: () => open(),
  };
}

function captureLogger(): WitnessingLogger & { entries: { level: "warn" | "error"; fields: Record<string, unknown>; message: string }[] } {
  const entries: { level: "warn" | "error"; fields: Record<string, unknown>; message: string }[] = [];
  return {
    entries,
    warn: (fields, message) => entries.push({ level: "warn", fields, message }),
    error: (fields, message) => entries.push({ level: "error", fields, message }),
  };
}

// --- the log ---------------------------------------------------------------------------------------------------------

async function makeLog(options: Omit<WitnessingOptions, "store" | "logger">, store = new MemoryLogStore()) {
  const sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => signer.checkpoint(size, rootHash), maxDelayMs: 1 });
  const logger = captureLogger();
  const witnessing = new CheckpointWitnessing({ ...options, store, logger });
  const log = new TransparencyLog({ store, signer, sequencer, witnessing });
  let n = 0;
  /** Submits one new entry (one batch, one new head) and returns the answer and the head it committed. */
  const submit = async () => {
    const submission = await log.submit(hashedRekordProposal(submitter, `artifact ${n++} ${Math.random()}`));
    return { ...submission, head: sequencer.head };
  };
  return { store, sequencer, witnessing, log, logger, submit };
}

const keyOf = (w: TestWitness) => cosignatureVerifierFromKey(parseVerifierKey(w.vkey));

function cosigners(note: string, witnesses: TestWitness[]): string[] {
  return verifyCosignatures(parseSignedNote(note), witnesses.map(keyOf)).valid.map((v) => v.key.name).sort();
}

function logSignatureOk(note: string): boolean {
  return verifyNoteSignature(parseSignedNote(note), { name: signer.origin, publicKeyDer: signer.note.publicKeyDer, keyDetails: signer.note.keyDetails }).ok;
}

// =====================================================================================================================

describe("CheckpointWitnessing", () => {
  it("sends each committed head to every witness, with a consistency proof from the size it last cosigned", async () => {
    const [a, b] = [await startWitness("a.test"), await startWitness("b.test")];
    const { fetch, calls } = routedFetch([a, b]);
    const { witnessing, submit } = await makeLog({ witnesses: [endpoint(a), endpoint(b)], fetch });

    const heads: LogHead[] = [];
    for (let i = 0; i < 3; i++) {
      heads.push((await submit()).head);
      await witnessing.settled();
    }
    for (const host of ["a.test", "b.test"]) {
      const mine = calls.filter((c) => c.url === `http://${host}/w/add-checkpoint`);
      expect(mine.map((c) => [c.request.oldSize, c.status])).toEqual([[0, 200], [1, 200], [2, 200]]);
      // The proof in each request leads from the previous head's root to the new one.
      for (const [i, call] of mine.entries()) {
        expect(call.request.checkpoint).toBe(heads[i]!.checkpoint);
        if (i === 0) expect(call.request.proof).toEqual([]);
        else expect(verifyConsistency(BigInt(heads[i - 1]!.size), BigInt(heads[i]!.size), call.request.proof, heads[i - 1]!.rootHash, heads[i]!.rootHash).ok).toBe(true);
      }
    }
    expect((await a.state.get(signer.origin))?.size).toBe(3);
  });

  it("serves the cosigned note at /checkpoint, in the log info and in inclusion proofs; the log's signature still verifies", async () => {
    const [a, b] = [await startWitness("a.test"), await startWitness("b.test")];
    const { fetch } = routedFetch([a, b]);
    const { log, witnessing, submit } = await makeLog({ witnesses: [endpoint(a), endpoint(b)], fetch });
    const { head } = await submit();
    await witnessing.settled();

    const served = await log.checkpoint();
    expect(served.startsWith(head.checkpoint.slice(0, -1))).toBe(true); // the log's note, then more signature lines
    expect(parseSignedNote(served).signatures.map((s) => s.name)).toEqual([signer.origin, "a.test/witness", "b.test/witness"]);
    expect(cosigners(served, [a, b])).toEqual(["a.test/witness", "b.test/witness"]);
    expect(logSignatureOk(served)).toBe(true);
    expect((await log.info()).signedTreeHead).toBe(served);
    expect((await log.entryByIndex(0)).entry.verification.inclusionProof.checkpoint).toBe(served);
    expect(witnessing.latest()).toEqual({ head, checkpoint: served, witnesses: ["a.test/witness", "b.test/witness"] });
  });

  it("serves the log's own note while no witness has cosigned the head, and keeps recent heads' cosignatures", async () => {
    const a = await startWitness("a.test");
    const valve = gate();
    const { fetch } = routedFetch([a], { gate: valve.wait });
    const { log, witnessing, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    const first = (await submit()).head;
    await witnessing.settled();
    valve.close();
    const second = (await submit()).head;
    expect(await log.checkpoint()).toBe(second.checkpoint);
    // The earlier head keeps its cosignature (a replica or an answer may still be at that size).
    expect(cosigners(witnessing.witnessed(first)!, [a])).toEqual(["a.test/witness"]);
    valve.open();
    await witnessing.settled();
    expect(cosigners(await log.checkpoint(), [a])).toEqual(["a.test/witness"]);
  });

  it("sends a busy witness only the newest head once its request is answered", async () => {
    const a = await startWitness("a.test");
    const valve = gate();
    valve.close();
    // Only the first request waits at the valve.
    let first = true;
    const { fetch, calls } = routedFetch([a], { gate: () => (first ? ((first = false), valve.wait()) : Promise.resolve()) });
    const { witnessing, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    await submit();
    await submit();
    const last = (await submit()).head;
    valve.open();
    await witnessing.settled();
    // Size 1 was in flight; 2 was skipped; 3 was sent with the proof from 1.
    expect(calls.map((c) => [c.request.oldSize, parseSignedNote(c.request.checkpoint).text.split("\n")[1], c.status])).toEqual([
      [0, "1", 200],
      [1, "3", 200],
    ]);
    expect(witnessing.latest()?.head).toBe(last);
  });

  it("409: retries once from the size the witness reports (a restarted log starts from 0)", async () => {
    const a = await startWitness("a.test");
    const { fetch, calls } = routedFetch([a]);
    const store = new MemoryLogStore();
    const first = await makeLog({ witnesses: [endpoint(a)], fetch }, store);
    await first.submit();
    await first.submit();
    await first.witnessing.settled();
    await first.sequencer.stop();

    // The log restarts: its client knows nothing and says old size 0; the witness answers 409 with 2.
    const restarted = await makeLog({ witnesses: [endpoint(a)], fetch }, store);
    calls.length = 0;
    await restarted.submit();
    await restarted.witnessing.settled();
    expect(calls.map((c) => [c.request.oldSize, c.status])).toEqual([
      [0, 409],
      [2, 200],
    ]);
    expect(cosigners(await restarted.log.checkpoint(), [a])).toEqual(["a.test/witness"]);
    expect(restarted.logger.entries).toEqual([]);
  });

  it("409 with a size beyond the head: sends nothing more until a head passes that size", async () => {
    const a = await startWitness("a.test");
    const { fetch, calls } = routedFetch([a]);
    const { store, witnessing, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    const { head: small } = await submit();
    await submit();
    await submit();
    await submit();
    await witnessing.settled();
    calls.length = 0;
    // Another client of this log (say the process that sequenced before a lease handover) only has the head of size
    // 1; the witness already cosigned 4, and no proof leads from 4 back to 1.
    const logger = captureLogger();
    const late = new CheckpointWitnessing({ store, witnesses: [endpoint(a)], fetch, logger });
    late.observe(small);
    await late.settled();
    expect(calls.map((c) => [c.request.oldSize, c.status])).toEqual([[0, 409]]);
    expect(late.witnessed(small)).toBeUndefined();
    await witnessing.close(); // from here on only the late client talks to the witness
    const { head: next } = await submit();
    const cosigned = (await a.state.get(signer.origin))!;
    calls.length = 0;
    late.observe(next);
    await late.settled();
    // It continues from the size the witness reported, with a proof from there.
    expect(calls.map((c) => [c.request.oldSize, c.status])).toEqual([[4, 200]]);
    expect(verifyConsistency(4n, 5n, calls[0]!.request.proof, cosigned.rootHash, next.rootHash).ok).toBe(true);
    expect(cosigners(late.witnessed(next)!, [a])).toEqual(["a.test/witness"]);
    expect(logger.entries).toEqual([]);
  });

  it("gives up on a head after a second 409 and tries the next one", async () => {
    const a = await startWitness("a.test");
    const { fetch, calls } = routedFetch([a], { override: () => ({ status: 409, contentType: "text/x.tlog.size", body: "7\n" }) });
    const { witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    const { head } = await submit();
    await witnessing.settled();
    // Size 7 is beyond the head of size 1: no retry, nothing logged.
    expect(calls.map((c) => c.request.oldSize)).toEqual([0]);
    expect(witnessing.witnessed(head)).toBeUndefined();
    expect(logger.entries).toEqual([]);
    // Heads 2..6 are behind the witness: not sent. Heads 7 and 8 are sent from 7, twice each (409, retry, 409).
    for (let i = 0; i < 7; i++) {
      await submit();
      await witnessing.settled();
    }
    expect(calls.map((c) => c.request.oldSize)).toEqual([0, 7, 7, 7, 7]);
    expect(logger.entries.map((e) => [e.level, e.fields.size, e.message])).toEqual([
      ["warn", 7, expect.stringMatching(/size changed again while retrying/)],
      ["warn", 8, expect.stringMatching(/size changed again while retrying/)],
    ]);
  });

  it("does not count a forged cosignature, or another witness's cosignature relayed by this one", async () => {
    const [a, b] = [await startWitness("a.test"), await startWitness("b.test")];
    const impostor = createCosigner({ name: "a.test/witness", privateKey: generateKeyPairSync("ed25519").privateKey });
    let relayed = "";
    const { fetch } = routedFetch([a, b], {
      override: (host, real, request) => {
        if (real.status !== 200) return undefined;
        if (host === "a.test") {
          // a's answer: a cosignature under a's name and key ID, by another key.
          const forged = cosignCheckpoint(parseSignedNote(request.checkpoint).text, impostor, 1_700_000_000);
          return { ...real, body: formatSignatureLine({ ...forged, keyId: keyOf(a).keyId }) };
        }
        relayed = real.body;
        return undefined;
      },
    });
    const { log, witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a), endpoint(b)], threshold: 1, fetch });
    const { head } = await submit();
    await witnessing.settled();
    const served = await log.checkpoint();
    expect(parseSignedNote(served).signatures.map((s) => s.name)).toEqual([signer.origin, "b.test/witness"]);
    expect(cosigners(served, [a, b])).toEqual(["b.test/witness"]);
    expect(logger.entries).toEqual([expect.objectContaining({ level: "error", message: expect.stringMatching(/does not verify; not counted/) })]);

    // A third witness c that answers with b's (valid) line instead of its own gives nothing.
    const c = await startWitness("c.test");
    const { fetch: relaying } = routedFetch([c], { override: (_host, real) => (real.status === 200 ? { ...real, body: relayed } : undefined) });
    const cLogger = captureLogger();
    const third = new CheckpointWitnessing({ store: new MemoryLogStore(), witnesses: [endpoint(c)], fetch: relaying, logger: cLogger });
    third.observe(head);
    await third.settled();
    expect(third.witnessed(head)).toBeUndefined();
    expect(cLogger.entries).toEqual([expect.objectContaining({ level: "error", message: expect.stringMatching(/without a cosignature by its configured key/) })]);
  });

  it.each([
    ["a 200 that is not signature lines", { status: 200, contentType: "text/plain", body: "OK\n" }, /not signature lines/],
    ["a 200 with an empty body", { status: 200, contentType: "text/plain", body: "" }, /not signature lines/],
    ["a 409 size that is not a number", { status: 409, contentType: "text/x.tlog.size", body: "seven\n" }, /does not carry a tree size/],
    ["a 409 size with a leading zero", { status: 409, contentType: "text/x.tlog.size", body: "07\n" }, /does not carry a tree size/],
    ["a 409 size beyond 2^53", { status: 409, contentType: "text/x.tlog.size", body: "18446744073709551615\n" }, /does not carry a tree size/],
    ["a 500", { status: 500, contentType: "text/plain", body: "boom" }, /refused the checkpoint; trying with the next head/],
    ["a 403 (the witness does not trust the log's key)", { status: 403, contentType: "text/plain", body: "bad signature" }, /refused the checkpoint/],
  ])("logs %s as a warning and counts nothing", async (_what, reply, message) => {
    const a = await startWitness("a.test");
    const { fetch } = routedFetch([a], { override: () => reply });
    const { witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    const { head } = await submit();
    await witnessing.settled();
    expect(witnessing.witnessed(head)).toBeUndefined();
    expect(logger.entries).toEqual([expect.objectContaining({ level: "warn", message: expect.stringMatching(message), fields: expect.objectContaining({ witness: "a.test/witness", size: 1 }) })]);
  });

  it("logs a witness that holds another history of the log (a split view) as an error", async () => {
    const a = await startWitness("a.test");
    // The witness cosigned a checkpoint of size 1 that the log's key signed over another tree (a fork).
    const forkRoot = new Uint8Array(32).fill(7);
    expect(await a.state.compareAndSet(signer.origin, 0, { size: 1, rootHash: forkRoot, note: signer.checkpoint(1, forkRoot) })).toBe(true);
    const { fetch, calls } = routedFetch([a]);
    const { witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    await submit();
    await witnessing.settled();
    // Same size, another root: 409 (not a size); then a larger head: the proof from 1 does not verify, 422.
    await submit();
    await witnessing.settled();
    expect(calls.map((c) => [c.request.oldSize, c.status])).toEqual([[0, 409], [1, 409], [1, 422]]);
    expect(logger.entries.map((e) => [e.level, e.fields.status])).toEqual([["error", 409], ["error", 422]]);
    expect(logger.entries[0]!.message).toMatch(/inconsistent with what it cosigned before/);
  });

  it("a witness that is down, failing or hanging never stops the log; the others still cosign", async () => {
    const a = await startWitness("a.test");
    const [down, hanging] = [await startWitness("down.test"), await startWitness("hang.test")];
    const { fetch } = routedFetch([a]);
    const withHang: WitnessFetch = (url, init) =>
      url.includes("hang.test")
        ? new Promise((_resolve, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason), { once: true }))
        : fetch(url, init);
    const { log, witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a), endpoint(down), endpoint(hanging)], threshold: 1, fetch: withHang, timeoutMs: 50 });
    for (let i = 0; i < 3; i++) expect((await submit()).entry.logIndex).toBe(i);
    await witnessing.settled();
    expect(cosigners(await log.checkpoint(), [a, down, hanging])).toEqual(["a.test/witness"]);
    const failures = logger.entries.map((e) => [e.level, e.fields.witness, e.message.match(/no answer/)?.[0]]);
    expect(failures).toContainEqual(["warn", "down.test/witness", "no answer"]);
    expect(failures).toContainEqual(["warn", "hang.test/witness", "no answer"]);
    expect(logger.entries.find((e) => e.fields.witness === "down.test/witness")?.fields.err).toMatch(/fetch failed: connect ECONNREFUSED/);
  });

  it("a consistency proof the log's storage cannot give is logged as an error, and the log goes on", async () => {
    const a = await startWitness("a.test");
    const { fetch, calls } = routedFetch([a]);
    const { store, witnessing, submit } = await makeLog({ witnesses: [endpoint(a)], fetch });
    await submit();
    await witnessing.settled();
    await witnessing.close();
    const { head } = await submit();
    const broken = Object.assign(Object.create(store) as MemoryLogStore, {
      readTile: async () => {
        throw new VouchError("STORE_UNAVAILABLE", "the disk is gone");
      },
    });
    const logger = captureLogger();
    const late = new CheckpointWitnessing({ store: broken, witnesses: [endpoint(a)], fetch, logger });
    calls.length = 0;
    late.observe(head);
    await late.settled();
    // old 0 -> 409 (1) -> the proof from 1 to 2 cannot be read: nothing sent, an error logged.
    expect(calls.map((c) => [c.request.oldSize, c.status])).toEqual([[0, 409]]);
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: "error", fields: expect.objectContaining({ size: 2, oldSize: 1, err: expect.stringMatching(/the disk is gone/) }) }),
    ]);
  });
});

describe("waiting for cosigned heads (waitMs)", () => {
  it("answers a submission with a head the threshold of witnesses cosigned, its proof against that head", async () => {
    const [a, b] = [await startWitness("a.test"), await startWitness("b.test")];
    const { fetch } = routedFetch([a, b]);
    const { witnessing, submit } = await makeLog({ witnesses: [endpoint(a), endpoint(b)], threshold: 2, waitMs: 60_000, fetch });
    for (let i = 0; i < 3; i++) {
      const { entry } = await submit();
      const proof = entry.verification.inclusionProof;
      expect(cosigners(proof.checkpoint, [a, b])).toEqual(["a.test/witness", "b.test/witness"]);
      expect(verifyInclusion(BigInt(entry.logIndex), BigInt(proof.treeSize), leafHash(Buffer.from(entry.body, "base64")), proof.hashes.map(fromHex), fromHex(proof.rootHash)).ok).toBe(true);
    }
    await witnessing.settled();
  });

  it("uses an earlier cosigned head that includes the entry when the newest one is not cosigned yet", async () => {
    const a = await startWitness("a.test");
    const valve = gate();
    const { fetch } = routedFetch([a], { gate: valve.wait });
    const { log, sequencer, witnessing, submit } = await makeLog({ witnesses: [endpoint(a)], threshold: 1, waitMs: 60_000, fetch });
    const { canonical, head: first } = await submit();
    valve.close();
    const pending = submit();
    await expect.poll(() => sequencer.head.size).toBe(2); // committed, its witness request held
    // Resubmitting the first entry (a duplicate) needs no wait: head 1 includes it and is cosigned.
    const again = await log.submit(JSON.parse(Buffer.from(canonical.body).toString()));
    expect(again.duplicate).toBe(true);
    expect(again.entry.verification.inclusionProof.treeSize).toBe(first.size);
    expect(cosigners(again.entry.verification.inclusionProof.checkpoint, [a])).toEqual(["a.test/witness"]);
    valve.open();
    expect((await pending).entry.verification.inclusionProof.treeSize).toBe(2);
    await witnessing.settled();
  });

  it("after waitMs, answers with the newest head as it is and logs a warning", async () => {
    const [a, down] = [await startWitness("a.test"), await startWitness("down.test")];
    const { fetch } = routedFetch([a]);
    const { witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a), endpoint(down)], threshold: 2, waitMs: 30, fetch });
    const { entry, head } = await submit();
    await witnessing.settled();
    // Below the threshold: whatever the head has when the wait ends (here, possibly a's cosignature alone).
    expect(parseSignedNote(entry.verification.inclusionProof.checkpoint).text).toBe(parseSignedNote(head.checkpoint).text);
    expect(cosigners(entry.verification.inclusionProof.checkpoint, [a, down])).not.toContain("down.test/witness");
    expect(logger.entries.filter((e) => /threshold in time/.test(e.message))).toEqual([
      expect.objectContaining({ level: "warn", fields: expect.objectContaining({ logIndex: 0, threshold: 2, waitMs: 30 }) }),
    ]);
  });

  it("close() answers waiting submissions at once and aborts requests in flight", async () => {
    const a = await startWitness("a.test");
    let seen = () => {};
    const requested = new Promise<void>((resolve) => (seen = resolve));
    const hanging: WitnessFetch = (_url, init) => {
      seen();
      return new Promise((_resolve, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason), { once: true }));
    };
    const { witnessing, logger, submit } = await makeLog({ witnesses: [endpoint(a)], threshold: 1, waitMs: 3_600_000, fetch: hanging });
    const pending = submit();
    await requested;
    await witnessing.close();
    const { entry, head } = await pending;
    expect(entry.verification.inclusionProof.checkpoint).toBe(head.checkpoint);
    expect(logger.entries).toEqual([]);
    witnessing.observe(head); // after close: nothing is sent
    await witnessing.settled();
  });

  it("threshold 0 or waitMs 0 never waits", async () => {
    const a = await startWitness("a.test");
    const never: WitnessFetch = () => new Promise(() => {});
    for (const policy of [{ threshold: 0, waitMs: 60_000 }, { threshold: 1, waitMs: 0 }]) {
      const { witnessing, submit } = await makeLog({ witnesses: [endpoint(a)], fetch: never, timeoutMs: 3_600_000, ...policy });
      const { entry, head } = await submit();
      expect(entry.verification.inclusionProof.checkpoint).toBe(head.checkpoint);
      expect(await witnessing.waitForWitnessed(0)).toBeUndefined();
    }
  });
});

describe("configuration", () => {
  const vkey = createCosigner({ name: "w.test", privateKey: generateKeyPairSync("ed25519").privateKey }).formatVerifierKey();
  const store = new MemoryLogStore();
  const make = (options: Partial<WitnessingOptions>) => () => new CheckpointWitnessing({ store, witnesses: [{ url: "https://w.test", vkey }], ...options });

  it.each([
    ["a URL that does not parse", { witnesses: [{ url: "not a url", vkey }] }],
    ["a URL that is not http(s)", { witnesses: [{ url: "ftp://w.test/", vkey }] }],
    ["a URL with a query", { witnesses: [{ url: "https://w.test/?x=1", vkey }] }],
    ["a malformed vkey", { witnesses: [{ url: "https://w.test", vkey: "w.test+00000000+AQID" }] }],
    ["an ECDSA (note signing) vkey", { witnesses: [{ url: "https://w.test", vkey: signer.note.formatVerifierKey() }] }],
    ["the same key twice", { witnesses: [{ url: "https://w.test", vkey }, { url: "https://w2.test", vkey }] }],
    ["a threshold above the number of witnesses", { threshold: 2 }],
    ["a negative threshold", { threshold: -1 }],
    ["a fractional threshold", { threshold: 0.5 }],
    ["a negative wait", { waitMs: -1 }],
    ["a zero timeout", { timeoutMs: 0 }],
  ])("refuses %s (INPUT_USAGE)", (_what, options) => {
    expect(thrownVouchError(make(options as Partial<WitnessingOptions>)).code).toBe("INPUT_USAGE");
  });

  it("defaults the threshold to every witness and waits for nothing", () => {
    const witnessing = make({})();
    expect([witnessing.threshold, witnessing.waitMs]).toEqual([1, 0]);
  });

  it("posts to <prefix>/add-checkpoint, or to a URL already naming it", async () => {
    const urls: string[] = [];
    const recording: WitnessFetch = async (url) => {
      urls.push(url);
      return { status: 503, headers: { get: () => null }, text: async () => "" };
    };
    const witnesses = ["https://w.test", "https://w.test/prefix/", "https://w.test/x/add-checkpoint"].map((url) => ({
      url,
      vkey: createCosigner({ name: "w.test", privateKey: generateKeyPairSync("ed25519").privateKey }).formatVerifierKey(),
    }));
    const witnessing = new CheckpointWitnessing({ store, witnesses, fetch: recording, logger: captureLogger() });
    witnessing.observe({ size: 0, rootHash: new Uint8Array(32), checkpoint: signer.checkpoint(0, new Uint8Array(32)) });
    await witnessing.settled();
    expect(urls.sort()).toEqual(["https://w.test/add-checkpoint", "https://w.test/prefix/add-checkpoint", "https://w.test/x/add-checkpoint"]);
  });
});

describe("LogService with witnesses", () => {
  it("sends the committed head when it starts sequencing, cosigns new heads, and closes cleanly", async () => {
    const [a, b] = [await startWitness("a.test"), await startWitness("b.test")];
    const { fetch, calls } = routedFetch([a, b]);
    const service = await LogService.start({
      store: new MemoryLogStore(),
      privateKey: logKey,
      origin: signer.origin,
      maxDelayMs: 1,
      witnessing: { witnesses: [endpoint(a), endpoint(b)], threshold: 2, waitMs: 60_000, fetch, logger: captureLogger() },
    });
    try {
      // The empty tree's checkpoint went to both witnesses on start.
      await expect.poll(() => calls.filter((c) => c.status === 200).length).toBe(2);
      const { entry } = await service.log.submit(hashedRekordProposal(submitter, "service entry"));
      expect(cosigners(entry.verification.inclusionProof.checkpoint, [a, b])).toEqual(["a.test/witness", "b.test/witness"]);
      // Both heads were sent with old size 0: the empty tree is consistent with every tree, no proof needed.
      const sizes = (host: string) => calls.filter((c) => c.url.includes(host)).map((c) => [c.request.oldSize, parseSignedNote(c.request.checkpoint).text.split("\n")[1]]);
      expect(sizes("a.test")).toEqual([[0, "0"], [0, "1"]]);
      expect(sizes("b.test")).toEqual([[0, "0"], [0, "1"]]);
    } finally {
      await service.close();
    }
  });

  it("without witnesses, serves the plain checkpoint", async () => {
    const service = await LogService.start({ store: new MemoryLogStore(), privateKey: logKey, origin: signer.origin, maxDelayMs: 1, witnessing: { witnesses: [] } });
    try {
      const { entry } = await service.log.submit(hashedRekordProposal(submitter, "plain entry"));
      expect(parseSignedNote(entry.verification.inclusionProof.checkpoint).signatures).toHaveLength(1);
    } finally {
      await service.close();
    }
  });
});
