import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "../src/oci/client.js";
import { staticCredentials } from "../src/oci/docker-config.js";
import { rejectedVouchError } from "./support/errors.js";
import { startOciRegistry, type OciRegistryOptions, type RunningOciRegistry } from "./support/oci-registry.js";
import { buildTestImage, buildTestIndex, pushTestImage, sha256 } from "./support/registry.js";

/**
 * The in-process OCI registry (test/support/oci-registry.ts) against opencontainers/distribution-spec 1.1, driven
 * with plain fetch (and vouch's RegistryClient where a reader's view helps): each behaviour the referrers-API tests
 * rely on is shown here, including every refusal with the spec's status and error code.
 */

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const EMPTY = "application/vnd.oci.empty.v1+json";
const EMPTY_BYTES = new TextEncoder().encode("{}");
const EMPTY_DESCRIPTOR = { mediaType: EMPTY, digest: sha256(EMPTY_BYTES), size: 2 };

const running: RunningOciRegistry[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(options: OciRegistryOptions = {}): Promise<RunningOciRegistry> {
  const registry = await startOciRegistry(options);
  running.push(registry);
  return registry;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => bytesOf(JSON.stringify(value));

async function codes(response: Response): Promise<string[]> {
  const body = (await response.json()) as { errors: { code: string }[] };
  return body.errors.map((e) => e.code);
}

/** An OCI artifact manifest (config = the empty descriptor, unless given) with a subject; its blobs must be stored. */
function artifact(options: { subject?: object; artifactType?: string; annotations?: Record<string, string>; config?: object; layers?: object[] }) {
  const bytes = json({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(options.artifactType !== undefined ? { artifactType: options.artifactType } : {}),
    config: options.config ?? EMPTY_DESCRIPTOR,
    layers: options.layers ?? [EMPTY_DESCRIPTOR],
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
  });
  return { bytes, digest: sha256(bytes), size: bytes.length, mediaType: OCI_MANIFEST };
}

function putManifest(registry: RunningOciRegistry, repository: string, reference: string, bytes: Uint8Array, mediaType = OCI_MANIFEST) {
  return fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { method: "PUT", headers: { "content-type": mediaType }, body: bytes });
}

async function startUpload(registry: RunningOciRegistry, repository: string): Promise<URL> {
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: "POST", headers: { "content-length": "0" } });
  expect(response.status).toBe(202);
  return new URL(response.headers.get("location")!, registry.url);
}

