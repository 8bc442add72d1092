import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Descriptor } from "../../catalog/sources/image/types.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseManifestDocument } from "../manifest.js";
import { bundleReferrerManifest, inspectBundleReferrer, isBundleArtifactType, parseBundleReferrer, readBundleLayer, type ReferrerManifest } from "./bundle-referrer.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const SIGSTORE_JS = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "sigstore", "sigstore-js", "tests", "bundles");
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
/** Parsed as the registry client will. */
const referrer = (bytes: Uint8Array): ReferrerManifest => parseManifestDocument(bytes, undefined, "referrer");

const subject: Descriptor = { mediaType: "application/vnd.oci.image.index.v1+json", digest: `sha256:${"c00010ff".repeat(8)}`, size: 856, platform: { os: "linux", architecture: "amd64" } };
const dsseBundleJson = new Uint8Array(readFileSync(join(SIGSTORE_JS, "bundleV03-dsse.sigstore")));

describe("bundleReferrerManifest", () => {
  it("is BUNDLE_SPEC's manifest: artifactType, empty config, one titled bundle layer, subject, the three annotations", () => {
    // sigstore-js test bundles are v0.1..v0.3 in the old media type spelling; rewrite one as cosign v3 writes it.
    const json = JSON.parse(Buffer.from(dsseBundleJson).toString());
    const bundleJson = new TextEncoder().encode(JSON.stringify({ ...json, mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }));
    const built = bundleReferrerManifest({ bundleJson, subject, content: "dsse-envelope", predicateType: "https://slsa.dev/provenance/v1", created: new Date("2024-03-08T18:18:20.406Z") });
    const manifest = JSON.parse(Buffer.from(built.manifest.bytes).toString());
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      config: { mediaType: "application/vnd.oci.empty.v1+json", size: 2, digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" },
      layers: [
        {
          mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
          size: bundleJson.length,
          digest: sha256(bundleJson),
          annotations: { "org.opencontainers.image.title": `${sha256(bundleJson).replace(":", "-")}.sigstore.json` },
        },
      ],
      subject: { mediaType: subject.mediaType, size: 856, digest: subject.digest },
      annotations: {
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1",
        "org.opencontainers.image.created": "2024-03-08T18:18:20.406Z",
      },
    });
    expect(built.manifest).toMatchObject({ artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json", annotations: manifest.annotations });
    expect(built.manifest.descriptor).toEqual({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha256(built.manifest.bytes), size: built.manifest.bytes.length, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" });
    expect(built.blobs.map((b) => [b.descriptor.digest, Buffer.from(b.bytes).toString().slice(0, 2)])).toEqual([
      ["sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "{}"],
      [sha256(bundleJson), '{"'],
    ]);

    // ...and reads back, the bundle included.
    const parsed = inspectBundleReferrer(referrer(built.manifest.bytes), { subject: subject.digest });
    expect(parsed).toMatchObject({ content: "dsse-envelope", predicateType: "https://slsa.dev/provenance/v1", created: new Date("2024-03-08T18:18:20.406Z") });
    expect(parseBundleReferrer(referrer(built.manifest.bytes))).toEqual(parsed.layer);
    expect(readBundleLayer(parsed.layer, bundleJson, parsed.content).content.kind).toBe("dsseEnvelope");
  });

  it("refuses bytes that are not a v0.3 bundle of the announced content, and a predicate type on a message signature", () => {
    const created = new Date(0);
    expect(thrownVouchError(() => bundleReferrerManifest({ bundleJson: dsseBundleJson, subject, content: "dsse-envelope", created })).message).toMatch(/holds a application\/vnd.dev.sigstore.bundle.v0.3\+json bundle/);
    const v03 = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(Buffer.from(dsseBundleJson).toString()), mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }));
    expect(thrownVouchError(() => bundleReferrerManifest({ bundleJson: v03, subject, content: "message-signature", created })).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => bundleReferrerManifest({ bundleJson: v03, subject: { ...subject, digest: "latest" }, content: "dsse-envelope", created })).code).toBe("INPUT_USAGE");
  });
});

