/** verifyEntryBody / parseEntryBody over hand-built bodies of every supported kind, including Rekor v2's dsse 0.0.2. */
import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { DsseContent, TlogEntry } from "../../bundle/types.js";
import type { VouchError } from "../../core/errors.js";
import { parseEntryBody } from "./body-parse.js";
import { verifyEntryBody, type LoggedMessageSignature, type SignerMaterial } from "./body.js";

const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString("base64");
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const spki = (): Uint8Array =>
  new Uint8Array(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" }));
const pem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${b64(der).replace(/.{1,64}/g, "$&\n")}-----END ${label}-----\n`;

const key = spki();
const otherKey = spki();
const signature = new Uint8Array([0x30, 0x44, 1, 2, 3, 4]);
const artifact = Buffer.from("hello artifact\n");
const message: LoggedMessageSignature = { kind: "messageSignature", digest: { algorithm: "SHA2_256", value: sha256(artifact) }, signature };
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
const dsse: DsseContent = {
  kind: "dsseEnvelope",
  envelope: { payload, payloadType: "application/vnd.in-toto+json", signatures: [{ sig: signature, keyid: "" }] },
};
const pae = Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${payload.length} `), payload]);
const byKey: SignerMaterial = { kind: "publicKey", der: key };

const entry = (kind: string, version: string, body: unknown): TlogEntry => ({
  logIndex: 1n,
  logId: new Uint8Array(32),
  kind,
  kindVersion: version,
  canonicalizedBody: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
});
const v2Verifier = (der: Uint8Array) => ({ publicKey: { rawBytes: b64(der) }, keyDetails: "PKIX_ECDSA_P256_SHA_256" });
const hashedRekordV002 = (digest: Uint8Array, sig = signature, verifier: object = v2Verifier(key)) =>
  entry("hashedrekord", "0.0.2", {
    apiVersion: "0.0.2",
    kind: "hashedrekord",
    spec: { hashedRekordV002: { data: { algorithm: "SHA2_256", digest: b64(digest) }, signature: { content: b64(sig), verifier } } },
  });
const dsseV002 = (payloadDigest: Uint8Array, signatures = [{ content: b64(signature), verifier: v2Verifier(key) }]) =>
  entry("dsse", "0.0.2", {
    apiVersion: "0.0.2",
    kind: "dsse",
    spec: { dsseV002: { payloadHash: { algorithm: "SHA2_256", digest: b64(payloadDigest) }, signatures } },
  });
const hashedRekordV001 = (hashHex: string, algorithm = "sha256", publicKeyPem = pem("PUBLIC KEY", key)) =>
  entry("hashedrekord", "0.0.1", {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: { data: { hash: { algorithm, value: hashHex } }, signature: { content: b64(signature), publicKey: { content: b64(publicKeyPem) } } },
  });
const dsseV001 = (signatures: { signature: string; verifier: string }[]) =>
  entry("dsse", "0.0.1", {
    apiVersion: "0.0.1",
    kind: "dsse",
    spec: {
      envelopeHash: { algorithm: "sha256", value: "00".repeat(32) },
      payloadHash: { algorithm: "sha256", value: Buffer.from(sha256(payload)).toString("hex") },
      signatures,
    },
  });

const failure = (fn: () => unknown): { code: string; message: string } | undefined => {
  try {
    fn();
  } catch (e) {
    return { code: (e as VouchError).code, message: (e as Error).message };
  }
  return undefined;
};
const bodyError = (message: string) => ({ code: "VERIFY_TLOG_BODY", message });

