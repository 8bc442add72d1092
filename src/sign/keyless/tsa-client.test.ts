import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { PKIFailureInfo, PKIFailureInfoFlags, PKIFreeText, PKIStatus, PKIStatusInfo, TimeStampReq, TimeStampResp } from "@peculiar/asn1-tsp";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDerTsa, type DerTsa } from "../../../test/support/der-tsa.js";
import { rejectedVouchError, thrownVouchError } from "../../../test/support/errors.js";
import type { Bundle } from "../../bundle/types.js";
import { parseTrustedRoot } from "../../bundle/trusted-root.js";
import { errorHandler } from "../../server/plugins/errors.js";
import { tsaRoutes } from "../../server/routes/tsa/index.js";
import { loadOrCreateTsa, timestampAuthorityEntry } from "../../tsa/index.js";
import { verifyTimestamp } from "../../verify/timestamp/index.js";
import { checkTimestampResponse, encodeTimestampRequest, requestTimestamp, timestampEndpoint, witnessWithTimestamp } from "./tsa-client.js";

const SIGNATURE = new Uint8Array(Buffer.from("3045022100aa", "hex"));
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

let tsa: DerTsa;
beforeAll(async () => {
  tsa = await startDerTsa();
});
afterAll(async () => {
  await tsa?.close();
});

const trustedTsa = () => [{ uri: tsa.url, subject: {}, certChain: tsa.chain, validFor: { start: new Date(Date.now() - 3_600_000) } }];

