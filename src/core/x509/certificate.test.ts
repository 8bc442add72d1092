import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, ecKey, extension, ia5, octet, seq, utf8 } from "../../../test/support/x509-builder.js";
import { PUBLIC_GOOD_ROOT, SIGSTORE, SIGSTORE_JS_BUNDLES, fixtureBundle, fixtureRoot } from "../../../test/support/x509-fixtures.js";
import { describeCertificate, extensionText, parseCertificate } from "./certificate.js";

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("hex"));

const GO = join(SIGSTORE, "sigstore-go", "pkg", "testing", "data");
const provenanceLeaf = () => fixtureBundle(join(GO, "bundles", "sigstore.js@2.0.0-provenance.sigstore.json")).certificates[0]!;
const emailLeaf = () => fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV03-intoto.sigstore")).certificates[0]!;
const publicGood = () => fixtureRoot(PUBLIC_GOOD_ROOT);

describe("parseCertificate: a Fulcio GitHub Actions leaf", () => {
  const cert = parseCertificate(provenanceLeaf());

  it("reads the TBS fields", () => {
    expect(cert.version).toBe(3);
    expect(cert.serialHex).toBe("7ddff914df3c117e1bc29edced0e59ace5e0470e");
    expect(cert.issuer.text).toBe("O=sigstore.dev, CN=sigstore-intermediate");
    expect(cert.subject.text).toBe("");
    expect(cert.notBefore.toISOString()).toBe("2023-08-18T16:05:35.000Z");
    expect(cert.notAfter.toISOString()).toBe("2023-08-18T16:15:35.000Z");
    expect(cert.publicKeyAlgorithm).toBe("1.2.840.10045.2.1");
    expect(cert.signatureAlgorithm).toMatchObject({ name: "ecdsa-with-SHA384", kind: "ecdsa", hash: "sha384" });
    expect(cert.tbs.length).toBeLessThan(cert.der.length);
    expect(cert.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reads the usage extensions and key identifiers", () => {
    expect(cert.isCA).toBe(false);
    expect(cert.keyUsage?.digitalSignature).toBe(true);
    expect(cert.keyUsage?.keyCertSign).toBe(false);
    expect(cert.extKeyUsage).toEqual(["1.3.6.1.5.5.7.3.3"]);
    expect(cert.codeSigning).toBe(true);
    expect(hex(cert.subjectKeyId)).toBe("20701e41b419cfdbc1b82afe2e46ab6539f7f029");
    expect(hex(cert.authorityKeyId)).toBe("dfd3e9cf56241196f9a8d8e92855a2c62e18643f");
    expect(cert.sctList?.length).toBeGreaterThan(100);
    expect(cert.unhandledCriticalExtensions).toEqual([]);
  });

  it("reads the SAN and every Fulcio claim, v1 raw strings and v2 UTF8Strings", () => {
    expect(cert.subjectAltNames).toEqual([{ type: "uri", value: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main" }]);
    expect(cert.fulcio).toEqual({
      issuerV1: "https://token.actions.githubusercontent.com",
      githubWorkflowTrigger: "push",
      githubWorkflowSHA: "f0b49a04e5a62250e0f60fb128004a73110fe311",
      githubWorkflowName: "Release",
      githubWorkflowRepository: "sigstore/sigstore-js",
      githubWorkflowRef: "refs/heads/main",
      issuer: "https://token.actions.githubusercontent.com",
      buildSignerURI: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
      buildSignerDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311",
      runnerEnvironment: "github-hosted",
      sourceRepositoryURI: "https://github.com/sigstore/sigstore-js",
      sourceRepositoryDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311",
      sourceRepositoryRef: "refs/heads/main",
      sourceRepositoryIdentifier: "495574555",
      sourceRepositoryOwnerURI: "https://github.com/sigstore",
      sourceRepositoryOwnerIdentifier: "71096353",
      buildConfigURI: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
      buildConfigDigest: "f0b49a04e5a62250e0f60fb128004a73110fe311",
      buildTrigger: "push",
      runInvocationURI: "https://github.com/sigstore/sigstore-js/actions/runs/5904696764/attempts/1",
      sourceRepositoryVisibilityAtSigning: "public",
    });
    expect(extensionText(cert, "1.3.6.1.4.1.57264.1.5")).toBe("sigstore/sigstore-js");
    expect(extensionText(cert, "1.3.6.1.4.1.57264.1.12")).toBe("https://github.com/sigstore/sigstore-js");
    expect(extensionText(cert, "1.2.3.4")).toBeUndefined();
  });

  it("names the certificate in messages by its SAN when the subject is empty", () => {
    expect(describeCertificate(cert)).toBe(
      '"https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main" (serial 7ddff914df3c117e1bc29edced0e59ace5e0470e)',
    );
  });
});

describe("parseCertificate: other certificates", () => {
  it("reads an email SAN and the OAuth issuer", () => {
    const cert = parseCertificate(emailLeaf());
    expect(cert.subjectAltNames).toEqual([{ type: "email", value: "brian@dehamer.com" }]);
    expect(cert.fulcio).toEqual({ issuerV1: "https://github.com/login/oauth", issuer: "https://github.com/login/oauth" });
  });

  it("reads an otherName SAN (Fulcio username identity, 1.3.6.1.4.1.57264.1.7)", () => {
    const cert = parseCertificate(fixtureBundle(join(GO, "bundles", "othername.sigstore.json")).certificates[0]!);
    expect(cert.subjectAltNames).toEqual([{ type: "otherName", oid: "1.3.6.1.4.1.57264.1.7", value: "foo!oidc.local" }]);
  });

  it("reads CA constraints of the public-good Fulcio root and intermediate", () => {
    const [intermediate, root] = publicGood().certificateAuthorities[1]!.certChain.map(parseCertificate);
    expect(intermediate!.subject.text).toBe("O=sigstore.dev, CN=sigstore-intermediate");
    expect(intermediate).toMatchObject({ isCA: true, pathLen: 0, codeSigning: true });
    expect(intermediate!.keyUsage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
    expect(root!.isCA).toBe(true);
    expect(root!.pathLen).toBeUndefined();
    expect(root!.extKeyUsage).toBeUndefined();
    expect(root!.subject.text).toBe("O=sigstore.dev, CN=sigstore");
    expect(root!.issuer.der).toEqual(root!.subject.der);
  });

  it("decodes a DER string or a raw string for an arbitrary extension OID", () => {
    const cert = parseCertificate(
      buildCertificate({
        extensions: [extension("1.2.3.4.1", false, utf8("der value")), extension("1.2.3.4.2", false, new Uint8Array(Buffer.from("raw value")))],
      }).der,
    );
    expect(extensionText(cert, "1.2.3.4.1")).toBe("der value");
    expect(extensionText(cert, "1.2.3.4.2")).toBe("raw value");
  });

  it("escapes distinguished-name metacharacters in the readable form", () => {
    const cert = parseCertificate(buildCertificate({ subject: "evil, CN=sigstore" }).der);
    expect(cert.subject.text).toBe("CN=evil\\, CN\\=sigstore");
  });
});

describe("parseCertificate: cache", () => {
  it("returns the same frozen object for the same bytes and copies the input", () => {
    const der = emailLeaf();
    const a = parseCertificate(der);
    const copy = der.slice();
    der[der.length - 1] = der[der.length - 1]! ^ 0xff; // the caller mutates its buffer afterwards
    expect(parseCertificate(copy)).toBe(a);
    expect(a.der).toEqual(copy);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a.subjectAltNames as unknown[]).push("x");
    }).toThrow();
  });
});

describe("parseCertificate: malformed input", () => {
  it("refuses truncation and trailing bytes", () => {
    const der = emailLeaf();
    expect(thrownVouchError(() => parseCertificate(der.subarray(0, der.length - 1))).code).toBe("INPUT_MALFORMED");
    const padded = new Uint8Array([...der, 0]);
    expect(thrownVouchError(() => parseCertificate(padded)).message).toContain("trailing");
  });

  it("refuses a public key where a certificate is expected", () => {
    const key = ecKey();
    expect(thrownVouchError(() => parseCertificate(key.spki)).message).toBe("certificate: expected 3..3 elements, found 2");
  });

  it("refuses an outer signature algorithm that differs from the signed one (RFC 5280 §4.1.1.2)", () => {
    const err = thrownVouchError(() => parseCertificate(buildCertificate({ mismatchedOuterAlgorithm: true }).der));
    expect(err.message).toBe("certificate: signatureAlgorithm differs from tbsCertificate.signature");
  });

  it("refuses a duplicated extension (RFC 5280 §4.2)", () => {
    const san = extension("2.5.29.17", false, seq(ia5(0x81, "a@example.com")));
    expect(thrownVouchError(() => parseCertificate(buildCertificate({ extensions: [san, san] }).der)).message).toBe(
      "certificate: duplicate extension 2.5.29.17",
    );
  });

  it("records critical extensions it does not process", () => {
    const nameConstraints = extension("2.5.29.30", true, seq());
    const cert = parseCertificate(buildCertificate({ extensions: [nameConstraints, extension("1.2.3.9", false, octet(new Uint8Array([1])))] }).der);
    expect(cert.unhandledCriticalExtensions).toEqual(["2.5.29.30"]);
  });

  it("leaves a malformed Fulcio claim out of `fulcio` and reports it when asked", () => {
    const badIssuer = extension("1.3.6.1.4.1.57264.1.8", false, new Uint8Array(Buffer.from("not DER")));
    const cert = parseCertificate(buildCertificate({ extensions: [badIssuer] }).der);
    expect(cert.fulcio).toEqual({});
    expect(thrownVouchError(() => extensionText(cert, "1.3.6.1.4.1.57264.1.8")).code).toBe("INPUT_MALFORMED");
  });
});
