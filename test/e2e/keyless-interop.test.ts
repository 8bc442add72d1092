/**
 * Issue 5, end to end: a private Sigstore from vouch alone. A real OIDC issuer on loopback mints GitHub Actions-shaped
 * tokens; `vouch ca init` makes the CA; `vouch serve` (a real process) runs the CA, CT log, TSA and transparency log;
 * `vouch trust export` writes trusted_root.json and signing_config.json. Then:
 *
 * - @sigstore/sign's unmodified FulcioSigner, RekorWitness and TSAWitness sign against it, and @sigstore/verify
 *   (default thresholds: SCT, log entry required) and `vouch verify --certificate-identity/--certificate-oidc-issuer`
 *   both accept the bundle;
 * - `vouch sign --keyless --signing-config` does the same with vouch's own client;
 * - bad tokens and bad requests get 4xx with a reason, and no certificate is issued (the CT log does not grow).
 */
import { createHash, generateKeyPairSync, sign as nodeSign, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleToJSON } from "@sigstore/bundle";
import { TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { FulcioSigner, MessageSignatureBundleBuilder, DSSEBundleBuilder, RekorWitness, TSAWitness } from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vouchAsync, type RunningVouch } from "../support/cli.js";
import { startKeylessDeployment, WORKFLOW_IDENTITY, type KeylessDeployment } from "../support/keyless-deployment.js";
import { generateSigningKey, type OidcIssuer } from "../support/oidc-issuer.js";

const ARTIFACT = Buffer.from("an artifact signed keyless against vouch's own CA\n");

let deployment: KeylessDeployment;
let work: string;
let env: Record<string, string>;
let issuer: OidcIssuer;
let server: RunningVouch;
let trustedRoot: any;
let signingConfigFile: string;
let trustedRootFile: string;

beforeAll(async () => {
  // The example: GitHub's issuer (never contacted here) and the loopback one in place of 127.0.0.1:9000.
  deployment = await startKeylessDeployment("vouch-keyless-", ["    - url: https://token.actions.githubusercontent.com", "      type: github-workflow"]);
  ({ work, env, issuer, server, trustedRoot, signingConfigFile, trustedRootFile } = deployment);
}, 60_000);

afterAll(async () => {
  expect(await deployment?.stop()).toBe(0);
});

const sigstoreVerifier = () => new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(trustedRoot)));

async function ctTreeSize(): Promise<number> {
  const sth = (await (await fetch(`${server.url}/ct/v1/get-sth`)).json()) as { tree_size: number };
  return sth.tree_size;
}

describe("trust export", () => {
  it("names the CA, CT log, log and TSA in trusted_root.json and signing_config.json", () => {
    expect(trustedRoot.certificateAuthorities).toHaveLength(1);
    expect(trustedRoot.certificateAuthorities[0].certChain.certificates).toHaveLength(2);
    expect(trustedRoot.ctlogs).toHaveLength(1);
    expect(trustedRoot.tlogs).toHaveLength(1);
    expect(trustedRoot.timestampAuthorities).toHaveLength(1);
    const config = JSON.parse(readFileSync(signingConfigFile, "utf8"));
    expect(config.mediaType).toBe("application/vnd.dev.sigstore.signingconfig.v0.2+json");
    expect(config.caUrls[0].url).toBe(server.url);
    expect(config.rekorTlogUrls[0].url).toBe(server.url);
    expect(config.tsaUrls[0].url).toBe(`${server.url}/api/v1/timestamp`);
  });
});

