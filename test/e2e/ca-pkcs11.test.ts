/**
 * Issue 5: `vouch ca init` with the root and intermediate keys in a PKCS #11 token (SoftHSM2 here, an HSM in
 * production). The keys are generated inside the token and never leave it; the CA signs its own certificates and
 * every leaf through the token. Checked end to end:
 *
 * - `vouch ca init --root-key pkcs11:… --intermediate-key pkcs11:…` (PIN from VOUCH_PKCS11_PIN or the URI, module
 *   from the URI or VOUCH_PKCS11_MODULE_PATH) writes certificates but no key files, and never writes the PIN;
 * - the certificates' signature algorithm follows each signing key's curve (P-384 → ecdsa-with-SHA384), signatures
 *   are DER, and node's X509Certificate (OpenSSL) and vouch's verifier accept the chain;
 * - openCertificateAuthority + CertificateAuthority.issue make a leaf whose embedded SCT (vouch's CT log) verifies;
 * - a wrong PIN is a one-line input error (exit 2), an Ed25519 or RSA key in the token is refused;
 * - `vouch serve` opens such a CA and issues a certificate over HTTP for a token from a loopback OIDC issuer.
 *
 * Also prints (no assertion) how many leaves per second a token intermediate signs next to a key-file intermediate.
 */
import { generateKeyPairSync, sign as nodeSign, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateAuthority, type CertifiedIdentity } from "../../src/ca/authority.js";
import { initCa, openCa } from "../../src/ca/ca-files.js";
import { CtLog } from "../../src/ct/ct-log.js";
import { encodeSctList } from "../../src/ct/structures.js";
import { parseCertificate } from "../../src/core/x509/index.js";
import { initCertificateAuthority, openCertificateAuthority } from "../../src/public/ca.js";
import { verifyCertificateChain, verifyScts } from "../../src/verify/certificate/index.js";
import { spawnVouch, vouchAsync, type RunningVouch } from "../support/cli.js";
import { rejectedVouchError } from "../support/errors.js";
import { MemoryLogStore } from "../support/memory-log-store.js";
import { startOidcIssuer, type OidcIssuer } from "../support/oidc-issuer.js";
import { createSoftHsmToken, generateEcKeyPair, softHsmUnavailable, USER_PIN, type SoftHsmToken } from "../support/softhsm.js";

const skipReason = softHsmUnavailable();

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3";

const identity: CertifiedIdentity = {
  issuer: "https://token.actions.githubusercontent.com",
  proofSubject: "repo:acme/app:ref:refs/heads/main",
  san: { kind: "uri", value: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main" },
  extensions: { issuer: "https://token.actions.githubusercontent.com", sourceRepositoryURI: "https://github.com/acme/app" },
};

function signingRequest(publicKey: KeyObject, privateKey: KeyObject, subject = identity.proofSubject) {
  return {
    credentials: { oidcIdentityToken: "header.payload.signature" },
    publicKeyRequest: {
      publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }).toString() },
      proofOfPossession: nodeSign("sha256", Buffer.from(subject), privateKey).toString("base64"),
    },
  };
}

/** The OID of a certificate's outer signatureAlgorithm (vouch's own DER reader). */
const signatureOid = (der: Uint8Array): string => {
  const algorithm = parseCertificate(der).signatureAlgorithm;
  return "unsupported" in algorithm ? algorithm.unsupported : algorithm.oid;
};

const trustedCa = (chain: readonly Uint8Array[]) => ({ uri: "http://ca.test", subject: {}, certChain: [...chain], validFor: { start: new Date(0) } });

