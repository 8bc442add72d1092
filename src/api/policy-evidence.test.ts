import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_ARTIFACT_TYPE, EMPTY_BLOB, EMPTY_DESCRIPTOR } from "../oci/attachments/index.js";
import { buildManifest, describe as describeBlob } from "../oci/attachments/encode.js";
import { RegistryClient } from "../oci/client.js";
import { attachReferrer } from "../oci/referrers.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../../test/support/registry.js";
import { generateKeyFiles } from "./key.js";
import { attachSbom, attestImage, signImage } from "./image-sign.js";
import { memoryContentCache } from "./oci-content-cache.js";
import { createEvidenceGatherer, gatherEvidence } from "./policy-evidence.js";

const skipReason = registryUnavailable();
const work = mkdtempSync(join(tmpdir(), "vouch-policy-evidence-"));
const password = { env: { VOUCH_PASSWORD: "evidence test" } };
let registry: RunningRegistry;
let key: string;

const CDX = JSON.stringify({
  bomFormat: "CycloneDX",
  specVersion: "1.6",
  version: 1,
  metadata: { component: { type: "container", name: "app", version: "1.0" } },
  components: [{ type: "library", name: "left-pad", version: "1.3.0", purl: "pkg:npm/left-pad@1.3.0", licenses: [{ license: { id: "MIT" } }] }],
});

