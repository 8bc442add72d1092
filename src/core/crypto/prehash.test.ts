import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyPrehashed, verifyPrehashedWithPoint } from "./prehash.js";

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

  it("the point form gives the same answers, including the digest each curve may sign", () => {
    const point = (key: KeyObject) => {
      const jwk = key.export({ format: "jwk" });
      return Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    };
    for (const [curve, hash] of [["P-256", "sha256"], ["P-384", "sha384"], ["P-384", "sha256"]] as const) {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
      const sig = sign(hash, data, privateKey);
      const digest = createHash(hash).update(data).digest();
      expect(verifyPrehashedWithPoint(curve, point(publicKey), hash, digest, sig)).toBe(true);
      expect(verifyPrehashed(publicKey, hash, digest, sig)).toBe(true);
    }
    // P-256 signs SHA-256 digests only (a 64-byte digest would be truncated, FIPS 186-5 §6.4.1): refused before any
    // arithmetic, as is P-521, which these helpers do not cover.
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const digest = createHash("sha512").update(data).digest();
    const sig = sign("sha256", digest.subarray(0, 32), privateKey);
    expect(verifyPrehashedWithPoint("P-256", point(publicKey), "sha512", digest, sig)).toBe(false);
    expect(verifyPrehashed(publicKey, "sha512", digest, sig)).toBe(false);
    expect(verifyPrehashedWithPoint("P-521", point(generateKeyPairSync("ec", { namedCurve: "P-521" }).publicKey), "sha512", digest, sig)).toBe(false);
  });
});
