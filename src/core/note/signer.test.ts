import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { GO_NOTE, REAL_COSIGNED, WITNESS_GO_TEST, goSignerKey } from "../../../test/support/note-keys.js";
import {
  createNoteSigner,
  formatCheckpoint,
  formatSignedNote,
  formatVerifierKey,
  loadVerificationKey,
  noteKeyId,
  noteVerifierFromKey,
  parseCheckpoint,
  parseSignedNote,
  parseVerifierKey,
  signCheckpoint,
  verifyNoteSignature,
  SIGNATURE_TYPE,
} from "./index.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ROOT = new Uint8Array(32).fill(7);
const ed25519 = () => generateKeyPairSync("ed25519").privateKey;
const p256 = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
// Rekor's production ECDSA P-256 key in transparency-dev/formats's 0x02 vkey form (its key ID is the log ID prefix).
const REKOR_ECDSA_KEY = "AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc=";

describe("parseVerifierKey / formatVerifierKey (c2sp.org/signed-note vkeys)", () => {
  it("parses the signed-note spec's Ed25519 vkey and verifies the spec's example signature with it", () => {
    const key = parseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
    expect(key).toMatchObject({ name: "example.com/foo", type: SIGNATURE_TYPE.ed25519 });
    expect(hex(key.publicKey)).toBe("e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4");
    const note = parseSignedNote(
      "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
    );
    expect(verifyNoteSignature(note, noteVerifierFromKey(key)).ok).toBe(true);
  });

  it.each([
    ["Go's sumdb/note example", GO_NOTE.vkey, 0x01, "c74f20a3"],
    ["transparency-dev/witness's log key", WITNESS_GO_TEST.logVkey, 0x01, "db4d9f7e"],
    ["a production witness's cosignature key", REAL_COSIGNED.witnessVkey, 0x04, "da77ade7"],
    ["Rekor's ECDSA key (key ID = SHA-256(SPKI)[:4], the log ID prefix)", `rekor.sigstore.dev+c0d23d6a+${REKOR_ECDSA_KEY}`, 0x02, "c0d23d6a"],
  ])("key ID of %s", (_what, vkey, type, id) => {
    const key = parseVerifierKey(vkey);
    expect(key.type).toBe(type);
    expect(hex(key.keyId)).toBe(id);
    expect(formatVerifierKey(key.name, key.type, key.publicKey)).toBe(vkey);
  });

  it.each([
    ["two fields", "bananas.sigstore.dev+12344556", "INPUT_MALFORMED"],
    ["invalid base64", "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!", "INPUT_MALFORMED"],
    ["an unknown signature type", "rekor.sigstore.dev+12345678+AwEB", "INPUT_UNSUPPORTED_FORMAT"],
    ["a key ID that is not hex", "monkeys+NOT_A_NUMBER+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT", "INPUT_MALFORMED"],
    ["a key ID that does not match the key", "monkeys+00000000+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT", "INPUT_MALFORMED"],
    ["a key under another name (the name is in the key ID)", "gorillas+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT", "INPUT_MALFORMED"],
    ["transparency-dev/formats's ECDSA example with a made-up key ID", `rekor.sigstore.dev+12345678+${REKOR_ECDSA_KEY}`, "INPUT_MALFORMED"],
    ["a short Ed25519 key", "a+00000000+AQID", "INPUT_MALFORMED"],
    ["an invalid name", "a b+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT", "INPUT_MALFORMED"],
    ["an empty string", "", "INPUT_MALFORMED"],
  ])("rejects %s", (_what, vkey, code) => {
    expect(thrownVouchError(() => parseVerifierKey(vkey)).code).toBe(code);
  });

  it("binds a 0x02 vkey to ECDSA P-256 with SHA-256: a P-384 key in one does not load", () => {
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ type: "spki", format: "der" });
    const verifier = noteVerifierFromKey(parseVerifierKey(formatVerifierKey("log", SIGNATURE_TYPE.ecdsaSha256, p384)));
    expect(thrownVouchError(() => loadVerificationKey(verifier.publicKeyDer, verifier.keyDetails)).code).toBe("INPUT_MALFORMED");
  });

  it("will not turn a cosignature key into a note verifier (it signs another message)", () => {
    expect(thrownVouchError(() => noteVerifierFromKey(parseVerifierKey(REAL_COSIGNED.witnessVkey))).code).toBe("INPUT_MALFORMED");
  });
});