describe.skipIf(skipReason !== undefined)("gatherEvidence against docker-registry 2.8", () => {
  beforeAll(async () => {
    registry = await startRegistry();
    key = (await generateKeyFiles({ prefix: join(work, "signer"), password })).privateKeyPath;
    writeFileSync(join(work, "sbom.cdx.json"), CDX);
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const push = async (repository: string, seed: string) => {
    const digest = await pushTestImage({ registry: registry.host, repository }, buildTestImage({ layers: [[{ path: "etc/seed", content: seed }]] }), "1.0");
    return { digest, ref: `${registry.host}/${repository}:1.0` };
  };

  it("finds signatures, attestations and SBOMs in both layouts, each parsed and located, with the tag resolved once", async () => {
    const { digest, ref } = await push("full", "full");
    const signing = { key, password };
    await signImage(ref, signing);
    await signImage(ref, { ...signing, tagFallback: true });
    await attestImage(ref, { ...signing, type: "slsaprovenance", predicate: { buildDefinition: { buildType: "https://vouch.dev/t@v1", externalParameters: {} }, runDetails: { builder: { id: "https://github.com/x" } } } });
    await attestImage(ref, { ...signing, tagFallback: true, type: "custom", predicate: { hello: "world" } });
    await attachSbom(ref, { ...signing, sbom: join(work, "sbom.cdx.json") });
    await attachSbom(ref, { ...signing, sbom: join(work, "sbom.cdx.json"), tagFallback: true });

    const evidence = await gatherEvidence(ref, { cache: false });
    expect(evidence).toMatchObject({ reference: ref, pinned: `${registry.host}/full@${digest}`, digest, resolvedFromTag: true, notes: [] });
    const byWhere = evidence.bundles.map((b) => `${b.source}:${b.bundle.content.kind}:${b.artifact.kind}`).sort();
    expect(byWhere).toEqual([
      "cosign-tag:dsseEnvelope:digest",
      "cosign-tag:messageSignature:bytes",
      "referrer:dsseEnvelope:digest",
      "referrer:dsseEnvelope:digest",
    ]);
    const simple = evidence.bundles.find((b) => b.source === "cosign-tag" && b.bundle.content.kind === "messageSignature")!;
    expect(simple.simpleSigningDigest).toBe(digest);
    expect(simple.location).toMatch(new RegExp(`^sha256-${digest.slice(7)}\\.sig layer sha256:[0-9a-f]{64}$`));
    for (const b of evidence.bundles.filter((x) => x.artifact.kind === "digest")) expect(b.artifact).toEqual({ kind: "digest", algorithm: "sha256", hex: digest.slice(7) });

    expect(evidence.sboms.map((s) => s.source).sort()).toEqual(["cosign-tag", "referrer"]);
    for (const s of evidence.sboms) {
      expect(new TextDecoder().decode(s.bytes)).toBe(CDX);
      expect(s.subjectDigest).toBe(digest);
    }
  });

  it("an image with nothing attached gives no bundles and no SBOMs; a digest reference is not resolved from a tag", async () => {
    const { digest } = await push("bare", "bare");
    const evidence = await gatherEvidence(`${registry.host}/bare@${digest}`, { cache: false });
    expect(evidence).toMatchObject({ digest, resolvedFromTag: false, bundles: [], sboms: [] });
  });

  it("a referrer whose bundle layer is not a bundle is left out with a note naming it; the good one stays", async () => {
    const { digest, ref } = await push("corrupt", "corrupt");
    await signImage(ref, { key, password });
    const client = new RegistryClient();
    const target = { registry: registry.host, repository: "corrupt" };
    const garbage = new TextEncoder().encode("{ this is not a bundle");
    const layer = describeBlob(garbage, "application/vnd.dev.sigstore.bundle.v0.3+json");
    await client.pushBlob(target, garbage, layer.mediaType);
    await client.pushBlob(target, EMPTY_BLOB, EMPTY_DESCRIPTOR.mediaType);
    const subject = (await client.getManifest(target, digest)).descriptor;
    const manifest = buildManifest({ artifactType: BUNDLE_ARTIFACT_TYPE, config: EMPTY_DESCRIPTOR, layers: [layer], subject });
    await attachReferrer(client, target, manifest, subject);

    const evidence = await gatherEvidence(ref, { cache: false });
    expect(evidence.bundles).toHaveLength(1);
    expect(evidence.notes).toHaveLength(1);
    expect(evidence.notes[0]).toContain(`${manifest.descriptor.digest}: left out (`);
  });

  it("reads content by digest once through the cache; a second gathering asks only for what may change", async () => {
    const { ref } = await push("cached", "cached");
    await signImage(ref, { key, password });
    const requests: string[] = [];
    const countingFetch = (url: string | URL | Request, init?: RequestInit) => {
      requests.push(`${init?.method ?? "GET"} ${new URL(String(url)).pathname}`);
      return fetch(url, init);
    };
    const gatherer = createEvidenceGatherer({ cache: memoryContentCache(), fetch: countingFetch });
    const first = await gatherer.gather(ref);
    const firstBlobs = requests.filter((r) => r.includes("/blobs/")).length;
    requests.length = 0;
    const second = await gatherer.gather(ref);
    expect(second.bundles.map((b) => b.location)).toEqual(first.bundles.map((b) => b.location));
    expect(firstBlobs).toBeGreaterThan(0);
    expect(requests.filter((r) => r.includes("/blobs/"))).toEqual([]);
  });

  it("resolve pins a tag to the digest the registry serves", async () => {
    const { digest, ref } = await push("pin", "pin");
    expect(await createEvidenceGatherer({ cache: false }).resolve(ref)).toEqual({ pinned: `${registry.host}/pin@${digest}`, digest, resolvedFromTag: true });
  });

  it("an unknown image is INPUT_NOT_FOUND; a registry that is not there is SERVICE_UNAVAILABLE", async () => {
    await expect(gatherEvidence(`${registry.host}/nothing:1.0`, { cache: false })).rejects.toMatchObject({ code: "INPUT_NOT_FOUND" });
    const dead = await startRegistry();
    const host = dead.host;
    await dead.stop();
    const sha = createHash("sha256").update("x").digest("hex");
    const gatherer = createEvidenceGatherer({ cache: false, clientOptions: { retry: { tries: 1 }, timeoutMs: 2000 } });
    await expect(gatherer.gather(`${host}/app@sha256:${sha}`)).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });
});
