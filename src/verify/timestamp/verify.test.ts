import { describe, expect, it } from "vitest";
import type { CertificateAuthority } from "../../bundle/types.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, buildTimestamp, DAY, T0, type TestCertificate, type TokenSpec } from "../../../test/support/x509-builder.js";
import { conformanceBundle, conformanceRoot } from "../../../test/support/x509-fixtures.js";
import { parseDer, raw } from "../../core/x509/der.js";
import { parseTimestampToken } from "./token.js";
import { verifyTimestamp } from "./verify.js";

/** The case's first timestamp, the signature it covers, and its root's TSAs. */
function fixture(name: string) {
  const b = conformanceBundle(name);
  return { token: b.timestamps[0]!, signature: b.signature, tsas: conformanceRoot(name).timestampAuthorities };
}

const refused = (token: Uint8Array, signature: Uint8Array, tsas: CertificateAuthority[]) => {
  const err = thrownVouchError(() => verifyTimestamp(token, signature, tsas));
  expect(err.code).toBe("VERIFY_TIMESTAMP");
  return err.message;
};

describe("verifyTimestamp: sigstore-conformance", () => {
  it("returns genTime for tokens from the staging, production and mock TSAs", () => {
    const cases: [string, string][] = [
      ["rekor2-happy-path", "2025-06-12T12:02:20.000Z"],
      ["rekor2-timestamp-with-embedded-cert", "2025-08-06T18:51:36.000Z"],
      ["managed-key-happy-path", "2025-12-18T17:04:39.000Z"],
      ["intoto-with-custom-trust-root", "2023-02-01T00:00:00.000Z"],
      // the timestamps of these _fail cases are sound; the leaf certificate is not valid at their time
      ["intoto-tsa-timestamp-outside-cert-validity_fail", "2023-02-02T00:00:00.000Z"],
      ["rekor2-timestamp-with-incorrect-time_fail", "2025-07-15T10:33:31.000Z"],
    ];
    for (const [name, time] of cases) {
      const { token, signature, tsas } = fixture(name);
      expect(verifyTimestamp(token, signature, tsas).toISOString()).toBe(time);
    }
  });

  it("rekor2-timestamp-with-expired-cert-chain: the TSA chain is checked at genTime, not now", () => {
    const { token, signature, tsas } = fixture("rekor2-timestamp-with-expired-cert-chain");
    expect(tsas[0]!.certChain).toHaveLength(3);
    expect(verifyTimestamp(token, signature, tsas).toISOString()).toBe("2025-08-07T15:32:26.000Z");
  });

  it("rekor2-timestamp-outside-trust-root-tsa-validity_fail: the trusted root no longer trusts the TSA at genTime", () => {
    const { token, signature, tsas } = fixture("rekor2-timestamp-outside-trust-root-tsa-validity_fail");
    expect(refused(token, signature, tsas)).toBe(
      'timestamp authority "https://timestamp.sigstage.dev/api/v1/timestamp" is trusted from 2025-04-09T00:00:00.000Z to 2025-06-01T00:00:00.000Z, not at the timestamp time 2025-06-12T12:02:20.000Z',
    );
  });

  it("rekor2-timestamp-outside-tsa-cert-validity_fail: the TSA certificate expired before genTime", () => {
    const { token, signature, tsas } = fixture("rekor2-timestamp-outside-tsa-cert-validity_fail");
    expect(refused(token, signature, tsas)).toBe(
      'TSA signing certificate "O=local, CN=Test TSA Timestamping" expired at 2025-08-07T15:37:08.000Z (timestamp time 2025-08-07T15:38:32.000Z)',
    );
  });

  it("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail: embedded certificates add no trust", () => {
    const { token, signature, tsas } = fixture("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail");
    expect(parseTimestampToken(token).certificates.length).toBeGreaterThan(0);
    expect(refused(token, signature, tsas)).toBe(
      "the timestamp was not signed by a timestamp authority of the trusted root (signer serial 00c1e986160da8e982; the certificates embedded in the token are not trusted)",
    );
  });
});

