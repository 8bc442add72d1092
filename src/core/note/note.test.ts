import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { VouchError } from "../errors.js";
import {
  decodeBase64Strict,
  formatSignedNote,
  loadVerificationKey,
  noteKeyId,
  parseCheckpoint,
  parseSignedNote,
  verifyNoteSignature,
  type NoteSignature,
} from "./index.js";

const FIXTURES = new URL("../../../test/fixtures/sigstore/", import.meta.url);
const json = (path: string): any => JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));
const CONFORMANCE = "conformance/test/assets/bundle-verify/";
const checkpointOf = (testCase: string): string =>
  json(`${CONFORMANCE}${testCase}/bundle.sigstore.json`).verificationMaterial.tlogEntries[0].inclusionProof.checkpoint
    .envelope;
const tlogKey = (rootPath: string, baseUrl: string): { publicKeyDer: Uint8Array; keyDetails: string } => {
  const tlog = json(rootPath).tlogs.find((t: any) => t.baseUrl === baseUrl);
  return { publicKeyDer: new Uint8Array(Buffer.from(tlog.publicKey.rawBytes, "base64")), keyDetails: tlog.publicKey.keyDetails };
};
const PRODUCTION_ROOT = "sigstore-js/derived/public-good-trusted_root.json";
const STAGING_ROOT = `${CONFORMANCE}rekor2-happy-path/trusted_root.json`;
const REKOR_V1 = tlogKey(PRODUCTION_ROOT, "https://rekor.sigstore.dev");
const ALPHA1 = tlogKey(STAGING_ROOT, "https://log2025-alpha1.rekor.sigstage.dev");
const ALPHA1_NAME = "log2025-alpha1.rekor.sigstage.dev";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as VouchError).code;
  }
  return undefined;
};
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
};

