/**
 * Keyless image signing end to end (issue 7 on top of the keyless CA): a private Sigstore made of vouch alone
 * (test/support/keyless-deployment.ts: a loopback OIDC issuer minting GitHub Actions tokens, `vouch serve` running
 * the CA, CT log, TSA and transparency log, `vouch trust export`) and the in-process OCI 1.1 registry.
 *
 * `vouch sign|attest IMAGE --keyless` gets a short-lived certificate for the workflow identity, and `vouch verify
 * IMAGE --certificate-identity … --certificate-oidc-issuer … --trusted-root …` with the default thresholds (an SCT,
 * a log entry, a trusted time) accepts it, as an OCI 1.1 referrer and in cosign's tag layout (`--tag-fallback`:
 * the leaf in `dev.sigstore.cosign/certificate`, the rest of the chain in `dev.sigstore.cosign/chain`, the log
 * entry as the SET bundle), and refuses another identity or issuer (exit 1).
 *
 * The CLI runs as a child process while the issuer and the registry run in this one: vouchAsync, never spawnSync.
 */
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vouchAsync, type CliResult } from "../support/cli.js";
import { startKeylessDeployment, WORKFLOW_IDENTITY, type KeylessDeployment } from "../support/keyless-deployment.js";
import { startOciRegistry, type RunningOciRegistry } from "../support/oci-registry.js";
import { buildTestImage } from "../support/registry.js";

let deployment: KeylessDeployment;
let registry: RunningOciRegistry;
let env: Record<string, string>;
let predicateFile: string;

const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;
const cli = (args: string[]) => vouchAsync(args, { env });

beforeAll(async () => {
  [deployment, registry] = await Promise.all([startKeylessDeployment("vouch-image-keyless-"), startOciRegistry()]);
  // HOME inside the deployment's directory: no Docker config or cache of the machine is read.
  env = { ...deployment.env, HOME: deployment.work, VOUCH_CACHE_DIR: join(deployment.work, "cache") };
  predicateFile = join(deployment.work, "provenance.json");
  writeFileSync(predicateFile, JSON.stringify({ buildDefinition: { buildType: "https://vouch.dev/test@v1", externalParameters: {} }, runDetails: { builder: { id: "https://vouch.dev/builder" } } }));
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  expect(await deployment?.stop()).toBe(0);
});

function image(repository: string, tag: string, seed: string) {
  const built = buildTestImage({ layers: [[{ path: "etc/seed", content: seed }]] });
  for (const bytes of built.blobs.values()) registry.putBlob(repository, bytes);
  const digest = registry.putManifest(repository, tag, built.manifest.bytes, built.manifest.mediaType);
  return { digest, ref: `${registry.host}/${repository}:${tag}`, pinned: `${registry.host}/${repository}@${digest}` };
}

const keylessSign = async (verb: "sign" | "attest", ref: string, ...extra: string[]) =>
  cli([verb, ref, "--keyless", "--identity-token", await deployment.issuer.mintGithubToken(), "--signing-config", deployment.signingConfigFile, ...extra]);
const verifyArgs = (ref: string, identity = WORKFLOW_IDENTITY, issuer = deployment.issuer.url) => [
  "verify", ref, "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, "--trusted-root", deployment.trustedRootFile,
];

interface VerifiedJson {
  verified: boolean;
  referrersVia: string;
  checked: { source: string; verified: boolean; code?: string; reason?: string; result?: { signer: { kind: string; identity?: { subject: string; issuer: string } }; tlogEntries: unknown[] } }[];
}

