import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { canonicalizeProposedEntry } from "./index.js";

const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString("base64");
const twice = (b: Uint8Array | string): string => b64(b64(b));
const pem = (der: Uint8Array): string => `-----BEGIN PUBLIC KEY-----\n${b64(der).match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
const json = (body: Uint8Array): any => JSON.parse(Buffer.from(body).toString("utf8"));
const sha256hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

function key() {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { pem: pem(pair.publicKey.export({ format: "der", type: "spki" })), privateKey: pair.privateKey as KeyObject };
}

const A = key();
const B = key();
const payloadType = "application/vnd.in-toto+json";
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}');
const sig = (k: { privateKey: KeyObject }) => sign("sha256", preAuthEncoding(payloadType, payload), k.privateKey);
const HASH = { algorithm: "sha256", value: "ab".repeat(32) };

function request(signatures: { keyid?: string; sig: string; publicKey: string }[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "0.0.2",
    kind: "intoto",
    spec: { content: { envelope: { payload: twice(payload), payloadType, signatures }, hash: HASH, ...extra } },
  };
}

const signed = (k: ReturnType<typeof key>, keyid?: string) => ({ ...(keyid === undefined ? {} : { keyid }), sig: twice(sig(k)), publicKey: b64(k.pem) });

const reason = (run: () => unknown): string => {
  const error = thrownVouchError(run);
  expect(error.code).toBe("LOG_INVALID_ENTRY");
  return error.message;
};

describe("intoto 0.0.2", () => {
  it("drops the payload, recomputes payloadHash, keeps the client's hash and the signatures as sent", () => {
    // ECDSA signatures are randomized: sign once.
    const [a, b] = [signed(A, "key-1"), signed(B, "")];
    const entry = canonicalizeProposedEntry(request([a, b]));
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.2",
      kind: "intoto",
      spec: {
        content: {
          // Rekor drops an empty keyid (omitempty).
          envelope: { payloadType, signatures: [a, { sig: b.sig, publicKey: b.publicKey }] },
          hash: HASH,
          payloadHash: { algorithm: "sha256", value: sha256hex(payload) },
        },
      },
    });
    expect(entry.signers).toHaveLength(2);
  });

  it("accepts a payloadHash the client computed correctly, refuses a wrong one (Rekor would overwrite it)", () => {
    const right = { algorithm: "sha256", value: sha256hex(payload) };
    expect(() => canonicalizeProposedEntry(request([signed(A)], { payloadHash: right }))).not.toThrow();
    expect(reason(() => canonicalizeProposedEntry(request([signed(A)], { payloadHash: { ...right, value: "00".repeat(32) } })))).toBe(
      "spec.content.payloadHash is not the SHA-256 of spec.content.envelope.payload",
    );
  });

  it("refuses a signature listed beside a key that did not make it", () => {
    const swapped = [
      { sig: twice(sig(A)), publicKey: b64(B.pem) },
      { sig: twice(sig(B)), publicKey: b64(A.pem) },
    ];
    expect(reason(() => canonicalizeProposedEntry(request(swapped)))).toBe(
      "spec.content.envelope.signatures[0].sig does not verify with spec.content.envelope.signatures[0].publicKey",
    );
  });

  it("refuses a bad signature and a tampered payload", () => {
    const bad = sig(A);
    bad[10]! ^= 0xff;
    expect(reason(() => canonicalizeProposedEntry(request([{ sig: twice(bad), publicKey: b64(A.pem) }])))).toBe(
      "spec.content.envelope.signatures[0].publicKey verifies no signature of the envelope",
    );
    const tampered: any = request([signed(A)]);
    tampered.spec.content.envelope.payload = twice("tampered");
    expect(reason(() => canonicalizeProposedEntry(tampered))).toMatch(/verifies no signature/);
  });

  it.each([
    ["a signature encoded once, not twice", (r: any) => (r.spec.content.envelope.signatures[0].sig = b64(sig(A))), "spec.content.envelope.signatures[0].sig is not base64-encoded base64"],
    ["a payload encoded once", (r: any) => (r.spec.content.envelope.payload = b64(payload)), "spec.content.envelope.payload is not base64-encoded base64"],
    ["no payload", (r: any) => delete r.spec.content.envelope.payload, "spec.content.envelope.payload is missing or not a string"],
    ["no publicKey", (r: any) => delete r.spec.content.envelope.signatures[0].publicKey, "spec.content.envelope.signatures[0].publicKey is missing or not a string"],
    ["no hash", (r: any) => delete r.spec.content.hash, "spec.content.hash is missing or not an object"],
    ["a hash that is not hex", (r: any) => (r.spec.content.hash = { algorithm: "sha256", value: "xyz" }), "spec.content.hash.value is not a hex SHA-256 digest"],
    ["a hash algorithm other than sha256", (r: any) => (r.spec.content.hash = { ...HASH, algorithm: "sha512" }), 'spec.content.hash.algorithm "sha512" is not sha256'],
    ["an empty payloadType", (r: any) => (r.spec.content.envelope.payloadType = ""), "spec.content.envelope.payloadType is empty"],
    ["no content", (r: any) => delete r.spec.content, "spec.content is missing or not an object"],
  ])("refuses %s", (_name, corrupt, expected) => {
    const r = request([signed(A)]);
    corrupt(r);
    expect(reason(() => canonicalizeProposedEntry(r))).toBe(expected);
  });
});