function keyPair(type: "ed25519" | "ec" | "rsa"): { privateKey: KeyObject; der: Uint8Array; details: string } {
  const pair =
    type === "ed25519"
      ? generateKeyPairSync("ed25519")
      : type === "ec"
        ? generateKeyPairSync("ec", { namedCurve: "prime256v1" })
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const details = { ed25519: "PKIX_ED25519", ec: "PKIX_ECDSA_P256_SHA_256", rsa: "PKIX_RSA_PKCS1V15_2048_SHA256" }[type];
  return { privateKey: pair.privateKey, der: new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" })), details };
}

function signLine(name: string, text: string, k: ReturnType<typeof keyPair>): NoteSignature {
  const key = loadVerificationKey(k.der, k.details);
  const hash = k.details === "PKIX_ED25519" ? null : "sha256";
  return { name, keyId: noteKeyId(name, key), signature: new Uint8Array(sign(hash, Buffer.from(text), k.privateKey)) };
}

describe("decodeBase64Strict", () => {
  it("accepts canonical padded base64 only", () => {
    expect(hex(decodeBase64Strict("AAEC")!)).toBe("000102");
    expect(hex(decodeBase64Strict("AAE=")!)).toBe("0001");
    expect(decodeBase64Strict("")).toEqual(new Uint8Array());
    expect(decodeBase64Strict("AAE")).toBeUndefined(); // missing padding
    expect(decodeBase64Strict("AAF=")).toBeUndefined(); // non-zero trailing bits: a second spelling of "AAE="
    expect(decodeBase64Strict("AB==")).toBeUndefined(); // a second spelling of "AA=="
    expect(hex(decodeBase64Strict("AA==")!)).toBe("00");
    expect(decodeBase64Strict("AA-_")).toBeUndefined(); // URL alphabet
    expect(decodeBase64Strict("AA EC")).toBeUndefined();
  });
});

describe("parseSignedNote (c2sp.org/signed-note)", () => {
  it("splits a real Rekor v1 checkpoint into text and one signature", () => {
    const note = parseSignedNote(checkpointOf("happy-path-v0.1"));
    expect(note.text).toBe(
      "rekor.sigstore.dev - 2605736670972794746\n23083062\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\nTimestamp: 1689177396617352539\n",
    );
    expect(note.signatures).toHaveLength(1);
    expect(note.signatures[0]!.name).toBe("rekor.sigstore.dev");
    expect(hex(note.signatures[0]!.keyId)).toBe("c0d23d6a");
  });

  it("keeps every signature line of a cosigned Rekor v2 checkpoint, in order", () => {
    const note = parseSignedNote(checkpointOf("rekor2-checkpoint-origin-not-first"));
    expect(note.signatures.map((s) => s.name)).toEqual(["witness.example", ALPHA1_NAME]);
    expect(note.signatures.map((s) => hex(s.keyId))).toEqual(["3bc3c7e4", "f30d5a99"]);
  });

  it("round-trips through formatSignedNote", () => {
    const text = checkpointOf("rekor2-checkpoint-two-sigs-cosigned");
    expect(formatSignedNote(parseSignedNote(text))).toBe(text);
  });

  it.each([
    ["no signature lines (rekor2-checkpoint-missing-log-signature_fail)", checkpointOf("rekor2-checkpoint-missing-log-signature_fail"), "note has no signature lines"],
    ["no blank line", "origin\n1\nAA==\n\u2014 a AAAAAAA=\n".replace("\n\u2014", "\u2014"), "note has no blank line before its signatures"],
    ["unterminated signature line", "o\n1\nAA==\n\n\u2014 a AAAAAAA=", "note's last signature line does not end in a newline"],
    ["ASCII dashes instead of an em dash", "o\n1\nAA==\n\n-- a AAAAAAA=\n", 'signature line 1 does not start with "\u2014 "'],
    ["two spaces", "o\n1\nAA==\n\n\u2014 a  AAAAAAA=\n", 'signature line 1 is not "\u2014 <name> <signature>"'],
    ["a plus in the name", "o\n1\nAA==\n\n\u2014 a+b AAAAAAA=\n", 'signature line 1 has an invalid key name "a+b"'],
    ["a no-break space in the name", "o\n1\nAA==\n\n\u2014 a\u00a0b AAAAAAA=\n", 'signature line 1 has an invalid key name "a\u00a0b"'],
    ["an empty name", "o\n1\nAA==\n\n\u2014  AAAAAAA=\n", 'signature line 1 has an invalid key name ""'],
    ["non-canonical base64", "o\n1\nAA==\n\n\u2014 a AAAAAAB=\n", "signature line 1 signature is not canonical base64"],
    ["a signature shorter than 5 bytes", "o\n1\nAA==\n\n\u2014 a AAAAAA==\n", "signature line 1 signature is 4 bytes, shorter than key ID + signature"],
    ["a carriage return", "o\r\n1\nAA==\n\n\u2014 a AAAAAAA=\n", "note contains control character U+000d"],
    ["a tab", "o\t\n1\nAA==\n\n\u2014 a AAAAAAA=\n", "note contains control character U+0009"],
    ["a lone surrogate", "o\ud800\n1\nAA==\n\n\u2014 a AAAAAAA=\n", "note is not well-formed UTF-8"],
    ["a blank line among the signatures", "o\n1\nAA==\n\n\u2014 a AAAAAAA=\n\n", "note has no signature lines"],
  ])("rejects %s", (_what, text, message) => {
    expect(code(() => parseSignedNote(text))).toBe("INPUT_MALFORMED");
    expect(messageOf(() => parseSignedNote(text))).toBe(`signed note: ${message}`);
  });

  it("rejects more than 100 signatures", () => {
    const text = `o\n1\nAA==\n\n${"\u2014 a AAAAAAA=\n".repeat(101)}`;
    expect(messageOf(() => parseSignedNote(text))).toBe("signed note: note has more than 100 signatures");
    expect(parseSignedNote(`o\n1\nAA==\n\n${"\u2014 a AAAAAAA=\n".repeat(100)}`).signatures).toHaveLength(100);
  });

  it("splits at the last blank line, so a blank line inside the text is signed text", () => {
    const note = parseSignedNote("a\n\nb\n\n\u2014 k AAAAAAA=\n");
    expect(note.text).toBe("a\n\nb\n");
  });
});

describe("noteKeyId", () => {
  it("Ed25519: SHA-256(name || \\n || 0x01 || key)[:4] gives the staging Rekor v2 log's key hint", () => {
    const key = loadVerificationKey(ALPHA1.publicKeyDer, ALPHA1.keyDetails);
    expect(hex(noteKeyId(ALPHA1_NAME, key))).toBe("f30d5a99");
    expect(hex(noteKeyId("other.name", key))).not.toBe("f30d5a99");
  });

  it("ECDSA: SHA-256(SPKI)[:4], the prefix of the Rekor v1 log ID, whatever the name", () => {
    const key = loadVerificationKey(REKOR_V1.publicKeyDer, REKOR_V1.keyDetails);
    expect(hex(noteKeyId("rekor.sigstore.dev", key))).toBe("c0d23d6a");
    expect(hex(noteKeyId("anything", key))).toBe("c0d23d6a");
  });

  it("RSA: SHA-256(name || \\n || 0xff || PKIX-RSA-PKCS#1v1.5 || SPKI)[:4] (rekor-tiles)", () => {
    const k = keyPair("rsa");
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.from("log.example\n"), Buffer.from([0xff]), Buffer.from("PKIX-RSA-PKCS#1v1.5"), k.der]))
      .digest()
      .subarray(0, 4);
    expect(hex(noteKeyId("log.example", loadVerificationKey(k.der, k.details)))).toBe(hex(expected));
  });
});

