import { createHash } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { MessageImprint, TimeStampReq } from "@peculiar/asn1-tsp";
import { AlgorithmIdentifier, Extension, Extensions } from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parseJsonTimestampRequest, parseTimestampRequest, TsaRequestError, type TsaFailure } from "./request.js";

const POLICY = "1.3.6.1.4.1.57264.2";
const SHA256 = "2.16.840.1.101.3.4.2.1";
const digest = (hash: string, data = "a signature") => new Uint8Array(createHash(hash).update(data).digest());

interface Spec {
  version?: number;
  algorithm?: string;
  parameters?: ArrayBuffer | null;
  digest?: Uint8Array;
  policy?: string;
  nonce?: Uint8Array;
  certReq?: boolean;
  extensions?: boolean;
}

/** A TimeStampReq as a client would encode it (openssl's layout: NULL parameters, 64-bit nonce, certReq). */
function request(spec: Spec = {}): Uint8Array {
  const req = new TimeStampReq({
    version: spec.version ?? 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: spec.algorithm ?? SHA256, parameters: "parameters" in spec ? spec.parameters : null }),
      hashedMessage: new OctetString(spec.digest ?? digest("sha256")),
    }),
    certReq: spec.certReq ?? true,
  });
  if (spec.policy !== undefined) req.reqPolicy = spec.policy;
  if (spec.nonce !== undefined) req.nonce = Uint8Array.from(spec.nonce).buffer;
  if (spec.extensions) req.extensions = new Extensions([new Extension({ extnID: "1.2.3.4", critical: false, extnValue: new OctetString(new Uint8Array([5, 0])) })]);
  return new Uint8Array(AsnConvert.serialize(req));
}

function refusal(run: () => unknown): { failInfo: TsaFailure; message: string } {
  const err = thrownVouchError(run);
  expect(err.code).toBe("TSA_REQUEST_INVALID");
  expect(err).toBeInstanceOf(TsaRequestError);
  return { failInfo: (err as TsaRequestError).failInfo, message: err.message };
}

const parse = (der: Uint8Array) => parseTimestampRequest(der, { policy: POLICY });

describe("parseTimestampRequest", () => {
  it("reads the imprint, nonce, policy and certReq", () => {
    const nonce = Uint8Array.from([0x00, 0xb8, 0x5f, 0x12, 0x44, 0x9d, 0x3d, 0x04, 0x57]);
    const parsed = parse(request({ nonce, policy: POLICY }));
    expect(parsed).toEqual({ hash: "sha256", digest: digest("sha256"), imprintParameters: "null", policy: POLICY, nonce, certReq: true });
    expect(parse(request({ certReq: false, parameters: undefined }))).toEqual({ hash: "sha256", digest: digest("sha256"), imprintParameters: "absent", certReq: false });
    for (const [hash, oid] of [["sha384", "2.16.840.1.101.3.4.2.2"], ["sha512", "2.16.840.1.101.3.4.2.3"]] as const) {
      expect(parse(request({ algorithm: oid, digest: digest(hash) })).hash).toBe(hash);
    }
  });

  it("refuses SHA-1, MD5 and other hash algorithms (badAlg)", () => {
    expect(refusal(() => parse(request({ algorithm: "1.3.14.3.2.26", digest: digest("sha1") })))).toEqual({
      failInfo: "badAlg",
      message: "SHA-1 message imprints are too weak: use SHA-256, SHA-384 or SHA-512",
    });
    expect(refusal(() => parse(request({ algorithm: "1.2.840.113549.2.5", digest: digest("md5") }))).message).toMatch(/^MD5 message imprints are too weak/);
    expect(refusal(() => parse(request({ algorithm: "2.16.840.1.101.3.4.2.4", digest: digest("sha224") })))).toEqual({
      failInfo: "badAlg",
      message: "unsupported message imprint hash algorithm 2.16.840.1.101.3.4.2.4 (SHA-256, SHA-384 or SHA-512)",
    });
    expect(refusal(() => parse(request({ parameters: new Uint8Array([0x02, 0x01, 0x00]).buffer }))).failInfo).toBe("badAlg");
  });

  it("refuses a digest whose length does not match its algorithm (badDataFormat)", () => {
    expect(refusal(() => parse(request({ digest: digest("sha384") })))).toEqual({
      failInfo: "badDataFormat",
      message: "message imprint is 48 bytes, but a sha256 digest is 32",
    });
    expect(refusal(() => parse(request({ digest: new Uint8Array(0) }))).failInfo).toBe("badDataFormat");
  });

  it("refuses another policy (unacceptedPolicy), extensions (unacceptedExtension) and versions other than 1", () => {
    expect(refusal(() => parse(request({ policy: "1.2.3.4" })))).toEqual({
      failInfo: "unacceptedPolicy",
      message: "policy 1.2.3.4 is not this TSA's (1.3.6.1.4.1.57264.2)",
    });
    expect(refusal(() => parse(request({ extensions: true })))).toEqual({
      failInfo: "unacceptedExtension",
      message: "the request has extensions this TSA does not support (1.2.3.4)",
    });
    expect(refusal(() => parse(request({ version: 2 })))).toEqual({ failInfo: "badRequest", message: "TimeStampReq version 2 is not supported (RFC 3161 defines v1)" });
  });

  it("refuses a nonce that is empty or longer than 256 bits", () => {
    expect(refusal(() => parse(request({ nonce: new Uint8Array(33).fill(1) })))).toEqual({ failInfo: "badRequest", message: "the nonce is 33 bytes; at most 32 are accepted" });
    expect(parse(request({ nonce: new Uint8Array(32).fill(1) })).nonce).toHaveLength(32);
  });

  it("refuses corrupt input: garbage, empty, truncated, trailing bytes, a lying length, the wrong structure", () => {
    const good = request();
    const cases: [Uint8Array, string][] = [
      [new TextEncoder().encode("hello world"), "not a DER TimeStampReq: the body does not start with a SEQUENCE"],
      [new Uint8Array(0), "not a DER TimeStampReq: the body does not start with a SEQUENCE"],
      [good.subarray(0, good.length - 5), "not a DER TimeStampReq: truncated"],
      [Uint8Array.from([...good, 0, 0]), "not a DER TimeStampReq: 2 bytes after the request"],
      [Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), "not a DER TimeStampReq: bad length"],
      [Uint8Array.from([0x30, 0x80, 0x00, 0x00]), "not a DER TimeStampReq: bad length"],
    ];
    for (const [der, message] of cases) expect(refusal(() => parse(der))).toEqual({ failInfo: "badDataFormat", message });
    // A well-framed SEQUENCE that is not a TimeStampReq: an INTEGER where the messageImprint belongs.
    const wrong = refusal(() => parse(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x05])));
    expect(wrong.failInfo).toBe("badDataFormat");
    expect(wrong.message).toMatch(/^not a DER TimeStampReq: /);
    // Every single-byte corruption of a good request is either parsed into a valid shape or refused with the code.
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] = bad[i]! ^ 0xff;
      try {
        const parsed = parse(bad);
        expect(parsed.digest.length).toBe(32);
      } catch (err) {
        expect(err).toBeInstanceOf(TsaRequestError);
      }
    }
  });
});

