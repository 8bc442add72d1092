/**
 * Issue 7's referrers-API path end to end, against the in-process OCI distribution-spec 1.1 registry
 * (test/support/oci-registry.ts): Debian's docker-registry 2.8 in cli-image-sign.test.ts has no referrers API, so
 * this is where `via: "api"` is proven. Through the library (src/public/image.ts) and the CLI (vouchAsync: the
 * registry runs in this process, which a blocking spawnSync would freeze):
 *
 * - sign / attest / sbom attach / verify / tree / download store and find referrers through the API, and no
 *   `sha256-<hex>` fallback tag is written once the registry answers a manifest PUT with `OCI-Subject`
 *   (distribution-spec "Pushing Manifests with Subject": the client MUST NOT need the tag schema then);
 * - a registry upgraded to the API (distribution-spec "Enabling the Referrers API": the registry MUST list the
 *   manifests with a subject pushed before, including those in a referrers tag schema index) still shows what was
 *   attached through the tag schema, and later attachments do not touch the stale fallback index;
 * - faults: 503s then success (bounded retries), a registry that stays down (SERVICE_UNAVAILABLE naming it, CLI
 *   exit 2 in one line), corrupt referrer manifests and bundles (refused, never verified, never cached);
 * - basic auth from --registry-username/--registry-password and from a Docker config.json (DOCKER_CONFIG).
 *
 * Signatures go to a real `vouch serve` log in the first case (default thresholds: one log entry, one trusted
 * time); the others sign without a log and verify with --tlog-threshold 0 --timestamp-threshold 0.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/oci/client.js";
import { attachSbom, attestImage, downloadFromImage, imageTree, signImage } from "../../src/public/image.js";
import { createImageVerifier, verifyImage } from "../../src/public/image-verify.js";
import { spawnVouch, vouch, vouchAsync, type CliResult, type RunningVouch } from "../support/cli.js";
import { startOciRegistry, storeTestImage, type RunningOciRegistry } from "../support/oci-registry.js";

const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
const SLSA = "https://slsa.dev/provenance/v1";
const PASSWORD = "referrers api test password";

const work = mkdtempSync(join(tmpdir(), "vouch-referrers-api-"));
// HOME points at the work directory: no Docker config of the machine running the tests is ever read.
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: PASSWORD, VOUCH_CACHE_DIR: join(work, "cache"), HOME: work };
const key = join(work, "signer.key");
const pub = join(work, "signer.pub");
const predicateFile = join(work, "provenance.json");
const sbomFile = join(work, "sbom.cdx.json");
const sbomText = `${JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, components: [{ type: "library", name: "left-pad", version: "1.3.0" }] }, null, 2)}\n`;
let server: RunningVouch;
let root: string;
const registries: RunningOciRegistry[] = [];

/** Library options: the key, no prompt, the isolated environment. */
const signer = { key, password: { env: { VOUCH_PASSWORD: PASSWORD } }, env };
/** Keyed verification without a log (the signatures of these cases were not logged). */
const noLog = { key: pub, tlogThreshold: 0, timestampThreshold: 0, cache: false as const, env };
const noLogFlags = ["--key", pub, "--tlog-threshold", "0", "--timestamp-threshold", "0"];

const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;
const cli = (args: string[], extraEnv: Record<string, string> = {}) => vouchAsync(args, { env: { ...env, ...extraEnv } });

async function registry(options: Parameters<typeof startOciRegistry>[0] = {}): Promise<RunningOciRegistry> {
  const r = await startOciRegistry(options);
  registries.push(r);
  return r;
}


const fallbackTag = (digest: string) => `sha256-${digest.slice("sha256:".length)}`;
/** Requests that touched the referrers tag schema index of `digest` (read or written). */
const fallbackRequests = (r: RunningOciRegistry, repository: string, digest: string) => r.requests.filter((q) => q.path.split("?")[0] === `/v2/${repository}/manifests/${fallbackTag(digest)}`);
/** A downloaded item's content as text (whole bytes, or the verified stream it opens). */
async function contentOf(item: object): Promise<string> {
  const i = item as { bytes?: Uint8Array; open?: () => Promise<ReadableStream<Uint8Array>> };
  if (i.bytes !== undefined) return Buffer.from(i.bytes).toString("utf8");
  return new Response(await i.open!()).text();
}
/** A client whose retries do not wait (the library's knob for it: RegistryAccessOptions.client). */
const instantClient = (options: ConstructorParameters<typeof RegistryClient>[0] = {}) => new RegistryClient({ sleep: () => Promise.resolve(), ...options });

