import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../catalog/sources/image/types.js";
import { startOciRegistry, type RunningOciRegistry } from "../../test/support/oci-registry.js";
import { buildTestImage, pushTestImage } from "../../test/support/registry.js";
import { RegistryClient, type OciFetch } from "./client.js";
import { digestOf } from "./digest.js";
import { attachReferrer, listReferrers, referrersTag } from "./referrers.js";
import { rejectedOneLine } from "../../test/support/errors.js";

/**
 * Referrers both ways, against the in-process OCI 1.1 registry (test/support/oci-registry.ts): with its referrers
 * API (OCI-Subject on the PUT, the list from GET /v2/<name>/referrers/<digest>), and in its distribution 2.8 mode
 * (404 on that path: the referrers tag schema, kept by vouch). The same against Debian's docker-registry is in
 * registry-real.test.ts. Odd registries (a 200 that is not an index) are a stub fetch.
 */

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const EMPTY = "application/vnd.oci.empty.v1+json";
const SIG = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SBOM = "application/spdx+json";
const enc = (s: string) => new TextEncoder().encode(s);

/** An artifact manifest (image-spec 1.1 "artifacts": empty config, one layer) attached to `subject`; its blobs pushed. */
async function artifact(client: RegistryClient, target: { registry: string; repository: string }, subject: Descriptor, artifactType: string, content: string, annotations: Record<string, string> = {}) {
  const config = await client.pushBlob(target, enc("{}"), EMPTY);
  const layer = await client.pushBlob(target, enc(content), artifactType);
  const document: Record<string, unknown> = { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType, config, layers: [layer], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } };
  if (Object.keys(annotations).length > 0) document.annotations = annotations;
  const bytes = enc(JSON.stringify(document));
  return { bytes, mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.length };
}

describe("referrersTag", () => {
  it("is <alg>-<hex>, cut to 32 and 64 characters (distribution-spec Referrers Tag Schema)", () => {
    expect(referrersTag(`sha256:${"a".repeat(64)}`)).toBe(`sha256-${"a".repeat(64)}`);
    expect(referrersTag(`sha512:${"b".repeat(128)}`)).toBe(`sha512-${"b".repeat(64)}`);
    for (const bad of ["sha256:abc", "md5:" + "0".repeat(32), "", "sha256-" + "a".repeat(64)]) {
      expect(() => referrersTag(bad)).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }) as Error);
    }
  });
});