describe("base and routing", () => {
  it("answers /v2/ with 200 and the API version header; an unknown path gets Go's plain-text 404", async () => {
    const registry = await start();
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const base = await fetch(`${registry.url}/v2/`);
    expect(base.status).toBe(200);
    expect(base.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(await base.json()).toEqual({});
    const unknown = await fetch(`${registry.url}/v2/app/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("404 page not found\n");
  });

  it("refuses a repository name outside the spec's grammar (NAME_INVALID) and a reference that is neither tag nor digest", async () => {
    const registry = await start();
    const name = await fetch(`${registry.url}/v2/App_/manifests/v1`);
    expect(name.status).toBe(400);
    expect(await codes(name)).toEqual(["NAME_INVALID"]);
    const digest = await fetch(`${registry.url}/v2/app/manifests/sha256:zz`);
    expect(digest.status).toBe(400);
    expect(await codes(digest)).toEqual(["DIGEST_INVALID"]);
    const tag = await fetch(`${registry.url}/v2/app/manifests/.hidden`);
    expect(tag.status).toBe(400);
    expect(await codes(tag)).toEqual(["MANIFEST_INVALID"]);
  });
});

describe("blob uploads", () => {
  it("POST then PUT: 202 with a Location whose critical query must come back, then 201; the blob is served with its digest", async () => {
    const registry = await start();
    const blob = bytesOf("hello, registry");
    const location = await startUpload(registry, "app");
    expect(location.pathname).toMatch(/^\/v2\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
    expect(location.searchParams.get("_state")).toMatch(/^[0-9a-f]+$/);

    // The same upload without the location's query is unknown: a client must use the location as given.
    const stripped = await fetch(`${registry.url}${location.pathname}?digest=${sha256(blob)}`, { method: "PUT", body: blob });
    expect(stripped.status).toBe(404);
    expect(await codes(stripped)).toEqual(["BLOB_UPLOAD_UNKNOWN"]);

    location.searchParams.set("digest", sha256(blob));
    const put = await fetch(location, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: blob });
    expect(put.status).toBe(201);
    expect(put.headers.get("location")).toBe(`/v2/app/blobs/${sha256(blob)}`);
    expect(put.headers.get("docker-content-digest")).toBe(sha256(blob));
    expect(registry.openUploads()).toBe(0);

    const head = await fetch(`${registry.url}/v2/app/blobs/${sha256(blob)}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(blob.length));
    expect(head.headers.get("docker-content-digest")).toBe(sha256(blob));
    const client = new RegistryClient();
    expect(await client.readBlob({ registry: registry.host, repository: "app" }, { mediaType: "application/octet-stream", digest: sha256(blob), size: blob.length })).toEqual(blob);
  });

  it("a closing PUT whose bytes do not hash to ?digest= is DIGEST_INVALID, stores nothing and ends the upload", async () => {
    const registry = await start();
    const location = await startUpload(registry, "app");
    const claimed = sha256(bytesOf("something else"));
    location.searchParams.set("digest", claimed);
    const put = await fetch(location, { method: "PUT", body: bytesOf("these bytes") });
    expect(put.status).toBe(400);
    expect(await codes(put)).toEqual(["DIGEST_INVALID"]);
    expect(registry.blob("app", claimed)).toBeUndefined();
    expect(registry.openUploads()).toBe(0);

    const noDigest = await startUpload(registry, "app");
    const missing = await fetch(noDigest, { method: "PUT", body: bytesOf("x") });
    expect(missing.status).toBe(400);
    expect(await codes(missing)).toEqual(["DIGEST_INVALID"]);
  });

  it("single POST ?digest= completes in one request (201), checks the digest, and can be turned off like distribution 2.8 (202)", async () => {
    const registry = await start();
    const blob = bytesOf("monolithic");
    const ok = await fetch(`${registry.url}/v2/app/blobs/uploads/?digest=${sha256(blob)}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: blob });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("location")).toBe(`/v2/app/blobs/${sha256(blob)}`);
    expect(registry.blob("app", sha256(blob))).toEqual(blob);

    const wrong = await fetch(`${registry.url}/v2/app/blobs/uploads/?digest=${sha256(bytesOf("other"))}`, { method: "POST", body: blob });
    expect(wrong.status).toBe(400);
    expect(await codes(wrong)).toEqual(["DIGEST_INVALID"]);

    const bodyWithoutDigest = await fetch(`${registry.url}/v2/app/blobs/uploads/`, { method: "POST", body: blob });
    expect(bodyWithoutDigest.status).toBe(400);
    expect(await codes(bodyWithoutDigest)).toEqual(["BLOB_UPLOAD_INVALID"]);

    const old = await start({ singlePostUpload: false, absoluteLocations: true });
    const session = await fetch(`${old.url}/v2/app/blobs/uploads/?digest=${sha256(blob)}`, { method: "POST", body: blob });
    expect(session.status).toBe(202);
    expect(session.headers.get("location")).toMatch(new RegExp(`^${old.url}/v2/app/blobs/uploads/`));
    expect(old.blob("app", sha256(blob))).toBeUndefined();
  });

  it("chunked: PATCH with Content-Range (202 and Range), status GET (204), 416 on a gap, the last chunk on the PUT", async () => {
    const registry = await start({ chunkMinLength: 4 });
    const blob = bytesOf("0123456789abcdef");
    const post = await fetch(`${registry.url}/v2/app/blobs/uploads/`, { method: "POST", headers: { "content-length": "0" } });
    expect(post.headers.get("oci-chunk-min-length")).toBe("4");
    let location = new URL(post.headers.get("location")!, registry.url);

    const first = await fetch(location, { method: "PATCH", headers: { "content-type": "application/octet-stream", "content-range": "0-5" }, body: blob.subarray(0, 6) });
    expect(first.status).toBe(202);
    expect(first.headers.get("range")).toBe("0-5");
    location = new URL(first.headers.get("location")!, registry.url);

    // A chunk that does not start where the upload ends: "the registry MUST respond with a 416".
    const gap = await fetch(location, { method: "PATCH", headers: { "content-range": "8-11" }, body: blob.subarray(8, 12) });
    expect(gap.status).toBe(416);
    expect(gap.headers.get("range")).toBe("0-5");
    const overlap = await fetch(location, { method: "PATCH", headers: { "content-range": "0-3" }, body: blob.subarray(0, 4) });
    expect(overlap.status).toBe(416);
    const malformed = await fetch(location, { method: "PATCH", headers: { "content-range": "bytes 6-9/16" }, body: blob.subarray(6, 10) });
    expect(malformed.status).toBe(416);
    const short = await fetch(location, { method: "PATCH", headers: { "content-range": "6-9" }, body: blob.subarray(6, 9) });
    expect(short.status).toBe(400);
    expect(await codes(short)).toEqual(["SIZE_INVALID"]);

    const status = await fetch(location);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-5");

    const second = await fetch(location, { method: "PATCH", headers: { "content-range": "6-11" }, body: blob.subarray(6, 12) });
    expect(second.status).toBe(202);
    expect(second.headers.get("range")).toBe("0-11");
    location = new URL(second.headers.get("location")!, registry.url);
    location.searchParams.set("digest", sha256(blob));
    const put = await fetch(location, { method: "PUT", headers: { "content-range": "12-15", "content-type": "application/octet-stream" }, body: blob.subarray(12) });
    expect(put.status).toBe(201);
    expect(registry.blob("app", sha256(blob))).toEqual(blob);
    expect(registry.requests.filter((r) => r.method === "PATCH").map((r) => r.status)).toEqual([202, 416, 416, 416, 400, 202]);
  });

  it("an upload can be cancelled (204), after which it is unknown", async () => {
    const registry = await start();
    const location = await startUpload(registry, "app");
    expect(registry.openUploads("app")).toBe(1);
    expect((await fetch(location, { method: "DELETE" })).status).toBe(204);
    expect(registry.openUploads()).toBe(0);
    const after = await fetch(location, { method: "PATCH", headers: { "content-range": "0-0" }, body: bytesOf("x") });
    expect(after.status).toBe(404);
    expect(await codes(after)).toEqual(["BLOB_UPLOAD_UNKNOWN"]);
  });

  it("cross-repository mount: 201 when `from` has the blob, else 202 and an upload session; a bad digest is DIGEST_INVALID", async () => {
    const registry = await start();
    const digest = registry.putBlob("base", bytesOf("shared layer"));
    const before = await fetch(`${registry.url}/v2/app/blobs/${digest}`);
    expect(before.status).toBe(404);
    expect(await codes(before)).toEqual(["BLOB_UNKNOWN"]);

    const mounted = await fetch(`${registry.url}/v2/app/blobs/uploads/?mount=${digest}&from=base`, { method: "POST" });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get("location")).toBe(`/v2/app/blobs/${digest}`);
    expect(mounted.headers.get("docker-content-digest")).toBe(digest);
    expect(registry.blob("app", digest)).toEqual(bytesOf("shared layer"));

    const absent = sha256(bytesOf("nowhere"));
    const session = await fetch(`${registry.url}/v2/other/blobs/uploads/?mount=${absent}&from=base`, { method: "POST" });
    expect(session.status).toBe(202);
    expect(session.headers.get("location")).toMatch(/^\/v2\/other\/blobs\/uploads\//);
    const noFrom = await fetch(`${registry.url}/v2/other/blobs/uploads/?mount=${digest}`, { method: "POST" });
    expect(noFrom.status).toBe(202);
    expect(registry.openUploads("other")).toBe(2);

    const bad = await fetch(`${registry.url}/v2/other/blobs/uploads/?mount=sha256:abc&from=base`, { method: "POST" });
    expect(bad.status).toBe(400);
    expect(await codes(bad)).toEqual(["DIGEST_INVALID"]);
  });
});

describe("blobs", () => {
  it("GET with Range answers 206; an invalid digest is 400 DIGEST_INVALID; DELETE answers 202 and the blob is gone", async () => {
    const registry = await start();
    const digest = registry.putBlob("app", bytesOf("0123456789"));
    const part = await fetch(`${registry.url}/v2/app/blobs/${digest}`, { headers: { range: "bytes=2-5" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await part.text()).toBe("2345");

    const invalid = await fetch(`${registry.url}/v2/app/blobs/sha256:ABC`);
    expect(invalid.status).toBe(400);
    expect(await codes(invalid)).toEqual(["DIGEST_INVALID"]);

    expect((await fetch(`${registry.url}/v2/app/blobs/${digest}`, { method: "DELETE" })).status).toBe(202);
    const gone = await fetch(`${registry.url}/v2/app/blobs/${digest}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown to registry", detail: digest }] });
  });
});

describe("manifests", () => {
  it("stores a pushed image exactly as sent; GET and HEAD by tag and digest, as vouch's client reads them", async () => {
    const registry = await start();
    const image = buildTestImage();
    const target = { registry: registry.host, repository: "app" };
    const digest = await pushTestImage(target, image, "v1");
    expect(digest).toBe(image.manifest.digest);

    const client = new RegistryClient();
    const byTag = await client.getManifest(target, "v1");
    expect(byTag.descriptor).toEqual({ mediaType: OCI_MANIFEST, digest, size: image.manifest.size });
    expect(byTag.bytes).toEqual(image.manifest.bytes);
    expect((await client.getManifest(target, digest)).bytes).toEqual(image.manifest.bytes);

    const head = await fetch(`${registry.url}/v2/app/manifests/v1`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(head.headers.get("content-type")).toBe(OCI_MANIFEST);
    expect(head.headers.get("content-length")).toBe(String(image.manifest.size));
    expect(await head.text()).toBe("");

    // "The registry MUST store the manifest in the exact byte representation provided by the client."
    const spaced = bytesOf(`{ "schemaVersion": 2,\n  "mediaType": "${OCI_MANIFEST}", "config": ${JSON.stringify({ mediaType: "application/vnd.oci.image.config.v1+json", digest: image.config.digest, size: image.config.size })}, "layers": [] }\n`);
    const put = await putManifest(registry, "app", "spaced", spaced);
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(sha256(spaced));
    expect(put.headers.get("location")).toBe(`/v2/app/manifests/${sha256(spaced)}`);
    expect(registry.manifest("app", "spaced")!.bytes).toEqual(spaced);
  });

  it("an unknown tag, digest or repository is 404 MANIFEST_UNKNOWN (INPUT_NOT_FOUND for vouch's client)", async () => {
    const registry = await start();
    const target = { registry: registry.host, repository: "app" };
    const response = await fetch(`${registry.url}/v2/app/manifests/latest`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "latest" } }] });
    const byDigest = await fetch(`${registry.url}/v2/app/manifests/${sha256(bytesOf("x"))}`, { method: "HEAD" });
    expect(byDigest.status).toBe(404);
    expect((await rejectedVouchError(() => new RegistryClient().getManifest(target, "latest"))).code).toBe("INPUT_NOT_FOUND");
  });

  it("a PUT by digest must hash to it (DIGEST_INVALID, nothing stored)", async () => {
    const registry = await start();
    registry.putBlob("app", EMPTY_BYTES);
    const manifest = artifact({ artifactType: "application/x-test" });
    const other = sha256(bytesOf("other"));
    const response = await putManifest(registry, "app", other, manifest.bytes);
    expect(response.status).toBe(400);
    expect(await codes(response)).toEqual(["DIGEST_INVALID"]);
    expect(registry.manifest("app", other)).toBeUndefined();
    expect(registry.manifest("app", manifest.digest)).toBeUndefined();
    expect((await putManifest(registry, "app", manifest.digest, manifest.bytes)).status).toBe(201);
  });

  it("every blob a manifest names must be in the repository (MANIFEST_BLOB_UNKNOWN), and an index's children too", async () => {
    const registry = await start();
    const image = buildTestImage();
    registry.putBlob("app", image.config.bytes); // the layer is missing
    const missingLayer = await putManifest(registry, "app", "v1", image.manifest.bytes);
    expect(missingLayer.status).toBe(400);
    expect(await missingLayer.json()).toEqual({ errors: [{ code: "MANIFEST_BLOB_UNKNOWN", message: "manifest references a manifest or blob unknown to registry", detail: image.layers[0]!.digest }] });

    // A blob in another repository is not in this one (until mounted).
    registry.putBlob("elsewhere", image.layers[0]!.bytes);
    expect((await putManifest(registry, "app", "v1", image.manifest.bytes)).status).toBe(400);
    registry.putBlob("app", image.layers[0]!.bytes);
    expect((await putManifest(registry, "app", "v1", image.manifest.bytes)).status).toBe(201);

    const arm = buildTestImage({ platform: { os: "linux", architecture: "arm64" } });
    const index = buildTestIndex([
      { image, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64" } },
    ]);
    const missingChild = await putManifest(registry, "app", "multi", index.bytes, OCI_INDEX);
    expect(missingChild.status).toBe(400);
    expect(await codes(missingChild)).toEqual(["MANIFEST_BLOB_UNKNOWN"]);
    await pushTestImage({ registry: registry.host, repository: "app" }, arm);
    expect((await putManifest(registry, "app", "multi", index.bytes, OCI_INDEX)).status).toBe(201);
    expect(registry.tags("app")).toEqual(["multi", "v1"]);
  });

  it("refuses malformed manifests with MANIFEST_INVALID: not JSON, a Content-Type that is not its mediaType, wrong sizes, an empty config without artifactType", async () => {
    const registry = await start();
    registry.putBlob("app", EMPTY_BYTES);
    const cases: { bytes: Uint8Array; mediaType?: string; why: string }[] = [
      { bytes: bytesOf("{not json"), why: "not JSON" },
      { bytes: json([1, 2]), why: "not an object" },
      { bytes: json({ schemaVersion: 1, mediaType: OCI_MANIFEST, config: EMPTY_DESCRIPTOR, layers: [] }), why: "schemaVersion" },
      { bytes: artifact({ artifactType: "application/x-test" }).bytes, mediaType: OCI_INDEX, why: "Content-Type differs from mediaType" },
      { bytes: artifact({ artifactType: "application/x-test" }).bytes, mediaType: "application/x-unknown", why: "unsupported media type" },
      { bytes: artifact({ artifactType: "application/x-test", config: { ...EMPTY_DESCRIPTOR, size: 3 } }).bytes, why: "config size" },
      { bytes: artifact({ artifactType: "application/x-test", layers: [{ mediaType: "x", digest: "sha256:1234", size: 1 }] }).bytes, why: "bad digest" },
      { bytes: artifact({}).bytes, why: "empty config needs artifactType (image-spec)" },
      { bytes: artifact({ artifactType: "application/x-test", subject: { digest: sha256(bytesOf("s")) } }).bytes, why: "subject is not a descriptor" },
      { bytes: json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: {} }), mediaType: OCI_INDEX, why: "manifests not an array" },
    ];
    for (const c of cases) {
      const response = await putManifest(registry, "app", "bad", c.bytes, c.mediaType);
      expect({ why: c.why, status: response.status, codes: await codes(response) }).toEqual({ why: c.why, status: 400, codes: ["MANIFEST_INVALID"] });
    }
    const noType = await fetch(`${registry.url}/v2/app/manifests/bad`, { method: "PUT", body: artifact({ artifactType: "application/x-test" }).bytes });
    expect(noType.status).toBe(400);
    expect(registry.tags("app")).toEqual([]);
  });

  it("refuses a manifest larger than the limit with 413", async () => {
    const registry = await start({ maxManifestBytes: 100 });
    registry.putBlob("app", EMPTY_BYTES);
    const response = await putManifest(registry, "app", "big", artifact({ artifactType: "application/x-test", annotations: { pad: "x".repeat(200) } }).bytes);
    expect(response.status).toBe(413);
  });

  it("DELETE of a tag removes the tag only; DELETE of a digest removes the manifest and every tag on it; tag deletion can be disabled", async () => {
    const registry = await start();
    const image = buildTestImage();
    const digest = await pushTestImage({ registry: registry.host, repository: "app" }, image, "v1");
    registry.putManifest("app", "v2", image.manifest.bytes, image.manifest.mediaType);
    registry.putManifest("app", "v3", image.manifest.bytes, image.manifest.mediaType);

    expect((await fetch(`${registry.url}/v2/app/manifests/v1`, { method: "DELETE" })).status).toBe(202);
    expect((await fetch(`${registry.url}/v2/app/manifests/v1`)).status).toBe(404);
    expect((await fetch(`${registry.url}/v2/app/manifests/${digest}`)).status).toBe(200);
    expect(registry.tags("app")).toEqual(["v2", "v3"]);

    expect((await fetch(`${registry.url}/v2/app/manifests/${digest}`, { method: "DELETE" })).status).toBe(202);
    expect(registry.tags("app")).toEqual([]);
    const again = await fetch(`${registry.url}/v2/app/manifests/${digest}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await codes(again)).toEqual(["MANIFEST_UNKNOWN"]);

    const strict = await start({ deleteTags: false });
    strict.putBlob("app", image.config.bytes);
    strict.putBlob("app", image.layers[0]!.bytes);
    strict.putManifest("app", "v1", image.manifest.bytes, image.manifest.mediaType);
    const refused = await fetch(`${strict.url}/v2/app/manifests/v1`, { method: "DELETE" });
    expect(refused.status).toBe(400);
    expect(strict.tags("app")).toEqual(["v1"]);
  });

  it("putManifest (direct) applies the same checks and names the spec's code", async () => {
    const registry = await start();
    expect(() => registry.putManifest("app", "v1", buildTestImage().manifest.bytes, OCI_MANIFEST)).toThrow(/^MANIFEST_BLOB_UNKNOWN/);
  });
});

describe("tags list", () => {
  async function withTags(options: OciRegistryOptions, tags: string[]): Promise<RunningOciRegistry> {
    const registry = await start(options);
    const image = buildTestImage();
    for (const [digest, bytes] of image.blobs) expect(registry.putBlob("app", bytes)).toBe(digest);
    for (const tag of tags) registry.putManifest("app", tag, image.manifest.bytes, image.manifest.mediaType);
    return registry;
  }

  it("lists tags in order; n and last page through them with a Link; n=0 is empty without a Link", async () => {
    const registry = await withTags({}, ["v2", "B", "v10", "a", "v1"]);
    const all = await fetch(`${registry.url}/v2/app/tags/list`);
    expect(all.status).toBe(200);
    expect(await all.json()).toEqual({ name: "app", tags: ["B", "a", "v1", "v10", "v2"] });
    expect(all.headers.get("link")).toBeNull();

    const first = await fetch(`${registry.url}/v2/app/tags/list?n=2`);
    expect(await first.json()).toEqual({ name: "app", tags: ["B", "a"] });
    expect(first.headers.get("link")).toBe('</v2/app/tags/list?n=2&last=a>; rel="next"');
    const second = await fetch(new URL(/<([^>]+)>/.exec(first.headers.get("link")!)![1]!, registry.url));
    expect(await second.json()).toEqual({ name: "app", tags: ["v1", "v10"] });
    const rest = await fetch(`${registry.url}/v2/app/tags/list?last=v10`);
    expect(await rest.json()).toEqual({ name: "app", tags: ["v2"] });
    expect(rest.headers.get("link")).toBeNull();

    const zero = await fetch(`${registry.url}/v2/app/tags/list?n=0`);
    expect(await zero.json()).toEqual({ name: "app", tags: [] });
    expect(zero.headers.get("link")).toBeNull();
    const invalid = await fetch(`${registry.url}/v2/app/tags/list?n=-1`);
    expect(invalid.status).toBe(400);
  });

  it("a registry page cap returns fewer than asked, with a Link (which vouch's listTags must follow); an unknown repository is 404 NAME_UNKNOWN", async () => {
    const registry = await withTags({ tagsPageSize: 2 }, ["a", "b", "c"]);
    const page = await fetch(`${registry.url}/v2/app/tags/list?n=10`);
    expect(await page.json()).toEqual({ name: "app", tags: ["a", "b"] });
    expect(page.headers.get("link")).toBe('</v2/app/tags/list?n=10&last=b>; rel="next"');
    const unknown = await fetch(`${registry.url}/v2/nope/tags/list`);
    expect(unknown.status).toBe(404);
    expect(await codes(unknown)).toEqual(["NAME_UNKNOWN"]);
  });
});

describe("referrers API", () => {
  const SIG = "application/vnd.dev.sigstore.bundle.v0.3+json";
  const SBOM = "application/vnd.cyclonedx+json";

  async function withSubject(options: OciRegistryOptions = {}) {
    const registry = await start(options);
    const image = buildTestImage();
    await pushTestImage({ registry: registry.host, repository: "app" }, image, "v1");
    registry.putBlob("app", EMPTY_BYTES);
    const subject = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size };
    return { registry, image, subject };
  }

  async function referrers(registry: RunningOciRegistry, digest: string, query = "") {
    const response = await fetch(`${registry.url}/v2/app/referrers/${digest}${query}`);
    const text = await response.text();
    return { response, status: response.status, text, manifests: response.status === 200 ? (JSON.parse(text) as { manifests: Record<string, unknown>[] }).manifests : [] };
  }

  it("answers a PUT with subject with OCI-Subject, and lists referrers as an index with artifactType and annotations", async () => {
    const { registry, subject } = await withSubject();
    const created = { "org.opencontainers.image.created": "2024-01-01T00:00:00Z" };
    const sig = artifact({ artifactType: SIG, subject, annotations: { ...created, "dev.sigstore.bundle.content": "dsse-envelope" } });
    const put = await putManifest(registry, "app", sig.digest, sig.bytes);
    expect(put.status).toBe(201);
    expect(put.headers.get("oci-subject")).toBe(subject.digest);

    // No artifactType: the config's mediaType stands in for it (spec: "MUST be set to the config descriptor mediaType").
    const configBytes = bytesOf('{"kind":"legacy"}');
    registry.putBlob("app", configBytes);
    const legacy = artifact({ subject, config: { mediaType: "application/vnd.example.config.v1+json", digest: sha256(configBytes), size: configBytes.length } });
    expect((await putManifest(registry, "app", legacy.digest, legacy.bytes)).headers.get("oci-subject")).toBe(subject.digest);

    // An index referrer without artifactType: "the artifactType MUST be omitted".
    const indexReferrer = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], subject, annotations: created });
    expect((await putManifest(registry, "app", sha256(indexReferrer), indexReferrer, OCI_INDEX)).headers.get("oci-subject")).toBe(subject.digest);

    // A manifest without subject gets no OCI-Subject.
    const plain = artifact({ artifactType: SBOM });
    expect((await putManifest(registry, "app", "plain", plain.bytes)).headers.get("oci-subject")).toBeNull();

    const listed = await referrers(registry, subject.digest);
    expect(listed.status).toBe(200);
    expect(listed.response.headers.get("content-type")).toBe(OCI_INDEX);
    expect(JSON.parse(listed.text)).toEqual({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: SIG, annotations: { ...created, "dev.sigstore.bundle.content": "dsse-envelope" } },
        { mediaType: OCI_MANIFEST, digest: legacy.digest, size: legacy.size, artifactType: "application/vnd.example.config.v1+json" },
        { mediaType: OCI_INDEX, digest: sha256(indexReferrer), size: indexReferrer.length, annotations: created },
      ],
    });
  });

  it("accepts a referrer before its subject exists (the spec's MUST), and lists it for that digest", async () => {
    const registry = await start();
    registry.putBlob("app", EMPTY_BYTES);
    const future = buildTestImage({ annotations: { later: "yes" } });
    const subject = { mediaType: OCI_MANIFEST, digest: future.manifest.digest, size: future.manifest.size };
    const sig = artifact({ artifactType: SIG, subject });
    const put = await putManifest(registry, "app", sig.digest, sig.bytes);
    expect(put.status).toBe(201);
    expect(put.headers.get("oci-subject")).toBe(subject.digest);
    expect((await referrers(registry, subject.digest)).manifests.map((m) => m.digest)).toEqual([sig.digest]);
  });

  it("filters on artifactType and says so in OCI-Filters-Applied; a registry that does not filter returns everything without the header", async () => {
    for (const filter of [true, false]) {
      const { registry, subject } = await withSubject({ filterArtifactType: filter });
      const sig = artifact({ artifactType: SIG, subject });
      const sbom = artifact({ artifactType: SBOM, subject });
      registry.putManifest("app", sig.digest, sig.bytes, OCI_MANIFEST);
      registry.putManifest("app", sbom.digest, sbom.bytes, OCI_MANIFEST);
      const filtered = await referrers(registry, subject.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
      expect(filtered.response.headers.get("oci-filters-applied")).toBe(filter ? "artifactType" : null);
      expect(filtered.manifests.map((m) => m.digest)).toEqual(filter ? [sbom.digest] : [sig.digest, sbom.digest]);
      expect((await referrers(registry, subject.digest)).response.headers.get("oci-filters-applied")).toBeNull();
    }
  });

  it("an unknown subject or repository is 200 with an empty index (never 404, which means no API); an invalid digest is 400", async () => {
    const registry = await start();
    const unknown = await referrers(registry, sha256(bytesOf("nothing")));
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.text)).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    const invalid = await referrers(registry, "sha256:nothex");
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.text).errors[0].code).toBe("DIGEST_INVALID");
  });

  it("pages with Link when the list does not fit one response, keeping the filter", async () => {
    const { registry, subject } = await withSubject({ referrersPageSize: 2 });
    const digests: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = artifact({ artifactType: SIG, subject, annotations: { n: String(i) } });
      registry.putManifest("app", a.digest, a.bytes, OCI_MANIFEST);
      digests.push(a.digest);
    }
    const seen: string[] = [];
    let next: string | undefined = `/v2/app/referrers/${subject.digest}?artifactType=${encodeURIComponent(SIG)}`;
    let pages = 0;
    while (next !== undefined) {
      const response = await fetch(new URL(next, registry.url));
      expect(response.headers.get("oci-filters-applied")).toBe("artifactType");
      seen.push(...((await response.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest));
      next = /<([^>]+)>; rel="next"/.exec(response.headers.get("link") ?? "")?.[1];
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(digests);
  });

  it("a deleted referrer leaves the list", async () => {
    const { registry, subject } = await withSubject();
    const sig = artifact({ artifactType: SIG, subject });
    registry.putManifest("app", sig.digest, sig.bytes, OCI_MANIFEST);
    expect((await referrers(registry, subject.digest)).manifests).toHaveLength(1);
    expect((await fetch(`${registry.url}/v2/app/manifests/${sig.digest}`, { method: "DELETE" })).status).toBe(202);
    expect((await referrers(registry, subject.digest)).manifests).toEqual([]);
  });
});

describe("referrers: false (like Debian's docker-registry 2.8)", () => {
  it("stores a manifest with subject without OCI-Subject, answers the referrers path with a plain-text 404, and serves the tag-schema index", async () => {
    const registry = await start({ referrers: false });
    const image = buildTestImage();
    const target = { registry: registry.host, repository: "app" };
    await pushTestImage(target, image, "v1");
    registry.putBlob("app", EMPTY_BYTES);
    const subject = { mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size };
    const sig = artifact({ artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json", subject });
    const put = await putManifest(registry, "app", sig.digest, sig.bytes);
    expect(put.status).toBe(201);
    expect(put.headers.get("oci-subject")).toBeNull();

    const api = await fetch(`${registry.url}/v2/app/referrers/${subject.digest}`);
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await api.text()).toBe("404 page not found\n");

    // The client keeps the referrers tag schema (`sha256-<hex>`, an index) itself; the registry stores it as any index.
    const fallback = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }] });
    const tag = subject.digest.replace(":", "-");
    expect((await putManifest(registry, "app", tag, fallback, OCI_INDEX)).status).toBe(201);
    const read = await new RegistryClient().getManifest(target, tag);
    expect(read.document.kind).toBe("index");
    expect(read.bytes).toEqual(fallback);

    // Upgraded to 1.1: the manifests pushed before are listed.
    registry.setReferrers(true);
    const after = await fetch(`${registry.url}/v2/app/referrers/${subject.digest}`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest)).toEqual([sig.digest]);
  });
});

describe("faults", () => {
  it("answers an injected status for the next N matching requests only, with the headers given, then behaves", async () => {
    const registry = await start();
    const fault = registry.setFault({ kind: "status", status: 503, method: "GET", path: "/v2/", times: 2, headers: { "retry-after": "1" } });
    const first = await fetch(`${registry.url}/v2/`);
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("1");
    expect((await fetch(`${registry.url}/v2/`, { method: "HEAD" })).status).toBe(200); // another method: not matched
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(503);
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
    expect([fault.hits(), fault.remaining()]).toEqual([2, 0]);
    expect(registry.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(["GET /v2/ 503", "HEAD /v2/ 200", "GET /v2/ 503", "GET /v2/ 200"]);
  });

  it("a status fault does not process the request, unless afterProcessing (the work is done, the answer is lost)", async () => {
    const registry = await start();
    registry.putBlob("app", EMPTY_BYTES);
    const a = artifact({ artifactType: "application/x-a" });
    const b = artifact({ artifactType: "application/x-b" });
    registry.setFault({ kind: "status", status: 500, method: "PUT", path: /\/manifests\// });
    expect((await putManifest(registry, "app", "a", a.bytes)).status).toBe(500);
    expect(registry.manifest("app", "a")).toBeUndefined();
    registry.setFault({ kind: "status", status: 502, method: "PUT", path: /\/manifests\//, afterProcessing: true, body: "<html>bad gateway</html>" });
    const lost = await putManifest(registry, "app", "b", b.bytes);
    expect(lost.status).toBe(502);
    expect(await lost.text()).toBe("<html>bad gateway</html>");
    expect(registry.manifest("app", "b")?.digest).toBe(b.digest);
  });

  it("corrupt serves other bytes under the same digest headers: vouch's client refuses the blob and the manifest", async () => {
    const registry = await start();
    const image = buildTestImage();
    const target = { registry: registry.host, repository: "app" };
    await pushTestImage(target, image, "v1");
    const client = new RegistryClient();
    registry.setFault({ kind: "corrupt", path: `/v2/app/blobs/${image.config.digest}` });
    const blob = await rejectedVouchError(() => client.readBlob(target, { mediaType: "application/vnd.oci.image.config.v1+json", digest: image.config.digest, size: image.config.size }));
    expect(blob.code).toBe("INPUT_MALFORMED");
    registry.setFault({ kind: "corrupt", path: /\/manifests\//, times: 2 });
    expect((await rejectedVouchError(() => client.getManifest(target, image.manifest.digest))).code).toBe("INPUT_MALFORMED");
    expect((await rejectedVouchError(() => client.getManifest(target, "v1"))).code).toBe("INPUT_MALFORMED"); // Docker-Content-Digest is checked
    expect((await client.getManifest(target, "v1")).bytes).toEqual(image.manifest.bytes);

    registry.setFault({ kind: "corrupt", path: /\/blobs\//, transform: (body) => body.subarray(0, 3) });
    const truncated = await fetch(`${registry.url}/v2/app/blobs/${image.config.digest}`);
    expect(truncated.headers.get("docker-content-digest")).toBe(image.config.digest);
    expect((await truncated.arrayBuffer()).byteLength).toBe(3);
  });

  it("headers sets or removes response headers (a registry without Docker-Content-Digest, or one that names another)", async () => {
    const registry = await start();
    const image = buildTestImage();
    await pushTestImage({ registry: registry.host, repository: "app" }, image, "v1");
    registry.setFault({ kind: "headers", method: "HEAD", remove: ["Docker-Content-Digest"] });
    const head = await fetch(`${registry.url}/v2/app/manifests/v1`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBeNull();
    registry.setFault({ kind: "headers", method: "PUT", set: { "docker-content-digest": sha256(bytesOf("liar")) } });
    const put = await putManifest(registry, "app", "v2", image.manifest.bytes);
    expect(put.headers.get("docker-content-digest")).toBe(sha256(bytesOf("liar")));
  });

  it("hang never answers (the client's timeout ends it), reset drops the connection, delay answers later", async () => {
    const registry = await start();
    registry.setFault({ kind: "hang", path: "/v2/" });
    await expect(fetch(`${registry.url}/v2/`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    registry.setFault({ kind: "reset", path: "/v2/" });
    await expect(fetch(`${registry.url}/v2/`)).rejects.toThrow();
    registry.setFault({ kind: "delay", ms: 20, path: "/v2/" });
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
    expect(registry.requests.map((r) => r.status)).toEqual([undefined, undefined, 200]);
    // vouch's client tries a dropped GET again, then reports SERVICE_UNAVAILABLE naming the registry.
    const drops = registry.setFault({ kind: "reset", path: "/v2/app/manifests/v1", times: Infinity });
    const client = new RegistryClient({ retry: { tries: 3 }, sleep: async () => undefined });
    const error = await rejectedVouchError(() => client.getManifest({ registry: registry.host, repository: "app" }, "v1"));
    expect(error.code).toBe("SERVICE_UNAVAILABLE");
    expect(error.message).toContain(registry.host);
    expect(drops.hits()).toBe(3);
  });

  it("faults can be armed from the start and cleared", async () => {
    const registry = await start({ faults: [{ kind: "status", status: 429, times: Infinity }] });
    const limited = await fetch(`${registry.url}/v2/`);
    expect(limited.status).toBe(429);
    expect(await codes(limited)).toEqual(["TOOMANYREQUESTS"]);
    registry.clearFaults();
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
  });
});

describe("basic auth", () => {
  const credentials = { username: "alice", password: "s3cret" };

  it("challenges with Basic; vouch's client pushes and reads with the credentials; wrong ones are refused", async () => {
    const registry = await start({ auth: credentials });
    const bare = await fetch(`${registry.url}/v2/`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toBe('Basic realm="vouch-test-registry"');
    expect(await codes(bare)).toEqual(["UNAUTHORIZED"]);

    const image = buildTestImage();
    const client = new RegistryClient({ credentials: staticCredentials({ [registry.host]: credentials }) });
    const target = { registry: registry.host, repository: "app", client };
    await pushTestImage(target, image, "v1");
    expect((await client.getManifest(target, "v1")).descriptor.digest).toBe(image.manifest.digest);

    const wrong = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: "alice", password: "guess" } }) });
    expect((await rejectedVouchError(() => wrong.getManifest(target, "v1"))).code).toBe("INPUT_USAGE");
  });

  it("anonymousPull lets reads through and still guards writes", async () => {
    const registry = await start({ auth: { ...credentials, anonymousPull: true } });
    expect((await fetch(`${registry.url}/v2/app/tags/list`)).status).toBe(404); // through to the handler: no such repository
    const write = await fetch(`${registry.url}/v2/app/blobs/uploads/`, { method: "POST" });
    expect(write.status).toBe(401);
    const authorized = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from("alice:s3cret").toString("base64")}` },
    });
    expect(authorized.status).toBe(202);
  });
});

