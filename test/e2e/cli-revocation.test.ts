import { createHash, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";

/**
 * `vouch key revoke` / `key revocations [export]` and `vouch verify` refusing a revoked key, end to end with a temporary
 * --data-dir. `vouch sign` makes a keyed bundle with no log entry, so the signature has no trusted time: once the key is
 * revoked it must not verify. (The before/after-the-compromise cases need a trusted time: src/verify/revocation.test.ts.)
 */
const work = mkdtempSync(join(tmpdir(), "vouch-revocation-e2e-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PASSWORD = { VOUCH_PASSWORD: "correct horse battery staple" };
const dataDir = join(work, "data");
const prefix = join(work, "release");
const artifact = join(work, "app.tar.gz");
const bundle = `${artifact}.sigstore.json`;
const listFile = join(dataDir, "revocations.dsse.json");
let keyId = "";

/** Keyed bundles from `vouch sign` carry no log entry: verify them without the log and time thresholds. */
const verifyArgs = (...extra: string[]) => ["verify", artifact, "--bundle", bundle, "--key", `${prefix}.pub`, "--tlog-threshold", "0", "--timestamp-threshold", "0", ...extra];

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

beforeAll(() => {
  expect(vouch(["key", "generate", "--out", prefix], { env: PASSWORD }).code).toBe(0);
  writeFileSync(artifact, "release contents\n");
  expect(vouch(["sign", artifact, "--key", `${prefix}.key`], { env: PASSWORD }).code).toBe(0);
  const der = createPublicKey(readFileSync(`${prefix}.pub`, "utf8")).export({ type: "spki", format: "der" });
  keyId = createHash("sha256").update(der).digest("hex");
});

describe("vouch key revoke and vouch verify", () => {
  it("verifies before the revocation, and refuses the revoked key's signature (no trusted time) with exit 1 after", () => {
    const before = vouch(["--data-dir", dataDir, ...verifyArgs()]);
    expect(before.code).toBe(0);
    expect(before.stdout).not.toContain("revocation");

    const revoke = vouch(["--data-dir", dataDir, "key", "revoke", `${prefix}.pub`, "--compromised-at", "2024-05-01T09:30:00Z", "--reason", "laptop stolen"], { env: PASSWORD });
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toBe(`Revoked key ${keyId} (compromised at 2024-05-01T09:30:00.000Z); recorded in ${listFile}\n`);
    expect(revoke.stderr).toBe(`Created the revocation list key ${join(dataDir, "revocation-list.key")} (encrypted)\n`);
    expect(statSync(join(dataDir, "revocation-list.key")).mode & 0o777).toBe(0o600);

    const after = vouch(["--data-dir", dataDir, ...verifyArgs()]);
    expect(after.code).toBe(1);
    expect(oneLine(after.stderr)).toBe(
      `vouch: key ${keyId} is revoked (compromised at 2024-05-01T09:30:00.000Z: laptop stolen) and the signature has no trusted signing time (verified log integrated time or RFC 3161 timestamp) to show it was made before the compromise`,
    );
    // VOUCH_DATA_DIR is the same directory.
    expect(vouch(verifyArgs(), { env: { VOUCH_DATA_DIR: dataDir } }).code).toBe(1);
    // A data directory without a list does not revoke anything.
    expect(vouch(["--data-dir", join(work, "empty"), ...verifyArgs()]).code).toBe(0);
  });

  it("is idempotent, lists the revocations as text and JSON, and rejects bad times", () => {
    const again = vouch(["--data-dir", dataDir, "key", "revoke", `${prefix}.pub`, "--compromised-at", "2024-05-01T11:30:00+02:00", "--reason", "laptop stolen"], { env: PASSWORD });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`Key ${keyId} was already revoked as compromised at 2024-05-01T09:30:00.000Z; nothing changed\n`);

    const text = vouch(["--data-dir", dataDir, "key", "revocations"]);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[1]).toMatch(new RegExp(`^${keyId}  2024-05-01T09:30:00.000Z  \\S+  laptop stolen$`));
    const json = vouch(["--data-dir", dataDir, "key", "revocations", "-o", "json"]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.mediaType).toBe("application/vnd.vouch.revocations+json;version=0.1");
    expect(doc.revocations).toEqual([
      { keyId, publicKey: readFileSync(`${prefix}.pub`, "utf8"), compromisedAt: "2024-05-01T09:30:00.000Z", reason: "laptop stolen", revokedAt: expect.stringMatching(/Z$/) },
    ]);
    expect(doc.listKeyId).toMatch(/^[0-9a-f]{64}$/);

    const empty = vouch(["--data-dir", join(work, "none"), "key", "revocations", "-o", "json"]);
    expect(JSON.parse(empty.stdout).revocations).toEqual([]);

    const bad = vouch(["--data-dir", dataDir, "key", "revoke", `${prefix}.pub`, "--compromised-at", "last tuesday", "--reason", "x"]);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toBe("vouch: --compromised-at last tuesday: not an RFC 3339 time (e.g. 2025-01-31T12:00:00Z)");
    expect(vouch(["--data-dir", dataDir, "key", "revoke", `${prefix}.pub`, "--compromised-at", "2024-01-01T00:00:00Z"]).code).toBe(2);
    // The list key is encrypted: changing the list needs its password.
    const other = join(work, "other");
    expect(vouch(["key", "generate", "--out", other], { env: PASSWORD }).code).toBe(0);
    const locked = vouch(["--data-dir", dataDir, "key", "revoke", `${other}.pub`, "--compromised-at", "2024-01-01T00:00:00Z", "--reason", "x"]);
    expect(locked.code).toBe(2);
    expect(oneLine(locked.stderr)).toContain(`${join(dataDir, "revocation-list.key")}: a key password is needed`);
  });

  it("exports the signed list; --revocations FILE applies it in a fresh data directory", () => {
    const exported = join(work, "revocations.json");
    const r = vouch(["--data-dir", dataDir, "key", "revocations", "export", "--out", exported]);
    expect(r.code).toBe(0);
    const file = JSON.parse(readFileSync(exported, "utf8"));
    expect(Object.keys(file).sort()).toEqual(["list", "publicKey"]);
    expect(file.publicKey).toBe(readFileSync(join(dataDir, "revocation-list.pub"), "utf8"));
    expect(file.list.payloadType).toBe("application/vnd.vouch.revocations+json;version=0.1");

    const fresh = join(work, "fresh");
    expect(vouch(["--data-dir", fresh, ...verifyArgs()]).code).toBe(0);
    const refused = vouch(["--data-dir", fresh, ...verifyArgs("--revocations", exported)]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toContain(`vouch: key ${keyId} is revoked (compromised at 2024-05-01T09:30:00.000Z: laptop stolen)`);

    // An export whose list was edited (the revocation dropped) does not load: exit 2, naming the file.
    const payload = JSON.parse(Buffer.from(file.list.payload, "base64").toString());
    payload.revocations = [];
    const edited = join(work, "edited.json");
    writeFileSync(edited, JSON.stringify({ ...file, list: { ...file.list, payload: Buffer.from(JSON.stringify(payload)).toString("base64") } }, null, 2));
    const tampered = vouch(["--data-dir", fresh, ...verifyArgs("--revocations", edited)]);
    expect(tampered.code).toBe(2);
    expect(oneLine(tampered.stderr)).toMatch(new RegExp(`^vouch: ${edited}:\\d+: revocation list: list\\.signatures\\[0\\]\\.sig: does not verify with the export's publicKey`));
    expect(vouch(["--data-dir", fresh, ...verifyArgs("--revocations", join(work, "missing.json"))]).code).toBe(2);
    expect(vouch(["--data-dir", fresh, "key", "revocations", "export", "--out", join(work, "nothing.json")]).code).toBe(2);
  });

  it("a tampered or unsigned revocations.dsse.json is exit 2 naming the file, never ignored", () => {
    const original = readFileSync(listFile, "utf8");
    try {
      const envelope = JSON.parse(original);
      const payload = JSON.parse(Buffer.from(envelope.payload, "base64").toString());
      payload.revocations = [];
      writeFileSync(listFile, JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify(payload)).toString("base64") }, null, 2));
      const r = vouch(["--data-dir", dataDir, ...verifyArgs()]);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^vouch: ${listFile}:\\d+: revocation list: signatures\\[0\\]\\.sig: does not verify with revocation-list\\.pub`));
      expect(vouch(["--data-dir", dataDir, "key", "revocations"]).code).toBe(2);

      writeFileSync(listFile, JSON.stringify({ ...envelope, signatures: [] }, null, 2));
      const unsigned = vouch(["--data-dir", dataDir, ...verifyArgs()]);
      expect(unsigned.code).toBe(2);
      expect(oneLine(unsigned.stderr)).toContain(`vouch: ${listFile}:`);
      expect(unsigned.stderr).toContain("signatures: must hold exactly one signature");

      writeFileSync(listFile, "{ not json");
      const garbled = vouch(["--data-dir", dataDir, ...verifyArgs()]);
      expect(garbled.code).toBe(2);
      expect(oneLine(garbled.stderr)).toContain(`vouch: ${listFile}:1: not valid JSON`);
    } finally {
      writeFileSync(listFile, original);
    }
    expect(vouch(["--data-dir", dataDir, ...verifyArgs()]).code).toBe(1);
  });
});
