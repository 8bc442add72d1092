/**
 * Cross-verification against the real Sigstore JavaScript stack from npm (issue 3):
 *   1. bundles vouch writes (keyed, no log yet) verify with @sigstore/verify, and tampered copies fail in both;
 *   2. bundles @sigstore/sign writes — keyless against @sigstore/mock's Fulcio, Rekor and TSA served on loopback,
 *      and keyed with a local key — verify with vouch, and tampered copies fail;
 *   3. the real public-good bundles from sigstore-js give the same identity and log index in both verifiers.
 * The peers are used through their public APIs (the mock's service handlers through its dist modules, served on
 * 127.0.0.1 by test/support/sigstore-mock.ts: no other network). @sigstore/protobuf-specs, a dependency of
 * @sigstore/verify, supplies TrustedRoot.fromJSON and the PublicKeyDetails enum for @sigstore/verify's trust material.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON, bundleToJSON, type Bundle as SigstoreBundle } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
  type Signer as SigstoreSigner,
  type Witness,
} from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, Verifier, type Signer as VerifiedSigner } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBundle } from "../../src/bundle/parse.js";
import { serializeBundle } from "../../src/bundle/serialize.js";
import { parseTrustedRoot } from "../../src/bundle/trusted-root.js";
import type { TrustedRoot } from "../../src/bundle/types.js";
import { verifyBundle, type ArtifactInput, type VerificationPolicy, type VerificationResult } from "../../src/verify/verifier.js";
import { vouch } from "../support/cli.js";
import { thrownVouchError } from "../support/errors.js";
import { startMockSigstore, unsignedIdentityToken, wholeSecondsNow, type MockSigstore } from "../support/sigstore-mock.js";
import { localKeySigner, sigstoreRefusal } from "../support/sigstore-js.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "sigstore", "sigstore-js");
const INTOTO = "application/vnd.in-toto+json";
const SLSA_V1 = "https://slsa.dev/provenance/v1";
const PASSWORD = { VOUCH_PASSWORD: "interop test password" };

const work = mkdtempSync(join(tmpdir(), "vouch-interop-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (b: Uint8Array | string): Buffer => createHash("sha256").update(b).digest();
const spki = (key: KeyObject): Buffer => key.export({ type: "spki", format: "der" });
const clone = <T>(v: T): T => structuredClone(v);
const bytes = (data: string | Uint8Array): ArtifactInput => ({ kind: "bytes", data: typeof data === "string" ? Buffer.from(data) : data });

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** A copy of a bundle JSON with the last byte of one base64 field flipped (for DER signatures: inside the signature value). */
function flipBase64(json: any, path: (string | number)[]): any {
  const copy = clone(json);
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  const last = path[path.length - 1]!;
  const raw = Buffer.from(node[last], "base64");
  raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 0x01, raw.length - 1);
  node[last] = raw.toString("base64");
  return copy;
}

// --- @sigstore/verify trust material -----------------------------------------------------------------------------

