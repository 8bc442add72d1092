import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { MessageImprint, TimeStampReq } from "@peculiar/asn1-tsp";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrustedRoot } from "../../../bundle/trusted-root.js";
import { parseCertificate } from "../../../core/x509/index.js";
import { loadOrCreateTsa, timestampAuthorityEntry, type TimestampAuthority } from "../../../tsa/index.js";
import { verifyTimestamp } from "../../../verify/timestamp/verify.js";
import { errorHandler } from "../../plugins/errors.js";
import { tsaRoutes, type TsaRoutesOptions } from "./index.js";

const work = mkdtempSync(join(tmpdir(), "vouch-tsa-routes-"));
const authority: TimestampAuthority = loadOrCreateTsa(join(work, "tsa"));
const tsas = parseTrustedRoot(
  JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1", tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [timestampAuthorityEntry(authority.chain, { baseUrl: "http://127.0.0.1" })] }),
).timestampAuthorities;
const signature = new Uint8Array(randomBytes(64));
const sha = (hash: string) => createHash(hash).update(signature).digest();

/** A tiny app as `vouch serve` builds one: the shared error handler, and the TSA plugin encapsulated beside another route. */
async function tsaApp(options: Partial<TsaRoutesOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  await app.register(tsaRoutes, { authority, ...options });
  app.post("/elsewhere", async () => ({ ok: true }));
  return app;
}

function derRequest(hashOid = "2.16.840.1.101.3.4.2.1", digest: Uint8Array = sha("sha256")): Buffer {
  const req = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({ hashAlgorithm: new AlgorithmIdentifier({ algorithm: hashOid, parameters: null }), hashedMessage: new OctetString(digest) }),
    nonce: Uint8Array.of(0x01, 0x23, 0x45, 0x67, 0x89).buffer,
    certReq: true,
  });
  return Buffer.from(AsnConvert.serialize(req));
}

let app: FastifyInstance;
beforeAll(async () => {
  app = await tsaApp();
});
afterAll(async () => {
  await app.close();
  rmSync(work, { recursive: true, force: true });
});

const post = (payload: string | Buffer, contentType?: string) =>
  app.inject({ method: "POST", url: "/api/v1/timestamp", payload, headers: contentType === undefined ? {} : { "content-type": contentType } });

describe("POST /api/v1/timestamp", () => {
  it("answers a DER TimeStampReq with a DER TimeStampResp that verifies as the signature's signing time", async () => {
    const res = await post(derRequest(), "application/timestamp-query");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/timestamp-reply");
    const signedAt = verifyTimestamp(res.rawPayload, signature, tsas);
    expect(Math.abs(signedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("answers timestamp-authority's JSON form, and 201 when configured like --use-http-201", async () => {
    const body = JSON.stringify({ artifactHash: sha("sha256").toString("base64"), hashAlgorithm: "sha256" });
    const res = await post(body, "application/json; charset=utf-8");
    expect(res.statusCode).toBe(200);
    expect(verifyTimestamp(res.rawPayload, signature, tsas)).toBeInstanceOf(Date);
    const created = await tsaApp({ grantedStatus: 201 });
    const res201 = await created.inject({ method: "POST", url: "/api/v1/timestamp", payload: derRequest(), headers: { "content-type": "application/timestamp-query" } });
    expect(res201.statusCode).toBe(201);
    expect(res201.headers["content-type"]).toBe("application/timestamp-reply");
    await created.close();
  });

  it("refuses with 400 and a reason: SHA-1, garbage, another policy, wrong content type, malformed JSON, too large", async () => {
    const cases: [Buffer | string, string | undefined, string][] = [
      [derRequest("1.3.14.3.2.26", createHash("sha1").update(signature).digest()), "application/timestamp-query", "SHA-1 message imprints are too weak: use SHA-256, SHA-384 or SHA-512"],
      [Buffer.from("garbage"), "application/timestamp-query", "not a DER TimeStampReq: the body does not start with a SEQUENCE"],
      [derRequest().subarray(0, 20), "application/timestamp-query", "not a DER TimeStampReq: truncated"],
      [JSON.stringify({ artifactHash: createHash("sha1").update(signature).digest("base64"), hashAlgorithm: "sha1" }), "application/json", "hashAlgorithm sha1 is too weak: use sha256, sha384 or sha512"],
      [JSON.stringify({ artifactHash: sha("sha256").toString("base64"), hashAlgorithm: "sha256", tsaPolicyOID: "1.2.3" }), "application/json", "policy 1.2.3 is not this TSA's (1.3.6.1.4.1.57264.2)"],
      [derRequest(), "application/octet-stream", 'unsupported content type "application/octet-stream": send application/timestamp-query (a DER TimeStampReq) or application/json'],
      [derRequest(), "text/plain", 'unsupported content type "text/plain": send application/timestamp-query (a DER TimeStampReq) or application/json'],
      [derRequest(), undefined, 'unsupported content type "none": send application/timestamp-query (a DER TimeStampReq) or application/json'],
      [Buffer.alloc(5000, 0x30), "application/timestamp-query", "the timestamp request is larger than 4096 bytes"],
    ];
    for (const [payload, type, message] of cases) {
      const res = await post(payload, type);
      expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 400, body: { code: 400, message } });
    }
    // Shape errors in the JSON form come from the route's schema, still 400 with a reason.
    const missing = await post(JSON.stringify({ hashAlgorithm: "sha256" }), "application/json");
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toContain("artifactHash");
    const notJson = await post("{", "application/json");
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().code).toBe(400);
  });

  it("keeps its body parsers to itself (encapsulation): other routes still refuse unknown content types", async () => {
    const res = await app.inject({ method: "POST", url: "/elsewhere", payload: "x", headers: { "content-type": "application/timestamp-query" } });
    expect(res.statusCode).toBe(415);
  });
});

describe("GET /api/v1/timestamp/certchain", () => {
  it("serves the PEM chain, signing certificate first, like timestamp-authority", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/timestamp/certchain" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/pem-certificate-chain/);
    const blocks = [...res.body.matchAll(/-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=\n]+)-----END CERTIFICATE-----\n/g)].map((m) => new Uint8Array(Buffer.from(m[1]!, "base64")));
    expect(blocks).toEqual(authority.chain);
    expect(parseCertificate(blocks[0]!).extKeyUsage).toEqual(["1.3.6.1.5.5.7.3.8"]);
  });
});
