import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attestFiles, generateProvenance } from "../../src/api/attest.js";
import { generateKeyPair, keyId, publicKeyPem } from "../../src/core/crypto/keys.js";
import { KeySigner } from "../../src/sign/key-signer.js";
import { spawnVouch, vouchAsync, type RunningVouch } from "../support/cli.js";
import { attestProvenanceKeyless, GITHUB_RUN_ENV as GITHUB, startKeylessDeployment, WORKFLOW_IDENTITY, type KeylessDeployment } from "../support/keyless-deployment.js";

/**
 * The index's attestation trust end to end: a keyless attestation whose certificate comes from the deployment's own
 * CA (`vouch ca init` + `vouch serve`, a loopback OIDC issuer) is stored as verified with the workflow identity; and the
 * trust is re-read when its files change, so a rotated release key takes effect without restarting `vouch serve`.
 */
const REPO = join(import.meta.dirname, "..", "..");
const SBOM = join(REPO, "src", "sbom-index", "fixtures", "checkout-1.4.0-log4j-2.14.1.cdx.json");

interface Pushed {
  created: boolean;
  attestation: { verified: boolean; reason?: string; signer?: { identity: string; issuer?: string }; predicateType: string };
}

async function createToken(env: Record<string, string>): Promise<string> {
  const created = await vouchAsync(["token", "create", "--scope", "ingest,read", "--name", "ci"], { env });
  expect(created.code, created.stderr).toBe(0);
  return created.stdout.trim();
}

async function pushAttestation(file: string, server: string, token: string, env: Record<string, string>): Promise<Pushed> {
  const pushed = await vouchAsync(["push", "attestation", file, "--server", server, "--token", token, "-o", "json"], { env });
  expect(pushed.code, pushed.stderr).toBe(0);
  return JSON.parse(pushed.stdout) as Pushed;
}

describe("a keyless attestation signed through the deployment's own CA is stored as verified", () => {
  let deployment: KeylessDeployment;
  let token: string;

  beforeAll(async () => {
    deployment = await startKeylessDeployment("vouch-e2e-index-keyless-");
    await deployment.server.waitForOutput(/SBOM index at .*attestations/);
    token = await createToken(deployment.env);
  }, 120_000);
  afterAll(async () => {
    if (deployment !== undefined) expect(await deployment.stop()).toBe(0);
  });

  it("vouch attest --keyless (certificate from vouch serve's CA, entry in its log) → vouch push attestation → verified, with the workflow identity", async () => {
    const bundle = await attestProvenanceKeyless(deployment, "app.tar", "keyless app bytes\n", SBOM);

    const result = await pushAttestation(bundle, deployment.server.url, token, deployment.env);
    expect(result.attestation.reason).toBeUndefined();
    expect(result.attestation).toMatchObject({ verified: true, predicateType: "https://slsa.dev/provenance/v1", signer: { identity: WORKFLOW_IDENTITY, issuer: deployment.issuer.url } });
  });
});

describe("the index re-reads its trust when the files change (no restart)", () => {
  let work: string;
  let server: RunningVouch;
  let token: string;
  const env = () => ({ VOUCH_DATA_DIR: join(work, "data") });
  const oldKey = generateKeyPair();
  const newKey = generateKeyPair();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "vouch-e2e-index-trust-reload-"));
    writeFileSync(join(work, "release.pub"), publicKeyPem(oldKey.publicKey));
    writeFileSync(join(work, "vouch.yaml"), `index:\n  trust:\n    keys: [${JSON.stringify(join(work, "release.pub"))}]\n`);
    token = await createToken(env());
    server = await spawnVouch(["serve", "--port", "0", "--config", join(work, "vouch.yaml")], { env: env() });
    await server.waitForOutput(/SBOM index at .*attestations/);
  }, 60_000);
  afterAll(async () => {
    if (server !== undefined) expect(await server.stop()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  });

  async function bundleSignedBy(name: string, key: ReturnType<typeof generateKeyPair>): Promise<string> {
    const artifact = join(work, `${name}.tar`);
    writeFileSync(artifact, `${name} bytes`);
    const predicate = generateProvenance({ env: GITHUB, now: () => new Date("2026-11-01T00:00:00Z") });
    const a = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(key.privateKey) });
    const file = join(work, `${name}.sigstore.json`);
    writeFileSync(file, a.bundleJson);
    return file;
  }

  it("a key written into index.trust.keys while the server runs verifies the next attestation it signed", async () => {
    const before = await pushAttestation(await bundleSignedBy("before-rotation", newKey), server.url, token, env());
    expect(before.attestation.verified).toBe(false);
    expect(before.attestation.reason).toMatch(/^VERIFY_/);

    writeFileSync(join(work, "release.pub"), publicKeyPem(newKey.publicKey));
    const after = await pushAttestation(await bundleSignedBy("after-rotation", newKey), server.url, token, env());
    expect(after.attestation.reason).toBeUndefined();
    expect(after.attestation).toMatchObject({ verified: true, signer: { identity: `sha256:${keyId(newKey.publicKey)}` } });
  });
});
