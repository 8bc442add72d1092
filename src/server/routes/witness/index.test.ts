import { generateKeyPairSync } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { consistencyProof, leaves, treeRoot } from "../../../../test/support/rfc6962.js";
import {
  cosignatureVerifierFromKey,
  createCosigner,
  createNoteSigner,
  parseSignedNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignatures,
} from "../../../core/note/index.js";
import { createWitness, formatAddCheckpointRequest, memoryWitnessState, parseAddCheckpointResponse } from "../../../tlog/witness/index.js";
import { witnessRoutes } from "./index.js";

const logSigner = createNoteSigner({ name: "log.example.com/vouch", privateKey: generateKeyPairSync("ed25519").privateKey });
const cosigner = createCosigner({ name: "witness.example.com/w1", privateKey: generateKeyPairSync("ed25519").privateKey });
const data = leaves(16);
const checkpoint = (size: number, root = treeRoot(data.slice(0, size))) => signCheckpoint({ origin: logSigner.name, size, rootHash: root }, [logSigner]);
const body = (oldSize: number, size: number, proof = consistencyProof(oldSize, data.slice(0, size))) =>
  formatAddCheckpointRequest({ oldSize, proof, checkpoint: checkpoint(size) });

let app: FastifyInstance;
beforeEach(async () => {
  app = Fastify();
  const witness = createWitness({ cosigner, logs: [{ origin: logSigner.name, keys: [logSigner.formatVerifierKey()] }], state: memoryWitnessState(), now: () => 1_700_000_000 });
  await app.register(witnessRoutes, { witness, prefix: "/witness", bodyLimit: 8 * 1024 });
  // A sibling route parsing JSON: the witness's catch-all text parser must not reach it.
  app.post("/json", async (request) => ({ type: typeof request.body }));
});
afterEach(() => app.close());

const post = (payload: string, contentType?: string) =>
  app.inject({ method: "POST", url: "/witness/add-checkpoint", payload, ...(contentType ? { headers: { "content-type": contentType } } : {}) });

describe("POST /add-checkpoint (c2sp.org/tlog-witness)", () => {
  it("200 with the cosignature line, which verifies with the witness's vkey", async () => {
    const res = await post(body(0, 5), "text/plain");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.body).toMatch(/^\u2014 witness\.example\.com\/w1 [A-Za-z0-9+/]+=*\n$/);
    const note = parseSignedNote(checkpoint(5));
    const check = verifyCosignatures({ text: note.text, signatures: parseAddCheckpointResponse(res.body) }, [cosignatureVerifierFromKey(parseVerifierKey(cosigner.formatVerifierKey()))]);
    expect(check.valid).toEqual([expect.objectContaining({ timestamp: 1_700_000_000 })]);
  });

  it("accepts the body with any content type, or none", async () => {
    expect((await post(body(0, 5), "application/octet-stream")).statusCode).toBe(200);
    expect((await post(body(5, 8))).statusCode).toBe(200);
    expect((await app.inject({ method: "POST", url: "/json", payload: { a: 1 } })).json()).toEqual({ type: "object" });
  });

  it("409 with the stored size as text/x.tlog.size for a stale old size", async () => {
    await post(body(0, 8));
    const res = await post(body(5, 13));
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toBe("text/x.tlog.size");
    expect(res.body).toBe("8\n");
  });

  it("409 for the cosigned size with another root (not as text/x.tlog.size)", async () => {
    await post(body(0, 5));
    const res = await post(formatAddCheckpointRequest({ oldSize: 5, proof: [], checkpoint: checkpoint(5, new Uint8Array(32)) }));
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("422 for a consistency proof that does not verify", async () => {
    await post(body(0, 5));
    const proof = consistencyProof(5, data.slice(0, 8)).reverse();
    const res = await post(body(5, 8, proof));
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/consistency proof from size 5 does not verify/);
  });

  it("403 without a valid signature by the log's key, 404 for a log the witness does not follow", async () => {
    const impostor = createNoteSigner({ name: logSigner.name, privateKey: generateKeyPairSync("ed25519").privateKey });
    const forged = signCheckpoint({ origin: logSigner.name, size: 5, rootHash: treeRoot(data.slice(0, 5)) }, [impostor]);
    expect((await post(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: forged }))).statusCode).toBe(403);
    const unknown = signCheckpoint({ origin: "elsewhere.example.com/log", size: 5, rootHash: treeRoot(data.slice(0, 5)) }, [impostor]);
    expect((await post(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: unknown }))).statusCode).toBe(404);
  });

  it("400 for a malformed body, an old size above the checkpoint's, or no body", async () => {
    for (const payload of ["old x\n\n", `old 0\n${checkpoint(5)}`, `old 0\n\nnot a checkpoint\n`, body(5, 5).replace("old 5", "old 9")]) {
      const res = await post(payload);
      expect(res.statusCode, payload).toBe(400);
      expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    }
    expect((await app.inject({ method: "POST", url: "/witness/add-checkpoint" })).statusCode).toBe(400);
  });

  it("refuses a body over the limit without reading it (413)", async () => {
    expect((await post(`old 0\n\n${"x".repeat(9 * 1024)}`)).statusCode).toBe(413);
  });

  it("answers only POST", async () => {
    expect((await app.inject({ method: "GET", url: "/witness/add-checkpoint" })).statusCode).toBe(404);
  });
});