describe("hashedrekord 0.0.2 (Rekor v2)", () => {
  it("matches a message signature by a public key", () => {
    const body = verifyEntryBody(hashedRekordV002(sha256(artifact)), message, byKey);
    expect(body).toMatchObject({ kind: "hashedrekord", apiVersion: "0.0.2", digest: { algorithm: "SHA2_256" } });
  });

  it("matches a DSSE envelope by the digest of its PAE (hashedrekord over DSSE)", () => {
    expect(() => verifyEntryBody(hashedRekordV002(sha256(pae)), dsse, byKey)).not.toThrow();
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(payload)), dsse, byKey))?.message).toMatch(
      /is not the DSSE envelope's PAE digest/,
    );
  });

  it("refuses another artifact, another signature, another key", () => {
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(Buffer.from("x"))), message, byKey))?.message).toMatch(
      /^the logged digest [0-9a-f]{64} is not the artifact digest/,
    );
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(artifact), new Uint8Array([9])), message, byKey))).toEqual(
      bodyError("the logged signature is not the bundle's signature"),
    );
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(artifact)), message, { kind: "publicKey", der: otherKey }))).toEqual(
      bodyError("the logged public key is not the verifying key"),
    );
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(artifact)), message, { kind: "certificate", der: key }))).toEqual(
      bodyError("the entry logs a public key, the bundle is signed with a certificate"),
    );
  });

  it("refuses a verifier with both or neither of publicKey and x509Certificate", () => {
    const both = { ...v2Verifier(key), x509Certificate: { rawBytes: b64(key) } };
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(artifact), signature, both), message, byKey))).toEqual(
      bodyError("log entry body: spec.hashedRekordV002.signature.verifier must hold exactly one of publicKey and x509Certificate"),
    );
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(artifact), signature, { keyDetails: "X" }), message, byKey))?.code).toBe(
      "VERIFY_TLOG_BODY",
    );
  });

  it("refuses a DSSE envelope with more than one signature", () => {
    const two: DsseContent = { kind: "dsseEnvelope", envelope: { ...dsse.envelope, signatures: [...dsse.envelope.signatures, { sig: signature, keyid: "" }] } };
    expect(failure(() => verifyEntryBody(hashedRekordV002(sha256(pae)), two, byKey))).toEqual(
      bodyError("the DSSE envelope has 2 signatures; exactly one can match the log entry"),
    );
  });
});

describe("dsse 0.0.2 (Rekor v2, deprecated but readable)", () => {
  it("matches the envelope by payload hash, signature and key", () => {
    expect(verifyEntryBody(dsseV002(sha256(payload)), dsse, byKey)).toMatchObject({ kind: "dsse", apiVersion: "0.0.2" });
  });

  it("refuses another payload, two logged signatures, another signer", () => {
    expect(failure(() => verifyEntryBody(dsseV002(sha256(pae)), dsse, byKey))?.message).toMatch(/is not the DSSE payload digest/);
    const sig = { content: b64(signature), verifier: v2Verifier(key) };
    expect(failure(() => verifyEntryBody(dsseV002(sha256(payload), [sig, sig]), dsse, byKey))).toEqual(
      bodyError("the entry logs 2 signatures; expected exactly one"),
    );
    expect(failure(() => verifyEntryBody(dsseV002(sha256(payload), []), dsse, byKey))).toEqual(
      bodyError("the entry logs 0 signatures; expected exactly one"),
    );
    expect(failure(() => verifyEntryBody(dsseV002(sha256(payload)), dsse, { kind: "publicKey", der: otherKey }))).toEqual(
      bodyError("the logged public key is not the verifying key"),
    );
  });
});

