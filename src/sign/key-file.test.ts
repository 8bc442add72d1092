import { verify as nodeVerify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encryptPrivateKey, generateKeyPair, keyId } from "../core/crypto/keys.js";
import { KeyFileSigner, parseKeyRef } from "./key-file.js";
import { resolvePassword } from "./password.js";
import { rejectedVouchError } from "../../test/support/errors.js";

const work = mkdtempSync(join(tmpdir(), "vouch-keyfile-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pair = generateKeyPair();
const encryptedPem = encryptPrivateKey(pair.privateKey, "s3cret");
const keyPath = join(work, "cosign.key");
writeFileSync(keyPath, encryptedPem);
const data = new TextEncoder().encode("artifact");


describe("parseKeyRef", () => {
  it("reads file paths, env://VAR and pkcs11: URIs", () => {
    expect(parseKeyRef("keys/cosign.key")).toEqual({ kind: "file", path: "keys/cosign.key" });
    expect(parseKeyRef("env://SIGNING_KEY")).toEqual({ kind: "env", variable: "SIGNING_KEY" });
    expect(parseKeyRef("pkcs11:token=t;object=o")).toEqual({ kind: "pkcs11", uri: "pkcs11:token=t;object=o" });
  });

  it("refuses an empty ref and a bad variable name", async () => {
    expect((await rejectedVouchError(async () => parseKeyRef(""))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(async () => parseKeyRef("env://1BAD"))).code).toBe("INPUT_USAGE");
  });
});

describe("KeyFileSigner.open", () => {
  it("decrypts a key file with VOUCH_PASSWORD and signs with it", async () => {
    const signer = await KeyFileSigner.open(keyPath, { env: { VOUCH_PASSWORD: "s3cret" } });
    expect(signer.keyId).toBe(keyId(pair.publicKey));
    expect(signer.source).toBe(keyPath);
    const { signature } = await signer.sign(data);
    expect(nodeVerify("sha256", data, pair.publicKey, signature)).toBe(true);
  });

  it("takes the password file before VOUCH_PASSWORD (first line; the newline is not part of it)", async () => {
    const pwFile = join(work, "pw.txt");
    writeFileSync(pwFile, "s3cret\nignored second line\n");
    const signer = await KeyFileSigner.open(keyPath, { env: { VOUCH_PASSWORD: "wrong" }, passwordFile: pwFile });
    expect(signer.keyId).toBe(keyId(pair.publicKey));
  });

  it("asks the prompt only when there is no file and no variable", async () => {
    const asked: string[] = [];
    const signer = await KeyFileSigner.open(keyPath, {
      env: {},
      prompt: (q) => {
        asked.push(q);
        return Promise.resolve("s3cret");
      },
    });
    expect(asked).toEqual(["Enter password for private key: "]);
    expect(signer.keyId).toBe(keyId(pair.publicKey));
  });

  it("reads env://VAR (an encrypted or plain PEM in a CI secret)", async () => {
    const signer = await KeyFileSigner.open("env://SIGNING_KEY", { env: { SIGNING_KEY: encryptedPem, VOUCH_PASSWORD: "s3cret" } });
    expect(signer.keyId).toBe(keyId(pair.publicKey));
    const plainPem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const plain = await KeyFileSigner.open("env://K", { env: { K: plainPem } }); // no password asked for
    expect(plain.keyId).toBe(keyId(pair.publicKey));
  });

  it("without a terminal and no password source: a clear error, no prompt", async () => {
    const e = await rejectedVouchError(() => KeyFileSigner.open(keyPath, { env: {} }));
    expect(e.code).toBe("INPUT_USAGE");
    expect(e.describe()).toBe(`${keyPath}: a key password is needed: set VOUCH_PASSWORD or pass --password-file FILE (no terminal to ask on)`);
  });

  it("a wrong password names the key file", async () => {
    const e = await rejectedVouchError(() => KeyFileSigner.open(keyPath, { env: { VOUCH_PASSWORD: "nope" } }));
    expect(e.code).toBe("INPUT_UNREADABLE");
    expect(e.location.file).toBe(keyPath);
    expect(e.message).toMatch(/wrong password/);
  });

  it("missing file, unset variable, PKCS#11 (not yet)", async () => {
    expect((await rejectedVouchError(() => KeyFileSigner.open(join(work, "nope.key"), { env: {} }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => KeyFileSigner.open("env://UNSET", { env: {} }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => KeyFileSigner.open("pkcs11:token=t", { env: {} }))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });
});

describe("resolvePassword", () => {
  it("refuses an empty VOUCH_PASSWORD and an empty password file", async () => {
    expect((await rejectedVouchError(() => resolvePassword({ env: { VOUCH_PASSWORD: "" } }, { confirm: false }))).message).toBe("VOUCH_PASSWORD is set but empty");
    const empty = join(work, "empty.txt");
    writeFileSync(empty, "\n");
    expect((await rejectedVouchError(() => resolvePassword({ passwordFile: empty }, { confirm: false }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => resolvePassword({ passwordFile: join(work, "missing") }, { confirm: false }))).code).toBe("INPUT_NOT_FOUND");
  });

  it("asks twice for a new key and refuses a mismatch or an empty answer", async () => {
    const answers = (...a: string[]) => () => Promise.resolve(a.shift() ?? "");
    expect(await resolvePassword({ prompt: answers("pw", "pw") }, { confirm: true })).toBe("pw");
    expect((await rejectedVouchError(() => resolvePassword({ prompt: answers("pw", "px") }, { confirm: true }))).message).toBe("passwords do not match");
    expect((await rejectedVouchError(() => resolvePassword({ prompt: answers("") }, { confirm: false }))).message).toBe("empty password");
  });
});