describe("parseBundleReferrer", () => {
  it("isBundleArtifactType: cosign v3's type and the older bundle spellings, nothing else", () => {
    expect(isBundleArtifactType("application/vnd.dev.sigstore.bundle.v0.3+json")).toBe(true);
    expect(isBundleArtifactType("application/vnd.dev.sigstore.bundle+json;version=0.2")).toBe(true);
    expect(isBundleArtifactType("application/vnd.dev.sigstore.bundle.v0.4+json")).toBe(false);
    expect(isBundleArtifactType("application/spdx+json")).toBe(false);
    expect(isBundleArtifactType(undefined)).toBe(false);
  });

  it("reads BUNDLE_SPEC's example manifest", () => {
    const parsed = inspectBundleReferrer(referrer(new Uint8Array(readFileSync(join(FIXTURES, "bundle-referrer-manifest.json")))), { subject: `sha256:${"c00010ff".repeat(8)}` });
    expect(parsed).toEqual({
      layer: {
        mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        digest: `sha256:${"cafed00d".repeat(8)}`,
        size: 4971,
        annotations: { "org.opencontainers.image.title": `sha256-${"cafed00d".repeat(8)}.sigstore.json` },
      },
      content: "dsse-envelope",
      predicateType: "https://slsa.dev/provenance/v1",
      created: new Date("2024-03-08T18:18:20.406Z"),
      subject: { mediaType: "application/vnd.oci.image.index.v1+json", digest: `sha256:${"c00010ff".repeat(8)}`, size: 856 },
    });
  });

  it("refuses two layers (corrupt fixture), another artifact type, another subject, an unknown content, an index; tolerates a bad date", () => {
    const example = JSON.parse(readFileSync(join(FIXTURES, "bundle-referrer-manifest.json"), "utf8"));
    const variant = (change: (m: Record<string, any>) => void) => {
      const copy = structuredClone(example);
      change(copy);
      return referrer(new TextEncoder().encode(JSON.stringify(copy)));
    };
    expect(thrownVouchError(() => parseBundleReferrer(referrer(new Uint8Array(readFileSync(join(FIXTURES, "corrupt", "bundle-referrer-two-layers.json"))))))).toMatchObject({ code: "INPUT_MALFORMED", message: expect.stringContaining("exactly one layer") });
    expect(thrownVouchError(() => parseBundleReferrer(variant((m) => (m.artifactType = "application/spdx+json")))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(thrownVouchError(() => parseBundleReferrer(variant((m) => (m.layers[0].mediaType = "application/json")))).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => parseBundleReferrer(variant(() => {}), { subject: `sha256:${"0".repeat(64)}` })).message).toMatch(/subject is sha256:c00010ff/);
    expect(thrownVouchError(() => parseBundleReferrer(variant((m) => (m.annotations["dev.sigstore.bundle.content"] = "jwt")))).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => parseBundleReferrer({ kind: "index", mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] })).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(inspectBundleReferrer(variant((m) => (m.annotations["org.opencontainers.image.created"] = "yesterday"))).created).toBeUndefined();
    // The empty config without artifactType: image-spec says it MUST be set, so this is not a referrer vouch guesses at.
    expect(thrownVouchError(() => parseBundleReferrer(variant((m) => delete m.artifactType))).message).toMatch(/no artifactType/);
  });

  it("readBundleLayer refuses other bytes than the layer's, and a bundle of another content than announced", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(Buffer.from(dsseBundleJson).toString()), mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" }));
    const layer: Descriptor = { mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", digest: sha256(bytes), size: bytes.length };
    expect(thrownVouchError(() => readBundleLayer(layer, bytes.subarray(1))).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => readBundleLayer(layer, bytes, "message-signature")).message).toMatch(/announces a message-signature/);
  });
});
