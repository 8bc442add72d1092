import { createHash, generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { leafHash, verifyConsistency, verifyInclusion } from "../core/merkle/index.js";
import { parseSignedNote, verifyNoteSignature } from "../core/note/index.js";
import type { LogStore } from "../store/ports.js";
import { openFsLogStore } from "../store/fs/log-store.js";
import { openPostgresLogStore } from "../store/postgres/log-store.js";
import { openSqliteLogStore } from "../store/sqlite/log-store.js";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../../test/support/postgres.js";
import { caChain, precertificate } from "../../test/support/ct-chain.js";
import { rejectedVouchError, thrownVouchError } from "../../test/support/errors.js";
import { MemoryLogStore } from "../../test/support/memory-log-store.js";
import { buildCertificate, ecKey } from "../../test/support/x509-builder.js";
import { CtLog, ctLogOrigin, ctLogTrustedRootEntry, loadOrCreateCtLogKey, type AddedSct } from "./ct-log.js";
import { fileExtraDataStore, memoryExtraDataStore, type ExtraDataStore } from "./extra-data.js";
import { decodeDigitallySigned, decodeMerkleTreeLeaf, issuerKeyHash, precertificateParts, sctSignatureInput, treeHeadSignatureInput } from "./structures.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vouch-ct-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const { root, intermediate } = caChain();
const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const T = new Date("2025-06-01T12:00:00.123Z");

function start(store: LogStore, options: { extraData?: ExtraDataStore; now?: () => Date; privateKey?: KeyObject } = {}) {
  return CtLog.start({
    store,
    privateKey: options.privateKey ?? key,
    origin: "ct.vouch.test",
    acceptedRoots: [root.der],
    now: options.now ?? (() => T),
    maxDelayMs: 1,
    extraData: options.extraData,
  });
}

function checkSct(log: CtLog, added: AddedSct, precertDer: Uint8Array) {
  const { sct } = added;
  expect(sct).toMatchObject({ version: 0, logId: log.logId, hashAlgorithm: 4, signatureAlgorithm: 3, extensions: new Uint8Array() });
  const entry = { type: "precert" as const, issuerKeyHash: issuerKeyHash(intermediate.der), tbsCertificate: precertificateParts(precertDer).tbsCertificate };
  const signed = sctSignatureInput({ timestamp: sct.timestamp, entry, extensions: new Uint8Array() });
  expect(verify("sha256", signed, { key, dsaEncoding: "der" }, sct.signature)).toBe(true);
}

/** Each driver gives a new location and opens the store there (again, for a restart). */
const drivers: [string, () => () => Promise<LogStore>][] = [
  [
    "memory",
    () => {
      // The in-memory store's contents live in its object: "reopening" hands back the same object, lease released.
      const store = new MemoryLogStore();
      return async () => Object.assign(store, { leased: false });
    },
  ],
  [
    "filesystem",
    () => {
      const dir = join(tempDir(), "tree");
      return () => openFsLogStore(dir);
    },
  ],
  [
    "SQLite",
    () => {
      const file = join(tempDir(), "ct.db");
      return () => openSqliteLogStore(file);
    },
  ],
];

// PostgreSQL: the CT log in schema "ct" of a database the transparency log also uses (src/store/postgres).
const databases: TestDatabase[] = [];
if ((await postgresUnavailable()) === undefined) {
  drivers.push([
    "PostgreSQL (schema ct, beside the transparency log)",
    () => {
      let url: Promise<string> | undefined;
      return async () => {
        url ??= createTestDatabase().then(async (database) => {
          databases.push(database);
          await (await openPostgresLogStore(database.url)).close();
          return database.url;
        });
        return openPostgresLogStore(await url, { schema: "ct" });
      };
    },
  ]);
}
afterAll(async () => {
  for (const database of databases.splice(0)) await database.drop();
});

for (const [driver, location] of drivers) {
  const open = () => location()();
  describe(`CT log over the ${driver} store`, () => {
    it("logs a precertificate, answers with an SCT over it, and proves its inclusion under a signed tree head", async () => {
      const log = await start(await open(), { extraData: memoryExtraDataStore() });
      try {
        const pre = precertificate(intermediate);
        const added = await log.addPreChain([pre.der, intermediate.der]);
        checkSct(log, added, pre.der);
        expect(added).toMatchObject({ leafIndex: 0, duplicate: false });
        expect(added.sct.timestamp).toBe(BigInt(T.getTime()));

        const sth = await log.signedTreeHead();
        expect(sth.treeSize).toBe(1);
        expect(sth.timestamp).toBe(BigInt(T.getTime()));
        const ths = decodeDigitallySigned(sth.treeHeadSignature);
        expect(ths).toMatchObject({ hashAlgorithm: 4, signatureAlgorithm: 3 });
        expect(verify("sha256", treeHeadSignatureInput(sth), { key, dsaEncoding: "der" }, ths.signature)).toBe(true);

        const { leafIndex, auditPath } = await log.proofByHash(added.leafHash, 1);
        expect(verifyInclusion(BigInt(leafIndex), 1n, added.leafHash, auditPath, sth.rootHash).ok).toBe(true);

        const [entry] = await log.entries(0, 0);
        expect(leafHash(entry!.leafInput)).toEqual(added.leafHash);
        const leaf = decodeMerkleTreeLeaf(entry!.leafInput);
        expect(leaf.timestamp).toBe(added.sct.timestamp);
        expect(leaf.entry).toMatchObject({ type: "precert", issuerKeyHash: issuerKeyHash(intermediate.der) });
        // extra_data: the whole precertificate, then its chain up to the root (appended by the log).
        expect(entry!.extraData.length).toBe(3 + pre.der.length + 3 + 3 + intermediate.der.length + 3 + root.der.length);
      } finally {
        await log.close();
      }
    });

    it("answers a resubmission with the same SCT and adds nothing; a new certificate gets a new leaf", async () => {
      const log = await start(await open());
      try {
        const pre = precertificate(intermediate);
        const [a, b] = await Promise.all([log.addPreChain([pre.der, intermediate.der]), log.addPreChain([pre.der, intermediate.der])]);
        expect(b.encoded).toEqual(a.encoded);
        expect(b.duplicate).toBe(true);
        const again = await log.addPreChain([pre.der, intermediate.der, root.der]);
        expect(again.encoded).toEqual(a.encoded);
        expect((await log.signedTreeHead()).treeSize).toBe(1);

        const other = await log.addPreChain([precertificate(intermediate).der, intermediate.der]);
        expect(other.leafIndex).toBe(1);
        const cert = buildCertificate({ issuer: intermediate });
        const x509 = await log.addChain([cert.der, intermediate.der]);
        expect(x509.leafIndex).toBe(2);
        const entry = { type: "x509" as const, certificate: cert.der };
        expect(verify("sha256", sctSignatureInput({ timestamp: x509.sct.timestamp, entry, extensions: new Uint8Array() }), { key, dsaEncoding: "der" }, x509.sct.signature)).toBe(true);

        const sth = await log.signedTreeHead();
        const first = await log.consistency(1, 3);
        const leaves = (await log.entries(0, 10)).map((e) => leafHash(e.leafInput));
        expect(leaves).toHaveLength(3);
        const { rootHash: root1 } = { rootHash: leaves[0]! };
        expect(verifyConsistency(1n, 3n, first, root1, sth.rootHash).ok).toBe(true);
      } finally {
        await log.close();
      }
    });

    it("keeps its tree head across a restart, and the next entry follows on", async () => {
      const at = location();
      const first = await start(await at());
      const added = await first.addPreChain([precertificate(intermediate).der, intermediate.der]);
      const before = await first.signedTreeHead();
      await first.close();
      const reopened = await start(await at());
      try {
        const after = await reopened.signedTreeHead();
        expect(after).toEqual(before);
        const next = await reopened.addPreChain([precertificate(intermediate).der, intermediate.der]);
        expect(next.leafIndex).toBe(added.leafIndex + 1);
      } finally {
        await reopened.close();
      }
    });
  });
}

describe("CT log replicas", () => {
  it("a process without the sequencer lease logs through the store's shared queue (SQLite)", async () => {
    const file = join(tempDir(), "ct.db");
    const sequencing = await start(await openSqliteLogStore(file));
    const replica = await start(await openSqliteLogStore(file));
    try {
      expect([sequencing.sequencing, replica.sequencing]).toEqual([true, false]);
      const pre = precertificate(intermediate);
      const added = await replica.addPreChain([pre.der, intermediate.der]);
      checkSct(replica, added, pre.der);
      const sth = await replica.signedTreeHead();
      expect(sth.treeSize).toBe(1);
      expect(await sequencing.signedTreeHead()).toEqual(sth);
      const { auditPath } = await replica.proofByHash(added.leafHash, 1);
      expect(verifyInclusion(0n, 1n, added.leafHash, auditPath, sth.rootHash).ok).toBe(true);
    } finally {
      await replica.close();
      await sequencing.close();
    }
  });
});

describe("CT log chain validation", () => {
  const log = () => start(new MemoryLogStore());

  it("refuses chains it cannot accept, naming why", async () => {
    const ct = await log();
    try {
      const pre = precertificate(intermediate).der;
      const cert = buildCertificate({ issuer: intermediate }).der;
      const stranger = caChain("stranger");
      const notCa = buildCertificate({ subject: "not a CA", issuer: root });
      const underNotCa = precertificate(notCa).der;
      const cases: [string, () => Promise<unknown>, RegExp][] = [
        ["empty", () => ct.addPreChain([]), /empty/],
        ["truncated", () => ct.addPreChain([pre.subarray(0, pre.length - 10), intermediate.der]), /chain\[0\] is not a DER certificate/],
        ["garbage", () => ct.addChain([Uint8Array.of(1, 2, 3)]), /chain\[0\] is not a DER certificate/],
        ["no poison", () => ct.addPreChain([cert, intermediate.der]), /no poison extension/],
        ["poison not critical", () => ct.addPreChain([precertificate(intermediate, { poisonCritical: false }).der, intermediate.der]), /not critical/],
        ["poison not NULL", () => ct.addPreChain([precertificate(intermediate, { poisonValue: Uint8Array.of(4, 0) }).der, intermediate.der]), /not ASN.1 NULL/],
        ["precert to add-chain", () => ct.addChain([pre, intermediate.der]), /add-pre-chain/],
        ["wrong issuer", () => ct.addPreChain([pre, stranger.intermediate.der]), /chain\[0\] is not signed by chain\[1\]/],
        ["issuer not a CA", () => ct.addPreChain([underNotCa, notCa.der]), /chain\[1\] is not a CA/],
        ["unknown root", () => ct.addPreChain([precertificate(stranger.intermediate).der, stranger.intermediate.der, stranger.root.der]), /root this log accepts/],
        ["too long", () => ct.addChain(Array.from({ length: 11 }, () => cert)), /at most 10/],
      ];
      for (const [what, run, message] of cases) {
        const error = await rejectedVouchError(run);
        expect({ what, code: error.code }).toEqual({ what, code: "CT_CHAIN_INVALID" });
        expect(error.message).toMatch(message);
      }
      expect((await ct.signedTreeHead()).treeSize).toBe(0);
    } finally {
      await ct.close();
    }
  });

  it("accepts a chain that stops below the root, and a precertificate issued by the root itself", async () => {
    const ct = await log();
    try {
      const added = await ct.addPreChain([precertificate(intermediate).der, intermediate.der]);
      expect(added.leafIndex).toBe(0);
      const direct = await ct.addPreChain([precertificate(root).der]);
      expect(direct.leafIndex).toBe(1);
    } finally {
      await ct.close();
    }
  });

  it("refuses keys RFC 6962 does not allow, and an accepted root that is not a certificate", async () => {
    const ed = generateKeyPairSync("ed25519").privateKey;
    expect((await rejectedVouchError(() => start(new MemoryLogStore(), { privateKey: ed }))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    const error = await rejectedVouchError(() => CtLog.start({ store: new MemoryLogStore(), privateKey: key, origin: "x", acceptedRoots: [Uint8Array.of(1)] }));
    expect(error.code).toBe("INPUT_MALFORMED");
  });
});

describe("CT log tree heads", () => {
  it("signs each checkpoint with an ECDSA note signature and an RFC6962NoteSignature (static-ct-api)", async () => {
    const store = new MemoryLogStore();
    let now = T;
    const ct = await start(store, { now: () => now });
    try {
      now = new Date(T.getTime() + 5000);
      await ct.addPreChain([precertificate(intermediate).der, intermediate.der]);
      const checkpoint = await ct.checkpoint();
      const note = parseSignedNote(checkpoint);
      expect(note.text.split("\n")[0]).toBe("ct.vouch.test");
      expect(verifyNoteSignature(note, { name: "ct.vouch.test", publicKeyDer: ct.publicKeyDer, keyDetails: "PKIX_ECDSA_P256_SHA_256" })).toMatchObject({ ok: true });
      const rfc = note.signatures[1]!;
      const keyId = createHash("sha256").update("ct.vouch.test\n").update(Uint8Array.of(5)).update(ct.logId).digest().subarray(0, 4);
      expect(Buffer.from(rfc.keyId).equals(keyId)).toBe(true);
      const sth = await ct.signedTreeHead();
      expect(sth.timestamp).toBe(BigInt(now.getTime()));
      expect(Buffer.from(rfc.signature.subarray(8)).equals(Buffer.from(sth.treeHeadSignature))).toBe(true);
    } finally {
      await ct.close();
    }
  });

  it("never serves a tree head whose stored signature does not verify", async () => {
    const store = new MemoryLogStore();
    const ct = await start(store);
    await ct.addPreChain([precertificate(intermediate).der, intermediate.der]);
    await ct.close();
    // Another key's checkpoint in the store (a swapped or damaged file): the log refuses to serve it as its own.
    const other = await start(Object.assign(store, { leased: false }), { privateKey: ecKey().privateKey });
    try {
      const error = await rejectedVouchError(() => other.signedTreeHead());
      expect(error.code).toBe("STORE_CORRUPT");
    } finally {
      await other.close();
    }
  });
});

describe("CT log key and trusted root entry", () => {
  it("creates the key once in <dir>/ct-key.pem and describes the log for trusted_root.json", () => {
    const dir = tempDir();
    const first = loadOrCreateCtLogKey(dir);
    const pem = readFileSync(join(dir, "ct-key.pem"), "utf8");
    const second = loadOrCreateCtLogKey(dir);
    expect(readFileSync(join(dir, "ct-key.pem"), "utf8")).toBe(pem);
    expect(second.privateKey.export({ format: "pem", type: "pkcs8" })).toBe(first.privateKey.export({ format: "pem", type: "pkcs8" }));
    expect(first.createdAt.getTime()).toBeGreaterThan(0);

    const spki = new Uint8Array(Buffer.from("3059", "hex"));
    const entry = ctLogTrustedRootEntry({ publicKeyDer: spki }, "https://vouch.example.com", new Date("2025-01-01T00:00:00Z"));
    expect(entry).toEqual({
      baseUrl: "https://vouch.example.com",
      hashAlgorithm: "SHA2_256",
      publicKey: { rawBytes: "MFk=", keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: "2025-01-01T00:00:00.000Z" } },
      logId: { keyId: createHash("sha256").update(spki).digest("base64") },
    });
    expect(ctLogOrigin("https://vouch.example.com/ct/")).toBe("vouch.example.com/ct");
    expect(ctLogOrigin("http://127.0.0.1:3000")).toBe("127.0.0.1:3000");
  });

  it("refuses an Ed25519 key file", () => {
    const dir = tempDir();
    loadOrCreateCtLogKey(dir);
    const ed = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" });
    // Planted by hand: a key of the wrong kind where the CT key belongs.
    writeFileSync(join(dir, "ct-key.pem"), ed.toString());
    expect(thrownVouchError(() => loadOrCreateCtLogKey(dir)).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });

  it("keeps extra data in files by leaf hash", async () => {
    const store = fileExtraDataStore(tempDir());
    const hash = new Uint8Array(32).fill(0xab);
    expect(await store.get(hash)).toBeUndefined();
    await store.put(hash, Uint8Array.of(1, 2, 3));
    expect(await store.get(hash)).toEqual(Uint8Array.of(1, 2, 3));
  });
});
