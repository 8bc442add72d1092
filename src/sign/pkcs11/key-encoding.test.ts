import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { ecdsaRawToDer, spkiFromEcAttributes } from "./key-encoding.js";

const P256_PARAMS = Buffer.from("06082a8648ce3d030107", "hex");
const P384_PARAMS = Buffer.from("06052b81040022", "hex");
const ED25519_OID = Buffer.from("06032b6570", "hex");
const ED25519_NAME = Buffer.from("130c656477617264733235353139", "hex");

/** CKA_EC_POINT as PKCS #11 specifies it: a DER OCTET STRING around the point. */
const octetString = (point: Uint8Array): Buffer => Buffer.concat([Buffer.from([0x04, point.length]), point]);

function ecPoint(curve: "P-256" | "P-384") {
  const pair = generateKeyPairSync("ec", { namedCurve: curve });
  const jwk = pair.publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  return { ...pair, point };
}

describe("ecdsaRawToDer", () => {
  it("turns r || s (IEEE P1363, what CKM_ECDSA returns) into the DER form node:crypto and Sigstore verify", () => {
    for (const [curve, algorithm, hash] of [["P-256", "ecdsa-p256", "sha256"], ["P-384", "ecdsa-p384", "sha384"]] as const) {
      const { privateKey, publicKey } = ecPoint(curve);
      for (let i = 0; i < 20; i++) {
        const data = Buffer.from(`message ${i}`);
        const raw = nodeSign(hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" });
        const der = ecdsaRawToDer(raw, algorithm);
        expect(nodeVerify(hash, data, { key: publicKey, dsaEncoding: "der" }, der)).toBe(true);
      }
    }
  });

  it("writes minimal INTEGERs: leading zero bytes dropped, a 0x00 added when the top bit is set", () => {
    const r = Buffer.alloc(32, 0);
    r[31] = 0x05; // r = 5
    const s = Buffer.alloc(32, 0xff); // top bit set
    const der = Buffer.from(ecdsaRawToDer(Buffer.concat([r, s]), "ecdsa-p256"));
    expect(der.toString("hex")).toBe(`3026020105022100${"ff".repeat(32)}`);
  });

  it("a signature of the wrong length is INPUT_MALFORMED", () => {
    const err = thrownVouchError(() => ecdsaRawToDer(new Uint8Array(63), "ecdsa-p256"));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.message).toBe("the token returned a 63-byte ECDSA signature; a ecdsa-p256 signature is 64 bytes (r || s)");
  });
});

describe("spkiFromEcAttributes", () => {
  it("builds the SPKI of a P-256 key from CKA_EC_PARAMS and CKA_EC_POINT, wrapped (PKCS #11) or bare", () => {
    const { publicKey, point } = ecPoint("P-256");
    const expected = publicKey.export({ type: "spki", format: "der" });
    for (const value of [octetString(point), point]) {
      const { key, algorithm } = spkiFromEcAttributes(P256_PARAMS, value);
      expect(algorithm).toBe("ecdsa-p256");
      expect(key.export({ type: "spki", format: "der" }).equals(expected)).toBe(true);
    }
  });

  it("P-384", () => {
    const { publicKey, point } = ecPoint("P-384");
    const { key, algorithm } = spkiFromEcAttributes(P384_PARAMS, octetString(point));
    expect(algorithm).toBe("ecdsa-p384");
    expect(key.export({ type: "spki", format: "der" }).equals(publicKey.export({ type: "spki", format: "der" }))).toBe(true);
  });

  it("Ed25519, with the curve given as the RFC 8410 OID or as the PKCS #11 v3.0 name", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
    for (const params of [ED25519_OID, ED25519_NAME]) {
      const { key, algorithm } = spkiFromEcAttributes(params, octetString(raw));
      expect(algorithm).toBe("ed25519");
      expect(key.export({ type: "spki", format: "der" }).equals(publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    }
  });

  it("a point off the curve is INPUT_MALFORMED", () => {
    const { point } = ecPoint("P-256");
    point[40] = point[40]! ^ 0x01;
    const err = thrownVouchError(() => spkiFromEcAttributes(P256_PARAMS, octetString(point)));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.message).toBe("the token's P-256 public key (CKA_EC_POINT) is not a valid point");
  });

  it("a point of the wrong size is INPUT_MALFORMED", () => {
    const err = thrownVouchError(() => spkiFromEcAttributes(P256_PARAMS, new Uint8Array(64)));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.message).toBe("the token's public key (CKA_EC_POINT) has 64 bytes, not a ecdsa-p256 point");
  });

  it("curves vouch does not sign with are INPUT_UNSUPPORTED_FORMAT", () => {
    const p521 = thrownVouchError(() => spkiFromEcAttributes(Buffer.from("06052b81040023", "hex"), new Uint8Array(133)));
    expect([p521.code, p521.message]).toEqual(["INPUT_UNSUPPORTED_FORMAT", "the token's key is P-521; vouch signs with P-256, P-384 or Ed25519 keys"]);
    const secp256k1 = thrownVouchError(() => spkiFromEcAttributes(Buffer.from("06052b8104000a", "hex"), new Uint8Array(65)));
    expect(secp256k1.code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(secp256k1.message).toContain("CKA_EC_PARAMS 06052b8104000a");
  });
});