describe("Rekor v1 kinds", () => {
  it("hashedrekord 0.0.1 with a PEM public key", () => {
    expect(() => verifyEntryBody(hashedRekordV001(Buffer.from(sha256(artifact)).toString("hex")), message, byKey)).not.toThrow();
  });

  it("hashedrekord 0.0.1 digests are named sha256/sha384/sha512 and must match the artifact digest's algorithm", () => {
    const sha512 = createHash("sha512").update(artifact).digest();
    const e = hashedRekordV001(sha512.toString("hex"), "sha512");
    expect(() => verifyEntryBody(e, { ...message, digest: { algorithm: "SHA2_512", value: sha512 } }, byKey)).not.toThrow();
    expect(failure(() => verifyEntryBody(e, message, byKey))).toEqual(
      bodyError("the entry logs a SHA2_512 digest, the artifact digest is SHA2_256"),
    );
    expect(failure(() => verifyEntryBody(hashedRekordV001("ab".repeat(32), "md5"), message, byKey))).toEqual(
      bodyError('log entry body: spec.data.hash.algorithm "md5" is not sha256, sha384 or sha512'),
    );
    expect(failure(() => verifyEntryBody(hashedRekordV001("ab".repeat(31)), message, byKey))).toEqual(
      bodyError("log entry body: spec.data.hash.value is 31 bytes, a SHA2_256 digest is 32"),
    );
  });

  it("dsse 0.0.1 requires exactly one logged signature", () => {
    const one = { signature: b64(signature), verifier: b64(pem("PUBLIC KEY", key)) };
    expect(() => verifyEntryBody(dsseV001([one]), dsse, byKey)).not.toThrow();
    expect(failure(() => verifyEntryBody(dsseV001([one, one]), dsse, byKey))).toEqual(bodyError("the entry logs 2 signatures; expected exactly one"));
  });

  it("refuses a PEM verifier that is not a certificate or public key, or holds two blocks", () => {
    const priv = { signature: b64(signature), verifier: b64(pem("PRIVATE KEY", key)) };
    expect(failure(() => verifyEntryBody(dsseV001([priv]), dsse, byKey))).toEqual(
      bodyError("log entry body: spec.signatures[0].verifier is not one PEM certificate or public key"),
    );
    const two = { signature: b64(signature), verifier: b64(pem("PUBLIC KEY", key) + pem("PUBLIC KEY", otherKey)) };
    expect(failure(() => verifyEntryBody(dsseV001([two]), dsse, byKey))?.code).toBe("VERIFY_TLOG_BODY");
  });
});

describe("parseEntryBody refuses malformed bodies, naming the field", () => {
  it.each([
    ["not JSON", "{", "the entry body is not UTF-8 JSON"],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), "the entry body is not UTF-8 JSON"],
    ["an array", "[]", "log entry body: body is missing or not an object"],
    ["no kind", { apiVersion: "0.0.1", spec: {} }, "log entry body: kind is missing or not a string"],
    ["no spec", { apiVersion: "0.0.1", kind: "hashedrekord" }, "log entry body: spec is missing or not an object"],
    ["an unknown kind", { apiVersion: "0.0.1", kind: "rekord", spec: {} }, "log entry body: unsupported log entry kind rekord 0.0.1"],
    ["an unknown version", { apiVersion: "0.0.3", kind: "dsse", spec: {} }, "log entry body: unsupported log entry kind dsse 0.0.3"],
    [
      "a v2 body without its oneof",
      { apiVersion: "0.0.2", kind: "hashedrekord", spec: { data: {} } },
      "log entry body: spec.hashedRekordV002 is missing or not an object",
    ],
    [
      "a signature that is not base64",
      { apiVersion: "0.0.2", kind: "dsse", spec: { dsseV002: { payloadHash: { algorithm: "SHA2_256", digest: b64(sha256(payload)) }, signatures: [{ content: "!!", verifier: v2Verifier(key) }] } } },
      "log entry body: spec.dsseV002.signatures[0].content is not base64",
    ],
    [
      "a numeric digest",
      { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value: 7 } }, signature: {} } },
      "log entry body: spec.data.hash.value is missing or not a string",
    ],
    [
      "an intoto body without signatures",
      { apiVersion: "0.0.2", kind: "intoto", spec: { content: { envelope: { payloadType: "t" }, payloadHash: { algorithm: "sha256", value: "00".repeat(32) } } } },
      "log entry body: spec.content.envelope.signatures is missing or not an array",
    ],
  ])("%s", (_what, body, message) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    expect(failure(() => parseEntryBody(bytes))).toEqual(bodyError(message));
  });
});