const EMPTY_ROOT_JSON = {
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/**
 * Keyed trust for @sigstore/verify: toTrustMaterial(root, keys) resolves the bundle's `publicKey.hint` through the
 * `keys` map (trust/index.js keyLocator); the key's validFor is only checked against verified timestamps, of which
 * there are none here. Thresholds 0: vouch's bundles carry no log entry, timestamp or certificate yet.
 */
function keyedSigstoreVerifier(publicKey: KeyObject, hint: string): Verifier {
  const details = publicKey.asymmetricKeyType === "ed25519" ? PublicKeyDetails.PKIX_ED25519 : PublicKeyDetails.PKIX_ECDSA_P256_SHA_256;
  const material = toTrustMaterial(TrustedRootMessage.fromJSON(EMPTY_ROOT_JSON), {
    [hint]: { rawBytes: spki(publicKey), keyDetails: details, validFor: { start: new Date(0), end: undefined } },
  });
  return new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
}

function sigstoreVerify(verifier: Verifier, bundleJson: unknown, artifact?: Uint8Array): VerifiedSigner {
  const bundle = bundleFromJSON(bundleJson);
  return verifier.verify(artifact === undefined ? toSignedEntity(bundle) : toSignedEntity(bundle, Buffer.from(artifact)));
}

/**
 * @sigstore/verify checks the DSSE signature only; binding the statement to the artifact is its caller's job
 * (sigstore's `verify` leaves it to the policy layer). This is that check, written independently of vouch's.
 */
function statementSubjectsSha256(bundleJson: any): { predicateType: string; digests: string[] } {
  const statement = JSON.parse(Buffer.from(bundleJson.dsseEnvelope.payload, "base64").toString("utf8"));
  return { predicateType: statement.predicateType, digests: statement.subject.map((s: any) => s.digest.sha256) };
}

// --- vouch side --------------------------------------------------------------------------------------------------

const EMPTY_ROOT: TrustedRoot = parseTrustedRoot(JSON.stringify(EMPTY_ROOT_JSON));

function vouchKeyed(bundleJson: unknown, artifact: ArtifactInput, publicKey: KeyObject, extra: Partial<VerificationPolicy> = {}): VerificationResult {
  return verifyBundle(parseBundle(JSON.stringify(bundleJson)), {
    artifact,
    trustedRoot: EMPTY_ROOT,
    publicKey,
    tlogThreshold: 0,
    timestampThreshold: 0,
    ...extra,
  });
}

// =================================================================================================================

describe("1. bundles vouch signs verify with @sigstore/verify (keyed, no log entries yet)", () => {
  const ARTIFACT = "vouch interop release artifact v1.2.3\n";
  const artifactPath = join(work, "release.tgz");
  const predicatePath = join(work, "provenance.json");
  const keys: Record<"p256" | "ed25519", { pub: KeyObject; keyId: string; sig: any; att: any }> = {} as never;

  beforeAll(() => {
    writeFileSync(artifactPath, ARTIFACT);
    writeFileSync(
      predicatePath,
      JSON.stringify({
        buildDefinition: { buildType: "https://vouch.dev/interop-test@v1", externalParameters: {} },
        runDetails: { builder: { id: "https://vouch.dev/interop-builder" } },
      }),
    );
    for (const algorithm of ["p256", "ed25519"] as const) {
      const prefix = join(work, `key-${algorithm}`);
      const gen = vouch(["key", "generate", "--out", prefix, "--algorithm", algorithm === "p256" ? "ecdsa-p256" : "ed25519", "-o", "json"], { env: PASSWORD });
      expect(gen.stderr).toBe("");
      expect(gen.code).toBe(0);
      const sigPath = join(work, `release.${algorithm}.sigstore.json`);
      const attPath = join(work, `release.${algorithm}.att.sigstore.json`);
      const sign = vouch(["sign", artifactPath, "--key", `${prefix}.key`, "--bundle", sigPath], { env: PASSWORD });
      expect(sign.stderr).toBe("");
      expect(sign.code).toBe(0);
      const attest = vouch(["attest", artifactPath, "--type", "slsaprovenance", "--predicate", predicatePath, "--key", `${prefix}.key`, "--bundle", attPath], { env: PASSWORD });
      expect(attest.stderr).toBe("");
      expect(attest.code).toBe(0);
      keys[algorithm] = {
        pub: createPublicKey(readFileSync(`${prefix}.pub`, "utf8")),
        keyId: JSON.parse(gen.stdout).keyId,
        sig: readJson(sigPath),
        att: readJson(attPath),
      };
    }
  });

  it("the bundles are v0.3 with the key's ID as hint and no log entries (what the trust material is keyed by)", () => {
    const { pub, keyId, sig, att } = keys.p256;
    expect(keyId).toBe(sha256(spki(pub)).toString("hex"));
    for (const b of [sig, att]) {
      expect(b.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
      expect(b.verificationMaterial).toEqual({ publicKey: { hint: keyId }, tlogEntries: [] });
      // @sigstore/bundle's own schema assertion accepts them (bundleFromJSON runs assertBundleLatest for v0.3).
      expect(() => bundleFromJSON(b)).not.toThrow();
    }
  });

  it("ECDSA P-256 message signature: @sigstore/verify and vouch both accept it, with the same key", () => {
    const { pub, keyId, sig } = keys.p256;
    const signer = sigstoreVerify(keyedSigstoreVerifier(pub, keyId), sig, Buffer.from(ARTIFACT));
    expect(spki(signer.key).equals(spki(pub))).toBe(true);
    expect(signer.identity).toBeUndefined();

    const result = vouchKeyed(sig, bytes(ARTIFACT), pub);
    expect(result.signer).toEqual({ kind: "publicKey", keyId });
    expect(result.checks.map((c) => c.step)).toEqual(["tlog", "signature", "artifact"]);
  });

  it("ECDSA P-256 in-toto attestation: both accept the DSSE signature; the statement names the artifact", () => {
    const { pub, keyId, att } = keys.p256;
    const signer = sigstoreVerify(keyedSigstoreVerifier(pub, keyId), att);
    expect(spki(signer.key).equals(spki(pub))).toBe(true);
    expect(att.dsseEnvelope.payloadType).toBe(INTOTO);
    expect(att.dsseEnvelope.signatures).toEqual([{ sig: expect.any(String), keyid: keyId }]);
    expect(statementSubjectsSha256(att)).toEqual({ predicateType: SLSA_V1, digests: [sha256(ARTIFACT).toString("hex")] });

    const result = vouchKeyed(att, bytes(ARTIFACT), pub, { predicateType: SLSA_V1 });
    expect(result.predicateType).toBe(SLSA_V1);
    expect(result.signer).toEqual({ kind: "publicKey", keyId });
  });

  it("Ed25519 attestation verifies in both; Ed25519 message signature verifies in vouch, not in @sigstore/verify 4.x", () => {
    const { pub, keyId, sig, att } = keys.ed25519;
    const verifier = keyedSigstoreVerifier(pub, keyId);
    expect(spki(sigstoreVerify(verifier, att).key).equals(spki(pub))).toBe(true);
    expect(vouchKeyed(att, bytes(ARTIFACT), pub, { predicateType: SLSA_V1 }).predicateType).toBe(SLSA_V1);

    // vouch signs the artifact with pure Ed25519 (PKIX_ED25519, RFC 8032), which vouch and a plain node:crypto check
    // accept. @sigstore/verify 4.1.3 MessageSignatureContent.verifySignature passes the bundle's digest algorithm
    // ("sha256") to crypto.verify, which OpenSSL refuses for Ed25519 keys ("invalid digest"), so no Ed25519 message
    // signature verifies there. A peer limitation, pinned here so a change on either side is noticed.
    expect(vouchKeyed(sig, bytes(ARTIFACT), pub).signer).toEqual({ kind: "publicKey", keyId });
    expect(sigstoreRefusal(() => sigstoreVerify(verifier, sig, Buffer.from(ARTIFACT)))).toBe("SIGNATURE_ERROR");
  });

  it("negative controls: another artifact, a flipped signature, a rewritten statement, another key: both refuse", () => {
    const { pub, keyId, sig, att } = keys.p256;
    const verifier = keyedSigstoreVerifier(pub, keyId);
    const other = "vouch interop release artifact v1.2.4\n";

    // Message signature, other artifact.
    expect(sigstoreRefusal(() => sigstoreVerify(verifier, sig, Buffer.from(other)))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchKeyed(sig, bytes(other), pub)).code).toBe("VERIFY_ARTIFACT");

    // Message signature, signature bit flipped.
    const badSig = flipBase64(sig, ["messageSignature", "signature"]);
    expect(sigstoreRefusal(() => sigstoreVerify(verifier, badSig, Buffer.from(ARTIFACT)))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchKeyed(badSig, bytes(ARTIFACT), pub)).code).toBe("VERIFY_SIGNATURE");

    // Attestation whose statement was rewritten to name another artifact (signature left as it was).
    const statement = JSON.parse(Buffer.from(att.dsseEnvelope.payload, "base64").toString("utf8"));
    statement.subject[0].digest.sha256 = sha256(other).toString("hex");
    const rewritten = clone(att);
    rewritten.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    expect(sigstoreRefusal(() => sigstoreVerify(verifier, rewritten))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchKeyed(rewritten, bytes(other), pub)).code).toBe("VERIFY_SIGNATURE");

    // Attestation checked against another artifact: vouch refuses the subject; for @sigstore/verify that is the
    // caller's subject check above, which does not match.
    expect(thrownVouchError(() => vouchKeyed(att, bytes(other), pub)).code).toBe("VERIFY_ARTIFACT");
    expect(statementSubjectsSha256(att).digests).not.toContain(sha256(other).toString("hex"));

    // Another key under the same hint.
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(sigstoreRefusal(() => sigstoreVerify(keyedSigstoreVerifier(stranger, keyId), att))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchKeyed(att, bytes(ARTIFACT), stranger)).code).toBe("VERIFY_SIGNATURE");
    // And the bundle's hint is not in @sigstore/verify's key map at all.
    expect(sigstoreRefusal(() => sigstoreVerify(keyedSigstoreVerifier(pub, "not-the-hint"), att))).toBe("PUBLIC_KEY_ERROR");
  });
});

