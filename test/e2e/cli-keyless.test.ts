/**
 * `vouch sign|attest --keyless` end to end against a whole Sigstore on loopback: @sigstore/mock's Fulcio (+ CT) and
 * Rekor (test/support/sigstore-mock.ts), and an RFC 3161 TSA speaking DER (test/support/der-tsa.ts). The bundles
 * the CLI writes must verify with @sigstore/verify (default thresholds: SCT, log entry or timestamp) and with
 * `vouch verify`, both trusting exactly the mock's keys.
 *
 * The CLI runs as a child process while the services run in this one: it is spawned asynchronously
 * (test/support/cli.ts's `vouch` blocks this event loop, and with it the services).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vouch, vouchAsync as runVouch, type CliResult } from "../support/cli.js";
import { startDerTsa, type DerTsa } from "../support/der-tsa.js";
import { startMockSigstore, unsignedIdentityToken, type MockSigstore, type TrustedRootJson } from "../support/sigstore-mock.js";

const SUBJECT = "https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

const work = mkdtempSync(join(tmpdir(), "vouch-keyless-"));
let mock: MockSigstore;
let tsa: DerTsa;
let trustedRoot: TrustedRootJson;
let rootPath: string;
let token: string;

beforeAll(async () => {
  [mock, tsa] = await Promise.all([startMockSigstore(), startDerTsa()]);
  const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  trustedRoot = {
    ...mock.trustedRootJson,
    timestampAuthorities: [
      ...mock.trustedRootJson.timestampAuthorities,
      {
        subject: { organization: "vouch tests", commonName: "der-tsa" },
        uri: tsa.url,
        certChain: { certificates: tsa.chain.map((c) => ({ rawBytes: b64(c) })) },
        validFor: { start: new Date(Date.now() - 60_000).toISOString() },
      },
    ],
  };
  rootPath = join(work, "trusted_root.json");
  writeFileSync(rootPath, JSON.stringify(trustedRoot));
  token = unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER });
});
afterAll(async () => {
  await Promise.all([mock?.close(), tsa?.close()]);
  rmSync(work, { recursive: true, force: true });
});

function vouchAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runVouch(args, { env });
}

function artifact(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

function sigstoreVerifier(thresholds: { tlogThreshold?: number } = {}): Verifier {
  return new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(trustedRoot)), thresholds);
}

const identityPolicy = { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } };
const vouchVerifyArgs = (file: string, bundle: string, ...extra: string[]) => [
  "verify", file, "--bundle", bundle, "--trusted-root", rootPath, "--certificate-identity", SUBJECT, "--certificate-oidc-issuer", ISSUER, "-o", "json", ...extra,
];

async function loopback(handler: (req: IncomingMessage) => { status: number; body: string }): Promise<{ url: string; server: Server; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    req.resume();
    req.on("end", () => {
      const { status, body } = handler(req);
      res.writeHead(status, { "content-type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("vouch sign --keyless", () => {
  it("--identity-token, --fulcio-url, --tlog-url: a bundle with the leaf certificate and a Rekor entry that both verifiers accept", async () => {
    const file = artifact("release.tgz", "keyless release\n");
    const before = mock.requests.get("/api/v2/signingCert") ?? 0;
    const r = await vouchAsync(["sign", file, "--keyless", "--identity-token", token, "--fulcio-url", mock.url, "--tlog-url", mock.url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const digest = createHash("sha256").update("keyless release\n").digest("hex");
    expect(r.stdout).toBe(`Signed ${file} (sha256:${digest}) as ${SUBJECT} (issuer ${ISSUER}); bundle written to ${file}.sigstore.json\n`);
    expect(mock.requests.get("/api/v2/signingCert")).toBe(before + 1);

    const json = JSON.parse(readFileSync(`${file}.sigstore.json`, "utf8"));
    expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    // Bundle v0.3: the leaf alone; the verifier has the rest of the chain in its trusted root.
    expect(Object.keys(json.verificationMaterial).sort()).toEqual(["certificate", "tlogEntries"]);
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(json.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.1" });

    // @sigstore/verify with its default thresholds (one SCT, one trusted time): the SET gives the time.
    const signer = sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(json), readFileSync(file)), identityPolicy);
    expect(signer.identity).toMatchObject({ subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } });
    const verified = await vouchAsync(vouchVerifyArgs(file, `${file}.sigstore.json`));
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout).signer).toMatchObject({ kind: "certificate", identity: { subject: SUBJECT, issuer: ISSUER } });
  });

  it("--signing-config (the CA, a Rekor v1 log and a DER TSA by full URL) with SIGSTORE_ID_TOKEN: log entry and RFC 3161 timestamp", async () => {
    const config = join(work, "signing_config.json");
    const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: "2024-01-01T00:00:00Z" }, operator: "vouch-tests" });
    writeFileSync(
      config,
      JSON.stringify({
        mediaType: SIGNING_CONFIG_MEDIA_TYPE,
        caUrls: [service(mock.url)],
        rekorTlogUrls: [service(mock.url)],
        rekorTlogConfig: { selector: "ANY" },
        tsaUrls: [service(`${tsa.url}/api/v1/timestamp`)],
        tsaConfig: { selector: "ANY" },
      }),
    );
    const file = artifact("config-signed.bin", "signed with a signing config\n");
    const bundle = join(work, "config-signed.json");
    const tsaBefore = tsa.requests.length;
    const r = await vouchAsync(["sign", file, "--keyless", "--signing-config", config, "--bundle", bundle, "-o", "json"], { SIGSTORE_ID_TOKEN: token });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ bundle, certificate: { subject: SUBJECT, issuer: ISSUER } });
    expect(tsa.requests.length).toBe(tsaBefore + 1);
    const json = JSON.parse(readFileSync(bundle, "utf8"));
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);

    sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(json), readFileSync(file)), identityPolicy);
    const verified = await vouchAsync(vouchVerifyArgs(file, bundle, "--timestamp-threshold", "2"));
    expect(verified.stderr).toBe("");
    expect(JSON.parse(verified.stdout).trustedTimes.map((t: { source: string }) => t.source).sort()).toEqual(["timestamp-authority", "tlog"]);
  });

  it("a CA refusing the token (401): exit 2, the CA's reason on one line, no bundle written", async () => {
    const ca = await loopback(() => ({ status: 401, body: JSON.stringify({ code: 16, message: "There was an error processing the identity token", details: [] }) }));
    try {
      const file = artifact("refused.bin", "refused\n");
      const r = await vouchAsync(["sign", file, "--keyless", "--identity-token", token, "--fulcio-url", ca.url, "--tsa-url", tsa.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`vouch: the certificate authority at ${ca.url} refused the certificate request (401): There was an error processing the identity token\n`);
      expect(r.stdout).toBe("");
      expect(existsSync(`${file}.sigstore.json`)).toBe(false);
      expect(ca.seen.map((req) => `${req.method} ${req.url}`)).toEqual(["POST /api/v2/signingCert"]);
    } finally {
      await close(ca.server);
    }
  });

  it("a CA refusing the request (400) is exit 2 too, with its reason", async () => {
    const ca = await loopback(() => ({ status: 400, body: JSON.stringify({ code: 3, message: "The signature supplied in the request could not be verified" }) }));
    try {
      const file = artifact("bad-pop.bin", "bad pop\n");
      const r = await vouchAsync(["sign", file, "--keyless", "--identity-token", token, "--fulcio-url", ca.url, "--tlog-url", mock.url]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 2,
        stderr: `vouch: the certificate authority at ${ca.url} refused the certificate request (400): The signature supplied in the request could not be verified\n`,
      });
      expect(existsSync(`${file}.sigstore.json`)).toBe(false);
    } finally {
      await close(ca.server);
    }
  });

  it("usage errors are exit 2 before any request: --keyless with --key, keyless flags without --keyless, no token, no witness", () => {
    const file = artifact("usage.bin", "usage\n");
    const run = (args: string[], env: Record<string, string> = {}) => {
      const r = vouch(["sign", file, ...args], { env });
      return { code: r.code, stderr: r.stderr };
    };
    expect(run(["--keyless", "--key", "cosign.key"])).toEqual({ code: 2, stderr: "vouch: --keyless signs with a certificate for your identity instead of a key: drop --key, or drop --keyless\n" });
    expect(run(["--key", "cosign.key", "--fulcio-url", "http://127.0.0.1:1"])).toEqual({ code: 2, stderr: "vouch: --fulcio-url is for keyless signing: add --keyless\n" });
    expect(run([])).toEqual({ code: 2, stderr: "vouch: a key is needed: --key FILE, env://VAR or a pkcs11: URI (or --keyless)\n" });
    expect(run(["--keyless", "--fulcio-url", "http://127.0.0.1:1", "--tsa-url", "http://127.0.0.1:1"])).toEqual({
      code: 2,
      stderr: "vouch: an identity token is needed for --keyless: pass --identity-token TOKEN|FILE, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write`\n",
    });
    expect(run(["--keyless", "--identity-token", "not-a-token", "--fulcio-url", "http://127.0.0.1:1", "--tsa-url", "http://127.0.0.1:1"])).toEqual({
      code: 2,
      stderr: "vouch: --identity-token is neither a JWT nor the path of a readable file\n",
    });
    expect(run(["--keyless", "--fulcio-url", "http://127.0.0.1:1"], { SIGSTORE_ID_TOKEN: "x" }).stderr).toMatch(/^vouch: keyless signing needs a transparency log or a timestamp authority/);
    const corrupt = artifact("corrupt_signing_config.json", '{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json", "caUrls": [');
    expect(run(["--keyless", "--signing-config", corrupt])).toEqual({ code: 2, stderr: expect.stringMatching(new RegExp(`^vouch: ${corrupt}:1: not valid JSON: `)) });
    expect(existsSync(`${file}.sigstore.json`)).toBe(false);
  });
});

describe("vouch attest --keyless", () => {
  it("in GitHub Actions (token from ACTIONS_ID_TOKEN_REQUEST_URL) with a TSA only: a DSSE bundle both verifiers accept", async () => {
    const github = await loopback(() => ({ status: 200, body: JSON.stringify({ count: 1, value: token }) }));
    try {
      const subject = artifact("app.tar", "app archive\n");
      const predicate = artifact("provenance.json", JSON.stringify({ buildDefinition: { buildType: "https://example.com/build/v1" }, runDetails: { builder: { id: "https://example.com/builder" } } }));
      const bundle = join(work, "app.tar.slsaprovenance.sigstore.json");
      const r = await vouchAsync(["attest", subject, "--type", "slsaprovenance", "--predicate", predicate, "--keyless", "--fulcio-url", mock.url, "--tsa-url", tsa.url], {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${github.url}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token",
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`Attested ${subject} (https://slsa.dev/provenance/v1) as ${SUBJECT} (issuer ${ISSUER}); bundle written to ${bundle}\n`);
      expect(github.seen).toHaveLength(1);
      expect(github.seen[0]!.url).toBe("/token?api-version=2.0&audience=sigstore");
      expect(github.seen[0]!.headers.authorization).toBe("bearer runner-request-token");

      const json = JSON.parse(readFileSync(bundle, "utf8"));
      expect(json.verificationMaterial.tlogEntries).toEqual([]);
      expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
      expect(json.dsseEnvelope.signatures[0].keyid).toBe("");
      // No log entry: the RFC 3161 timestamp alone is the trusted time (the Rekor v2 model).
      sigstoreVerifier({ tlogThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(json)), identityPolicy);
      const verified = await vouchAsync(vouchVerifyArgs(subject, bundle, "--type", "slsaprovenance", "--tlog-threshold", "0"));
      expect(verified.stderr).toBe("");
      expect(JSON.parse(verified.stdout).trustedTimes.map((t: { source: string }) => t.source)).toEqual(["timestamp-authority"]);
    } finally {
      await close(github.server);
    }
  });
});