describe("requestTimestamp (RFC 3161 over DER)", () => {
  it("asks for SHA-256 of the signature with a fresh positive nonce and certReq; the answer verifies as a timestamp of the signature", async () => {
    tsa.answerWith(undefined);
    const before = tsa.requests.length;
    const response = await requestTimestamp(SIGNATURE, { url: tsa.url });
    const request = AsnConvert.parse(tsa.requests[before]!, TimeStampReq);
    expect(request.version).toBe(1);
    expect(request.certReq).toBe(true);
    expect(request.messageImprint.hashAlgorithm.algorithm).toBe("2.16.840.1.101.3.4.2.1");
    expect(Buffer.from(request.messageImprint.hashedMessage.buffer).equals(Buffer.from(sha256(SIGNATURE)))).toBe(true);
    const nonce = new Uint8Array(request.nonce!);
    expect(nonce.length).toBe(8);
    expect(nonce[0]! & 0x80).toBe(0);
    // vouch's verifier (src/verify/timestamp) accepts the whole TimeStampResp as a timestamp of the signature bytes.
    const time = verifyTimestamp(response, SIGNATURE, trustedTsa());
    expect(Math.abs(time.getTime() - Date.now())).toBeLessThan(60_000);

    // Two requests never share a nonce.
    await requestTimestamp(SIGNATURE, { url: tsa.url });
    const second = new Uint8Array(AsnConvert.parse(tsa.requests.at(-1)!, TimeStampReq).nonce!);
    expect(Buffer.from(second).equals(Buffer.from(nonce))).toBe(false);
  });

  it("witnessWithTimestamp appends one timestamp over the DSSE signature", async () => {
    tsa.answerWith(undefined);
    const bundle: Bundle = {
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      version: "0.3",
      material: { kind: "publicKey", hint: "" },
      tlogEntries: [],
      timestamps: [],
      content: { kind: "dsseEnvelope", envelope: { payload: new Uint8Array([1]), payloadType: "t", signatures: [{ sig: SIGNATURE, keyid: "" }] } },
    };
    const stamped = await witnessWithTimestamp(bundle, { url: tsa.url });
    expect(stamped.timestamps).toHaveLength(1);
    expect(verifyTimestamp(stamped.timestamps[0]!, SIGNATURE, trustedTsa())).toBeInstanceOf(Date);
  });

  it("a TSA refusal (PKIStatus rejection) is TSA_REQUEST_INVALID with its status text and failure bits", async () => {
    const failInfo = new PKIFailureInfo();
    failInfo.fromNumber(PKIFailureInfoFlags.badAlg);
    const rejection = new TimeStampResp({ status: new PKIStatusInfo({ status: PKIStatus.rejection, statusString: new PKIFreeText(["unsupported hash algorithm"]), failInfo }) });
    tsa.answerWith(() => ({ status: 200, contentType: "application/timestamp-reply", body: new Uint8Array(AsnConvert.serialize(rejection)) }));
    const err = await rejectedVouchError(() => requestTimestamp(SIGNATURE, { url: tsa.url }));
    expect({ code: err.code, message: err.message }).toEqual({
      code: "TSA_REQUEST_INVALID",
      message: `${tsa.url}/api/v1/timestamp refused the timestamp (rejection: unsupported hash algorithm) [badAlg]`,
    });
  });

  it("an HTTP error carries the TSA's reason, one line", async () => {
    tsa.answerWith(() => ({ status: 400, body: "error parsing request:\n asn1: structure error" }));
    const err = await rejectedVouchError(() => requestTimestamp(SIGNATURE, { url: tsa.url }));
    expect({ code: err.code, message: err.message }).toEqual({
      code: "TSA_REQUEST_INVALID",
      message: `the timestamp authority at ${tsa.url}/api/v1/timestamp answered 400: error parsing request: asn1: structure error`,
    });
    tsa.answerWith(() => ({ status: 503, body: "overloaded" }));
    expect((await rejectedVouchError(() => requestTimestamp(SIGNATURE, { url: tsa.url }))).code).toBe("SERVICE_UNAVAILABLE");
    tsa.answerWith(undefined);
    const unreachable = await rejectedVouchError(() => requestTimestamp(SIGNATURE, { url: "http://127.0.0.1:1" }));
    expect(unreachable.code).toBe("SERVICE_UNAVAILABLE");
    expect(unreachable.message).toMatch(/^cannot reach the timestamp authority at http:\/\/127\.0\.0\.1:1\/api\/v1\/timestamp: /);
  });

  it("corrupt or foreign answers: garbage, a replayed answer (other nonce), an answer for another signature", async () => {
    tsa.answerWith(() => ({ status: 200, body: "<html>proxy error</html>" }));
    expect((await rejectedVouchError(() => requestTimestamp(SIGNATURE, { url: tsa.url }))).message).toBe(
      "the answer of http://127.0.0.1:" + new URL(tsa.url).port + "/api/v1/timestamp is not a usable RFC 3161 timestamp: not a DER TimeStampResp",
    );
    tsa.answerWith(undefined);
    const earlier = await requestTimestamp(SIGNATURE, { url: tsa.url });
    tsa.answerWith(() => ({ status: 200, body: earlier }));
    expect((await rejectedVouchError(() => requestTimestamp(SIGNATURE, { url: tsa.url }))).message).toMatch(/its nonce is not the request's/);
    expect((await rejectedVouchError(() => requestTimestamp(new Uint8Array([9, 9]), { url: tsa.url }))).message).toMatch(/message imprint differs/);
    // Granted without a token.
    const empty = new Uint8Array(AsnConvert.serialize(new TimeStampResp({ status: new PKIStatusInfo({ status: PKIStatus.granted }) })));
    expect(thrownVouchError(() => checkTimestampResponse(empty, sha256(SIGNATURE), new Uint8Array([1]))).message).toMatch(/granted, but without a timeStampToken$/);
  });

  it("encodes a request other parsers read back; the endpoint is <base>/api/v1/timestamp unless the URL has a path", () => {
    const der = encodeTimestampRequest(sha256(SIGNATURE), new Uint8Array([0x01, 0x02]));
    // Written out from RFC 3161 §2.4.1 / X.690: SHA-256 AlgorithmIdentifier without parameters (RFC 5754 §2), then
    // the imprint, the nonce INTEGER and certReq TRUE (DEFAULT FALSE, so present only when true).
    const imprint = Buffer.from(sha256(SIGNATURE)).toString("hex");
    expect(Buffer.from(der).toString("hex")).toBe(`303b020101302f300b0609608648016503040201` + `0420${imprint}` + "02020102" + "0101ff");
    expect(new Uint8Array(AsnConvert.parse(der, TimeStampReq).nonce!)).toEqual(new Uint8Array([0x01, 0x02]));
    expect(timestampEndpoint("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080/api/v1/timestamp");
    expect(timestampEndpoint("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080/api/v1/timestamp");
    expect(timestampEndpoint("https://timestamp.sigstore.dev/api/v1/timestamp")).toBe("https://timestamp.sigstore.dev/api/v1/timestamp");
    expect(timestampEndpoint("https://freetsa.org/tsr")).toBe("https://freetsa.org/tsr");
  });
});

describe("requestTimestamp against vouch's own TSA (src/tsa, its /api/v1/timestamp route over loopback HTTP)", () => {
  it("gets a timestamp vouch's verifier accepts with the TSA's trusted-root entry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-tsa-client-"));
    const authority = loadOrCreateTsa(join(dir, "tsa"));
    const app = Fastify({ logger: false });
    app.setErrorHandler(errorHandler);
    await app.register(tsaRoutes, { authority });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const response = await requestTimestamp(SIGNATURE, { url });
      const root = parseTrustedRoot(
        JSON.stringify({
          mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
          tlogs: [],
          certificateAuthorities: [],
          ctlogs: [],
          timestampAuthorities: [timestampAuthorityEntry(authority.chain, { baseUrl: url })],
        }),
      );
      expect(verifyTimestamp(response, SIGNATURE, root.timestampAuthorities)).toBeInstanceOf(Date);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
