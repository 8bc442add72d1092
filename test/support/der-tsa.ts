import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AsnConvert } from "@peculiar/asn1-schema";
import { TimeStampReq } from "@peculiar/asn1-tsp";
// Deep import, as in sigstore-mock.ts: the package index loads nock.
import { initializeTSA } from "@sigstore/mock/dist/timestamp/index.js";
import * as asn1js from "asn1js";
import { wholeSecondsNow } from "./sigstore-mock.js";

/**
 * An RFC 3161 TSA speaking the standard DER protocol (application/timestamp-query → application/timestamp-reply) on
 * loopback, signing with @sigstore/mock's TSA. The mock's own HTTP handler takes sigstore's JSON request form only, and
 * its TSTInfo takes the nonce as a JS number; this server decodes the DER request itself and puts the request's nonce
 * into the token byte for byte (a 64-bit nonce does not survive a JS number), so a client's nonce check is real.
 */
export interface DerTsa {
  /** http://127.0.0.1:PORT (the endpoint is /api/v1/timestamp). */
  url: string;
  /** DER: the signing (intermediate) certificate, then the root: trusted_root.json `timestampAuthorities[].certChain`. */
  chain: Uint8Array[];
  /** Bodies received, in order. */
  requests: Uint8Array[];
  /** Replace the next answers (status + body), e.g. an HTTP error. */
  answerWith(answer: ((body: Uint8Array) => { status: number; contentType?: string; body: Uint8Array | string }) | undefined): void;
  close(): Promise<void>;
}

export async function startDerTsa(): Promise<DerTsa> {
  const tsa = await initializeTSA(generateKeyPairSync("ec", { namedCurve: "P-256" }));
  // Whole seconds, for the reason sigstore-mock.ts gives (wholeSecondsNow).
  (tsa as unknown as { getCurrentTime: () => Date }).getCurrentTime = wholeSecondsNow;
  const target = tsa as unknown as { tstInfo: (req: MockRequest) => { nonce?: unknown } };
  const original = target.tstInfo.bind(tsa);
  target.tstInfo = (req) => {
    const info = original(req);
    if (req.nonceBytes) info.nonce = new asn1js.Integer({ valueHex: req.nonceBytes });
    return info;
  };

  const requests: Uint8Array[] = [];
  let override: Parameters<DerTsa["answerWith"]>[0];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      if (req.method !== "POST" || req.url !== "/api/v1/timestamp") {
        res.writeHead(404).end();
        return;
      }
      requests.push(body);
      if (override) {
        const answer = override(body);
        res.writeHead(answer.status, { "content-type": answer.contentType ?? "text/plain" }).end(answer.body);
        return;
      }
      if (req.headers["content-type"] !== "application/timestamp-query") {
        res.writeHead(400).end("expected application/timestamp-query");
        return;
      }
      let request: TimeStampReq;
      try {
        request = AsnConvert.parse(body, TimeStampReq);
      } catch (error) {
        res.writeHead(400).end(`bad request: ${(error as Error).message}`);
        return;
      }
      const nonce = request.nonce ? new Uint8Array(request.nonce) : undefined;
      tsa
        .timestamp({
          artifactHash: Buffer.from(request.messageImprint.hashedMessage.buffer),
          hashAlgorithmOID: request.messageImprint.hashAlgorithm.algorithm,
          nonce: 1,
          nonceBytes: nonce,
          policyOID: request.reqPolicy ?? "1.3.6.1.4.1.57264.2",
          certReq: request.certReq,
        } as never)
        .then(
          (answer: ArrayBufferView) => res.writeHead(200, { "content-type": "application/timestamp-reply" }).end(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength)),
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    chain: [tsa.intCertificate, tsa.rootCertificate].map((c: ArrayBufferView) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength).slice()),
    requests,
    answerWith: (answer) => {
      override = answer;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

interface MockRequest {
  nonceBytes?: Uint8Array;
}