// =================================================================================================================

describe("2. bundles @sigstore/sign builds verify with vouch", () => {
  const ARTIFACT = Buffer.from("artifact signed by @sigstore/sign\n");
  const OTHER = Buffer.from("some other artifact\n");
  const SUBJECT = "https://github.com/vouch-dev/interop/.github/workflows/release.yml@refs/heads/main";
  const ISSUER = "https://token.actions.githubusercontent.com";
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "artifact.txt", digest: { sha256: sha256(ARTIFACT).toString("hex") } }],
    predicateType: SLSA_V1,
    predicate: { buildDefinition: { buildType: "https://example.com/build@v1" }, runDetails: { builder: { id: "https://example.com/builder" } } },
  };
  let mock: MockSigstore;
  let root: TrustedRoot;
  let sigstoreVerifier: Verifier;

  beforeAll(async () => {
    mock = await startMockSigstore();
    root = parseTrustedRoot(JSON.stringify(mock.trustedRootJson), "mock trusted_root.json");
    sigstoreVerifier = new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(mock.trustedRootJson)));
  });
  afterAll(async () => {
    await mock?.close();
  });

  const keyless = (): SigstoreSigner =>
    new FulcioSigner({
      fulcioBaseURL: mock.url,
      identityProvider: { getToken: async () => unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }) },
    });
  const witnesses = (rekor: { entryType?: "dsse" | "intoto" } = {}): Witness[] => [
    new RekorWitness({ rekorBaseURL: mock.url, ...rekor }),
    new TSAWitness({ tsaBaseURL: mock.url }),
  ];
  const identity = { subject: SUBJECT, issuer: ISSUER };
  const vouchKeyless = (bundle: SigstoreBundle, artifact: ArtifactInput, extra: Partial<VerificationPolicy> = {}): VerificationResult =>
    verifyBundle(parseBundle(JSON.stringify(bundleToJSON(bundle))), { artifact, trustedRoot: root, identity, ...extra });

  /** What both verifiers must report for a keyless mock bundle: the identity, the log index, two trusted times. */
  function expectKeylessAgreement(bundle: SigstoreBundle, result: VerificationResult, sigstoreSigner: VerifiedSigner): void {
    const entry = bundle.verificationMaterial.tlogEntries[0]!;
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    expect(result.signer).toMatchObject({ kind: "certificate", identity: { subject: SUBJECT, subjectType: "uri", issuer: ISSUER } });
    expect(sigstoreSigner.identity).toMatchObject({ subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } });
    expect(result.tlogEntries).toEqual([
      { logIndex: BigInt(entry.logIndex), logId: Buffer.from(entry.logId.keyId).toString("hex"), integratedTime: new Date(Number(entry.integratedTime) * 1000) },
    ]);
    expect(result.trustedTimes.map((t) => t.source).sort()).toEqual(["timestamp-authority", "tlog"]);
    expect(result.checks.map((c) => c.step)).toEqual(["tlog", "timestamps", "certificate", "sct", "identity", "signature", "artifact"]);
  }

  it("keyless message signature (Fulcio + Rekor v1 + TSA, over loopback HTTP): vouch verifies it", async () => {
    const bundle = await new MessageSignatureBundleBuilder({ signer: keyless(), witnesses: witnesses() }).create({ data: ARTIFACT });
    // Every service was really called over HTTP.
    expect(Object.fromEntries(mock.requests)).toMatchObject({ "/api/v2/signingCert": expect.any(Number), "/api/v1/log/entries": expect.any(Number), "/api/v1/timestamp": expect.any(Number) });
    const json: any = bundleToJSON(bundle);
    expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle+json;version=0.2");
    expect(json.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.1" });

    const sigstoreSigner = sigstoreVerifier.verify(toSignedEntity(bundle, ARTIFACT), { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } });
    const result = vouchKeyless(bundle, bytes(ARTIFACT));
    expectKeylessAgreement(bundle, result, sigstoreSigner);
    // The digest form (sha256:<hex>) verifies too.
    expect(vouchKeyless(bundle, { kind: "digest", algorithm: "sha256", hex: sha256(ARTIFACT).toString("hex") }).signer.kind).toBe("certificate");

    // Negative controls: another artifact; another identity; a root without the mock's CA (the public-good root).
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(OTHER))).code).toBe("VERIFY_TLOG_BODY");
    expect(sigstoreRefusal(() => sigstoreVerifier.verify(toSignedEntity(bundle, OTHER)))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(ARTIFACT), { identity: { subject: `${SUBJECT}x`, issuer: ISSUER } })).code).toBe("VERIFY_IDENTITY");
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(ARTIFACT), { identity: { subject: SUBJECT, issuer: "https://accounts.google.com" } })).code).toBe("VERIFY_IDENTITY");
    const publicGood = parseTrustedRoot(readFileSync(join(FIXTURES, "derived", "public-good-trusted_root.json"), "utf8"));
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(ARTIFACT), { trustedRoot: publicGood })).code).toBe("VERIFY_TIMESTAMP");
    // A root that does not trust the mock's CT log: the embedded SCT cannot be verified.
    const noCtlogs = { ...mock.trustedRootJson, ctlogs: [] };
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(ARTIFACT), { trustedRoot: parseTrustedRoot(JSON.stringify(noCtlogs)) })).code).toBe("VERIFY_SCT");
    expect(sigstoreRefusal(() => new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(noCtlogs))).verify(toSignedEntity(bundle, ARTIFACT)))).toBe("CERTIFICATE_ERROR");
    // A valid timestamp taken from another bundle of the same signer covers another signature: both refuse it.
    const second = await new MessageSignatureBundleBuilder({ signer: keyless(), witnesses: witnesses() }).create({ data: ARTIFACT });
    const swapped = clone(json);
    swapped.verificationMaterial.timestampVerificationData = (bundleToJSON(second) as any).verificationMaterial.timestampVerificationData;
    expect(thrownVouchError(() => vouchKeyless(bundleFromJSON(swapped), bytes(ARTIFACT))).code).toBe("VERIFY_TIMESTAMP");
    expect(sigstoreRefusal(() => sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(swapped), ARTIFACT)))).toBe("TIMESTAMP_ERROR");

    // vouch re-writes the v0.2 bundle as v0.3 (leaf `certificate`); @sigstore/verify still verifies what vouch wrote.
    const rewritten: any = serializeBundle(parseBundle(JSON.stringify(json)));
    expect(rewritten.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(rewritten), ARTIFACT)).identity?.subjectAlternativeName).toBe(SUBJECT);
  });

  it("the vouch CLI verifies the @sigstore/sign bundle with the mock's trusted_root.json, and refuses another identity", async () => {
    const bundle = await new MessageSignatureBundleBuilder({ signer: keyless(), witnesses: witnesses() }).create({ data: ARTIFACT });
    const dir = mkdtempSync(join(work, "cli-"));
    const [artifactPath, bundlePath, rootPath] = [join(dir, "artifact.txt"), join(dir, "artifact.sigstore.json"), join(dir, "trusted_root.json")];
    writeFileSync(artifactPath, ARTIFACT);
    writeFileSync(bundlePath, JSON.stringify(bundleToJSON(bundle)));
    writeFileSync(rootPath, JSON.stringify(mock.trustedRootJson));
    const args = ["verify", artifactPath, "--bundle", bundlePath, "--trusted-root", rootPath, "--certificate-oidc-issuer", ISSUER, "-o", "json"];
    const ok = vouch([...args, "--certificate-identity", SUBJECT]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out).toMatchObject({ verified: true, signer: { kind: "certificate", identity: { subject: SUBJECT, issuer: ISSUER } } });
    expect(out.tlogEntries.map((e: any) => e.logIndex)).toEqual([bundle.verificationMaterial.tlogEntries[0]!.logIndex]);
    const refused = vouch([...args, "--certificate-identity", "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
  });

  it("a certificate that expired before the log entry or the timestamp: both verifiers refuse it", async () => {
    // A second mock whose log and TSA run 20 minutes ahead: Fulcio's certificates live 10 minutes.
    const late = await startMockSigstore({ clock: () => new Date(wholeSecondsNow().getTime() + 20 * 60_000) });
    try {
      const signer = new FulcioSigner({ fulcioBaseURL: late.url, identityProvider: { getToken: async () => unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }) } });
      const lateRoot = parseTrustedRoot(JSON.stringify(late.trustedRootJson));
      const lateMaterial = toTrustMaterial(TrustedRootMessage.fromJSON(late.trustedRootJson));
      for (const [witness, tlogThreshold] of [
        [new RekorWitness({ rekorBaseURL: late.url }), 1],
        [new TSAWitness({ tsaBaseURL: late.url }), 0],
      ] as const) {
        const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [witness] }).create({ data: ARTIFACT });
        const refusal = thrownVouchError(() => verifyBundle(parseBundle(JSON.stringify(bundleToJSON(bundle))), { artifact: bytes(ARTIFACT), trustedRoot: lateRoot, identity, tlogThreshold }));
        expect(refusal.code).toBe("VERIFY_CERTIFICATE_CHAIN");
        expect(refusal.message).toContain("expired");
        expect(sigstoreRefusal(() => new Verifier(lateMaterial, { tlogThreshold }).verify(toSignedEntity(bundle, ARTIFACT)))).toBe("CERTIFICATE_ERROR");
      }
    } finally {
      await late.close();
    }
  });

  it("keyless in-toto attestation (Fulcio + Rekor v1 intoto entry + TSA): vouch verifies it", async () => {
    const payload = Buffer.from(JSON.stringify(statement));
    const bundle = await new DSSEBundleBuilder({ signer: keyless(), witnesses: witnesses({ entryType: "intoto" }) }).create({ data: payload, type: INTOTO });
    const json: any = bundleToJSON(bundle);
    expect(json.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(Object.keys(json.verificationMaterial)).toContain("certificate");
    expect(json.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "intoto", version: "0.0.2" });

    const sigstoreSigner = sigstoreVerifier.verify(toSignedEntity(bundle), { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } });
    const result = vouchKeyless(bundle, bytes(ARTIFACT), { predicateType: SLSA_V1 });
    expectKeylessAgreement(bundle, result, sigstoreSigner);
    expect(result.predicateType).toBe(SLSA_V1);

    // Negative controls: the attestation is not about another artifact, nor of another predicate type; a payload
    // rewritten after signing no longer matches the log entry (payloadHash) nor the signature.
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(OTHER))).code).toBe("VERIFY_ARTIFACT");
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(ARTIFACT), { predicateType: "https://spdx.dev/Document" })).code).toBe("VERIFY_ARTIFACT");
    const tampered = clone(json);
    tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify({ ...statement, predicateType: "https://spdx.dev/Document" })).toString("base64");
    expect(thrownVouchError(() => vouchKeyless(bundleFromJSON(tampered), bytes(ARTIFACT))).code).toBe("VERIFY_TLOG_BODY");
    expect(sigstoreRefusal(() => sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(tampered))))).toBe("TLOG_BODY_ERROR");

    // vouch's re-serialization says the same (it writes proto3 defaults such as keyid "" and logIndex "0" that
    // @sigstore/bundle omits; both forms are valid protobuf JSON) and verifies there.
    const rewritten = serializeBundle(parseBundle(JSON.stringify(json)));
    expect(parseBundle(JSON.stringify(rewritten))).toEqual(parseBundle(JSON.stringify(json)));
    expect(sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(rewritten))).identity?.subjectAlternativeName).toBe(SUBJECT);
  });

  it("keyless in-toto attestation with only an RFC 3161 timestamp (no log entry): the TSA time is the trusted time", async () => {
    const payload = Buffer.from(JSON.stringify(statement));
    const bundle = await new DSSEBundleBuilder({ signer: keyless(), witnesses: [new TSAWitness({ tsaBaseURL: mock.url })] }).create({ data: payload, type: INTOTO });
    const sigstoreSigner = new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(mock.trustedRootJson)), { tlogThreshold: 0 }).verify(toSignedEntity(bundle), {
      subjectAlternativeName: SUBJECT,
      extensions: { issuer: ISSUER },
    });
    expect(sigstoreSigner.identity?.subjectAlternativeName).toBe(SUBJECT);
    const result = vouchKeyless(bundle, bytes(ARTIFACT), { tlogThreshold: 0 });
    expect(result.signer).toMatchObject({ kind: "certificate", identity: { subject: SUBJECT, issuer: ISSUER } });
    expect(result.tlogEntries).toEqual([]);
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["timestamp-authority"]);
    // Negative controls: the default threshold wants a log entry; a flipped timestamp byte is refused.
    expect(thrownVouchError(() => vouchKeyless(bundle, bytes(ARTIFACT))).code).toBe("VERIFY_THRESHOLD");
    const badTimestamp = flipBase64(bundleToJSON(bundle), ["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp"]);
    expect(thrownVouchError(() => vouchKeyless(bundleFromJSON(badTimestamp), bytes(ARTIFACT), { tlogThreshold: 0 })).code).toBe("VERIFY_TIMESTAMP");
  });

  it("an RFC 3161 genTime with fractional seconds (\".41Z\"): vouch reads it; @sigstore/verify 4.x throws", async () => {
    // X.690 §11.7.3-4 (DER): GeneralizedTime fractions drop trailing zeros, so 410 ms is ".41". @sigstore/core
    // 4.0.1's parseTime accepts only exactly three digits (RE_TIME_LONG_YEAR) and throws a plain Error.
    const fractional = await startMockSigstore({ clock: () => new Date(wholeSecondsNow().getTime() + 410) });
    try {
      const signer = new FulcioSigner({ fulcioBaseURL: fractional.url, identityProvider: { getToken: async () => unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }) } });
      const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [new TSAWitness({ tsaBaseURL: fractional.url })] }).create({ data: ARTIFACT });
      const result = verifyBundle(parseBundle(JSON.stringify(bundleToJSON(bundle))), {
        artifact: bytes(ARTIFACT),
        trustedRoot: parseTrustedRoot(JSON.stringify(fractional.trustedRootJson)),
        identity,
        tlogThreshold: 0,
      });
      expect(result.trustedTimes).toHaveLength(1);
      expect(result.trustedTimes[0]!.time.getUTCMilliseconds()).toBe(410);
      const peer = new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(fractional.trustedRootJson)), { tlogThreshold: 0 });
      expect(() => peer.verify(toSignedEntity(bundle, ARTIFACT))).toThrow("invalid time");
    } finally {
      await fractional.close();
    }
  });

  describe("one Rekor v1 entry repeated under another top-level logIndex (the SET removed, so nothing binds that index)", () => {
    // The inclusion proof authenticates the body and the proof's own leaf index, not the entry's top-level logIndex
    // (sigstore-js verifier.ts: "a proof does not authenticate the top-level log index"); only the SET binds it.
    async function repeatedEntryBundle(): Promise<any> {
      const bundle = await new MessageSignatureBundleBuilder({ signer: keyless(), witnesses: witnesses() }).create({ data: ARTIFACT });
      const json: any = bundleToJSON(bundle);
      const entry = json.verificationMaterial.tlogEntries[0];
      delete entry.inclusionPromise;
      json.verificationMaterial.tlogEntries.push({ ...clone(entry), logIndex: String(BigInt(entry.logIndex) + 1n) });
      return json;
    }

    it("the copy is otherwise valid (one entry is enough at threshold 1), and @sigstore/verify refuses it as a duplicate", async () => {
      const json = await repeatedEntryBundle();
      expect(vouchKeyless(bundleFromJSON(json), bytes(ARTIFACT)).signer.kind).toBe("certificate");
      expect(sigstoreRefusal(() => new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(mock.trustedRootJson)), { tlogThreshold: 2 }).verify(toSignedEntity(bundleFromJSON(json), ARTIFACT)))).toBe("TLOG_ERROR");
    });

    // Found by this test: vouch once deduplicated entries by log ID + the stated (unauthenticated) log index.
    it("vouch does not count the copy toward tlogThreshold 2", async () => {
      const json = await repeatedEntryBundle();
      expect(thrownVouchError(() => vouchKeyless(bundleFromJSON(json), bytes(ARTIFACT), { tlogThreshold: 2 })).code).toBe("VERIFY_THRESHOLD");
    });
  });

  it("not covered by the mock: Rekor v1 `dsse` and Rekor v2 entries (both verifiers refuse what the mock logs)", async () => {
    // @sigstore/mock 0.13 logs the *proposed* dsse entry (spec.proposedContent) as the canonicalized body, where
    // Rekor logs the canonical one (spec.envelopeHash/payloadHash/signatures); its Rekor v2 handler logs the
    // protobuf request object itself (with "$case" and Buffers as {data: [...]}) and an inclusion proof whose leaf
    // index is beyond its tree size. No verifier can accept those, so the dsse and Rekor v2 kinds are verified only
    // on real public-good bundles (part 3) and vouch's own fixtures. Pinned here: both verifiers refuse them.
    console.log("interop: skipped as positive cases: Rekor v1 dsse and Rekor v2 entries from @sigstore/mock (the mock does not log canonical bodies)");
    const payload = Buffer.from(JSON.stringify(statement));
    const dsse = await new DSSEBundleBuilder({ signer: keyless(), witnesses: witnesses({ entryType: "dsse" }) }).create({ data: payload, type: INTOTO });
    expect(sigstoreRefusal(() => sigstoreVerifier.verify(toSignedEntity(dsse)))).toBe("TLOG_BODY_ERROR");
    expect(thrownVouchError(() => vouchKeyless(dsse, bytes(ARTIFACT))).code).toBe("VERIFY_TLOG_BODY");
    const v2 = await new DSSEBundleBuilder({
      signer: keyless(),
      witnesses: [new RekorWitness({ rekorBaseURL: mock.url, majorApiVersion: 2 }), new TSAWitness({ tsaBaseURL: mock.url })],
    }).create({ data: payload, type: INTOTO });
    expect(sigstoreRefusal(() => sigstoreVerifier.verify(toSignedEntity(v2)))).toBe("TLOG_INCLUSION_PROOF_ERROR");
    expect(thrownVouchError(() => vouchKeyless(v2, bytes(ARTIFACT))).code).toBe("VERIFY_TLOG_BODY");
  });

  it("keyed: @sigstore/sign with a local-key Signer, with and without a Rekor entry, verifies with vouch", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const hint = sha256(spki(publicKey)).toString("hex");
    const signer = localKeySigner(privateKey, hint);
    const payload = Buffer.from(JSON.stringify(statement));

    // No witnesses: the same shape vouch writes (no log entry).
    const plain = await new MessageSignatureBundleBuilder({ signer, witnesses: [] }).create({ data: ARTIFACT });
    const plainJson: any = bundleToJSON(plain);
    expect(plainJson.verificationMaterial.publicKey).toEqual({ hint });
    expect(vouchKeyed(plainJson, bytes(ARTIFACT), publicKey).signer).toEqual({ kind: "publicKey", keyId: hint });
    expect(thrownVouchError(() => vouchKeyed(plainJson, bytes(OTHER), publicKey)).code).toBe("VERIFY_ARTIFACT");
    // The default threshold asks for a log entry this bundle does not have.
    expect(thrownVouchError(() => vouchKeyed(plainJson, bytes(ARTIFACT), publicKey, { tlogThreshold: 1 })).code).toBe("VERIFY_THRESHOLD");

    const plainAtt = await new DSSEBundleBuilder({ signer, witnesses: [] }).create({ data: payload, type: INTOTO });
    expect(vouchKeyed(bundleToJSON(plainAtt), bytes(ARTIFACT), publicKey, { predicateType: SLSA_V1 }).predicateType).toBe(SLSA_V1);

    // With a Rekor v1 entry from the mock log: vouch checks that the hashedrekord / intoto body names this key.
    const logged = await new MessageSignatureBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: mock.url })] }).create({ data: ARTIFACT });
    const loggedJson: any = bundleToJSON(logged);
    const keyedLog = (json: unknown, artifact: ArtifactInput, key: KeyObject, extra: Partial<VerificationPolicy> = {}) =>
      verifyBundle(parseBundle(JSON.stringify(json)), { artifact, trustedRoot: root, publicKey: key, ...extra });
    const result = keyedLog(loggedJson, bytes(ARTIFACT), publicKey);
    expect(result.tlogEntries.map((e) => e.logIndex)).toEqual([BigInt(loggedJson.verificationMaterial.tlogEntries[0].logIndex)]);
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["tlog"]);
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(thrownVouchError(() => keyedLog(loggedJson, bytes(ARTIFACT), stranger)).code).toBe("VERIFY_TLOG_BODY");
    expect(thrownVouchError(() => keyedLog(loggedJson, bytes(OTHER), publicKey)).code).toBe("VERIFY_TLOG_BODY");

    const loggedAtt = await new DSSEBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: mock.url, entryType: "intoto" })] }).create({ data: payload, type: INTOTO });
    const att = keyedLog(bundleToJSON(loggedAtt), bytes(ARTIFACT), publicKey, { predicateType: SLSA_V1 });
    expect(att.tlogEntries).toHaveLength(1);
    expect(thrownVouchError(() => keyedLog(bundleToJSON(loggedAtt), bytes(ARTIFACT), stranger)).code).toBe("VERIFY_TLOG_BODY");
  });
});

