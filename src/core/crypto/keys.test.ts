import { createHash, createPublicKey, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import {
  encryptPrivateKey,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  keyAlgorithm,
  keyId,
  parseGenerateAlgorithm,
  privateKeyPemKind,
  publicKeyDer,
  publicKeyPem,
  sign,
  verify,
} from "./keys.js";

const data = new TextEncoder().encode("the artifact bytes");

describe("key pairs", () => {
  it("generates ECDSA P-256 by default and Ed25519 on request", () => {
    const p256 = generateKeyPair();
    expect(p256.algorithm).toBe("ecdsa-p256");
    expect(p256.privateKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(keyAlgorithm(p256.publicKey)).toBe("ecdsa-p256");
    const ed = generateKeyPair("ed25519");
    expect(ed.privateKey.asymmetricKeyType).toBe("ed25519");
    expect(keyAlgorithm(ed.privateKey)).toBe("ed25519");
  });

  it("names the algorithms --algorithm accepts and refuses others", () => {
    expect(parseGenerateAlgorithm("ED25519")).toBe("ed25519");
    expect(parseGenerateAlgorithm("ecdsa-p256")).toBe("ecdsa-p256");
    expect(thrownVouchError(() => parseGenerateAlgorithm("rsa")).code).toBe("INPUT_USAGE");
    // P-384 is read (verification) but never generated.
    expect(thrownVouchError(() => parseGenerateAlgorithm("ecdsa-p384")).code).toBe("INPUT_USAGE");
  });

  it("key ID is the hex SHA-256 of the SPKI DER, and the PEM round-trips", () => {
    const { publicKey, privateKey } = generateKeyPair();
    const der = publicKey.export({ type: "spki", format: "der" });
    expect(keyId(publicKey)).toBe(createHash("sha256").update(der).digest("hex"));
    expect(keyId(privateKey)).toBe(keyId(publicKey));
    expect(Buffer.from(publicKeyDer(privateKey)).equals(der)).toBe(true);
    const pem = publicKeyPem(privateKey);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(keyId(importPublicKey(pem))).toBe(keyId(publicKey));
    expect(keyId(importPublicKey(new Uint8Array(der)))).toBe(keyId(publicKey));
  });

  it("refuses public keys of algorithms vouch does not use", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(thrownVouchError(() => importPublicKey(rsa)).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(thrownVouchError(() => importPublicKey(k1)).message).toMatch(/unsupported EC curve secp256k1/);
    expect(thrownVouchError(() => importPublicKey("not a key")).code).toBe("INPUT_MALFORMED");
  });
});

describe("private keys at rest", () => {
  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    it(`${algorithm}: encrypts to PKCS#8 PBES2 and decrypts with the same password`, () => {
      const { privateKey, publicKey } = generateKeyPair(algorithm);
      const pem = encryptPrivateKey(privateKey, "correct horse");
      expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      expect(privateKeyPemKind(pem)).toBe("pkcs8-encrypted");
      const back = importPrivateKey(pem, "correct horse");
      expect(keyId(back)).toBe(keyId(publicKey));
      expect(verify(publicKey, data, sign(back, data))).toBe(true);
    });
  }

  it("writes PBES2 with scrypt (N=2^14, r=8, p=1) and AES-256-CBC, as documented", () => {
    const der = pemBody(encryptPrivateKey(generateKeyPair().privateKey, "pw"));
    expect(der.includes(Buffer.from("06092a864886f70d01050d", "hex"))).toBe(true); // id-PBES2
    expect(der.includes(Buffer.from("06092b06010401da47040b", "hex"))).toBe(true); // id-scrypt
    expect(der.includes(Buffer.from("060960864801650304012a", "hex"))).toBe(true); // aes256-CBC
    expect(der.includes(Buffer.from("0202400002010802010130", "hex"))).toBe(true); // N=16384, r=8, p=1, then the cipher
  });

  it("uses a fresh salt and IV each time", () => {
    const { privateKey } = generateKeyPair();
    expect(encryptPrivateKey(privateKey, "pw")).not.toBe(encryptPrivateKey(privateKey, "pw"));
  });

  it("refuses an empty password", () => {
    const e = thrownVouchError(() => encryptPrivateKey(generateKeyPair().privateKey, ""));
    expect(e.code).toBe("INPUT_USAGE");
    expect(e.message).toMatch(/empty password/);
  });

  it("a wrong password is one clear INPUT_ line", () => {
    const pem = encryptPrivateKey(generateKeyPair("ed25519").privateKey, "right");
    const e = thrownVouchError(() => importPrivateKey(pem, "wrong"));
    expect(e.code).toBe("INPUT_UNREADABLE");
    expect(e.message).toBe("cannot decrypt the private key: wrong password (or a damaged key file)");
    expect(thrownVouchError(() => importPrivateKey(pem)).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => importPrivateKey(pem, "")).code).toBe("INPUT_USAGE");
  });

  it("reads node/OpenSSL's own encrypted PKCS#8 (PBKDF2) and unencrypted PKCS#8 and SEC1 keys", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pbkdf2 = privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString();
    expect(keyId(importPrivateKey(pbkdf2, "pw"))).toBe(keyId(publicKey));
    const plain = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(privateKeyPemKind(plain)).toBe("pkcs8");
    expect(keyId(importPrivateKey(plain))).toBe(keyId(publicKey));
    const sec1 = privateKey.export({ type: "sec1", format: "pem" }).toString();
    expect(privateKeyPemKind(sec1)).toBe("sec1");
    expect(keyId(importPrivateKey(sec1))).toBe(keyId(publicKey));
    const legacy = privateKey.export({ type: "sec1", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString();
    expect(privateKeyPemKind(legacy)).toBe("legacy-encrypted");
    expect(keyId(importPrivateKey(legacy, "pw"))).toBe(keyId(publicKey));
  });

  it("says cosign's encrypted format is not supported (it needs NaCl secretbox, which node:crypto lacks)", () => {
    const cosign = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    const e = thrownVouchError(() => importPrivateKey(cosign, "pw"));
    expect(e.code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(e.message).toMatch(/cosign's encrypted key format/);
  });

  it("refuses a public key, garbage, and unsupported key types where a private key is expected", () => {
    const { publicKey } = generateKeyPair();
    expect(thrownVouchError(() => importPrivateKey(publicKeyPem(publicKey))).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => importPrivateKey("hello")).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => importPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).code).toBe("INPUT_MALFORMED");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(thrownVouchError(() => importPrivateKey(rsa)).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });
});

describe("sign and verify", () => {
  it("P-256: an ECDSA-SHA256 DER signature that node:crypto verifies", () => {
    const { privateKey, publicKey } = generateKeyPair("ecdsa-p256");
    const sig = sign(privateKey, data);
    expect(sig[0]).toBe(0x30); // DER SEQUENCE
    expect(nodeVerify("sha256", data, publicKey, sig)).toBe(true);
    expect(nodeVerify("sha256", new TextEncoder().encode("other"), publicKey, sig)).toBe(false);
  });

  it("Ed25519: a pure Ed25519 signature (64 bytes) that node:crypto verifies", () => {
    const { privateKey, publicKey } = generateKeyPair("ed25519");
    const sig = sign(privateKey, data);
    expect(sig.length).toBe(64);
    expect(nodeVerify(null, data, publicKey, sig)).toBe(true);
  });

  it("P-384 keys (accepted, never generated) sign and verify over SHA-384", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const publicKey = importPublicKey(createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString());
    expect(keyAlgorithm(publicKey)).toBe("ecdsa-p384");
    const sig = sign(privateKey, data);
    expect(nodeVerify("sha384", data, publicKey, sig)).toBe(true);
    expect(verify(publicKey, data, sig)).toBe(true);
  });

  it("verify says false, never throws, for a tampered, truncated or wrong-key signature", () => {
    const { privateKey, publicKey } = generateKeyPair();
    const sig = sign(privateKey, data);
    const tampered = Uint8Array.from(sig);
    tampered[tampered.length - 1]! ^= 1;
    expect(verify(publicKey, data, tampered)).toBe(false);
    expect(verify(publicKey, data, sig.subarray(0, 10))).toBe(false);
    expect(verify(publicKey, data, new Uint8Array())).toBe(false);
    expect(verify(generateKeyPair().publicKey, data, sig)).toBe(false);
    const ed = generateKeyPair("ed25519");
    expect(verify(ed.publicKey, data, new Uint8Array(63))).toBe(false);
  });

  it("refuses to sign with a public key", () => {
    expect(thrownVouchError(() => sign(generateKeyPair().publicKey, data)).code).toBe("INPUT_USAGE");
  });
});

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}
