/**
 * `vouch policy eval IMAGE` end to end: images pushed to Debian's docker-registry and signed / attested with the CLI
 * against a running `vouch serve` log, then decided by the release-key policy and an SBOM policy, the
 * evidence gathered from the registry (gatherEvidence); and an unreachable registry meeting each outage action.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../support/registry.js";

const skipReason = registryUnavailable();
if (skipReason !== undefined) console.warn(`skipping vouch policy eval IMAGE tests: ${skipReason}`);
const REPO = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "vouch-policy-image-"));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "policy test password", VOUCH_CACHE_DIR: join(work, "cache") };
const key = join(work, "signer.key");
const pub = join(work, "signer.pub");
let registry: RunningRegistry;
let server: RunningVouch;
let root: string;

/** The first policy, as written except for the key's path and the registry (the test's loopback port). */
function releasePolicy(extra = ""): string {
  const text = readFileSync(join(REPO, "src", "policy", "fixtures", "policies", "issue-10.yaml"), "utf8").split("\n---\n")[0]!;
  const file = join(work, `release-${extra.length}.yaml`);
  writeFileSync(file, `${text.replace("/etc/vouch/release.pub", pub).replace("localhost:*", "127.0.0.1:*")}\n${extra}`);
  return file;
}

function cyclonedx(licenses: Record<string, string>): string {
  return JSON.stringify({
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    version: 1,
    metadata: { timestamp: "2026-01-01T00:00:00Z", component: { type: "container", name: "app", "bom-ref": "app" } },
    components: Object.entries(licenses).map(([name, id]) => ({ type: "library", name, version: "1.0.0", "bom-ref": name, purl: `pkg:npm/${name}@1.0.0`, licenses: [{ expression: id }] })),
  });
}

describe.skipIf(skipReason !== undefined)("vouch policy eval IMAGE against docker-registry", () => {
  beforeAll(async () => {
    [registry, server] = await Promise.all([startRegistry(), spawnVouch(["serve", "--port", "0"], { env })]);
    expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
    expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env }).code).toBe(0);
    root = join(work, "trust", "trusted_root.json");
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    expect(await server?.stop()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  });

  const push = async (repository: string, seed: string) => {
    const digest = await pushTestImage({ registry: registry.host, repository }, buildTestImage({ layers: [[{ path: "etc/seed", content: seed }]] }), "1.0");
    return { digest, ref: `${registry.host}/${repository}:1.0` };
  };
  const evalImage = (policy: string, ref: string, ...args: string[]) => vouch(["policy", "eval", "--policy", policy, ref, "--trusted-root", root, ...args], { env });

  it("admits an image signed by the release key and denies an unsigned one (exit 1)", async () => {
    const signed = await push("holdout/signed", "signed");
    expect(vouch(["sign", signed.ref, "--key", key, "--tlog-url", server.url], { env }).code).toBe(0);
    const ok = evalImage(releasePolicy(), signed.ref, "-o", "json");
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const d = JSON.parse(ok.stdout) as { allowed: boolean; images: { digest: string; policies: { evidence: { signers: { authority: string; logIndexes: string[] }[] } }[] }[] };
    expect(d.allowed).toBe(true);
    expect(d.images[0]!.digest).toBe(signed.digest);
    expect(d.images[0]!.policies[0]!.evidence.signers).toEqual([expect.objectContaining({ authority: "authority-0", logIndexes: [expect.stringMatching(/^\d+$/)] })]);

    const unsigned = await push("holdout/unsigned", "unsigned");
    const denied = evalImage(releasePolicy(), unsigned.ref);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/policy signed-by-release-key \(enforce\): FAIL/);
    expect(denied.stdout).toMatch(/no signature found for the image/);
  });

  it("an SBOM rule reads the signed SBOM attestation: a denied license denies, a clean SBOM passes", async () => {
    const sbomPolicy = releasePolicy(`  sbom:
    minQualityScore: 1
    deniedLicenses: [AGPL-3.0-only]
`);
    for (const [name, licenses, allowed] of [
      ["holdout/agpl", { left: "MIT", right: "AGPL-3.0-only" }, false],
      ["holdout/clean", { left: "MIT", right: "Apache-2.0" }, true],
    ] as const) {
      const image = await push(name, name);
      const file = join(work, `${name.replace("/", "-")}.cdx.json`);
      writeFileSync(file, cyclonedx(licenses));
      expect(vouch(["sign", image.ref, "--key", key, "--tlog-url", server.url], { env }).code).toBe(0);
      expect(vouch(["sbom", "attach", image.ref, "--sbom", file, "--attest", "--key", key, "--tlog-url", server.url], { env }).code).toBe(0);
      const r = evalImage(sbomPolicy, image.ref);
      expect(r.code, r.stdout + r.stderr).toBe(allowed ? 0 : 1);
      if (allowed) expect(r.stdout).toMatch(/✓ sbom: 1 signed SBOM attestation\(s\) checked/);
      else expect(r.stdout).toMatch(/✗ sbom: .*denied license in 1 component\(s\): right@1\.0\.0 \(AGPL-3\.0-only\)/);
    }
  });

  it("an unreachable registry meets onVerificationUnavailable: deny fails closed, allow-and-record admits for re-verification", () => {
    const gone = "127.0.0.1:9/holdout/app:1.0"; // discard port: nothing listens
    const closed = evalImage(releasePolicy(), gone);
    expect(closed.code).toBe(1);
    expect(closed.stdout).toMatch(/! unavailable: verification unavailable/);
    const open = evalImage(releasePolicy("  onVerificationUnavailable: allow-and-record\n"), gone, "-o", "json");
    expect(open.code).toBe(0);
    const d = JSON.parse(open.stdout) as { allowed: boolean; needsReconciliation: boolean; images: { policies: { degraded?: { action: string } }[] }[] };
    expect(d).toMatchObject({ allowed: true, needsReconciliation: true });
    expect(d.images[0]!.policies[0]!.degraded?.action).toBe("allow-and-record");
  });
});