describe("vouch sign IMAGE --keyless", () => {
  it("as an OCI 1.1 referrer: the workflow identity verifies with default thresholds; another identity or issuer is refused (exit 1)", async () => {
    const { ref, pinned } = image("keyless", "1.0", "keyless");
    const signed = await keylessSign("sign", ref, "-o", "json");
    expect(signed.code, signed.stderr).toBe(0);
    const summary = json<{ image: string; entries: { stored: { kind: string; via: string } }[]; certificate: { subject: string; issuer: string } }>(signed);
    expect(summary.image).toBe(pinned);
    expect(summary.entries).toEqual([expect.objectContaining({ stored: expect.objectContaining({ kind: "referrer", via: "api" }) })]);
    expect(summary.certificate).toMatchObject({ subject: WORKFLOW_IDENTITY, issuer: deployment.issuer.url });

    const verified = await cli([...verifyArgs(ref), "-o", "json"]);
    expect(verified.code, verified.stderr).toBe(0);
    const v = json<VerifiedJson>(verified);
    expect(v).toMatchObject({ verified: true, referrersVia: "api" });
    expect(v.checked).toHaveLength(1);
    expect(v.checked[0]!.result!.signer).toMatchObject({ kind: "certificate", identity: { subject: WORKFLOW_IDENTITY, issuer: deployment.issuer.url } });
    expect(v.checked[0]!.result!.tlogEntries).toHaveLength(1);
    expect((await cli(verifyArgs(ref))).stdout).toContain(`by ${WORKFLOW_IDENTITY}`);

    const otherIdentity = await cli(verifyArgs(ref, "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main"));
    expect(otherIdentity.code).toBe(1);
    expect(otherIdentity.stdout).toMatch(/^FAIL/m);
    expect(otherIdentity.stderr).toContain("none of 1 signatures verified");
    expect(otherIdentity.stderr).not.toMatch(/^\s+at /m);
    const otherIssuer = await cli([...verifyArgs(ref, WORKFLOW_IDENTITY, "https://token.actions.githubusercontent.com"), "-o", "json"]);
    expect(otherIssuer.code).toBe(1);
    expect(json<VerifiedJson>(otherIssuer).checked[0]).toMatchObject({ verified: false, code: expect.stringMatching(/^VERIFY_/) });
  });

  it("attest --keyless: verify --type finds and verifies the attestation for the identity", async () => {
    const { ref } = image("keyless-att", "1.0", "keyless attestation");
    const attested = await keylessSign("attest", ref, "--type", "slsaprovenance", "--predicate", predicateFile);
    expect(attested.code, attested.stderr).toBe(0);
    const verified = await cli([...verifyArgs(ref), "--type", "slsaprovenance", "-o", "json"]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(json<VerifiedJson>(verified).checked).toEqual([expect.objectContaining({ verified: true })]);
    expect((await cli([...verifyArgs(ref, "someone@example.com"), "--type", "slsaprovenance"])).code).toBe(1);
  });

  it("--tag-fallback: cosign's .sig layer carries the certificate, its chain and the SET bundle, and verifies", async () => {
    const { digest, ref } = image("keyless-legacy", "1.0", "keyless legacy");
    const signed = await keylessSign("sign", ref, "--tag-fallback", "-o", "json");
    expect(signed.code, signed.stderr).toBe(0);
    const tag = `sha256-${digest.slice(7)}.sig`;
    expect(json<{ entries: { stored: { kind: string; tag: string } }[] }>(signed).entries[0]!.stored).toMatchObject({ kind: "cosign-tag", tag });

    const sigImage = JSON.parse(Buffer.from(registry.manifest("keyless-legacy", tag)!.bytes).toString("utf8")) as { layers: { mediaType: string; annotations: Record<string, string> }[] };
    expect(sigImage.layers).toHaveLength(1);
    const annotations = sigImage.layers[0]!.annotations;
    expect(sigImage.layers[0]!.mediaType).toBe("application/vnd.dev.cosign.simplesigning.v1+json");
    // The leaf is the Fulcio-style certificate for the workflow; the chain is the CA's (intermediate, root), as cosign writes it.
    const leaf = new X509Certificate(annotations["dev.sigstore.cosign/certificate"]!);
    expect(leaf.subjectAltName).toContain(WORKFLOW_IDENTITY);
    const chain = annotations["dev.sigstore.cosign/chain"]!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(chain.length).toBe(deployment.trustedRoot.certificateAuthorities[0].certChain.certificates.length);
    expect(leaf.checkIssued(new X509Certificate(chain[0]!))).toBe(true);
    expect(JSON.parse(annotations["dev.sigstore.cosign/bundle"]!)).toMatchObject({ SignedEntryTimestamp: expect.any(String), Payload: { logIndex: expect.any(Number) } });

    const verified = await cli([...verifyArgs(ref), "-o", "json"]);
    const v = json<VerifiedJson>(verified);
    expect(v.checked, JSON.stringify(v.checked)).toEqual([expect.objectContaining({ source: "cosign-tag", verified: true })]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(v.checked[0]!.result!.signer).toMatchObject({ kind: "certificate", identity: { subject: WORKFLOW_IDENTITY } });
    const wrong = await cli(verifyArgs(ref, "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main"));
    expect(wrong.code).toBe(1);
  });

  it("--tag-fallback attest: cosign's .att layer verifies with --type for the identity", async () => {
    const { digest, ref } = image("keyless-legacy-att", "1.0", "keyless legacy attestation");
    const attested = await keylessSign("attest", ref, "--tag-fallback", "--type", "slsaprovenance", "--predicate", predicateFile);
    expect(attested.code, attested.stderr).toBe(0);
    const att = JSON.parse(Buffer.from(registry.manifest("keyless-legacy-att", `sha256-${digest.slice(7)}.att`)!.bytes).toString("utf8")) as { layers: { annotations: Record<string, string> }[] };
    expect(att.layers[0]!.annotations["dev.sigstore.cosign/certificate"]).toContain("BEGIN CERTIFICATE");
    const verified = await cli([...verifyArgs(ref), "--type", "slsaprovenance", "-o", "json"]);
    const v = json<VerifiedJson>(verified);
    expect(v.checked, JSON.stringify(v.checked)).toEqual([expect.objectContaining({ source: "cosign-tag", verified: true })]);
    expect(verified.code, verified.stderr).toBe(0);
  });
});
