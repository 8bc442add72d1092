import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { ed25519, ed25519ph } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, ecKey } from "../../../test/support/x509-builder.js";
import { canonicalizeProposedEntry, canonicalizeV2Request } from "./index.js";

type HashName = "sha256" | "sha384" | "sha512";

interface Signer {
  spki: Uint8Array;
  /** Signs the artifact the way a client of this key type does for hashedrekord. */
  sign(artifact: Uint8Array, hash: HashName): Uint8Array;
}

const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString("base64");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const digest = (hash: HashName, data: Uint8Array): Uint8Array => createHash(hash).update(data).digest();
const pem = (der: Uint8Array, label = "PUBLIC KEY"): string =>
  `-----BEGIN ${label}-----\n${b64(der).match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
const json = (body: Uint8Array): any => JSON.parse(Buffer.from(body).toString("utf8"));

function nodeSigner(type: "ec" | "rsa" | "ed25519", options: { namedCurve?: string; modulusLength?: number } = {}): Signer {
  const { privateKey, publicKey } =
    type === "ec"
      ? generateKeyPairSync("ec", { namedCurve: options.namedCurve! })
      : type === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: options.modulusLength! })
        : generateKeyPairSync("ed25519");
  return {
    spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
    sign: (artifact, hash) => sign(type === "ed25519" ? null : hash, artifact, privateKey as KeyObject),
  };
}

/** Ed25519ph (RFC 8032 HashEdDSA): what Rekor's hashedrekord accepts for Ed25519 keys. */
function ed25519phSigner(): Signer {
  const { secretKey, publicKey } = ed25519ph.keygen();
  return {
    spki: new Uint8Array(Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKey])),
    sign: (artifact) => ed25519ph.sign(artifact, secretKey),
  };
}

const P256 = nodeSigner("ec", { namedCurve: "P-256" });
const P384 = nodeSigner("ec", { namedCurve: "P-384" });
const P521 = nodeSigner("ec", { namedCurve: "P-521" });
const RSA2048 = nodeSigner("rsa", { modulusLength: 2048 });
const ED25519PH = ed25519phSigner();
const artifact = new Uint8Array(Buffer.from("an artifact\n"));

function v1(signer: Signer, hash: HashName, overrides: { value?: string; content?: string; key?: string } = {}) {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: hash, value: overrides.value ?? hex(digest(hash, artifact)) } },
      signature: { content: overrides.content ?? b64(signer.sign(artifact, hash)), publicKey: { content: overrides.key ?? b64(pem(signer.spki)) } },
    },
  };
}

const reason = (run: () => unknown): string => {
  const error = thrownVouchError(run);
  expect(error.code).toBe("LOG_INVALID_ENTRY");
  return error.message;
};

describe("hashedrekord 0.0.1", () => {
  it.each([
    ["ECDSA P-256", P256, "sha256"],
    ["ECDSA P-384", P384, "sha384"],
    ["ECDSA P-521", P521, "sha512"],
    ["RSA-2048 PKCS#1 v1.5", RSA2048, "sha256"],
    ["Ed25519ph", ED25519PH, "sha512"],
  ] as const)("%s over a %s digest: verified, stored as Rekor stores it", (_name, signer, hash) => {
    const request = v1(signer, hash);
    const entry = canonicalizeProposedEntry(request);
    expect(entry).toMatchObject({ kind: "hashedrekord", apiVersion: "0.0.1", signers: [{ publicKey: signer.spki }] });
    expect(json(entry.body)).toEqual(request);
    expect(Buffer.from(entry.body).toString()).toMatch(/^\{"apiVersion":"0\.0\.1","kind":"hashedrekord","spec":\{"data":/);
  });

  it("keeps only the fields Rekor keeps, and re-encodes the key as Go's pem.Encode writes it", () => {
    const request: any = v1(P256, "sha256");
    request.spec.data.content = b64(artifact);
    request.spec.data.hash.extra = 1;
    request.spec.signature.publicKey.url = "https://example.com/key.pub";
    request.spec.signature.format = "x509";
    request.extra = "ignored";
    const crlf = pem(P256.spki).replace(/\n/g, "\r\n").replace(/\r\n$/, "");
    request.spec.signature.publicKey.content = b64(crlf);
    expect(json(canonicalizeProposedEntry(request).body)).toEqual(v1(P256, "sha256", { content: request.spec.signature.content }));
  });

  it("stores the hex digest as sent (Rekor does not lower-case it)", () => {
    const upper = hex(digest("sha256", artifact)).toUpperCase();
    expect(json(canonicalizeProposedEntry(v1(P256, "sha256", { value: upper })).body).spec.data.hash.value).toBe(upper);
  });

  it("names the signer by its certificate when the PEM is one", () => {
    const key = ecKey();
    const cert = buildCertificate({ key, subject: "" });
    const signer: Signer = { spki: key.spki, sign: (a) => sign("sha256", a, key.privateKey) };
    const entry = canonicalizeProposedEntry(v1(signer, "sha256", { key: b64(pem(cert.der, "CERTIFICATE")) }));
    expect(entry.signers).toEqual([{ certificate: cert.der, publicKey: key.spki }]);
    expect(Buffer.from(json(entry.body).spec.signature.publicKey.content, "base64").toString()).toBe(pem(cert.der, "CERTIFICATE"));
  });

  describe("refuses a signature that does not verify", () => {
    it("a bad signature", () => {
      const bad = P256.sign(artifact, "sha256");
      bad[bad.length - 1]! ^= 1;
      expect(reason(() => canonicalizeProposedEntry(v1(P256, "sha256", { content: b64(bad) })))).toBe(
        "spec.signature.content does not verify with spec.signature.publicKey.content over the digest",
      );
    });

    it("the wrong key", () => {
      const other = nodeSigner("ec", { namedCurve: "P-256" });
      const request = v1(P256, "sha256", { key: b64(pem(other.spki)) });
      expect(reason(() => canonicalizeProposedEntry(request))).toMatch(/does not verify/);
    });

    it("a tampered digest", () => {
      const value = hex(digest("sha256", Buffer.from("another artifact")));
      expect(reason(() => canonicalizeProposedEntry(v1(P256, "sha256", { value })))).toMatch(/does not verify/);
    });

    it("a signature that is not DER at all", () => {
      expect(reason(() => canonicalizeProposedEntry(v1(RSA2048, "sha256", { content: b64("garbage") })))).toMatch(/does not verify/);
      expect(reason(() => canonicalizeProposedEntry(v1(P521, "sha512", { content: b64("garbage") })))).toMatch(/does not verify/);
    });
  });

  describe("refuses a digest algorithm the key type does not sign with (Rekor's algorithm registry)", () => {
    it.each([
      [P256, "sha512", "an ECDSA P-256 key, which signs sha256 digests, not sha512"],
      [P384, "sha256", "an ECDSA P-384 key, which signs sha384 digests, not sha256"],
      [RSA2048, "sha512", "a 2048-bit RSA key, which signs sha256 digests, not sha512"],
      [ED25519PH, "sha256", "Ed25519 (hashedrekord needs Ed25519ph over a SHA-512 digest), which signs sha512 digests, not sha256"],
    ] as const)("%#: %s", (signer, hash, message) => {
      expect(reason(() => canonicalizeProposedEntry(v1(signer, hash)))).toBe(`spec.signature.publicKey.content is ${message}`);
    });

    it("a pure Ed25519 signature over the artifact cannot be checked against a digest", () => {
      const secret = ed25519.utils.randomSecretKey();
      const spki = new Uint8Array(Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), ed25519.getPublicKey(secret)]));
      const pure: Signer = { spki, sign: (a) => ed25519.sign(a, secret) };
      expect(reason(() => canonicalizeProposedEntry(v1(pure, "sha512")))).toMatch(/does not verify/);
    });
  });

  describe("refuses malformed fields, naming them", () => {
    const good = () => v1(P256, "sha256") as any;
    it.each([
      ["signature content with a stray character", (r: any) => (r.spec.signature.content = "!" + r.spec.signature.content.slice(1)), "spec.signature.content is not base64"],
      ["unpadded base64", (r: any) => (r.spec.signature.content = "QQ"), "spec.signature.content is not base64"],
      ["base64 with stray bits", (r: any) => (r.spec.signature.content = "QR=="), "spec.signature.content is not base64"],
      ["URL-safe base64", (r: any) => (r.spec.signature.content = "-_-_"), "spec.signature.content is not base64"],
      ["an empty signature", (r: any) => (r.spec.signature.content = ""), "spec.signature.content is empty"],
      ["a numeric signature", (r: any) => (r.spec.signature.content = 5), "spec.signature.content is missing or not a string"],
      ["no publicKey", (r: any) => delete r.spec.signature.publicKey, "spec.signature.publicKey is missing or not an object"],
      ["a key that is not base64", (r: any) => (r.spec.signature.publicKey.content = "%%%"), "spec.signature.publicKey.content is not base64"],
      ["a key that is not PEM", (r: any) => (r.spec.signature.publicKey.content = b64("hello")), "spec.signature.publicKey.content is not one PEM public key or certificate"],
      ["two PEM blocks", (r: any) => (r.spec.signature.publicKey.content = b64(pem(P256.spki) + pem(P384.spki))), "spec.signature.publicKey.content is not one PEM public key or certificate"],
      ["a private key", (r: any) => (r.spec.signature.publicKey.content = b64(pem(P256.spki, "PRIVATE KEY"))), "spec.signature.publicKey.content is not one PEM public key or certificate"],
      ["a PEM of garbage", (r: any) => (r.spec.signature.publicKey.content = b64(pem(new Uint8Array([1, 2, 3])))), "spec.signature.publicKey.content is not a public key"],
      ["a certificate PEM of garbage", (r: any) => (r.spec.signature.publicKey.content = b64(pem(new Uint8Array([0x30, 0]), "CERTIFICATE"))), /^spec\.signature\.publicKey\.content is not an X\.509 certificate/],
      ["a digest too short", (r: any) => (r.spec.data.hash.value = r.spec.data.hash.value.slice(2)), "spec.data.hash.value is not a 32-byte hex sha256 digest"],
      ["a digest that is not hex", (r: any) => (r.spec.data.hash.value = "z".repeat(64)), "spec.data.hash.value is not a 32-byte hex sha256 digest"],
      ["an unknown algorithm", (r: any) => (r.spec.data.hash.algorithm = "SHA256"), 'spec.data.hash.algorithm "SHA256" is not sha256, sha384 or sha512'],
      ["no data", (r: any) => delete r.spec.data, "spec.data is missing or not an object"],
      ["data.hash an array", (r: any) => (r.spec.data.hash = []), "spec.data.hash is missing or not an object"],
    ])("%s", (_name, corrupt, expected) => {
      const request = good();
      corrupt(request);
      const message = reason(() => canonicalizeProposedEntry(request));
      if (typeof expected === "string") expect(message).toBe(expected);
      else expect(message).toMatch(expected);
    });
  });

  describe("refuses keys outside Rekor's algorithm registry", () => {
    it.each([
      ["RSA-1024", () => nodeSigner("rsa", { modulusLength: 1024 }).spki, "is a 1024-bit RSA key, not 2048, 3072 or 4096 bits"],
      ["secp256k1", () => nodeSigner("ec", { namedCurve: "secp256k1" }).spki, "is an EC key on secp256k1, not P-256, P-384 or P-521"],
      ["Ed448", () => new Uint8Array(generateKeyPairSync("ed448").publicKey.export({ format: "der", type: "spki" })), "is an unsupported ed448 key"],
    ])("%s", (_name, spki, message) => {
      expect(reason(() => canonicalizeProposedEntry(v1(P256, "sha256", { key: b64(pem(spki())) })))).toBe(
        `spec.signature.publicKey.content ${message}`,
      );
    });

    it("a key in a second spelling (compressed point): one key, one spelling, one leaf", () => {
      // P256's own key, so only the spelling differs.
      const jwk = createPublicKey({ key: Buffer.from(P256.spki), format: "der", type: "spki" }).export({ format: "jwk" });
      const x = Buffer.from(jwk.x!, "base64url");
      const y = Buffer.from(jwk.y!, "base64url");
      const compressed = Buffer.concat([Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"), Buffer.from([2 + (y[31]! & 1)]), x]);
      expect(reason(() => canonicalizeProposedEntry(v1(P256, "sha256", { key: b64(pem(compressed)) })))).toBe(
        "spec.signature.publicKey.content is not a DER-canonical SubjectPublicKeyInfo",
      );
    });

    // Canonical EC keys are recognised by their bytes (prefix + uncompressed point); every other spelling of the same
    // key must still be refused (OpenSSL reads all of these, so the canonical check is what refuses them), and a
    // canonical-looking prefix with a point off the curve is not a key at all.
    const keyPath = "spec.signature.publicKey.content";
    const point = (spki: Uint8Array, prefixLength: number) => Buffer.from(spki).subarray(prefixLength);
    it.each([
      ["P-256, SEQUENCE length in long form", () => Buffer.concat([Buffer.from("308159", "hex"), Buffer.from(P256.spki).subarray(2)]), /^is not a DER-canonical SubjectPublicKeyInfo$/],
      ["P-256, a byte after the key", () => Buffer.concat([Buffer.from(P256.spki), Buffer.of(0)]), /^is not a DER-canonical SubjectPublicKeyInfo$/],
      [
        "P-256, hybrid point (0x06/0x07)",
        () => {
          const spki = Buffer.from(P256.spki);
          return Buffer.concat([spki.subarray(0, 26), Buffer.of(6 + (spki[90]! & 1)), spki.subarray(27)]);
        },
        /^is not a DER-canonical SubjectPublicKeyInfo$/,
      ],
      [
        "P-384, compressed point",
        () => {
          const p = point(P384.spki, 23);
          return Buffer.concat([Buffer.from("3046301006072a8648ce3d020106052b81040022033200", "hex"), Buffer.of(2 + (p[96]! & 1)), p.subarray(1, 49)]);
        },
        /^is not a DER-canonical SubjectPublicKeyInfo$/,
      ],
      [
        "P-256 prefix, point off the curve",
        () => {
          const spki = Buffer.from(P256.spki);
          spki[90]! ^= 1; // y's last bit: (x, y') is not on the curve
          return spki;
        },
        /^is not a public key$/,
      ],
      [
        "P-384 prefix, point off the curve",
        () => {
          const spki = Buffer.from(P384.spki);
          spki[119]! ^= 1;
          return spki;
        },
        /^is not a public key$/,
      ],
      [
        // The point is checked without OpenSSL; a coordinate ≥ p must be refused as OpenSSL refuses it.
        "P-256 prefix, x = p (a coordinate outside the field)",
        () => {
          const spki = Buffer.from(P256.spki);
          Buffer.from("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", "hex").copy(spki, 27);
          return spki;
        },
        /^is not a public key$/,
      ],
      [
        "P-521 prefix, point off the curve",
        () => {
          const spki = Buffer.from(P521.spki);
          spki[157]! ^= 1;
          return spki;
        },
        /^is not a public key$/,
      ],
    ])("refuses %s", (_name, spki, expected) => {
      const message = reason(() => canonicalizeProposedEntry(v1(P256, "sha256", { key: b64(pem(spki())) })));
      expect(message.startsWith(`${keyPath} `)).toBe(true);
      expect(message.slice(keyPath.length + 1)).toMatch(expected);
    });

    it("a canonical EC key is logged as sent, on each curve, and checked against its own point", () => {
      for (const [signer, hash] of [[P256, "sha256"], [P384, "sha384"], [P521, "sha512"]] as const) {
        const body = json(canonicalizeProposedEntry(v1(signer, hash)).body);
        expect(body.spec.signature.publicKey.content).toBe(b64(pem(signer.spki)));
        // Another key's signature fails against this point.
        const other = nodeSigner("ec", { namedCurve: signer === P256 ? "P-256" : signer === P384 ? "P-384" : "P-521" });
        expect(reason(() => canonicalizeProposedEntry(v1(signer, hash, { content: b64(other.sign(artifact, hash)) })))).toBe(
          `spec.signature.content does not verify with ${keyPath} over the digest`,
        );
      }
    });
  });
});

describe("hashedrekord 0.0.2 (Rekor v2 HashedRekordRequestV002)", () => {
  function v2(signer: Signer, hash: HashName, keyDetails: string, overrides: { verifier?: unknown; digest?: string } = {}) {
    return {
      hashedRekordRequestV002: {
        digest: overrides.digest ?? b64(digest(hash, artifact)),
        signature: { content: b64(signer.sign(artifact, hash)), verifier: overrides.verifier ?? { keyDetails, publicKey: { rawBytes: b64(signer.spki) } } },
      },
    };
  }

  it.each([
    [P256, "sha256", "PKIX_ECDSA_P256_SHA_256", "SHA2_256"],
    [P384, "sha384", "PKIX_ECDSA_P384_SHA_384", "SHA2_384"],
    [P521, "sha512", "PKIX_ECDSA_P521_SHA_512", "SHA2_512"],
    [RSA2048, "sha256", "PKIX_RSA_PKCS1V15_2048_SHA256", "SHA2_256"],
    [ED25519PH, "sha512", "PKIX_ED25519_PH", "SHA2_512"],
  ] as const)("%#: %s with %s: the hash comes from keyDetails", (signer, hash, keyDetails, algorithm) => {
    const request = v2(signer, hash, keyDetails);
    const entry = canonicalizeV2Request(request);
    expect(entry).toMatchObject({ kind: "hashedrekord", apiVersion: "0.0.2", signers: [{ publicKey: signer.spki }] });
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.2",
      kind: "hashedrekord",
      spec: { hashedRekordV002: { data: { algorithm, digest: request.hashedRekordRequestV002.digest }, signature: request.hashedRekordRequestV002.signature } },
    });
  });

  it("refuses a digest of the wrong size for the keyDetails' hash", () => {
    expect(reason(() => canonicalizeV2Request(v2(P256, "sha256", "PKIX_ECDSA_P256_SHA_256", { digest: b64(digest("sha512", artifact)) })))).toBe(
      "hashedRekordRequestV002.digest is 64 bytes; PKIX_ECDSA_P256_SHA_256 signs 32-byte sha256 digests",
    );
  });

  it("refuses PKIX_ED25519 (pure Ed25519 cannot sign a digest)", () => {
    expect(reason(() => canonicalizeV2Request(v2(ED25519PH, "sha512", "PKIX_ED25519")))).toBe(
      "hashedRekordRequestV002.signature.verifier.keyDetails PKIX_ED25519 cannot sign a digest (hashedrekord needs PKIX_ED25519_PH for Ed25519 keys)",
    );
  });

  it("refuses keyDetails that do not describe the key, or that it does not know", () => {
    expect(reason(() => canonicalizeV2Request(v2(P384, "sha384", "PKIX_ECDSA_P256_SHA_256")))).toBe(
      "hashedRekordRequestV002.signature.verifier.keyDetails PKIX_ECDSA_P256_SHA_256 does not describe the key in hashedRekordRequestV002.signature.verifier.publicKey.rawBytes",
    );
    expect(reason(() => canonicalizeV2Request(v2(P256, "sha256", "PKIX_ECDSA_P256_HMAC_SHA_256")))).toBe(
      'hashedRekordRequestV002.signature.verifier.keyDetails "PKIX_ECDSA_P256_HMAC_SHA_256" is not a supported PublicKeyDetails',
    );
    expect(reason(() => canonicalizeV2Request(v2(P256, "sha256", 5 as never)))).toBe(
      "hashedRekordRequestV002.signature.verifier.keyDetails is missing or not a string",
    );
  });

  it("refuses a verifier with both or neither of publicKey and x509Certificate", () => {
    const raw = { rawBytes: b64(P256.spki) };
    for (const verifier of [{ keyDetails: "PKIX_ECDSA_P256_SHA_256" }, { keyDetails: "PKIX_ECDSA_P256_SHA_256", publicKey: raw, x509Certificate: raw }]) {
      expect(reason(() => canonicalizeV2Request(v2(P256, "sha256", "", { verifier })))).toBe(
        "hashedRekordRequestV002.signature.verifier must hold exactly one of publicKey and x509Certificate",
      );
    }
  });

  it("refuses a bad signature, naming where it is", () => {
    const request: any = v2(P256, "sha256", "PKIX_ECDSA_P256_SHA_256");
    request.hashedRekordRequestV002.digest = b64(digest("sha256", Buffer.from("tampered")));
    expect(reason(() => canonicalizeV2Request(request))).toBe(
      "hashedRekordRequestV002.signature.content does not verify with hashedRekordRequestV002.signature.verifier over the digest",
    );
  });
});
