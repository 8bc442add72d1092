import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsnConvert } from "@peculiar/asn1-schema";
import { ContentInfo, SignedData } from "@peculiar/asn1-cms";
import { TimeStampResp, TSTInfo } from "@peculiar/asn1-tsp";
import { afterAll, describe, expect, it } from "vitest";
import { rejectedVouchError, thrownVouchError } from "../../test/support/errors.js";
import { buildCertificate, ecKey } from "../../test/support/x509-builder.js";
import { parseTrustedRoot } from "../bundle/trusted-root.js";
import type { CertificateAuthority } from "../bundle/types.js";
import { encodePem } from "../core/crypto/keys.js";
import { parseCertificate } from "../core/x509/index.js";
import { parseTimestampToken } from "../verify/timestamp/token.js";
import { verifyTimestamp } from "../verify/timestamp/verify.js";
import { rejectionResponse, TimestampAuthority, TSA_POLICY_OID } from "./authority.js";
import { loadOrCreateTsa, readTsaChain, tsaChainFile, tsaKeyFile } from "./files.js";
import type { TsaRequestError } from "./request.js";
import { timestampAuthorityEntry } from "./trust.js";

const work = mkdtempSync(join(tmpdir(), "vouch-tsa-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(work, `tsa-${dirs++}`);

const T = new Date("2026-03-04T05:06:07.891Z");
const clock = () => T;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** The timestamp authorities of a trusted root listing only this TSA, read by vouch's own trusted-root parser. */
function trustedTsas(chain: readonly Uint8Array[]): CertificateAuthority[] {
  const json = { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1", tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [timestampAuthorityEntry(chain, { baseUrl: "http://127.0.0.1:1" })] };
  return parseTrustedRoot(JSON.stringify(json)).timestampAuthorities;
}

/** TSTInfo and SignedData of a granted reply, decoded by @peculiar (an independent reader of what we wrote). */
function decode(reply: Uint8Array): { status: number; signedData: SignedData; tst: TSTInfo } {
  const resp = AsnConvert.parse(reply, TimeStampResp);
  const token = AsnConvert.parse(AsnConvert.serialize(resp.timeStampToken!), ContentInfo);
  const signedData = AsnConvert.parse(token.content, SignedData);
  const tst = AsnConvert.parse(signedData.encapContentInfo.eContent!.single!.buffer, TSTInfo);
  return { status: resp.status.status, signedData, tst };
}

describe("TimestampAuthority: what vouch's verifier accepts", () => {
  const dir = freshDir();
  const tsa = loadOrCreateTsa(dir, { now: clock });
  const tsas = trustedTsas(tsa.chain);
  const signature = new Uint8Array(randomBytes(71));

  it("a granted reply to the JSON form is the signing time of the signature it covers", async () => {
    const reply = await tsa.timestampJson({ artifactHash: b64(sha256(signature)), hashAlgorithm: "sha256" });
    // Whole seconds by default (see genTimePrecision): 07.891 becomes 07.
    expect(verifyTimestamp(reply, signature, tsas).toISOString()).toBe("2026-03-04T05:06:07.000Z");
    const token = parseTimestampToken(reply);
    expect(token.policy).toBe(TSA_POLICY_OID);
    expect(token.certificates).toEqual([]); // no certReq: the verifier has the chain from its trusted root
    expect(token.signer.sid).toEqual({ kind: "issuerAndSerial", issuer: tsa.signingCertificate.issuer.der, serial: tsa.signingCertificate.serial });
    expect(token.signer.signingCertificate).toEqual({ hash: "sha256", certHash: new Uint8Array(sha256(tsa.chain[0]!)), issuerSerial: { serial: tsa.signingCertificate.serial } });
    expect(token.signer.signatureAlgorithm).toMatchObject({ oid: "1.2.840.10045.4.3.2" });
  });

  it("copies the imprint, echoes the nonce, embeds the signing certificate on certReq, and numbers every token anew", async () => {
    const imprint = new Uint8Array(createHash("sha512").update(signature).digest());
    const reply = await tsa.issue({ hash: "sha512", digest: imprint, imprintParameters: "null", nonce: Uint8Array.of(0, 0xb8, 0x5f), certReq: true });
    expect(verifyTimestamp(reply, signature, tsas)).toEqual(new Date("2026-03-04T05:06:07.000Z"));
    const { status, signedData, tst } = decode(reply);
    expect(status).toBe(0);
    expect(signedData.version).toBe(3);
    expect(Buffer.from(tst.nonce!)).toEqual(Buffer.from([0, 0xb8, 0x5f]));
    expect(tst.messageImprint.hashAlgorithm).toEqual(expect.objectContaining({ algorithm: "2.16.840.1.101.3.4.2.3", parameters: null }));
    expect(tst.accuracy?.seconds).toBe(1);
    expect(parseTimestampToken(reply).certificates).toEqual([tsa.chain[0]]);

    const serials = new Set<string>();
    for (let i = 0; i < 50; i++) serials.add(parseTimestampToken(await tsa.issue({ hash: "sha256", digest: sha256(signature), imprintParameters: "absent", certReq: false })).serial.toString());
    expect(serials.size).toBe(50);
  });

  it("writes milliseconds when asked, the chain on includeChain, and the TSA's name on tsaName", async () => {
    const precise = loadOrCreateTsa(dir, { now: clock, genTimePrecision: "milliseconds", includeChain: true, tsaName: true });
    const reply = await precise.timestampJson({ artifactHash: b64(sha256(signature)), hashAlgorithm: "sha256", certificates: true });
    expect(verifyTimestamp(reply, signature, tsas).toISOString()).toBe("2026-03-04T05:06:07.891Z");
    expect(parseTimestampToken(reply).certificates).toHaveLength(2);
    expect(decode(reply).tst.tsa?.directoryName).toBeDefined();
  });

  it("refuses the reply for another signature, and against another TSA's trusted root (negative controls)", async () => {
    const reply = await tsa.timestampJson({ artifactHash: b64(sha256(signature)), hashAlgorithm: "sha256" });
    expect(thrownVouchError(() => verifyTimestamp(reply, new Uint8Array(randomBytes(71)), tsas)).message).toMatch(/covers other data/);
    const stranger = loadOrCreateTsa(freshDir(), { now: clock });
    expect(thrownVouchError(() => verifyTimestamp(reply, signature, trustedTsas(stranger.chain))).code).toBe("VERIFY_TIMESTAMP");
    const tampered = reply.slice();
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 1;
    expect(thrownVouchError(() => verifyTimestamp(tampered, signature, tsas)).code).toBe("VERIFY_TIMESTAMP");
  });

  it("a P-384 TSA signs with ecdsa-with-SHA384", async () => {
    const p384 = loadOrCreateTsa(freshDir(), { now: clock, algorithm: "ecdsa-p384" });
    const reply = await p384.timestampJson({ artifactHash: b64(sha256(signature)), hashAlgorithm: "sha256" });
    expect(parseTimestampToken(reply).signer).toMatchObject({ digest: "sha384", signatureAlgorithm: { oid: "1.2.840.10045.4.3.3" } });
    expect(verifyTimestamp(reply, signature, trustedTsas(p384.chain))).toEqual(new Date("2026-03-04T05:06:07.000Z"));
  });

  it("refuses a bad request with TSA_REQUEST_INVALID and its failInfo", async () => {
    const err = await rejectedVouchError(() => tsa.timestamp(new TextEncoder().encode("garbage")));
    expect(err.code).toBe("TSA_REQUEST_INVALID");
    expect((err as TsaRequestError).failInfo).toBe("badDataFormat");
  });
});

describe("loadOrCreateTsa", () => {
  it("creates a 0600 key and a root + timeStamping leaf chain on first start, and reads the same on later starts", () => {
    const dir = freshDir();
    const first = loadOrCreateTsa(dir, { now: clock, organization: "example" });
    expect(statSync(tsaKeyFile(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const chain = readTsaChain(dir)!;
    expect(chain).toEqual(first.chain);
    const [leaf, root] = chain.map((c) => parseCertificate(c));
    expect(root!.isCA).toBe(true);
    expect(root!.subject.text).toBe("O=example, CN=example timestamp authority root");
    expect(leaf!.subject.text).toBe("O=example, CN=example timestamp authority");
    expect(leaf!.issuer.der).toEqual(root!.subject.der);
    expect(leaf!.isCA).toBe(false);
    expect(leaf!.keyUsage?.digitalSignature).toBe(true);
    expect(leaf!.extKeyUsage).toEqual(["1.3.6.1.5.5.7.3.8"]);
    expect(leaf!.extensions.find((e) => e.oid === "2.5.29.37")?.critical).toBe(true);
    expect(leaf!.notBefore).toEqual(new Date("2026-03-04T05:01:07.000Z"));
    expect(leaf!.notAfter.getTime() - leaf!.notBefore.getTime()).toBe(3650 * 86_400_000);

    const again = loadOrCreateTsa(dir);
    expect(again.chain).toEqual(first.chain);
    expect(readFileSync(tsaKeyFile(dir), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("certifies a key left without a chain, and refuses a chain left without its key", () => {
    const dir = freshDir();
    loadOrCreateTsa(dir, { now: clock });
    const key = readFileSync(tsaKeyFile(dir), "utf8");
    rmSync(tsaChainFile(dir));
    const renewed = loadOrCreateTsa(dir, { now: clock });
    expect(readFileSync(tsaKeyFile(dir), "utf8")).toBe(key);
    expect(renewed.chain).toHaveLength(2);

    rmSync(tsaKeyFile(dir));
    const err = thrownVouchError(() => loadOrCreateTsa(dir));
    expect(err.code).toBe("INPUT_NOT_FOUND");
    expect(err.location.file).toBe(tsaKeyFile(dir));
  });

  it("refuses a key that is not the signing certificate's, an unusable key, and a corrupt chain", () => {
    const dir = freshDir();
    loadOrCreateTsa(dir, { now: clock });
    const ownKey = readFileSync(tsaKeyFile(dir));
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    writeFileSync(tsaKeyFile(dir), other.export({ type: "pkcs8", format: "pem" }));
    const wrongKey = thrownVouchError(() => loadOrCreateTsa(dir));
    expect(wrongKey.code).toBe("INPUT_MALFORMED");
    expect(wrongKey.message).toBe('the TSA key is not the key of its signing certificate "O=vouch, CN=vouch timestamp authority"');

    writeFileSync(tsaKeyFile(dir), generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    expect(thrownVouchError(() => loadOrCreateTsa(dir)).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    writeFileSync(tsaKeyFile(dir), "not a key");
    expect(thrownVouchError(() => loadOrCreateTsa(dir)).code).toBe("INPUT_MALFORMED");

    writeFileSync(tsaKeyFile(dir), ownKey);
    writeFileSync(tsaChainFile(dir), "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
    expect(thrownVouchError(() => readTsaChain(dir)).message).toBe("a CERTIFICATE block is not base64");
    writeFileSync(tsaChainFile(dir), "nothing here");
    expect(thrownVouchError(() => readTsaChain(dir)).message).toBe("no CERTIFICATE in the TSA chain file");
    writeFileSync(tsaChainFile(dir), encodePem("CERTIFICATE", Uint8Array.of(0x30, 0x03, 1, 2, 3)));
    const notACertificate = thrownVouchError(() => loadOrCreateTsa(dir));
    expect(notACertificate.code).toBe("INPUT_MALFORMED");
    expect(notACertificate.location.file).toBe(tsaChainFile(dir));
  });

  it("refuses a signing certificate without the critical timeStamping-only EKU (RFC 3161 §2.3)", () => {
    const key = ecKey();
    const root = buildCertificate({ subject: "root", ca: true, keyUsage: [5] });
    for (const spec of [{ eku: ["1.3.6.1.5.5.7.3.8"], ekuCritical: false }, { eku: ["1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.3"], ekuCritical: true }, {}]) {
      const leaf = buildCertificate({ subject: "tsa", issuer: root, key, ...spec });
      const err = thrownVouchError(() => new TimestampAuthority({ key: key.privateKey, chain: [leaf.der, root.der] }));
      expect(err.message).toBe('the TSA signing certificate "CN=tsa" must have a critical extendedKeyUsage of timeStamping only (RFC 3161 §2.3)');
    }
    const good = buildCertificate({ subject: "tsa", issuer: root, key, eku: ["1.3.6.1.5.5.7.3.8"], ekuCritical: true });
    expect(new TimestampAuthority({ key: key.privateKey, chain: [good.der, root.der] }).chain).toHaveLength(2);
    expect(thrownVouchError(() => new TimestampAuthority({ key: key.privateKey, chain: [] })).message).toBe("the TSA certificate chain is empty");
  });
});

describe("timestampAuthorityEntry", () => {
  it("is the trusted root entry: signing certificate first, the root's subject, trusted from the leaf's notBefore", () => {
    const tsa = loadOrCreateTsa(freshDir(), { now: clock });
    const entry = timestampAuthorityEntry(tsa.chain, { baseUrl: "https://vouch.example/" });
    expect(entry).toEqual({
      subject: { organization: "vouch", commonName: "vouch timestamp authority root" },
      uri: "https://vouch.example/api/v1/timestamp",
      certChain: { certificates: tsa.chain.map((c) => ({ rawBytes: b64(c) })) },
      validFor: { start: "2026-03-04T05:01:07.000Z" },
    });
    const [read] = trustedTsas(tsa.chain);
    expect(read!.certChain).toEqual(tsa.chain);
    expect(timestampAuthorityEntry(tsa.chain, { baseUrl: "http://x", start: T, end: new Date(T.getTime() + 1000) }).validFor).toEqual({
      start: "2026-03-04T05:06:07.891Z",
      end: "2026-03-04T05:06:08.891Z",
    });
  });
});

const OPENSSL = spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;

if (!OPENSSL) console.warn("[tsa] openssl ts interop tests SKIPPED: openssl is not on PATH (Debian package openssl)");

describe.skipIf(!OPENSSL)("openssl ts: an independent RFC 3161 peer", () => {
  const dir = freshDir();
  const files = join(work, "openssl");
  const f = (name: string) => join(files, name);
  rmSync(files, { recursive: true, force: true });
  spawnSync("mkdir", ["-p", files]);
  writeFileSync(f("data"), "an artifact signature, timestamped by vouch\n");

  const openssl = (...args: string[]) => spawnSync("openssl", args, { encoding: "utf8" });
  const query = (name: string, ...flags: string[]) => {
    const r = openssl("ts", "-query", "-data", f("data"), ...flags, "-out", f(name));
    expect(r.status, r.stderr).toBe(0);
    return new Uint8Array(readFileSync(f(name)));
  };
  const writeChain = (tsa: TimestampAuthority, prefix: string) => {
    writeFileSync(f(`${prefix}-leaf.pem`), encodePem("CERTIFICATE", tsa.chain[0]!));
    writeFileSync(f(`${prefix}-root.pem`), encodePem("CERTIFICATE", tsa.chain[tsa.chain.length - 1]!));
  };
  const verify = (reply: string, request: string, prefix: string) =>
    openssl("ts", "-verify", "-in", f(reply), "-queryfile", f(request), "-CAfile", f(`${prefix}-root.pem`), "-untrusted", f(`${prefix}-leaf.pem`));

  it("openssl ts -verify accepts replies to its SHA-256/384/512 queries, nonce and certReq included", async () => {
    // openssl checks the signature, the chain to -CAfile, the critical timeStamping EKU, the ESS signing certificate,
    // the imprint and the nonce against the query, and the certificate embedded because of -cert.
    const tsa = loadOrCreateTsa(dir);
    writeChain(tsa, "p256");
    for (const hash of ["sha256", "sha384", "sha512"]) {
      writeFileSync(f(`${hash}.tsr`), await tsa.timestamp(query(`${hash}.tsq`, `-${hash}`, "-cert")));
      const r = verify(`${hash}.tsr`, `${hash}.tsq`, "p256");
      expect(r.stdout + r.stderr).toContain("Verification: OK");
      expect(r.status).toBe(0);
    }
    const text = openssl("ts", "-reply", "-in", f("sha256.tsr"), "-text").stdout;
    expect(text).toContain("Status: Granted.");
    expect(text).toContain(`Policy OID: ${TSA_POLICY_OID}`);
    expect(text).toMatch(/Nonce: 0x[0-9A-F]+/);
    // -data: openssl hashes the file itself and compares with the imprint.
    expect(openssl("ts", "-verify", "-in", f("sha256.tsr"), "-data", f("data"), "-CAfile", f("p256-root.pem"), "-untrusted", f("p256-leaf.pem")).status).toBe(0);
  });

  it("openssl accepts milliseconds, the TSA name and the whole chain; a P-384 TSA; and refuses another root", async () => {
    const fancy = loadOrCreateTsa(dir, { genTimePrecision: "milliseconds", tsaName: true, includeChain: true });
    writeFileSync(f("fancy.tsr"), await fancy.timestamp(query("fancy.tsq", "-sha256", "-cert")));
    // With the chain embedded, openssl needs no -untrusted.
    const r = openssl("ts", "-verify", "-in", f("fancy.tsr"), "-queryfile", f("fancy.tsq"), "-CAfile", f("p256-root.pem"));
    expect(r.stdout + r.stderr).toContain("Verification: OK");
    expect(openssl("ts", "-reply", "-in", f("fancy.tsr"), "-text").stdout).toContain("TSA: DirName:/O=vouch/CN=vouch timestamp authority");

    const p384 = loadOrCreateTsa(freshDir(), { algorithm: "ecdsa-p384" });
    writeChain(p384, "p384");
    writeFileSync(f("p384.tsr"), await p384.timestamp(query("p384.tsq", "-sha384", "-cert")));
    expect(verify("p384.tsr", "p384.tsq", "p384").status).toBe(0);
    // Negative control: the P-384 reply against the P-256 TSA's root.
    const wrong = openssl("ts", "-verify", "-in", f("p384.tsr"), "-queryfile", f("p384.tsq"), "-CAfile", f("p256-root.pem"), "-untrusted", f("p384-leaf.pem"));
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toContain("Verification: FAILED");
  });

  it("openssl's SHA-1 query is refused (badAlg), and openssl reads vouch's RFC 3161 rejections", async () => {
    const tsa = loadOrCreateTsa(dir);
    const err = await rejectedVouchError(() => tsa.timestamp(query("sha1.tsq", "-sha1")));
    expect((err as TsaRequestError).failInfo).toBe("badAlg");
    const names: [Parameters<typeof rejectionResponse>[0], string][] = [
      ["badAlg", "unrecognized or unsupported algorithm identifier"],
      ["badRequest", "transaction not permitted or supported"],
      ["badDataFormat", "the data submitted has the wrong format"],
      ["unacceptedPolicy", "the requested TSA policy is not supported by the TSA"],
      ["unacceptedExtension", "the requested extension is not supported by the TSA"],
      ["systemFailure", "the request cannot be handled due to system failure"],
    ];
    for (const [failInfo, text] of names) {
      writeFileSync(f("rejected.tsr"), rejectionResponse(failInfo, err.message));
      const out = openssl("ts", "-reply", "-in", f("rejected.tsr"), "-text").stdout;
      expect(out).toContain("Status: Rejected.");
      expect(out).toContain(`Status description: ${err.message}`);
      expect(out).toContain(`Failure info: ${text}`);
    }
  });
});
