import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leafHash } from "../../src/core/merkle/hash.js";
import { verifyInclusion } from "../../src/core/merkle/inclusion.js";
import { vouchAsync } from "../support/cli.js";
import { attestProvenanceKeyless, startKeylessDeployment, WORKFLOW_IDENTITY, type KeylessDeployment } from "../support/keyless-deployment.js";

/**
 * The dashboard's read endpoints (issue 11) in a real `vouch serve` (own CA, log and index, a loopback OIDC issuer),
 * fed through the CLI: `vouch serve` wires them (a wiring slip would only show here), a keyless attestation logged in
 * the server's own log answers its entry as `ownLog` with an inclusion proof that recomputes to the checkpoint's root
 * and that the log itself answers too, and key health, services, artifacts, SBOM components and decisions answer what
 * was pushed.
 */
const REPO = join(import.meta.dirname, "..", "..");
const SBOM = join(REPO, "src", "sbom-index", "fixtures", "checkout-1.4.0-log4j-2.14.1.cdx.json");
const hexBytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));

describe("vouch serve answers the dashboard's reads", () => {
  let deployment: KeylessDeployment;
  let token: string;
  let digest: string;
  let attestationId: string;
  const get = async (path: string) => {
    const res = await fetch(`${deployment.server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    deployment = await startKeylessDeployment("vouch-e2e-index-views-");
    await deployment.server.waitForOutput(/SBOM index at .*keys/);
    const created = await vouchAsync(["token", "create", "--scope", "ingest,read", "--name", "ci"], { env: deployment.env });
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();

    const bundle = await attestProvenanceKeyless(deployment, "app.tar", "keyless app bytes for the dashboard\n", SBOM);
    const pushed = await vouchAsync(["push", "attestation", bundle, "--server", deployment.server.url, "--token", token, "-o", "json"], { env: deployment.env });
    expect(pushed.code, pushed.stderr).toBe(0);
    const record = (JSON.parse(pushed.stdout) as { attestation: { id: string; verified: boolean; subjects: { digest: string }[] } }).attestation;
    expect(record.verified).toBe(true);
    attestationId = record.id;
    digest = record.subjects[0]!.digest;

    const sbom = await vouchAsync(["push", "sbom", SBOM, "--service", "app", "--version", "1.0.0", "--digest", digest, "--server", deployment.server.url, "--token", token], { env: deployment.env });
    expect(sbom.code, sbom.stderr).toBe(0);
    const deployed = await vouchAsync(["push", "deployment", "--service", "app", "--environment", "prod", "--digest", digest, "--server", deployment.server.url, "--token", token], { env: deployment.env });
    expect(deployed.code, deployed.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    if (deployment !== undefined) expect(await deployment.stop()).toBe(0);
  });

  it("answers the attestation's own-log entry with an inclusion proof that recomputes to its checkpoint's root, as the log answers it", async () => {
    const { status, body } = await get(`/api/v1/attestations/${attestationId}`);
    expect(status).toBe(200);
    expect(body.logEntries).toHaveLength(1);
    const entry = body.logEntries[0];
    expect(entry).toMatchObject({ ownLog: true, kind: expect.stringMatching(/^(dsse|intoto) /), leafHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const proof = entry.inclusionProof;
    expect(proof.checkpoint).toContain(`\n${proof.treeSize}\n${Buffer.from(proof.rootHash, "hex").toString("base64")}\n`);
    const check = verifyInclusion(BigInt(proof.logIndex), BigInt(proof.treeSize), hexBytes(entry.leafHash), proof.hashes.map(hexBytes), hexBytes(proof.rootHash));
    expect(check).toMatchObject({ ok: true });
    // The log itself answers the same entry: its body hashes to the leaf hash the bundle gave.
    const fromLog = await get(`/api/v1/log/entries?logIndex=${entry.logIndex}`);
    expect(fromLog.status).toBe(200);
    const [logged] = Object.values(fromLog.body) as { body: string }[];
    expect(Buffer.from(leafHash(Buffer.from(logged!.body, "base64"))).toString("hex")).toBe(entry.leafHash);

    const listed = await get(`/api/v1/attestations?digest=${digest}`);
    expect(listed.body.attestations.map((a: { id: string }) => a.id)).toEqual([attestationId]);
    expect((await get("/api/v1/attestations?verified=false")).body).toEqual({ attestations: [] });
  });

  it("answers key health, services, the artifact, its SBOM's components, decisions and SLO targets", async () => {
    const keys = await get("/api/v1/keys");
    expect(keys.status).toBe(200);
    expect(keys.body).toMatchObject({ rotateAfterDays: 90, warnBeforeDays: 14, keys: [{ identity: WORKFLOW_IDENTITY, issuer: deployment.issuer.url, kind: "certificate", status: "ok", signatures: 1, artifacts: 1, services: ["app"], inUse: [] }] });

    const services = await get("/api/v1/services");
    expect(services.body.services).toEqual([
      { name: "app", releases: [expect.objectContaining({ version: "1.0.0", digest, format: "cyclonedx" })], deployments: [{ environment: "prod", digest, at: expect.any(String) }] },
    ]);

    const artifact = await get(`/api/v1/artifacts/${digest}`);
    expect(artifact.status).toBe(200);
    expect(artifact.body).toMatchObject({ digest, services: ["app"], deployments: [{ service: "app", environment: "prod", current: true, source: "push" }], attestations: [{ id: attestationId, verified: true }] });
    expect(artifact.body.vulnerabilities).toBeUndefined();

    const sbomId = artifact.body.sboms[0].sbomId;
    const components = await get(`/api/v1/sboms/${sbomId}/components?q=LOG4J`);
    expect(components.body).toMatchObject({ sbomId, offset: 0 });
    expect(components.body.total).toBeGreaterThan(0);
    for (const c of components.body.components) expect(JSON.stringify(c).toLowerCase()).toContain("log4j");

    expect((await get("/api/v1/decisions")).body).toEqual({ events: [] });
    expect((await get("/api/v1/slis")).body.targets).toEqual({ signedDeploymentRatio: 0.95, sbomCoverage: 0.9, sbomAlignment: 0.9, provenanceCompleteness: 0.8, denyRate: 0.05 });
    expect((await get(`/api/v1/artifacts/sha256:${"0".repeat(64)}`)).status).toBe(404);
  });
});
