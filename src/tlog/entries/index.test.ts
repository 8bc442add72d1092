import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { canonicalizeProposedEntry, canonicalizeV2Request, DEFAULT_MAX_ENTRY_BYTES } from "./index.js";

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/corrupt/${name}`, import.meta.url)));

const invalid = (run: () => unknown): string => {
  const error = thrownVouchError(run);
  expect(error.code).toBe("LOG_INVALID_ENTRY");
  return error.message;
};

describe("one corrupt submission per kind (fixtures/corrupt, made from real bundles)", () => {
  it.each([
    ["hashedrekord-0.0.1.json", canonicalizeProposedEntry, "spec.signature.content is not base64"],
    ["dsse-0.0.1.json", canonicalizeProposedEntry, "spec.proposedContent.envelope is not JSON"],
    ["intoto-0.0.2.json", canonicalizeProposedEntry, "spec.content.envelope.signatures[0].sig is not base64-encoded base64"],
    ["hashedrekord-0.0.2.json", canonicalizeV2Request, "hashedRekordRequestV002.digest is 31 bytes; PKIX_ECDSA_P256_SHA_256 signs 32-byte sha256 digests"],
    ["dsse-0.0.2.json", canonicalizeV2Request, /^dsseRequestV002\.verifiers\[0\]\.x509Certificate\.rawBytes is not an X\.509 certificate: /],
  ] as const)("%s", (name, canonicalize, expected) => {
    const message = invalid(() => canonicalize(fixture(name)));
    if (typeof expected === "string") expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });
});

describe("size limit", () => {
  const big = { apiVersion: "0.0.1", kind: "hashedrekord", spec: { padding: "x".repeat(DEFAULT_MAX_ENTRY_BYTES) } };

  it("refuses a submission over 128 KiB, as bytes, text or parsed JSON, before reading a field", () => {
    for (const input of [Buffer.from(JSON.stringify(big)), JSON.stringify(big), big]) {
      const error = thrownVouchError(() => canonicalizeProposedEntry(input));
      expect(error.code).toBe("LOG_ENTRY_TOO_LARGE");
      expect(error.message).toMatch(/^the entry is 131\d{3} bytes, over the 131072-byte limit$/);
    }
    expect(thrownVouchError(() => canonicalizeV2Request({ dsseRequestV002: big })).code).toBe("LOG_ENTRY_TOO_LARGE");
  });

  it("takes a configured limit, measured in UTF-8 bytes", () => {
    const text = JSON.stringify({ apiVersion: "0.0.1", kind: "é".repeat(70), spec: {} });
    expect(Buffer.byteLength(text)).toBeGreaterThan(100);
    expect(thrownVouchError(() => canonicalizeProposedEntry(text, { maxBytes: 100 })).code).toBe("LOG_ENTRY_TOO_LARGE");
    // An attacker's value in a message is quoted (one line) and cut at 64 characters.
    expect(invalid(() => canonicalizeProposedEntry(text, { maxBytes: 1000 }))).toBe(`kind "${"é".repeat(64)}…" is not supported (hashedrekord, dsse, intoto)`);
    expect(() => canonicalizeProposedEntry(text, { maxBytes: 0 })).toThrow(RangeError);
  });
});

describe("what every submission must be", () => {
  it.each([
    ["bytes that are not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "the entry is not UTF-8"],
    ["text that is not JSON", "{kind: hashedrekord}", "the entry is not JSON"],
    ["a JSON array", "[]", "the entry is missing or not an object"],
    ["null", "null", "the entry is missing or not an object"],
    ["a value JSON cannot hold", 10n, "the entry is not JSON data"],
    ["no kind", { apiVersion: "0.0.1", spec: {} }, "kind is missing or not a string"],
    ["no spec", { apiVersion: "0.0.1", kind: "hashedrekord" }, "spec is missing or not an object"],
    ["an unknown kind", { apiVersion: "0.0.1", kind: "rekord", spec: {} }, 'kind "rekord" is not supported (hashedrekord, dsse, intoto)'],
    [
      "an unknown version",
      { apiVersion: "0.0.2", kind: "hashedrekord", spec: {} },
      'apiVersion "0.0.2" of hashedrekord is not supported (0.0.1; 0.0.2 hashedrekord and dsse are Rekor v2 requests)',
    ],
    ["intoto 0.0.1", { apiVersion: "0.0.1", kind: "intoto", spec: {} }, 'apiVersion "0.0.1" of intoto is not supported (0.0.2; 0.0.2 hashedrekord and dsse are Rekor v2 requests)'],
  ])("refuses %s", (_name, input, expected) => {
    expect(invalid(() => canonicalizeProposedEntry(input))).toBe(expected);
  });

  it("reads own members only: names on Object.prototype are not fields", () => {
    const text = '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"__proto__":{"data":{}},"constructor":{}}}';
    expect(invalid(() => canonicalizeProposedEntry(text))).toBe("spec.data is missing or not an object");
    expect(invalid(() => canonicalizeProposedEntry('{"apiVersion":"0.0.1","kind":"toString","spec":{}}'))).toBe(
      'kind "toString" is not supported (hashedrekord, dsse, intoto)',
    );
  });

  it("refuses text the canonical body could not hold (a lone surrogate)", () => {
    const text = '{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":"{\\"payloadType\\":\\"\\ud800\\"}","verifiers":["QQ=="]}}}';
    expect(invalid(() => canonicalizeProposedEntry(text))).toBe("spec.proposedContent.envelope is not valid Unicode (lone surrogate)");
  });

  it("a v2 request holds exactly one of hashedRekordRequestV002 and dsseRequestV002", () => {
    for (const request of [{}, { hashedRekordRequestV002: {}, dsseRequestV002: {} }, { hashed_rekord_request_v002: {} }]) {
      expect(invalid(() => canonicalizeV2Request(request))).toBe("the request must hold exactly one of hashedRekordRequestV002 and dsseRequestV002");
    }
    expect(invalid(() => canonicalizeV2Request({ hashedRekordRequestV002: [] }))).toBe("hashedRekordRequestV002 is missing or not an object");
    expect(invalid(() => canonicalizeV2Request("[1]"))).toBe("the request is missing or not an object");
  });
});
