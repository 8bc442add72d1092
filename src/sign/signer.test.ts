import { createHash, verify as nodeVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parseBundle } from "../bundle/parse.js";
import { serializeBundle } from "../bundle/serialize.js";
import { BUNDLE_V03_MEDIA_TYPE } from "../bundle/types.js";
import { generateKeyPair, keyId, publicKeyDer } from "../core/crypto/keys.js";
import { preAuthEncoding } from "../core/dsse/pae.js";
import { INTOTO_PAYLOAD_TYPE } from "../core/intoto/statement.js";
import { dsseBundle, messageSignatureBundle } from "./bundle-builder.js";
import { signDsse } from "./dsse.js";
import { KeySigner } from "./key-signer.js";
import type { Signer } from "./signer.js";

const artifact = new TextEncoder().encode("release-1.2.3.tar.gz contents");
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

describe("KeySigner", () => {
  it("signs with the key and describes it by key ID and SPKI", async () => {
    const { privateKey, publicKey } = generateKeyPair();
    const signer = new KeySigner(privateKey);
    expect(signer.algorithm).toBe("ecdsa-p256");
    expect(signer.keyId).toBe(keyId(publicKey));
    const { signature, material } = await signer.sign(artifact);
    expect(nodeVerify("sha256", artifact, publicKey, signature)).toBe(true);
    expect(material).toEqual({ kind: "publicKey", hint: keyId(publicKey), publicKeyDer: publicKeyDer(publicKey) });
  });

  it("refuses a public key", () => {
    expect(thrownVouchError(() => new KeySigner(generateKeyPair().publicKey)).code).toBe("INPUT_USAGE");
  });
});

describe("messageSignatureBundle", () => {
  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    it(`${algorithm}: a v0.3 bundle whose signature verifies over the artifact`, async () => {
      const { privateKey, publicKey } = generateKeyPair(algorithm);
      const { signature, material } = await new KeySigner(privateKey).sign(artifact);
      const bundle = messageSignatureBundle({ algorithm: "SHA2_256", value: sha256(artifact) }, signature, material);
      expect(bundle.mediaType).toBe(BUNDLE_V03_MEDIA_TYPE);
      expect(bundle.version).toBe("0.3");
      expect(bundle.material).toEqual({ kind: "publicKey", hint: keyId(publicKey) });
      expect(bundle.tlogEntries).toEqual([]);
      expect(bundle.timestamps).toEqual([]);
      if (bundle.content.kind !== "messageSignature") throw new Error("wrong content");
      expect(Buffer.from(bundle.content.digest!.value).toString("hex")).toBe(createHash("sha256").update(artifact).digest("hex"));
      expect(nodeVerify(algorithm === "ed25519" ? null : "sha256", artifact, publicKey, bundle.content.signature)).toBe(true);

      // Written as v0.3 JSON and read back by the parser the verifier uses: the same bundle.
      const json = JSON.parse(JSON.stringify(serializeBundle(bundle)));
      expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
      expect(json.verificationMaterial.publicKey.hint).toBe(keyId(publicKey));
      expect(json.messageSignature.messageDigest.algorithm).toBe("SHA2_256");
      expect(parseBundle(json)).toEqual(bundle);
    });
  }

  it("refuses a digest of the wrong length and an empty signature", () => {
    const material = { kind: "publicKey" as const, hint: "", publicKeyDer: new Uint8Array() };
    expect(thrownVouchError(() => messageSignatureBundle({ algorithm: "SHA2_256", value: new Uint8Array(20) }, new Uint8Array(1), material)).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => messageSignatureBundle({ algorithm: "SHA2_256", value: new Uint8Array(32) }, new Uint8Array(), material)).code).toBe("INPUT_MALFORMED");
  });

  it("keeps only the leaf of a certificate chain (bundle v0.3 `certificate`)", () => {
    const leaf = new Uint8Array([1, 2, 3]);
    const bundle = messageSignatureBundle({ algorithm: "SHA2_256", value: new Uint8Array(32) }, new Uint8Array([9]), {
      kind: "certificate",
      certificates: [leaf, new Uint8Array([4, 5])],
    });
    expect(bundle.material).toEqual({ kind: "certificate", certificates: [leaf] });
    expect(thrownVouchError(() => messageSignatureBundle({ algorithm: "SHA2_256", value: new Uint8Array(32) }, new Uint8Array([9]), { kind: "certificate", certificates: [] })).code).toBe(
      "INPUT_MALFORMED",
    );
  });
});

describe("signDsse and dsseBundle", () => {
  const statement = new TextEncoder().encode(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [], predicateType: "x" }));

  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    it(`${algorithm}: the envelope's signature verifies over PAE(payloadType, payload), not over the payload`, async () => {
      const { privateKey, publicKey } = generateKeyPair(algorithm);
      const { envelope, material } = await signDsse(new KeySigner(privateKey), INTOTO_PAYLOAD_TYPE, statement);
      expect(envelope.payloadType).toBe("application/vnd.in-toto+json");
      expect(envelope.payload).toBe(statement);
      expect(envelope.signatures).toHaveLength(1);
      expect(envelope.signatures[0]!.keyid).toBe(keyId(publicKey));
      const digest = algorithm === "ed25519" ? null : "sha256";
      const sig = envelope.signatures[0]!.sig;
      expect(nodeVerify(digest, preAuthEncoding(INTOTO_PAYLOAD_TYPE, statement), publicKey, sig)).toBe(true);
      expect(nodeVerify(digest, statement, publicKey, sig)).toBe(false);
      // A swapped payloadType changes the signed bytes.
      expect(nodeVerify(digest, preAuthEncoding("application/json", statement), publicKey, sig)).toBe(false);

      const bundle = dsseBundle(envelope, material);
      expect(bundle.version).toBe("0.3");
      expect(bundle.content).toEqual({ kind: "dsseEnvelope", envelope });
      const json = JSON.parse(JSON.stringify(serializeBundle(bundle)));
      expect(Buffer.from(json.dsseEnvelope.payload, "base64").equals(Buffer.from(statement))).toBe(true);
      expect(parseBundle(json)).toEqual(bundle);
    });
  }

  it("the keyid is empty for a certificate signer", async () => {
    const signer: Signer = { sign: () => Promise.resolve({ signature: new Uint8Array([7]), material: { kind: "certificate", certificates: [new Uint8Array([1])] } }) };
    const { envelope } = await signDsse(signer, INTOTO_PAYLOAD_TYPE, statement);
    expect(envelope.signatures[0]!.keyid).toBe("");
  });

  it("refuses an envelope with other than one signature", () => {
    const material = { kind: "publicKey" as const, hint: "h", publicKeyDer: new Uint8Array() };
    const e = thrownVouchError(() => dsseBundle({ payload: statement, payloadType: INTOTO_PAYLOAD_TYPE, signatures: [] }, material));
    expect(e.code).toBe("INPUT_MALFORMED");
  });
});
