import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../test/support/errors.js";
import { encodePem } from "../core/crypto/keys.js";
import { encodeTlv, parseDer } from "../core/x509/der.js";
import { OID, parseCertificate } from "../core/x509/index.js";
import { checkIdentity, verifyCertificateChain, verifyScts } from "../verify/certificate/index.js";
import { CertificateAuthority, type CertifiedIdentity, type PrecertificateLogger } from "./authority.js";
import { initCa, openCa } from "./ca-files.js";

const githubIdentity: CertifiedIdentity = {
  issuer: "https://token.actions.githubusercontent.com",
  proofSubject: "repo:acme/app:ref:refs/heads/main",
  san: { kind: "uri", value: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main" },
  extensions: {
    issuer: "https://token.actions.githubusercontent.com",
    githubWorkflowTrigger: "push",
    sourceRepositoryURI: "https://github.com/acme/app",
    sourceRepositoryDigest: "0123456789abcdef0123456789abcdef01234567",
    buildTrigger: "push",
    runInvocationURI: "https://github.com/acme/app/actions/runs/42/attempts/1",
  },
};

/** A CT log stand-in for unit tests: signs the precertificate's TBS (poison removed) as RFC 6962 §3.2 says. */
function testCtLog(): { logger: PrecertificateLogger; ctlog: Parameters<typeof verifyScts>[2][number]; calls: Uint8Array[][] } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const logId = createHash("sha256").update(spki).digest();
  const calls: Uint8Array[][] = [];
  const logger: PrecertificateLogger = (chain) => {
    calls.push(chain);
    const precert = parseCertificate(chain[0]!);
    expect(precert.extensions.find((e) => e.oid === OID.ctPoison)?.critical).toBe(true);
    const tbs = withoutExtension(precert.tbs, precert.extensions.find((e) => e.oid === OID.ctPoison)!.der);
    const issuerKeyHash = createHash("sha256").update(parseCertificate(chain[1]!).publicKeyDer).digest();
    const timestamp = BigInt(Date.now());
    const signed = Buffer.concat([
      Buffer.from([0, 0]),
      u64(timestamp),
      Buffer.from([0, 1]),
      issuerKeyHash,
      u24(tbs.length),
      tbs,
      Buffer.from([0, 0]),
    ]);
    const signature = sign("sha256", signed, privateKey);
    const sct = Buffer.concat([Buffer.from([0]), logId, u64(timestamp), Buffer.from([0, 0]), Buffer.from([4, 3]), u16(signature.length), signature]);
    const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
    return Promise.resolve(encodeTlv(0x04, [list]));
  };
  return {
    logger,
    calls,
    ctlog: { baseUrl: "http://ct.test", hashAlgorithm: "SHA2_256", publicKeyDer: spki, keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: new Date(0) }, logId },
  };
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};

/** The TBS with one extension dropped (RFC 6962 §3.2: the precertificate's TBS without the poison). */
function withoutExtension(tbs: Uint8Array, extensionDer: Uint8Array): Uint8Array {
  const fields = parseDer(tbs, "tbs").subs;
  return encodeTlv(
    0x30,
    fields.map((field) =>
      field.tag.class === 2 && field.tag.number === 3
        ? encodeTlv(0xa3, [encodeTlv(0x30, field.subs[0]!.subs.filter((e) => !Buffer.from(e.bytes).equals(Buffer.from(extensionDer))).map((e) => e.bytes))])
        : field.bytes,
    ),
  );
}

function proofFor(key: KeyObject, subject: string): string {
  return sign(key.asymmetricKeyType === "ed25519" ? null : "sha256", Buffer.from(subject), key).toString("base64");
}

function request(publicKey: KeyObject, proof: string, token = "header.payload.signature") {
  return {
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }).toString() }, proofOfPossession: proof },
  };
}

