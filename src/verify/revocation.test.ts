import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parseBundle } from "../bundle/parse.js";
import { publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { generateKeyPair, importPublicKey, keyId, publicKeyPem, sign } from "../core/crypto/keys.js";
import { parseStatement } from "../core/intoto/statement.js";
import {
  addRevocation,
  checkRevocation,
  EMPTY_REVOCATION_LIST,
  encodeRevocationList,
  envelopeToJson,
  openRevocationEnvelope,
  parseRevocationList,
  revocationEnvelope,
  revocationListDocument,
  REVOCATIONS_MEDIA_TYPE,
  type Revocation,
  type RevocationList,
} from "./revocation.js";
import { verifyBundle, type VerificationPolicy } from "./verifier.js";

const key = generateKeyPair("ecdsa-p256");
const other = generateKeyPair("ed25519");
const KEY_ID = keyId(key.publicKey);
const COMPROMISED = new Date("2024-06-01T12:00:00.000Z");

function revocation(pair = key, compromisedAt = COMPROMISED, reason = "laptop stolen"): Revocation {
  return { keyId: keyId(pair.publicKey), publicKey: publicKeyPem(pair.publicKey), compromisedAt, reason, revokedAt: new Date("2024-06-02T00:00:00Z") };
}

const list: RevocationList = { revocations: [revocation()] };
const tlogAt = (iso: string) => ({ source: "tlog", time: new Date(iso), by: "https://rekor.example" });
const tsaAt = (iso: string) => ({ source: "timestamp-authority", time: new Date(iso), by: "trusted timestamp authority" });

describe("checkRevocation", () => {
  it("accepts a signature whose trusted time is before the compromise, and says so", () => {
    const d = checkRevocation(KEY_ID, [tlogAt("2024-06-01T11:59:59.999Z")], list);
    expect(d).toMatchObject({ revoked: true, accepted: true });
    if (!d.revoked) throw new Error("unreachable");
    expect(d.detail).toBe(
      `key ${KEY_ID} is revoked (compromised at 2024-06-01T12:00:00.000Z: laptop stolen), but signed before the compromise: trusted time 2024-06-01T11:59:59.999Z (tlog: https://rekor.example) before 2024-06-01T12:00:00.000Z`,
    );
  });

  it("rejects a trusted time exactly at the compromise", () => {
    const d = checkRevocation(KEY_ID, [tlogAt("2024-06-01T12:00:00.000Z")], list);
    expect(d).toMatchObject({ revoked: true, accepted: false });
    if (!d.revoked) throw new Error("unreachable");
    expect(d.detail).toBe(
      `key ${KEY_ID} is revoked (compromised at 2024-06-01T12:00:00.000Z: laptop stolen): signed at or after the compromise (trusted time 2024-06-01T12:00:00.000Z from tlog: https://rekor.example is not before 2024-06-01T12:00:00.000Z)`,
    );
  });

  it("rejects a trusted time after the compromise, even when another trusted time is before it", () => {
    expect(checkRevocation(KEY_ID, [tlogAt("2025-01-01T00:00:00Z")], list)).toMatchObject({ revoked: true, accepted: false });
    const mixed = checkRevocation(KEY_ID, [tsaAt("2024-01-01T00:00:00Z"), tlogAt("2024-07-01T00:00:00Z")], list);
    expect(mixed).toMatchObject({ revoked: true, accepted: false, detail: expect.stringContaining("trusted time 2024-07-01T00:00:00.000Z from tlog") });
    // Several times, all before: accepted, each listed.
    const all = checkRevocation(KEY_ID, [tsaAt("2024-01-01T00:00:00Z"), tlogAt("2024-01-01T00:00:01Z")], list);
    expect(all).toMatchObject({ revoked: true, accepted: true, detail: expect.stringContaining("trusted times 2024-01-01T00:00:00.000Z (timestamp-authority") });
  });

  it("rejects a revoked key's signature with no trusted time", () => {
    const d = checkRevocation(KEY_ID, [], list);
    expect(d).toMatchObject({ revoked: true, accepted: false });
    if (!d.revoked) throw new Error("unreachable");
    expect(d.detail).toContain("has no trusted signing time");
  });

  it("leaves unrelated keys alone, with or without trusted times", () => {
    expect(checkRevocation(keyId(other.publicKey), [], list)).toEqual({ revoked: false });
    expect(checkRevocation(keyId(other.publicKey), [tlogAt("2030-01-01T00:00:00Z")], list)).toEqual({ revoked: false });
    expect(checkRevocation(KEY_ID, [], EMPTY_REVOCATION_LIST)).toEqual({ revoked: false });
  });

  it("counts from the earliest of two compromise times, and matches key IDs case-insensitively", () => {
    const twice = addRevocation(list, revocation(key, new Date("2024-01-01T00:00:00Z"), "earlier leak")).list;
    const d = checkRevocation(KEY_ID.toUpperCase(), [tlogAt("2024-03-01T00:00:00Z")], twice);
    expect(d).toMatchObject({ revoked: true, accepted: false, detail: expect.stringContaining("compromised at 2024-01-01T00:00:00.000Z: earlier leak") });
  });
});

describe("addRevocation and the document", () => {
  it("is idempotent for the same key and time, and keeps entries sorted by key ID then time", () => {
    const same = addRevocation(list, revocation(key, COMPROMISED, "another reason"));
    expect(same.added).toBe(false);
    expect(same.list).toBe(list);
    let l = addRevocation(list, revocation(other)).list;
    l = addRevocation(l, revocation(key, new Date("2023-01-01T00:00:00Z"))).list;
    const doc = revocationListDocument(l);
    expect(doc.mediaType).toBe(REVOCATIONS_MEDIA_TYPE);
    const expected = [
      [KEY_ID, "2023-01-01T00:00:00.000Z"],
      [KEY_ID, "2024-06-01T12:00:00.000Z"],
      [keyId(other.publicKey), "2024-06-01T12:00:00.000Z"],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : 1));
    expect(doc.revocations.map((r) => [r.keyId, r.compromisedAt])).toEqual(expected);
  });

  it("round-trips through its JSON, and parses defensively", () => {
    const json = JSON.parse(new TextDecoder().decode(encodeRevocationList(list)));
    expect(parseRevocationList(json)).toEqual(list);
    const bad = (mutate: (entry: Record<string, unknown>, doc: Record<string, unknown>) => void) => {
      const doc = JSON.parse(new TextDecoder().decode(encodeRevocationList(list)));
      mutate(doc.revocations[0], doc);
      return thrownVouchError(() => parseRevocationList(doc, { file: "revocations.json" }));
    };
    expect(bad((e) => (e.keyId = keyId(other.publicKey)))).toMatchObject({ code: "INPUT_MALFORMED", message: "revocation list: revocations[0].keyId: is not the SHA-256 of publicKey's SPKI DER" });
    expect(bad((e) => (e.keyId = "ABC")).message).toContain("revocations[0].keyId: must be 64 lowercase hex");
    expect(bad((e) => (e.compromisedAt = "yesterday")).message).toContain("revocations[0].compromisedAt: is not an RFC 3339 timestamp");
    expect(bad((e) => (e.publicKey = "not a key")).message).toContain("revocations[0].publicKey: is not a supported public key");
    expect(bad((e) => (e.reason = "a\nb")).message).toContain("revocations[0].reason: must be one line");
    expect(bad((e) => delete e.reason).message).toContain("revocations[0].reason: is missing");
    expect(bad((_, d) => (d.mediaType = "application/json")).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(bad((_, d) => (d.revocations = {})).message).toContain("revocations: must be an array");
  });
});

describe("openRevocationEnvelope", () => {
  const listKey = generateKeyPair("ecdsa-p256");
  const signed = () => envelopeToJson(revocationEnvelope(list, (pae) => sign(listKey.privateKey, pae), keyId(listKey.publicKey)));

  it("opens a list signed by the list key", () => {
    const opened = openRevocationEnvelope(signed(), listKey.publicKey);
    expect(opened.list).toEqual(list);
    expect(opened.envelope.signatures[0]!.keyid).toBe(keyId(listKey.publicKey));
  });

  it("refuses an edited, unsigned, re-typed or foreign-signed list, naming the file", () => {
    const edited = signed();
    const doc = JSON.parse(Buffer.from(edited.payload, "base64").toString());
    doc.revocations = [];
    edited.payload = Buffer.from(JSON.stringify(doc)).toString("base64");
    const e = thrownVouchError(() => openRevocationEnvelope(edited, listKey.publicKey, { file: "revocations.dsse.json", keyName: "revocation-list.pub" }));
    expect(e).toMatchObject({ code: "INPUT_MALFORMED", location: { file: "revocations.dsse.json" } });
    expect(e.message).toBe(
      "revocation list: signatures[0].sig: does not verify with revocation-list.pub: the list was changed after it was signed, or signed by another key",
    );

    const unsigned = { ...signed(), signatures: [] };
    expect(thrownVouchError(() => openRevocationEnvelope(unsigned, listKey.publicKey)).message).toContain("signatures: must hold exactly one signature");
    const retyped = { ...signed(), payloadType: "application/vnd.in-toto+json" };
    expect(thrownVouchError(() => openRevocationEnvelope(retyped, listKey.publicKey)).message).toContain("payloadType: is application/vnd.in-toto+json");
    expect(thrownVouchError(() => openRevocationEnvelope(signed(), other.publicKey)).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => openRevocationEnvelope("[]", listKey.publicKey)).code).toBe("INPUT_MALFORMED");
  });
});

