import { createHash, generateKeyPairSync } from "node:crypto";
import { X509Certificate } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { verifySCTs } from "@sigstore/verify/dist/key/sct.js";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrustedRoot } from "../bundle/trusted-root.js";
import { leafHash, verifyInclusion } from "../core/merkle/index.js";
import { parseCertificate, parseSctList, precertificateTbs } from "../core/x509/index.js";
import { errorHandler } from "../server/plugins/errors.js";
import { ctRoutes } from "../server/routes/ct/index.js";
import { verifyScts } from "../verify/certificate/sct.js";
import { caChain, precertificate, signTbs } from "../../test/support/ct-chain.js";
import { rejectedVouchError, thrownVouchError } from "../../test/support/errors.js";
import { MemoryLogStore } from "../../test/support/memory-log-store.js";
import { CtLog, ctLogTrustedRootEntry } from "./ct-log.js";
import { decodeDigitallySigned, encodeMerkleTreeLeaf, encodeSctList, finalTbsFromPrecert, tbsOf, type Sct } from "./structures.js";

/**
 * The whole CT path as a verifier meets it: the CA logs a precertificate over HTTP, embeds the SCT it got back in
 * the final certificate, and both vouch's verifier and @sigstore/verify accept that certificate with a trusted root
 * holding this log's ctlogs entry. An auditor then rebuilds the leaf from the final certificate and proves it is in
 * the tree.
 */

const { root, intermediate } = caChain("interop");
const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const now = new Date("2025-06-01T12:00:00.000Z");
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

describe("embedded SCTs from vouch's CT log, checked by vouch and by @sigstore/verify", () => {
  const app = Fastify();
  let log: CtLog;
  let trustedRootJson: Record<string, unknown>;

  beforeAll(async () => {
    log = await CtLog.start({ store: new MemoryLogStore(), privateKey: key, origin: "127.0.0.1/ct", acceptedRoots: [root.der], now: () => now, maxDelayMs: 1 });
    app.setErrorHandler(errorHandler);
    await app.register(ctRoutes, { log });
    await app.ready();
    trustedRootJson = {
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [ctLogTrustedRootEntry(log, "http://127.0.0.1", new Date("2025-01-01T00:00:00Z"))],
      timestampAuthorities: [],
    };
  });
  afterAll(async () => {
    await app.close();
    await log.close();
  });

  /** The CA's side: log the precertificate, then issue the final certificate with the SCT in the poison's place. */
  async function issue(): Promise<{ finalDer: Uint8Array; sct: Sct }> {
    const pre = precertificate(intermediate, { poisonAt: "middle" });
    const res = await app.inject({ method: "POST", url: "/ct/v1/add-pre-chain", payload: { chain: [b64(pre.der), b64(intermediate.der)] } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const signed = decodeDigitallySigned(unb64(body.signature));
    const sct: Sct = { version: body.sct_version, logId: unb64(body.id), timestamp: BigInt(body.timestamp), extensions: unb64(body.extensions), ...signed };
    const finalDer = signTbs(finalTbsFromPrecert(tbsOf(pre.der), encodeSctList([sct])), intermediate.key.privateKey);
    return { finalDer, sct };
  }

  function sigstoreCheck(finalDer: Uint8Array): Buffer[] {
    const material = toTrustMaterial(TrustedRoot.fromJSON(trustedRootJson));
    return verifySCTs(X509Certificate.parse(Buffer.from(finalDer)), X509Certificate.parse(Buffer.from(intermediate.der)), material.ctlogs);
  }

  it("both verifiers accept the final certificate", async () => {
    const { finalDer } = await issue();
    const root = parseTrustedRoot(trustedRootJson);
    const verified = verifyScts(finalDer, intermediate.der, root.ctlogs, 1);
    expect(verified).toEqual([{ logId: log.logId, logUrl: "http://127.0.0.1", timestamp: now }]);
    const logIds = sigstoreCheck(finalDer);
    expect(logIds.map((id) => b64(id))).toEqual([b64(log.logId)]);
  });

  it("both refuse the certificate with one byte flipped in its TBS, or in the SCT's signature", async () => {
    const { finalDer, sct } = await issue();
    const root = parseTrustedRoot(trustedRootJson);

    // A byte of the Fulcio issuer extension's value ("https://token.example.test"): the TBS the SCT covers changes.
    const tampered = Uint8Array.from(finalDer);
    const at = Buffer.from(tampered).indexOf("token.example");
    expect(at).toBeGreaterThan(0);
    tampered[at]! ^= 0x01;
    expect(thrownVouchError(() => verifyScts(tampered, intermediate.der, root.ctlogs, 1)).code).toBe("VERIFY_SCT");
    expect(() => sigstoreCheck(tampered)).toThrow(/SCT verification failed/);

    // The last byte of the SCT signature, inside the embedded list.
    const forged = Uint8Array.from(finalDer);
    const sig = Buffer.from(forged).lastIndexOf(Buffer.from(sct.signature));
    expect(sig).toBeGreaterThan(0);
    forged[sig + sct.signature.length - 1]! ^= 0x01;
    expect(thrownVouchError(() => verifyScts(forged, intermediate.der, root.ctlogs, 1)).code).toBe("VERIFY_SCT");
    expect(() => sigstoreCheck(forged)).toThrow(/SCT verification failed/);
  });

  it("an auditor rebuilds the leaf from the final certificate and verifies its inclusion proof", async () => {
    const { finalDer } = await issue();
    const final = parseCertificate(finalDer);
    const [embedded] = parseSctList(final.sctList!);
    // Rebuilt with the verifier's pieces: the TBS without the SCT list, the issuer's key hash, the SCT's timestamp.
    const leaf = encodeMerkleTreeLeaf({
      timestamp: embedded!.timestamp,
      entry: { type: "precert", issuerKeyHash: new Uint8Array(createHash("sha256").update(parseCertificate(intermediate.der).publicKeyDer).digest()), tbsCertificate: precertificateTbs(final) },
      extensions: embedded!.extensions,
    });
    const hash = leafHash(leaf);
    const sth = (await app.inject({ url: "/ct/v1/get-sth" })).json();
    const proof = (await app.inject({ url: `/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(b64(hash))}&tree_size=${sth.tree_size}` })).json();
    const check = verifyInclusion(BigInt(proof.leaf_index), BigInt(sth.tree_size), hash, proof.audit_path.map(unb64), unb64(sth.sha256_root_hash));
    expect(check.ok).toBe(true);
    // A leaf the log never saw has no proof.
    const other = Uint8Array.from(leaf);
    other[other.length - 3]! ^= 1;
    expect((await rejectedVouchError(() => log.proofByHash(leafHash(other), sth.tree_size))).code).toBe("LOG_NOT_FOUND");
  });
});