describe("createNoteSigner", () => {
  it("reproduces Go's sumdb/note example signature and vkey byte for byte (Ed25519 is deterministic)", () => {
    const signer = createNoteSigner(goSignerKey(GO_NOTE.skey));
    expect(hex(signer.keyId)).toBe("c74f20a3");
    expect(signer.formatVerifierKey()).toBe(GO_NOTE.vkey);
    expect(formatSignedNote({ text: GO_NOTE.text, signatures: [signer.sign(GO_NOTE.text)] })).toBe(GO_NOTE.signed);
  });

  it("reproduces transparency-dev/witness's Go-signed checkpoint", () => {
    const signer = createNoteSigner(goSignerKey(WITNESS_GO_TEST.logSkey));
    const cp = parseCheckpoint(parseSignedNote(WITNESS_GO_TEST.init).text);
    expect(signCheckpoint({ origin: cp.origin, size: 5, rootHash: cp.rootHash }, [signer])).toBe(WITNESS_GO_TEST.init);
  });

  it("Ed25519: key ID is SHA-256(name || 0x0A || 0x01 || key)[:4] and signatures verify with verifyNoteSignature", () => {
    const signer = createNoteSigner({ name: "log.example.com/vouch", privateKey: ed25519() });
    const raw = signer.publicKeyDer.subarray(-32);
    const expected = createHash("sha256").update("log.example.com/vouch\n").update(Uint8Array.of(1)).update(raw).digest().subarray(0, 4);
    expect(hex(signer.keyId)).toBe(hex(expected));
    expect(hex(signer.keyId)).toBe(hex(noteKeyId(signer.name, loadVerificationKey(signer.publicKeyDer, signer.keyDetails))));
    const note = signCheckpoint({ origin: signer.name, size: 10, rootHash: ROOT }, [signer]);
    const verifier = { name: signer.name, publicKeyDer: signer.publicKeyDer, keyDetails: signer.keyDetails };
    expect(verifyNoteSignature(parseSignedNote(note), verifier).ok).toBe(true);
    expect(verifyNoteSignature(parseSignedNote(note), noteVerifierFromKey(parseVerifierKey(signer.formatVerifierKey()))).ok).toBe(true);
  });

  it("ECDSA P-256: key ID is SHA-256(SPKI DER)[:4] (Rekor's) and signatures verify, with or without the name", () => {
    const signer = createNoteSigner({ name: "rekor.example.com", privateKey: p256() });
    expect(signer.keyDetails).toBe("PKIX_ECDSA_P256_SHA_256");
    expect(hex(signer.keyId)).toBe(createHash("sha256").update(signer.publicKeyDer).digest("hex").slice(0, 8));
    const note = parseSignedNote(signCheckpoint({ origin: "rekor.example.com - 123", size: 10n, rootHash: ROOT, extensions: ["Timestamp: 1"] }, [signer]));
    expect(verifyNoteSignature(note, { publicKeyDer: signer.publicKeyDer, keyDetails: signer.keyDetails }).ok).toBe(true);
    expect(verifyNoteSignature(note, { name: signer.name, publicKeyDer: signer.publicKeyDer, keyDetails: "" }).ok).toBe(true);
    const vkey = parseVerifierKey(signer.formatVerifierKey());
    expect(vkey.type).toBe(SIGNATURE_TYPE.ecdsaSha256);
    expect(verifyNoteSignature(note, noteVerifierFromKey(vkey)).ok).toBe(true);
  });

  it.each([
    ["Ed25519", ed25519],
    ["ECDSA P-256", p256],
  ])("%s: a tampered size, root hash or extension line, or another key's verifier, fails", (_what, key) => {
    const signer = createNoteSigner({ name: "log.example.com/vouch", privateKey: key() });
    const note = signCheckpoint({ origin: signer.name, size: 10, rootHash: ROOT, extensions: ["x"] }, [signer]);
    const verifier = { name: signer.name, publicKeyDer: signer.publicKeyDer, keyDetails: signer.keyDetails };
    for (const tampered of [note.replace("\n10\n", "\n11\n"), note.replace("BwcH", "BwcI"), note.replace("\nx\n", "\ny\n")]) {
      expect(tampered).not.toBe(note);
      expect(verifyNoteSignature(parseSignedNote(tampered), verifier).ok).toBe(false);
    }
    const other = createNoteSigner({ name: signer.name, privateKey: key() });
    expect(verifyNoteSignature(parseSignedNote(note), { name: other.name, publicKeyDer: other.publicKeyDer, keyDetails: other.keyDetails }).ok).toBe(false);
  });

  it("signs with several keys in order (key rotation: old and new log key)", () => {
    const a = createNoteSigner({ name: "log", privateKey: ed25519() });
    const b = createNoteSigner({ name: "log", privateKey: p256() });
    const note = parseSignedNote(signCheckpoint({ origin: "log", size: 0, rootHash: ROOT }, [a, b]));
    expect(note.signatures.map((s) => hex(s.keyId))).toEqual([hex(a.keyId), hex(b.keyId)]);
    expect(verifyNoteSignature(note, { name: "log", publicKeyDer: b.publicKeyDer, keyDetails: b.keyDetails }).ok).toBe(true);
  });

  it.each([
    ["an RSA key", () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, "INPUT_UNSUPPORTED_FORMAT"],
    ["a P-384 key", () => generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey, "INPUT_UNSUPPORTED_FORMAT"],
    ["a public key", () => generateKeyPairSync("ed25519").publicKey, "INPUT_MALFORMED"],
  ])("refuses %s", (_what, key, code) => {
    expect(thrownVouchError(() => createNoteSigner({ name: "log", privateKey: key() })).code).toBe(code);
  });

  it("refuses an invalid key name and text without a final newline", () => {
    expect(thrownVouchError(() => createNoteSigner({ name: "a+b", privateKey: ed25519() })).code).toBe("INPUT_MALFORMED");
    const signer = createNoteSigner({ name: "log", privateKey: ed25519() });
    expect(thrownVouchError(() => signer.sign("no newline")).code).toBe("INPUT_MALFORMED");
  });
});

