import { describe, expect, it } from "vitest";
import { RegistryClient, type OciFetch, type OciRequestInit } from "./client.js";
import { digestOf } from "./digest.js";
import { parseDockerConfig, staticCredentials } from "./docker-config.js";
import { openRegistryImage } from "./registry-image.js";
import { rejectedOneLine } from "../../test/support/errors.js";

/**
 * The client's edge cases against a STUB registry: an injected fetch that answers like a registry would (or like a
 * broken or hostile one). The real-registry paths are in registry-real.test.ts.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

const config = enc(JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } }));
const layer = enc("layer bytes, pretend gzip");
const manifest = enc(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(layer), size: layer.length }],
  }),
);
const MANIFEST_DIGEST = digestOf(manifest);
const layerDescriptor = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(layer), size: layer.length };

interface Call {
  url: string;
  method: string;
  authorization?: string;
}

type Handler = (url: URL, init: OciRequestInit) => Response | Promise<Response>;

/** A fetch that records every call and answers with `handler`. */
function stub(handler: Handler): { fetch: OciFetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: OciFetch = async (url, init) => {
    expect(init.redirect).toBe("manual");
    calls.push({ url, method: init.method, ...(init.headers.authorization ? { authorization: init.headers.authorization } : {}) });
    return handler(new URL(url), init);
  };
  return { fetch, calls };
}

/** Serves the manifest and blobs above at `origin` for `repo`, with optional overrides. */
function registry(origin: string, repo: string, overrides: Partial<Record<string, () => Response>> = {}): Handler {
  return (url) => {
    if (url.origin !== origin) return new Response("wrong host", { status: 599 });
    const path = url.pathname;
    if (overrides[path]) return overrides[path]!();
    if (path === `/v2/${repo}/manifests/1.0` || path === `/v2/${repo}/manifests/${MANIFEST_DIGEST}`) {
      return new Response(manifest, { headers: { "content-type": OCI_MANIFEST, "docker-content-digest": MANIFEST_DIGEST } });
    }
    if (path === `/v2/${repo}/blobs/${digestOf(config)}`) return new Response(config);
    if (path === `/v2/${repo}/blobs/${digestOf(layer)}`) return new Response(layer);
    return Response.json({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }, { status: 404 });
  };
}

const read = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

