/**
 * Requests built by @sigstore/sign's own code (its internal toProposedEntry / toCreateEntryRequest, which its
 * RekorWitness POSTs unmodified) are accepted, and the bodies vouch stores are accepted by vouch's verifier and by
 * @sigstore/verify's tlog body check, for every kind sigstore-js can send.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { envelopeToJSON } from "@sigstore/bundle";
import { HashAlgorithm } from "@sigstore/protobuf-specs";
import { CreateEntryRequest } from "@sigstore/protobuf-specs/rekor/v2";
import { toCreateEntryRequest, toProposedEntry } from "@sigstore/sign/dist/witness/tlog/entry.js";
import { signatureContent } from "@sigstore/verify/dist/bundle/index.js";
import { verifyTLogBody } from "@sigstore/verify/dist/tlog/index.js";
import { describe, expect, it } from "vitest";
import type { TlogEntry } from "../../bundle/types.js";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { verifyEntryBody, type LoggedContent, type SignerMaterial } from "../../verify/tlog/body.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, ecKey, extension, ia5, utf8, type TestKey } from "../../../test/support/x509-builder.js";
import { canonicalizeProposedEntry, canonicalizeV2Request, type CanonicalEntry } from "./index.js";

const pem = (der: Uint8Array, label: string): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
const sha256 = (data: Uint8Array): Buffer => createHash("sha256").update(data).digest();
const json = (body: Uint8Array): any => JSON.parse(Buffer.from(body).toString("utf8"));

// A Fulcio-like signing certificate: an email identity, the OIDC issuer extension, issued by a test CA.
const ca = buildCertificate({ subject: "test CA", ca: true, keyUsage: [5] });
const signerKey: TestKey = ecKey();
const leaf = buildCertificate({
  issuer: ca,
  key: signerKey,
  subject: "",
  san: [ia5(0x81, "signer@example.com")],
  extensions: [extension("1.3.6.1.4.1.57264.1.8", false, utf8("https://issuer.example.com"))],
});
const CERT_PEM = pem(leaf.der, "CERTIFICATE");
const KEY_PEM = pem(signerKey.spki, "PUBLIC KEY");

const artifact = Buffer.from("hello, transparency log\n");
const messageSignature = {
  messageDigest: { algorithm: HashAlgorithm.SHA2_256, digest: sha256(artifact) },
  signature: sign("sha256", artifact, signerKey.privateKey),
};
const payload = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: sha256(artifact).toString("hex") } }] }));
const payloadType = "application/vnd.in-toto+json";
const dsseEnvelope = {
  payload,
  payloadType,
  signatures: [{ keyid: "", sig: sign("sha256", preAuthEncoding(payloadType, payload), signerKey.privateKey) }],
};
const MESSAGE = { $case: "messageSignature", messageSignature } as const;
const DSSE = { $case: "dsseEnvelope", dsseEnvelope } as const;

/** As the HTTP route gets it: the JSON text sigstore-js sends. */
const wire = (request: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(request)));

function vouchAccepts(entry: CanonicalEntry, content: LoggedContent, material: SignerMaterial): void {
  const tlog: TlogEntry = { logIndex: 0n, logId: new Uint8Array(32), kind: entry.kind, kindVersion: entry.apiVersion, canonicalizedBody: entry.body };
  expect(() => verifyEntryBody(tlog, content, material)).not.toThrow();
}

function sigstoreVerifyAccepts(entry: CanonicalEntry, content: typeof MESSAGE | typeof DSSE): void {
  const tlog = { canonicalizedBody: Buffer.from(entry.body), kindVersion: { kind: entry.kind, version: entry.apiVersion } };
  expect(() => verifyTLogBody(tlog as never, signatureContent({ content } as never, artifact))).not.toThrow();
}

