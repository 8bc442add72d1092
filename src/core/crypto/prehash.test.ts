import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyPrehashed } from "./prehash.js";

describe("verifyPrehashed", () => {
  const data = Buffer.from("artifact bytes");
  it("verifies a P-256 ECDSA signature from the SHA-256 digest alone", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sig = sign("sha256", data, privateKey);
    const digest = createHash("sha256").update(data).digest();
    expect(verifyPrehashed(publicKey, "sha256", digest, sig)).toBe(true);
    expect(verifyPrehashed(publicKey, "sha256", createHash("sha256").update("other").digest(), sig)).toBe(false);
    expect(verifyPrehashed(publicKey, "sha256", digest, Buffer.from("not der"))).toBe(false);
  });

  it("verifies P-384 with SHA-384", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const sig = sign("sha384", data, privateKey);
    expect(verifyPrehashed(publicKey, "sha384", createHash("sha384").update(data).digest(), sig)).toBe(true);
  });

  it("cannot verify Ed25519 from a digest (PureEdDSA signs the message)", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const sig = sign(null, data, privateKey);
    expect(verifyPrehashed(publicKey, "sha256", createHash("sha256").update(data).digest(), sig)).toBe(false);
  });
});