describe("transport", () => {
  it("uses HTTPS, plain HTTP only for loopback registries or with insecure", () => {
    const client = new RegistryClient({ fetch: stub(() => new Response()).fetch });
    expect(client.baseUrl("ghcr.io")).toBe("https://ghcr.io");
    expect(client.baseUrl("docker.io")).toBe("https://registry-1.docker.io");
    expect(client.baseUrl("registry.internal:5000")).toBe("https://registry.internal:5000");
    expect(client.baseUrl("localhost:5000")).toBe("http://localhost:5000");
    expect(client.baseUrl("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(client.baseUrl("[::1]:5000")).toBe("http://[::1]:5000");
    expect(new RegistryClient({ insecure: true }).baseUrl("registry.internal:5000")).toBe("http://registry.internal:5000");
  });

  it("asks Docker Hub's API host for docker.io/library images, with every manifest type in Accept", async () => {
    const seen: OciRequestInit[] = [];
    const { fetch, calls } = stub((url, init) => {
      seen.push(init);
      return registry("https://registry-1.docker.io", "library/alpine")(url, init);
    });
    const layout = await openRegistryImage("alpine:1.0", { fetch });
    expect(calls[0]!.url).toBe("https://registry-1.docker.io/v2/library/alpine/manifests/1.0");
    expect(seen[0]!.headers.accept).toContain("application/vnd.oci.image.index.v1+json");
    expect(seen[0]!.headers.accept).toContain("application/vnd.docker.distribution.manifest.list.v2+json");
    expect(seen[0]!.headers.accept).toContain("application/vnd.docker.distribution.manifest.v2+json");
    expect(seen[0]!.headers["user-agent"]).toMatch(/^vouch\//);
    expect(layout.repoTags).toEqual(["alpine:1.0"]);
  });

  it("follows a blob redirect to storage on another origin without the registry's credentials", async () => {
    const { fetch, calls } = stub((url, init) => {
      if (url.origin === "https://blobs.example") {
        return url.searchParams.get("sig") === "ok" ? new Response(layer, { headers: { "content-length": String(layer.length) } }) : new Response("", { status: 403 });
      }
      // the registry wants basic auth, so the credential is really in play
      if (init.headers.authorization === undefined) return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
      if (url.pathname.startsWith("/v2/app/blobs/")) return new Response(null, { status: 307, headers: { location: "https://blobs.example/data?sig=ok" } });
      return registry("https://r.example", "app")(url, init);
    });
    const client = new RegistryClient({ fetch, credentials: staticCredentials({ "r.example": { username: "u", password: "p" } }) });
    const target = { registry: "r.example", repository: "app" };
    const bytes = await read(await client.openBlob(target, layerDescriptor));
    expect(bytes).toEqual(layer);
    const blobUrl = `https://r.example/v2/app/blobs/${digestOf(layer)}`;
    expect(calls.map((c) => [c.url, c.authorization !== undefined])).toEqual([
      [blobUrl, false],
      [blobUrl, true],
      ["https://blobs.example/data?sig=ok", false],
    ]);
  });

  it("keeps credentials across a same-origin redirect, drops them across origins, and refuses a redirect to plain HTTP", async () => {
    let challenged = false;
    const { fetch, calls } = stub((url) => {
      if (url.pathname === "/v2/app/manifests/1.0" && !challenged) {
        challenged = true;
        return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
      }
      if (url.pathname === "/v2/app/manifests/1.0") return new Response(null, { status: 302, headers: { location: "/v2/app/manifests/moved" } });
      if (url.pathname === "/v2/app/manifests/moved") return new Response(manifest, { headers: { "content-type": OCI_MANIFEST } });
      if (url.pathname.startsWith("/v2/app/blobs/")) return new Response(null, { status: 302, headers: { location: "http://blobs.example/x" } });
      return new Response("", { status: 500 });
    });
    const client = new RegistryClient({ fetch, credentials: staticCredentials({ "r.example": { username: "u", password: "p" } }) });
    const target = { registry: "r.example", repository: "app" };
    expect((await client.getManifest(target, "1.0")).descriptor.digest).toBe(MANIFEST_DIGEST);
    expect(calls.map((c) => [c.url, c.authorization !== undefined])).toEqual([
      ["https://r.example/v2/app/manifests/1.0", false],
      ["https://r.example/v2/app/manifests/1.0", true],
      ["https://r.example/v2/app/manifests/moved", true],
    ]);
    const downgrade = await rejectedOneLine(client.openBlob(target, layerDescriptor));
    expect(downgrade.code).toBe("SERVICE_UNAVAILABLE");
    expect(downgrade.message).toContain("not https");
  });

  it("gives up after too many redirects", async () => {
    const { fetch } = stub(() => new Response(null, { status: 302, headers: { location: "/again" } }));
    const e = await rejectedOneLine(new RegistryClient({ fetch }).getManifest({ registry: "r.example", repository: "app" }, "1.0"));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("redirects");
  });

  it("maps network failures, 5xx and 429 to SERVICE_UNAVAILABLE, 403 to INPUT_USAGE", async () => {
    const target = { registry: "r.example", repository: "app" };
    const down: OciFetch = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
    };
    const instant = { sleep: async () => {} };
    const refused = await rejectedOneLine(new RegistryClient({ fetch: down, ...instant }).getManifest(target, "1.0"));
    expect(refused).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(refused.message).toBe("cannot reach https://r.example: ECONNREFUSED (gave up after 4 tries)");
    const answer = (status: number, headers: Record<string, string> = {}) => new RegistryClient({ fetch: stub(() => new Response("<html>oops</html>", { status, headers })).fetch, ...instant });
    expect((await rejectedOneLine(answer(503).getManifest(target, "1.0"))).code).toBe("SERVICE_UNAVAILABLE");
    // 500 is terminal (distribution-spec: only 502, 503, 504 are temporary)
    expect((await rejectedOneLine(answer(500).getManifest(target, "1.0"))).message).toContain("r.example answered 500");
    const limited = await rejectedOneLine(answer(429, { "retry-after": "30" }).getManifest(target, "1.0"));
    expect(limited.code).toBe("SERVICE_UNAVAILABLE");
    expect(limited.message).toContain("r.example is rate-limiting requests (GET /v2/app/manifests/1.0: HTTP 429; retry after 30)");
    expect((await rejectedOneLine(answer(403).getManifest(target, "1.0"))).code).toBe("INPUT_USAGE");
  });
});

describe("manifest integrity", () => {
  const target = { registry: "r.example", repository: "app" };

  it("refuses bytes that do not hash to the digest asked for, or to the registry's Docker-Content-Digest", async () => {
    const other = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: JSON.parse(new TextDecoder().decode(manifest)).config, layers: [] }));
    const lying = new RegistryClient({ fetch: stub(() => new Response(other, { headers: { "content-type": OCI_MANIFEST } })).fetch });
    const pinned = await rejectedOneLine(lying.getManifest(target, MANIFEST_DIGEST));
    expect(pinned.code).toBe("INPUT_MALFORMED");
    expect(pinned.message).toContain(digestOf(other));

    const header = new RegistryClient({ fetch: stub(() => new Response(other, { headers: { "content-type": OCI_MANIFEST, "docker-content-digest": MANIFEST_DIGEST } })).fetch });
    const byTag = await rejectedOneLine(header.getManifest(target, "1.0"));
    expect(byTag.code).toBe("INPUT_MALFORMED");
    expect(byTag.message).toContain(`says its digest is ${MANIFEST_DIGEST}`);

    const garbage = new RegistryClient({ fetch: stub(() => new Response(manifest, { headers: { "docker-content-digest": "sha256:nothex" } })).fetch });
    expect((await rejectedOneLine(garbage.getManifest(target, "1.0"))).code).toBe("INPUT_MALFORMED");
  });

  it("verifies a sha512 digest too, and computes the digest when the registry names none", async () => {
    const client = new RegistryClient({ fetch: stub(() => new Response(manifest, { headers: { "content-type": OCI_MANIFEST } })).fetch });
    const sha512 = digestOf(manifest, "sha512");
    expect((await client.getManifest(target, sha512)).descriptor.digest).toBe(sha512);
    expect((await client.getManifest(target, "1.0")).descriptor).toEqual({ mediaType: OCI_MANIFEST, digest: MANIFEST_DIGEST, size: manifest.length });
  });

  it("refuses a manifest over the size limit (INPUT_TOO_LARGE), announced or streamed", async () => {
    const announced = new RegistryClient({ maxManifestBytes: 100, fetch: stub(() => new Response(manifest, { headers: { "content-length": String(manifest.length) } })).fetch });
    expect((await rejectedOneLine(announced.getManifest(target, "1.0"))).code).toBe("INPUT_TOO_LARGE");
    const streamed = new RegistryClient({ maxManifestBytes: 100, fetch: stub(() => new Response(new Blob([manifest]).stream())).fetch });
    expect((await rejectedOneLine(streamed.getManifest(target, "1.0"))).code).toBe("INPUT_TOO_LARGE");
  });

  it("refuses schema 1 as unsupported, and a tag that is not one", async () => {
    const schema1 = new RegistryClient({
      fetch: stub(() => new Response(enc('{"schemaVersion":1,"name":"a","fsLayers":[]}'), { headers: { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws" } })).fetch,
    });
    expect((await rejectedOneLine(schema1.getManifest(target, "1.0"))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect((await rejectedOneLine(schema1.getManifest(target, "../../x"))).code).toBe("INPUT_USAGE");
  });

  it("refuses an index entry whose manifest has another size than the index says", async () => {
    const index = enc(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: OCI_MANIFEST, digest: MANIFEST_DIGEST, size: manifest.length + 1, platform: { os: "linux", architecture: "amd64" } }] }));
    const { fetch } = stub((url, init) => {
      if (url.pathname.endsWith("/manifests/multi")) return new Response(index, { headers: { "content-type": "application/vnd.oci.image.index.v1+json" } });
      return registry("https://r.example", "app")(url, init);
    });
    const e = await rejectedOneLine(openRegistryImage("r.example/app:multi", { fetch }));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain("the index says");
  });
});

describe("blob integrity", () => {
  const target = { registry: "r.example", repository: "app" };
  const serve = (body: ConstructorParameters<typeof Response>[0], headers: Record<string, string> = {}) => new RegistryClient({ fetch: stub(() => new Response(body, { headers })).fetch });

  it("refuses a Content-Length other than the descriptor's size before reading", async () => {
    expect((await rejectedOneLine(serve(layer, { "content-length": "3" }).openBlob(target, layerDescriptor))).code).toBe("INPUT_MALFORMED");
  });

  it("errors the stream on truncation, on extra bytes and on changed bytes", async () => {
    const truncated = await rejectedOneLine(read(await serve(layer.slice(0, 5)).openBlob(target, layerDescriptor)));
    expect(truncated.code).toBe("INPUT_MALFORMED");
    expect(truncated.message).toContain("truncated");
    const longer = await rejectedOneLine(read(await serve(new Uint8Array([...layer, 0])).openBlob(target, layerDescriptor)));
    expect(longer.message).toContain("more bytes than");
    const flipped = layer.slice();
    flipped[0]! ^= 1;
    const changed = await rejectedOneLine(read(await serve(flipped).openBlob(target, layerDescriptor)));
    expect(changed.message).toContain("digest mismatch");
  });

  it("says SERVICE_UNAVAILABLE when the connection dies mid-blob", async () => {
    const dying = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(layer.slice(0, 4));
      },
      pull(c) {
        c.error(new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) }));
      },
    });
    const e = await rejectedOneLine(read(await serve(dying).openBlob(target, layerDescriptor)));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("after 4 bytes");
  });

  it("refuses a descriptor whose digest it cannot verify", async () => {
    expect((await rejectedOneLine(serve(layer).openBlob(target, { ...layerDescriptor, digest: `md5:${"0".repeat(32)}` }))).code).toBe("INPUT_MALFORMED");
  });
});

