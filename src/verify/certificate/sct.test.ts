import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../core/x509/index.js";
import type { TransparencyLogInstance } from "../../bundle/types.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, ecKey, T0, type TestKey } from "../../../test/support/x509-builder.js";
import { PUBLIC_GOOD_ROOT, SIGSTORE_JS_BUNDLES, conformanceBundle, conformanceRoot, fixtureBundle, fixtureRoot } from "../../../test/support/x509-fixtures.js";
import { createHash } from "node:crypto";
import { verifyScts } from "./sct.js";

const root = fixtureRoot(PUBLIC_GOOD_ROOT);
const [intermediateDer, rootDer] = root.certificateAuthorities[1]!.certChain as [Uint8Array, Uint8Array];
const leafDer = fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV03-intoto.sigstore")).certificates[0]!;

/** The leaf with one byte changed at `offset` from the start of `needle`'s first occurrence. */
function patched(der: Uint8Array, needle: Uint8Array, offset: number): Uint8Array {
  const at = Buffer.from(der).indexOf(Buffer.from(needle));
  expect(at).toBeGreaterThan(0);
  const out = der.slice();
  out[at + offset] = out[at + offset]! ^ 0x01;
  return out;
}

describe("verifyScts: real Fulcio certificates", () => {
  it("verifies the public-good leaf's SCT against ctfe.sigstore.dev/2022", () => {
    const [sct, ...rest] = verifyScts(leafDer, intermediateDer, root.ctlogs, 1);
    expect(rest).toEqual([]);
    expect(sct!.logUrl).toBe("https://ctfe.sigstore.dev/2022");
    expect(Buffer.from(sct!.logId).toString("base64")).toBe("3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=");
    expect(sct!.timestamp.toISOString()).toBe("2023-07-12T15:34:37.569Z");
  });

  it("verifies staging and mock SCTs against their roots' CT logs", () => {
    for (const [name, url] of [
      ["rekor2-happy-path", "https://ctfe.sigstage.dev/2022-2"],
      ["intoto-with-custom-trust-root", "http://localhost:8000"],
    ] as const) {
      const b = conformanceBundle(name);
      const r = conformanceRoot(name);
      const chainCerts = r.certificateAuthorities[0]!.certChain;
      expect(verifyScts(b.certificates[0]!, chainCerts[0]!, r.ctlogs, 1).map((s) => s.logUrl)).toEqual([url]);
    }
  });

  it("refuses an SCT whose signature was altered", () => {
    const sctList = parseCertificate(leafDer).sctList!;
    const tampered = patched(leafDer, sctList, sctList.length - 1);
    const err = thrownVouchError(() => verifyScts(tampered, intermediateDer, root.ctlogs, 1));
    expect(err.code).toBe("VERIFY_SCT");
    expect(err.message).toBe(
      "the SCT from CT log https://ctfe.sigstore.dev/2022 (timestamp 2023-07-12T15:34:37.569Z) does not verify: the signature does not match this certificate",
    );
  });

  it("refuses an SCT when the certificate's other fields changed (the SCT binds the precertificate)", () => {
    const tampered = patched(leafDer, Buffer.from("brian@dehamer.com"), 0);
    expect(parseCertificate(tampered).subjectAltNames).toEqual([{ type: "email", value: "crian@dehamer.com" }]);
    expect(thrownVouchError(() => verifyScts(tampered, intermediateDer, root.ctlogs, 1)).code).toBe("VERIFY_SCT");
  });

  it("refuses an SCT checked against the wrong issuer key (issuer_key_hash)", () => {
    expect(thrownVouchError(() => verifyScts(leafDer, rootDer, root.ctlogs, 1)).message).toContain("does not verify");
  });

  it("does not count an SCT from a log the trusted root does not list", () => {
    const others = root.ctlogs.filter((l) => !l.baseUrl.endsWith("/2022"));
    const err = thrownVouchError(() => verifyScts(leafDer, intermediateDer, others, 1));
    expect(err.code).toBe("VERIFY_SCT");
    expect(err.message).toBe(
      "0 SCT(s) from distinct trusted CT logs verified, 1 required; not counted: an SCT from log dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e, which the trusted root does not list",
    );
    expect(verifyScts(leafDer, intermediateDer, others, 0)).toEqual([]);
  });

  it("does not count an SCT made outside the log's validity in the trusted root", () => {
    const expired = root.ctlogs.map((l): TransparencyLogInstance => ({ ...l, validFor: { start: l.validFor.start, end: new Date("2023-01-01T00:00:00Z") } }));
    const err = thrownVouchError(() => verifyScts(leafDer, intermediateDer, expired, 1));
    expect(err.message).toContain("an SCT from https://ctfe.sigstore.dev/2022 at 2023-07-12T15:34:37.569Z, outside the log's validity in the trusted root");
  });

  it("requires `threshold` distinct logs", () => {
    expect(thrownVouchError(() => verifyScts(leafDer, intermediateDer, root.ctlogs, 2)).message).toBe(
      "1 SCT(s) from distinct trusted CT logs verified, 2 required",
    );
  });

  it("refuses a certificate without SCTs unless none are required", () => {
    expect(thrownVouchError(() => verifyScts(intermediateDer, rootDer, root.ctlogs, 1)).message).toBe(
      "the signing certificate has no embedded SCTs (1 required)",
    );
    expect(verifyScts(intermediateDer, rootDer, root.ctlogs, 0)).toEqual([]);
  });
});

function ctlog(key: TestKey, url = "https://ct.test"): TransparencyLogInstance {
  return {
    baseUrl: url,
    hashAlgorithm: "SHA2_256",
    publicKeyDer: key.spki,
    keyDetails: "PKIX_ECDSA_P256_SHA_256",
    validFor: { start: new Date(T0.getTime() - 1000) },
    logId: createHash("sha256").update(key.spki).digest(),
  };
}

describe("verifyScts: synthetic certificates", () => {
  const log = ecKey();
  const ca = buildCertificate({ subject: "ca", ca: true });

  it("verifies an SCT over the precertificate, and refuses one signed over other data", () => {
    const good = buildCertificate({ subject: "", issuer: ca, eku: ["1.3.6.1.5.5.7.3.3"], sct: { log, timestamp: T0 } });
    expect(verifyScts(good.der, ca.der, [ctlog(log)], 1)[0]!.timestamp).toEqual(T0);
    const bad = buildCertificate({ subject: "", issuer: ca, eku: ["1.3.6.1.5.5.7.3.3"], sct: { log, timestamp: T0, tamper: true } });
    expect(thrownVouchError(() => verifyScts(bad.der, ca.der, [ctlog(log)], 1)).code).toBe("VERIFY_SCT");
  });

  it("refuses an SCT signed by another key that claims the trusted log's ID", () => {
    const impostor = ecKey();
    const trusted = ctlog(log);
    const cert = buildCertificate({ subject: "", issuer: ca, sct: { log: impostor, timestamp: T0 } });
    const spoofed: TransparencyLogInstance = { ...trusted, logId: createHash("sha256").update(impostor.spki).digest() };
    expect(thrownVouchError(() => verifyScts(cert.der, ca.der, [spoofed], 1)).message).toContain("does not verify");
  });

  it("reports a malformed certificate under VERIFY_SCT", () => {
    expect(thrownVouchError(() => verifyScts(new Uint8Array([0x30, 0x00]), ca.der, [], 1)).code).toBe("VERIFY_SCT");
  });
});