describe("verifyTimestamp: tampering with a real token", () => {
  const { token, signature, tsas } = fixture("rekor2-happy-path");

  it("refuses a timestamp over other data", () => {
    const other = signature.slice();
    other[0] = other[0]! ^ 1;
    expect(refused(token, other, tsas)).toBe("the timestamp covers other data: its message imprint (sha256) is not the hash of the signature it should time");
  });

  it("refuses an altered signature", () => {
    const bad = token.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(refused(bad, signature, tsas)).toMatch(/^the timestamp's signature does not verify with "O=sigstore.dev, CN=sigstore-tsa" of timestamp authority/);
  });

  it("refuses an altered TSTInfo (the signed messageDigest no longer matches)", () => {
    const tst = parseTimestampToken(token).tstInfo;
    const at = Buffer.from(token).indexOf(Buffer.from(tst)) + tst.length - 1;
    const bad = token.slice();
    bad[at] = bad[at]! ^ 1;
    expect(refused(bad, signature, tsas)).toBe("the timestamp's signed messageDigest does not match its TSTInfo");
  });

  it("refuses a response whose status is not granted, and garbage", () => {
    const rejected = token.slice();
    expect(Array.from(rejected.subarray(4, 9))).toEqual([0x30, 0x03, 0x02, 0x01, 0x00]);
    rejected[8] = 2;
    expect(refused(rejected, signature, tsas)).toContain("the TSA did not grant the timestamp (PKIStatus 2)");
    expect(refused(new Uint8Array([1, 2, 3]), signature, tsas)).toMatch(/^the signed timestamp is malformed/);
  });

  it("accepts the bare TimeStampToken as well as the TimeStampResp", () => {
    const bare = raw(parseDer(token, "resp").subs[1]!);
    expect(verifyTimestamp(bare, signature, tsas).toISOString()).toBe("2025-06-12T12:02:20.000Z");
  });

  it("refuses when the trusted root has no timestamp authority", () => {
    expect(refused(token, signature, [])).toContain("the trusted root lists no timestamp authority");
  });
});

/** A TSA: root CA → signing certificate with the critical timeStamping EKU. */
function tsa(signing: Parameters<typeof buildCertificate>[0] = {}) {
  const root = buildCertificate({ subject: "tsa root", ca: true, keyUsage: [5], notAfter: new Date(T0.getTime() + 3650 * DAY) });
  const leaf = buildCertificate({ subject: "tsa", issuer: root, keyUsage: [0], eku: ["1.3.6.1.5.5.7.3.8"], ekuCritical: true, ...signing });
  return { root, leaf };
}

function authority(chain: TestCertificate[], validFor: CertificateAuthority["validFor"] = { start: T0 }): CertificateAuthority {
  return { uri: "https://tsa.test", subject: { commonName: "tsa" }, certChain: chain.map((c) => c.der), validFor };
}

const SIGNATURE = new Uint8Array([1, 2, 3, 4]);
const GEN = new Date(T0.getTime() + DAY);

function token(t: { root: TestCertificate; leaf: TestCertificate }, over: Partial<TokenSpec> = {}): Uint8Array {
  return buildTimestamp({ signedBytes: SIGNATURE, genTime: GEN, signer: t.leaf, signerIssuerName: t.root.name, ...over });
}

describe("verifyTimestamp: synthetic TSAs", () => {
  it("accepts a token from the trusted signing certificate, with fractional seconds", () => {
    const t = tsa();
    expect(verifyTimestamp(token(t), SIGNATURE, [authority([t.leaf, t.root])]).toISOString()).toBe("2025-01-02T00:00:00.500Z");
    expect(verifyTimestamp(token(t, { ess: "v1" }), SIGNATURE, [authority([t.leaf, t.root])])).toEqual(new Date(GEN.getTime() + 500));
    expect(verifyTimestamp(token(t, { subjectKeyId: undefined, bare: true }), SIGNATURE, [authority([t.leaf, t.root])])).toBeInstanceOf(Date);
  });

  it("accepts an embedded signing certificate only when it chains to a CA-only authority", () => {
    const t = tsa();
    const caOnly = authority([t.root]);
    expect(verifyTimestamp(token(t, { embed: [t.leaf.der] }), SIGNATURE, [caOnly])).toBeInstanceOf(Date);
    expect(refused(token(t), SIGNATURE, [caOnly])).toContain("was not signed by a timestamp authority of the trusted root");
    const stranger = tsa();
    // an untrusted TSA with the same names: its embedded certificate is found, and found not to chain
    expect(refused(token(stranger, { embed: [stranger.leaf.der, stranger.root.der] }), SIGNATURE, [caOnly])).toBe(
      'TSA signing certificate "CN=tsa" does not chain to timestamp authority "https://tsa.test"',
    );
  });

  it("refuses a token signed by another certificate than the authority's pinned signing certificate", () => {
    const t = tsa();
    const sibling = buildCertificate({ subject: "tsa", issuer: t.root, eku: ["1.3.6.1.5.5.7.3.8"], ekuCritical: true });
    expect(refused(token({ root: t.root, leaf: sibling }, { embed: [sibling.der] }), SIGNATURE, [authority([t.leaf, t.root])])).toContain(
      "was not signed by a timestamp authority",
    );
  });

  it("requires the signing-certificate attribute to name the signer (RFC 3161 §2.4.1)", () => {
    const t = tsa();
    const cas = [authority([t.leaf, t.root])];
    expect(refused(token(t, { ess: "none" }), SIGNATURE, cas)).toBe("the timestamp has no ESS signing-certificate attribute naming its signer (RFC 3161 §2.4.1)");
    const other = tsa();
    const wrongEss = buildTimestamp({ signedBytes: SIGNATURE, genTime: GEN, signer: { ...t.leaf, der: other.leaf.der }, signerIssuerName: t.root.name });
    expect(refused(wrongEss, SIGNATURE, cas)).toContain("signing-certificate attribute does not name");
  });

  it("requires a critical timeStamping-only EKU on the signing certificate (RFC 3161 §2.3)", () => {
    for (const spec of [{ ekuCritical: false }, { eku: ["1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.3"] }]) {
      const t = tsa(spec);
      expect(refused(token(t), SIGNATURE, [authority([t.leaf, t.root])])).toContain("must have a critical extendedKeyUsage of timeStamping only");
    }
    const codeSigner = tsa({ eku: ["1.3.6.1.5.5.7.3.3"] });
    expect(refused(token(codeSigner), SIGNATURE, [authority([codeSigner.leaf, codeSigner.root])])).toContain("does not have the timeStamping extended key usage");
  });

  it("checks validity at genTime, bounds inclusive", () => {
    const t = tsa({ notBefore: T0, notAfter: GEN });
    const exact = token(t, { fraction: "" });
    expect(verifyTimestamp(exact, SIGNATURE, [authority([t.leaf, t.root], { start: T0, end: GEN })])).toEqual(GEN);
    expect(refused(exact, SIGNATURE, [authority([t.leaf, t.root], { start: T0, end: new Date(GEN.getTime() - 1) })])).toContain("is trusted from");
    expect(refused(token(t), SIGNATURE, [authority([t.leaf, t.root])])).toContain("expired at 2025-01-02T00:00:00.000Z (timestamp time 2025-01-02T00:00:00.500Z)");
    const early = tsa({ notBefore: new Date(GEN.getTime() + 1000) });
    expect(refused(token(early), SIGNATURE, [authority([early.leaf, early.root])])).toContain("is not valid before");
  });

  it("refuses structural problems: wrong content type attribute, two signers, other imprint", () => {
    const t = tsa();
    const cas = [authority([t.leaf, t.root])];
    expect(refused(token(t, { contentTypeAttribute: "1.2.840.113549.1.7.1" }), SIGNATURE, cas)).toBe(
      "the timestamp's signed contentType attribute is 1.2.840.113549.1.7.1, not TSTInfo",
    );
    expect(refused(token(t, { twoSigners: true }), SIGNATURE, cas)).toContain("expected exactly one SignerInfo, found 2");
    expect(refused(token(t, { wrongImprint: true }), SIGNATURE, cas)).toContain("covers other data");
  });

  it("refuses a TSA whose intermediate is not a CA", () => {
    const root = buildCertificate({ subject: "tsa root", ca: true, keyUsage: [5] });
    const notCa = buildCertificate({ subject: "tsa intermediate", issuer: root, ca: false });
    const leaf = buildCertificate({ subject: "tsa", issuer: notCa, eku: ["1.3.6.1.5.5.7.3.8"], ekuCritical: true });
    const tok = buildTimestamp({ signedBytes: SIGNATURE, genTime: GEN, signer: leaf, signerIssuerName: notCa.name });
    expect(refused(tok, SIGNATURE, [authority([leaf, notCa, root])])).toContain('intermediate certificate "CN=tsa intermediate" is not a CA');
  });
});