describe("@sigstore/sign against vouch serve", () => {
  it("FulcioSigner + RekorWitness + TSAWitness: a bundle @sigstore/verify (SCT required) and vouch verify accept", async () => {
    const token = await issuer.mintGithubToken();
    const signer = new FulcioSigner({ fulcioBaseURL: server.url, identityProvider: { getToken: () => Promise.resolve(token) } });
    const bundle = await new MessageSignatureBundleBuilder({
      signer,
      witnesses: [new RekorWitness({ rekorBaseURL: server.url }), new TSAWitness({ tsaBaseURL: server.url })],
    }).create({ data: ARTIFACT });
    const json: any = bundleToJSON(bundle);
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);

    const material = json.verificationMaterial;
    const leaf = new X509Certificate(Buffer.from((material.certificate ?? material.x509CertificateChain.certificates[0]).rawBytes, "base64"));
    expect(leaf.subjectAltName).toBe(`URI:${WORKFLOW_IDENTITY}`);
    const signerFound = sigstoreVerifier().verify(toSignedEntity(bundle, ARTIFACT), {
      subjectAlternativeName: WORKFLOW_IDENTITY,
      extensions: { issuer: issuer.url },
    });
    expect(signerFound.identity?.subjectAlternativeName).toBe(WORKFLOW_IDENTITY);

    const bundleFile = join(work, "sigstore-js.sigstore.json");
    const artifactFile = join(work, "artifact.txt");
    writeFileSync(bundleFile, JSON.stringify(json));
    writeFileSync(artifactFile, ARTIFACT);
    const verified = await vouchAsync(
      ["verify", artifactFile, "--bundle", bundleFile, "--trusted-root", trustedRootFile, "--certificate-identity", WORKFLOW_IDENTITY, "--certificate-oidc-issuer", issuer.url, "-o", "json"],
      { env },
    );
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    const result = JSON.parse(verified.stdout);
    expect(JSON.stringify(result)).toContain(WORKFLOW_IDENTITY);

    // The wrong identity is refused by both.
    const wrong = await vouchAsync(
      ["verify", artifactFile, "--bundle", bundleFile, "--trusted-root", trustedRootFile, "--certificate-identity", "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main", "--certificate-oidc-issuer", issuer.url],
      { env },
    );
    expect(wrong.code).toBe(1);
    expect(() => sigstoreVerifier().verify(toSignedEntity(bundle, ARTIFACT), { subjectAlternativeName: "https://example.com/other" })).toThrow();
  });

  it("a DSSE attestation signed keyless verifies with @sigstore/verify", async () => {
    const token = await issuer.mintGithubToken();
    const signer = new FulcioSigner({ fulcioBaseURL: server.url, identityProvider: { getToken: () => Promise.resolve(token) } });
    const statement = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: createHash("sha256").update(ARTIFACT).digest("hex") } }], predicateType: "https://example.com/p", predicate: {} }));
    const bundle = await new DSSEBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: server.url })] }).create({ data: statement, type: "application/vnd.in-toto+json" });
    expect(sigstoreVerifier().verify(toSignedEntity(bundle)).identity?.subjectAlternativeName).toBe(WORKFLOW_IDENTITY);
  });
});

describe("vouch sign --keyless against vouch serve", () => {
  it("signs with the exported signing config and verifies with vouch verify and @sigstore/verify", async () => {
    const artifactFile = join(work, "keyless-artifact.txt");
    const bundleFile = join(work, "keyless-artifact.sigstore.json");
    writeFileSync(artifactFile, ARTIFACT);
    const token = await issuer.mintGithubToken();
    const signed = await vouchAsync(["sign", artifactFile, "--keyless", "--signing-config", signingConfigFile, "--bundle", bundleFile], {
      env: { ...env, SIGSTORE_ID_TOKEN: token },
    });
    expect(signed.stderr).not.toMatch(/error/i);
    expect(signed.code).toBe(0);
    const verified = await vouchAsync(
      ["verify", artifactFile, "--bundle", bundleFile, "--trusted-root", trustedRootFile, "--certificate-identity", WORKFLOW_IDENTITY, "--certificate-oidc-issuer", issuer.url],
      { env },
    );
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    const { bundleFromJSON } = await import("@sigstore/bundle");
    const bundle = bundleFromJSON(JSON.parse(readFileSync(bundleFile, "utf8")));
    expect(sigstoreVerifier().verify(toSignedEntity(bundle, ARTIFACT)).identity?.subjectAlternativeName).toBe(WORKFLOW_IDENTITY);
  });
});

