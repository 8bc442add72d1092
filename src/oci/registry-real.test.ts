import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import {
  buildTestImage,
  buildTestIndex,
  htpasswdUnavailable,
  pushManifest,
  pushOciLayout,
  pushTestImage,
  registryUnavailable,
  sha256,
  startRegistry,
  startTamperingProxy,
  startTokenServer,
  writeOciLayout,
  type RunningRegistry,
  type TestImage,
  type TokenServer,
} from "../../test/support/registry.js";
import { RegistryClient } from "./client.js";
import { digestOf } from "./digest.js";
import { parseDockerConfig, staticCredentials } from "./docker-config.js";
import { attachReferrer, listReferrers, referrersTag } from "./referrers.js";
import { openRegistryImage } from "./registry-image.js";

/**
 * The client against a real registry: Debian's docker-registry (distribution 2.8) on loopback, started per suite.
 * Images are built in the test (a config and gzip tar layers) and pushed with the test push helper.
 */

const skipReason = registryUnavailable();

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VouchError);
    return { code: (error as VouchError).code, message: (error as VouchError).message };
  }
  throw new Error("expected a VouchError");
}

describe.skipIf(skipReason !== undefined)("registry client against docker-registry (anonymous)", () => {
  let registry: RunningRegistry;
  let image: TestImage;
  let amd64: TestImage;
  let arm64: TestImage;
  let armv7: TestImage;
  let index: TestImage["manifest"];

  beforeAll(async () => {
    registry = await startRegistry();
    image = buildTestImage({
      layers: [
        [{ path: "etc/os-release", content: 'ID=vouchtest\nVERSION_ID="1"\n' }],
        [{ path: "usr/share/doc/hello/copyright", content: "Files: *\nLicense: MIT\n" }],
      ],
    });
    await pushTestImage({ registry: registry.host, repository: "vouch/single" }, image, "1.0");
    amd64 = buildTestImage({ layers: [[{ path: "arch", content: "amd64\n" }]], platform: { os: "linux", architecture: "amd64" } });
    arm64 = buildTestImage({ layers: [[{ path: "arch", content: "arm64\n" }]], platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    armv7 = buildTestImage({ layers: [[{ path: "arch", content: "armv7\n" }]], platform: { os: "linux", architecture: "arm", variant: "v7" } });
    const target = { registry: registry.host, repository: "vouch/multi" };
    for (const img of [amd64, arm64, armv7]) await pushTestImage(target, img);
    index = buildTestIndex(
      [
        { image: amd64, platform: { os: "linux", architecture: "amd64" } },
        { image: arm64, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { image: armv7, platform: { os: "linux", architecture: "arm", variant: "v7" } },
      ],
      // a BuildKit attestation manifest (never picked): points at the amd64 manifest, platform unknown/unknown
      [
        {
          mediaType: amd64.manifest.mediaType,
          digest: amd64.manifest.digest,
          size: amd64.manifest.size,
          platform: { os: "unknown", architecture: "unknown" },
          annotations: { "vnd.docker.reference.type": "attestation-manifest" },
        },
      ],
    );
    await pushManifest(target, "latest", index.bytes, index.mediaType);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("pulls a manifest by tag and by digest, verified, and its config and layers as verified streams", async () => {
    const client = new RegistryClient();
    const target = { registry: registry.host, repository: "vouch/single" };
    const byTag = await client.getManifest(target, "1.0");
    expect(byTag.descriptor).toEqual({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: image.manifest.digest, size: image.manifest.size });
    expect(Buffer.from(byTag.bytes).equals(Buffer.from(image.manifest.bytes))).toBe(true);
    const byDigest = await client.getManifest(target, image.manifest.digest);
    expect(byDigest.descriptor.digest).toBe(image.manifest.digest);
    if (byTag.document.kind !== "manifest") throw new Error("expected a manifest");
    expect(byTag.document.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));

    const config = await client.readBlob(target, byTag.document.config);
    expect(sha256(config)).toBe(image.config.digest);
    for (const [i, layer] of byTag.document.layers.entries()) {
      const bytes = await readAll(await client.openBlob(target, layer));
      expect(sha256(bytes)).toBe(layer.digest);
      expect(sha256(gunzipSync(bytes))).toBe(image.layers[i]!.diffId);
    }
  });

  it("opens the image as an ImageLayout (reference, manifest bytes, repo tag, blobs)", async () => {
    const layout = await openRegistryImage(`${registry.host}/vouch/single:1.0`);
    expect(layout.reference).toBe(`registry:${registry.host}/vouch/single:1.0`);
    expect(layout.manifest.descriptor.digest).toBe(image.manifest.digest);
    expect(layout.repoTags).toEqual([`${registry.host}/vouch/single:1.0`]);
    expect(layout.indexDigest).toBeUndefined();
    const config = await readAll(await layout.openBlob({ mediaType: "application/vnd.oci.image.config.v1+json", digest: image.config.digest, size: image.config.size }));
    expect(JSON.parse(Buffer.from(config).toString()).rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffId));
    await layout.close?.();

    const pinned = await openRegistryImage(`${registry.host}/vouch/single@${image.manifest.digest}`, { platform: "linux/amd64" });
    expect(pinned.manifest.descriptor.digest).toBe(image.manifest.digest);
    expect(pinned.repoTags).toEqual([]);
    expect(pinned.platform).toEqual({ os: "linux", architecture: "amd64" });
  });

  it("picks the platform from a multi-arch index (a default; arm64; arm/v7; arm/v6 refused)", async () => {
    const ref = `${registry.host}/vouch/multi:latest`;
    const def = await openRegistryImage(ref, { defaultPlatform: "linux/amd64" });
    expect(def.manifest.descriptor.digest).toBe(amd64.manifest.digest);
    expect(def.indexDigest).toBe(index.digest);
    expect(def.platform).toEqual({ os: "linux", architecture: "amd64" });

    expect((await openRegistryImage(ref, { platform: "linux/arm64" })).manifest.descriptor.digest).toBe(arm64.manifest.digest);
    expect((await openRegistryImage(ref, { platform: "linux/aarch64" })).manifest.descriptor.digest).toBe(arm64.manifest.digest);
    expect((await openRegistryImage(ref, { platform: "linux/arm/v7" })).manifest.descriptor.digest).toBe(armv7.manifest.digest);
    // an arm/v8 (32-bit) machine runs v7 images
    expect((await openRegistryImage(ref, { platform: "linux/arm/v8" })).manifest.descriptor.digest).toBe(armv7.manifest.digest);
    const refused = await codeOf(openRegistryImage(ref, { platform: "linux/arm/v6" }));
    expect(refused.code).toBe("INPUT_USAGE");
    expect(refused.message).toContain("linux/amd64, linux/arm64/v8, linux/arm/v7");
    expect(refused.message).not.toContain("unknown");
    // a single-platform image asked for under another platform; a default platform does not refuse it
    expect((await codeOf(openRegistryImage(`${registry.host}/vouch/single:1.0`, { platform: "linux/arm64" }))).code).toBe("INPUT_USAGE");
    expect((await openRegistryImage(`${registry.host}/vouch/single:1.0`, { defaultPlatform: "linux/arm64" })).manifest.descriptor.digest).toBe(image.manifest.digest);
  });

  it("says INPUT_NOT_FOUND for an unknown tag, repository or blob, in one line", async () => {
    const tag = await codeOf(openRegistryImage(`${registry.host}/vouch/single:nope`));
    expect(tag.code).toBe("INPUT_NOT_FOUND");
    expect(tag.message).toContain("MANIFEST_UNKNOWN");
    expect(tag.message).not.toContain("\n");
    expect((await codeOf(openRegistryImage(`${registry.host}/vouch/absent:1`))).code).toBe("INPUT_NOT_FOUND");
    const client = new RegistryClient();
    const missing = `sha256:${"0".repeat(64)}`;
    expect((await codeOf(client.openBlob({ registry: registry.host, repository: "vouch/single" }, { mediaType: "x", digest: missing, size: 1 }))).code).toBe("INPUT_NOT_FOUND");
    expect((await codeOf(client.getManifest({ registry: registry.host, repository: "vouch/single" }, missing))).code).toBe("INPUT_NOT_FOUND");
  });

  it("refuses a blob a proxy tampered with (one byte flipped), and a manifest that does not match its digest", async () => {
    const flip = (body: Buffer) => {
      const copy = Buffer.from(body);
      copy[Math.floor(copy.length / 2)]! ^= 0x01;
      return copy;
    };
    const proxy = await startTamperingProxy(registry.host, (method, path, body) => {
      if (method === "GET" && path.includes(`/blobs/${image.layers[0]!.digest}`)) return flip(body);
      if (method === "GET" && path.endsWith("/manifests/1.0")) return Buffer.from(body.toString("utf8").replace("application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+gzjp"));
      return undefined;
    });
    try {
      const client = new RegistryClient();
      const target = { registry: proxy.host, repository: "vouch/single" };
      // the tag's manifest: the proxy keeps the registry's Docker-Content-Digest and changes the bytes
      const manifest = await codeOf(client.getManifest(target, "1.0"));
      expect(manifest.code).toBe("INPUT_MALFORMED");
      expect(manifest.message).toContain(image.manifest.digest);

      const layer = image.layers[0]!;
      const stream = await client.openBlob(target, { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer.digest, size: layer.size });
      const refused = await codeOf(readAll(stream));
      expect(refused.code).toBe("INPUT_MALFORMED");
      expect(refused.message).toContain("digest mismatch");
      // the untouched layer still verifies through the same proxy
      const other = image.layers[1]!;
      expect(sha256(await readAll(await client.openBlob(target, { mediaType: "x", digest: other.digest, size: other.size })))).toBe(other.digest);
    } finally {
      await proxy.stop();
    }
  });

  it("pushes an OCI layout from disk and reads the same manifest back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vouch-layout-"));
    try {
      writeOciLayout(dir, [amd64, arm64, armv7], index, "multi");
      const digest = await pushOciLayout({ registry: registry.host, repository: "vouch/from-layout" }, dir, "v1", "multi");
      expect(digest).toBe(index.digest);
      const layout = await openRegistryImage(`${registry.host}/vouch/from-layout:v1`, { platform: "linux/arm64/v8" });
      expect(layout.manifest.descriptor.digest).toBe(arm64.manifest.digest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skipReason !== undefined || htpasswdUnavailable() !== undefined)("registry client against docker-registry with htpasswd (basic auth)", () => {
  let registry: RunningRegistry;
  const image = buildTestImage();
  beforeAll(async () => {
    registry = await startRegistry({ auth: { htpasswd: { username: "alice", password: "s3cret:with-colon" } } });
    const client = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: "alice", password: "s3cret:with-colon" } }) });
    await pushTestImage({ registry: registry.host, repository: "private/app", client }, image, "1");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("pulls with the credentials of a Docker config.json (auths, base64 user:password)", async () => {
    const config = parseDockerConfig(
      JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: Buffer.from("alice:s3cret:with-colon").toString("base64") } } }),
      "/home/u/.docker/config.json",
    );
    const layout = await openRegistryImage(`${registry.host}/private/app:1`, { credentials: config });
    expect(layout.manifest.descriptor.digest).toBe(image.manifest.digest);
    const layer = image.layers[0]!;
    expect(sha256(await readAll(await layout.openBlob({ mediaType: "x", digest: layer.digest, size: layer.size })))).toBe(layer.digest);
  });

  it("says INPUT_USAGE for a wrong password, no credentials, or credentials kept in a helper", async () => {
    const wrong = await codeOf(openRegistryImage(`${registry.host}/private/app:1`, { credentials: staticCredentials({ [registry.host]: { username: "alice", password: "nope" } }) }));
    expect(wrong.code).toBe("INPUT_USAGE");
    expect(wrong.message).toContain("it refused user alice's credentials");
    expect(wrong.message).not.toContain("nope");
    const none = await codeOf(openRegistryImage(`${registry.host}/private/app:1`));
    expect(none.code).toBe("INPUT_USAGE");
    expect(none.message).toContain("needs credentials");
    const helper = await codeOf(openRegistryImage(`${registry.host}/private/app:1`, { credentials: parseDockerConfig(JSON.stringify({ credsStore: "desktop" }), "config.json") }));
    expect(helper.code).toBe("INPUT_USAGE");
    expect(helper.message).toContain("docker-credential-desktop");
  });
});

