/**
 * The signing side of the sigstore-conformance client protocol, `vouch conformance sign-bundle`, against a private
 * Sigstore made of vouch alone (as in keyless-interop.test.ts): a loopback OIDC issuer, `vouch ca init`, a real
 * `vouch serve` (CA, CT log, TSA, transparency log) and `vouch trust export`'s signing_config.json and
 * trusted_root.json.
 *
 * Upstream's signing tests (test_sign_does_not_produce_root, test_sign_verify_dsse, test_sign_verify_rekor2) need
 * the live staging instance and a live token, so they cannot run here; their checks are reproduced below on upstream's
 * own inputs (test/assets/a.txt and statement.json, copied under test/fixtures/sigstore/conformance), with vouch serve
 * in place of staging: the bundle v0.3 has the right content and no CA certificate, the DSSE payload is the statement
 * byte for byte, the Rekor v2 config yields a hashedrekord 0.0.2 entry, and both `vouch conformance verify-bundle`
 * (as the suite calls it next) and @sigstore/verify accept the results.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conformanceSignBundle } from "../../src/api/conformance.js";
import { thrownVouchError, rejectedVouchError } from "../support/errors.js";
import { vouchAsync, type RunningVouch } from "../support/cli.js";
import { startKeylessDeployment, WORKFLOW_IDENTITY, type KeylessDeployment } from "../support/keyless-deployment.js";
import type { OidcIssuer } from "../support/oidc-issuer.js";

const UPSTREAM = join(import.meta.dirname, "..", "fixtures", "sigstore", "conformance", "test", "assets");
const A_TXT = join(UPSTREAM, "a.txt");
const STATEMENT = join(UPSTREAM, "statement.json");
const PRODUCTION_ROOT = join(import.meta.dirname, "..", "fixtures", "sigstore", "sigstore-js", "derived", "public-good-trusted_root.json");

let deployment: KeylessDeployment;
let work: string;
let env: Record<string, string>;
let issuer: OidcIssuer;
let server: RunningVouch;
let trustedRoot: unknown;
let signingConfigFile: string;
let trustedRootFile: string;

beforeAll(async () => {
  deployment = await startKeylessDeployment("vouch-conformance-sign-");
  ({ work, env, issuer, server, trustedRoot, signingConfigFile, trustedRootFile } = deployment);
}, 60_000);

afterAll(async () => {
  expect(await deployment?.stop()).toBe(0);
});

const sigstoreVerifier = () => new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(trustedRoot)));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** `vouch conformance sign-bundle` with the arguments in the protocol's order. */
async function signBundle(flags: { inToto?: boolean; token: string; bundle: string; trustedRoot?: string; signingConfig?: string }, file: string) {
  const args = ["conformance", "sign-bundle"];
  if (flags.inToto) args.push("--in-toto");
  args.push("--identity-token", flags.token, "--bundle", flags.bundle);
  if (flags.trustedRoot !== undefined) args.push("--trusted-root", flags.trustedRoot);
  if (flags.signingConfig !== undefined) args.push("--signing-config", flags.signingConfig);
  args.push(file);
  return vouchAsync(args, { env });
}

/** `vouch conformance verify-bundle` as the suite calls it after signing (identity and issuer from the token). */
function verifyBundle(bundle: string, target: string) {
  return vouchAsync(
    ["conformance", "verify-bundle", "--bundle", bundle, "--certificate-identity", WORKFLOW_IDENTITY, "--certificate-oidc-issuer", issuer.url, "--trusted-root", trustedRootFile, target],
    { env },
  );
}

async function ctTreeSize(): Promise<number> {
  const sth = (await (await fetch(`${server.url}/ct/v1/get-sth`)).json()) as { tree_size: number };
  return sth.tree_size;
}

