import { describe, expect, it } from "vitest";
import { RegistryClient, type OciFetch, type OciRequestInit, type RegistryClientOptions } from "./client.js";
import { digestOf } from "./digest.js";
import { staticCredentials } from "./docker-config.js";
import { rejectedOneLine } from "../../test/support/errors.js";

/**
 * The client's write side and its fault handling against a STUB registry: an injected fetch over a small in-memory
 * distribution API (blobs, uploads, manifests, tags), with hooks to answer a request some other way (a 503, a 429, a
 * hang, a lying header). The real-registry paths are in registry-real.test.ts. No timing asserts: the client's
 * sleep is recorded, never waited for.
 */

const ORIGIN = "https://r.example";
const target = { registry: "r.example", repository: "team/app" };
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const enc = (s: string) => new TextEncoder().encode(s);
const json = (v: unknown) => enc(JSON.stringify(v));

interface Logged {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** Answers a request instead of the registry (return undefined to let the registry answer). */
type Fault = (request: Logged, init: OciRequestInit) => Response | undefined | Promise<Response | undefined>;

interface FakeRegistry {
  blobs: Map<string, Uint8Array>;
  manifests: Map<string, { bytes: Uint8Array; mediaType: string }>;
  tags: Map<string, string>;
  log: Logged[];
  faults: Fault[];
  /** Sent as OCI-Chunk-Min-Length when an upload starts. */
  minChunk?: number;
  fetch: OciFetch;
  /** The log without HEAD/GET noise: "METHOD path". */
  calls(): string[];
}

function fakeRegistry(): FakeRegistry {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, { bytes: Uint8Array; mediaType: string }>();
  const tags = new Map<string, string>();
  const uploads = new Map<string, Uint8Array>();
  const log: Logged[] = [];
  const faults: Fault[] = [];
  let next = 0;
  const errors = (status: number, code: string) => Response.json({ errors: [{ code, message: code.toLowerCase() }] }, { status });
  const fetch: OciFetch = async (url, init) => {
    expect(init.redirect).toBe("manual");
    const u = new URL(url);
    const body = typeof init.body === "string" ? enc(init.body) : init.body;
    const request: Logged = { method: init.method, path: u.pathname, query: u.searchParams, headers: init.headers, ...(body ? { body } : {}) };
    log.push(request);
    for (const fault of faults) {
      const answer = await fault(request, init);
      if (answer !== undefined) return answer;
    }
    const prefix = `/v2/${target.repository}/`;
    if (u.origin !== ORIGIN || !u.pathname.startsWith(prefix)) return new Response("404 page not found", { status: 404 });
    const rest = u.pathname.slice(prefix.length);
    let m: RegExpExecArray | null;
    if ((m = /^blobs\/(sha256:[a-f0-9]{64})$/.exec(rest))) {
      const blob = blobs.get(m[1]!);
      if (!blob) return errors(404, "BLOB_UNKNOWN");
      return new Response(init.method === "HEAD" ? null : blob, { headers: { "content-length": String(blob.length), "docker-content-digest": m[1]! } });
    }
    if (rest === "blobs/uploads/" && init.method === "POST") {
      const id = `u${next++}`;
      uploads.set(id, new Uint8Array(0));
      const headers: Record<string, string> = { location: `/v2/${target.repository}/blobs/uploads/${id}?_state=${id}`, range: "0-0" };
      if (fake.minChunk !== undefined) headers["oci-chunk-min-length"] = String(fake.minChunk);
      return new Response(null, { status: 202, headers });
    }
    if ((m = /^blobs\/uploads\/(u\d+)$/.exec(rest))) {
      const id = m[1]!;
      const held = uploads.get(id);
      if (held === undefined) return errors(404, "BLOB_UPLOAD_UNKNOWN");
      if (init.method === "DELETE") {
        uploads.delete(id);
        return new Response(null, { status: 204 });
      }
      const data = body ?? new Uint8Array(0);
      const joined = new Uint8Array(held.length + data.length);
      joined.set(held);
      joined.set(data, held.length);
      if (init.method === "PATCH") {
        const range = init.headers["content-range"];
        if (range !== undefined && range !== `${held.length}-${held.length + data.length - 1}`) return new Response(null, { status: 416, headers: { range: `0-${held.length - 1}` } });
        uploads.set(id, joined);
        return new Response(null, { status: 202, headers: { location: `/v2/${target.repository}/blobs/uploads/${id}?_state=${id}-${joined.length}`, range: `0-${joined.length - 1}` } });
      }
      if (init.method === "PUT") {
        const digest = u.searchParams.get("digest");
        if (digest !== digestOf(joined)) return errors(400, "DIGEST_INVALID");
        uploads.delete(id);
        blobs.set(digest, joined);
        return new Response(null, { status: 201, headers: { "docker-content-digest": digest, location: `/v2/${target.repository}/blobs/${digest}` } });
      }
    }
    if ((m = /^manifests\/(.+)$/.exec(rest))) {
      const reference = m[1]!;
      if (init.method === "PUT") {
        const bytes = body!;
        const digest = digestOf(bytes);
        if (reference.includes(":") && reference !== digest) return errors(400, "DIGEST_INVALID");
        manifests.set(digest, { bytes, mediaType: init.headers["content-type"]! });
        if (!reference.includes(":")) tags.set(reference, digest);
        return new Response(null, { status: 201, headers: { "docker-content-digest": digest } });
      }
      const digest = reference.includes(":") ? reference : tags.get(reference);
      const found = digest === undefined ? undefined : manifests.get(digest);
      if (init.method === "DELETE") {
        if (!reference.includes(":")) return errors(400, "DIGEST_INVALID"); // as distribution 2.8 answers a tag
        if (!found) return errors(404, "MANIFEST_UNKNOWN");
        manifests.delete(digest!);
        return new Response(null, { status: 202 });
      }
      if (!found) return errors(404, "MANIFEST_UNKNOWN");
      return new Response(init.method === "HEAD" ? null : found.bytes, {
        headers: { "content-type": found.mediaType, "content-length": String(found.bytes.length), "docker-content-digest": digest! },
      });
    }
    if (rest === "tags/list") return Response.json({ name: target.repository, tags: [...tags.keys()] });
    return new Response("404 page not found", { status: 404 });
  };
  const fake: FakeRegistry = {
    blobs,
    manifests,
    tags,
    log,
    faults,
    fetch,
    calls: () => log.filter((r) => r.method !== "HEAD" && r.method !== "GET").map((r) => `${r.method} ${r.path}`),
  };
  return fake;
}

/** A client over the fake whose sleeps are recorded, not waited for. */
function clientFor(fake: FakeRegistry, options: RegistryClientOptions = {}): { client: RegistryClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const client = new RegistryClient({ fetch: fake.fetch, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...options });
  return { client, sleeps };
}

/** Answers the next `times` requests matching `when` with `answer()`. */
function fault(fake: FakeRegistry, when: (r: Logged) => boolean, times: number, answer: (r: Logged, init: OciRequestInit) => Response | Promise<Response>): void {
  let left = times;
  fake.faults.push((r, init) => {
    if (left <= 0 || !when(r)) return undefined;
    left--;
    return answer(r, init);
  });
}

const config = json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } });
const layer = enc("a layer's bytes");
function manifestBytes(extra: object = {}): Uint8Array {
  return json({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(layer), size: layer.length }],
    ...extra,
  });
}