async function newCa(algorithm: "ecdsa-p384" | "ecdsa-p256" = "ecdsa-p384") {
  const dir = join(mkdtempSync(join(tmpdir(), "vouch-ca-")), "ca");
  await initCa({ dir, algorithm, password: "correct horse" });
  const opened = await openCa({ dir, password: { env: { VOUCH_PASSWORD: "correct horse" } } });
  const ct = testCtLog();
  const ca = new CertificateAuthority({ signer: opened.signer, chain: opened.chain, identity: { verify: () => Promise.resolve(githubIdentity) }, logPrecertificate: ct.logger });
  return { dir, ca, ct, opened };
}

const trustedCa = (chain: readonly Uint8Array[]) => ({ uri: "http://ca.test", subject: {}, certChain: [...chain], validFor: { start: new Date(0) } });

describe("CertificateAuthority", () => {
  it("issues a Fulcio-shaped leaf that vouch's verifier chains, identifies and whose embedded SCT verifies", async () => {
    const { ca, ct } = await newCa();
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const issued = await ca.issue(request(publicKey, proofFor(privateKey, githubIdentity.proofSubject)));

    expect(issued.chain).toHaveLength(3);
    const leaf = parseCertificate(issued.chain[0]!);
    expect(Buffer.from(parseDer(leaf.tbs, "tbs").subs[5]!.bytes).toString("hex")).toBe("3000"); // empty subject
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(600_000);
    expect(leaf.codeSigning).toBe(true);
    expect(leaf.keyUsage?.digitalSignature).toBe(true);
    const san = leaf.extensions.find((e) => e.oid === OID.subjectAltName);
    expect(san?.critical).toBe(true);
    expect(leaf.extensions.some((e) => e.oid === OID.ctPoison)).toBe(false);
    expect(Buffer.from(leaf.publicKeyDer)).toEqual(publicKey.export({ type: "spki", format: "der" }));

    const at = new Date(leaf.notBefore.getTime() + 1000);
    const chain = verifyCertificateChain([issued.chain[0]!], [trustedCa(issued.chain.slice(1))], at);
    const identity = checkIdentity(chain.leaf, { subject: githubIdentity.san.value, issuer: githubIdentity.issuer, extensions: { sourceRepositoryURI: "https://github.com/acme/app" } });
    expect(identity.extensions).toMatchObject(githubIdentity.extensions);
    expect(verifyScts(chain.leaf, chain.issuer, [ct.ctlog], 1)).toHaveLength(1);
    // The CT log saw the precertificate with the chain up to the root.
    expect(ct.calls[0]).toHaveLength(3);

    // node's X509Certificate (OpenSSL) agrees the leaf is issued by the intermediate.
    expect(new X509Certificate(issued.chain[0]!).verify(new X509Certificate(issued.chain[1]!).publicKey)).toBe(true);
    expect(new X509Certificate(issued.chain[1]!).verify(new X509Certificate(issued.chain[2]!).publicKey)).toBe(true);
  });

  it("accepts an Ed25519 key and a P-256 CA", async () => {
    const { ca } = await newCa("ecdsa-p256");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const issued = await ca.issue(request(publicKey, proofFor(privateKey, githubIdentity.proofSubject)));
    expect(parseCertificate(issued.chain[0]!).publicKeyAlgorithm).toBe("1.3.101.112");
  });

  it("refuses a proof of possession over another subject, or by another key, and logs nothing", async () => {
    const { ca, ct } = await newCa();
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    expect((await rejectedVouchError(() => ca.issue(request(publicKey, proofFor(privateKey, "someone-else"))))).code).toBe("CA_REQUEST_INVALID");
    const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    expect((await rejectedVouchError(() => ca.issue(request(publicKey, proofFor(other, githubIdentity.proofSubject))))).code).toBe("CA_REQUEST_INVALID");
    expect(ct.calls).toHaveLength(0);
  });

  it("refuses malformed requests naming the field (corrupt input)", async () => {
    const { ca } = await newCa();
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    for (const body of [
      null,
      {},
      { credentials: {} },
      { credentials: { oidcIdentityToken: "t" } },
      { credentials: { oidcIdentityToken: "t" }, publicKeyRequest: { publicKey: { content: "not pem" }, proofOfPossession: "AAAA" } },
      { credentials: { oidcIdentityToken: "t" }, publicKeyRequest: { publicKey: { content: publicKey.export({ type: "spki", format: "pem" }) }, proofOfPossession: "%%%" } },
      { credentials: { oidcIdentityToken: "t" }, certificateSigningRequest: Buffer.from("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----").toString("base64") },
    ]) {
      const error = await rejectedVouchError(() => ca.issue(body));
      expect(error.code, JSON.stringify(body)).toBe("CA_REQUEST_INVALID");
    }
  });

  it("takes a PKCS #10 CSR made by openssl as the proof of possession, and refuses a tampered one", async () => {
    const { ca } = await newCa();
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const dir = mkdtempSync(join(tmpdir(), "vouch-csr-"));
    writeFileSync(join(dir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    const made = spawnSync("openssl", ["req", "-new", "-key", join(dir, "key.pem"), "-subj", "/CN=ignored", "-outform", "PEM"], { encoding: "utf8" });
    if (made.status !== 0) {
      console.warn(`skipped: openssl could not make a CSR (${made.error?.message ?? made.stderr.trim()})`);
      return;
    }
    const csrRequest = (pem: string) => ({ credentials: { oidcIdentityToken: "t" }, certificateSigningRequest: Buffer.from(pem).toString("base64") });
    const issued = await ca.issue(csrRequest(made.stdout));
    expect(Buffer.from(parseCertificate(issued.chain[0]!).publicKeyDer)).toEqual(publicKey.export({ type: "spki", format: "der" }));
    // Another key's SPKI spliced into the CSR: its self-signature no longer verifies.
    const der = Buffer.from(made.stdout.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const otherSpki = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
    const ownSpki = publicKey.export({ type: "spki", format: "der" });
    const tampered = Buffer.from(der);
    otherSpki.copy(tampered, der.indexOf(ownSpki));
    const error = await rejectedVouchError(() => ca.issue(csrRequest(encodePem("CERTIFICATE REQUEST", tampered))));
    expect(error.message).toMatch(/CSR's signature does not verify/);
  });

  it("refuses weak keys", async () => {
    const { ca } = await newCa();
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const error = await rejectedVouchError(() => ca.issue(request(publicKey, proofFor(privateKey, githubIdentity.proofSubject))));
    expect(error.message).toMatch(/2048 to 4096/);
  });

  it("passes identity token failures through and issues nothing", async () => {
    const { opened, ct } = await newCa();
    const { VouchError } = await import("../core/errors.js");
    const ca = new CertificateAuthority({
      signer: opened.signer,
      chain: opened.chain,
      identity: { verify: () => Promise.reject(new VouchError("CA_TOKEN_INVALID", "token expired")) },
      logPrecertificate: ct.logger,
    });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    expect((await rejectedVouchError(() => ca.issue(request(publicKey, proofFor(privateKey, "x"))))).code).toBe("CA_TOKEN_INVALID");
    expect(ct.calls).toHaveLength(0);
  });
});

describe("initCa / openCa", () => {
  it("writes encrypted keys and refuses to replace an existing CA", async () => {
    const { dir } = await newCa();
    expect(readdirSync(dir).sort()).toEqual(["ca.json", "intermediate.crt.pem", "intermediate.key.pem", "root.crt.pem", "root.key.pem"]);
    expect((await rejectedVouchError(() => initCa({ dir, password: "x" }))).code).toBe("INPUT_USAGE");
    const wrong = await rejectedVouchError(() => openCa({ dir, password: { env: { VOUCH_PASSWORD: "wrong" } } }));
    expect(wrong.code).toMatch(/^INPUT_/);
  });

  it("makes a root with pathLen 1 and an intermediate with pathLen 0", async () => {
    const { opened } = await newCa();
    const [intermediate, root] = opened.chain.map((der) => parseCertificate(der));
    expect(root!.isCA && root!.pathLen).toBe(1);
    expect(intermediate!.isCA && intermediate!.pathLen).toBe(0);
    expect(encodePem("CERTIFICATE", opened.chain[1]!)).toMatch(/BEGIN CERTIFICATE/);
  });

  it("needs a password for key files", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "vouch-ca-")), "ca");
    expect((await rejectedVouchError(() => initCa({ dir }))).code).toBe("INPUT_USAGE");
  });
});
