import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseManifestDocument, type ImageManifestDocument } from "../manifest.js";
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161_TIMESTAMP,
  ANNOTATION_SIGNATURE,
  appendLegacyLayer,
  cosignTag,
  encodeRekorBundle,
  legacyAttestationLayer,
  legacySignatureLayer,
  legacyToBundle,
  parseLegacyManifest,
  parseRekorBundle,
  rekorBundleFromTlogEntry,
  type RekorBundle,
} from "./cosign-tags.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const manifest = (bytes: Uint8Array) => parseManifestDocument(bytes, undefined, "test manifest") as ImageManifestDocument;
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

const rekor: RekorBundle = {
  signedEntryTimestamp: new Uint8Array([1, 2, 3]),
  body: new TextEncoder().encode('{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}'),
  integratedTime: 1_700_000_000n,
  logIndex: 42n,
  logId: new Uint8Array(32).fill(0xab),
};

describe("cosignTag", () => {
  it("is sha256-<hex> plus the suffix (SIGNATURE_SPEC tag-based discovery)", () => {
    const digest = "sha256:97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36";
    expect(cosignTag(digest, ".sig")).toBe("sha256-97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36.sig");
    expect(cosignTag(digest, ".att")).toMatch(/\.att$/);
    expect(cosignTag(digest, ".sbom")).toMatch(/^sha256-97fc.*\.sbom$/);
    expect(thrownVouchError(() => cosignTag("latest", ".sig")).code).toBe("INPUT_USAGE");
  });
});

describe("parseLegacyManifest and legacyToBundle on the spec's .sig manifest", () => {
  it("reads signature, certificate, chain and the real public-good SET bundle", () => {
    const [layer] = parseLegacyManifest(manifest(fixture("cosign-sig-manifest.json")));
    expect(layer).toMatchObject({ index: 0, kind: "signature", rekorBundle: { logIndex: 5179n, integratedTime: 1624396085n } });
    expect(layer!.signature).toHaveLength(71);
    expect(layer!.certificates).toHaveLength(2);
    expect(Buffer.from(layer!.rekorBundle!.logId).toString("hex")).toBe("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d");

    const bundle = legacyToBundle(layer!, fixture("simple-signing-cosign.json"));
    expect(bundle.material).toMatchObject({ kind: "certificate" });
    expect(bundle.tlogEntries[0]).toMatchObject({ kind: "rekord", kindVersion: "0.0.1", logIndex: 5179n });
    expect(bundle.content).toMatchObject({ kind: "messageSignature", digest: { algorithm: "SHA2_256" } });
  });

  it("writes the bundle annotation back byte for byte as cosign wrote it", () => {
    const annotation = manifest(fixture("cosign-sig-manifest.json")).layers[0]!.annotations![ANNOTATION_BUNDLE]!;
    expect(encodeRekorBundle(parseRekorBundle(annotation))).toBe(annotation);
  });

  it("names the layer and annotation that is corrupt (fixture: logIndex as a string)", () => {
    const error = thrownVouchError(() => parseLegacyManifest(manifest(fixture("corrupt/cosign-sig-manifest-bad-bundle.json"))));
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.message).toBe("layers[0] annotation dev.sigstore.cosign/bundle Payload.logIndex is not a non-negative integer");
  });

  it("refuses other corrupt annotations: signature not base64 or missing, chain without certificate, certificate not PEM, timestamp without its field", () => {
    const good = JSON.parse(text(fixture("cosign-sig-manifest.json")));
    const withAnnotations = (change: (a: Record<string, string>) => void) => {
      const copy = structuredClone(good);
      change(copy.layers[0].annotations);
      return manifest(new TextEncoder().encode(JSON.stringify(copy)));
    };
    const messageOf = (change: (a: Record<string, string>) => void) => thrownVouchError(() => parseLegacyManifest(withAnnotations(change))).message;
    expect(messageOf((a) => (a[ANNOTATION_SIGNATURE] = "not base64!"))).toMatch(/signature is not base64/);
    expect(messageOf((a) => delete a[ANNOTATION_SIGNATURE])).toMatch(/signature is missing/);
    expect(messageOf((a) => delete a[ANNOTATION_CERTIFICATE])).toMatch(/chain is given without a certificate/);
    expect(messageOf((a) => (a[ANNOTATION_CERTIFICATE] = "hello"))).toMatch(/certificate is not PEM certificates/);
    expect(messageOf((a) => (a[ANNOTATION_CERTIFICATE] = `${a[ANNOTATION_CERTIFICATE]}${a[ANNOTATION_CERTIFICATE]}`))).toMatch(/holds 2 certificates/);
    expect(messageOf((a) => (a[ANNOTATION_RFC3161_TIMESTAMP] = "{}"))).toMatch(/no SignedRFC3161Timestamp/);
    expect(messageOf((a) => (a[ANNOTATION_BUNDLE] = "{"))).toMatch(/not UTF-8 JSON/);
    expect(thrownVouchError(() => parseLegacyManifest({ kind: "index", mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] })).code).toBe("INPUT_MALFORMED");
  });
});