describe("sign-bundle: an artifact", () => {
  it("writes a v0.3 messageSignature bundle that verify-bundle and @sigstore/verify accept", async () => {
    const bundleFile = join(work, "a.txt.sigstore.json");
    const signed = await signBundle({ token: await issuer.mintGithubToken(), bundle: bundleFile, trustedRoot: trustedRootFile, signingConfig: signingConfigFile }, A_TXT);
    expect(signed.stderr).toBe("");
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain("verified against the trusted root");

    const json = JSON.parse(readFileSync(bundleFile, "utf8"));
    expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(json.messageSignature.messageDigest.digest).toBe(Buffer.from(sha256(readFileSync(A_TXT)), "hex").toString("base64"));
    expect(json.dsseEnvelope).toBeUndefined();
    // The exported signing config names vouch's log (Rekor v1) and TSA: one entry and one timestamp.
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(json.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.1" });
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
    // Upstream's test_sign_does_not_produce_root: no certificate in the bundle is a CA.
    const certs = json.verificationMaterial.certificate ? [json.verificationMaterial.certificate] : json.verificationMaterial.x509CertificateChain.certificates;
    for (const c of certs) expect(new X509Certificate(Buffer.from(c.rawBytes, "base64")).ca).toBe(false);
    expect(new X509Certificate(Buffer.from(certs[0].rawBytes, "base64")).subjectAltName).toBe(`URI:${WORKFLOW_IDENTITY}`);

    for (const target of [A_TXT, `sha256:${sha256(readFileSync(A_TXT))}`]) {
      const verified = await verifyBundle(bundleFile, target);
      expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: "" });
    }
    const found = sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(json), readFileSync(A_TXT)), { subjectAlternativeName: WORKFLOW_IDENTITY, extensions: { issuer: issuer.url } });
    expect(found.identity?.subjectAlternativeName).toBe(WORKFLOW_IDENTITY);
    // …and neither accepts it for another artifact.
    const other = join(work, "other.txt");
    writeFileSync(other, "not a.txt\n");
    expect((await verifyBundle(bundleFile, other)).code).toBe(1);
  });

  it("signs through a Rekor v2 log when the signing config says so (upstream's test_sign_verify_rekor2)", async () => {
    const config = JSON.parse(readFileSync(signingConfigFile, "utf8"));
    config.rekorTlogUrls = config.rekorTlogUrls.map((s: { majorApiVersion: number }) => ({ ...s, majorApiVersion: 2 }));
    const v2Config = join(work, "signing_config.rekor-v2.json");
    writeFileSync(v2Config, JSON.stringify(config));
    const bundleFile = join(work, "a.txt.rekor-v2.sigstore.json");
    const signed = await signBundle({ token: await issuer.mintGithubToken(), bundle: bundleFile, trustedRoot: trustedRootFile, signingConfig: v2Config }, A_TXT);
    expect({ code: signed.code, stderr: signed.stderr }).toEqual({ code: 0, stderr: "" });
    const json = JSON.parse(readFileSync(bundleFile, "utf8"));
    expect(json.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.2" });
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
    const verified = await verifyBundle(bundleFile, A_TXT);
    expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: "" });
    expect(sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(json), readFileSync(A_TXT))).identity?.subjectAlternativeName).toBe(WORKFLOW_IDENTITY);
  });
});

describe("sign-bundle --in-toto: a statement", () => {
  it("signs upstream's statement.json as is in a DSSE envelope; the subject a.txt verifies (upstream's test_sign_verify_dsse)", async () => {
    const bundleFile = join(work, "statement.json.sigstore.json");
    const signed = await signBundle({ inToto: true, token: await issuer.mintGithubToken(), bundle: bundleFile, trustedRoot: trustedRootFile, signingConfig: signingConfigFile }, STATEMENT);
    expect({ code: signed.code, stderr: signed.stderr }).toEqual({ code: 0, stderr: "" });

    const json = JSON.parse(readFileSync(bundleFile, "utf8"));
    expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(json.messageSignature).toBeUndefined();
    expect(json.dsseEnvelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(Buffer.from(json.dsseEnvelope.payload, "base64").equals(readFileSync(STATEMENT))).toBe(true);
    expect(json.verificationMaterial.tlogEntries[0].kindVersion.kind).toBe("dsse");

    for (const target of [A_TXT, `sha256:${sha256(readFileSync(A_TXT))}`]) {
      const verified = await verifyBundle(bundleFile, target);
      expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: "" });
    }
    expect((await verifyBundle(bundleFile, STATEMENT)).code).toBe(1); // the statement is not its own subject
    expect(sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(json))).identity?.subjectAlternativeName).toBe(WORKFLOW_IDENTITY);
  });

  it("refuses a file that is not an in-toto statement before asking the CA for anything", async () => {
    const before = await ctTreeSize();
    const bundleFile = join(work, "not-a-statement.sigstore.json");
    const signed = await signBundle({ inToto: true, token: await issuer.mintGithubToken(), bundle: bundleFile, trustedRoot: trustedRootFile, signingConfig: signingConfigFile }, A_TXT);
    expect(signed.code).toBe(2);
    expect(signed.stderr).toMatch(/^vouch: .*a\.txt: --in-toto: in-toto statement: not UTF-8 JSON.*\n$/);
    expect(existsSync(bundleFile)).toBe(false);
    expect(await ctTreeSize()).toBe(before);
  });
});

