import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attestFiles, generateProvenance } from "../../src/api/attest.js";
import { generateKeyPair, keyId, publicKeyPem } from "../../src/core/crypto/keys.js";
import { KeySigner } from "../../src/sign/key-signer.js";
import { spawnVouch, vouchAsync, type RunningVouch } from "../support/cli.js";

/**
 * Attestations and the provenance graph end to end: `vouch serve` (a real process, SQLite in its data directory,
 * index.trust.keys naming a release key) + `vouch token create` + `vouch push sbom` / `push deployment` +
 * `vouch push attestation` (a SLSA provenance made by `vouch provenance`'s library function and attested with the
 * key, once logged in the server's own transparency log) + `vouch query provenance` by digest, commit and signer.
 */
const REPO = join(import.meta.dirname, "..", "..");
const SBOM = join(REPO, "src", "sbom-index", "fixtures", "checkout-1.4.0-log4j-2.14.1.cdx.json");
const COMMIT = "fedcba9876543210fedcba9876543210fedcba98";
const GITHUB = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "acme/checkout",
  GITHUB_RUN_ID: "4242",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_REF: "refs/tags/v1.4.0",
  GITHUB_SHA: COMMIT,
  GITHUB_WORKFLOW_REF: "acme/checkout/.github/workflows/release.yml@refs/tags/v1.4.0",
  GITHUB_EVENT_NAME: "push",
};

