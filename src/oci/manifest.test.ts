import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import { parseManifestDocument } from "./manifest.js";
import { hostPlatform, parsePlatform, pickPlatform, platformRank } from "./platform.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const read = (path: string) => new Uint8Array(readFileSync(join(FIXTURES, path)));

function errorOf(fn: () => unknown): VouchError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VouchError);
    return error as VouchError;
  }
  throw new Error("expected a VouchError");
}

describe("parseManifestDocument", () => {
  it("reads an OCI index with BuildKit attestation entries", () => {
    const doc = parseManifestDocument(read("oci-index/index.json"), "application/vnd.oci.image.index.v1+json", "index");
    if (doc.kind !== "index") throw new Error("expected an index");
    expect(doc.manifests).toHaveLength(10);
    expect(doc.manifests[2]!.platform).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(doc.manifests[8]!.annotations?.["vnd.docker.reference.type"]).toBe("attestation-manifest");
  });

  it("reads a Docker manifest list (features and os.version kept where vouch uses them)", () => {
    const doc = parseManifestDocument(read("docker-manifest-list/manifest.json"), "application/vnd.docker.distribution.manifest.list.v2+json", "list");
    if (doc.kind !== "index") throw new Error("expected an index");
    expect(doc.mediaType).toBe("application/vnd.docker.distribution.manifest.list.v2+json");
    expect(doc.manifests.map((m) => m.platform)).toEqual([
      { os: "linux", architecture: "ppc64le" },
      { os: "linux", architecture: "amd64" },
      { os: "windows", architecture: "amd64", "os.version": "10.0.17763.1879" },
    ]);
  });

  it("reads Docker v2 and OCI manifests (urls of foreign layers, annotations)", () => {
    const docker = parseManifestDocument(read("docker-manifest/manifest.json"), undefined, "m");
    if (docker.kind !== "manifest") throw new Error("expected a manifest");
    expect(docker.config.mediaType).toBe("application/vnd.docker.container.image.v1+json");
    expect(docker.layers[2]!.urls).toEqual(["https://example.com/layer"]);
    const oci = parseManifestDocument(read("oci-manifest/manifest.json"), "application/vnd.oci.image.manifest.v1+json; charset=utf-8", "m");
    if (oci.kind !== "manifest") throw new Error("expected a manifest");
    expect(oci.annotations?.["org.opencontainers.image.base.name"]).toBe("docker.io/library/debian:bookworm-slim");
  });

  it("takes the media type from the Content-Type, or the shape, when the document has none", () => {
    const bare = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    expect(parseManifestDocument(bare, "application/json", "x").kind).toBe("index");
    const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, config: { mediaType: "a", digest: `sha256:${"1".repeat(64)}`, size: 2 }, layers: [] }));
    expect(parseManifestDocument(manifest, "application/vnd.docker.distribution.manifest.v2+json", "x").mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
  });

  it("refuses Docker schema 1 and unknown media types as unsupported", () => {
    expect(errorOf(() => parseManifestDocument(read("schema1/manifest.json"), "application/vnd.docker.distribution.manifest.v1+prettyjws", "m")).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    const artifact = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.artifact.manifest.v1+json" }));
    expect(errorOf(() => parseManifestDocument(artifact, undefined, "m")).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });

  it("reads image-spec 1.1 artifactType and subject (a sigstore bundle referrer; a referrers list)", () => {
    const doc = parseManifestDocument(read("oci-referrer/manifest.json"), "application/vnd.oci.image.manifest.v1+json", "referrer");
    if (doc.kind !== "manifest") throw new Error("expected a manifest");
    expect(doc.artifactType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(doc.subject).toEqual({ mediaType: "application/vnd.oci.image.index.v1+json", digest: expect.stringMatching(/^sha256:/) as string, size: 1234 });
    expect(doc.config.mediaType).toBe("application/vnd.oci.empty.v1+json");
    const list = parseManifestDocument(read("oci-referrer/referrers.json"), "application/vnd.oci.image.index.v1+json", "referrers");
    if (list.kind !== "index") throw new Error("expected an index");
    expect(list.manifests.map((m) => m.artifactType)).toEqual(["application/spdx+json", undefined]);
    expect(list.subject).toBeUndefined();
  });

  it("refuses a document whose mediaType contradicts the Content-Type it came with", () => {
    const e = errorOf(() => parseManifestDocument(read("oci-manifest/manifest.json"), "application/vnd.oci.image.index.v1+json", "m"));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain("does not match the Content-Type");
  });

  it.each(readdirSync(join(FIXTURES, "corrupt")).map((f) => [f]))("corrupt/%s is INPUT_MALFORMED naming the field", (file) => {
    const e = errorOf(() => parseManifestDocument(read(`corrupt/${file}`), undefined, `corrupt/${file}`));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toMatch(new RegExp(`^corrupt/${file.replace(".", "\\.")}: `));
    expect(e.message).not.toContain("\n");
    const expected: Record<string, string> = {
      "bad-digest.json": "layers[0].digest",
      "negative-size.json": "layers[1].size",
      "config-not-descriptor.json": "config is not an object",
      "platform-without-architecture.json": "manifests[0].platform",
      "index-with-layers.json": "must not have config or layers",
      "truncated.json": "not JSON",
      "not-utf8.json": "not JSON",
      "subject-bad-digest.json": "subject.digest",
      "artifact-type-not-media-type.json": "artifactType \"a signature, trust me\" is not a media type",
      "descriptor-artifact-type-number.json": "manifests[0].artifactType is not a string",
    };
    expect(e.message).toContain(expected[file]);
  });
});

describe("platforms", () => {
  const index = parseManifestDocument(read("oci-index/index.json"), undefined, "index");
  if (index.kind !== "index") throw new Error("expected an index");
  const pick = (wanted: string, explicit = true) => pickPlatform(index.manifests, parsePlatform(wanted), { explicit }).platform;

  it("parses os/arch[/variant] with the usual aliases", () => {
    expect(parsePlatform("linux/amd64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(parsePlatform("linux/x86_64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(parsePlatform("Linux/ARM64/V8")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(parsePlatform("linux/armhf")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    for (const bad of ["linux", "linux/", "a/b/c/d", "linux/amd 64", ""]) expect(errorOf(() => parsePlatform(bad)).code).toBe("INPUT_USAGE");
  });

  it("picks like containerd: exact first, then what the machine can run, never attestations", () => {
    expect(pick("linux/amd64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(pick("linux/arm64")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(pick("linux/arm64/v8")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(pick("linux/arm")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(pick("linux/arm/v6")).toEqual({ os: "linux", architecture: "arm", variant: "v6" });
    expect(pick("linux/arm/v8")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(pick("linux/amd64/v3")).toEqual({ os: "linux", architecture: "amd64" });
    const e = errorOf(() => pick("linux/mips64le"));
    expect(e.code).toBe("INPUT_USAGE");
    expect(e.message).toContain("it has: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, linux/386, linux/ppc64le, linux/riscv64, linux/s390x");
    expect(errorOf(() => pick("linux/arm/v5")).code).toBe("INPUT_USAGE");
    expect(errorOf(() => pick("windows/amd64")).code).toBe("INPUT_USAGE");
  });

  it("takes the only image of an index whatever its platform unless one was asked for", () => {
    const only = [index.manifests[5]!, index.manifests[8]!]; // ppc64le + an attestation
    expect(pickPlatform(only, parsePlatform("linux/amd64"), { explicit: false }).platform?.architecture).toBe("ppc64le");
    expect(errorOf(() => pickPlatform(only, parsePlatform("linux/amd64"), { explicit: true })).code).toBe("INPUT_USAGE");
    expect(errorOf(() => pickPlatform([index.manifests[8]!], parsePlatform("linux/amd64"))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });

  it("ranks variants and Windows builds", () => {
    expect(platformRank({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "arm64" })).toBe(1);
    expect(platformRank({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "aarch64" })).toBe(1);
    expect(platformRank({ os: "linux", architecture: "arm", variant: "v6" }, { os: "linux", architecture: "arm", variant: "v7" })).toBeUndefined();
    expect(platformRank({ os: "windows", architecture: "amd64", "os.version": "10.0.20348.1" }, { os: "windows", architecture: "amd64", "os.version": "10.0.17763.1879" })).toBeUndefined();
  });

  it("names the host platform in OCI terms", () => {
    expect(hostPlatform("linux", "x64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(hostPlatform("linux", "arm", "6")).toEqual({ os: "linux", architecture: "arm", variant: "v6" });
    expect(hostPlatform("darwin", "arm64")).toEqual({ os: "darwin", architecture: "arm64" });
    expect(hostPlatform("win32", "x64")).toEqual({ os: "windows", architecture: "amd64" });
  });
});
