import { createHash, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { REAL_COSIGNED, WITNESS_GO_TEST, goSignerKey } from "../../../test/support/note-keys.js";
import {
  cosignCheckpoint,
  cosignatureKeyId,
  cosignatureMessage,
  cosignatureVerifierFromKey,
  createCosigner,
  createNoteSigner,
  ed25519Spki,
  formatSignedNote,
  noteVerifierFromKey,
  parseSignedNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignature,
  verifyCosignatures,
  verifyNoteSignature,
  type NoteSignature,
} from "./index.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ROOT = new Uint8Array(32).fill(9);
const TEXT = `example.com/log\n42\n${Buffer.from(ROOT).toString("base64")}\n`;
const witness = (name = "witness.example.com/w1") => createCosigner({ name, privateKey: generateKeyPairSync("ed25519").privateKey });
const verifierOf = (c: ReturnType<typeof witness>) => cosignatureVerifierFromKey(parseVerifierKey(c.formatVerifierKey()));
const flip = (line: NoteSignature, at: number): NoteSignature => ({
  ...line,
  signature: Uint8Array.from(line.signature, (v, i) => (i === at ? v ^ 1 : v)),
});

describe("cosignature/v1 against published vectors", () => {
  it("verifies the production witness remora.n621.de's cosignature on a real CT checkpoint", () => {
    const note = parseSignedNote(REAL_COSIGNED.note);
    const key = cosignatureVerifierFromKey(parseVerifierKey(REAL_COSIGNED.witnessVkey));
    const line = note.signatures.find((s) => s.name === "remora.n621.de")!;
    expect(verifyCosignature(note.text, line, key)).toEqual({ ok: true, timestamp: REAL_COSIGNED.witnessTimestamp });
    // The log's own Ed25519 line on the same note verifies with its vkey; the witness lines are ignored.
    expect(verifyNoteSignature(note, noteVerifierFromKey(parseVerifierKey(REAL_COSIGNED.logVkey))).ok).toBe(true);
  });

  it("the real cosignature does not verify over an edited checkpoint, nor with its timestamp changed", () => {
    const note = parseSignedNote(REAL_COSIGNED.note);
    const key = cosignatureVerifierFromKey(parseVerifierKey(REAL_COSIGNED.witnessVkey));
    const line = note.signatures.find((s) => s.name === "remora.n621.de")!;
    expect(verifyCosignature(note.text.replace("1432088532", "1432088533"), line, key).ok).toBe(false);
    expect(verifyCosignature(note.text, flip(line, 7), key).ok).toBe(false); // last timestamp byte
    expect(verifyCosignature(note.text, flip(line, 40), key).ok).toBe(false); // signature byte
  });

  it("key ID: SHA-256(name || 0x0A || 0x04 || key)[:4]; a 0x01 vkey is read as the same key with the 0x04 ID", () => {
    const remora = parseVerifierKey(REAL_COSIGNED.witnessVkey);
    expect(hex(cosignatureKeyId(remora.name, remora.publicKey))).toBe("da77ade7");
    const plain = parseVerifierKey(WITNESS_GO_TEST.witnessVkey); // type 0x01, key ID f13a86db
    const expected = createHash("sha256").update("witness\n").update(Uint8Array.of(4)).update(plain.publicKey).digest().subarray(0, 4);
    expect(hex(cosignatureVerifierFromKey(plain).keyId)).toBe(hex(expected));
    expect(hex(cosignatureVerifierFromKey(plain).keyId)).not.toBe("f13a86db");
  });

  it("the cosigner made from transparency-dev/witness's signer key has that vkey's public key", () => {
    const cosigner = createCosigner(goSignerKey(WITNESS_GO_TEST.witnessSkey));
    expect(hex(cosigner.publicKey)).toBe(hex(parseVerifierKey(WITNESS_GO_TEST.witnessVkey).publicKey));
    expect(parseVerifierKey(cosigner.formatVerifierKey())).toMatchObject({ name: "witness", type: 0x04 });
  });
});

describe("cosignCheckpoint / verifyCosignature", () => {
  it("signs 'cosignature/v1\\ntime T\\n' + the checkpoint text; the line is 8-byte BE timestamp || Ed25519 signature", () => {
    const w = witness();
    const line = cosignCheckpoint(TEXT, w, 1679315147);
    expect(line.name).toBe(w.name);
    expect(hex(line.keyId)).toBe(hex(w.keyId));
    expect(line.signature).toHaveLength(72);
    expect(hex(line.signature.subarray(0, 8))).toBe((1679315147).toString(16).padStart(16, "0"));
    const message = Buffer.from(`cosignature/v1\ntime 1679315147\n${TEXT}`);
    expect(Buffer.from(cosignatureMessage(TEXT, 1679315147n)).equals(message)).toBe(true);
    const publicKey = { key: Buffer.from(ed25519Spki(w.publicKey)), format: "der" as const, type: "spki" as const };
    expect(verify(null, message, publicKey, line.signature.subarray(8))).toBe(true);
    expect(verifyCosignature(TEXT, line, verifierOf(w))).toEqual({ ok: true, timestamp: 1679315147 });
  });

  it("covers extension lines (the whole note text is signed)", () => {
    const w = witness();
    const text = `${TEXT}Timestamp: 1\n`;
    const line = cosignCheckpoint(text, w, 5);
    expect(verifyCosignature(text, line, verifierOf(w)).ok).toBe(true);
    expect(verifyCosignature(text.replace("Timestamp: 1", "Timestamp: 2"), line, verifierOf(w)).ok).toBe(false);
  });

  it("round-trips through a signed note next to the log's signature", () => {
    const log = createNoteSigner({ name: "example.com/log", privateKey: generateKeyPairSync("ed25519").privateKey });
    const w = witness();
    const signed = parseSignedNote(signCheckpoint({ origin: "example.com/log", size: 42, rootHash: ROOT }, [log]));
    const cosigned = parseSignedNote(formatSignedNote({ ...signed, signatures: [...signed.signatures, cosignCheckpoint(signed.text, w, 0)] }));
    expect(verifyCosignatures(cosigned, [verifierOf(w)])).toEqual({ valid: [{ key: verifierOf(w), timestamp: 0 }], invalid: [] });
    // A cosignature is not a note signature: a plain Ed25519 verifier for the same key does not accept it.
    expect(verifyNoteSignature(cosigned, { name: w.name, publicKeyDer: ed25519Spki(w.publicKey), keyDetails: "PKIX_ED25519" }).ok).toBe(false);
  });

  it("rejects another witness's key, a wrong name, a short signature and an implausible timestamp", () => {
    const w = witness();
    const line = cosignCheckpoint(TEXT, w, 1);
    expect(verifyCosignature(TEXT, line, verifierOf(witness())).ok).toBe(false);
    expect(verifyCosignature(TEXT, { ...line, keyId: witness(w.name).keyId }, verifierOf(w)).ok).toBe(false);
    expect(verifyCosignature(TEXT, { ...line, name: "w2" }, verifierOf(w)).ok).toBe(false);
    expect(verifyCosignature(TEXT, { ...line, signature: line.signature.subarray(0, 71) }, verifierOf(w))).toMatchObject({ ok: false });
    const future = cosignCheckpoint(TEXT, w, 2n ** 63n - 1n);
    expect(verifyCosignature(TEXT, future, verifierOf(w))).toMatchObject({ ok: false, reason: expect.stringContaining("plausible") });
  });

  it.each([
    ["a signed note instead of its text", `${TEXT}\n\u2014 x AAAAAAA=\n`, 1],
    ["text that is not a checkpoint", "hello\n", 1],
    ["a negative timestamp", TEXT, -1],
    ["a timestamp beyond 2^63-1", TEXT, 2n ** 63n],
    ["a fractional timestamp", TEXT, 1.5],
  ])("refuses to cosign %s", (_what, text, timestamp) => {
    expect(thrownVouchError(() => cosignCheckpoint(text, witness(), timestamp)).code).toBe("INPUT_MALFORMED");
  });

  it("refuses a cosigner key that is not Ed25519 and an ECDSA vkey as a witness key", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    expect(thrownVouchError(() => createCosigner({ name: "w", privateKey: ec })).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    const ecdsaVkey = createNoteSigner({ name: "w", privateKey: ec }).formatVerifierKey();
    expect(thrownVouchError(() => cosignatureVerifierFromKey(parseVerifierKey(ecdsaVkey))).code).toBe("INPUT_MALFORMED");
  });
});

describe("verifyCosignatures (counting distinct witnesses)", () => {
  const cosigned = (lines: NoteSignature[]) => parseSignedNote(formatSignedNote({ text: TEXT, signatures: lines }));

  it("counts each valid witness once and ignores unknown keys", () => {
    const [a, b, stranger] = [witness("a"), witness("b"), witness("c")];
    const note = cosigned([cosignCheckpoint(TEXT, stranger, 1), cosignCheckpoint(TEXT, a, 2), cosignCheckpoint(TEXT, b, 3)]);
    const check = verifyCosignatures(note, [verifierOf(a), verifierOf(b)]);
    expect(check.valid.map((v) => [v.key.name, v.timestamp])).toEqual([["a", 2], ["b", 3]]);
    expect(check.invalid).toEqual([]);
  });

  it("the same witness twice (two lines, or the key configured twice) counts once", () => {
    const a = witness("a");
    const note = cosigned([cosignCheckpoint(TEXT, a, 1), cosignCheckpoint(TEXT, a, 2)]);
    expect(verifyCosignatures(note, [verifierOf(a), verifierOf(a)]).valid).toHaveLength(1);
  });

  it("one key under two configured names counts once, even when its signature is copied under both names", () => {
    const a = witness("a");
    const aliasOfA = { name: "alias", keyId: cosignatureKeyId("alias", a.publicKey), publicKey: a.publicKey };
    const line = cosignCheckpoint(TEXT, a, 1);
    // v1 does not sign the cosigner's name: the copied line verifies under the alias...
    const copied = { ...line, name: "alias", keyId: aliasOfA.keyId };
    expect(verifyCosignature(TEXT, copied, aliasOfA).ok).toBe(true);
    // ...but both names hold one key, so it is one witness.
    expect(verifyCosignatures(cosigned([line, copied]), [verifierOf(a), aliasOfA]).valid).toHaveLength(1);
  });

  it("the first line of a witness decides; a forged line by a trusted witness is reported invalid", () => {
    const a = witness("a");
    const good = cosignCheckpoint(TEXT, a, 1);
    const forged = flip(good, 20);
    expect(verifyCosignatures(cosigned([good, forged]), [verifierOf(a)])).toMatchObject({ valid: [{ timestamp: 1 }], invalid: [] });
    const check = verifyCosignatures(cosigned([forged, good]), [verifierOf(a)]);
    expect(check.valid).toEqual([]);
    expect(check.invalid).toMatchObject([{ key: { name: "a" }, reason: expect.stringContaining("does not verify") }]);
  });
});