describe("parseJsonTimestampRequest (timestamp-authority's JSON form)", () => {
  const json = (over: Record<string, unknown> = {}) => ({ artifactHash: Buffer.from(digest("sha256")).toString("base64"), hashAlgorithm: "sha256", ...over });
  const parseJson = (body: unknown) => parseJsonTimestampRequest(body, { policy: POLICY });

  it("reads what @sigstore/sign's TSAWitness sends, and the optional fields", () => {
    expect(parseJson(json())).toEqual({ hash: "sha256", digest: digest("sha256"), imprintParameters: "absent", certReq: false });
    expect(parseJson(json({ hashAlgorithm: "SHA512", artifactHash: Buffer.from(digest("sha512")).toString("base64"), certificates: true, nonce: 258, tsaPolicyOID: POLICY }))).toEqual({
      hash: "sha512",
      digest: digest("sha512"),
      imprintParameters: "absent",
      certReq: true,
      nonce: Uint8Array.of(1, 2),
      policy: POLICY,
    });
    // Two's complement, minimal: 128 needs a leading zero, -129 is ff7f; a decimal string carries a big nonce exactly.
    expect(parseJson(json({ nonce: 128 })).nonce).toEqual(Uint8Array.of(0, 0x80));
    expect(parseJson(json({ nonce: -129 })).nonce).toEqual(Uint8Array.of(0xff, 0x7f));
    expect(parseJson(json({ nonce: "18446744073709551615" })).nonce).toEqual(Uint8Array.of(0, 255, 255, 255, 255, 255, 255, 255, 255));
  });

  it("refuses what timestamp-authority refuses, with the same distinctions", () => {
    expect(refusal(() => parseJson(json({ hashAlgorithm: "sha1", artifactHash: Buffer.from(digest("sha1")).toString("base64") })))).toEqual({
      failInfo: "badAlg",
      message: "hashAlgorithm sha1 is too weak: use sha256, sha384 or sha512",
    });
    expect(refusal(() => parseJson(json({ hashAlgorithm: "blake3" })))).toEqual({ failInfo: "badAlg", message: 'unsupported hashAlgorithm "blake3"' });
    expect(refusal(() => parseJson(json({ artifactHash: Buffer.from(digest("sha384")).toString("base64") }))).message).toBe("message imprint is 48 bytes, but a sha256 digest is 32");
    expect(refusal(() => parseJson(json({ tsaPolicyOID: "1.2.3" }))).failInfo).toBe("unacceptedPolicy");
  });

  it("refuses malformed JSON requests", () => {
    const cases: [unknown, string][] = [
      [null, "the JSON request must be an object"],
      [[1], "the JSON request must be an object"],
      [{ artifactHash: "AAAA" }, "hashAlgorithm must be a string (sha256, sha384 or sha512)"],
      [json({ artifactHash: "not base64!" }), "artifactHash must be the base64 digest"],
      [json({ artifactHash: 42 }), "artifactHash must be the base64 digest"],
      [json({ certificates: "yes" }), "certificates must be a boolean"],
      [json({ nonce: 2 ** 60 }), "the nonce is not an integer JSON can carry exactly (beyond 2^53 send it as a decimal string)"],
      [json({ nonce: 1.5 }), "the nonce is not an integer JSON can carry exactly (beyond 2^53 send it as a decimal string)"],
      [json({ nonce: "0x10" }), "the nonce must be an integer"],
      [json({ tsaPolicyOID: "1.2.x" }), "tsaPolicyOID must be a dotted object identifier"],
      [json({ tsaPolicyOID: 7 }), "tsaPolicyOID must be a dotted object identifier"],
    ];
    for (const [body, message] of cases) expect(refusal(() => parseJson(body))).toEqual({ failInfo: "badDataFormat", message });
  });
});