// =================================================================================================================

describe("3. the public-good sigstore-js bundles: both verifiers agree on identity and log index", () => {
  const EMAIL = "brian@dehamer.com";
  const OAUTH = "https://github.com/login/oauth";
  const rootJson = readJson(join(FIXTURES, "derived", "public-good-trusted_root.json"));
  const vouchRoot = parseTrustedRoot(JSON.stringify(rootJson));
  const sigstoreVerifier = new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(rootJson)));
  const dir = join(FIXTURES, "tests", "bundles");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sigstore")).sort();

  it("finds the 9 bundles", () => {
    expect(files).toHaveLength(9);
  });

  it.each(files)("%s", (file) => {
    const json = readJson(join(dir, file));
    const entry = json.verificationMaterial.tlogEntries[0];

    const signer = sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(json)), { subjectAlternativeName: EMAIL, extensions: { issuer: OAUTH } });
    // The statement's subject, as both verifiers are given it (a sha512 digest: there is no artifact file).
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, "base64").toString("utf8"));
    const sha512: string = statement.subject[0].digest.sha512;
    const result = verifyBundle(parseBundle(JSON.stringify(json), file), {
      artifact: { kind: "digest", algorithm: "sha512", hex: sha512 },
      trustedRoot: vouchRoot,
      identity: { subject: EMAIL, issuer: OAUTH },
    });

    expect(result.signer).toMatchObject({ kind: "certificate", identity: { subject: signer.identity!.subjectAlternativeName, issuer: signer.identity!.extensions!.issuer } });
    expect(signer.identity).toMatchObject({ subjectAlternativeName: EMAIL, extensions: { issuer: OAUTH } });
    // @sigstore/verify verifies every entry the bundle carries and returns none: its log index is the bundle's.
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(result.tlogEntries.map((e) => e.logIndex)).toEqual([BigInt(entry.logIndex)]);
    expect(result.tlogEntries[0]!.logId).toBe(Buffer.from(entry.logId.keyId, "base64").toString("hex"));
    expect(result.trustedTimes).toEqual([{ source: "tlog", time: new Date(Number(entry.integratedTime) * 1000), by: "https://rekor.sigstore.dev" }]);
    expect(result.predicateType).toBe(statement.predicateType);

    // What vouch re-writes as v0.3 still verifies in @sigstore/verify; a v0.1 entry with only a SET cannot be v0.3.
    if (entry.inclusionProof === undefined) {
      expect(thrownVouchError(() => serializeBundle(parseBundle(JSON.stringify(json)))).code).toBe("INPUT_UNSUPPORTED_FORMAT");
    } else {
      const rewritten: any = serializeBundle(parseBundle(JSON.stringify(json)));
      expect(rewritten.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
      expect(sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(rewritten))).identity?.subjectAlternativeName).toBe(EMAIL);
    }

    // Negative control for both: another identity.
    expect(sigstoreRefusal(() => sigstoreVerifier.verify(toSignedEntity(bundleFromJSON(json)), { subjectAlternativeName: "someone@else.example" }))).toBe("UNTRUSTED_SIGNER_ERROR");
    expect(thrownVouchError(() => verifyBundle(parseBundle(JSON.stringify(json)), { artifact: { kind: "digest", algorithm: "sha512", hex: sha512 }, trustedRoot: vouchRoot, identity: { subject: "someone@else.example", issuer: OAUTH } })).code).toBe("VERIFY_IDENTITY");
  });
});