describe("verifyNoteSignature", () => {
  it("verifies the real Rekor v1 (ECDSA) checkpoint with or without the server name", () => {
    const note = parseSignedNote(checkpointOf("happy-path-v0.1"));
    expect(verifyNoteSignature(note, REKOR_V1)).toMatchObject({ ok: true, signature: { name: "rekor.sigstore.dev" } });
    expect(verifyNoteSignature(note, { ...REKOR_V1, name: "rekor.sigstore.dev" }).ok).toBe(true);
    expect(verifyNoteSignature(note, { ...REKOR_V1, name: "rekor.sigstage.dev" })).toEqual({
      ok: false,
      reason: "no signature by rekor.sigstage.dev with key ID c0d23d6a (signatures: rekor.sigstore.dev c0d23d6a)",
    });
  });

  it("checkpoint-bad-keyhint_fail: a key ID that is not the log's finds no signature", () => {
    const note = parseSignedNote(checkpointOf("checkpoint-bad-keyhint_fail"));
    expect(verifyNoteSignature(note, REKOR_V1)).toEqual({
      ok: false,
      reason: "no signature by the trusted key (signatures: rekor.sigstore.dev c4d23d6a)",
    });
  });

  it("invalid-checkpoint-signature_fail: the log's key ID with a bad signature rejects the note", () => {
    const note = parseSignedNote(checkpointOf("invalid-checkpoint-signature_fail"));
    expect(verifyNoteSignature(note, REKOR_V1)).toEqual({
      ok: false,
      reason: "signature by rekor.sigstore.dev (key ID c0d23d6a) does not verify with the trusted key",
    });
  });

  it.each(["rekor2-happy-path", "rekor2-checkpoint-cosigned", "rekor2-checkpoint-origin-not-first", "rekor2-checkpoint-two-sigs-cosigned"])(
    "%s: the log's Ed25519 signature verifies and witness / unknown-key lines are ignored",
    (testCase) => {
      const note = parseSignedNote(checkpointOf(testCase));
      const result = verifyNoteSignature(note, { ...ALPHA1, name: ALPHA1_NAME });
      expect(result).toMatchObject({ ok: true, signature: { name: ALPHA1_NAME } });
      expect(hex((result as { signature: NoteSignature }).signature.keyId)).toBe("f30d5a99");
    },
  );

  it("an Ed25519 log's signature does not verify under another name (the name is part of the key ID)", () => {
    const note = parseSignedNote(checkpointOf("rekor2-happy-path"));
    const result = verifyNoteSignature(note, { ...ALPHA1, name: "log2025-alpha2.rekor.sigstage.dev" });
    expect(result.ok).toBe(false);
  });

  it("with no name, an Ed25519 key ID is computed from each line's own name", () => {
    const note = parseSignedNote(checkpointOf("rekor2-checkpoint-origin-not-first"));
    expect(verifyNoteSignature(note, ALPHA1)).toMatchObject({ ok: true, signature: { name: ALPHA1_NAME } });
  });

  it("uses a key ID stated by the trust material instead of computing one", () => {
    const note = parseSignedNote(checkpointOf("rekor2-happy-path"));
    const logId = Buffer.from("8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=", "base64");
    expect(verifyNoteSignature(note, { ...ALPHA1, name: ALPHA1_NAME, keyId: logId }).ok).toBe(true);
    expect(verifyNoteSignature(note, { ...ALPHA1, name: ALPHA1_NAME, keyId: Buffer.from("00000000", "hex") }).ok).toBe(false);
  });

  it("the first line matching the key decides: a bad signature is not rescued by a later good one", () => {
    const k = keyPair("ed25519");
    const text = "log.example\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const good = signLine("log.example", text, k);
    const bad = { ...good, signature: Uint8Array.from(good.signature, (v, i) => (i === 0 ? v ^ 1 : v)) };
    const verifier = { name: "log.example", publicKeyDer: k.der, keyDetails: k.details };
    expect(verifyNoteSignature({ text, signatures: [good, bad] }, verifier).ok).toBe(true);
    expect(verifyNoteSignature({ text, signatures: [bad, good] }, verifier).ok).toBe(false);
  });

  it("a signature by another key carrying the log's name and key ID does not verify", () => {
    const log = keyPair("ec");
    const attacker = keyPair("ec");
    const text = "log.example\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const forged = { ...signLine("log.example", text, attacker), keyId: noteKeyId("x", loadVerificationKey(log.der, log.details)) };
    const result = verifyNoteSignature({ text, signatures: [forged] }, { publicKeyDer: log.der, keyDetails: log.details });
    expect(result.ok).toBe(false);
  });

  it("a signature over different text does not verify (the checkpoint cannot be edited)", () => {
    const k = keyPair("rsa");
    const signed = signLine("log.example", "log.example\n3\nAA==\n", k);
    const result = verifyNoteSignature(
      { text: "log.example\n4\nAA==\n", signatures: [signed] },
      { name: "log.example", publicKeyDer: k.der, keyDetails: k.details },
    );
    expect(result).toMatchObject({ ok: false });
  });

  it("rejects a trusted key whose details name another algorithm", () => {
    const note = parseSignedNote(checkpointOf("happy-path-v0.1"));
    expect(code(() => verifyNoteSignature(note, { ...REKOR_V1, keyDetails: "PKIX_ED25519" }))).toBe("INPUT_MALFORMED");
    expect(code(() => verifyNoteSignature(note, { ...REKOR_V1, keyDetails: "PKIX_ECDSA_P384_SHA_384" }))).toBe("INPUT_MALFORMED");
    expect(code(() => verifyNoteSignature(note, { ...REKOR_V1, keyDetails: "LMS_SHA256" }))).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(verifyNoteSignature(note, { ...REKOR_V1, keyDetails: "" }).ok).toBe(true);
  });
});

