import { createPublicKey, verify } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leafHash, verifyConsistency, verifyInclusion } from "../../../core/merkle/index.js";
import { parseCheckpoint, parseSignedNote, verifyNoteSignature } from "../../../core/note/index.js";
import { EntryCheckPool, type EntryChecker } from "../../../tlog/entry-checks.js";
import { createLogSigner } from "../../../tlog/log-signer.js";
import { TransparencyLog } from "../../../tlog/log.js";
import { Sequencer } from "../../../tlog/sequencer.js";
import { MemoryLogStore } from "../../../../test/support/memory-log-store.js";
import { ecdsaKey, hashedRekordProposal } from "../../../../test/support/rekor-proposals.js";
import { buildApp } from "../../app.js";

const logKey = ecdsaKey();
const signer = createLogSigner(logKey, "test.vouch.dev/log");
const submitter = ecdsaKey();

async function makeApp(store = new MemoryLogStore(), maxEntryBytes?: number, checker?: EntryChecker) {
  const sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => signer.checkpoint(size, rootHash), maxDelayMs: 2 });
  const log = new TransparencyLog({ store, signer, sequencer, maxEntryBytes, checker });
  return { app: await buildApp({ log }), store };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fromHex = (s: string) => Buffer.from(s, "hex");

describe("Rekor v1 API and tlog-tiles over HTTP", () => {
  let app: FastifyInstance;
  let store: MemoryLogStore;
  beforeAll(async () => ({ app, store } = await makeApp()));
  afterAll(() => app.close());

  const size = async () => (await app.inject({ url: "/api/v1/log" })).json().treeSize as number;

  it("answers a new entry with 201, its location, an inclusion proof, checkpoint and SET that verify", async () => {
    const res = await app.inject({ method: "POST", url: "/api/v1/log/entries", payload: hashedRekordProposal(submitter, "artifact one") });
    expect(res.statusCode).toBe(201);
    const [[uuid, entry]] = Object.entries(res.json()) as [[string, any]];
    expect(res.headers.location).toBe(`/api/v1/log/entries/${uuid}`);
    const body = Buffer.from(entry.body, "base64");
    expect(uuid).toBe(hex(leafHash(body)));
    expect(entry.logID).toBe(hex(signer.logId));
    expect(JSON.parse(body.toString()).kind).toBe("hashedrekord");

    const proof = entry.verification.inclusionProof;
    expect(verifyInclusion(BigInt(proof.logIndex), BigInt(proof.treeSize), leafHash(body), proof.hashes.map(fromHex), fromHex(proof.rootHash)).ok).toBe(true);
    const note = parseSignedNote(proof.checkpoint);
    const checkpoint = parseCheckpoint(note.text);
    expect(checkpoint).toMatchObject({ origin: "test.vouch.dev/log", size: BigInt(proof.treeSize) });
    expect(hex(checkpoint.rootHash)).toBe(proof.rootHash);
    expect(verifyNoteSignature(note, { name: signer.origin, publicKeyDer: signer.note.publicKeyDer, keyDetails: signer.note.keyDetails })).toMatchObject({ ok: true });

    const payload = `{"body":"${entry.body}","integratedTime":${entry.integratedTime},"logID":"${entry.logID}","logIndex":${entry.logIndex}}`;
    expect(verify("sha256", Buffer.from(payload), createPublicKey(logKey), Buffer.from(entry.verification.signedEntryTimestamp, "base64"))).toBe(true);
  });

  it("answers a resubmission with 409 and the existing entry's location, adding nothing", async () => {
    const before = await size();
    const res = await app.inject({ method: "POST", url: "/api/v1/log/entries", payload: hashedRekordProposal(submitter, "artifact one") });
    // ECDSA signatures are randomised: a new signature over the same artifact is a new entry, as in Rekor.
    expect(res.statusCode).toBe(201);
    const again = await app.inject({ method: "POST", url: "/api/v1/log/entries", payload: JSON.parse(Buffer.from(Object.values(res.json() as Record<string, any>)[0].body, "base64").toString()) });
    expect(again.statusCode).toBe(409);
    expect(again.headers.location).toBe(`/api/v1/log/entries/${Object.keys(res.json())[0]}`);
    expect(await size()).toBe(before + 1);
    const fetched = await app.inject({ url: again.headers.location as string });
    expect(fetched.statusCode).toBe(200);
    expect(Object.values(fetched.json() as Record<string, any>)[0].logIndex).toBe(before);
  });

  it("serves entries by index, UUID (64 and 80 hex) and through retrieve", async () => {
    const byIndex = await app.inject({ url: "/api/v1/log/entries?logIndex=0" });
    const [uuid] = Object.keys(byIndex.json());
    expect((await app.inject({ url: `/api/v1/log/entries/${uuid}` })).json()).toHaveProperty(uuid!);
    expect((await app.inject({ url: `/api/v1/log/entries/0123456789abcdef${uuid}` })).statusCode).toBe(200);
    const retrieved = await app.inject({ method: "POST", url: "/api/v1/log/entries/retrieve", payload: { entryUUIDs: [uuid, "f".repeat(64)], logIndexes: [1, 999] } });
    expect(retrieved.statusCode).toBe(200);
    expect((retrieved.json() as object[]).map((m) => Object.values(m)[0].logIndex)).toEqual([0, 1]);
    expect((await app.inject({ url: `/api/v1/log/entries/${"f".repeat(64)}` })).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/v1/log/entries?logIndex=999" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/v1/log/entries/not-a-uuid" })).statusCode).toBe(400);
  });

  it("refuses malformed, badly signed and oversized submissions with 400 and a reason, changing nothing", async () => {
    const before = await size();
    const forged = hashedRekordProposal(submitter, "artifact two");
    forged.spec.data.hash.value = "00".repeat(32);
    const cases = [
      { payload: "{not json", headers: { "content-type": "application/json" }, reason: /JSON/ },
      { payload: { kind: "rekord", apiVersion: "0.0.1", spec: {} }, reason: /kind "rekord" is not supported/ },
      { payload: forged, reason: /signature/ },
      { payload: { ...hashedRekordProposal(submitter, "x"), pad: "x".repeat(200 * 1024) }, reason: /too large|limit/i },
    ];
    for (const { payload, headers, reason } of cases) {
      const res = await app.inject({ method: "POST", url: "/api/v1/log/entries", payload, headers });
      expect(res.statusCode, JSON.stringify(res.json())).toBe(400);
      expect(res.json().message).toMatch(reason);
    }
    expect(await size()).toBe(before);
  });

  it("proves consistency between sizes, and serves the checkpoint and tiles", async () => {
    for (let i = 0; i < 3; i++) await app.inject({ method: "POST", url: "/api/v1/log/entries", payload: hashedRekordProposal(submitter, `more ${i}`) });
    const info = (await app.inject({ url: "/api/v1/log" })).json();
    const proof = (await app.inject({ url: `/api/v1/log/proof?firstSize=2&lastSize=${info.treeSize}` })).json();
    const old = (await app.inject({ url: "/api/v1/log/proof?firstSize=1&lastSize=2" })).json().rootHash;
    expect(verifyConsistency(2n, BigInt(info.treeSize), proof.hashes.map(fromHex), fromHex(old), fromHex(info.rootHash))).toEqual({ ok: true });
    expect((await app.inject({ url: "/api/v1/log/proof?firstSize=3&lastSize=2" })).statusCode).toBe(400);

    const checkpoint = await app.inject({ url: "/checkpoint" });
    expect(checkpoint.body).toBe(info.signedTreeHead);
    const tile = await app.inject({ url: `/tile/0/000.p/${info.treeSize}` });
    expect(tile.headers["cache-control"]).toBe("public, max-age=60");
    expect(tile.rawPayload.length).toBe(32 * info.treeSize);
    const entries = await app.inject({ url: `/tile/entries/000.p/${info.treeSize}` });
    const first = entries.rawPayload.subarray(2, 2 + entries.rawPayload.readUInt16BE(0));
    expect(Buffer.from(leafHash(first))).toEqual(tile.rawPayload.subarray(0, 32));
    expect((await app.inject({ url: `/tile/0/000.p/${info.treeSize + 1}` })).statusCode).toBe(404);
    expect((await app.inject({ url: "/tile/0/000" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/tile/0/5" })).statusCode).toBe(404);
    const key = await app.inject({ url: "/api/v1/log/publicKey" });
    expect(key.body).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it("marks full tiles immutable", async () => {
    const { app: big, store: bigStore } = await makeApp();
    await Promise.all(Array.from({ length: 256 }, (_, i) => big.inject({ method: "POST", url: "/api/v1/log/entries", payload: hashedRekordProposal(submitter, `n${i}`) })));
    const tile = await big.inject({ url: "/tile/0/000" });
    expect(tile.statusCode).toBe(200);
    expect(tile.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await big.inject({ url: "/tile/1/000.p/1" })).rawPayload.length).toBe(32);
    expect(bigStore.head?.size).toBe(256);
    await big.close();
  });

  it("never serves a tampered tile or entry: 500 saying the storage is damaged", async () => {
    const copy = Uint8Array.from(store.bundles.get(0)!);
    copy[10]! ^= 1;
    store.bundles.set(0, copy);
    const res = await app.inject({ url: "/api/v1/log/entries?logIndex=0" });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toMatch(/damaged/);
    expect((await app.inject({ url: "/tile/entries/000.p/1" })).statusCode).toBe(500);
  });

  it("refuses a malformed Rekor v2 request with 400 and a reason", async () => {
    const before = await size();
    for (const payload of [{}, { hashedRekordRequestV002: { digest: "not base64!" } }, { hashedRekordRequestV002: {}, dsseRequestV002: {} }]) {
      const res = await app.inject({ method: "POST", url: "/api/v2/log/entries", payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().message.length).toBeGreaterThan(10);
    }
    expect(await size()).toBe(before);
  });

  it("counts entry reads in the duration histogram with a bucket edge at the 2 ms objective", async () => {
    await app.inject({ url: "/api/v1/log/entries?logIndex=0" });
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(/vouch_http_request_duration_seconds_bucket\{le="0\.002",method="GET",route="\/api\/v1\/log\/entries",status="200"\} [1-9]/);
    expect(metrics).toMatch(/vouch_http_request_duration_seconds_bucket\{le="0\.0005",method="GET",route="\/api\/v1\/log\/entries",status="200"\} \d/);
  });

  it("answers health probes", async () => {
    expect((await app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/nope" })).statusCode).toBe(404);
  });
});

describe("submissions checked on a worker pool (what LogService runs on a machine with more than one core)", () => {
  const pool = new EntryCheckPool({ workers: 1 });
  afterAll(() => pool.close());

  it("every submission gets the same HTTP answer as when it is checked inline", async () => {
    const inline = await makeApp();
    const pooled = await makeApp(undefined, undefined, pool);
    const forged = hashedRekordProposal(submitter, "pool forged");
    forged.spec.data.hash.value = "00".repeat(32);
    const good = hashedRekordProposal(submitter, "pool good");
    const requests = [
      { url: "/api/v1/log/entries", payload: good },
      { url: "/api/v1/log/entries", payload: good }, // a resubmission: 409 with the entry's location
      { url: "/api/v1/log/entries", payload: "{not json", headers: { "content-type": "application/json" } },
      { url: "/api/v1/log/entries", payload: { kind: "rekord", apiVersion: "0.0.1", spec: {} } },
      { url: "/api/v1/log/entries", payload: { kind: "hashedrekord", apiVersion: "0.0.2", spec: {} } },
      { url: "/api/v1/log/entries", payload: forged },
      { url: "/api/v1/log/entries", payload: { ...hashedRekordProposal(submitter, "big"), pad: "x".repeat(200 * 1024) } },
      { url: "/api/v2/log/entries", payload: {} },
      { url: "/api/v2/log/entries", payload: { hashedRekordRequestV002: { digest: "not base64!" } } },
    ];
    try {
      for (const request of requests) {
        const [a, b] = await Promise.all([inline.app, pooled.app].map((app) => app.inject({ method: "POST", ...request })));
        expect(b!.statusCode).toBe(a!.statusCode);
        expect(b!.headers.location).toBe(a!.headers.location);
        // Entries differ only in their integrated time and the log's signatures over it.
        if (a!.statusCode === 201) expect(Object.keys(b!.json())).toEqual(Object.keys(a!.json()));
        else expect(b!.json()).toEqual(a!.json());
      }
      expect((await pooled.store.readHead())?.size).toBe((await inline.store.readHead())?.size);
    } finally {
      await inline.app.close();
      await pooled.app.close();
    }
  });
});
