import { describe, expect, it } from "vitest";
import { buildCertificate } from "../../../test/support/x509-builder.js";
import { PUBLIC_GOOD_ROOT, SIGSTORE_JS_BUNDLES, fixtureBundle, fixtureRoot } from "../../../test/support/x509-fixtures.js";
import { join } from "node:path";
import { parseCertificate } from "./certificate.js";
import { verifyIssuedBy } from "./issued.js";

const chain = () => fixtureRoot(PUBLIC_GOOD_ROOT).certificateAuthorities[1]!.certChain.map(parseCertificate);
const leaf = () => parseCertificate(fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV02-dsse.sigstore")).certificates[0]!);

describe("verifyIssuedBy", () => {
  it("accepts each link of the public-good chain: leaf ← intermediate ← root ← root", () => {
    const [intermediate, root] = chain() as [ReturnType<typeof parseCertificate>, ReturnType<typeof parseCertificate>];
    expect(verifyIssuedBy(leaf(), intermediate)).toBe(true);
    expect(verifyIssuedBy(intermediate, root)).toBe(true);
    expect(verifyIssuedBy(root, root)).toBe(true);
    expect(verifyIssuedBy(leaf(), leaf())).toBe(false);
  });

  it("refuses an issuer whose name matches but whose key did not sign", () => {
    const ca = buildCertificate({ subject: "ca", ca: true });
    const impostor = buildCertificate({ subject: "ca", ca: true });
    const child = parseCertificate(buildCertificate({ subject: "child", issuer: ca }).der);
    expect(verifyIssuedBy(child, parseCertificate(ca.der))).toBe(true);
    expect(verifyIssuedBy(child, parseCertificate(impostor.der))).toBe(false);
  });

  it("refuses a signer whose key signed but whose subject is not the certificate's issuer name", () => {
    const ca = buildCertificate({ subject: "ca", ca: true });
    const renamed = buildCertificate({ subject: "other", ca: true, key: ca.key });
    const child = parseCertificate(buildCertificate({ subject: "child", issuer: ca }).der);
    expect(verifyIssuedBy(child, parseCertificate(renamed.der))).toBe(false);
  });

  it("refuses a certificate whose signature was altered", () => {
    const der = leaf().der.slice();
    der[der.length - 5] = der[der.length - 5]! ^ 0x01;
    const [intermediate] = chain();
    expect(verifyIssuedBy(parseCertificate(der), intermediate!)).toBe(false);
  });
});