describe("sign-bundle refuses, in one line, and writes nothing", () => {
  it.each([
    ["an expired token", () => issuer.mintGithubToken({}, { expiresIn: -3600 }), 2, /refused the certificate request \(401\).*expired/],
    ["a token for another audience", () => issuer.mintGithubToken({ aud: "not-sigstore" }), 2, /\(401\).*audience/],
    ["a token that is not a JWT", () => Promise.resolve("not-a-token"), 2, /neither a JWT nor the path of a readable file/],
  ])("%s", async (_name, mint, code, reason) => {
    const bundleFile = join(work, `refused-${Math.random().toString(36).slice(2)}.sigstore.json`);
    const signed = await signBundle({ token: await mint(), bundle: bundleFile, trustedRoot: trustedRootFile, signingConfig: signingConfigFile }, A_TXT);
    expect(signed.code).toBe(code);
    expect(signed.stderr).toMatch(reason);
    expect(signed.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(signed.stdout).toBe("");
    expect(existsSync(bundleFile)).toBe(false);
  });

  it("a bundle the trusted root does not vouch for (vouch's CA checked against the public-good root) fails verification and is not written", async () => {
    const bundleFile = join(work, "wrong-root.sigstore.json");
    const signed = await signBundle({ token: await issuer.mintGithubToken(), bundle: bundleFile, trustedRoot: PRODUCTION_ROOT, signingConfig: signingConfigFile }, A_TXT);
    expect(signed.code).toBe(1);
    expect(signed.stderr).toMatch(/^vouch: the signed bundle does not verify against the trusted root, so it was not written: .+\n$/);
    expect(existsSync(bundleFile)).toBe(false);
  });

  it("a missing artifact is an input error before any request", async () => {
    const before = await ctTreeSize();
    const signed = await signBundle({ token: await issuer.mintGithubToken(), bundle: join(work, "missing.sigstore.json"), signingConfig: signingConfigFile }, join(work, "missing.txt"));
    expect(signed.code).toBe(2);
    expect(signed.stderr).toMatch(/missing\.txt: no such file\n$/);
    expect(await ctTreeSize()).toBe(before);
  });
});

describe("sign-bundle without --trusted-root or --signing-config", () => {
  it("with a custom signing config and no trusted root, signs and says the bundle was not checked", async () => {
    const bundleFile = join(work, "unchecked.sigstore.json");
    const signed = await signBundle({ token: await issuer.mintGithubToken(), bundle: bundleFile, signingConfig: signingConfigFile }, A_TXT);
    expect({ code: signed.code, stderr: signed.stderr }).toEqual({ code: 0, stderr: "" });
    expect(signed.stdout).toContain("not verified: a custom signing config without --trusted-root");
    expect((await verifyBundle(bundleFile, A_TXT)).code).toBe(0);
  });

  // The public instances need the internet, which tests may not use: a fetch that records and refuses shows which
  // CA each default would have asked, without a connection.
  it.each([
    [false, "https://fulcio.sigstore.dev/api/v2/signingCert"],
    [true, "https://fulcio.sigstage.dev/api/v2/signingCert"],
  ])("staging %s: asks the public instance's CA first (%s)", async (staging, url) => {
    const asked: string[] = [];
    const bundleFile = join(work, `public-${staging}.sigstore.json`);
    const token = await issuer.mintGithubToken();
    const error = await rejectedVouchError(() =>
      conformanceSignBundle({
        file: A_TXT,
        bundle: bundleFile,
        identityToken: token,
        staging,
        fetch: (u) => {
          asked.push(u);
          return Promise.reject(new Error("no network in tests"));
        },
      }),
    );
    expect(asked).toEqual([url]);
    expect(error.message).toMatch(/cannot reach the certificate authority/);
    expect(existsSync(bundleFile)).toBe(false);
  });

  it("a corrupt signing config is an input error naming the file", () => {
    const corrupt = join(work, "corrupt-signing-config.json");
    writeFileSync(corrupt, '{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json", "caUrls": [');
    return expect(rejectedVouchError(() => conformanceSignBundle({ file: A_TXT, bundle: join(work, "x.json"), identityToken: "x.y.z", signingConfig: corrupt }))).resolves.toMatchObject({
      code: "INPUT_MALFORMED",
      location: { file: corrupt },
    });
  });

  it("the built-in signing configs parse", async () => {
    const { PRODUCTION_SIGNING_CONFIG, STAGING_SIGNING_CONFIG } = await import("../../src/api/conformance-signing-configs.js");
    const { parseSigningConfig } = await import("../../src/sign/keyless/signing-config.js");
    expect(parseSigningConfig(PRODUCTION_SIGNING_CONFIG).caUrls[0]!.url).toBe("https://fulcio.sigstore.dev");
    expect(parseSigningConfig(STAGING_SIGNING_CONFIG).caUrls[0]!.url).toBe("https://fulcio.sigstage.dev");
    expect(thrownVouchError(() => parseSigningConfig(STAGING_SIGNING_CONFIG.slice(0, 40))).code).toBe("INPUT_MALFORMED");
  });
});