describe("verifyBundle with revocations (sigstore-go's keyed bundle-publish.json, logged 2023-04-18T17:45:16Z)", () => {
  const GO = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore", "sigstore-go", "examples");
  const bundle = parseBundle(readFileSync(join(GO, "bundle-publish.json"), "utf8"), "bundle-publish.json");
  const pem = readFileSync(join(GO, "publish_key.pub"), "utf8");
  const publicKey = importPublicKey(pem);
  if (bundle.content.kind !== "dsseEnvelope") throw new Error("not DSSE");
  const subject = parseStatement(bundle.content.envelope.payload).subject[0]!;
  const [algorithm, hex] = Object.entries(subject.digest)[0]!;
  const policy: VerificationPolicy = { artifact: { kind: "digest", algorithm: algorithm as "sha512", hex }, trustedRoot: publicGoodTrustedRoot(), publicKey };
  const revoked = (compromisedAt: string): RevocationList => ({
    revocations: [{ keyId: keyId(publicKey), publicKey: pem, compromisedAt: new Date(compromisedAt), reason: "key leaked in CI logs", revokedAt: new Date("2024-02-01T00:00:00Z") }],
  });

  it("has the trusted time the cases below rely on", () => {
    const result = verifyBundle(bundle, policy);
    expect(result.trustedTimes.map((t) => [t.source, t.time.toISOString()])).toEqual([["tlog", "2023-04-18T17:45:16.000Z"]]);
    expect(result.checks.map((c) => c.step)).not.toContain("revocation");
  });

  it("accepts it when the key was compromised after it was logged, with a 'signed before the compromise' check", () => {
    const result = verifyBundle(bundle, { ...policy, revocations: revoked("2024-01-01T00:00:00Z") });
    const check = result.checks.find((c) => c.step === "revocation");
    expect(check).toEqual({
      step: "revocation",
      ok: true,
      detail: `key ${keyId(publicKey)} is revoked (compromised at 2024-01-01T00:00:00.000Z: key leaked in CI logs), but signed before the compromise: trusted time 2023-04-18T17:45:16.000Z (tlog: https://rekor.sigstore.dev) before 2024-01-01T00:00:00.000Z`,
    });
    expect(result.checks.map((c) => c.step)).toEqual(["tlog", "timestamps", "revocation", "signature", "artifact"]);
  });

  it("rejects it (VERIFY_KEY) when the compromise was at or before the integrated time", () => {
    const before = thrownVouchError(() => verifyBundle(bundle, { ...policy, revocations: revoked("2023-01-01T00:00:00Z") }));
    expect(before.code).toBe("VERIFY_KEY");
    expect(before.message).toContain("signed at or after the compromise (trusted time 2023-04-18T17:45:16.000Z from tlog");
    expect(thrownVouchError(() => verifyBundle(bundle, { ...policy, revocations: revoked("2023-04-18T17:45:16Z") })).code).toBe("VERIFY_KEY");
    expect(verifyBundle(bundle, { ...policy, revocations: revoked("2023-04-18T17:45:16.001Z") }).signer.kind).toBe("publicKey");
  });

  it("says an unrelated revocation does not apply", () => {
    const unrelated: RevocationList = { revocations: [revocation(other)] };
    const result = verifyBundle(bundle, { ...policy, revocations: unrelated });
    expect(result.checks.find((c) => c.step === "revocation")).toEqual({ step: "revocation", ok: true, detail: `key ${keyId(publicKey)} is not revoked (1 revocation checked)` });
  });

  it("also applies to a keyless bundle's certificate key", () => {
    const JS = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore", "sigstore-js", "tests", "bundles");
    const keyless = parseBundle(readFileSync(join(JS, "bundleV03-dsse.sigstore"), "utf8"), "bundleV03-dsse.sigstore");
    if (keyless.content.kind !== "dsseEnvelope" || keyless.material.kind !== "certificate") throw new Error("not a keyless DSSE bundle");
    const s = parseStatement(keyless.content.envelope.payload).subject[0]!;
    const [alg, digest] = Object.entries(s.digest)[0]!;
    const certKey = importPublicKey(new X509Certificate(Buffer.from(keyless.material.certificates[0]!)).publicKey.export({ type: "spki", format: "pem" }).toString());
    const keylessPolicy: VerificationPolicy = {
      artifact: { kind: "digest", algorithm: alg as "sha512", hex: digest },
      trustedRoot: publicGoodTrustedRoot(),
      identity: { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" },
    };
    const byCert = (at: string): RevocationList => ({
      revocations: [{ keyId: keyId(certKey), publicKey: publicKeyPem(certKey), compromisedAt: new Date(at), reason: "ephemeral key exfiltrated", revokedAt: new Date(at) }],
    });
    expect(thrownVouchError(() => verifyBundle(keyless, { ...keylessPolicy, revocations: byCert("2023-01-01T00:00:00Z") })).code).toBe("VERIFY_KEY");
    const ok = verifyBundle(keyless, { ...keylessPolicy, revocations: byCert("2024-01-01T00:00:00Z") });
    expect(ok.checks.map((c) => c.step)).toEqual(["tlog", "timestamps", "certificate", "sct", "identity", "revocation", "signature", "artifact"]);
  });
});
