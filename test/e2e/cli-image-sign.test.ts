/**
 * Issue 7 end to end, through the CLI, against Debian's docker-registry (distribution 2.8.2, which has no referrers
 * API) and a running `vouch serve` log: sign → tree → verify, attestations, SBOM attach → download, cosign's tag
 * layout, a tampered signature, a deleted tag, multi-arch --recursive, and an unreachable registry.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/oci/client.js";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";
import { buildTestImage, buildTestIndex, pushManifest, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../support/registry.js";

const skipReason = registryUnavailable();
const work = mkdtempSync(join(tmpdir(), "vouch-cli-image-"));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "image test password", VOUCH_CACHE_DIR: join(work, "cache") };
let registry: RunningRegistry;
let server: RunningVouch;
let root: string;
const key = join(work, "signer.key");
const pub = join(work, "signer.pub");

const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>;

describe.skipIf(skipReason !== undefined)("vouch sign / attest / verify / tree / download IMAGE against docker-registry 2.8", () => {
  beforeAll(async () => {
    [registry, server] = await Promise.all([startRegistry(), spawnVouch(["serve", "--port", "0"], { env })]);
    expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
    expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env }).code).toBe(0);
    root = join(work, "trust", "trusted_root.json");
    writeFileSync(join(work, "provenance.json"), JSON.stringify({ buildDefinition: { buildType: "https://vouch.dev/test@v1", externalParameters: {} }, runDetails: { builder: { id: "https://vouch.dev/builder" } } }));
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    expect(await server?.stop()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  });

  const push = async (repository: string, tag: string, seed: string) => {
    const image = buildTestImage({ layers: [[{ path: "etc/seed", content: seed }]] });
    const digest = await pushTestImage({ registry: registry.host, repository }, image, tag);
    return { image, digest, ref: `${registry.host}/${repository}:${tag}` };
  };
  const sign = (...args: string[]) => vouch(["sign", ...args, "--key", key, "--tlog-url", server.url], { env });
  const verifyKeyed = (...args: string[]) => vouch(["verify", ...args, "--key", pub, "--trusted-root", root], { env });

  it("sign → tree → verify: the digest is signed and found as a referrer through the tag schema", async () => {
    const { digest, ref } = await push("app", "1.0", "one");
    const signed = sign(ref, "-o", "json");
    expect(signed.code).toBe(0);
    expect(signed.stderr).toContain(`resolved to ${registry.host}/app@${digest}`);
    const summary = json(signed) as { image: string; entries: { digest: string; stored: { kind: string; via: string } }[] };
    expect(summary.image).toBe(`${registry.host}/app@${digest}`);
    expect(summary.entries).toEqual([expect.objectContaining({ digest, stored: expect.objectContaining({ kind: "referrer", via: "tag-schema" }) })]);

    // distribution 2.8 has no referrers API: 404 on the endpoint; vouch keeps the sha256-<hex> index instead.
    const referrersApi = await fetch(`${registry.url}/v2/app/referrers/${digest}`);
    expect(referrersApi.status).toBe(404);
    const fallback = await new RegistryClient().getManifest({ registry: registry.host, repository: "app" }, `sha256-${digest.slice(7)}`);
    expect(fallback.document.kind).toBe("index");

    const tree = vouch(["tree", ref, "-o", "json"], { env });
    expect(tree.code).toBe(0);
    const t = json(tree) as { referrersVia: string; referrers: { artifactType: string; annotations: Record<string, string> }[] };
    expect(t.referrersVia).toBe("tag-schema");
    expect(t.referrers).toHaveLength(1);
    expect(t.referrers[0]!.artifactType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(t.referrers[0]!.annotations["dev.sigstore.bundle.predicateType"]).toBe("https://sigstore.dev/cosign/sign/v1");
    expect(vouch(["tree", ref], { env }).stdout).toContain("referrers tag schema");

    const verified = verifyKeyed(ref, "-o", "json");
    expect(verified.stderr).toContain("resolved to");
    expect(verified.code).toBe(0);
    const v = json(verified) as { verified: boolean; checked: { source: string; verified: boolean; result: { tlogEntries: unknown[] } }[] };
    expect(v.verified).toBe(true);
    expect(v.checked).toHaveLength(1);
    expect(v.checked[0]).toMatchObject({ source: "referrer", verified: true });
    expect(v.checked[0]!.result.tlogEntries).toHaveLength(1);
    expect(verifyKeyed(ref).stdout).toMatch(/^ok {4}referrer/m);

    // Another key: found, refused, exit 1 with the reason.
    expect(vouch(["key", "generate", "--out", join(work, "other")], { env }).code).toBe(0);
    const wrong = vouch(["verify", ref, "--key", join(work, "other.pub"), "--trusted-root", root], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^FAIL/m);
    // stderr: the digest the tag resolved to, then one line saying why (no stack trace).
    expect(wrong.stderr.trim().split("\n")).toHaveLength(2);
    expect(wrong.stderr).toContain("none of 1 signatures verified");
    expect(wrong.stderr).not.toMatch(/^\s+at /m);
  });

  it("attestations and SBOMs: attest → verify --type; sbom attach → download is byte-identical; --attest signs it", async () => {
    const { ref } = await push("svc", "2.0", "two");
    expect(vouch(["attest", ref, "--type", "slsaprovenance", "--predicate", join(work, "provenance.json"), "--key", key, "--tlog-url", server.url], { env }).code).toBe(0);
    expect(verifyKeyed(ref, "--type", "slsaprovenance").code).toBe(0);
    // No signature yet, only an attestation: verifying signatures finds none.
    const unsigned = verifyKeyed(ref);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain("no signatures found");

    const sbom = JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, components: [{ type: "library", name: "left-pad", version: "1.3.0" }] }, null, 2);
    writeFileSync(join(work, "sbom.cdx.json"), sbom);
    const attached = vouch(["sbom", "attach", ref, "--sbom", join(work, "sbom.cdx.json"), "-o", "json"], { env });
    expect(attached.code).toBe(0);
    expect(json(attached)).toMatchObject({ format: "cyclonedx", sbomDigest: `sha256:${createHash("sha256").update(sbom).digest("hex")}`, signed: false });
    const downloaded = vouch(["download", "sbom", ref, "--output", join(work, "back.cdx.json")], { env });
    expect(downloaded.code).toBe(0);
    expect(readFileSync(join(work, "back.cdx.json"), "utf8")).toBe(sbom);
    // The registry's copy corrupted on disk (same size, one byte changed): refused, and no file is left behind.
    const hex = createHash("sha256").update(sbom).digest("hex");
    const blobFile = join(registry.dir, "storage", "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
    writeFileSync(blobFile, sbom.replace("left-pad", "left-pan"));
    const corrupt = vouch(["download", "sbom", ref, "--output", join(work, "corrupt.cdx.json")], { env });
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain("digest mismatch");
    expect(existsSync(join(work, "corrupt.cdx.json"))).toBe(false);
    writeFileSync(blobFile, sbom);

    expect(vouch(["sbom", "attach", ref, "--sbom", join(work, "sbom.cdx.json"), "--attest", "--key", key, "--tlog-url", server.url], { env }).code).toBe(0);
    expect(verifyKeyed(ref, "--type", "cyclonedx").code).toBe(0);
    const atts = vouch(["download", "attestation", ref], { env });
    expect(atts.code).toBe(0);
    const lines = atts.stdout.trim().split("\n").map((l) => JSON.parse(l) as { mediaType: string });
    expect(lines).toHaveLength(2);
    expect(lines.every((b) => b.mediaType === "application/vnd.dev.sigstore.bundle.v0.3+json")).toBe(true);
    const tree = json(vouch(["tree", ref, "-o", "json"], { env })) as { referrers: { artifactType: string }[] };
    expect(tree.referrers.map((r) => r.artifactType).sort()).toEqual(["application/vnd.cyclonedx+json", "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle.v0.3+json"]);
  });

  it("--tag-fallback writes cosign's .sig and .att images, which verify finds; a tampered one is refused", async () => {
    const { digest, ref } = await push("legacy", "3.0", "three");
    expect(sign(ref, "--tag-fallback").code).toBe(0);
    expect(vouch(["attest", ref, "--tag-fallback", "--type", "slsaprovenance", "--predicate", join(work, "provenance.json"), "--key", key, "--tlog-url", server.url], { env }).code).toBe(0);
    const client = new RegistryClient();
    const target = { registry: registry.host, repository: "legacy" };
    const sigImage = await client.getManifest(target, `sha256-${digest.slice(7)}.sig`);
    expect(sigImage.document.kind === "manifest" && sigImage.document.layers[0]!.mediaType).toBe("application/vnd.dev.cosign.simplesigning.v1+json");
    const layer = sigImage.document.kind === "manifest" ? sigImage.document.layers[0]! : undefined;
    expect(layer?.annotations?.["dev.cosignproject.cosign/signature"]).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(layer?.annotations?.["dev.sigstore.cosign/bundle"]).toContain("SignedEntryTimestamp");

    const v = json(verifyKeyed(ref, "-o", "json")) as { checked: { source: string; verified: boolean }[] };
    expect(v.checked).toEqual([expect.objectContaining({ source: "cosign-tag", verified: true })]);
    expect(verifyKeyed(ref, "--type", "slsaprovenance").code).toBe(0);

    // Tamper: the same .sig image with another signature value in the annotation.
    const doc = JSON.parse(Buffer.from(sigImage.bytes).toString("utf8")) as { layers: { annotations: Record<string, string> }[] };
    const sig = Buffer.from(doc.layers[0]!.annotations["dev.cosignproject.cosign/signature"]!, "base64");
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
    doc.layers[0]!.annotations["dev.cosignproject.cosign/signature"] = sig.toString("base64");
    await pushManifest(target, `sha256-${digest.slice(7)}.sig`, new TextEncoder().encode(JSON.stringify(doc)), sigImage.descriptor.mediaType);
    const tampered = verifyKeyed(ref, "-o", "json");
    expect(tampered.code).toBe(1);
    const t = json(tampered) as { verified: boolean; checked: { verified: boolean; code: string }[] };
    expect(t.verified).toBe(false);
    expect(t.checked[0]!.code).toMatch(/^VERIFY_/);
  });

  it("a deleted tag does not break verification by digest", async () => {
    const { digest, ref } = await push("moving", "4.0", "four");
    expect(sign(ref).code).toBe(0);
    // distribution 2.8 cannot DELETE a tag through the API; removing its link from storage is what `untag` does.
    rmSync(join(registry.dir, "storage", "docker", "registry", "v2", "repositories", "moving", "_manifests", "tags", "4.0"), { recursive: true });
    const byTag = verifyKeyed(ref);
    expect(byTag.code).toBe(2);
    const byDigest = verifyKeyed(`${registry.host}/moving@${digest}`);
    expect(byDigest.stderr).toBe("");
    expect(byDigest.code).toBe(0);
  });

  it("multi-arch: signing an index signs the index digest; --recursive signs each platform manifest too", async () => {
    const amd = buildTestImage({ layers: [[{ path: "arch", content: "amd64" }]], platform: { os: "linux", architecture: "amd64" } });
    const arm = buildTestImage({ layers: [[{ path: "arch", content: "arm64" }]], platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    const target = { registry: registry.host, repository: "multi" };
    await pushTestImage(target, amd);
    await pushTestImage(target, arm);
    const index = buildTestIndex([{ image: amd, platform: { os: "linux", architecture: "amd64" } }, { image: arm, platform: { os: "linux", architecture: "arm64", variant: "v8" } }]);
    await pushManifest(target, "5.0", index.bytes, index.mediaType);
    const ref = `${registry.host}/multi:5.0`;

    const once = json(sign(ref, "-o", "json")) as { entries: unknown[] };
    expect(once.entries).toHaveLength(1);
    expect(verifyKeyed(`${registry.host}/multi@${amd.manifest.digest}`).code).toBe(1);

    const all = json(sign(ref, "--recursive", "-o", "json")) as { entries: { digest: string; platform?: string }[] };
    expect(all.entries.map((e) => e.digest)).toEqual([index.digest, amd.manifest.digest, arm.manifest.digest]);
    expect(all.entries.map((e) => e.platform)).toEqual([undefined, "linux/amd64", "linux/arm64/v8"]);
    expect(verifyKeyed(`${registry.host}/multi@${arm.manifest.digest}`).code).toBe(0);
  });

  it("an unreachable registry is a one-line error naming it (exit 2); flags for the wrong kind of target are refused", () => {
    const down = verifyKeyed("127.0.0.1:9/app:1");
    expect(down.code).toBe(2);
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
    expect(down.stderr).toContain("127.0.0.1:9");
    const bundleForImage = vouch(["sign", `${registry.host}/app:1.0`, "--key", key, "--bundle", join(work, "x.json")], { env });
    expect(bundleForImage.code).toBe(2);
    writeFileSync(join(work, "file.txt"), "a file\n");
    const tagFallbackForFile = vouch(["sign", join(work, "file.txt"), "--key", key, "--tag-fallback"], { env });
    expect(tagFallbackForFile.code).toBe(2);
  });
});
