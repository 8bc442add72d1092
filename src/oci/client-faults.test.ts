import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOciRegistry, type RunningOciRegistry } from "../../test/support/oci-registry.js";
import { buildTestImage, pushTestImage, sha256, type TestImage } from "../../test/support/registry.js";
import { RegistryClient } from "./client.js";
import { rejectedOneLine } from "../../test/support/errors.js";

describe("registry faults over the network (in-process OCI registry)", () => {
  let registry: RunningOciRegistry;
  let image: TestImage;
  let target: { registry: string; repository: string };
  const sleeps: number[] = [];
  const client = (timeoutMs = 2_000) => new RegistryClient({ sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, timeoutMs });

  beforeAll(async () => {
    registry = await startOciRegistry({ chunkMinLength: 4096 });
    target = { registry: registry.host, repository: "vouch/faults" };
    image = buildTestImage();
    await pushTestImage({ ...target, client: client() }, image, "1.0");
  });
  afterEach(() => {
    registry.clearFaults();
    sleeps.length = 0;
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("gives up on a registry that never answers after the tries, naming it and the request", async () => {
    const path = `/v2/${target.repository}/manifests/1.0`;
    const hang = registry.setFault({ kind: "hang", method: "GET", path, times: Infinity });
    const e = await rejectedOneLine(client(30).getManifest(target, "1.0"));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toBe(`${registry.url} did not answer GET ${path} within 30 ms (gave up after 4 tries)`);
    expect(hang.hits()).toBe(4);
    expect(sleeps).toHaveLength(3);
  });

  it("gets through dropped connections, 503s and a 429 with Retry-After", async () => {
    const path = `/v2/${target.repository}/manifests/${image.manifest.digest}`;
    registry.setFault({ kind: "reset", method: "GET", path, times: 1 });
    registry.setFault({ kind: "status", status: 503, method: "GET", path, times: 1 });
    registry.setFault({ kind: "status", status: 429, headers: { "retry-after": "2" }, method: "GET", path, times: 1 });
    expect((await client().getManifest(target, image.manifest.digest)).descriptor.digest).toBe(image.manifest.digest);
    expect(sleeps).toEqual([188, 375, 2000]);
  });

  it("refuses a manifest whose bytes are not what its digest names, without retrying it", async () => {
    const path = `/v2/${target.repository}/manifests/${image.manifest.digest}`;
    const corrupt = registry.setFault({ kind: "corrupt", method: "GET", path, times: Infinity });
    const e = await rejectedOneLine(client().getManifest(target, image.manifest.digest));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(corrupt.hits()).toBe(1);
  });

  it("resolves with a GET when the HEAD leaves out Docker-Content-Digest", async () => {
    registry.setFault({ kind: "headers", remove: ["docker-content-digest"], method: "HEAD", path: `/v2/${target.repository}/manifests/1.0` });
    const before = registry.requests.length;
    expect((await client().resolve(target, "1.0")).digest).toBe(image.manifest.digest);
    expect(registry.requests.slice(before).map((r) => r.method)).toEqual(["HEAD", "GET"]);
  });

  it("retries a manifest PUT whose answer was lost after the registry stored it", async () => {
    const bytes = image.manifest.bytes; // under another tag: the registry has its blobs
    registry.setFault({ kind: "status", status: 502, afterProcessing: true, method: "PUT", path: `/v2/${target.repository}/manifests/again` });
    const { descriptor } = await client().putManifest(target, "again", bytes, "application/vnd.oci.image.manifest.v1+json");
    expect(registry.manifest(target.repository, "again")?.digest).toBe(descriptor.digest);
  });

  it("streams chunks of at least the registry's OCI-Chunk-Min-Length, and a mount that starts an upload leaves none open", async () => {
    const bytes = new Uint8Array(10_000).map((_, i) => i % 256);
    const before = registry.requests.length;
    await client().pushBlobStream(target, new Blob([bytes]).stream(), { digest: sha256(bytes), size: bytes.length }, { chunkSize: 1000 });
    const patches = registry.requests.slice(before).filter((r) => r.method === "PATCH");
    expect(patches.slice(0, -1).every((r) => r.bodyBytes >= 4096)).toBe(true);
    expect(patches.reduce((n, r) => n + r.bodyBytes, 0)).toBe(bytes.length);
    expect(registry.blob(target.repository, sha256(bytes))).toEqual(bytes);

    expect(await client().mountBlob({ registry: registry.host, repository: "vouch/elsewhere" }, target, `sha256:${"7".repeat(64)}`)).toBe(false);
    expect(registry.openUploads("vouch/elsewhere")).toBe(0);
    expect(await client().mountBlob({ registry: registry.host, repository: "vouch/elsewhere" }, target, sha256(bytes))).toBe(true);
  });

  it("cancels a streamed upload the registry stops answering, leaving no upload open", async () => {
    const bytes = new Uint8Array(20_000).map((_, i) => (i * 3) % 256);
    registry.setFault({ kind: "status", status: 503, method: "PATCH", path: /\/blobs\/uploads\//, times: 1 });
    const e = await rejectedOneLine(client().pushBlobStream(target, new Blob([bytes]).stream(), { digest: sha256(bytes), size: bytes.length }, { chunkSize: 8192 }));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("cannot be replayed");
    expect(registry.openUploads(target.repository)).toBe(0);
  });
});