describe("vouch sign --keyless with services from vouch.yaml", () => {
  it("takes the CA, log and TSA from the deployment url in vouch.yaml", async () => {
    const config = join(work, "client.yaml");
    writeFileSync(config, `url: ${server.url}\n`);
    const artifactFile = join(work, "configured-artifact.txt");
    const bundleFile = join(work, "configured-artifact.sigstore.json");
    writeFileSync(artifactFile, ARTIFACT);
    const token = await issuer.mintGithubToken();
    const signed = await vouchAsync(["sign", artifactFile, "--keyless", "--config", config, "--identity-token", token, "--bundle", bundleFile], { env });
    expect(signed.code, signed.stderr).toBe(0);
    const json = JSON.parse(readFileSync(bundleFile, "utf8"));
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
    const verified = await vouchAsync(
      ["verify", artifactFile, "--bundle", bundleFile, "--trusted-root", trustedRootFile, "--certificate-identity", WORKFLOW_IDENTITY, "--certificate-oidc-issuer", issuer.url],
      { env },
    );
    expect(verified.code, verified.stderr).toBe(0);
  });
});

describe("the CA refuses what it must, and issues nothing", () => {
  const keyPair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = keyPair.publicKey.export({ type: "spki", format: "pem" }).toString();
  const proof = (subject: string) => nodeSign("sha256", Buffer.from(subject), keyPair.privateKey).toString("base64");
  const SUB = "repo:octo-org/octo-repo:ref:refs/heads/main";

  async function request(token: string, proofOfPossession = proof(SUB)): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.url}/api/v2/signingCert`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ credentials: { oidcIdentityToken: token }, publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: pem }, proofOfPossession } }),
    });
    return { status: response.status, body: await response.json() };
  }

  it("issues for a good token (control)", async () => {
    const { status, body } = await request(await issuer.mintGithubToken());
    expect(status).toBe(201);
    expect(body.signedCertificateEmbeddedSct.chain.certificates).toHaveLength(3);
  });

  it.each([
    ["an expired token", () => issuer.mintGithubToken({}, { expiresIn: -3600 }), 401, /expired/],
    ["a token for another audience", () => issuer.mintGithubToken({ aud: "not-sigstore" }), 401, /audience/],
    ["a token from an unknown issuer", () => issuer.mintGithubToken({ iss: "https://issuer.example.com" }), 401, /issuer/],
    ["a token signed by a key not in the JWKS", async () => issuer.mintGithubToken({}, { key: await generateSigningKey() }), 401, /JWKS/],
    ["a replayed token after its expiry", () => issuer.mintGithubToken({}, { expiresIn: -120 }), 401, /expired/],
  ])("refuses %s with 401 and a reason", async (_name, mint, status, reason) => {
    const before = await ctTreeSize();
    const result = await request(await mint());
    expect(result.status).toBe(status);
    expect(result.body.message).toMatch(reason);
    expect(await ctTreeSize()).toBe(before);
  });

  it("refuses a bad proof of possession with 400", async () => {
    const before = await ctTreeSize();
    const result = await request(await issuer.mintGithubToken(), proof("someone else"));
    expect(result.status).toBe(400);
    expect(result.body.message).toMatch(/proof of possession/);
    expect(await ctTreeSize()).toBe(before);
  });

  it("answers the Fulcio configuration and trust bundle", async () => {
    const config = (await (await fetch(`${server.url}/api/v2/configuration`)).json()) as any;
    expect(config.issuers.map((i: any) => i.issuerUrl)).toEqual(["https://token.actions.githubusercontent.com", issuer.url]);
    const bundle = (await (await fetch(`${server.url}/api/v2/trustBundle`)).json()) as any;
    expect(bundle.chains[0].certificates).toHaveLength(2);
    expect(existsSync(join(work, "data", "ca", "ca.json"))).toBe(true);
  });
});
