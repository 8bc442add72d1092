import { spawnSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importPublicKey, verify } from "../../core/crypto/keys.js";
import { parsePkcs11Uri } from "../../core/crypto/pkcs11-uri.js";
import { createSoftHsmToken, importKeyWithCertificate, softHsmUnavailable, USER_PIN, type SoftHsmToken } from "../../../test/support/softhsm.js";
import { Pkcs11Signer, pkcs11PublicKey, resolveModulePath } from "./pkcs11-signer.js";

const skipReason = softHsmUnavailable();
const data = new TextEncoder().encode("vouch: hardware-backed signature\n");

describe.skipIf(skipReason !== undefined)("Pkcs11Signer against a SoftHSM2 token", () => {
  let hsm: SoftHsmToken;
  let scratch: string;
  beforeAll(() => {
    hsm = createSoftHsmToken();
    scratch = mkdtempSync(join(tmpdir(), "vouch-pin-"));
  });
  afterAll(() => {
    hsm?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("signs through the URI with the P-256 key; node:crypto verifies it with the public key read from the token", async () => {
    const signer = await Pkcs11Signer.open(hsm.uri("signing-key"));
    const { signature, material } = await signer.sign(data);

    const fromToken = await pkcs11PublicKey(hsm.uri("signing-key", { pin: false }));
    expect(fromToken.algorithm).toBe("ecdsa-p256");
    expect(fromToken.keyDetails).toBe("PKIX_ECDSA_P256_SHA_256");
    const key = createPublicKey({ key: Buffer.from(fromToken.publicKeyDer), format: "der", type: "spki" });
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    // ASN.1 DER SEQUENCE { r, s }, not the token's raw r || s
    expect(signature[0]).toBe(0x30);
    expect(signature[1]).toBe(signature.length - 2);
    expect(nodeVerify("sha256", data, { key, dsaEncoding: "der" }, signature)).toBe(true);
    expect(nodeVerify("sha256", new TextEncoder().encode("something else"), { key, dsaEncoding: "der" }, signature)).toBe(false);

    expect(material.kind).toBe("publicKey");
    if (material.kind !== "publicKey") return;
    expect(Buffer.from(material.publicKeyDer).equals(Buffer.from(fromToken.publicKeyDer))).toBe(true);
    expect(material.hint).toBe(createHash("sha256").update(material.publicKeyDer).digest("hex"));
    // the key-file side's verify (what `vouch verify --key` runs) accepts it too
    expect(verify(importPublicKey(material.publicKeyDer), data, signature)).toBe(true);
  });

  it("signs again and again (each sign opens and finalizes the module)", async () => {
    const signer = await Pkcs11Signer.open(hsm.uri("signing-key"));
    for (let i = 0; i < 3; i++) {
      const message = new TextEncoder().encode(`message ${i}`);
      const { signature } = await signer.sign(message);
      expect(verify(signer.publicKey.key, message, signature)).toBe(true);
    }
  });

  it("signs with the P-384 key over SHA-384", async () => {
    const signer = await Pkcs11Signer.open(hsm.uri("p384-key"));
    expect(signer.publicKey.keyDetails).toBe("PKIX_ECDSA_P384_SHA_384");
    const { signature } = await signer.sign(data);
    expect(nodeVerify("sha384", data, { key: signer.publicKey.key, dsaEncoding: "der" }, signature)).toBe(true);
  });

  it("signs with the Ed25519 key through CKM_EDDSA (pure Ed25519 over the message)", async (ctx) => {
    if (!hsm.hasEd25519) {
      console.warn("skipped: this SoftHSM2 build has no CKM_EC_EDWARDS_KEY_PAIR_GEN (Ed25519 token keys)");
      ctx.skip();
    }
    const signer = await Pkcs11Signer.open(hsm.uri("ed25519-key"));
    const { signature } = await signer.sign(data);
    expect(signature.length).toBe(64);
    expect(signer.publicKey.keyDetails).toBe("PKIX_ED25519");
    expect(nodeVerify(null, data, signer.publicKey.key, signature)).toBe(true);
  });

  it("finds the key by id alone, and the token by slot-id", async () => {
    const byLabel = await Pkcs11Signer.open(hsm.uri("signing-key"));
    const byId = await Pkcs11Signer.open(hsm.uri(undefined, { path: `slot-id=${hsm.slotId};id=%01` }));
    expect(byId.publicKey.hint).toBe(byLabel.publicKey.hint);
    const { signature } = await byId.sign(data);
    expect(verify(byLabel.publicKey.key, data, signature)).toBe(true);
  });

  it("takes the PIN from VOUCH_PKCS11_PIN, from a pin-source file, or from the prompt", async () => {
    const uri = hsm.uri("signing-key", { pin: false });
    await expect(Pkcs11Signer.open(uri, { env: { VOUCH_PKCS11_PIN: USER_PIN } })).resolves.toBeInstanceOf(Pkcs11Signer);

    const pinFile = join(scratch, "pin");
    writeFileSync(pinFile, `${USER_PIN}\n`);
    await expect(Pkcs11Signer.open(hsm.uri("signing-key", { pin: false, query: `pin-source=file:${pinFile}` }))).resolves.toBeInstanceOf(Pkcs11Signer);

    const asked: string[] = [];
    const prompted = await Pkcs11Signer.open(uri, { prompt: async (question) => (asked.push(question), USER_PIN) });
    expect(asked).toEqual(["Enter PIN for PKCS #11 token (pkcs11:token=vouch-test;object=signing-key): "]);
    const { signature } = await prompted.sign(data);
    expect(verify(prompted.publicKey.key, data, signature)).toBe(true);
  });

  it("refuses a wrong PIN with INPUT_USAGE naming CKR_PIN_INCORRECT", async () => {
    const uri = hsm.uri("signing-key", { pin: false, query: "pin-value=0000" });
    const err = await Pkcs11Signer.open(uri).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INPUT_USAGE" });
    expect((err as Error).message).toBe('PKCS #11 login to token "vouch-test" refused: the PIN is incorrect (CKR_PIN_INCORRECT)');
    expect((err as Error).message).not.toContain("0000");
  });

  it("without any PIN source and no terminal, says how to give one", async () => {
    await expect(Pkcs11Signer.open(hsm.uri("signing-key", { pin: false }), { env: {} })).rejects.toMatchObject({
      code: "INPUT_USAGE",
      message: expect.stringContaining("VOUCH_PKCS11_PIN"),
    });
  });

  it("an unknown object label is INPUT_NOT_FOUND listing the token's keys", async () => {
    const err = await Pkcs11Signer.open(hsm.uri("no-such-key")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INPUT_NOT_FOUND" });
    const message = (err as Error).message;
    expect(message).toContain('no private key matching pkcs11:token=vouch-test;object=no-such-key in PKCS #11 token "vouch-test"');
    expect(message).toContain('"signing-key" (id %01)');
    expect(message).toContain('"p384-key" (id %03)');
  });

  it("an unknown token label is INPUT_NOT_FOUND naming the tokens there", async () => {
    const err = await Pkcs11Signer.open(hsm.uri(undefined, { path: "token=other;object=signing-key" })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INPUT_NOT_FOUND" });
    expect((err as Error).message).toContain('no PKCS #11 token matches the URI\'s token=other; its tokens: "vouch-test"');
  });

  it("several keys matching is INPUT_USAGE, not a guess", async () => {
    const err = await Pkcs11Signer.open(hsm.uri(undefined, { path: "token=vouch-test" })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INPUT_USAGE" });
    expect((err as Error).message).toMatch(/^\d+ private keys match pkcs11:token=vouch-test in token "vouch-test"/);
  });

  it("an RSA key is INPUT_UNSUPPORTED_FORMAT", async () => {
    await expect(Pkcs11Signer.open(hsm.uri("rsa-key"))).rejects.toMatchObject({
      code: "INPUT_UNSUPPORTED_FORMAT",
      message: expect.stringContaining("is an RSA key"),
    });
  });

  it("type=public cannot sign; an unknown path attribute matches nothing (RFC 7512 §2.5)", async () => {
    await expect(Pkcs11Signer.open(hsm.uri(undefined, { path: "token=vouch-test;object=signing-key;type=public" }))).rejects.toMatchObject({ code: "INPUT_USAGE" });
    await expect(Pkcs11Signer.open(hsm.uri(undefined, { path: "token=vouch-test;object=signing-key;x-vendor=1" }))).rejects.toMatchObject({
      code: "INPUT_USAGE",
      message: expect.stringContaining('path attribute "x-vendor"'),
    });
  });

  it("pkcs11PublicKey reads the public key object without a PIN, and the private key's public half with one", async () => {
    const signer = await Pkcs11Signer.open(hsm.uri("signing-key"));
    const pub = await pkcs11PublicKey(hsm.uri(undefined, { pin: false, path: "token=vouch-test;id=%01;type=public" }));
    expect(pub.hint).toBe(signer.publicKey.hint);
    const viaPrivate = await pkcs11PublicKey(hsm.uri(undefined, { path: "token=vouch-test;object=signing-key;type=private" }));
    expect(viaPrivate.hint).toBe(signer.publicKey.hint);
    await expect(pkcs11PublicKey(hsm.uri("nothing-here", { pin: false }))).rejects.toMatchObject({
      code: "INPUT_NOT_FOUND",
      message: expect.stringContaining("private keys are visible only after login"),
    });
  });

  it("the module comes from module-path, VOUCH_PKCS11_MODULE_PATH or module-name", () => {
    const bare = parsePkcs11Uri("pkcs11:token=vouch-test;object=signing-key");
    expect(resolveModulePath(bare, { env: { VOUCH_PKCS11_MODULE_PATH: hsm.modulePath } })).toBe(hsm.modulePath);
    const dir = hsm.modulePath.slice(0, hsm.modulePath.lastIndexOf("/"));
    expect(resolveModulePath(parsePkcs11Uri("pkcs11:?module-name=libsofthsm2"), { moduleDirs: [dir] })).toBe(hsm.modulePath);
    expect(resolveModulePath(parsePkcs11Uri(`pkcs11:?module-path=${dir}&module-name=softhsm2`), {})).toBe(hsm.modulePath);
    expect(() => resolveModulePath(bare, { env: {} })).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }));
    expect(() => resolveModulePath(parsePkcs11Uri("pkcs11:?module-path=/nonexistent/libnothing.so"), {})).toThrow(expect.objectContaining({ code: "INPUT_NOT_FOUND" }));
  });

  it("a module that is not a PKCS #11 library is INPUT_UNREADABLE", async () => {
    const notALibrary = join(scratch, "not-a-library.so");
    writeFileSync(notALibrary, "not ELF");
    await expect(Pkcs11Signer.open(`pkcs11:token=vouch-test;object=signing-key?module-path=${notALibrary}&pin-value=${USER_PIN}`)).rejects.toMatchObject({
      code: "INPUT_UNREADABLE",
    });
  });

  describe("a key whose only public half is an X.509 certificate object (as on PIV cards)", () => {
    /** A fresh P-256 key and a self-signed certificate for it (openssl, which Debian ships beside SoftHSM2). */
    function keyAndCertificate(name: string): { privateKeyPem: string; certificateDer: Uint8Array } | undefined {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const privateKeyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
      const keyFile = join(scratch, `${name}.key`);
      const certFile = join(scratch, `${name}.der`);
      writeFileSync(keyFile, privateKeyPem);
      const made = spawnSync("openssl", ["req", "-x509", "-new", "-key", keyFile, "-subj", `/CN=${name}`, "-days", "1", "-outform", "DER", "-out", certFile]);
      if (made.error !== undefined || made.status !== 0) return undefined;
      return { privateKeyPem, certificateDer: readFileSync(certFile) };
    }

    it("signs, naming the key by the certificate's public key", async (ctx) => {
      const made = keyAndCertificate("piv-key");
      if (made === undefined) {
        console.warn("skipped: openssl is not installed (it makes the certificate objects)");
        return ctx.skip();
      }
      importKeyWithCertificate(hsm, { label: "piv-key", id: 0x05, ...made });
      const signer = await Pkcs11Signer.open(hsm.uri("piv-key"));
      const { signature, material } = await signer.sign(data);
      const expected = createPublicKey(made.privateKeyPem).export({ type: "spki", format: "der" });
      expect(material.kind === "publicKey" && Buffer.from(material.publicKeyDer).equals(expected)).toBe(true);
      expect(nodeVerify("sha256", data, { key: createPublicKey(made.privateKeyPem), dsaEncoding: "der" }, signature)).toBe(true);
      expect((await pkcs11PublicKey(hsm.uri("piv-key", { pin: false }))).hint).toBe(signer.publicKey.hint);
    });

    it("refuses to sign when the certificate belongs to another key (INPUT_MALFORMED), instead of writing a bundle that cannot verify", async (ctx) => {
      const one = keyAndCertificate("one");
      const other = keyAndCertificate("other");
      if (one === undefined || other === undefined) {
        console.warn("skipped: openssl is not installed (it makes the certificate objects)");
        return ctx.skip();
      }
      importKeyWithCertificate(hsm, { label: "mismatched-key", id: 0x06, privateKeyPem: one.privateKeyPem, certificateDer: other.certificateDer });
      const signer = await Pkcs11Signer.open(hsm.uri("mismatched-key"));
      await expect(signer.sign(data)).rejects.toMatchObject({ code: "INPUT_MALFORMED", message: expect.stringContaining("mismatched key objects") });
    });
  });
});