function streamOf(pieces: readonly Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) controller.enqueue(pieces[i++]!);
      else controller.close();
    },
    cancel() {
      onCancel?.();
    },
  });
}

describe("resolve", () => {
  it("takes the digest, media type and size from a HEAD, without reading the manifest", async () => {
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    fake.manifests.set(digestOf(bytes), { bytes, mediaType: OCI_MANIFEST });
    fake.tags.set("1.0", digestOf(bytes));
    const { client } = clientFor(fake);
    expect(await client.resolve(target, "1.0")).toEqual({ mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.length });
    expect(fake.log.map((r) => r.method)).toEqual(["HEAD"]);
  });

  it("reads (and verifies) the manifest when the HEAD leaves out Docker-Content-Digest", async () => {
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    fake.manifests.set(digestOf(bytes), { bytes, mediaType: OCI_MANIFEST });
    fake.tags.set("1.0", digestOf(bytes));
    fault(fake, (r) => r.method === "HEAD", 1, () => new Response(null, { headers: { "content-type": OCI_MANIFEST, "content-length": String(bytes.length) } }));
    const { client } = clientFor(fake);
    expect((await client.resolve(target, "1.0")).digest).toBe(digestOf(bytes));
    expect(fake.log.map((r) => r.method)).toEqual(["HEAD", "GET"]);
  });

  it("refuses a registry that answers a digest with another one; INPUT_NOT_FOUND for an unknown tag", async () => {
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    const asked = `sha256:${"1".repeat(64)}`;
    fault(fake, (r) => r.method === "HEAD", 1, () => new Response(null, { headers: { "content-type": OCI_MANIFEST, "content-length": "9", "docker-content-digest": digestOf(bytes) } }));
    const { client } = clientFor(fake);
    const wrong = await rejectedOneLine(client.resolve(target, asked));
    expect(wrong.code).toBe("INPUT_MALFORMED");
    expect(wrong.message).toContain(digestOf(bytes));
    expect((await rejectedOneLine(client.resolve(target, "nope"))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedOneLine(client.resolve(target, "not a tag!"))).code).toBe("INPUT_USAGE");
  });
});