describe("request log", () => {
  it("records method, path with query, request headers, body size and status", async () => {
    const registry = await start();
    const blob = bytesOf("logged");
    await fetch(`${registry.url}/v2/app/blobs/uploads/?digest=${sha256(blob)}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: blob });
    expect(registry.requests).toHaveLength(1);
    expect(registry.requests[0]).toMatchObject({ method: "POST", path: `/v2/app/blobs/uploads/?digest=${sha256(blob)}`, bodyBytes: blob.length, status: 201 });
    expect(registry.requests[0]!.headers["content-type"]).toBe("application/octet-stream");
  });
});

describe("vouch's registry client against it", () => {
  it("streams a chunked upload, mounts, pushes a referrer (subjectIndexed follows OCI-Subject) and lists paged tags", async () => {
    for (const referrers of [true, false]) {
      const registry = await start({ referrers, chunkMinLength: 5, tagsPageSize: 2 });
      const client = new RegistryClient();
      const app = { registry: registry.host, repository: "app" };
      const blob = bytesOf("a blob streamed in chunks of at least five bytes");
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < blob.length; i += 7) controller.enqueue(blob.subarray(i, i + 7));
          controller.close();
        },
      });
      await client.pushBlobStream(app, stream, { digest: sha256(blob), size: blob.length }, { chunkSize: 8 });
      expect(registry.blob("app", sha256(blob))).toEqual(blob);
      const patches = registry.requests.filter((r) => r.method === "PATCH");
      expect(patches.length).toBeGreaterThan(1);
      expect(patches.every((r) => r.status === 202 && /^\d+-\d+$/.test(r.headers["content-range"] ?? ""))).toBe(true);

      expect(await client.mountBlob({ registry: registry.host, repository: "copy" }, app, sha256(blob))).toBe(true);
      expect(await client.mountBlob({ registry: registry.host, repository: "copy" }, app, sha256(bytesOf("absent")))).toBe(false);
      expect(registry.openUploads()).toBe(0); // the session a refused mount opened was cancelled

      const image = buildTestImage();
      await pushTestImage(app, image, "v1");
      await client.pushBlob(app, EMPTY_BYTES, EMPTY);
      const sig = artifact({ artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json", subject: { mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size } });
      const pushed = await client.putManifest(app, sig.digest, sig.bytes, OCI_MANIFEST);
      expect(pushed).toEqual({ descriptor: expect.objectContaining({ digest: sig.digest, size: sig.size }), subjectIndexed: referrers });

      for (const tag of ["v2", "v3", "v4"]) registry.putManifest("app", tag, image.manifest.bytes, OCI_MANIFEST);
      expect(await client.listTags(app)).toEqual(["v1", "v2", "v3", "v4"]);
    }
  });
});