describe("bearer token flow (stub registry and token service)", () => {
  const REALM = "https://auth.example/token";
  function tokenRegistry(options: { realm?: string; tokenAnswer?: () => Response; expireFirstToken?: boolean } = {}) {
    const issued: string[] = [];
    let refusedOnce = false;
    const tokenCalls: URL[] = [];
    const handler: Handler = async (url, init) => {
      if (url.origin === new URL(options.realm ?? REALM).origin) {
        tokenCalls.push(url);
        if (options.tokenAnswer) return options.tokenAnswer();
        const token = `tok-${issued.length}`;
        issued.push(token);
        return Response.json({ token });
      }
      const authorization = init.headers.authorization;
      const expired = options.expireFirstToken && authorization === "Bearer tok-0" && !refusedOnce && url.pathname.includes("/blobs/");
      if (expired) refusedOnce = true;
      if (!authorization?.startsWith("Bearer tok-") || expired) {
        return Response.json(
          { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
          { status: 401, headers: { "www-authenticate": `Bearer realm="${options.realm ?? REALM}",service="r.example",scope="repository:app:pull"` } },
        );
      }
      return registry("https://r.example", "app")(url, init);
    };
    return { handler, tokenCalls, issued };
  }

  it("sends basic credentials to the token service only, and reuses the token", async () => {
    const { handler, tokenCalls } = tokenRegistry();
    const { fetch, calls } = stub(handler);
    const client = new RegistryClient({ fetch, credentials: staticCredentials({ "r.example": { username: "u", password: "p" } }) });
    const layout = await openRegistryImage("r.example/app:1.0", { client });
    await read(await layout.openBlob(layerDescriptor));
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]!.searchParams.get("service")).toBe("r.example");
    expect(tokenCalls[0]!.searchParams.getAll("scope")).toEqual(["repository:app:pull"]);
    expect(tokenCalls[0]!.searchParams.get("account")).toBe("u");
    const basic = `Basic ${Buffer.from("u:p").toString("base64")}`;
    expect(calls.filter((c) => c.authorization === basic).map((c) => new URL(c.url).origin)).toEqual(["https://auth.example"]);
    expect(calls.filter((c) => c.url.startsWith("https://r.example")).map((c) => c.authorization)).toEqual([undefined, "Bearer tok-0", "Bearer tok-0"]);
  });

  it("fetches a new token once when the registry refuses a cached one (expired)", async () => {
    const { handler, issued } = tokenRegistry({ expireFirstToken: true });
    const layout = await openRegistryImage("r.example/app:1.0", { fetch: stub(handler).fetch });
    expect(await read(await layout.openBlob(layerDescriptor))).toEqual(layer);
    expect(issued).toEqual(["tok-0", "tok-1"]);
  });

  it("refuses a token service over plain HTTP on another machine (credentials would travel in clear)", async () => {
    const { handler } = tokenRegistry({ realm: "http://auth.example/token" });
    const e = await rejectedOneLine(openRegistryImage("r.example/app:1.0", { fetch: stub(handler).fetch }));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("over http");
  });

  it("says SERVICE_UNAVAILABLE when the token service answers without a token or with garbage", async () => {
    for (const answer of [() => Response.json({ nothing: true }), () => new Response("<html>"), () => new Response("", { status: 500 }), () => Response.json({ token: "a\r\nb" })]) {
      const { handler } = tokenRegistry({ tokenAnswer: answer });
      expect((await rejectedOneLine(openRegistryImage("r.example/app:1.0", { fetch: stub(handler).fetch }))).code).toBe("SERVICE_UNAVAILABLE");
    }
  });

  it("names the credential helper when anonymous access is not enough", async () => {
    const { handler } = tokenRegistry({ tokenAnswer: () => Response.json({ errors: [{ code: "DENIED", message: "no anonymous access" }] }, { status: 401 }) });
    const e = await rejectedOneLine(openRegistryImage("r.example/app:1.0", { fetch: stub(handler).fetch, credentials: parseDockerConfig('{"credHelpers":{"r.example":"gcloud"}}', "/h/.docker/config.json") }));
    expect(e.code).toBe("INPUT_USAGE");
    expect(e.message).toContain("docker-credential-gcloud");
    expect(e.message).toContain("DENIED: no anonymous access");
  });

  it("says INPUT_USAGE for a 401 without a usable challenge", async () => {
    const e = await rejectedOneLine(new RegistryClient({ fetch: stub(() => new Response("", { status: 401, headers: { "www-authenticate": "Negotiate" } })).fetch }).getManifest({ registry: "r.example", repository: "app" }, "1.0"));
    expect(e.code).toBe("INPUT_USAGE");
    expect(e.message).toContain("no bearer or basic challenge");
  });
});
