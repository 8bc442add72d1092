import { generateKeyPairSync, verify } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leafHash, verifyConsistency, verifyInclusion } from "../../../core/merkle/index.js";
import { CtLog } from "../../../ct/ct-log.js";
import { memoryExtraDataStore } from "../../../ct/extra-data.js";
import { decodeDigitallySigned, decodeMerkleTreeLeaf, treeHeadSignatureInput } from "../../../ct/structures.js";
import { errorHandler } from "../../plugins/errors.js";
import { caChain, precertificate } from "../../../../test/support/ct-chain.js";
import { MemoryLogStore } from "../../../../test/support/memory-log-store.js";
import { buildCertificate } from "../../../../test/support/x509-builder.js";
import { ctRoutes } from "./index.js";

const { root, intermediate } = caChain();
const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

describe("RFC 6962 API over HTTP", () => {
  let app: FastifyInstance;
  let log: CtLog;
  beforeAll(async () => {
    log = await CtLog.start({ store: new MemoryLogStore(), privateKey: key, origin: "ct.vouch.test", acceptedRoots: [root.der], extraData: memoryExtraDataStore(), maxDelayMs: 1 });
    app = Fastify();
    app.setErrorHandler(errorHandler);
    await app.register(ctRoutes, { log, maxEntries: 2 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await log.close();
  });

  const post = (path: string, chain: unknown) => app.inject({ method: "POST", url: `/ct/v1/${path}`, payload: { chain } });

  it("add-pre-chain answers with the SCT fields, base64 as RFC 6962 §4.1 says", async () => {
    const res = await post("add-pre-chain", [b64(precertificate(intermediate).der), b64(intermediate.der)]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(["extensions", "id", "sct_version", "signature", "timestamp"]);
    expect(body).toMatchObject({ sct_version: 0, id: b64(log.logId), extensions: "" });
    expect(typeof body.timestamp).toBe("number");
    expect(decodeDigitallySigned(unb64(body.signature))).toMatchObject({ hashAlgorithm: 4, signatureAlgorithm: 3 });
  });

  it("add-chain logs a certificate; get-sth, get-proof-by-hash and get-sth-consistency prove it", async () => {
    const cert = buildCertificate({ issuer: intermediate });
    const res = await post("add-chain", [b64(cert.der), b64(intermediate.der), b64(root.der)]);
    expect(res.statusCode).toBe(200);

    const sth = (await app.inject({ url: "/ct/v1/get-sth" })).json();
    expect(sth.tree_size).toBe(2);
    const signature = decodeDigitallySigned(unb64(sth.tree_head_signature));
    const input = treeHeadSignatureInput({ timestamp: BigInt(sth.timestamp), treeSize: sth.tree_size, rootHash: unb64(sth.sha256_root_hash) });
    expect(verify("sha256", input, { key, dsaEncoding: "der" }, signature.signature)).toBe(true);

    const entries = (await app.inject({ url: "/ct/v1/get-entries?start=0&end=1" })).json().entries;
    expect(entries).toHaveLength(2);
    const leaf = decodeMerkleTreeLeaf(unb64(entries[1].leaf_input));
    expect(leaf.entry).toEqual({ type: "x509", certificate: cert.der });
    expect(leaf.timestamp).toBe(BigInt(res.json().timestamp));
    // extra_data of an x509_entry: the certificate_chain (intermediate, root).
    expect(unb64(entries[1].extra_data).length).toBe(3 + 3 + intermediate.der.length + 3 + root.der.length);

    const hash = leafHash(unb64(entries[1].leaf_input));
    // Percent-encoded, as a client should send it.
    const proof = (await app.inject({ url: `/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(b64(hash))}&tree_size=2` })).json();
    expect(proof.leaf_index).toBe(1);
    const check = verifyInclusion(1n, 2n, hash, proof.audit_path.map(unb64), unb64(sth.sha256_root_hash));
    expect(check.ok).toBe(true);

    const first = leafHash(unb64(entries[0].leaf_input));
    const consistency = (await app.inject({ url: "/ct/v1/get-sth-consistency?first=1&second=2" })).json();
    expect(verifyConsistency(1n, 2n, consistency.consistency.map(unb64), first, unb64(sth.sha256_root_hash)).ok).toBe(true);
  });

  it("get-entries returns at most maxEntries, and get-roots the accepted roots", async () => {
    await post("add-pre-chain", [b64(precertificate(intermediate).der), b64(intermediate.der)]);
    const entries = (await app.inject({ url: "/ct/v1/get-entries?start=0&end=100" })).json().entries;
    expect(entries).toHaveLength(2);
    const tail = (await app.inject({ url: "/ct/v1/get-entries?start=2&end=100" })).json().entries;
    expect(tail).toHaveLength(1);
    expect((await app.inject({ url: "/ct/v1/get-roots" })).json()).toEqual({ certificates: [b64(root.der)] });
  });

  it("refuses bad chains with 400 CT_CHAIN_INVALID and a reason", async () => {
    const pre = precertificate(intermediate).der;
    const cases: [unknown, RegExp][] = [
      [["not base64!"], /chain\[0\] is not base64 DER/],
      [[b64(pre).slice(0, -4)], /chain\[0\] is not a DER certificate/],
      [[b64(buildCertificate({ issuer: intermediate }).der), b64(intermediate.der)], /no poison extension/],
      [[b64(pre), b64(caChain("other").intermediate.der)], /not signed by chain\[1\]/],
      [[b64(pre), ""], /chain\[1\] is not base64 DER/],
    ];
    for (const [chain, message] of cases) {
      const res = await post("add-pre-chain", chain);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, message: expect.stringMatching(message) });
    }
    const empty = await post("add-chain", []);
    expect(empty.statusCode).toBe(400);
    const noChain = await app.inject({ method: "POST", url: "/ct/v1/add-chain", payload: { certs: [] } });
    expect(noChain.statusCode).toBe(400);
  });

  it("answers bad queries with 400 and unknown leaves or sizes with 404", async () => {
    const statuses = await Promise.all(
      [
        "/ct/v1/get-proof-by-hash?hash=abc&tree_size=1",
        `/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(b64(new Uint8Array(32)))}&tree_size=1`,
        `/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(b64(new Uint8Array(32)))}&tree_size=99`,
        "/ct/v1/get-sth-consistency?first=2&second=1",
        "/ct/v1/get-sth-consistency?first=1&second=99",
        "/ct/v1/get-sth-consistency?first=1",
        "/ct/v1/get-entries?start=5&end=1",
        "/ct/v1/get-entries?start=99&end=100",
        "/ct/v1/get-entries?start=-1&end=1",
      ].map(async (url) => [url, (await app.inject({ url })).statusCode]),
    );
    expect(Object.fromEntries(statuses)).toEqual({
      "/ct/v1/get-proof-by-hash?hash=abc&tree_size=1": 400,
      [`/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(b64(new Uint8Array(32)))}&tree_size=1`]: 404,
      [`/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(b64(new Uint8Array(32)))}&tree_size=99`]: 404,
      "/ct/v1/get-sth-consistency?first=2&second=1": 400,
      "/ct/v1/get-sth-consistency?first=1&second=99": 404,
      "/ct/v1/get-sth-consistency?first=1": 400,
      "/ct/v1/get-entries?start=5&end=1": 400,
      "/ct/v1/get-entries?start=99&end=100": 404,
      "/ct/v1/get-entries?start=-1&end=1": 400,
    });
  });
});
