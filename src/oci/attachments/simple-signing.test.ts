import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseSimpleSigningPayload, simpleSigningPayload } from "./simple-signing.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const DIGEST = "sha256:97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36";
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

describe("simpleSigningPayload", () => {
  it("writes cosign's bytes exactly (same layer digest as cosign for the same image)", () => {
    expect(text(simpleSigningPayload({ dockerReference: "gcr.io/dlorenc-vmtest2/demo", manifestDigest: DIGEST }))).toBe(text(fixture("simple-signing-cosign.json")));
  });

  it("writes annotations as Go does: keys sorted at every depth, <>& escaped", () => {
    const bytes = simpleSigningPayload({ dockerReference: "r", manifestDigest: DIGEST, annotations: { z: 1, a: { y: "<b>&", b: true } } });
    expect(text(bytes)).toContain('"optional":{"a":{"b":true,"y":"\\u003cb\\u003e\\u0026"},"z":1}}');
    expect(parseSimpleSigningPayload(bytes).annotations).toEqual({ a: { b: true, y: "<b>&" }, z: 1 });
  });

  it("refuses a digest that is not one (INPUT_USAGE: the caller's mistake)", () => {
    expect(thrownVouchError(() => simpleSigningPayload({ dockerReference: "r", manifestDigest: "latest" })).code).toBe("INPUT_USAGE");
  });
});

describe("parseSimpleSigningPayload", () => {
  it("reads cosign's payload and the spec's example (capitalised key, optional claims)", () => {
    expect(parseSimpleSigningPayload(fixture("simple-signing-cosign.json"))).toEqual({ dockerReference: "gcr.io/dlorenc-vmtest2/demo", manifestDigest: DIGEST });
    expect(parseSimpleSigningPayload(fixture("simple-signing-spec-example.json"))).toEqual({
      dockerReference: "testing/manifest",
      manifestDigest: DIGEST,
      annotations: { creator: "atomic", timestamp: 1458239713 },
    });
  });

  it("refuses an unknown critical claim (corrupt fixture), another type, a field given twice, a bad digest, not JSON", () => {
    expect(thrownVouchError(() => parseSimpleSigningPayload(fixture("corrupt/simple-signing-unknown-critical.json")))).toMatchObject({
      code: "INPUT_MALFORMED",
      message: expect.stringContaining("critical.expires"),
    });
    const cosign = text(fixture("simple-signing-cosign.json"));
    const variant = (s: string) => new TextEncoder().encode(s);
    expect(thrownVouchError(() => parseSimpleSigningPayload(variant(cosign.replace("cosign container image signature", "atomic container signature")))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    const twice = cosign.replace('"docker-manifest-digest"', `"Docker-Manifest-Digest":"sha256:${"0".repeat(64)}","docker-manifest-digest"`);
    expect(thrownVouchError(() => parseSimpleSigningPayload(variant(twice))).message).toMatch(/given 2 times/);
    expect(thrownVouchError(() => parseSimpleSigningPayload(variant(cosign.replace(DIGEST, "sha256:abc")))).message).toMatch(/docker-manifest-digest/);
    expect(thrownVouchError(() => parseSimpleSigningPayload(variant(cosign.replace('"optional":null', '"optional":"x"')))).message).toMatch(/optional must be an object/);
    expect(thrownVouchError(() => parseSimpleSigningPayload(variant(cosign.slice(0, 40)))).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => parseSimpleSigningPayload(variant('{"critical":{"identity":{},"image":{"docker-manifest-digest":"x"},"type":"cosign container image signature"}}'))).message).toMatch(/docker-reference is missing/);
  });
});
