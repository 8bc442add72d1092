import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { describe, expect, it } from "vitest";
import { verifyEcdsaDigest, verifyEcdsaDigestWithPoint } from "./ecdsa-digest.js";

/**
 * The native-arithmetic ECDSA digest verifier against two independent implementations: node:crypto (over the
 * message) and @noble/curves (over the digest), on valid signatures, tampered ones, other digests, high-S twins,
 * malformed DER, and the two corner cases of its rewriting (t = 0, and Q = t·G, where the point addition doubles).
 */

const CASES = [
  { crv: "P-256", namedCurve: "prime256v1", hash: "sha256", noble: p256, rounds: 30 },
  { crv: "P-384", namedCurve: "secp384r1", hash: "sha384", noble: p384, rounds: 10 },
  { crv: "P-521", namedCurve: "secp521r1", hash: "sha512", noble: p521, rounds: 5 },
] as const;

function publicPoint(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  return Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at]! ^= 1;
  return copy;
}

describe("verifyEcdsaDigest agrees with node:crypto and @noble/curves", () => {
  // The pure-JS reference is slow on the larger curves: fewer rounds there keep the suite quick.
  for (const { crv, namedCurve, hash, noble, rounds } of CASES) {
    it(`${crv}: valid, tampered, other digest, high-S, malformed`, () => {
      for (let i = 0; i < rounds; i++) {
        const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
        const message = randomBytes(1 + (i % 50));
        const digest = createHash(hash).update(message).digest();
        const signature = sign(hash, message, privateKey);
        const point = publicPoint(publicKey);
        // The KeyObject form and the point form must always agree.
        const both = (d: Uint8Array, sig: Uint8Array): boolean => {
          const said = verifyEcdsaDigest(publicKey, d, sig);
          expect(verifyEcdsaDigestWithPoint(crv, point, d, sig)).toBe(said);
          return said;
        };
        const nobleSays = (sig: Uint8Array, d: Uint8Array) => {
          try {
            return noble.verify(sig, d, point, { prehash: false, format: "der", lowS: false });
          } catch {
            return false;
          }
        };
        expect(both(digest, signature)).toBe(true);
        expect(nobleSays(signature, digest)).toBe(true);

        const tampered = flip(signature, signature.length - 1 - (i % 8));
        expect(both(digest, tampered)).toBe(nobleSays(tampered, digest));
        const otherDigest = flip(digest, i % digest.length);
        expect(both(otherDigest, signature)).toBe(false);

        // (r, n − s) is the same signature's twin: valid ECDSA, which both accept (no low-S rule in Sigstore).
        const parsed = noble.Signature.fromBytes(signature, "der");
        const twin = new noble.Signature(parsed.r, noble.Point.CURVE().n - parsed.s).toBytes("der");
        expect(both(digest, twin)).toBe(true);

        const stranger = generateKeyPairSync("ec", { namedCurve }).publicKey;
        expect(verifyEcdsaDigest(stranger, digest, signature)).toBe(false);
      }
    });
  }

  // Each verification inverts one value mod n and one mod p (Lehmer's algorithm, which has more paths than the plain
  // one): many random cases against node:crypto's verify over the message, valid and with s changed.
  for (const { crv, namedCurve, hash, count } of [
    { crv: "P-256", namedCurve: "prime256v1", hash: "sha256", count: 1500 },
    { crv: "P-384", namedCurve: "secp384r1", hash: "sha384", count: 100 },
  ] as const) {
    it(`${crv}: ${count} random signatures and their tampered twins agree with node:crypto`, () => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
      const point = publicPoint(publicKey);
      for (let i = 0; i < count; i++) {
        const message = randomBytes(16);
        const digest = createHash(hash).update(message).digest();
        const signature = sign(hash, message, privateKey);
        expect(verifyEcdsaDigestWithPoint(crv, point, digest, signature)).toBe(true);
        const tampered = flip(signature, signature.length - 1);
        expect(verifyEcdsaDigestWithPoint(crv, point, digest, tampered)).toBe(verify(hash, message, publicKey, tampered));
      }
    });
  }

  it("the point form refuses points that are not uncompressed points of the curve, without throwing", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const message = Buffer.from("point");
    const digest = createHash("sha256").update(message).digest();
    const signature = sign("sha256", message, privateKey);
    const point = publicPoint(publicKey);
    expect(verifyEcdsaDigestWithPoint("P-256", point, digest, signature)).toBe(true);
    const p = p256.Point.CURVE().p;
    const offCurve = flip(point, 64); // y's last bit
    const compressed = Buffer.concat([Buffer.of(2 + (point[64]! & 1)), point.subarray(1, 33)]);
    const hybrid = Buffer.concat([Buffer.of(6 + (point[64]! & 1)), point.subarray(1)]);
    // x + p: the same residue, but not a field element (an encoding OpenSSL refuses).
    const big = Buffer.concat([Buffer.of(4), Buffer.from((BigInt(`0x${Buffer.from(point.subarray(1, 33)).toString("hex")}`) + p).toString(16).padStart(66, "0"), "hex"), point.subarray(33)]);
    for (const bad of [offCurve, compressed, hybrid, big, point.subarray(0, 64), Buffer.concat([point, Buffer.of(0)]), new Uint8Array(65)]) {
      expect(verifyEcdsaDigestWithPoint("P-256", bad, digest, signature)).toBe(false);
    }
    // A P-256 point is not a P-384 one.
    expect(verifyEcdsaDigestWithPoint("P-384", point, digest, signature)).toBe(false);
  });

  it("reads a key whose point OpenSSL holds compressed", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const jwk = publicKey.export({ format: "jwk" });
    const x = Buffer.from(jwk.x!, "base64url");
    const odd = Buffer.from(jwk.y!, "base64url")[31]! & 1;
    const compressed = Buffer.concat([Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"), Buffer.of(odd ? 3 : 2), x]);
    const key = createPublicKey({ key: compressed, format: "der", type: "spki" });
    expect(key.export({ type: "spki", format: "der" }).length).toBe(compressed.length);
    const message = Buffer.from("compressed");
    expect(verifyEcdsaDigest(key, createHash("sha256").update(message).digest(), sign("sha256", message, privateKey))).toBe(true);
  });

  it("refuses malformed DER and out-of-range values without throwing", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const digest = createHash("sha256").update("m").digest();
    const good = sign("sha256", Buffer.from("m"), privateKey);
    const n = p256.Point.CURVE().n;
    const der = (r: bigint, s: bigint) => new p256.Signature(r, s).toBytes("der");
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x00),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.of(0)]),
      Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01), // r = 0
      Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01), // negative r
      Uint8Array.of(0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01), // non-minimal r
      randomBytes(70),
    ]) {
      expect(verifyEcdsaDigest(publicKey, digest, bad)).toBe(false);
    }
    expect(() => der(n, 1n)).toThrow(); // noble refuses to even build r = n; ours must refuse to verify it
    const rEqualsN = Buffer.concat([Buffer.of(0x30, 0x26, 0x02, 0x21, 0x00), Buffer.from(n.toString(16), "hex"), Buffer.of(0x02, 0x01, 0x01)]);
    expect(verifyEcdsaDigest(publicKey, digest, rEqualsN)).toBe(false);
    const ed = generateKeyPairSync("ed25519").publicKey;
    expect(verifyEcdsaDigest(ed, digest, good)).toBe(false);
  });

  it("corner cases of R = u2·(Q + t·G): a zero digest (t = 0) and a key equal to t·G (doubling)", () => {
    const curve = p256;
    const { n } = curve.Point.CURVE();
    const G = curve.Point.BASE;
    const modN = (a: bigint) => ((a % n) + n) % n;
    const inv = (a: bigint) => {
      let [r0, r1, s0, s1] = [modN(a), n, 1n, 0n];
      while (r1 !== 0n) {
        const q = r0 / r1;
        [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
      }
      return modN(s0);
    };
    const keyFromScalar = (d: bigint): KeyObject => {
      const bytes = curve.getPublicKey(Buffer.from(d.toString(16).padStart(64, "0"), "hex"), false);
      return createPublicKey({ key: { kty: "EC", crv: "P-256", x: Buffer.from(bytes.subarray(1, 33)).toString("base64url"), y: Buffer.from(bytes.subarray(33)).toString("base64url") }, format: "jwk" });
    };
    const signWith = (d: bigint, e: bigint, k: bigint) => {
      const r = modN(G.multiply(k).toAffine().x);
      const s = modN(inv(k) * (e + r * d));
      return { r, s, der: new curve.Signature(r, s).toBytes("der") };
    };
    const k = 0x1234567890abcdefn;

    // e = 0 (an all-zero digest): t = u1/u2 = 0, so R = u2·Q.
    const d0 = 0xc0ffeen;
    const zero = new Uint8Array(32);
    const { der: zeroSig } = signWith(d0, 0n, k);
    expect(verifyEcdsaDigest(keyFromScalar(d0), zero, zeroSig)).toBe(true);
    expect(verifyEcdsaDigest(keyFromScalar(d0 + 1n), zero, zeroSig)).toBe(false);

    // d = e/r: then t = e/r = d, Q = t·G, and Q + t·G is a doubling.
    const e = 0xabcdefn;
    const r = modN(G.multiply(k).toAffine().x);
    const d = modN(e * inv(r));
    const { der } = signWith(d, e, k);
    const digest = Buffer.from(e.toString(16).padStart(64, "0"), "hex");
    expect(verifyEcdsaDigest(keyFromScalar(d), digest, der)).toBe(true);
    expect(p256.verify(der, digest, curve.getPublicKey(Buffer.from(d.toString(16).padStart(64, "0"), "hex"), false), { prehash: false, format: "der", lowS: false })).toBe(true);
  });
});