describe("the layers and images cosign writes", () => {
  const payload = new TextEncoder().encode('{"critical":{}}');
  const signature = new Uint8Array([0x30, 0x45, 0x02]);

  it("a signature layer: simple-signing media type and cosign's annotation keys; the chain annotation is there even when empty", () => {
    const layer = legacySignatureLayer({ payload, signature, certificatePem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", rekorBundle: rekor, rfc3161Timestamp: new Uint8Array([9, 9]) });
    expect(layer.descriptor).toEqual({
      mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
      digest: sha256(payload),
      size: payload.length,
      annotations: {
        [ANNOTATION_SIGNATURE]: "MEUC",
        [ANNOTATION_CERTIFICATE]: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        [ANNOTATION_CHAIN]: "",
        [ANNOTATION_BUNDLE]: `{"SignedEntryTimestamp":"AQID","Payload":{"body":"${Buffer.from(rekor.body).toString("base64")}","integratedTime":1700000000,"logIndex":42,"logID":"${"ab".repeat(32)}"}}`,
        [ANNOTATION_RFC3161_TIMESTAMP]: '{"SignedRFC3161Timestamp":"CQk="}',
      },
    });
    expect(thrownVouchError(() => legacySignatureLayer({ payload, signature: new Uint8Array(0) })).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => legacySignatureLayer({ payload, signature, chainPem: "x" })).code).toBe("INPUT_USAGE");
  });

  it("an attestation layer: the DSSE envelope, an empty signature annotation and predicateType", () => {
    const envelopeJson = new TextEncoder().encode('{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUC"}]}');
    const layer = legacyAttestationLayer({ envelopeJson, predicateType: "https://slsa.dev/provenance/v1" });
    expect(layer.descriptor.mediaType).toBe("application/vnd.dsse.envelope.v1+json");
    expect(layer.descriptor.annotations).toEqual({ [ANNOTATION_SIGNATURE]: "", predicateType: "https://slsa.dev/provenance/v1" });
    const twoSigs = new TextEncoder().encode('{"payloadType":"t","payload":"e30=","signatures":[{"sig":"MEUC"},{"sig":"MEUC"}]}');
    expect(thrownVouchError(() => legacyAttestationLayer({ envelopeJson: twoSigs, predicateType: "p" })).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(thrownVouchError(() => legacyAttestationLayer({ envelopeJson: new TextEncoder().encode('{"payloadType":"t","payload":"%%","signatures":[{"sig":"MEUC"}]}'), predicateType: "p" })).code).toBe("INPUT_MALFORMED");
  });

  it("appendLegacyLayer: the image go-containerregistry builds for cosign, byte for byte", () => {
    const layer = legacySignatureLayer({ payload, signature });
    const built = appendLegacyLayer(undefined, layer);
    const config = built.blobs[0]!;
    expect(text(config.bytes)).toBe(`{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha256(payload)}"]},"config":{}}`);
    expect(text(built.manifest.bytes)).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${config.bytes.length},"digest":"${sha256(config.bytes)}"},` +
        `"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${payload.length},"digest":"${sha256(payload)}","annotations":{"dev.cosignproject.cosign/signature":"MEUC"}}]}`,
    );
    expect(built.manifest.descriptor).toEqual({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha256(built.manifest.bytes), size: built.manifest.bytes.length });
    expect(built.blobs.map((b) => b.descriptor.digest)).toEqual([sha256(config.bytes), sha256(payload)]);
  });

  it("appendLegacyLayer keeps what the tag held, adds at the end, never twice, and takes a creation time", () => {
    const first = appendLegacyLayer(undefined, legacySignatureLayer({ payload, signature }));
    const second = legacySignatureLayer({ payload: new TextEncoder().encode("{}"), signature });
    const both = appendLegacyLayer(manifest(first.manifest.bytes), second, { created: new Date("2024-03-08T18:18:20.400Z") });
    const doc = manifest(both.manifest.bytes);
    expect(doc.layers.map((l) => l.digest)).toEqual([sha256(payload), second.descriptor.digest]);
    const config = JSON.parse(text(both.blobs[0]!.bytes));
    expect(config.created).toBe("2024-03-08T18:18:20.4Z");
    expect(config.history).toHaveLength(2);
    expect(config.rootfs.diff_ids).toEqual(doc.layers.map((l) => l.digest));

    const again = appendLegacyLayer(doc, second);
    expect(manifest(again.manifest.bytes).layers).toHaveLength(2);
    expect(again.blobs).toHaveLength(1); // the config only: the layer is already there
    // Same payload, another signature (another signer): a second layer.
    expect(manifest(appendLegacyLayer(doc, legacySignatureLayer({ payload, signature: new Uint8Array([1]) })).manifest.bytes).layers).toHaveLength(3);
    expect(thrownVouchError(() => appendLegacyLayer({ kind: "index", mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }, second)).code).toBe("INPUT_MALFORMED");
  });

  it("rekorBundleFromTlogEntry needs a SET and an integrated time (a Rekor v2 entry has neither)", () => {
    const entry = { logIndex: 42n, logId: rekor.logId, kind: "hashedrekord", kindVersion: "0.0.1", integratedTime: 1_700_000_000n, signedEntryTimestamp: rekor.signedEntryTimestamp, canonicalizedBody: rekor.body };
    expect(rekorBundleFromTlogEntry(entry)).toEqual(rekor);
    expect(thrownVouchError(() => rekorBundleFromTlogEntry({ ...entry, signedEntryTimestamp: undefined })).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => rekorBundleFromTlogEntry({ ...entry, integratedTime: 0n })).code).toBe("INPUT_USAGE");
  });

  it("legacyToBundle refuses a log body that is not a Rekor entry", () => {
    const layer = legacySignatureLayer({ payload, signature, rekorBundle: { ...rekor, body: new TextEncoder().encode('{"x":1}') } });
    const [info] = parseLegacyManifest(manifest(appendLegacyLayer(undefined, layer).manifest.bytes));
    expect(thrownVouchError(() => legacyToBundle(info!, payload)).message).toMatch(/not a Rekor entry/);
  });
});
