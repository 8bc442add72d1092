import { createHash, createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalizeProposedEntry } from "../entries/index.js";
import { certificateProposal, identityCertificate } from "../../../test/support/monitor-harness.js";
import { ecdsaKey, hashedRekordProposal, publicKeyPem } from "../../../test/support/rekor-proposals.js";
import { entrySigners, keyFingerprint } from "./signers.js";

const spki = (key: ReturnType<typeof ecdsaKey>) => new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("entry signers", () => {
  it("reads a bare key's fingerprint from a logged hashedrekord", () => {
    const key = ecdsaKey();
    const logged = canonicalizeProposedEntry(hashedRekordProposal(key, "x")).body;
    expect(entrySigners(logged)).toEqual({ signers: [{ identities: [], keyFingerprint: sha256(spki(key)) }] });
  });

  it("reads a certificate's identities, Fulcio issuer and key fingerprint", () => {
    const cert = identityCertificate("release@example.com", "https://issuer.example");
    const logged = canonicalizeProposedEntry(certificateProposal(cert, "x")).body;
    expect(entrySigners(logged)).toEqual({
      signers: [{ identities: ["release@example.com"], issuer: "https://issuer.example", keyFingerprint: sha256(cert.key.spki) }],
    });
  });

  it("finds base64 PEM verifiers in kinds vouch does not parse (Rekor's rekord, helm, rpm, ...)", () => {
    const key = ecdsaKey();
    const rekord = {
      apiVersion: "0.0.1",
      kind: "rekord",
      spec: { data: { hash: { algorithm: "sha256", value: "00".repeat(32) } }, signature: { format: "x509", content: "AA==", publicKey: { content: Buffer.from(publicKeyPem(key)).toString("base64") } } },
    };
    expect(entrySigners(body(rekord)).signers).toEqual([{ identities: [], keyFingerprint: sha256(spki(key)) }]);
  });

  it("gives one fingerprint per key whatever its encoding (compressed EC point)", () => {
    const key = ecdsaKey();
    const jwk = createPublicKey(key).export({ format: "jwk" });
    const x = Buffer.from(jwk.x!, "base64url");
    const yOdd = Buffer.from(jwk.y!, "base64url").at(-1)! & 1;
    // SPKI for P-256 with a compressed point: the standard 26-byte prefix with the BIT STRING shortened to 34 bytes.
    const compressed = Buffer.concat([Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"), Buffer.from([2 + yOdd]), x]);
    expect(keyFingerprint(compressed)).toBe(sha256(spki(key)));
    expect(keyFingerprint(Buffer.from("not a key"))).toBe(sha256(Buffer.from("not a key")));
  });

  it("counts what it cannot read instead of failing: garbage, no signer, a certificate that does not parse", () => {
    expect(entrySigners(Buffer.from("\xff not json"))).toMatchObject({ signers: [], unreadable: expect.stringMatching(/not UTF-8 JSON/) });
    expect(entrySigners(body({ kind: "tuf", apiVersion: "0.0.1", spec: {} }))).toMatchObject({ signers: [], unreadable: expect.stringMatching(/unsupported/) });
    const brokenCert = Buffer.from("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").toString("base64");
    const entry = { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "sha256", value: "00".repeat(32) } }, signature: { content: "AA==", publicKey: { content: brokenCert } } } };
    expect(entrySigners(body(entry))).toMatchObject({ signers: [], unreadable: expect.stringMatching(/certificate does not parse/) });
  });
});