describe("vouch push attestation + vouch query provenance against vouch serve (SQLite)", () => {
  let work: string;
  let server: RunningVouch;
  let token: string;
  const release = generateKeyPair();
  const stranger = generateKeyPair();
  const env = () => ({ VOUCH_DATA_DIR: join(work, "data") });
  const cli = (args: string[]) => vouchAsync(args, { env: env() });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "vouch-e2e-provenance-"));
    writeFileSync(join(work, "release.pub"), publicKeyPem(release.publicKey));
    const config = join(work, "vouch.yaml");
    writeFileSync(config, `index:\n  trust:\n    keys: [${JSON.stringify(join(work, "release.pub"))}]\n`);
    const created = await cli(["token", "create", "--scope", "ingest,read", "--name", "ci"]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();
    server = await spawnVouch(["serve", "--port", "0", "--config", config], { env: env() });
  }, 60_000);
  afterAll(async () => {
    if (server !== undefined) expect(await server.stop()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  });

  async function bundleFile(name: string, key = release.privateKey, tlogUrl?: string, sbomPath = SBOM): Promise<{ file: string; digest: string }> {
    const artifact = join(work, `${name}.tar`);
    writeFileSync(artifact, `${name} image bytes`);
    const predicate = generateProvenance({ env: GITHUB, sbomPath, now: () => new Date("2025-05-01T00:00:00Z") });
    const a = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(key), ...(tlogUrl ? { tlogUrl } : {}) });
    const file = join(work, `${name}.sigstore.json`);
    writeFileSync(file, a.bundleJson);
    return { file, digest: `sha256:${a.statement.subject[0]!.digest.sha256}` };
  }

  it("stores a provenance logged in the server's own log as verified (its log entry checked against the deployment's root), and graphs it", async () => {
    await server.waitForOutput(/SBOM index at .*attestations/);
    const { file, digest } = await bundleFile("checkout", release.privateKey, server.url);
    const pushed = await cli(["push", "attestation", file, "--server", server.url, "--token", token, "-o", "json"]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const result = JSON.parse(pushed.stdout) as { created: boolean; attestation: { verified: boolean; reason?: string; logEntries: unknown[]; signer?: { identity: string } } };
    expect(result.attestation.reason).toBeUndefined();
    expect(result.attestation).toMatchObject({ verified: true, signer: { identity: `sha256:${keyId(release.publicKey)}` } });
    expect(result.attestation.logEntries).toHaveLength(1);

    const sbom = await cli(["push", "sbom", SBOM, "--server", server.url, "--token", token, "--service", "checkout", "--version", "1.4.0", "--digest", digest]);
    expect(sbom.code, sbom.stderr).toBe(0);
    const dep = await cli(["push", "deployment", "--server", server.url, "--token", token, "--service", "checkout", "--environment", "prod", "--digest", digest]);
    expect(dep.code, dep.stderr).toBe(0);

    const graph = await cli(["query", "provenance", digest, "--server", server.url, "--token", token, "-o", "json"]);
    expect(graph.code, graph.stderr).toBe(0);
    const g = JSON.parse(graph.stdout) as { nodes: { type: string; [k: string]: unknown }[] };
    expect(g.nodes.map((n) => n.type).sort()).toEqual(["artifact", "attestation", "builder", "deployment", "logEntry", "run", "sbom", "signer", "source"]);
    expect(g.nodes.find((n) => n.type === "source")).toMatchObject({ repo: "https://github.com/acme/checkout", commit: COMMIT });
    expect(g.nodes.find((n) => n.type === "deployment")).toMatchObject({ service: "checkout", environment: "prod", current: true });

    const table = await cli(["query", "provenance", "--commit", COMMIT.slice(0, 10), "--server", server.url, "--token", token]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`source      https://github.com/acme/checkout @ ${COMMIT}`);
    expect(table.stdout).toContain("deployment  checkout in prod since");
    const bySigner = await cli(["query", "provenance", "--signer", `sha256:${keyId(release.publicKey)}`, "--server", server.url, "--token", token, "-o", "json"]);
    expect(bySigner.code, bySigner.stderr).toBe(0);
    expect((JSON.parse(bySigner.stdout) as { nodes: { type: string; digest?: string }[] }).nodes.filter((n) => n.type === "artifact").map((n) => n.digest)).toEqual([digest]);
  });

  it("reaches the SBOM a run produced from the run, though it was pushed WITHOUT --digest (vouch provenance --sbom names it by sha256)", async () => {
    await server.waitForOutput(/SBOM index at .*attestations/);
    // An SBOM naming no artifact (no hash on its root component), so only the provenance's byproduct joins it.
    const document = JSON.parse(readFileSync(SBOM, "utf8")) as { metadata: { component: { name: string; hashes?: unknown } } };
    delete document.metadata.component.hashes;
    document.metadata.component.name = "billing";
    const sbomFile = join(work, "billing.cdx.json");
    writeFileSync(sbomFile, JSON.stringify(document, null, 2));
    const sbomId = `sha256:${createHash("sha256").update(readFileSync(sbomFile)).digest("hex")}`;

    const { file, digest } = await bundleFile("billing", release.privateKey, server.url, sbomFile);
    const pushed = await cli(["push", "attestation", file, "--server", server.url, "--token", token, "-o", "json"]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ attestation: { verified: true, provenance: { byproducts: [{ digest: sbomId, name: "billing.cdx.json" }] } } });
    const sbom = await cli(["push", "sbom", sbomFile, "--server", server.url, "--token", token, "--service", "billing", "--version", "2.0.0"]);
    expect(sbom.code, sbom.stderr).toBe(0);

    const graph = await cli(["query", "provenance", digest, "--server", server.url, "--token", token, "-o", "json"]);
    expect(graph.code, graph.stderr).toBe(0);
    const g = JSON.parse(graph.stdout) as { nodes: { id: string; type: string; [k: string]: unknown }[]; edges: { from: string; to: string; kind: string }[] };
    const run = "run:https://github.com/acme/checkout/actions/runs/4242/attempts/1";
    expect(g.edges.filter((e) => e.kind === "built-sbom")).toEqual([{ from: run, to: `sbom:${sbomId}`, kind: "built-sbom" }]);
    expect(g.edges.filter((e) => e.kind === "described-by")).toEqual([]);
    expect(g.nodes.find((n) => n.type === "sbom")).toMatchObject({ sbomId, service: "billing", version: "2.0.0", format: "cyclonedx" });
    // commit → builder → run → artifact, and run → SBOM: the whole chain without the artifact digest on the SBOM.
    expect(g.edges.filter((e) => e.to === run).map((e) => e.kind).sort()).toEqual(["ran", "source-of"]);
    expect(g.edges.filter((e) => e.from === run).map((e) => e.kind).sort()).toEqual(["built-sbom", "produced"]);

    const table = await cli(["query", "provenance", digest, "--server", server.url, "--token", token]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`  built-sbom → sbom ${sbomId} billing 2.0.0 (cyclonedx)`);
  });

  it("stores an attestation by an unconfigured key as NOT verified, says why, and refuses a malformed file (exit 2)", async () => {
    const { file } = await bundleFile("intruder", stranger.privateKey);
    const pushed = await cli(["push", "attestation", file, "--server", server.url, "--token", token]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/^stored sha256:[0-9a-f]{64} \(https:\/\/slsa\.dev\/provenance\/v1\) for intruder\.tar .*: NOT verified: VERIFY_SIGNATURE/);
    const broken = join(work, "broken.json");
    writeFileSync(broken, readFileSync(file, "utf8").slice(0, 200));
    const refused = await cli(["push", "attestation", broken, "--server", server.url, "--token", token]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/400/);
    const unknown = await cli(["query", "provenance", `sha256:${"0".repeat(64)}`, "--server", server.url, "--token", token]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/404/);
    const usage = await cli(["query", "provenance", "--server", server.url, "--token", token]);
    expect(usage.code).toBe(2);
  });
});
