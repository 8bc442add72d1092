import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyIssuedBy } from "../core/x509/index.js";
import { logsById, trustMaterial } from "./trust-material.js";
import { parseTrustedRoot, publicGoodTrustedRoot } from "./trusted-root.js";
import type { TrustedRoot } from "./types.js";

const CONFORMANCE = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore", "conformance", "test", "assets", "bundle-verify");
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("trustMaterial", () => {
  it("is built once per root object", () => {
    const root = publicGoodTrustedRoot();
    expect(trustMaterial(root)).toBe(trustMaterial(root));
    expect(trustMaterial({ ...root })).not.toBe(trustMaterial(root));
  });

  it("indexes Rekor logs by log ID with their keys loaded", () => {
    const m = trustMaterial(publicGoodTrustedRoot());
    expect([...m.tlogs.keys()]).toEqual([
      "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",
      "cf1199155bddd051268d1f16ac5c0c75c009f6fb5a63f4177f8e18d7051e3fa0",
    ]);
    const [rekor] = logsById(m.tlogs, fromB64("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="));
    expect(rekor!.instance.baseUrl).toBe("https://rekor.sigstore.dev");
    expect([rekor!.key.asymmetricKeyType, rekor!.key.asymmetricKeyDetails?.namedCurve]).toEqual(["ec", "prime256v1"]);
    const [rekorV2] = logsById(m.tlogs, fromB64("zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A="));
    expect(rekorV2!.key.asymmetricKeyType).toBe("ed25519");
    expect(logsById(m.tlogs, new Uint8Array(32))).toEqual([]);
    expect(m.unusable).toEqual([]);
  });

  it("uses log IDs that are the SHA-256 of the key (RFC 6962 §3.2) for Rekor v1 and the CT logs", () => {
    const m = trustMaterial(publicGoodTrustedRoot());
    const rekorV1 = logsById(m.tlogs, fromB64("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="))[0]!;
    expect(sha256(rekorV1.instance.publicKeyDer)).toBe("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d");
    for (const [id, [log]] of m.ctlogs) expect(sha256(log!.instance.publicKeyDer)).toBe(id);
  });

  it("parses the CA chains, leaf-most first", () => {
    const m = trustMaterial(publicGoodTrustedRoot());
    const [, current] = m.certificateAuthorities;
    expect(current!.certificates.map((c) => c.subject.text)).toEqual(["O=sigstore.dev, CN=sigstore-intermediate", "O=sigstore.dev, CN=sigstore"]);
    expect(verifyIssuedBy(current!.certificates[0]!, current!.certificates[1]!)).toBe(true);
    expect(current!.certificates.every((c) => c.isCA)).toBe(true);
    expect(m.timestampAuthorities[0]!.certificates).toHaveLength(2);
  });

  it("loads a PKCS#1 RSA CT log key (staging ctfe.sigstage.dev/test)", () => {
    const root = parseTrustedRoot(readFileSync(join(CONFORMANCE, "rekor2-happy-path", "trusted_root.json"), "utf8"));
    const m = trustMaterial(root);
    const rsa = [...m.ctlogs.values()].flat().find((l) => l.instance.keyDetails === "PKCS1_RSA_PKCS1V5");
    expect(rsa!.instance.baseUrl).toBe("https://ctfe.sigstage.dev/test");
    expect(rsa!.key.asymmetricKeyType).toBe("rsa");
    expect(m.unusable).toEqual([]);
  });

  it("leaves out a key or certificate node:crypto cannot load, and says which", () => {
    const good = publicGoodTrustedRoot();
    const root: TrustedRoot = {
      ...good,
      tlogs: [{ ...good.tlogs[0]!, publicKeyDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) }, good.tlogs[1]!],
      certificateAuthorities: [{ ...good.certificateAuthorities[0]!, certChain: [new Uint8Array([1, 2, 3])] }],
    };
    const m = trustMaterial(root);
    expect([...m.tlogs.values()].flat().map((l) => l.instance.baseUrl)).toEqual(["https://log2025-1.rekor.sigstore.dev"]);
    expect(m.certificateAuthorities).toEqual([]);
    expect(m.unusable).toEqual([
      "tlogs[0] (https://rekor.sigstore.dev): key of type PKIX_ECDSA_P256_SHA_256 could not be loaded",
      "certificateAuthorities[0] (https://fulcio.sigstore.dev): a certificate could not be parsed",
    ]);
  });

  it("keeps every validity window of a key that appears twice", () => {
    const good = publicGoodTrustedRoot();
    const first = { ...good.tlogs[0]!, validFor: { start: new Date("2021-01-01T00:00:00Z"), end: new Date("2022-01-01T00:00:00Z") } };
    const m = trustMaterial({ ...good, tlogs: [first, good.tlogs[0]!] });
    expect(logsById(m.tlogs, good.tlogs[0]!.logId).map((l) => l.instance.validFor.end?.getUTCFullYear())).toEqual([2022, undefined]);
  });
});
