/**
 * Issue 4, end to end: vouch's transparency log as a real process (`vouch log serve`), written to by @sigstore/sign's
 * unmodified RekorWitness over loopback HTTP, and the resulting bundles verified by vouch's verifier and by
 * @sigstore/verify given the trusted root that `vouch trust export` writes. Keyed and keyless (@sigstore/mock's
 * Fulcio for the certificate, vouch's log instead of the mock's Rekor), message signatures and DSSE (dsse and intoto
 * entries); tampered copies are refused by both.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON, bundleToJSON } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, TSAWitness, type Signer as SigstoreSigner } from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBundle } from "../../src/bundle/parse.js";
import { parseTrustedRoot } from "../../src/bundle/trusted-root.js";
import type { TrustedRoot } from "../../src/bundle/types.js";
import { verifyBundle, type ArtifactInput, type VerificationPolicy, type VerificationResult } from "../../src/verify/verifier.js";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";
import { thrownVouchError } from "../support/errors.js";
import { startMockSigstore, unsignedIdentityToken, type MockSigstore } from "../support/sigstore-mock.js";
import { localKeySigner, sigstoreRefusal } from "../support/sigstore-js.js";

const work = mkdtempSync(join(tmpdir(), "vouch-log-interop-"));
const env = { VOUCH_DATA_DIR: join(work, "data") };
const INTOTO = "application/vnd.in-toto+json";
const ARTIFACT = Buffer.from("an artifact logged in vouch's own transparency log\n");
const OTHER = Buffer.from("another artifact\n");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();
const spki = (key: KeyObject) => key.export({ type: "spki", format: "der" });
const bytes = (data: Uint8Array): ArtifactInput => ({ kind: "bytes", data });

let server: RunningVouch;
let rootJson: any;
let root: TrustedRoot;

beforeAll(async () => {
  server = await spawnVouch(["log", "serve", "--port", "0"], { env });
  const exported = vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env });
  expect(exported.stderr).toBe("");
  expect(exported.code).toBe(0);
  rootJson = JSON.parse(readFileSync(join(work, "trust", "trusted_root.json"), "utf8"));
  root = parseTrustedRoot(JSON.stringify(rootJson));
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  rmSync(work, { recursive: true, force: true });
});

function flip(json: any, path: (string | number)[]): any {
  const copy = structuredClone(json);
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  const last = path[path.length - 1]!;
  const raw = Buffer.from(node[last], "base64");
  raw[raw.length - 1]! ^= 1;
  node[last] = raw.toString("base64");
  return copy;
}

describe("keyed bundles logged by @sigstore/sign's RekorWitness in vouch's log", () => {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const hint = sha256(spki(key.publicKey)).toString("hex");
  const witness = () => new RekorWitness({ rekorBaseURL: server.url });
  const sigstoreVerifier = () =>
    new Verifier(
      toTrustMaterial(TrustedRootMessage.fromJSON(rootJson), {
        [hint]: { rawBytes: spki(key.publicKey), keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: { start: new Date(0), end: undefined } },
      }),
      { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 },
    );
  /** vouch's verifier over a bundle in its JSON form. */
  const vouchVerify = (json: unknown, artifact: ArtifactInput, extra: Partial<VerificationPolicy> = {}): VerificationResult =>
    verifyBundle(parseBundle(JSON.stringify(json)), {
      artifact,
      trustedRoot: root,
      publicKey: key.publicKey,
      ...extra,
    });

  it("message signature: a hashedrekord entry, SET and checkpoint that both verifiers accept", async () => {
    // An entry before ours, so that our inclusion proof has a hash to tamper with.
    await new MessageSignatureBundleBuilder({ signer: localKeySigner(key.privateKey, hint), witnesses: [witness()] }).create({ data: OTHER });
    const bundle = await new MessageSignatureBundleBuilder({ signer: localKeySigner(key.privateKey, hint), witnesses: [witness()] }).create({ data: ARTIFACT });
    const json: any = bundleToJSON(bundle);
    const entry = json.verificationMaterial.tlogEntries[0];
    expect(entry.kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.1" });
    expect(Buffer.from(entry.logId.keyId, "base64")).toEqual(Buffer.from(rootJson.tlogs[0].logId.keyId, "base64"));
    expect(entry.inclusionPromise.signedEntryTimestamp).toBeTruthy();
    expect(entry.inclusionProof.checkpoint.envelope).toMatch(/^127\.0\.0\.1\n\d+\n/);

    expect(spki(sigstoreVerifier().verify(toSignedEntity(bundle, ARTIFACT)).key).equals(spki(key.publicKey))).toBe(true);
    const result = vouchVerify(json, bytes(ARTIFACT));
    expect(result.signer).toEqual({ kind: "publicKey", keyId: hint });
    expect(result.tlogEntries).toHaveLength(1);
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["tlog"]);

    // Negative controls: another artifact, a flipped SET, a flipped inclusion-proof hash, a foreign trusted root.
    expect(sigstoreRefusal(() => sigstoreVerifier().verify(toSignedEntity(bundle, OTHER)))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchVerify(json, bytes(OTHER))).code).toBe("VERIFY_TLOG_BODY");
    const badSet = flip(json, ["verificationMaterial", "tlogEntries", 0, "inclusionPromise", "signedEntryTimestamp"]);
    expect(thrownVouchError(() => vouchVerify(badSet, bytes(ARTIFACT))).code).toBe("VERIFY_TLOG_SET");
    expect(sigstoreRefusal(() => sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(badSet), ARTIFACT)))).toBe("TLOG_INCLUSION_PROMISE_ERROR");
    {
      expect(entry.inclusionProof.hashes.length).toBeGreaterThan(0);
      const badProof = flip(json, ["verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 0]);
      expect(thrownVouchError(() => vouchVerify(badProof, bytes(ARTIFACT))).code).toBe("VERIFY_TLOG_INCLUSION");
      expect(sigstoreRefusal(() => sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(badProof), ARTIFACT)))).toBe("TLOG_INCLUSION_PROOF_ERROR");
    }
    const publicGood = parseTrustedRoot(readFileSync(join(import.meta.dirname, "..", "..", "src", "bundle", "public-good-trusted-root.json"), "utf8"));
    expect(thrownVouchError(() => vouchVerify(json, bytes(ARTIFACT), { trustedRoot: publicGood })).code).toMatch(/^VERIFY_TLOG/);
  });

  it("DSSE attestations as dsse and intoto entries; a resubmission (409) returns the same entry", async () => {
    const statement = {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "artifact", digest: { sha256: sha256(ARTIFACT).toString("hex") } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: { buildDefinition: { buildType: "https://vouch.dev/test@v1" }, runDetails: { builder: { id: "https://vouch.dev/builder" } } },
    };
    const payload = Buffer.from(JSON.stringify(statement));
    for (const entryType of ["dsse", "intoto"] as const) {
      const builder = new DSSEBundleBuilder({ signer: localKeySigner(key.privateKey, hint), witnesses: [new RekorWitness({ rekorBaseURL: server.url, entryType })] });
      const bundle = await builder.create({ data: payload, type: INTOTO });
      const json: any = bundleToJSON(bundle);
      expect(json.verificationMaterial.tlogEntries[0].kindVersion.kind).toBe(entryType);
      sigstoreVerifier().verify(toSignedEntity(bundle));
      expect(vouchVerify(json, bytes(ARTIFACT), { predicateType: "https://slsa.dev/provenance/v1" }).predicateType).toBe("https://slsa.dev/provenance/v1");
    }

    // The same DSSE envelope submitted again (Ed25519 would re-sign identically; here we resubmit the same body):
    // vouch answers 409 with the entry's location, @sigstore/sign fetches it, and the bundle has the first index.
    const fixedSig = nodeSign("sha256", Buffer.from("fixed"), key.privateKey);
    const fixedSigner: SigstoreSigner = { sign: async () => ({ signature: fixedSig, key: { $case: "publicKey", publicKey: createPublicKey(key.privateKey).export({ type: "spki", format: "pem" }).toString(), hint } }) };
    const first = await new MessageSignatureBundleBuilder({ signer: fixedSigner, witnesses: [witness()] }).create({ data: Buffer.from("fixed") });
    const again = await new MessageSignatureBundleBuilder({ signer: fixedSigner, witnesses: [witness()] }).create({ data: Buffer.from("fixed") });
    expect(again.verificationMaterial.tlogEntries[0]!.logIndex).toBe(first.verificationMaterial.tlogEntries[0]!.logIndex);
    expect(vouchVerify(bundleToJSON(again), bytes(Buffer.from("fixed"))).tlogEntries).toHaveLength(1);
  });

  it("the vouch CLI verifies a bundle against the exported trusted root", async () => {
    const bundle = await new MessageSignatureBundleBuilder({ signer: localKeySigner(key.privateKey, hint), witnesses: [witness()] }).create({ data: ARTIFACT });
    const dir = mkdtempSync(join(work, "cli-"));
    writeFileSync(join(dir, "artifact"), ARTIFACT);
    writeFileSync(join(dir, "artifact.sigstore.json"), JSON.stringify(bundleToJSON(bundle)));
    writeFileSync(join(dir, "key.pub"), key.publicKey.export({ type: "spki", format: "pem" }));
    const args = ["verify", join(dir, "artifact"), "--bundle", join(dir, "artifact.sigstore.json"), "--key", join(dir, "key.pub"), "-o", "json"];
    const ok = vouch([...args, "--trusted-root", join(work, "trust", "trusted_root.json")]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ verified: true });
    // Without vouch's root (the shipped public-good root is the default), the log is unknown: exit 1.
    expect(vouch(args).code).toBe(1);
  });
});