for (const mode of ["api", "tag-schema"] as const) {
  describe(`attach and list referrers (in-process registry, ${mode === "api" ? "with the referrers API" : "2.8 mode: no referrers API"})`, () => {
    let registry: RunningOciRegistry;
    let client: RegistryClient;
    let target: { registry: string; repository: string };
    let subject: Descriptor;

    beforeAll(async () => {
      registry = await startOciRegistry({ referrers: mode === "api" });
      client = new RegistryClient({ sleep: async () => {} });
      target = { registry: registry.host, repository: "vouch/app" };
      const image = buildTestImage();
      await pushTestImage({ ...target, client }, image, "1.0");
      subject = await client.resolve(target, "1.0");
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it(`attaches a signature and an SBOM and lists them via ${mode}, filtered by artifactType`, async () => {
      const sig = await artifact(client, target, subject, SIG, "bundle", { "dev.sigstore.bundle.content": "dsse-envelope" });
      const sbom = await artifact(client, target, subject, SBOM, '{"spdxVersion":"SPDX-2.3"}');
      const attached = await attachReferrer(client, target, sig, subject, { artifactType: SIG, annotations: { "dev.sigstore.bundle.content": "dsse-envelope" } });
      expect(attached).toEqual({
        via: mode,
        descriptor: { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: SIG, annotations: { "dev.sigstore.bundle.content": "dsse-envelope" } },
      });
      expect((await attachReferrer(client, target, sbom, subject)).via).toBe(mode);

      const all = await listReferrers(client, target, subject.digest);
      expect(all.via).toBe(mode);
      expect(all.note).toBeUndefined();
      expect(all.referrers.map((d) => [d.digest, d.artifactType]).sort()).toEqual([[sig.digest, SIG], [sbom.digest, SBOM]].sort());
      expect(all.referrers.find((d) => d.digest === sig.digest)!.annotations).toEqual({ "dev.sigstore.bundle.content": "dsse-envelope" });
      const sboms = await listReferrers(client, target, subject.digest, { artifactType: SBOM });
      expect(sboms.referrers.map((d) => d.digest)).toEqual([sbom.digest]);

      // the referrers tag exists only where vouch had to keep it
      const tag = registry.manifest(target.repository, referrersTag(subject.digest));
      if (mode === "api") {
        expect(tag).toBeUndefined();
        expect(registry.requests.some((r) => r.method === "GET" && r.path.startsWith(`/v2/vouch/app/referrers/${subject.digest}?artifactType=`))).toBe(true);
      } else {
        expect(tag?.mediaType).toBe(OCI_INDEX);
        expect((JSON.parse(new TextDecoder().decode(tag!.bytes)) as { manifests: unknown[] }).manifests).toHaveLength(2);
      }
    });

    it("adds no duplicate when the same referrer is attached twice; no referrers for another digest", async () => {
      const sig = await artifact(client, target, subject, SIG, "twice");
      await attachReferrer(client, target, sig, subject);
      const before = (await listReferrers(client, target, subject.digest)).referrers.length;
      await attachReferrer(client, target, sig, subject);
      expect((await listReferrers(client, target, subject.digest)).referrers).toHaveLength(before);
      const none = await listReferrers(client, target, `sha256:${"9".repeat(64)}`);
      expect(none).toEqual({ referrers: [], via: mode });
    });

    it("refuses a manifest without that subject before pushing anything", async () => {
      const sig = await artifact(client, target, subject, SIG, "other subject");
      const count = registry.requests.length;
      const wrong = await rejectedOneLine(attachReferrer(client, target, sig, { ...subject, digest: `sha256:${"8".repeat(64)}` }));
      expect(wrong.code).toBe("INPUT_USAGE");
      const plain = buildTestImage().manifest;
      expect((await rejectedOneLine(attachReferrer(client, target, plain, subject))).message).toContain("has no subject");
      expect(registry.requests.length).toBe(count);
    });
  });
}

describe("referrers tag schema details (in-process registry, 2.8 mode)", () => {
  let registry: RunningOciRegistry;
  let client: RegistryClient;
  let target: { registry: string; repository: string };
  let subject: Descriptor;
  beforeAll(async () => {
    registry = await startOciRegistry({ referrers: false });
    client = new RegistryClient({ sleep: async () => {} });
    target = { registry: registry.host, repository: "vouch/tags" };
    await pushTestImage({ ...target, client }, buildTestImage(), "1.0");
    subject = await client.resolve(target, "1.0");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("keeps what another client wrote in the fallback index (entries and fields) and appends", async () => {
    const foreign = await artifact(client, target, subject, "application/vnd.example.other", "someone else's");
    await client.putManifest(target, foreign.digest, foreign.bytes, OCI_MANIFEST);
    const written = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: foreign.digest, size: foreign.size, artifactType: "application/vnd.example.other", data: "e30=" }],
        annotations: { "com.example.writer": "other-tool" },
      }),
    );
    await client.putManifest(target, referrersTag(subject.digest), written, OCI_INDEX);
    const mine = await artifact(client, target, subject, SIG, "mine");
    await attachReferrer(client, target, mine, subject);
    const index = JSON.parse(new TextDecoder().decode(registry.manifest(target.repository, referrersTag(subject.digest))!.bytes)) as Record<string, unknown>;
    expect(index.annotations).toEqual({ "com.example.writer": "other-tool" });
    expect(index.manifests).toEqual([
      { mediaType: OCI_MANIFEST, digest: foreign.digest, size: foreign.size, artifactType: "application/vnd.example.other", data: "e30=" },
      { mediaType: OCI_MANIFEST, digest: mine.digest, size: mine.size, artifactType: SIG },
    ]);
  });

  it("takes the config media type as artifactType when the manifest has none (the spec's rule)", async () => {
    const config = await client.pushBlob(target, enc('{"k":"v"}'), "application/vnd.example.config+json");
    const bytes = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [], subject }));
    const attached = await attachReferrer(client, target, { bytes, mediaType: OCI_MANIFEST }, subject);
    expect(attached.descriptor.artifactType).toBe("application/vnd.example.config+json");
  });

  it("lists nothing (with a note) when the referrers tag holds something that is not an index, and refuses to overwrite it", async () => {
    const other = { registry: registry.host, repository: "vouch/squatted" };
    const image = buildTestImage();
    await pushTestImage({ ...other, client }, image, "1.0");
    const subj = await client.resolve(other, "1.0");
    await pushTestImage({ ...other, client }, buildTestImage({ layers: [[{ path: "x", content: "x" }]] }), referrersTag(subj.digest));
    const listed = await listReferrers(client, other, subj.digest);
    expect(listed.referrers).toEqual([]);
    expect(listed.note).toContain(`the referrers tag ${referrersTag(subj.digest)} holds a ${OCI_MANIFEST}, not an OCI image index`);
    const sig = await artifact(client, other, subj, SIG, "sig");
    const refused = await rejectedOneLine(attachReferrer(client, other, sig, subj));
    expect(refused.code).toBe("INPUT_MALFORMED");
    expect(refused.message).toContain("not overwritten");
  });

  it("switches to the API once the registry gains it (the spec's upgrade path lists what the tag schema held)", async () => {
    const upgraded = { registry: registry.host, repository: "vouch/upgraded" };
    await pushTestImage({ ...upgraded, client }, buildTestImage(), "1.0");
    const subj = await client.resolve(upgraded, "1.0");
    const sig = await artifact(client, upgraded, subj, SIG, "before the upgrade");
    expect((await attachReferrer(client, upgraded, sig, subj)).via).toBe("tag-schema");
    registry.setReferrers(true);
    try {
      // This client remembers for a few minutes that the registry had no API (one 404 per registry, not one per
      // image); a client that has not seen the 404 (a new verifier, or the same one minutes later) uses the API.
      expect((await listReferrers(client, upgraded, subj.digest)).via).toBe("tag-schema");
      const listed = await listReferrers(new RegistryClient(), upgraded, subj.digest);
      expect(listed.via).toBe("api");
      expect(listed.referrers.map((d) => d.digest)).toEqual([sig.digest]);
    } finally {
      registry.setReferrers(false);
    }
  });
});