describe.skipIf(skipReason !== undefined)("registry client against docker-registry with token auth (bearer flow)", () => {
  let registry: RunningRegistry;
  let tokens: TokenServer;
  const image = buildTestImage();
  beforeAll(async () => {
    tokens = await startTokenServer({ users: { bob: "hunter2" }, refreshToken: "refresh-me" });
    registry = await startRegistry({ auth: { token: tokens } });
    const pusher = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: "bob", password: "hunter2" } }) });
    await pushTestImage({ registry: registry.host, repository: "team/app", client: pusher }, image, "2");
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it("gets a token with basic credentials for repository:<repo>:pull and pulls", async () => {
    tokens.requests.length = 0;
    const client = new RegistryClient({ credentials: staticCredentials({ [registry.host]: { username: "bob", password: "hunter2" } }) });
    const layout = await openRegistryImage(`${registry.host}/team/app:2`, { client });
    expect(layout.manifest.descriptor.digest).toBe(image.manifest.digest);
    const layer = image.layers[0]!;
    expect(sha256(await readAll(await layout.openBlob({ mediaType: "x", digest: layer.digest, size: layer.size })))).toBe(layer.digest);
    // one token for the repository, reused for the manifest and the blob
    expect(tokens.requests).toEqual([{ method: "GET", scope: ["repository:team/app:pull"], service: "vouch-test-registry", user: "bob" }]);
  });

  it("uses a Docker identity token (OAuth2 refresh-token grant)", async () => {
    tokens.requests.length = 0;
    const credentials = parseDockerConfig(JSON.stringify({ auths: { [registry.host]: { identitytoken: "refresh-me", username: "bob" } } }), "config.json");
    const layout = await openRegistryImage(`${registry.host}/team/app:2`, { credentials });
    expect(layout.manifest.descriptor.digest).toBe(image.manifest.digest);
    expect(tokens.requests[0]).toMatchObject({ method: "POST", grant: "refresh_token", scope: ["repository:team/app:pull"] });
  });

  it("says INPUT_USAGE when the token service refuses the password, or an anonymous token grants nothing", async () => {
    const wrong = await codeOf(openRegistryImage(`${registry.host}/team/app:2`, { credentials: staticCredentials({ [registry.host]: { username: "bob", password: "wrong" } }) }));
    expect(wrong.code).toBe("INPUT_USAGE");
    expect(wrong.message).toContain("refused the credentials");
    const anonymous = await codeOf(openRegistryImage(`${registry.host}/team/app:2`));
    expect(anonymous.code).toBe("INPUT_USAGE");
    expect(anonymous.message).not.toContain("\n");
  });
});