describe("pushBlob", () => {
  it("uploads with POST then PUT ?digest=, and skips a blob the repository has", async () => {
    const fake = fakeRegistry();
    const { client } = clientFor(fake);
    const descriptor = await client.pushBlob(target, layer, "application/vnd.oci.image.layer.v1.tar+gzip");
    expect(descriptor).toEqual({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(layer), size: layer.length });
    expect(fake.blobs.get(digestOf(layer))).toEqual(layer);
    expect(fake.calls()).toEqual(["POST /v2/team/app/blobs/uploads/", "PUT /v2/team/app/blobs/uploads/u0"]);
    expect(fake.log.find((r) => r.method === "PUT")!.query.get("digest")).toBe(digestOf(layer));
    // the upload state the registry put in the Location is kept
    expect(fake.log.find((r) => r.method === "PUT")!.query.get("_state")).toBe("u0");

    fake.log.length = 0;
    await client.pushBlob(target, layer);
    expect(fake.log.map((r) => `${r.method} ${r.path}`)).toEqual([`HEAD /v2/team/app/blobs/${digestOf(layer)}`]);
  });

  it("restarts the upload from its POST when the PUT answers 503, and gives up after the tries", async () => {
    const fake = fakeRegistry();
    fault(fake, (r) => r.method === "PUT", 1, () => new Response("busy", { status: 503 }));
    const { client, sleeps } = clientFor(fake);
    await client.pushBlob(target, layer);
    expect(fake.calls()).toEqual(["POST /v2/team/app/blobs/uploads/", "PUT /v2/team/app/blobs/uploads/u0", "POST /v2/team/app/blobs/uploads/", "PUT /v2/team/app/blobs/uploads/u1"]);
    expect(sleeps).toEqual([188]); // 250 ms, half fixed and half jitter (random 0.5)
    expect(fake.blobs.has(digestOf(layer))).toBe(true);

    const down = fakeRegistry();
    fault(down, (r) => r.method === "POST", 100, () => new Response("bad gateway", { status: 502 }));
    const e = await rejectedOneLine(clientFor(down).client.pushBlob(target, layer));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("r.example answered 502 (POST /v2/team/app/blobs/uploads/");
    expect(e.message).toContain("gave up after 4 tries");
    expect(down.calls().filter((c) => c.startsWith("POST"))).toHaveLength(4);
  });

  it("restarts when the registry forgot the upload session (404 on the PUT: the spec says restart)", async () => {
    const fake = fakeRegistry();
    fault(fake, (r) => r.method === "PUT", 1, () => Response.json({ errors: [{ code: "BLOB_UPLOAD_UNKNOWN" }] }, { status: 404 }));
    await clientFor(fake).client.pushBlob(target, layer);
    expect(fake.calls().filter((c) => c.startsWith("POST"))).toHaveLength(2);
    expect(fake.blobs.has(digestOf(layer))).toBe(true);
  });

  it("refuses a registry that says it stored another digest", async () => {
    const fake = fakeRegistry();
    const other = `sha256:${"2".repeat(64)}`;
    fault(fake, (r) => r.method === "PUT", 1, () => new Response(null, { status: 201, headers: { "docker-content-digest": other } }));
    const e = await rejectedOneLine(clientFor(fake).client.pushBlob(target, layer));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain(other);
  });
});

