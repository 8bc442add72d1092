import { verify as nodeVerify } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importPrivateKey, importPublicKey, keyId, sign } from "../core/crypto/keys.js";
import { generateKeyFiles } from "./key.js";
import { rejectedVouchError } from "../../test/support/errors.js";

const work = mkdtempSync(join(tmpdir(), "vouch-key-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const password = { env: { VOUCH_PASSWORD: "s3cret" } };


describe("generateKeyFiles", () => {
  it("writes cosign.key (encrypted, 0600) and cosign.pub by default, a working pair", async () => {
    const dir = mkdtempSync(join(work, "default-"));
    const g = await generateKeyFiles({ cwd: dir, password });
    expect(g).toMatchObject({ privateKeyPath: join(dir, "cosign.key"), publicKeyPath: join(dir, "cosign.pub"), algorithm: "ecdsa-p256" });
    expect(statSync(g.privateKeyPath).mode & 0o777).toBe(0o600);
    const privatePem = readFileSync(g.privateKeyPath, "utf8");
    expect(privatePem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const publicKey = importPublicKey(readFileSync(g.publicKeyPath, "utf8"));
    expect(keyId(publicKey)).toBe(g.keyId);
    const data = new TextEncoder().encode("x");
    expect(nodeVerify("sha256", data, publicKey, sign(importPrivateKey(privatePem, "s3cret"), data))).toBe(true);
    // No temporary files left beside them.
    expect(readdirSync(dir).sort()).toEqual(["cosign.key", "cosign.pub"]);
  });

  it("Ed25519 with --algorithm, under a prefix", async () => {
    const g = await generateKeyFiles({ cwd: work, prefix: "release", algorithm: "ed25519", password });
    expect(g.algorithm).toBe("ed25519");
    expect(importPublicKey(readFileSync(join(work, "release.pub"), "utf8")).asymmetricKeyType).toBe("ed25519");
  });

  it("refuses to overwrite either file, and writes nothing then", async () => {
    writeFileSync(join(work, "taken.pub"), "mine");
    const e = await rejectedVouchError(() => generateKeyFiles({ cwd: work, prefix: "taken", password }));
    expect(e.code).toBe("INPUT_USAGE");
    expect(e.describe()).toBe("taken.pub: already exists: refusing to overwrite a key file (remove it or pick another --out)");
    expect(existsSync(join(work, "taken.key"))).toBe(false);
    expect(readFileSync(join(work, "taken.pub"), "utf8")).toBe("mine");
  });

  it("refuses an unknown algorithm, a missing password source and a missing directory", async () => {
    expect((await rejectedVouchError(() => generateKeyFiles({ cwd: work, prefix: "a", algorithm: "rsa", password }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => generateKeyFiles({ cwd: work, prefix: "b", password: { env: {} } }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => generateKeyFiles({ cwd: work, prefix: "no/such/dir/k", password }))).code).toBe("INPUT_NOT_FOUND");
    expect(existsSync(join(work, "b.key"))).toBe(false);
  });
});