describe("parseCheckpoint (c2sp.org/tlog-checkpoint)", () => {
  it("parses a Rekor v1 checkpoint with its Timestamp extension line", () => {
    const cp = parseCheckpoint(parseSignedNote(checkpointOf("happy-path-v0.1")).text);
    expect(cp.origin).toBe("rekor.sigstore.dev - 2605736670972794746");
    expect(cp.size).toBe(23083062n);
    expect(Buffer.from(cp.rootHash).toString("base64")).toBe("dauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=");
    expect(cp.extensions).toEqual(["Timestamp: 1689177396617352539"]);
  });

  it("parses a Rekor v2 checkpoint", () => {
    const cp = parseCheckpoint(parseSignedNote(checkpointOf("rekor2-happy-path")).text);
    expect(cp).toMatchObject({ origin: ALPHA1_NAME, size: 736n, extensions: [] });
  });

  it.each([
    ["rekor2-checkpoint-missing-origin_fail", parseSignedNote(checkpointOf("rekor2-checkpoint-missing-origin_fail")).text, "has 2 line(s); origin, tree size and root hash are required"],
    ["rekor2-checkpoint-missing-size_fail", parseSignedNote(checkpointOf("rekor2-checkpoint-missing-size_fail")).text, "has 2 line(s); origin, tree size and root hash are required"],
    ["an empty origin", "\n1\nAA==\n", "origin line is empty"],
    ["a size with a leading zero", "o\n01\nAA==\n", 'tree size line "01" is not a decimal number'],
    ["a negative size", "o\n-1\nAA==\n", 'tree size line "-1" is not a decimal number'],
    ["a size beyond 64 bits", "o\n18446744073709551616\nAA==\n", "tree size 18446744073709551616 does not fit in 64 bits"],
    ["a root hash that is not base64", "o\n1\nnot base64!\n", 'root hash line "not base64!" is not base64'],
    ["an empty root hash", "o\n1\n\n", 'root hash line "" is not base64'],
    ["an empty extension line", "o\n1\nAA==\n\nx\n", "extension line 1 is empty"],
    ["no final newline", "o\n1\nAA==", "text does not end in a newline"],
  ])("rejects %s", (_what, text, message) => {
    expect(code(() => parseCheckpoint(text))).toBe("INPUT_MALFORMED");
    expect(messageOf(() => parseCheckpoint(text))).toBe(`checkpoint: ${message}`);
  });

  it("accepts size 0 and the largest 64-bit size", () => {
    expect(parseCheckpoint("o\n0\nAA==\n").size).toBe(0n);
    expect(parseCheckpoint("o\n18446744073709551615\nAA==\n").size).toBe(18446744073709551615n);
  });
});