describe("pushBlobStream (chunked)", () => {
  const big = new Uint8Array(1000).map((_, i) => (i * 7) % 251);
  const pieces = Array.from({ length: 10 }, (_, i) => big.subarray(i * 100, (i + 1) * 100));

  it("PATCHes contiguous chunks of about chunkSize, then PUTs the digest; holds one chunk at a time", async () => {
    const fake = fakeRegistry();
    const { client } = clientFor(fake);
    await client.pushBlobStream(target, streamOf(pieces), { digest: digestOf(big), size: big.length }, { chunkSize: 250 });
    expect(fake.blobs.get(digestOf(big))).toEqual(big);
    const patches = fake.log.filter((r) => r.method === "PATCH");
    expect(patches.map((r) => r.headers["content-range"])).toEqual(["0-299", "300-599", "600-899", "900-999"]);
    expect(Math.max(...patches.map((r) => r.body!.length))).toBeLessThanOrEqual(250 + 100);
    // every request after the first goes to the Location the previous answer named
    expect(patches.map((r) => r.query.get("_state"))).toEqual(["u0", "u0-300", "u0-600", "u0-900"]);
    const put = fake.log.find((r) => r.method === "PUT")!;
    expect(put.query.get("digest")).toBe(digestOf(big));
    expect(put.query.get("_state")).toBe("u0-1000");
    expect(put.body?.length ?? 0).toBe(0);
  });

  it("skips (and cancels the stream) when the blob is there", async () => {
    const fake = fakeRegistry();
    fake.blobs.set(digestOf(big), big);
    let cancelled = false;
    await clientFor(fake).client.pushBlobStream(target, streamOf(pieces, () => (cancelled = true)), { digest: digestOf(big), size: big.length });
    expect(cancelled).toBe(true);
    expect(fake.calls()).toEqual([]);
  });

  it("refuses a stream longer than expected, or with other bytes, and cancels the upload", async () => {
    const fake = fakeRegistry();
    const { client } = clientFor(fake);
    const longer = await rejectedOneLine(client.pushBlobStream(target, streamOf(pieces), { digest: digestOf(big), size: 950 }, { chunkSize: 250 }));
    expect(longer.code).toBe("INPUT_MALFORMED");
    expect(longer.message).toContain("longer than the expected 950 bytes");
    expect(fake.calls().at(-1)).toBe("DELETE /v2/team/app/blobs/uploads/u0");

    const changed = big.slice();
    changed[500]! ^= 1;
    const other = await rejectedOneLine(client.pushBlobStream(target, streamOf([changed]), { digest: digestOf(big), size: big.length }, { chunkSize: 250 }));
    expect(other.code).toBe("INPUT_MALFORMED");
    expect(other.message).toContain(`hash to ${digestOf(changed)}`);
    expect(fake.calls().at(-1)).toBe("DELETE /v2/team/app/blobs/uploads/u1");
    expect(fake.calls().some((c) => c.startsWith("PUT"))).toBe(false);

    const shorter = await rejectedOneLine(client.pushBlobStream(target, streamOf(pieces.slice(0, 5)), { digest: digestOf(big), size: big.length }));
    expect(shorter.message).toContain("ended after 500 bytes");
  });

  it("does not replay a stream: a 502 on a PATCH cancels the upload (SERVICE_UNAVAILABLE), a 503 on the POST is retried", async () => {
    const fake = fakeRegistry();
    fault(fake, (r) => r.method === "POST", 1, () => new Response(null, { status: 503 }));
    fault(fake, (r) => r.method === "PATCH" && r.headers["content-range"] === "300-599", 1, () => new Response(null, { status: 502 }));
    const e = await rejectedOneLine(clientFor(fake).client.pushBlobStream(target, streamOf(pieces), { digest: digestOf(big), size: big.length }, { chunkSize: 250 }));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("after 300 bytes of a stream, which cannot be replayed");
    expect(fake.calls()).toEqual([
      "POST /v2/team/app/blobs/uploads/",
      "POST /v2/team/app/blobs/uploads/",
      "PATCH /v2/team/app/blobs/uploads/u0",
      "PATCH /v2/team/app/blobs/uploads/u0",
      "DELETE /v2/team/app/blobs/uploads/u0",
    ]);
  });

  it("says when the registry holds other bytes than were sent (its Range), and on a 416", async () => {
    const fake = fakeRegistry();
    fault(fake, (r) => r.method === "PATCH", 1, () => new Response(null, { status: 202, headers: { range: "0-199", location: "/v2/team/app/blobs/uploads/u0" } }));
    const e = await rejectedOneLine(clientFor(fake).client.pushBlobStream(target, streamOf(pieces), { digest: digestOf(big), size: big.length }, { chunkSize: 250 }));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("after chunk 0-299 the registry holds bytes 0-199");

    const gap = fakeRegistry();
    fault(gap, (r) => r.method === "PATCH", 1, () => new Response(null, { status: 416, headers: { range: "0-0" } }));
    expect((await rejectedOneLine(clientFor(gap).client.pushBlobStream(target, streamOf(pieces), { digest: digestOf(big), size: big.length }))).message).toContain("chunk 0-999");
  });

  it("uses the registry's OCI-Chunk-Min-Length when it is larger than the chunk size asked for", async () => {
    const fake = fakeRegistry();
    fake.minChunk = 600;
    const { client } = clientFor(fake);
    await client.pushBlobStream(target, streamOf(pieces), { digest: digestOf(big), size: big.length }, { chunkSize: 250 });
    expect(fake.log.filter((r) => r.method === "PATCH").map((r) => r.headers["content-range"])).toEqual(["0-599", "600-999"]);
  });
});