beforeAll(async () => {
  server = await spawnVouch(["serve", "--port", "0"], { env });
  // spawnSync is fine here: no in-process registry is running yet.
  expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
  expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env }).code).toBe(0);
  root = join(work, "trust", "trusted_root.json");
  writeFileSync(predicateFile, JSON.stringify({ buildDefinition: { buildType: "https://vouch.dev/test@v1", externalParameters: {} }, runDetails: { builder: { id: "https://vouch.dev/builder" } } }));
  writeFileSync(sbomFile, sbomText);
}, 60_000);

afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  expect(await server?.stop()).toBe(0);
  rmSync(work, { recursive: true, force: true });
});

describe("the library against an OCI 1.1 registry with the referrers API", () => {
  it("sign, attest, sbom attach → tree, verify, download: all through the API, logged in vouch serve, no fallback tag", async () => {
    const r = await registry();
    const { digest, ref, pinned } = storeTestImage(r, "app", "1.0", "one");
    const logged = { ...signer, tlogUrl: server.url };

    const signed = await signImage(ref, logged);
    expect(signed.pinned).toBe(pinned);
    expect(signed.resolvedFromTag).toBe(true);
    expect(signed.entries).toHaveLength(1);
    expect(signed.entries[0]!.stored).toMatchObject({ kind: "referrer", via: "api" });
    expect(signed.entries[0]!.bundle.tlogEntries).toHaveLength(1);
    const attested = await attestImage(ref, { ...logged, type: "slsaprovenance", predicatePath: predicateFile });
    expect(attested.entries[0]!.stored).toMatchObject({ kind: "referrer", via: "api" });
    const sbom = await attachSbom(ref, { ...signer, sbom: sbomFile });
    expect(sbom.stored).toMatchObject({ kind: "referrer", via: "api" });
    expect(sbom.sbomDigest).toBe(`sha256:${createHash("sha256").update(sbomText).digest("hex")}`);

    // The registry indexed each manifest itself (OCI-Subject): the tag schema was neither read nor written, and the
    // repository holds no tag but the image's (no sha256-<hex>, no cosign .sig/.att).
    expect(fallbackRequests(r, "app", digest)).toEqual([]);
    expect(r.tags("app")).toEqual(["1.0"]);
    const referrerPuts = r.requests.filter((q) => q.method === "PUT" && /\/manifests\/sha256:/.test(q.path));
    expect(referrerPuts).toHaveLength(3);
    expect(referrerPuts.every((q) => q.status === 201)).toBe(true);

    const tree = await imageTree(ref, { env });
    expect(tree.referrersVia).toBe("api");
    expect(tree.cosignTags).toEqual([]);
    expect(tree.referrers.map((n) => n.artifactType).sort()).toEqual(["application/vnd.cyclonedx+json", BUNDLE_TYPE, BUNDLE_TYPE]);
    expect(tree.referrers.filter((n) => n.artifactType === BUNDLE_TYPE).map((n) => n.annotations?.["dev.sigstore.bundle.predicateType"]).sort()).toEqual([SIGN_PREDICATE, SLSA]);
    expect(r.requests.some((q) => q.method === "GET" && q.path.startsWith(`/v2/app/referrers/${digest}`) && q.status === 200)).toBe(true);

    // Default thresholds: the log entry and its signed time must verify against the exported trusted root.
    const verified = await verifyImage(ref, { key: pub, trustedRoot: root, cache: false, env });
    expect(verified).toMatchObject({ pinned, verified: true, referrersVia: "api", mode: "signature" });
    expect(verified.checked).toHaveLength(1);
    expect(verified.checked[0]).toMatchObject({ source: "referrer", kind: "signature", verified: true, predicateType: SIGN_PREDICATE });
    expect(verified.checked[0]!.result!.tlogEntries).toHaveLength(1);
    const attestation = await verifyImage(ref, { key: pub, trustedRoot: root, type: "slsaprovenance", cache: false, env });
    expect(attestation.checked).toEqual([expect.objectContaining({ verified: true, predicateType: SLSA })]);

    const sboms = await downloadFromImage("sbom", ref, { env });
    expect(sboms.items).toHaveLength(1);
    expect(await contentOf(sboms.items[0]!)).toBe(sbomText);
    expect(sboms.items[0]!.mediaType).toBe("application/vnd.cyclonedx+json");
    const atts = await downloadFromImage("attestation", ref, { env });
    expect(atts.items.map((i) => i.predicateType)).toEqual([SLSA]);
    const sigs = await downloadFromImage("signature", ref, { env });
    expect(sigs.items).toHaveLength(1);
    expect((JSON.parse(await contentOf(sigs.items[0]!)) as { mediaType: string }).mediaType).toBe(BUNDLE_TYPE);
  });

  it("a registry upgraded to the referrers API: what was attached through the tag schema is still found, and the stale index is left alone", async () => {
    const r = await registry({ referrers: false });
    const { digest, ref } = storeTestImage(r, "upgraded", "1.0", "upgrade");
    const before = await signImage(ref, signer);
    expect(before.entries[0]!.stored).toMatchObject({ kind: "referrer", via: "tag-schema" });
    expect(r.tags("upgraded")).toEqual(["1.0", fallbackTag(digest)]);
    const staleIndex = r.manifest("upgraded", fallbackTag(digest))!;
    expect((JSON.parse(Buffer.from(staleIndex.bytes).toString("utf8")) as { manifests: unknown[] }).manifests).toHaveLength(1);
    expect((await verifyImage(ref, noLog)).referrersVia).toBe("tag-schema");

    // distribution-spec "Enabling the Referrers API": the registry now lists every manifest with a subject, those in
    // the tag schema index included, so the API alone is the complete answer and vouch asks only it.
    r.setReferrers(true);
    const mark = r.requests.length;
    const after = await verifyImage(ref, noLog);
    expect(after.referrersVia).toBe("api");
    expect(after.checked).toEqual([expect.objectContaining({ source: "referrer", verified: true, location: before.entries[0]!.stored.manifest })]);
    expect(fallbackRequests({ ...r, requests: r.requests.slice(mark) }, "upgraded", digest)).toEqual([]);

    // New attachments go through the API; the old fallback index is neither read nor rewritten (it is stale now,
    // and a client that reads only the tag schema misses the new attestation, as the spec warns).
    const attested = await attestImage(ref, { ...signer, type: "slsaprovenance", predicatePath: predicateFile });
    expect(attested.entries[0]!.stored).toMatchObject({ via: "api" });
    expect(r.manifest("upgraded", fallbackTag(digest))!.digest).toBe(staleIndex.digest);
    expect(fallbackRequests({ ...r, requests: r.requests.slice(mark) }, "upgraded", digest)).toEqual([]);
    const tree = await imageTree(ref, { env });
    expect(tree.referrersVia).toBe("api");
    expect(tree.referrers.map((n) => n.annotations?.["dev.sigstore.bundle.predicateType"]).sort()).toEqual([SIGN_PREDICATE, SLSA]);
    expect((await verifyImage(ref, { ...noLog, type: "slsaprovenance" })).verified).toBe(true);
  });

  it("503s then success: retried a bounded number of times, then everything verifies", async () => {
    const r = await registry();
    const { digest, ref } = storeTestImage(r, "flaky", "1.0", "flaky");
    await signImage(ref, signer);
    // Two 503s on the referrers listing, one on the manifest (the tag, resolved with a GET): each request gets its own retries.
    const listing = r.setFault({ kind: "status", status: 503, method: "GET", path: `/v2/flaky/referrers/${digest}`, times: 2 });
    const head = r.setFault({ kind: "status", status: 503, method: "GET", path: "/v2/flaky/manifests/1.0", times: 1 });
    const verified = await verifyImage(ref, { ...noLog, client: instantClient() });
    expect(verified.verified).toBe(true);
    expect(verified.referrersVia).toBe("api");
    expect(listing.hits()).toBe(2);
    expect(head.hits()).toBe(1);
    expect(r.requests.filter((q) => q.path === `/v2/flaky/referrers/${digest}`).map((q) => q.status)).toEqual([503, 503, 200]);
  });

  it("a registry that stays down: SERVICE_UNAVAILABLE naming the registry after the bounded tries (503), or at once (500: terminal per the spec)", async () => {
    const r = await registry();
    const { ref } = storeTestImage(r, "down", "1.0", "down");
    r.setFault({ kind: "status", status: 503, path: /^\/v2\/down\//, times: Infinity });
    const error = await verifyImage(ref, { ...noLog, client: instantClient() }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe("SERVICE_UNAVAILABLE");
    expect(error?.message).toContain(r.host);
    expect(error?.message).toContain("4 tries");
    expect(r.requests.filter((q) => q.path === "/v2/down/manifests/1.0")).toHaveLength(4);

    r.clearFaults();
    r.setFault({ kind: "status", status: 500, path: /^\/v2\/down\//, times: Infinity });
    const mark = r.requests.length;
    await expect(signImage(ref, { ...signer, client: instantClient() })).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE", message: expect.stringContaining(r.host) });
    expect(r.requests.slice(mark)).toHaveLength(1);
  });

  it("a corrupt referrer manifest or bundle is refused, never verified, and never cached", async () => {
    const r = await registry();
    const { ref } = storeTestImage(r, "lying", "1.0", "lying");
    const signed = await signImage(ref, signer);
    const manifestDigest = signed.entries[0]!.stored.manifest;
    const manifest = JSON.parse(Buffer.from(r.manifest("lying", manifestDigest)!.bytes).toString("utf8")) as { layers: { digest: string }[] };
    const bundleDigest = manifest.layers[0]!.digest;
    const verifier = await createImageVerifier({ key: pub, tlogThreshold: 0, timestampThreshold: 0, env });

    r.setFault({ kind: "corrupt", method: "GET", path: `/v2/lying/manifests/${manifestDigest}`, times: Infinity });
    const badManifest = await verifier.inspect(ref);
    expect(badManifest.verified).toBe(false);
    expect(badManifest.checked).toEqual([expect.objectContaining({ verified: false, code: "INPUT_MALFORMED", location: manifestDigest })]);
    expect(badManifest.checked[0]!.reason).toContain(manifestDigest);
    await expect(verifier.verify(ref)).rejects.toMatchObject({ code: "VERIFY_NOT_SIGNED" });

    r.clearFaults();
    r.setFault({ kind: "corrupt", method: "GET", path: `/v2/lying/blobs/${bundleDigest}`, times: Infinity });
    const badBundle = await verifier.inspect(ref);
    expect(badBundle.checked).toEqual([expect.objectContaining({ verified: false, code: "INPUT_MALFORMED" })]);
    expect(badBundle.checked[0]!.reason).toContain(bundleDigest);

    // The verifier caches content by digest: what it refused is not in the cache, so the honest registry verifies.
    r.clearFaults();
    expect((await verifier.verify(ref)).verified).toBe(true);
  });

  it("a referrers list in pages (Link): every page is read", async () => {
    const r = await registry({ referrersPageSize: 1 });
    const { digest, ref } = storeTestImage(r, "paged", "1.0", "paged");
    await attachSbom(ref, { ...signer, sbom: sbomFile, now: () => new Date("2024-01-01T00:00:00Z") });
    await attachSbom(ref, { ...signer, sbom: sbomFile, now: () => new Date("2024-01-02T00:00:00Z") });
    await signImage(ref, signer);
    const tree = await imageTree(ref, { env });
    expect(tree.referrers).toHaveLength(3);
    expect(r.requests.filter((q) => q.path.startsWith(`/v2/paged/referrers/${digest}`) && q.status === 200).length).toBeGreaterThanOrEqual(3);
    expect((await verifyImage(ref, noLog)).verified).toBe(true);
  });

  // Fails as of 5b4a031 (a bug in src/oci/manifest.ts parseMediaTypeField, reached through src/oci/referrers.ts
  // asIndex): one descriptor whose artifactType carries a parameter (what @sigstore/oci wrote for actions/attest v1:
  // `application/vnd.dev.sigstore.bundle+json;version=0.2`) makes the whole referrers answer "not an image index";
  // vouch then reads the empty tag schema and every other referrer of the image disappears with it. Anyone who can
  // push to the repository can so hide an image's valid signatures (verification fails closed, deployments stop).
  it("one referrer with a parameterized artifactType does not hide the image's other referrers", async () => {
    const r = await registry();
    const { digest, ref } = storeTestImage(r, "mixed", "1.0", "mixed");
    await signImage(ref, signer);
    const odd = "application/vnd.dev.sigstore.bundle+json;version=0.2";
    const empty = r.putBlob("mixed", new TextEncoder().encode("{}"));
    const layerBytes = new TextEncoder().encode(JSON.stringify({ mediaType: odd }));
    const layer = r.putBlob("mixed", layerBytes);
    const subject = r.manifest("mixed", digest)!;
    const referrer = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: odd,
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty, size: 2 },
        layers: [{ mediaType: odd, digest: layer, size: layerBytes.byteLength }],
        subject: { mediaType: subject.mediaType, digest, size: subject.bytes.byteLength },
      }),
    );
    r.putManifest("mixed", `sha256:${createHash("sha256").update(referrer).digest("hex")}`, referrer, "application/vnd.oci.image.manifest.v1+json");
    const listing = (await (await fetch(`${r.url}/v2/mixed/referrers/${digest}`)).json()) as { manifests: { artifactType: string }[] };
    expect(listing.manifests.map((m) => m.artifactType).sort()).toEqual([BUNDLE_TYPE, odd].sort());

    const tree = await imageTree(ref, { env });
    expect(tree.referrersVia).toBe("api");
    expect(tree.referrers).toHaveLength(2);
    const verified = await verifyImage(ref, noLog);
    expect(verified.referrersVia).toBe("api");
    expect(verified.checked.filter((c) => c.verified)).toHaveLength(1);
  });
});

describe("the CLI against an OCI 1.1 registry with the referrers API", () => {
  it("vouch sign / verify / tree / download: via the referrers API, logged in vouch serve", async () => {
    const r = await registry();
    const { digest, ref, pinned } = storeTestImage(r, "cli", "2.0", "cli");
    const signed = await cli(["sign", ref, "--key", key, "--tlog-url", server.url, "-o", "json"]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain(`resolved to ${pinned}`);
    expect(json<{ entries: { stored: { kind: string; via: string } }[] }>(signed).entries).toEqual([expect.objectContaining({ stored: expect.objectContaining({ kind: "referrer", via: "api" }) })]);
    const sbom = await cli(["sbom", "attach", ref, "--sbom", sbomFile]);
    expect(sbom.code, sbom.stderr).toBe(0);
    expect(sbom.stdout).toContain("(referrers API)");
    expect(r.tags("cli")).toEqual(["2.0"]);
    expect(fallbackRequests(r, "cli", digest)).toEqual([]);

    const verified = await cli(["verify", ref, "--key", pub, "--trusted-root", root, "-o", "json"]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(json(verified)).toMatchObject({ verified: true, image: pinned, referrersVia: "api", checked: [{ source: "referrer", verified: true }] });
    const text = await cli(["verify", ref, "--key", pub, "--trusted-root", root]);
    expect(text.stdout).toMatch(/^ok {4}referrer/m);
    expect(text.stdout).toContain(`Verified OK: 1 of 1 signature for ${pinned}`);

    const tree = await cli(["tree", ref, "-o", "json"]);
    expect(tree.code, tree.stderr).toBe(0);
    expect(json<{ referrersVia: string; referrers: unknown[] }>(tree)).toMatchObject({ referrersVia: "api" });
    expect(json<{ referrers: unknown[] }>(tree).referrers).toHaveLength(2);
    expect((await cli(["tree", ref])).stdout).toContain("referrers (referrers API)");
    const back = join(work, "cli-back.cdx.json");
    const downloaded = await cli(["download", "sbom", ref, "--output", back]);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(readFileSync(back, "utf8")).toBe(sbomText);
  });

  it("faults: a 503 is retried; a registry that stays down is one line naming it, exit 2; a corrupt bundle is FAIL, exit 1, and not cached", async () => {
    const r = await registry();
    const { digest, ref } = storeTestImage(r, "faults", "1.0", "faults");
    expect((await cli(["sign", ref, "--key", key])).code).toBe(0);
    const cache = join(work, "faults-cache");

    r.setFault({ kind: "status", status: 503, method: "GET", path: `/v2/faults/referrers/${digest}`, times: 1 });
    const retried = await cli(["verify", ref, ...noLogFlags], { VOUCH_CACHE_DIR: cache });
    expect(retried.code, retried.stderr).toBe(0);
    expect(r.requests.filter((q) => q.path === `/v2/faults/referrers/${digest}`).map((q) => q.status)).toEqual([503, 200]);

    // Real backoff here (the CLI has no knob for it): 3 waits of at most 0.25 + 0.5 + 1 s.
    r.setFault({ kind: "status", status: 503, path: /^\/v2\/faults\//, times: Infinity });
    const down = await cli(["verify", ref, ...noLogFlags], { VOUCH_CACHE_DIR: cache });
    expect(down.code).toBe(2);
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
    expect(down.stderr).toContain(r.host);
    expect(down.stderr).toContain("503");
    expect(down.stdout).toBe("");

    r.clearFaults();
    const layer = (JSON.parse(Buffer.from(r.manifest("faults", (await verifyImage(ref, noLog)).checked[0]!.location)!.bytes).toString("utf8")) as { layers: { digest: string }[] }).layers[0]!;
    r.setFault({ kind: "corrupt", method: "GET", path: `/v2/faults/blobs/${layer.digest}`, times: Infinity });
    const fresh = join(work, "faults-cache-2");
    const corrupt = await cli(["verify", ref, ...noLogFlags, "-o", "json"], { VOUCH_CACHE_DIR: fresh });
    expect(corrupt.code).toBe(1);
    expect(json(corrupt)).toMatchObject({ verified: false, checked: [{ verified: false, code: "INPUT_MALFORMED" }] });
    r.clearFaults();
    const honest = await cli(["verify", ref, ...noLogFlags], { VOUCH_CACHE_DIR: fresh });
    expect(honest.code, honest.stderr).toBe(0);

    // An SBOM whose bytes do not match its digest: to a file, nothing is written (the stream is checked to its end
    // before the file is renamed into place); exit 2 with the digest mismatch.
    expect((await cli(["sbom", "attach", ref, "--sbom", sbomFile])).code).toBe(0);
    const sbomLayer = createHash("sha256").update(sbomText).digest("hex");
    r.setFault({ kind: "corrupt", method: "GET", path: `/v2/faults/blobs/sha256:${sbomLayer}`, times: Infinity });
    const out = join(work, "faults-sbom.json");
    const download = await cli(["download", "sbom", ref, "--output", out]);
    expect(download.code).toBe(2);
    expect(download.stderr).toContain("digest mismatch");
    expect(existsSync(out)).toBe(false);
    r.clearFaults();
  });

  it("basic auth: --registry-username/--registry-password, and a Docker config.json found through DOCKER_CONFIG", async () => {
    const r = await registry({ auth: { username: "ci", password: "s3cret" } });
    const built = storeTestImage(r, "private", "1.0", "private");
    const creds = ["--registry-username", "ci", "--registry-password", "s3cret"];

    const anonymous = await cli(["sign", built.ref, "--key", key]);
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr.trim().split("\n")).toHaveLength(1);
    expect(anonymous.stderr).toContain(r.host);

    const signed = await cli(["sign", built.ref, "--key", key, ...creds, "-o", "json"]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(json<{ entries: { stored: { via: string } }[] }>(signed).entries[0]!.stored.via).toBe("api");
    const basic = `Basic ${Buffer.from("ci:s3cret").toString("base64")}`;
    expect(r.requests.filter((q) => q.method === "PUT").every((q) => q.headers.authorization === basic)).toBe(true);
    expect((await cli(["verify", built.ref, ...noLogFlags, ...creds])).code).toBe(0);

    const wrong = await cli(["verify", built.ref, ...noLogFlags, "--registry-username", "ci", "--registry-password", "nope"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("ci");

    // `docker login` leaves {"auths": {"host:port": {"auth": base64(user:password)}}} in $DOCKER_CONFIG/config.json.
    const dockerConfig = join(work, "docker-config");
    mkdirSync(dockerConfig, { recursive: true });
    writeFileSync(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [r.host]: { auth: Buffer.from("ci:s3cret").toString("base64") } } }));
    const viaConfig = await cli(["verify", built.ref, ...noLogFlags, "-o", "json"], { DOCKER_CONFIG: dockerConfig });
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    expect(json(viaConfig)).toMatchObject({ verified: true, referrersVia: "api" });
    const attached = await cli(["sbom", "attach", built.ref, "--sbom", sbomFile], { DOCKER_CONFIG: dockerConfig });
    expect(attached.code, attached.stderr).toBe(0);
    const tree = await cli(["tree", built.ref, "-o", "json"], { DOCKER_CONFIG: dockerConfig });
    expect(json<{ referrers: unknown[] }>(tree).referrers).toHaveLength(2);

    // A credential helper is not run (it is a program the config names): a warning says so, and without other
    // credentials the registry's refusal is the one-line error.
    const helperConfig = join(work, "docker-config-helper");
    mkdirSync(helperConfig, { recursive: true });
    writeFileSync(join(helperConfig, "config.json"), JSON.stringify({ credHelpers: { [r.host]: "ecr-login" } }));
    const viaHelper = await cli(["tree", built.ref], { DOCKER_CONFIG: helperConfig });
    expect(viaHelper.code).toBe(2);
    expect(viaHelper.stderr).toContain("warning: ");
    expect(viaHelper.stderr).toContain("docker-credential-ecr-login");
  });
});