const VOUCH_MESSAGE: LoggedContent = { kind: "messageSignature", digest: { algorithm: "SHA2_256", value: sha256(artifact) }, signature: messageSignature.signature };
const VOUCH_DSSE: LoggedContent = {
  kind: "dsseEnvelope",
  envelope: { payload, payloadType, signatures: [{ sig: dsseEnvelope.signatures[0]!.sig, keyid: "" }] },
};
const CERT: SignerMaterial = { kind: "certificate", der: leaf.der };
const KEY: SignerMaterial = { kind: "publicKey", der: signerKey.spki };

describe("Rekor v1 requests from @sigstore/sign (POST /api/v1/log/entries)", () => {
  it("hashedrekord 0.0.1: the stored body keeps hash, signature and the certificate PEM", () => {
    const entry = canonicalizeProposedEntry(wire(toProposedEntry(MESSAGE, CERT_PEM)));
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: sha256(artifact).toString("hex") } },
        signature: { content: messageSignature.signature.toString("base64"), publicKey: { content: Buffer.from(CERT_PEM).toString("base64") } },
      },
    });
    expect(entry.signers).toEqual([
      {
        certificate: leaf.der,
        publicKey: signerKey.spki,
        subjectAlternativeNames: ["signer@example.com"],
        issuer: "https://issuer.example.com",
      },
    ]);
    vouchAccepts(entry, VOUCH_MESSAGE, CERT);
    sigstoreVerifyAccepts(entry, MESSAGE);
  });

  it("hashedrekord 0.0.1 signed with a bare key (sigstore-js KeySigner)", () => {
    const entry = canonicalizeProposedEntry(wire(toProposedEntry(MESSAGE, KEY_PEM)));
    expect(Buffer.from(json(entry.body).spec.signature.publicKey.content, "base64").toString()).toBe(KEY_PEM);
    expect(entry.signers).toEqual([{ publicKey: signerKey.spki }]);
    vouchAccepts(entry, VOUCH_MESSAGE, KEY);
    sigstoreVerifyAccepts(entry, MESSAGE);
  });

  it("dsse 0.0.1: rewritten to envelopeHash (SHA-256 of the envelope text sent), payloadHash and signatures", () => {
    const proposed = toProposedEntry(DSSE, CERT_PEM) as any;
    const entry = canonicalizeProposedEntry(wire(proposed));
    const envelopeText = JSON.stringify(envelopeToJSON(dsseEnvelope as never));
    expect(proposed.spec.proposedContent.envelope).toBe(envelopeText);
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: sha256(Buffer.from(envelopeText)).toString("hex") },
        payloadHash: { algorithm: "sha256", value: sha256(payload).toString("hex") },
        signatures: [{ signature: dsseEnvelope.signatures[0]!.sig.toString("base64"), verifier: Buffer.from(CERT_PEM).toString("base64") }],
      },
    });
    vouchAccepts(entry, VOUCH_DSSE, CERT);
    sigstoreVerifyAccepts(entry, DSSE);
  });

  it("intoto 0.0.2 (sigstore-js's older entry type): the payload is dropped, sigstore-js's hash kept", () => {
    const proposed = toProposedEntry(DSSE, CERT_PEM, "intoto") as any;
    const entry = canonicalizeProposedEntry(wire(proposed));
    const body = json(entry.body);
    expect(proposed.spec.content.envelope.payload).toBeDefined();
    expect(body.spec.content.envelope).toEqual({ payloadType, signatures: proposed.spec.content.envelope.signatures });
    expect(body.spec.content.hash).toEqual(proposed.spec.content.hash);
    expect(body.spec.content.payloadHash).toEqual({ algorithm: "sha256", value: sha256(payload).toString("hex") });
    vouchAccepts(entry, VOUCH_DSSE, CERT);
    sigstoreVerifyAccepts(entry, DSSE);
  });

  it("the same signature submitted again gives the same leaf, however the JSON was spaced or ordered", () => {
    const proposed = toProposedEntry(MESSAGE, CERT_PEM) as any;
    const a = canonicalizeProposedEntry(wire(proposed));
    const reordered = { spec: { signature: proposed.spec.signature, data: proposed.spec.data }, kind: proposed.kind, apiVersion: proposed.apiVersion };
    const b = canonicalizeProposedEntry(Buffer.from(JSON.stringify(reordered, null, 2)));
    expect(Buffer.from(b.body)).toEqual(Buffer.from(a.body));
  });
});