describe("mountBlob", () => {
  it("is true on 201, false on 202 (the upload it started is cancelled), false across registries", async () => {
    const fake = fakeRegistry();
    const digest = digestOf(layer);
    fault(fake, (r) => r.method === "POST" && r.query.get("mount") === digest, 1, () => new Response(null, { status: 201, headers: { "docker-content-digest": digest } }));
    const { client } = clientFor(fake);
    expect(await client.mountBlob(target, { registry: "r.example", repository: "team/base" }, digest)).toBe(true);
    const post = fake.log.find((r) => r.method === "POST")!;
    expect([post.query.get("mount"), post.query.get("from")]).toEqual([digest, "team/base"]);

    fake.log.length = 0;
    expect(await client.mountBlob(target, { registry: "r.example", repository: "team/base" }, digest)).toBe(false);
    expect(fake.calls()).toEqual(["POST /v2/team/app/blobs/uploads/", "DELETE /v2/team/app/blobs/uploads/u0"]);

    fake.log.length = 0;
    expect(await client.mountBlob(target, { registry: "other.example", repository: "team/base" }, digest)).toBe(false);
    expect(fake.log).toEqual([]);
  });

  it("asks the token service for pull on the source repository too", async () => {
    const scopes: string[][] = [];
    const fetch: OciFetch = async (url) => {
      const u = new URL(url);
      if (u.hostname === "auth.example") {
        scopes.push(u.searchParams.getAll("scope"));
        return Response.json({ token: "t" });
      }
      return new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer realm="https://auth.example/token",service="r"' } });
    };
    const client = new RegistryClient({ fetch, credentials: staticCredentials({ "r.example": { username: "u", password: "p" } }), sleep: async () => {} });
    await rejectedOneLine(client.mountBlob(target, { registry: "r.example", repository: "team/base" }, digestOf(layer)));
    expect(scopes[0]).toEqual(["repository:team/app:pull,push", "repository:team/base:pull"]);
  });
});