describe.skipIf(skipReason !== undefined)("a keyless CA whose keys are in a PKCS #11 token (SoftHSM2)", () => {
  let hsm: SoftHsmToken;
  let work: string;
  let ct: CtLog;
  /** What the CLI child processes need to find the token: SoftHSM's config and the PIN. */
  let tokenEnv: Record<string, string>;

  beforeAll(async () => {
    hsm = createSoftHsmToken();
    // The standard token has one P-384 key (p384-key); a CA wants a root and an intermediate of its own.
    generateEcKeyPair(hsm, { label: "ca-root", id: 0x10, curve: "P-384" });
    generateEcKeyPair(hsm, { label: "ca-intermediate", id: 0x11, curve: "P-384" });
    work = mkdtempSync(join(tmpdir(), "vouch-ca-pkcs11-"));
    tokenEnv = { SOFTHSM2_CONF: process.env.SOFTHSM2_CONF!, VOUCH_PKCS11_PIN: USER_PIN };
  });

  afterAll(async () => {
    await ct?.close();
    hsm?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** vouch's CT log over memory, accepting this CA's root: what `vouch serve` wires into the CA. */
  async function ctLogFor(root: Uint8Array): Promise<{ log: CtLog; ctlog: Parameters<typeof verifyScts>[2][number] }> {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const log = await CtLog.start({ store: new MemoryLogStore(), privateKey, origin: "127.0.0.1/ct", acceptedRoots: [root], maxDelayMs: 1 });
    const ctlog = { baseUrl: "http://127.0.0.1/ct", hashAlgorithm: "SHA2_256" as const, publicKeyDer: log.publicKeyDer, keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: new Date(0) }, logId: log.logId };
    return { log, ctlog };
  }

  it("vouch ca init with --root-key/--intermediate-key (P-384 both): certificates signed in the token, no key files, no PIN on disk; a leaf issued through the token verifies", async () => {
    const dataDir = join(work, "p384");
    const init = await vouchAsync(
      ["ca", "init", "--root-key", hsm.uri("ca-root", { pin: false }), "--intermediate-key", hsm.uri("ca-intermediate", { pin: false }), "-o", "json"],
      { env: { ...tokenEnv, VOUCH_DATA_DIR: dataDir } },
    );
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    const printed = JSON.parse(init.stdout);
    expect(printed.manifest.rootKey).toBe(hsm.uri("ca-root", { pin: false }));
    expect(printed.manifest.intermediateKey).toBe(hsm.uri("ca-intermediate", { pin: false }));
    expect(printed.manifest.algorithm).toBe("ecdsa-p384");
    const caDir = join(dataDir, "ca");
    expect(readdirSync(caDir).sort()).toEqual(["ca.json", "intermediate.crt.pem", "root.crt.pem"]);

    // No password is needed for token keys: only the PIN, from VOUCH_PKCS11_PIN.
    const opened = await openCertificateAuthority(dataDir, { env: { VOUCH_PKCS11_PIN: USER_PIN } });
    expect(opened).toBeDefined();
    const [intermediate, root] = opened!.chain;
    // P-384 keys sign with ecdsa-with-SHA384 (RFC 5758 §3.2), in DER (X.509's ECDSA-Sig-Value).
    expect(signatureOid(root!)).toBe(ECDSA_WITH_SHA384);
    expect(signatureOid(intermediate!)).toBe(ECDSA_WITH_SHA384);
    expect(opened!.signer.algorithm).toBe("ecdsa-p384");
    expect(new X509Certificate(root!).verify(new X509Certificate(root!).publicKey)).toBe(true);
    expect(new X509Certificate(intermediate!).verify(new X509Certificate(root!).publicKey)).toBe(true);

    const { log, ctlog } = await ctLogFor(root!);
    ct = log;
    const ca = new CertificateAuthority({
      signer: opened!.signer,
      chain: opened!.chain,
      identity: { verify: () => Promise.resolve(identity) },
      logPrecertificate: async (chain) => encodeSctList([(await log.addPreChain(chain)).encoded]),
    });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const issued = await ca.issue(signingRequest(publicKey, privateKey));
    expect(issued.chain).toHaveLength(3);
    expect(signatureOid(issued.chain[0]!)).toBe(ECDSA_WITH_SHA384);

    const leaf = parseCertificate(issued.chain[0]!);
    const verified = verifyCertificateChain([issued.chain[0]!], [trustedCa(issued.chain.slice(1))], new Date(leaf.notBefore.getTime() + 1000));
    expect(verifyScts(verified.leaf, verified.issuer, [ctlog], 1)).toHaveLength(1);
    expect(new X509Certificate(issued.chain[0]!).verify(new X509Certificate(intermediate!).publicKey)).toBe(true);
    expect(new X509Certificate(issued.chain[0]!).checkIssued(new X509Certificate(intermediate!))).toBe(true);
  });

  it("a P-384 root over a P-256 intermediate: each certificate's signature algorithm follows its issuer's curve", async () => {
    const dir = join(work, "mixed", "ca");
    const created = await initCa({ dir, rootKeyUri: hsm.uri("p384-key", { pin: false }), intermediateKeyUri: hsm.uri("signing-key", { pin: false }), pkcs11: { env: { VOUCH_PKCS11_PIN: USER_PIN } } });
    expect(signatureOid(created.root)).toBe(ECDSA_WITH_SHA384);
    expect(signatureOid(created.intermediate)).toBe(ECDSA_WITH_SHA384); // signed by the P-384 root
    expect(created.manifest.algorithm).toBe("ecdsa-p384");
    expect(created.manifest.intermediateAlgorithm).toBe("ecdsa-p256");

    const opened = await openCa({ dir, pkcs11: { env: { VOUCH_PKCS11_PIN: USER_PIN } } });
    const { log, ctlog } = await ctLogFor(created.root);
    try {
      const ca = new CertificateAuthority({
        signer: opened.signer,
        chain: opened.chain,
        identity: { verify: () => Promise.resolve(identity) },
        logPrecertificate: async (chain) => encodeSctList([(await log.addPreChain(chain)).encoded]),
      });
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const issued = await ca.issue(signingRequest(publicKey, privateKey));
      expect(signatureOid(issued.chain[0]!)).toBe(ECDSA_WITH_SHA256); // signed by the P-256 intermediate
      const leaf = parseCertificate(issued.chain[0]!);
      const verified = verifyCertificateChain([issued.chain[0]!], [trustedCa(issued.chain.slice(1))], new Date(leaf.notBefore.getTime() + 1000));
      expect(verifyScts(verified.leaf, verified.issuer, [ctlog], 1)).toHaveLength(1);
      expect(new X509Certificate(issued.chain[0]!).verify(new X509Certificate(created.intermediate).publicKey)).toBe(true);
    } finally {
      await log.close();
    }

    // A ca.json naming an algorithm the CA cannot have is refused before the token is touched (corrupt input).
    const manifestFile = join(dir, "ca.json");
    writeFileSync(manifestFile, JSON.stringify({ ...created.manifest, intermediateAlgorithm: "rsa-2048" }));
    expect((await rejectedVouchError(() => openCa({ dir, pkcs11: { env: { VOUCH_PKCS11_PIN: USER_PIN } } }))).code).toBe("INPUT_MALFORMED");
  });

  it("a pin-value in the URI is used but never written: ca.json keeps the URI without it, and stderr says so", async () => {
    const dataDir = join(work, "pin-in-uri");
    // The module from VOUCH_PKCS11_MODULE_PATH this time; the PIN only in the URI.
    const uri = (object: string) => `pkcs11:token=vouch-test;object=${object}?pin-value=${USER_PIN}`;
    const init = await vouchAsync(["ca", "init", "--root-key", uri("ca-root"), "--intermediate-key", uri("ca-intermediate")], {
      env: { SOFTHSM2_CONF: tokenEnv.SOFTHSM2_CONF!, VOUCH_PKCS11_MODULE_PATH: hsm.modulePath, VOUCH_DATA_DIR: dataDir },
    });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/pin-value/);
    const manifestText = readFileSync(join(dataDir, "ca", "ca.json"), "utf8");
    expect(manifestText).not.toContain("pin-value");
    expect(manifestText).not.toContain(USER_PIN);
    expect(JSON.parse(manifestText).rootKey).toBe("pkcs11:token=vouch-test;object=ca-root");
    // Without the PIN the CA does not open (no prompt in a test), with it it does.
    expect((await rejectedVouchError(() => openCertificateAuthority(dataDir, { env: { VOUCH_PKCS11_MODULE_PATH: hsm.modulePath } }))).code).toBe("INPUT_USAGE");
    const opened = await openCertificateAuthority(dataDir, { env: { VOUCH_PKCS11_MODULE_PATH: hsm.modulePath, VOUCH_PKCS11_PIN: USER_PIN } });
    expect(opened?.manifest.intermediateKey).toBe("pkcs11:token=vouch-test;object=ca-intermediate");
  });

  it("a wrong PIN is a one-line input error (exit 2), and leaves no CA behind", async () => {
    const dataDir = join(work, "wrong-pin");
    const init = await vouchAsync(
      ["ca", "init", "--root-key", hsm.uri("ca-root", { pin: false }), "--intermediate-key", hsm.uri("ca-intermediate", { pin: false })],
      { env: { ...tokenEnv, VOUCH_PKCS11_PIN: "0000", VOUCH_DATA_DIR: dataDir } },
    );
    expect(init.code).toBe(2);
    expect(init.stdout).toBe("");
    expect(init.stderr.trim().split("\n")).toHaveLength(1);
    expect(init.stderr).toMatch(/PIN is incorrect \(CKR_PIN_INCORRECT\)/);
    expect(init.stderr).not.toContain("0000");
    expect(existsSync(join(dataDir, "ca"))).toBe(false);

    // Opening an existing token CA with a wrong PIN: the same input error.
    const error = await rejectedVouchError(() => openCertificateAuthority(join(work, "p384"), { env: { VOUCH_PKCS11_PIN: "0000" } }));
    expect(error.code).toBe("INPUT_USAGE");
    expect(error.message).toMatch(/PIN is incorrect/);
  });

  it("refuses an Ed25519 or RSA key in the token, and the same key for root and intermediate", async (ctx) => {
    const pkcs11 = { env: { VOUCH_PKCS11_PIN: USER_PIN } };
    const rsa = await rejectedVouchError(() => initCa({ dir: join(work, "rsa", "ca"), rootKeyUri: hsm.uri("rsa-key", { pin: false }), intermediateKeyUri: hsm.uri("signing-key", { pin: false }), pkcs11 }));
    expect(rsa.code).toBe("INPUT_UNSUPPORTED_FORMAT");
    const same = await rejectedVouchError(() => initCa({ dir: join(work, "same", "ca"), rootKeyUri: hsm.uri("ca-root", { pin: false }), intermediateKeyUri: hsm.uri("ca-root", { pin: false }), pkcs11 }));
    expect(same.code).toBe("INPUT_USAGE");
    expect(same.message).toMatch(/same key/);
    expect(readdirSync(join(work, "same"))).toEqual([]); // the staging directory is gone too
    if (!hsm.hasEd25519) return ctx.skip("this SoftHSM2 build has no CKM_EC_EDWARDS_KEY_PAIR_GEN (the Ed25519 case)");
    const ed = await rejectedVouchError(() => initCa({ dir: join(work, "ed", "ca"), rootKeyUri: hsm.uri("ca-root", { pin: false }), intermediateKeyUri: hsm.uri("ed25519-key", { pin: false }), pkcs11 }));
    expect(ed.code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(ed.message).toMatch(/intermediate key in the token is Ed25519/);
  });

  it("the API: initCertificateAuthority needs no password for token keys, and hands warnings to `warn`", async () => {
    const dataDir = join(work, "api");
    const warnings: string[] = [];
    const created = await initCertificateAuthority({
      dataDir,
      rootKey: hsm.uri("ca-root"), // with pin-value (and module-path after it, which stays)
      intermediateKey: hsm.uri("ca-intermediate", { pin: false }),
      password: { env: { VOUCH_PKCS11_PIN: USER_PIN } },
      warn: (line) => warnings.push(line),
    });
    expect(created.manifest.rootKey).toBe(hsm.uri("ca-root", { pin: false }));
    expect(created.warnings).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/^warning: the root key's URI had a pin-value: .* not written to ca\.json/)]);
    expect(readdirSync(join(dataDir, "ca")).filter((f) => f.endsWith(".key.pem"))).toEqual([]);
  });

  it("leaves per second: a token intermediate next to a key-file intermediate (printed, not asserted)", async () => {
    const fileCaDir = join(work, "bench-file", "ca");
    await initCa({ dir: fileCaDir, password: "bench password" });
    const fileCa = await openCa({ dir: fileCaDir, password: { env: { VOUCH_PASSWORD: "bench password" } } });
    const tokenCaDir = join(work, "bench-token", "ca");
    const pkcs11 = { env: { VOUCH_PKCS11_PIN: USER_PIN } };
    await initCa({ dir: tokenCaDir, rootKeyUri: hsm.uri("ca-root", { pin: false }), intermediateKeyUri: hsm.uri("ca-intermediate", { pin: false }), pkcs11 });
    const tokenCa = await openCa({ dir: tokenCaDir, pkcs11 });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const body = signingRequest(publicKey, privateKey);
    // An SCT list stand-in (one empty SerializedSCT list): this measures the CA's two signatures per leaf, not CT.
    const noCt = () => Promise.resolve(Uint8Array.of(0x04, 0x02, 0x00, 0x00));
    const rate = async (opened: typeof fileCa, ms: number) => {
      const ca = new CertificateAuthority({ signer: opened.signer, chain: opened.chain, identity: { verify: () => Promise.resolve(identity) }, logPrecertificate: noCt });
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < ms) {
        await ca.issue(body);
        n++;
      }
      return (n * 1000) / (performance.now() - start);
    };
    // The bare signature (a leaf-sized TBS): each token signature loads the module, logs in and finalizes again.
    const tbs = new Uint8Array(1200).fill(7);
    const signatures = async (opened: typeof fileCa, ms: number) => {
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < ms) {
        await opened.signer.sign(tbs);
        n++;
      }
      return (n * 1000) / (performance.now() - start);
    };
    const file = await rate(fileCa, 1000);
    const token = await rate(tokenCa, 1000);
    const fileSigs = await signatures(fileCa, 500);
    const tokenSigs = await signatures(tokenCa, 500);
    console.warn(
      `[ca-pkcs11] P-384 intermediate, one process: leaves issued per second (2 signatures each, no CT) key file ${file.toFixed(0)}, SoftHSM2 token ${token.toFixed(0)}; ` +
        `signatures per second key file ${fileSigs.toFixed(0)}, SoftHSM2 token ${tokenSigs.toFixed(0)}`,
    );
    expect(file).toBeGreaterThan(0);
    expect(token).toBeGreaterThan(0);
  }, 30_000);

  describe("vouch serve with the token CA", () => {
    let issuer: OidcIssuer;
    let server: RunningVouch;

    afterAll(async () => {
      if (server) expect(await server.stop()).toBe(0);
      await issuer?.close();
    });

    it("issues a certificate over HTTP (Fulcio v2 signingCert) for a loopback OIDC issuer's token", async () => {
      issuer = await startOidcIssuer();
      const dataDir = join(work, "p384");
      const config = join(work, "vouch.yaml");
      writeFileSync(config, ["ca:", "  issuers:", `    - url: ${issuer.url}`, "      type: github-workflow", ""].join("\n"));
      server = await spawnVouch(["serve", "--port", "0", "--config", config], { env: { ...tokenEnv, VOUCH_DATA_DIR: dataDir } });
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const sub = "repo:octo-org/octo-repo:ref:refs/heads/main";
      const response = await fetch(`${server.url}/api/v2/signingCert`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          credentials: { oidcIdentityToken: await issuer.mintGithubToken() },
          publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }) }, proofOfPossession: nodeSign("sha256", Buffer.from(sub), privateKey).toString("base64") },
        }),
      });
      const body = (await response.json()) as any;
      expect(response.status, JSON.stringify(body)).toBe(201);
      const chain = (body.signedCertificateEmbeddedSct.chain.certificates as string[]).map((pem) => new X509Certificate(pem));
      expect(chain).toHaveLength(3);
      const rootOnDisk = new X509Certificate(readFileSync(join(dataDir, "ca", "root.crt.pem")));
      expect(chain[2]!.fingerprint256).toBe(rootOnDisk.fingerprint256);
      expect(chain[0]!.verify(chain[1]!.publicKey)).toBe(true);
      expect(chain[0]!.publicKey.export({ type: "spki", format: "der" })).toEqual(publicKey.export({ type: "spki", format: "der" }));
      expect(signatureOid(new Uint8Array(chain[0]!.raw))).toBe(ECDSA_WITH_SHA384);
    }, 60_000);
  });
});