describe.skipIf(skipReason !== undefined)("registry client writes and referrers against docker-registry 2.8 (no referrers API)", () => {
  const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  const SIG = "application/vnd.dev.sigstore.bundle.v0.3+json";
  const SBOM = "application/spdx+json";
  const enc = (s: string) => new TextEncoder().encode(s);
  let registry: RunningRegistry;
  let client: RegistryClient;
  let target: { registry: string; repository: string };
  let image: TestImage;

  /** An artifact manifest (empty config, one layer) whose subject is `subject`, its blobs pushed. */
  async function artifact(subject: { mediaType: string; digest: string; size: number }, artifactType: string, content: string) {
    const config = await client.pushBlob(target, enc("{}"), "application/vnd.oci.empty.v1+json");
    const layer = await client.pushBlob(target, enc(content), artifactType);
    const bytes = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType, config, layers: [layer], subject, annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" } }));
    return { bytes, mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.length };
  }

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    target = { registry: registry.host, repository: "vouch/signed" };
    image = buildTestImage();
    // pushTestImage goes through client.pushBlob and client.putManifest
    await pushTestImage({ ...target, client }, image, "1.0");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("resolves a tag with a HEAD to the digest, media type and size the push produced", async () => {
    expect(await client.resolve(target, "1.0")).toEqual({ mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size });
    expect((await client.resolve(target, image.manifest.digest)).digest).toBe(image.manifest.digest);
    expect((await codeOf(client.resolve(target, "nope"))).code).toBe("INPUT_NOT_FOUND");
  });

  it("has no referrers API: 404 on the referrers path, no OCI-Subject on a PUT with subject (it stores the manifest unindexed)", async () => {
    const url = `${registry.url}/v2/${target.repository}/referrers/${image.manifest.digest}`;
    const answer = await fetch(url);
    expect(answer.status).toBe(404);
    expect(await answer.text()).toBe("404 page not found\n"); // Go's mux: the route does not exist at all
    const sig = await artifact({ mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size }, SIG, "a bundle");
    const put = await fetch(`${registry.url}/v2/${target.repository}/manifests/${sig.digest}`, { method: "PUT", body: sig.bytes, headers: { "content-type": OCI_MANIFEST } });
    expect(put.status).toBe(201);
    expect(put.headers.get("oci-subject")).toBeNull();
    // the client sees the same: stored (by digest, byte for byte), subject not indexed
    const pushed = await client.putManifest(target, sig.digest, sig.bytes, OCI_MANIFEST);
    expect(pushed).toEqual({ descriptor: { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: SIG }, subjectIndexed: false });
    expect((await client.getManifest(target, sig.digest)).document).toMatchObject({ artifactType: SIG, subject: { digest: image.manifest.digest } });
    expect((await fetch(url)).status).toBe(404);
  });

  it("attaches referrers through the tag schema (sha256-<hex> index kept by vouch) and lists them, filtered", async () => {
    const subject = await client.resolve(target, "1.0");
    const sig = await artifact(subject, SIG, "signature bundle");
    const sbom = await artifact(subject, SBOM, '{"spdxVersion":"SPDX-2.3"}');
    expect(await attachReferrer(client, target, sig, subject)).toEqual({
      via: "tag-schema",
      descriptor: { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: SIG, annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" } },
    });
    expect((await attachReferrer(client, target, sbom, subject)).via).toBe("tag-schema");
    await attachReferrer(client, target, sig, subject); // again: no duplicate

    const listed = await listReferrers(client, target, subject.digest);
    expect(listed.via).toBe("tag-schema");
    expect(listed.referrers.map((d) => [d.digest, d.artifactType])).toEqual([
      [sig.digest, SIG],
      [sbom.digest, SBOM],
    ]);
    expect((await listReferrers(client, target, subject.digest, { artifactType: SBOM })).referrers.map((d) => d.digest)).toEqual([sbom.digest]);
    const tag = referrersTag(subject.digest);
    expect(await client.listTags(target)).toEqual(["1.0", tag].sort());
    expect((await client.getManifest(target, tag)).document.kind).toBe("index");
    // another image in the same repository has none
    expect(await listReferrers(client, target, `sha256:${"0".repeat(64)}`)).toEqual({ referrers: [], via: "tag-schema" });
  });

  it("uploads a blob from a stream in chunks (PATCH with Content-Range), and refuses a stream whose digest is not the one expected", async () => {
    const size = 3 * 1024 * 1024 + 17;
    const bytes = new Uint8Array(size).map((_, i) => (i * 31 + (i >> 10)) % 256);
    const digest = sha256(bytes);
    const pieces = (data: Uint8Array) => {
      let offset = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= data.length) return controller.close();
          const n = Math.min(64 * 1024 + 3, data.length - offset);
          controller.enqueue(data.slice(offset, offset + n));
          offset += n;
        },
      });
    };
    await client.pushBlobStream(target, pieces(bytes), { digest, size }, { chunkSize: 1024 * 1024 });
    expect(await client.hasBlob(target, digest)).toBe(true);
    expect(sha256(await client.readBlob(target, { mediaType: "application/octet-stream", digest, size }, size))).toBe(digest);

    const changed = bytes.slice();
    changed[size - 1]! ^= 0xff;
    const other = `sha256:${"e".repeat(64)}`;
    const refused = await codeOf(client.pushBlobStream(target, pieces(changed), { digest: other, size }, { chunkSize: 1024 * 1024 }));
    expect(refused.code).toBe("INPUT_MALFORMED");
    expect(await client.hasBlob(target, other)).toBe(false);
    expect(await client.hasBlob(target, sha256(changed))).toBe(false);
  });

  it("mounts a blob from another repository (201), and says false for one the source does not have (202)", async () => {
    const into = { registry: registry.host, repository: "vouch/mounted" };
    const layer = image.layers[0]!;
    expect(await client.hasBlob(into, layer.digest)).toBe(false);
    expect(await client.mountBlob(into, target, layer.digest)).toBe(true);
    expect(await client.hasBlob(into, layer.digest)).toBe(true);
    expect(await client.mountBlob(into, target, `sha256:${"f".repeat(64)}`)).toBe(false);
  });

  it("deletes manifests by digest only: a tag is INPUT_USAGE on distribution 2.8; a digest-pinned read survives a moved tag", async () => {
    const repo = { registry: registry.host, repository: "vouch/deleting" };
    const first = buildTestImage({ layers: [[{ path: "v", content: "1" }]] });
    const second = buildTestImage({ layers: [[{ path: "v", content: "2" }]] });
    await pushTestImage({ ...repo, client }, first, "latest");
    const tag = await codeOf(client.deleteManifest(repo, "latest"));
    expect(tag.code).toBe("INPUT_USAGE");
    expect(tag.message).toContain("does not delete tags");
    await pushTestImage({ ...repo, client }, second, "latest"); // the tag moves
    expect((await client.resolve(repo, "latest")).digest).toBe(second.manifest.digest);
    expect((await client.getManifest(repo, first.manifest.digest)).descriptor.digest).toBe(first.manifest.digest);
    await client.deleteManifest(repo, first.manifest.digest);
    expect((await codeOf(client.getManifest(repo, first.manifest.digest))).code).toBe("INPUT_NOT_FOUND");
    expect((await codeOf(client.deleteManifest(repo, first.manifest.digest))).code).toBe("INPUT_NOT_FOUND");
  });

  it("lists tags (distribution 2.8 ignores n and sends no Link: one page, unsorted; the client sorts)", async () => {
    const repo = { registry: registry.host, repository: "vouch/tagged" };
    await pushTestImage({ ...repo, client }, image, "b");
    for (const t of ["c", "a", "1.0", "d"]) await pushManifest({ ...repo, client }, t, image.manifest.bytes, image.manifest.mediaType);
    const raw = await fetch(`${registry.url}/v2/${repo.repository}/tags/list?n=2`);
    expect(raw.headers.get("link")).toBeNull();
    expect(((await raw.json()) as { tags: string[] }).tags).toHaveLength(5);
    expect(await client.listTags(repo, { pageSize: 2 })).toEqual(["1.0", "a", "b", "c", "d"]);
    expect((await codeOf(client.listTags({ registry: registry.host, repository: "vouch/none" }))).code).toBe("INPUT_NOT_FOUND");
  });
});

describe("registry client when nothing listens", () => {
  it("says SERVICE_UNAVAILABLE", async () => {
    const { createServer } = await import("node:net");
    const server = createServer();
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
    await new Promise((r) => server.close(r));
    const refused = await codeOf(openRegistryImage(`127.0.0.1:${port}/x/y:1`, { client: new RegistryClient({ sleep: async () => {} }) }));
    expect(refused.code).toBe("SERVICE_UNAVAILABLE");
    expect(refused.message).toContain("ECONNREFUSED");
  });
});
