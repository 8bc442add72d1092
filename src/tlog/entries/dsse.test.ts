import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, ecKey } from "../../../test/support/x509-builder.js";
import { canonicalizeProposedEntry, canonicalizeV2Request, MAX_SIGNATURES } from "./index.js";

interface Key {
  spki: Uint8Array;
  keyDetails: string;
  sign(message: Uint8Array, hash?: "sha256" | "sha384" | "sha512"): Buffer;
}

const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString("base64");
const sha256hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");
const pem = (der: Uint8Array, label = "PUBLIC KEY"): string =>
  `-----BEGIN ${label}-----\n${b64(der).match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
const json = (body: Uint8Array): any => JSON.parse(Buffer.from(body).toString("utf8"));

function key(type: "P-256" | "P-384" | "RSA" | "Ed25519"): Key {
  const pair =
    type === "RSA"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : type === "Ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: type });
  const details = { "P-256": "PKIX_ECDSA_P256_SHA_256", "P-384": "PKIX_ECDSA_P384_SHA_384", RSA: "PKIX_RSA_PKCS1V15_2048_SHA256", Ed25519: "PKIX_ED25519" };
  return {
    spki: new Uint8Array(pair.publicKey.export({ format: "der", type: "spki" })),
    keyDetails: details[type],
    sign: (message, hash = "sha256") => sign(type === "Ed25519" ? null : hash, message, pair.privateKey as KeyObject),
  };
}

const A = key("P-256");
const B = key("P-256");
const payloadType = "application/vnd.in-toto+json";
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');
const pae = preAuthEncoding(payloadType, payload);

function envelope(...signers: Key[]) {
  return { payload: b64(payload), payloadType, signatures: signers.map((k) => ({ keyid: "", sig: b64(k.sign(pae)) })) };
}

function v1(envelopeText: string, ...verifiers: Key[]) {
  return { apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope: envelopeText, verifiers: verifiers.map((k) => b64(pem(k.spki))) } } };
}

const reason = (run: () => unknown): string => {
  const error = thrownVouchError(run);
  expect(error.code).toBe("LOG_INVALID_ENTRY");
  return error.message;
};

describe("dsse 0.0.1", () => {
  it("stores envelopeHash, payloadHash and the signatures, sorted by signature text, each with its verifier", () => {
    const env = envelope(A, B);
    const text = JSON.stringify(env);
    const entry = canonicalizeProposedEntry(v1(text, B, A));
    const bySig = [
      { signature: env.signatures[0]!.sig, verifier: b64(pem(A.spki)) },
      { signature: env.signatures[1]!.sig, verifier: b64(pem(B.spki)) },
    ].sort((x, y) => (x.signature < y.signature ? -1 : 1));
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: sha256hex(text) },
        payloadHash: { algorithm: "sha256", value: sha256hex(payload) },
        signatures: bySig,
      },
    });
    expect(entry.signers.map((s) => Buffer.from(s.publicKey))).toEqual(
      bySig.map((s) => (s.verifier === b64(pem(A.spki)) ? Buffer.from(A.spki) : Buffer.from(B.spki))),
    );
  });

  it("hashes the envelope text as sent: the same envelope spaced differently is a different entry", () => {
    const env = envelope(A);
    const compact = json(canonicalizeProposedEntry(v1(JSON.stringify(env), A)).body).spec;
    const spaced = json(canonicalizeProposedEntry(v1(JSON.stringify(env, null, 2), A)).body).spec;
    expect(spaced.envelopeHash.value).toBe(sha256hex(JSON.stringify(env, null, 2)));
    expect(spaced.envelopeHash).not.toEqual(compact.envelopeHash);
    expect({ ...spaced, envelopeHash: undefined }).toEqual({ ...compact, envelopeHash: undefined });
  });

  it("logs a signature repeated in the envelope once (Rekor keys signatures by their text)", () => {
    const env = envelope(A);
    env.signatures.push({ ...env.signatures[0]! });
    expect(json(canonicalizeProposedEntry(v1(JSON.stringify(env), A)).body).spec.signatures).toHaveLength(1);
  });

  it("verifies Ed25519 pure, RSA and any ECDSA curve over PAE with SHA-256, as Rekor v1 does", () => {
    for (const k of [key("Ed25519"), key("RSA"), key("P-384")]) {
      expect(() => canonicalizeProposedEntry(v1(JSON.stringify(envelope(k)), k))).not.toThrow();
    }
    // Rekor v1 loads every verifier with SHA-256: a P-384 signature made with SHA-384 does not verify there.
    const p384 = key("P-384");
    const env = { ...envelope(), signatures: [{ sig: b64(p384.sign(pae, "sha384")) }] };
    expect(reason(() => canonicalizeProposedEntry(v1(JSON.stringify(env), p384)))).toBe(
      "spec.proposedContent.verifiers[0] verifies no signature of the envelope",
    );
  });

  it("names the signer by certificate: SANs and issuer for the monitor", () => {
    const signer = ecKey();
    const cert = buildCertificate({ key: signer, subject: "" });
    const env = { payload: b64(payload), payloadType, signatures: [{ sig: b64(sign("sha256", pae, signer.privateKey)) }] };
    const request = v1(JSON.stringify(env));
    request.spec.proposedContent.verifiers = [b64(pem(cert.der, "CERTIFICATE"))];
    expect(canonicalizeProposedEntry(request).signers).toEqual([{ certificate: cert.der, publicKey: signer.spki }]);
  });

  describe("refuses what Rekor refuses", () => {
    it("a signature no verifier verifies", () => {
      expect(reason(() => canonicalizeProposedEntry(v1(JSON.stringify(envelope(A, B)), A)))).toBe(
        "spec.proposedContent.envelope.signatures[1].sig does not verify with any of spec.proposedContent.verifiers",
      );
    });

    it("a verifier that verifies no signature (the wrong key)", () => {
      expect(reason(() => canonicalizeProposedEntry(v1(JSON.stringify(envelope(A)), A, B)))).toBe(
        "spec.proposedContent.verifiers[1] verifies no signature of the envelope",
      );
    });

    it("a tampered payload", () => {
      const env = { ...envelope(A), payload: b64("tampered") };
      expect(reason(() => canonicalizeProposedEntry(v1(JSON.stringify(env), A)))).toBe(
        "spec.proposedContent.verifiers[0] verifies no signature of the envelope",
      );
    });

    it("fields the log computes, sent by the client", () => {
      const request: any = v1(JSON.stringify(envelope(A)), A);
      request.spec.envelopeHash = { algorithm: "sha256", value: "00".repeat(32) };
      expect(reason(() => canonicalizeProposedEntry(request))).toBe("spec.envelopeHash is computed by the log and must not be submitted");
      delete request.spec.envelopeHash;
      request.spec.signatures = [];
      expect(reason(() => canonicalizeProposedEntry(request))).toBe("spec.signatures is computed by the log and must not be submitted");
    });
  });

  describe("refuses malformed fields, naming them", () => {
    const text = JSON.stringify(envelope(A));
    it.each([
      ["an envelope that is not JSON", () => v1(text.slice(0, -1), A), "spec.proposedContent.envelope is not JSON"],
      ["an envelope that is a JSON array", () => v1("[]", A), "spec.proposedContent.envelope is missing or not an object"],
      ["an envelope given as an object, not text", () => ({ ...v1("", A), spec: { proposedContent: { envelope: envelope(A), verifiers: [b64(pem(A.spki))] } } }), "spec.proposedContent.envelope is missing or not a string"],
      ["a payload that is not base64", () => v1(JSON.stringify({ ...envelope(A), payload: "not base64!" }), A), "spec.proposedContent.envelope.payload is not base64"],
      ["a signature that is not base64", () => v1(JSON.stringify({ ...envelope(A), signatures: [{ sig: "%%" }] }), A), "spec.proposedContent.envelope.signatures[0].sig is not base64"],
      ["a keyid that is not a string", () => v1(JSON.stringify({ ...envelope(A), signatures: [{ sig: envelope(A).signatures[0]!.sig, keyid: 7 }] }), A), "spec.proposedContent.envelope.signatures[0].keyid is missing or not a string"],
      ["no signatures", () => v1(JSON.stringify({ ...envelope(A), signatures: [] }), A), "spec.proposedContent.envelope.signatures is empty"],
      ["an empty payloadType", () => v1(JSON.stringify({ ...envelope(A), payloadType: "" }), A), "spec.proposedContent.envelope.payloadType is empty"],
      ["no verifiers", () => v1(text), "spec.proposedContent.verifiers is empty"],
      ["a verifier that is not base64", () => ({ ...v1(text), spec: { proposedContent: { envelope: text, verifiers: ["@"] } } }), "spec.proposedContent.verifiers[0] is not base64"],
      ["a verifier that is not PEM", () => ({ ...v1(text), spec: { proposedContent: { envelope: text, verifiers: [b64(A.spki)] } } }), "spec.proposedContent.verifiers[0] is not one PEM public key or certificate"],
      ["no proposedContent", () => ({ apiVersion: "0.0.1", kind: "dsse", spec: {} }), "spec.proposedContent is missing or not an object"],
      [
        `more than ${MAX_SIGNATURES} signatures`,
        () => v1(JSON.stringify({ ...envelope(A), signatures: Array.from({ length: MAX_SIGNATURES + 1 }, () => envelope(A).signatures[0]) }), A),
        `spec.proposedContent.envelope.signatures has ${MAX_SIGNATURES + 1} items, more than the ${MAX_SIGNATURES} allowed`,
      ],
      [
        "more than 16 verifiers",
        () => v1(text, ...Array.from({ length: 17 }, () => A)),
        "spec.proposedContent.verifiers has 17 items, more than the 16 allowed",
      ],
    ])("%s", (_name, build, expected) => {
      expect(reason(() => canonicalizeProposedEntry(build()))).toBe(expected);
    });
  });
});

describe("dsse 0.0.2 (Rekor v2 DSSERequestV002)", () => {
  const verifier = (k: Key) => ({ keyDetails: k.keyDetails, publicKey: { rawBytes: b64(k.spki) } });
  const v2 = (env: unknown, ...keys: Key[]) => ({ dsseRequestV002: { envelope: env, verifiers: keys.map(verifier) } });

  it("stores payloadHash and one signature per verifier, in request order, each with the verifier as sent", () => {
    const env = envelope(A, B);
    const entry = canonicalizeV2Request(v2(env, B, A));
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.2",
      kind: "dsse",
      spec: {
        dsseV002: {
          payloadHash: { algorithm: "SHA2_256", digest: createHash("sha256").update(payload).digest("base64") },
          signatures: [
            { content: env.signatures[1]!.sig, verifier: verifier(B) },
            { content: env.signatures[0]!.sig, verifier: verifier(A) },
          ],
        },
      },
    });
    expect(entry.signers.map((s) => Buffer.from(s.publicKey))).toEqual([Buffer.from(B.spki), Buffer.from(A.spki)]);
  });

  it("verifies with the hash the keyDetails name (P-384: SHA-384), Ed25519 pure", () => {
    const p384 = key("P-384");
    const env = { payload: b64(payload), payloadType, signatures: [{ sig: b64(p384.sign(pae, "sha384")) }] };
    expect(() => canonicalizeV2Request(v2(env, p384))).not.toThrow();
    const ed = key("Ed25519");
    expect(() => canonicalizeV2Request(v2(envelope(ed), ed))).not.toThrow();
  });

  it("records a verifier named twice once", () => {
    expect(json(canonicalizeV2Request(v2(envelope(A), A, A)).body).spec.dsseV002.signatures).toHaveLength(1);
  });

  it("refuses an extra verifier that verifies nothing (rekor-tiles' answer there depends on Go's map order)", () => {
    expect(reason(() => canonicalizeV2Request(v2(envelope(A), A, B)))).toBe("dsseRequestV002.verifiers[1] verifies no signature of the envelope");
  });

  it("refuses an unsigned envelope signature and malformed fields, naming them", () => {
    expect(reason(() => canonicalizeV2Request(v2(envelope(A, B), A)))).toBe(
      "dsseRequestV002.envelope.signatures[1].sig does not verify with any of dsseRequestV002.verifiers",
    );
    expect(reason(() => canonicalizeV2Request(v2({ ...envelope(A), payload: "%" }, A)))).toBe("dsseRequestV002.envelope.payload is not base64");
    expect(reason(() => canonicalizeV2Request(v2("envelope", A)))).toBe("dsseRequestV002.envelope is missing or not an object");
    expect(reason(() => canonicalizeV2Request({ dsseRequestV002: { envelope: envelope(A), verifiers: [] } }))).toBe("dsseRequestV002.verifiers is empty");
    expect(reason(() => canonicalizeV2Request({ dsseRequestV002: { envelope: envelope(A), verifiers: [{ ...verifier(A), keyDetails: "PKIX_ED25519" }] } }))).toBe(
      "dsseRequestV002.verifiers[0].keyDetails PKIX_ED25519 does not describe the key in dsseRequestV002.verifiers[0].publicKey.rawBytes",
    );
  });
});
