import { constants, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { explicit, int, nul, oid, seq } from "../../../test/support/x509-builder.js";
import { conformanceRoot } from "../../../test/support/x509-fixtures.js";
import { parseSignatureAlgorithm, publicKey, verifySignature, type SignatureAlgorithm } from "./signature.js";

const SHA256 = "2.16.840.1.101.3.4.2.1";
const pss = (hash: string, mgfHash: string, salt: number) =>
  seq(oid("1.2.840.113549.1.1.10"), seq(explicit(0, seq(oid(hash))), explicit(1, seq(oid("1.2.840.113549.1.1.8"), seq(oid(mgfHash)))), explicit(2, int(salt))));

describe("signature algorithms", () => {
  it("names the algorithms certificates and tokens use", () => {
    expect(parseSignatureAlgorithm(seq(oid("1.2.840.10045.4.3.3")))).toMatchObject({ kind: "ecdsa", hash: "sha384" });
    expect(parseSignatureAlgorithm(seq(oid("1.2.840.113549.1.1.13"), nul()))).toMatchObject({ kind: "rsa-pkcs1", hash: "sha512" });
    expect(parseSignatureAlgorithm(seq(oid("1.3.101.112")))).toMatchObject({ kind: "ed25519" });
    expect(parseSignatureAlgorithm(pss(SHA256, SHA256, 32))).toMatchObject({ kind: "rsa-pss", hash: "sha256", saltLength: 32 });
  });

  it("leaves SHA-1, PSS defaults and mixed PSS hashes unsupported, and refuses bad parameters", () => {
    expect(parseSignatureAlgorithm(seq(oid("1.2.840.113549.1.1.5"), nul()))).toEqual({ unsupported: "signature algorithm 1.2.840.113549.1.1.5" });
    expect(parseSignatureAlgorithm(seq(oid("1.2.840.113549.1.1.10")))).toHaveProperty("unsupported");
    expect(parseSignatureAlgorithm(pss(SHA256, "2.16.840.1.101.3.4.2.3", 32))).toHaveProperty("unsupported");
    expect(thrownVouchError(() => parseSignatureAlgorithm(seq(oid("1.2.840.10045.4.3.2"), nul()))).message).toContain("parameters must be absent");
  });
});

describe("verifySignature", () => {
  const data = new Uint8Array(Buffer.from("signed bytes"));

  it("verifies RSA PKCS#1, RSA-PSS and Ed25519 signatures", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pkcs1: SignatureAlgorithm = { oid: "", name: "", kind: "rsa-pkcs1", hash: "sha256" };
    expect(verifySignature(rsa.publicKey, pkcs1, data, sign("sha256", data, rsa.privateKey))).toBe(true);
    const pssAlg: SignatureAlgorithm = { oid: "", name: "", kind: "rsa-pss", hash: "sha256", saltLength: 32 };
    const pssSig = sign("sha256", data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(verifySignature(rsa.publicKey, pssAlg, data, pssSig)).toBe(true);
    expect(verifySignature(rsa.publicKey, pkcs1, data, pssSig)).toBe(false);
    const ed = generateKeyPairSync("ed25519");
    expect(verifySignature(ed.publicKey, { oid: "", name: "", kind: "ed25519" }, data, sign(null, data, ed.privateKey))).toBe(true);
  });

  it("returns false for a key of the wrong type and for garbage signatures", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const rsaAlg: SignatureAlgorithm = { oid: "", name: "", kind: "rsa-pkcs1", hash: "sha256" };
    expect(verifySignature(ec.publicKey, rsaAlg, data, sign("sha256", data, ec.privateKey))).toBe(false);
    expect(verifySignature(ec.publicKey, { oid: "", name: "", kind: "ecdsa", hash: "sha256" }, data, new Uint8Array([0x30, 0x00]))).toBe(false);
  });
});

describe("publicKey", () => {
  it("loads SPKI keys and the bare PKCS#1 RSA key of the staging CT log, cached", () => {
    const staging = conformanceRoot("rekor2-happy-path").ctlogs.find((l) => l.keyDetails === "PKCS1_RSA_PKCS1V5")!;
    const key = publicKey(staging.publicKeyDer);
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(publicKey(staging.publicKeyDer.slice())).toBe(key);
  });

  it("refuses bytes that are no key", () => {
    expect(thrownVouchError(() => publicKey(new Uint8Array([0x30, 0x00]))).code).toBe("INPUT_MALFORMED");
  });
});