describe("referrers API answers that are odd (stub fetch)", () => {
  const target = { registry: "r.example", repository: "app" };
  const subjectDigest = `sha256:${"c".repeat(64)}`;
  const entry = (digest: string, artifactType: string) => ({ mediaType: OCI_MANIFEST, digest, size: 10, artifactType });
  const d1 = `sha256:${"1".repeat(64)}`;
  const d2 = `sha256:${"2".repeat(64)}`;

  function client(handler: (url: URL) => Response): { client: RegistryClient; urls: string[] } {
    const urls: string[] = [];
    const fetch: OciFetch = async (url) => {
      urls.push(url);
      return handler(new URL(url));
    };
    return { client: new RegistryClient({ fetch, sleep: async () => {} }), urls };
  }
  const index = (manifests: object[]) => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });

  it("filters on the client when the registry did not apply the filter, and trusts OCI-Filters-Applied", async () => {
    const body = index([entry(d1, SIG), entry(d2, SBOM)]);
    const unfiltered = client(() => new Response(body, { headers: { "content-type": OCI_INDEX } }));
    expect((await listReferrers(unfiltered.client, target, subjectDigest, { artifactType: SIG })).referrers.map((d) => d.digest)).toEqual([d1]);
    expect(unfiltered.urls[0]).toBe(`https://r.example/v2/app/referrers/${subjectDigest}?artifactType=${encodeURIComponent(SIG)}`);
    // the registry says it filtered: vouch takes the list as it is (the list is a hint; every referrer is verified by digest later)
    const filtered = client(() => new Response(index([entry(d1, SIG)]), { headers: { "content-type": OCI_INDEX, "oci-filters-applied": "artifactType" } }));
    expect((await listReferrers(filtered.client, target, subjectDigest, { artifactType: SIG })).referrers.map((d) => d.digest)).toEqual([d1]);
  });

  it("follows Link pages of the referrers list", async () => {
    const paged = client((url) =>
      url.searchParams.get("page") === "2"
        ? new Response(index([entry(d2, SBOM)]), { headers: { "content-type": OCI_INDEX } })
        : new Response(index([entry(d1, SIG)]), { headers: { "content-type": OCI_INDEX, link: `<${url.pathname}?page=2>; rel="next"` } }),
    );
    const listed = await listReferrers(paged.client, target, subjectDigest);
    expect(listed.referrers.map((d) => d.digest)).toEqual([d1, d2]);
    expect(paged.urls).toHaveLength(2);
  });

  it("falls back to the tag schema on a 200 that is not an index, and says why", async () => {
    const tag = referrersTag(subjectDigest);
    const fallback = index([entry(d1, SIG)]);
    const odd = client((url) => {
      if (url.pathname.includes("/referrers/")) return new Response("<html>welcome</html>", { headers: { "content-type": "text/html" } });
      if (url.pathname === `/v2/app/manifests/${tag}`) return new Response(fallback, { headers: { "content-type": OCI_INDEX, "docker-content-digest": digestOf(enc(fallback)) } });
      return new Response("404 page not found", { status: 404 });
    });
    const listed = await listReferrers(odd.client, target, subjectDigest);
    expect(listed.via).toBe("tag-schema");
    expect(listed.referrers.map((d) => d.digest)).toEqual([d1]);
    expect(listed.note).toContain('the registry answered 200 on the referrers path, but its Content-Type is "text/html"');
  });

  it("leaves out a corrupt descriptor on a later page (one pusher's odd entry hides no other referrer); SERVICE_UNAVAILABLE when it keeps failing", async () => {
    const good = { mediaType: OCI_MANIFEST, digest: `sha256:${"b".repeat(64)}`, size: 10, artifactType: "application/vnd.example+json" };
    const corrupt = client((url) =>
      url.searchParams.get("page") === "2"
        ? new Response(index([{ mediaType: OCI_MANIFEST, digest: "sha256:nope", size: 1 }, good]), { headers: { "content-type": OCI_INDEX } })
        : new Response(index([]), { headers: { "content-type": OCI_INDEX, link: `<${url.pathname}?page=2>; rel="next"` } }),
    );
    const listed = await listReferrers(corrupt.client, target, subjectDigest);
    expect(listed.via).toBe("api");
    expect(listed.referrers.map((d) => d.digest)).toEqual([good.digest]);
    expect(listed.note).toMatch(/1 unreadable entry left out \(manifests\[0\]\.digest/);
    const down = client(() => new Response(null, { status: 503 }));
    const e = await rejectedOneLine(listReferrers(down.client, target, subjectDigest));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.message).toContain("r.example answered 503");
  });
});