describe("putManifest", () => {
  const subject = { mediaType: OCI_MANIFEST, digest: `sha256:${"3".repeat(64)}`, size: 100 };

  it("pushes by tag and by digest, and says whether the registry indexed the subject (OCI-Subject)", async () => {
    const fake = fakeRegistry();
    const { client } = clientFor(fake);
    const bytes = manifestBytes();
    const pushed = await client.putManifest(target, "1.0", bytes, OCI_MANIFEST);
    expect(pushed).toEqual({ descriptor: { mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.length }, subjectIndexed: false });
    expect(fake.log[0]!.headers["content-type"]).toBe(OCI_MANIFEST);

    const referrer = manifestBytes({ artifactType: "application/vnd.example+json", subject });
    fault(fake, (r) => r.method === "PUT", 1, (r) => new Response(null, { status: 201, headers: { "docker-content-digest": digestOf(r.body!), "oci-subject": subject.digest } }));
    const indexed = await client.putManifest(target, digestOf(referrer), referrer, OCI_MANIFEST);
    expect(indexed.subjectIndexed).toBe(true);
    expect(indexed.descriptor.artifactType).toBe("application/vnd.example+json");
    // distribution 2.8 stores the subject without a word: no OCI-Subject, so the caller keeps the fallback tag
    expect((await client.putManifest(target, digestOf(referrer), referrer, OCI_MANIFEST)).subjectIndexed).toBe(false);
    // an OCI-Subject naming some other digest is not taken as the registry having indexed this one
    fault(fake, (r) => r.method === "PUT", 1, (r) => new Response(null, { status: 201, headers: { "docker-content-digest": digestOf(r.body!), "oci-subject": `sha256:${"4".repeat(64)}` } }));
    expect((await client.putManifest(target, digestOf(referrer), referrer, OCI_MANIFEST)).subjectIndexed).toBe(false);
  });

  it("refuses an answer whose Docker-Content-Digest is not the bytes' digest", async () => {
    const fake = fakeRegistry();
    const other = `sha256:${"5".repeat(64)}`;
    fault(fake, (r) => r.method === "PUT", 1, () => new Response(null, { status: 201, headers: { "docker-content-digest": other } }));
    const e = await rejectedOneLine(clientFor(fake).client.putManifest(target, "1.0", manifestBytes(), OCI_MANIFEST));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain(`says it stored ${other}`);
  });

  it("checks before sending: a digest reference must be the bytes' digest, and the bytes must be a manifest", async () => {
    const fake = fakeRegistry();
    const { client } = clientFor(fake);
    expect((await rejectedOneLine(client.putManifest(target, `sha256:${"6".repeat(64)}`, manifestBytes(), OCI_MANIFEST))).code).toBe("INPUT_USAGE");
    expect((await rejectedOneLine(client.putManifest(target, "1.0", enc("{not json"), OCI_MANIFEST))).code).toBe("INPUT_MALFORMED");
    expect((await rejectedOneLine(client.putManifest(target, "1.0", manifestBytes({ subject: { digest: "sha256:short" } }), OCI_MANIFEST))).message).toContain("subject");
    // an index pushed as a manifest: the document's mediaType and the Content-Type disagree
    expect((await rejectedOneLine(client.putManifest(target, "1.0", json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), OCI_MANIFEST))).code).toBe("INPUT_MALFORMED");
    expect(fake.log).toEqual([]);
  });

  it("retries a manifest PUT on 503 (it is idempotent), and maps 400 to INPUT_MALFORMED", async () => {
    const fake = fakeRegistry();
    fault(fake, (r) => r.method === "PUT", 2, () => new Response(null, { status: 503, headers: { "retry-after": "1" } }));
    const { client, sleeps } = clientFor(fake);
    await client.putManifest(target, "1.0", manifestBytes(), OCI_MANIFEST);
    expect(fake.calls()).toHaveLength(3);
    expect(sleeps).toEqual([1000, 1000]);

    fault(fake, (r) => r.method === "PUT", 1, () => Response.json({ errors: [{ code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry" }] }, { status: 400 }));
    const e = await rejectedOneLine(client.putManifest(target, "1.0", manifestBytes(), OCI_MANIFEST));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain("MANIFEST_BLOB_UNKNOWN");
  });
});

describe("deleteManifest and listTags", () => {
  it("deletes by digest; a registry that does not delete tags is INPUT_USAGE; an unknown digest INPUT_NOT_FOUND", async () => {
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    fake.manifests.set(digestOf(bytes), { bytes, mediaType: OCI_MANIFEST });
    const { client } = clientFor(fake);
    await client.deleteManifest(target, digestOf(bytes));
    expect(fake.manifests.size).toBe(0);
    expect((await rejectedOneLine(client.deleteManifest(target, digestOf(bytes)))).code).toBe("INPUT_NOT_FOUND");
    const tag = await rejectedOneLine(client.deleteManifest(target, "1.0"));
    expect(tag.code).toBe("INPUT_USAGE");
    expect(tag.message).toContain("does not delete tags");
  });

  it("follows Link pages (relative links), sorts, and refuses links that leave the registry or loop", async () => {
    const pages: Record<string, { tags: unknown; link?: string }> = {
      "": { tags: ["b", "a"], link: '</v2/team/app/tags/list?n=2&last=b>; rel="next"' },
      "?n=2&last=b": { tags: ["d", "c"], link: '<https://r.example/v2/team/app/tags/list?n=2&last=d>; rel=next' },
      "?n=2&last=d": { tags: ["e", "a"] },
    };
    const fake = fakeRegistry();
    fake.faults.push((r) => {
      if (r.path !== "/v2/team/app/tags/list") return undefined;
      const page = pages[r.query.size === 0 ? "" : `?${r.query.toString()}`]!;
      return Response.json({ name: "team/app", tags: page.tags }, { headers: page.link ? { link: page.link } : {} });
    });
    const { client } = clientFor(fake);
    expect(await client.listTags(target)).toEqual(["a", "b", "c", "d", "e"]);
    expect(fake.log).toHaveLength(3);

    pages["?n=2&last=d"] = { tags: [], link: '<https://evil.example/v2/team/app/tags/list>; rel="next"' };
    expect((await rejectedOneLine(client.listTags(target))).message).toContain("leaves the registry (https://evil.example)");
    pages["?n=2&last=d"] = { tags: [], link: '</v2/team/app/tags/list>; rel="next"' };
    expect((await rejectedOneLine(client.listTags(target))).message).toContain("pages do not end");
    pages[""] = { tags: null };
    expect(await client.listTags(target)).toEqual([]);
    pages[""] = { tags: [1, 2] };
    expect((await rejectedOneLine(client.listTags(target))).code).toBe("INPUT_MALFORMED");
  });
});

describe("faults: retries and timeouts", () => {
  it("retries a GET through 5xx and succeeds, with exponential backoff", async () => {
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    fake.manifests.set(digestOf(bytes), { bytes, mediaType: OCI_MANIFEST });
    fault(fake, () => true, 3, (_, i) => new Response("down", { status: [502, 503, 504][fake.log.length - 1] ?? 503, headers: { "x-i": String(i.method) } }));
    const { client, sleeps } = clientFor(fake, { random: () => 0 });
    expect((await client.getManifest(target, digestOf(bytes))).descriptor.digest).toBe(digestOf(bytes));
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it("honours Retry-After (seconds or a date), and does not wait past the cap", async () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    fake.manifests.set(digestOf(bytes), { bytes, mediaType: OCI_MANIFEST });
    fault(fake, () => true, 1, () => new Response(null, { status: 429, headers: { "retry-after": "3" } }));
    fault(fake, () => true, 1, () => new Response(null, { status: 429, headers: { "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" } }));
    const { client, sleeps } = clientFor(fake, { now: () => now });
    await client.getManifest(target, digestOf(bytes));
    expect(sleeps).toEqual([3000, 5000]);

    const limited = fakeRegistry();
    fault(limited, () => true, 1, () => new Response(null, { status: 429, headers: { "retry-after": "3600" } }));
    const capped = clientFor(limited, { now: () => now });
    const e = await rejectedOneLine(capped.client.getManifest(target, digestOf(bytes)));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("r.example is rate-limiting requests");
    expect(e.message).toContain("it asks to wait 3600 s");
    expect(capped.sleeps).toEqual([]);
  });

  it("does not retry a POST by itself, nor a 500", async () => {
    const fake = fakeRegistry();
    fault(fake, () => true, 10, () => new Response(null, { status: 503 }));
    const { client } = clientFor(fake);
    expect((await rejectedOneLine(client.request(target, { method: "POST", path: "blobs/uploads/" }))).code).toBe("SERVICE_UNAVAILABLE");
    expect(fake.log).toHaveLength(1);

    const broken = fakeRegistry();
    fault(broken, () => true, 10, () => new Response(null, { status: 500 }));
    expect((await rejectedOneLine(clientFor(broken).client.getManifest(target, "1.0"))).message).toContain("answered 500");
    expect(broken.log).toHaveLength(1);
  });

  it("turns a registry that never answers into SERVICE_UNAVAILABLE after the tries, aborting each fetch", async () => {
    const signals: AbortSignal[] = [];
    const hang: OciFetch = (_, init) => {
      signals.push(init.signal!);
      return new Promise(() => {}); // ignores its signal too: the client must not wait for it
    };
    const { client } = clientFor({ fetch: hang } as FakeRegistry, { timeoutMs: 5 });
    const e = await rejectedOneLine(client.getManifest(target, "1.0"));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toBe("https://r.example did not answer GET /v2/team/app/manifests/1.0 within 5 ms (gave up after 4 tries)");
    expect(signals).toHaveLength(4);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it("turns a body that stalls into SERVICE_UNAVAILABLE (manifest read whole, blob stream)", async () => {
    const stalled = () => new Response(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(enc("{")) }), { headers: { "content-type": OCI_MANIFEST, "content-length": "99" } });
    const fake = fakeRegistry();
    fault(fake, () => true, 100, () => stalled());
    const { client } = clientFor(fake, { timeoutMs: 5 });
    const manifest = await rejectedOneLine(client.getManifest(target, "1.0"));
    expect(manifest.message).toContain("no data for 5 ms (gave up after 4 tries)");

    const blob = fakeRegistry();
    fault(blob, () => true, 100, () => new Response(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(enc("x")) }), { headers: { "content-length": String(layer.length) } }));
    const stream = await clientFor(blob, { timeoutMs: 5 }).client.openBlob(target, { mediaType: "x", digest: digestOf(layer), size: layer.length });
    const e = await rejectedOneLine(new Response(stream).arrayBuffer());
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("no data for 5 ms");
  });

  it("retries a connection that fails mid-manifest and refuses a manifest whose bytes changed (no retry)", async () => {
    const fake = fakeRegistry();
    const bytes = manifestBytes();
    fake.manifests.set(digestOf(bytes), { bytes, mediaType: OCI_MANIFEST });
    fault(fake, () => true, 1, () => new Response(new ReadableStream<Uint8Array>({ start: (c) => c.error(new TypeError("terminated")) }), { headers: { "content-type": OCI_MANIFEST } }));
    const { client } = clientFor(fake);
    expect((await client.getManifest(target, digestOf(bytes))).bytes).toEqual(bytes);
    expect(fake.log).toHaveLength(2);

    fake.log.length = 0;
    fault(fake, () => true, 1, () => new Response(manifestBytes({ annotations: { x: "y" } }), { headers: { "content-type": OCI_MANIFEST } }));
    expect((await rejectedOneLine(client.getManifest(target, digestOf(bytes)))).code).toBe("INPUT_MALFORMED");
    expect(fake.log).toHaveLength(1);
  });
});
