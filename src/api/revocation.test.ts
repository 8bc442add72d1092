import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateKeyPair, keyId, publicKeyPem } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { exportRevocations, loadRevocations, loadRevocationsExport, REVOCATION_FILES, revocationsForVerification, revokeKey } from "./revocation.js";
import { rejectedVouchError } from "../../test/support/errors.js";

const work = mkdtempSync(join(tmpdir(), "vouch-revocation-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const NOW = () => new Date("2025-03-01T00:00:00Z");
const noPassword = { env: {} };

function publicKeyFile(name: string): { path: string; id: string } {
  const pair = generateKeyPair("ecdsa-p256");
  const path = join(work, `${name}.pub`);
  writeFileSync(path, publicKeyPem(pair.publicKey));
  return { path, id: keyId(pair.publicKey) };
}


describe("revokeKey", () => {
  it("creates the list key (unencrypted without a password, 0600) and a signed list on first use; idempotent after", async () => {
    const dataDir = join(work, "first");
    const k = publicKeyFile("first");
    const r = await revokeKey({ dataDir, key: k.path, compromisedAt: "2025-01-31T12:00:00+01:00", reason: " laptop stolen ", password: noPassword, now: NOW });
    expect(r).toMatchObject({ added: true, listPath: join(dataDir, REVOCATION_FILES.list), listKeyCreated: { path: join(dataDir, REVOCATION_FILES.privateKey), encrypted: false } });
    expect(r.revocation).toMatchObject({ keyId: k.id, compromisedAt: new Date("2025-01-31T11:00:00Z"), reason: "laptop stolen", revokedAt: NOW() });
    expect(readdirSync(dataDir).sort()).toEqual([REVOCATION_FILES.privateKey, REVOCATION_FILES.publicKey, REVOCATION_FILES.list].sort());
    expect(statSync(join(dataDir, REVOCATION_FILES.privateKey)).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dataDir, REVOCATION_FILES.privateKey), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const loaded = loadRevocations(dataDir)!;
    expect(loaded.list.revocations).toEqual([r.revocation]);
    expect(loaded.listKeyId).toBe(r.listKeyId);

    const before = readFileSync(r.listPath, "utf8");
    const again = await revokeKey({ dataDir, key: k.path, compromisedAt: "2025-01-31T11:00:00.000Z", reason: "other words", password: noPassword, now: NOW });
    expect(again).toMatchObject({ added: false, revocation: { reason: "laptop stolen" } });
    expect(again.listKeyCreated).toBeUndefined();
    expect(readFileSync(r.listPath, "utf8")).toBe(before);

    // A second key (and a second time for the first) is added under the same list key.
    const k2 = publicKeyFile("first-2");
    const second = await revokeKey({ dataDir, key: k2.path, compromisedAt: "2024-12-01T00:00:00Z", reason: "left the company", password: noPassword, now: NOW });
    await revokeKey({ dataDir, key: k.path, compromisedAt: "2024-12-01T00:00:00Z", reason: "earlier", password: noPassword, now: NOW });
    expect(second.listKeyId).toBe(r.listKeyId);
    expect(loadRevocations(dataDir)!.list.revocations.map((e) => e.keyId).sort()).toEqual([k.id, k.id, k2.id].sort());
    expect(readdirSync(dataDir)).not.toContain(REVOCATION_FILES.lock);
  });

  it("encrypts the list key with VOUCH_PASSWORD, and then needs it to change the list", async () => {
    const dataDir = join(work, "encrypted");
    const password = { env: { VOUCH_PASSWORD: "s3cret" } };
    const r = await revokeKey({ dataDir, key: publicKeyFile("enc").path, compromisedAt: "2025-01-01T00:00:00Z", reason: "leak", password, now: NOW });
    expect(r.listKeyCreated).toEqual({ path: join(dataDir, REVOCATION_FILES.privateKey), encrypted: true });
    expect(readFileSync(join(dataDir, REVOCATION_FILES.privateKey), "utf8")).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const without = await rejectedVouchError(() => revokeKey({ dataDir, key: publicKeyFile("enc-2").path, compromisedAt: "2025-01-01T00:00:00Z", reason: "leak", password: noPassword, now: NOW }));
    expect(without).toMatchObject({ code: "INPUT_USAGE", location: { file: join(dataDir, REVOCATION_FILES.privateKey) } });
    const wrong = await rejectedVouchError(() =>
      revokeKey({ dataDir, key: publicKeyFile("enc-3").path, compromisedAt: "2025-01-01T00:00:00Z", reason: "leak", password: { env: { VOUCH_PASSWORD: "nope" } }, now: NOW }),
    );
    expect(wrong.code).toBe("INPUT_UNREADABLE");
    expect(loadRevocations(dataDir)!.list.revocations).toHaveLength(1);
    await revokeKey({ dataDir, key: publicKeyFile("enc-4").path, compromisedAt: "2025-01-01T00:00:00Z", reason: "leak", password, now: NOW });
    expect(loadRevocations(dataDir)!.list.revocations).toHaveLength(2);
  });

  it("refuses bad input before touching the data directory", async () => {
    const dataDir = join(work, "untouched");
    const k = publicKeyFile("bad-input");
    const attempt = (over: Partial<Parameters<typeof revokeKey>[0]>) =>
      rejectedVouchError(() => revokeKey({ dataDir, key: k.path, compromisedAt: "2025-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW, ...over }));
    expect((await attempt({ compromisedAt: "2025-01-01" })).message).toBe("--compromised-at 2025-01-01: not an RFC 3339 time (e.g. 2025-01-31T12:00:00Z)");
    expect((await attempt({ compromisedAt: "2205-01-01T00:00:00Z" })).message).toBe("--compromised-at 2205-01-01T00:00:00.000Z is in the future");
    expect((await attempt({ reason: "  " })).code).toBe("INPUT_USAGE");
    expect((await attempt({ reason: "two\nlines" })).code).toBe("INPUT_USAGE");
    expect(await attempt({ key: join(work, "missing.pub") })).toMatchObject({ code: "INPUT_NOT_FOUND", location: { file: join(work, "missing.pub") } });
    const privateFile = join(work, "private.pem");
    writeFileSync(privateFile, generateKeyPair().privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    expect(await attempt({ key: privateFile })).toMatchObject({ code: "INPUT_USAGE", location: { file: privateFile } });
    const garbage = join(work, "garbage.pub");
    writeFileSync(garbage, "not a key\n");
    expect(await attempt({ key: garbage })).toMatchObject({ code: "INPUT_MALFORMED", location: { file: garbage } });
    expect(existsSync(dataDir)).toBe(false);
  });

  it("refuses while another writer holds the lock, and a list key that does not match its .pub", async () => {
    const dataDir = join(work, "locked");
    const k = publicKeyFile("locked");
    await revokeKey({ dataDir, key: k.path, compromisedAt: "2025-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW });
    writeFileSync(join(dataDir, REVOCATION_FILES.lock), "12345\n");
    const busy = await rejectedVouchError(() => revokeKey({ dataDir, key: k.path, compromisedAt: "2024-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW }));
    expect(busy).toMatchObject({ code: "INPUT_USAGE", location: { file: join(dataDir, REVOCATION_FILES.lock) } });
    rmSync(join(dataDir, REVOCATION_FILES.lock));

    writeFileSync(join(dataDir, REVOCATION_FILES.privateKey), generateKeyPair().privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    const mismatch = await rejectedVouchError(() => revokeKey({ dataDir, key: k.path, compromisedAt: "2024-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW }));
    expect(mismatch).toMatchObject({ code: "INPUT_MALFORMED", location: { file: join(dataDir, REVOCATION_FILES.privateKey) } });
    expect(loadRevocations(dataDir)!.list.revocations).toHaveLength(1);
  });
});

describe("loadRevocations, export and revocationsForVerification", () => {
  it("is undefined for a directory without a list; a tampered or unsigned list or a missing .pub is an input error naming the file", async () => {
    expect(loadRevocations(join(work, "nothing-here"))).toBeUndefined();
    const dataDir = join(work, "tampered");
    await revokeKey({ dataDir, key: publicKeyFile("tampered").path, compromisedAt: "2025-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW });
    const listPath = join(dataDir, REVOCATION_FILES.list);
    const original = readFileSync(listPath, "utf8");
    const envelope = JSON.parse(original);
    const doc = JSON.parse(Buffer.from(envelope.payload, "base64").toString());
    doc.revocations = [];
    writeFileSync(listPath, JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify(doc)).toString("base64") }));
    const tampered = (() => {
      try {
        loadRevocations(dataDir);
      } catch (e) {
        return e as VouchError;
      }
      throw new Error("expected an error");
    })();
    expect(tampered).toMatchObject({ code: "INPUT_MALFORMED", location: { file: listPath } });
    expect(tampered.describe()).toMatch(new RegExp(`^${listPath}:\\d+: revocation list: signatures\\[0\\]\\.sig: does not verify with revocation-list\\.pub`));

    writeFileSync(listPath, JSON.stringify({ ...envelope, signatures: [] }));
    expect(() => loadRevocations(dataDir)).toThrow(/must hold exactly one signature/);
    writeFileSync(listPath, JSON.stringify(doc));
    expect(() => loadRevocations(dataDir)).toThrow(VouchError);

    writeFileSync(listPath, original);
    expect(loadRevocations(dataDir)!.list.revocations).toHaveLength(1);
    rmSync(join(dataDir, REVOCATION_FILES.publicKey));
    expect(() => loadRevocations(dataDir)).toThrow(expect.objectContaining({ code: "INPUT_NOT_FOUND", location: { file: join(dataDir, REVOCATION_FILES.publicKey) } }));
  });

  it("exports the signed list with its key; the export loads elsewhere and refuses edits", async () => {
    const dataDir = join(work, "exporting");
    expect(() => exportRevocations(dataDir)).toThrow(expect.objectContaining({ code: "INPUT_NOT_FOUND" }));
    const k = publicKeyFile("exported");
    const r = await revokeKey({ dataDir, key: k.path, compromisedAt: "2025-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW });
    const exported = exportRevocations(dataDir);
    expect(Object.keys(exported).sort()).toEqual(["list", "publicKey"]);
    expect(exported.publicKey).toBe(readFileSync(join(dataDir, REVOCATION_FILES.publicKey), "utf8"));
    const file = join(work, "exported.json");
    writeFileSync(file, JSON.stringify(exported, null, 2));
    const loaded = loadRevocationsExport(file);
    expect(loaded.list.revocations.map((e) => e.keyId)).toEqual([k.id]);
    expect(loaded.listKeyId).toBe(r.listKeyId);

    // Another key in the export does not make an edited list verify: the signature is by the original key.
    writeFileSync(file, JSON.stringify({ ...exported, publicKey: publicKeyPem(generateKeyPair().publicKey) }));
    expect(() => loadRevocationsExport(file)).toThrow(expect.objectContaining({ code: "INPUT_MALFORMED", location: expect.objectContaining({ file }) }));
    writeFileSync(file, JSON.stringify({ list: exported.list }));
    expect(() => loadRevocationsExport(file)).toThrow(/publicKey: is missing/);
  });

  it("sees a revocation made after an earlier (cached) load", async () => {
    const dataDir = join(work, "cached");
    const k1 = publicKeyFile("cached-1");
    await revokeKey({ dataDir, key: k1.path, compromisedAt: "2025-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW });
    const first = revocationsForVerification({ dataDir });
    expect(revocationsForVerification({ dataDir })).toBe(first);
    const k2 = publicKeyFile("cached-2");
    await revokeKey({ dataDir, key: k2.path, compromisedAt: "2025-01-01T00:00:00Z", reason: "r", password: noPassword, now: NOW });
    expect(revocationsForVerification({ dataDir })!.list.revocations.map((e) => e.keyId).sort()).toEqual([k1.id, k2.id].sort());
    expect(revocationsForVerification({ dataDir: join(work, "no-list") })).toBeUndefined();
  });
});