describe("formatCheckpoint / signCheckpoint (c2sp.org/tlog-checkpoint)", () => {
  it("writes origin, decimal size, base64 root and extension lines; parseCheckpoint reads them back", () => {
    const text = formatCheckpoint({ origin: "example.com/log", size: 20852163, rootHash: ROOT, extensions: ["Timestamp: 1"] });
    expect(text).toBe(`example.com/log\n20852163\n${Buffer.from(ROOT).toString("base64")}\nTimestamp: 1\n`);
    expect(parseCheckpoint(text)).toEqual({ origin: "example.com/log", size: 20852163n, rootHash: ROOT, extensions: ["Timestamp: 1"] });
    expect(formatCheckpoint({ origin: "o", size: (1n << 64n) - 1n, rootHash: ROOT })).toContain("\n18446744073709551615\n");
  });

  it.each([
    ["an empty origin", { origin: "", size: 1, rootHash: ROOT }],
    ["an origin with a newline", { origin: "a\nb", size: 1, rootHash: ROOT }],
    ["a negative size", { origin: "o", size: -1, rootHash: ROOT }],
    ["a fractional size", { origin: "o", size: 1.5, rootHash: ROOT }],
    ["an unsafe integer size", { origin: "o", size: 2 ** 60, rootHash: ROOT }],
    ["a size beyond 64 bits", { origin: "o", size: 1n << 64n, rootHash: ROOT }],
    ["an empty root hash", { origin: "o", size: 1, rootHash: new Uint8Array() }],
    ["an empty extension line", { origin: "o", size: 1, rootHash: ROOT, extensions: [""] }],
    ["an extension line with a tab", { origin: "o", size: 1, rootHash: ROOT, extensions: ["a\tb"] }],
  ])("refuses %s", (_what, checkpoint) => {
    expect(thrownVouchError(() => formatCheckpoint(checkpoint)).code).toBe("INPUT_MALFORMED");
  });

  it("needs at least one signer", () => {
    expect(thrownVouchError(() => signCheckpoint({ origin: "o", size: 1, rootHash: ROOT }, [])).code).toBe("INPUT_MALFORMED");
  });
});