describe("keyless bundles: @sigstore/mock's Fulcio certificate, vouch's log", () => {
  const SUBJECT = "https://github.com/vouch-dev/interop/.github/workflows/release.yml@refs/heads/main";
  const ISSUER = "https://token.actions.githubusercontent.com";
  let mock: MockSigstore;
  let combined: any;

  beforeAll(async () => {
    mock = await startMockSigstore();
    // The mock's CA and CT log, vouch's transparency log (not the mock's Rekor).
    combined = { ...mock.trustedRootJson, tlogs: rootJson.tlogs, timestampAuthorities: [] };
  });
  afterAll(async () => mock?.close());

  it("a keyless message signature logged in vouch's log verifies in both, with its identity", async () => {
    const signer = new FulcioSigner({ fulcioBaseURL: mock.url, identityProvider: { getToken: async () => unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }) } });
    const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: server.url })] }).create({ data: ARTIFACT });
    expect(mock.requests.get("/api/v1/log/entries")).toBeUndefined();
    const sigstoreSigner = new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(combined)), { tlogThreshold: 1, timestampThreshold: 1 }).verify(
      toSignedEntity(bundle, ARTIFACT),
      { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } },
    );
    expect(sigstoreSigner.identity?.subjectAlternativeName).toBe(SUBJECT);
    const result = verifyBundle(parseBundle(JSON.stringify(bundleToJSON(bundle))), {
      artifact: bytes(ARTIFACT),
      trustedRoot: parseTrustedRoot(JSON.stringify(combined)),
      identity: { subject: SUBJECT, issuer: ISSUER },
    });
    expect(result.signer).toMatchObject({ kind: "certificate", identity: { subject: SUBJECT, issuer: ISSUER } });
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["tlog"]);
  });

  it("Rekor v2 (POST /api/v2/log/entries, hashedrekord and dsse 0.0.2) with a TSA timestamp: both verifiers accept it", async () => {
    const signer = new FulcioSigner({ fulcioBaseURL: mock.url, identityProvider: { getToken: async () => unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }) } });
    const witnesses = () => [new RekorWitness({ rekorBaseURL: server.url, majorApiVersion: 2 }), new TSAWitness({ tsaBaseURL: mock.url })];
    const withTsa = { ...combined, timestampAuthorities: mock.trustedRootJson.timestampAuthorities };
    const statement = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: sha256(ARTIFACT).toString("hex") } }], predicateType: "https://example.com/p", predicate: {} }));
    const bundles = [
      await new MessageSignatureBundleBuilder({ signer, witnesses: witnesses() }).create({ data: ARTIFACT }),
      await new DSSEBundleBuilder({ signer, witnesses: witnesses() }).create({ data: statement, type: INTOTO }),
    ];
    for (const [i, bundle] of bundles.entries()) {
      const json: any = bundleToJSON(bundle);
      const entry = json.verificationMaterial.tlogEntries[0];
      expect(entry.kindVersion.version).toBe("0.0.2");
      expect(entry.integratedTime ?? "0").toBe("0");
      const artifact = i === 0 ? ARTIFACT : undefined;
      new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(withTsa)), { tlogThreshold: 1, timestampThreshold: 1 }).verify(
        artifact ? toSignedEntity(bundle, artifact) : toSignedEntity(bundle),
        { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } },
      );
      const result = verifyBundle(parseBundle(JSON.stringify(json)), {
        artifact: bytes(ARTIFACT),
        trustedRoot: parseTrustedRoot(JSON.stringify(withTsa)),
        identity: { subject: SUBJECT, issuer: ISSUER },
      });
      expect(result.trustedTimes.map((t) => t.source)).toEqual(["timestamp-authority"]);
      expect(result.tlogEntries).toHaveLength(1);
    }
  });
});
