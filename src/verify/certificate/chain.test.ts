import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CertificateAuthority } from "../../bundle/types.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, DAY, extension, seq, T0, type CertSpec, type TestCertificate } from "../../../test/support/x509-builder.js";
import {
  PUBLIC_GOOD_ROOT,
  SIGSTORE_JS_BUNDLES,
  conformanceBundle,
  conformanceRoot,
  fixtureBundle,
  fixtureRoot,
} from "../../../test/support/x509-fixtures.js";
import { verifyCertificateChain } from "./chain.js";

const CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
const at = (iso: string) => new Date(iso);

describe("verifyCertificateChain: sigstore-conformance", () => {
  it("chains the production leaf to the public-good Fulcio intermediate at the integrated time", () => {
    const b = conformanceBundle("happy-path-v0.3");
    const chain = verifyCertificateChain(b.certificates, conformanceRoot("happy-path-v0.3").certificateAuthorities, b.integratedTimes[0]!);
    expect(chain.authority.uri).toBe("https://fulcio.sigstore.dev");
    expect(chain.path.map((c) => c.subject.text)).toEqual(["", "O=sigstore.dev, CN=sigstore-intermediate", "O=sigstore.dev, CN=sigstore"]);
    expect(chain.issuer).toBe(chain.path[1]);
    expect(chain.leaf.subjectAltNames[0]).toMatchObject({ type: "uri" });
  });

  it("chains a mock leaf straight to a single-certificate CA (intoto-with-custom-trust-root)", () => {
    const b = conformanceBundle("intoto-with-custom-trust-root");
    const chain = verifyCertificateChain(b.certificates, conformanceRoot("intoto-with-custom-trust-root").certificateAuthorities, b.integratedTimes[0]!);
    expect(chain.path).toHaveLength(2);
    expect(chain.authority.uri).toBe("http://localhost:8000");
  });

  it("intoto-expired-certificate_fail: the leaf is not valid at the signing time", () => {
    const b = conformanceBundle("intoto-expired-certificate_fail");
    const err = thrownVouchError(() =>
      verifyCertificateChain(b.certificates, conformanceRoot("intoto-expired-certificate_fail").certificateAuthorities, b.integratedTimes[0]!),
    );
    expect(err.code).toBe("VERIFY_CERTIFICATE_CHAIN");
    expect(err.message).toContain("is not valid before 2030-01-01T00:00:00.000Z (signing time 2023-02-01T00:00:00.000Z)");
  });

  it("bundle-from-wrong-instance_fail: a staging leaf does not chain to the production CAs", () => {
    const b = conformanceBundle("bundle-from-wrong-instance_fail");
    const err = thrownVouchError(() =>
      verifyCertificateChain(b.certificates, conformanceRoot("bundle-from-wrong-instance_fail").certificateAuthorities, b.integratedTimes[0]!),
    );
    expect(err.code).toBe("VERIFY_CERTIFICATE_CHAIN");
    expect(err.message).toMatch(/does not chain to any certificate authority of the trusted root \(tried "https:\/\/fulcio\.sigstore\.dev"/);
  });

  it("wrong-material_fail: the certificate itself chains (that case fails on the artifact, not here)", () => {
    const b = conformanceBundle("wrong-material_fail");
    expect(verifyCertificateChain(b.certificates, conformanceRoot("wrong-material_fail").certificateAuthorities, b.integratedTimes[0]!).path).toHaveLength(3);
  });

  it("checks the leaf at a TSA time outside its validity (intoto-tsa-timestamp-outside-cert-validity_fail, rekor2-timestamp-with-incorrect-time_fail)", () => {
    const mock = conformanceBundle("intoto-tsa-timestamp-outside-cert-validity_fail");
    const mockCas = conformanceRoot("intoto-tsa-timestamp-outside-cert-validity_fail").certificateAuthorities;
    expect(verifyCertificateChain(mock.certificates, mockCas, mock.integratedTimes[0]!).path).toHaveLength(2);
    expect(thrownVouchError(() => verifyCertificateChain(mock.certificates, mockCas, at("2023-02-02T00:00:00Z"))).message).toContain(
      "expired at 2023-02-01T00:10:00.000Z (signing time 2023-02-02T00:00:00.000Z)",
    );
    const staging = conformanceBundle("rekor2-timestamp-with-incorrect-time_fail");
    const err = thrownVouchError(() =>
      verifyCertificateChain(staging.certificates, conformanceRoot("rekor2-timestamp-with-incorrect-time_fail").certificateAuthorities, at("2025-07-15T10:33:31Z")),
    );
    expect(err.message).toContain("expired at 2025-06-12T12:12:16.000Z (signing time 2025-07-15T10:33:31.000Z)");
  });
});

describe("verifyCertificateChain: sigstore-js public-good bundles", () => {
  const root = fixtureRoot(PUBLIC_GOOD_ROOT);
  const files = readdirSync(SIGSTORE_JS_BUNDLES).filter((f) => f.endsWith(".sigstore"));

  it("has the 9 bundles", () => expect(files).toHaveLength(9));

  for (const file of files) {
    it(`${file}: chains at the integrated time`, () => {
      const b = fixtureBundle(join(SIGSTORE_JS_BUNDLES, file));
      const chain = verifyCertificateChain(b.certificates, root.certificateAuthorities, b.integratedTimes[0]!);
      expect(chain.leaf.subjectAltNames).toEqual([{ type: "email", value: "brian@dehamer.com" }]);
      expect(chain.authority.validFor.start.toISOString()).toBe("2022-04-13T20:06:15.000Z");
    });
  }

  it("does not trust the intermediate and root a v0.1 bundle brings along", () => {
    const b = fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV01-full-cert-chain.sigstore"));
    expect(b.certificates).toHaveLength(3);
    const onlyOldCa = root.certificateAuthorities.slice(0, 1); // the 2021 root, which did not issue this leaf
    const err = thrownVouchError(() => verifyCertificateChain(b.certificates, onlyOldCa, b.integratedTimes[0]!));
    expect(err.code).toBe("VERIFY_CERTIFICATE_CHAIN");
    expect(err.message).toContain("does not chain to any certificate authority");
  });

  it("refuses a CA the trusted root no longer trusts at the signing time", () => {
    const b = fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV03-dsse.sigstore"));
    const ca = root.certificateAuthorities[1]!;
    const retired: CertificateAuthority = { ...ca, validFor: { start: ca.validFor.start, end: at("2023-01-01T00:00:00Z") } };
    const err = thrownVouchError(() => verifyCertificateChain(b.certificates, [retired], b.integratedTimes[0]!));
    expect(err.message).toBe(
      'the leaf certificate chains to certificate authority "https://fulcio.sigstore.dev", which the trusted root trusts from 2022-04-13T20:06:15.000Z to 2023-01-01T00:00:00.000Z, not at the signing time 2023-07-12T15:50:43.000Z',
    );
    // a later CA entry that is valid still wins
    expect(verifyCertificateChain(b.certificates, [retired, ca], b.integratedTimes[0]!).authority).toBe(ca);
  });

  it("does not depend on the order of the authority's chain", () => {
    const b = fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV02-intoto.sigstore"));
    const ca = root.certificateAuthorities[1]!;
    const reversed: CertificateAuthority = { ...ca, certChain: [...ca.certChain].reverse() };
    // reversed, the anchor (last) is the intermediate: the path stops there
    expect(verifyCertificateChain(b.certificates, [reversed], b.integratedTimes[0]!).path).toHaveLength(2);
  });
});

/** A small PKI: root → intermediate → leaf, each overridable. */
function pki(over: { root?: CertSpec; intermediate?: CertSpec; leaf?: CertSpec } = {}) {
  const root = buildCertificate({ subject: "root", ca: true, keyUsage: [5, 6], notAfter: new Date(T0.getTime() + 3650 * DAY), ...over.root });
  const intermediate = buildCertificate({ subject: "intermediate", issuer: root, ca: true, pathLen: 0, keyUsage: [5, 6], eku: [CODE_SIGNING], ...over.intermediate });
  const leaf = buildCertificate({ subject: "", issuer: intermediate, keyUsage: [0], eku: [CODE_SIGNING], notBefore: T0, notAfter: new Date(T0.getTime() + 600_000), ...over.leaf });
  return { root, intermediate, leaf };
}

function authority(chain: TestCertificate[], validFor = { start: new Date(T0.getTime() - DAY) }): CertificateAuthority {
  return { uri: "https://ca.test", subject: { commonName: "test" }, certChain: chain.map((c) => c.der), validFor };
}

const SIGNED = new Date(T0.getTime() + 60_000);

describe("verifyCertificateChain: path checks", () => {
  it("accepts the boundaries of every validity window (inclusive)", () => {
    const { root, intermediate, leaf } = pki();
    const cas = [authority([intermediate, root], { start: T0 })];
    expect(verifyCertificateChain([leaf.der], cas, T0).path).toHaveLength(3);
    expect(verifyCertificateChain([leaf.der], cas, new Date(T0.getTime() + 600_000)).path).toHaveLength(3);
    const late = thrownVouchError(() => verifyCertificateChain([leaf.der], cas, new Date(T0.getTime() + 601_000)));
    expect(late.message).toMatch(/^leaf certificate serial [0-9a-f]+ expired at 2025-01-01T00:10:00.000Z \(signing time 2025-01-01T00:10:01.000Z\)$/);
  });

  it("refuses a leaf without the codeSigning EKU, a CA leaf, and a leaf without digitalSignature", () => {
    const cases: [CertSpec, string][] = [
      [{ eku: ["1.3.6.1.5.5.7.3.1"] }, "does not have the codeSigning extended key usage"],
      [{ eku: undefined }, "does not have the codeSigning extended key usage"],
      [{ ca: true }, "is a CA certificate"],
      [{ keyUsage: [2] }, "keyUsage does not allow digitalSignature"],
      [{ extensions: [extension("2.5.29.30", true, seq())] }, "has critical extension(s) vouch does not process: 2.5.29.30"],
    ];
    for (const [spec, message] of cases) {
      const { root, intermediate, leaf } = pki({ leaf: spec });
      const err = thrownVouchError(() => verifyCertificateChain([leaf.der], [authority([intermediate, root])], SIGNED));
      expect(err.code).toBe("VERIFY_CERTIFICATE_CHAIN");
      expect(err.message).toContain(message);
    }
  });

  it("refuses issuers that are not CAs, may not sign certificates, or restrict EKU to something else", () => {
    const cases: [CertSpec, string][] = [
      [{ ca: false }, 'intermediate certificate "CN=intermediate" is not a CA'],
      [{ ca: undefined }, 'intermediate certificate "CN=intermediate" is not a CA'],
      [{ keyUsage: [0] }, "keyUsage does not allow keyCertSign"],
      [{ eku: ["1.3.6.1.5.5.7.3.8"] }, "restricts extended key usage and does not allow 1.3.6.1.5.5.7.3.3"],
      [{ notAfter: new Date(T0.getTime() + 30_000) }, 'intermediate certificate "CN=intermediate" expired at 2025-01-01T00:00:30.000Z'],
    ];
    for (const [spec, message] of cases) {
      const { root, intermediate, leaf } = pki({ intermediate: spec });
      const err = thrownVouchError(() => verifyCertificateChain([leaf.der], [authority([intermediate, root])], SIGNED));
      expect(err.message).toContain(message);
    }
    const anyEku = pki({ intermediate: { eku: ["2.5.29.37.0"] } });
    expect(verifyCertificateChain([anyEku.leaf.der], [authority([anyEku.intermediate, anyEku.root])], SIGNED).path).toHaveLength(3);
  });

  it("enforces pathLenConstraint", () => {
    const root = buildCertificate({ subject: "root", ca: true, pathLen: 0, keyUsage: [5] });
    const intermediate = buildCertificate({ subject: "intermediate", issuer: root, ca: true, keyUsage: [5] });
    const leaf = buildCertificate({ subject: "", issuer: intermediate, eku: [CODE_SIGNING] });
    const err = thrownVouchError(() => verifyCertificateChain([leaf.der], [authority([intermediate, root])], SIGNED));
    expect(err.message).toBe('root certificate "CN=root" allows 0 intermediate certificate(s) below it, the path has 1');
    const relaxed = buildCertificate({ subject: "root", ca: true, pathLen: 1, keyUsage: [5], key: root.key });
    const intermediate2 = buildCertificate({ subject: "intermediate", issuer: relaxed, ca: true, keyUsage: [5], key: intermediate.key });
    expect(verifyCertificateChain([leaf.der], [authority([intermediate2, relaxed])], SIGNED).path).toHaveLength(3);
  });

  it("refuses a leaf signed by a key other than the intermediate's", () => {
    const { root, intermediate } = pki();
    const rogueCa = buildCertificate({ subject: "intermediate", ca: true, keyUsage: [5] }); // same name, own key
    const leaf = buildCertificate({ subject: "", issuer: rogueCa, eku: [CODE_SIGNING] });
    const err = thrownVouchError(() => verifyCertificateChain([leaf.der, rogueCa.der], [authority([intermediate, root])], SIGNED));
    expect(err.message).toContain('(issuer "CN=intermediate") does not chain to any certificate authority of the trusted root (tried "https://ca.test")');
  });

  it("says what is wrong with the input itself", () => {
    const { root, intermediate, leaf } = pki();
    const cas = [authority([intermediate, root])];
    expect(thrownVouchError(() => verifyCertificateChain([], cas, SIGNED)).message).toBe("the bundle carries no signing certificate");
    const garbage = thrownVouchError(() => verifyCertificateChain([new Uint8Array([0x30, 0x01, 0x00])], cas, SIGNED));
    expect(garbage.code).toBe("VERIFY_CERTIFICATE_CHAIN");
    expect(garbage.message).toContain("the signing certificate is not a valid X.509 certificate");
    expect(thrownVouchError(() => verifyCertificateChain([leaf.der], cas, new Date(Number.NaN))).code).toBe("INPUT_USAGE");
    const broken: CertificateAuthority = { ...cas[0]!, certChain: [new Uint8Array([1, 2, 3])] };
    const bad = thrownVouchError(() => verifyCertificateChain([leaf.der], [broken], SIGNED));
    expect(bad.code).toBe("INPUT_MALFORMED");
    expect(bad.message).toContain('trusted root certificate authority "https://ca.test": certificate 0 of its chain is not valid');
    expect(thrownVouchError(() => verifyCertificateChain([leaf.der], [], SIGNED)).message).toContain("(the trusted root lists none)");
  });
});