describe("Rekor v2 requests from @sigstore/sign (POST /api/v2/log/entries)", () => {
  const v2wire = (request: ReturnType<typeof toCreateEntryRequest>) => wire(CreateEntryRequest.toJSON(request));

  it("hashedRekordRequestV002 becomes a hashedrekord 0.0.2 body (protojson of HashedRekordLogEntryV002)", () => {
    const entry = canonicalizeV2Request(v2wire(toCreateEntryRequest(MESSAGE, CERT_PEM)));
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.2",
      kind: "hashedrekord",
      spec: {
        hashedRekordV002: {
          data: { algorithm: "SHA2_256", digest: sha256(artifact).toString("base64") },
          signature: {
            content: messageSignature.signature.toString("base64"),
            verifier: { keyDetails: "PKIX_ECDSA_P256_SHA_256", x509Certificate: { rawBytes: Buffer.from(leaf.der).toString("base64") } },
          },
        },
      },
    });
    vouchAccepts(entry, VOUCH_MESSAGE, CERT);
    sigstoreVerifyAccepts(entry, MESSAGE);
  });

  it("dsseRequestV002 becomes a dsse 0.0.2 body (protojson of DSSELogEntryV002)", () => {
    const entry = canonicalizeV2Request(v2wire(toCreateEntryRequest(DSSE, CERT_PEM)));
    expect(json(entry.body)).toEqual({
      apiVersion: "0.0.2",
      kind: "dsse",
      spec: {
        dsseV002: {
          payloadHash: { algorithm: "SHA2_256", digest: sha256(payload).toString("base64") },
          signatures: [
            {
              content: dsseEnvelope.signatures[0]!.sig.toString("base64"),
              verifier: { keyDetails: "PKIX_ECDSA_P256_SHA_256", x509Certificate: { rawBytes: Buffer.from(leaf.der).toString("base64") } },
            },
          ],
        },
      },
    });
    vouchAccepts(entry, VOUCH_DSSE, CERT);
    sigstoreVerifyAccepts(entry, DSSE);
  });

  it("refuses sigstore-js's v2 request for a bare key, which it sends as an x509Certificate", () => {
    const error = thrownVouchError(() => canonicalizeV2Request(v2wire(toCreateEntryRequest(MESSAGE, KEY_PEM))));
    expect(error.code).toBe("LOG_INVALID_ENTRY");
    expect(error.message).toMatch(/^hashedRekordRequestV002\.signature\.verifier\.x509Certificate\.rawBytes is not an X\.509 certificate/);
  });

  it("refuses sigstore-js's hard-coded P-256 keyDetails for another key type", () => {
    const ed = generateKeyPairSync("ed25519");
    const edCert = buildCertificate({ issuer: ca, key: { ...ed, spki: new Uint8Array(ed.publicKey.export({ format: "der", type: "spki" })) } as TestKey });
    const envelope = { ...dsseEnvelope, signatures: [{ keyid: "", sig: sign(null, preAuthEncoding(payloadType, payload), ed.privateKey as KeyObject) }] };
    const error = thrownVouchError(() =>
      canonicalizeV2Request(v2wire(toCreateEntryRequest({ $case: "dsseEnvelope", dsseEnvelope: envelope }, pem(edCert.der, "CERTIFICATE")))),
    );
    expect(error.message).toBe(
      "dsseRequestV002.verifiers[0].keyDetails PKIX_ECDSA_P256_SHA_256 does not describe the key in dsseRequestV002.verifiers[0].x509Certificate.rawBytes",
    );
  });
});
