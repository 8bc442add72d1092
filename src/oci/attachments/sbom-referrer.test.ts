import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Descriptor } from "../../catalog/sources/image/types.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { parseManifestDocument } from "../manifest.js";
import { detectSbomFormat, parseSbomManifest, parseSbomReferrer, resolveSbomArtifactType, sbomReferrerManifest } from "./sbom-referrer.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const subject: Descriptor = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"ab".repeat(32)}`, size: 500 };

describe("detectSbomFormat", () => {
  it("tells CycloneDX from SPDX JSON by their marker fields", () => {
    expect(detectSbomFormat(fixture("sbom-cyclonedx.json"))).toBe("cyclonedx");
    expect(detectSbomFormat(fixture("sbom-spdx.json"))).toBe("spdx");
  });

  it("refuses a truncated document (corrupt fixture), XML, tag-value, SPDX 3 and other JSON, naming the file", () => {
    expect(thrownVouchError(() => detectSbomFormat(fixture("corrupt/sbom-truncated.json"), "sbom.json"))).toMatchObject({ code: "INPUT_MALFORMED", location: { file: "sbom.json" } });
    const encode = (s: string) => new TextEncoder().encode(s);
    expect(thrownVouchError(() => detectSbomFormat(encode('<?xml version="1.0"?><bom/>'))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(thrownVouchError(() => detectSbomFormat(encode("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(thrownVouchError(() => detectSbomFormat(encode('{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}'))).message).toMatch(/SPDX 3/);
    expect(thrownVouchError(() => detectSbomFormat(encode('{"name":"package.json"}'))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(thrownVouchError(() => detectSbomFormat(new Uint8Array([0xff, 0xfe, 0x00]))).code).toBe("INPUT_MALFORMED");
  });
});

describe("sbomReferrerManifest", () => {
  it("with a subject: an OCI 1.1 referrer as oras attach writes it, read back by parseSbomManifest", () => {
    const sbom = fixture("sbom-spdx.json");
    const built = sbomReferrerManifest({ sbom, format: "spdx", subject, created: new Date("2025-01-02T03:04:05Z"), title: "sbom.spdx.json" });
    const json = JSON.parse(Buffer.from(built.manifest.bytes).toString());
    expect(json).toMatchObject({
      artifactType: "application/spdx+json",
      config: { mediaType: "application/vnd.oci.empty.v1+json", size: 2 },
      layers: [{ mediaType: "application/spdx+json", digest: sha256(sbom), size: sbom.length, annotations: { "org.opencontainers.image.title": "sbom.spdx.json" } }],
      subject: { digest: subject.digest },
      annotations: { "org.opencontainers.image.created": "2025-01-02T03:04:05.000Z" },
    });
    expect(built.blobs.map((b) => b.descriptor.digest)).toEqual([json.config.digest, sha256(sbom)]);
    expect(parseSbomManifest(parseManifestDocument(built.manifest.bytes, undefined, "m"))).toMatchObject({ format: "spdx", layer: { digest: sha256(sbom) } });
  });

  it("without a subject: cosign's .sbom image (cosign's media type, zero creation time: the same SBOM gives the same manifest)", () => {
    const sbom = fixture("sbom-spdx.json");
    const a = sbomReferrerManifest({ sbom, format: "spdx", subject: undefined, created: new Date(1) });
    const b = sbomReferrerManifest({ sbom, format: "spdx", subject: undefined, created: new Date(2) });
    expect(a.manifest.descriptor.digest).toBe(b.manifest.descriptor.digest);
    const doc = parseManifestDocument(a.manifest.bytes, undefined, "m");
    expect(doc).toMatchObject({ config: { mediaType: "application/vnd.oci.image.config.v1+json" }, layers: [{ mediaType: "text/spdx+json", digest: sha256(sbom) }] });
    expect(JSON.parse(Buffer.from(a.blobs[0]!.bytes).toString()).created).toBe("0001-01-01T00:00:00Z");
    expect(parseSbomManifest(doc).format).toBe("spdx");
    expect(resolveSbomArtifactType(parseSbomReferrer(doc).mediaType)).toBe("application/spdx+json");
    expect(resolveSbomArtifactType("text/spdx")).toBe("text/spdx");
  });

  it("parseSbomManifest refuses a manifest without a JSON SBOM layer, or with two", () => {
    const layer = (mediaType: string): Descriptor => ({ mediaType, digest: `sha256:${"cd".repeat(32)}`, size: 1 });
    const doc = (layers: Descriptor[]) => ({ kind: "manifest" as const, mediaType: "application/vnd.oci.image.manifest.v1+json", config: layer("application/vnd.oci.empty.v1+json"), layers });
    expect(thrownVouchError(() => parseSbomManifest(doc([layer("text/spdx")]))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(thrownVouchError(() => parseSbomManifest(doc([layer("application/vnd.cyclonedx+json"), layer("application/spdx+json")]))).code).toBe("INPUT_MALFORMED");
    expect(parseSbomManifest(doc([layer("application/vnd.cyclonedx+json; version=1.6")])).format).toBe("cyclonedx");
  });
});
