/**
 * The TSA against unmodified Sigstore clients over real HTTP: @sigstore/sign's TSAWitness posts to a listening Fastify
 * server on 127.0.0.1 running the TSA plugin, and the bundles it produces — timestamped, not logged (the Rekor v2
 * model, where signing time comes from a TSA) — are verified by @sigstore/verify and by vouch's verifier with a
 * trusted root whose timestampAuthorities entry is `timestampAuthorityEntry`'s.
 *
 * What @sigstore/verify needs from a TSA (packages/verify/src/timestamp/tsa.ts, @sigstore/core rfc3161): the trusted
 * root's certChain[0] is the signing certificate, and its issuer and serial equal the token's issuerAndSerialNumber;
 * the chain verifies at genTime; the trusted root's validFor includes genTime; the SignerInfo signature algorithm is
 * an ECDSA OID; genTime has no fraction or exactly three digits; messageDigest matches the TSTInfo.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON, bundleToJSON } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, TSAWitness } from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockSigstore, unsignedIdentityToken, type MockSigstore } from "../../../../test/support/sigstore-mock.js";
import { thrownVouchError } from "../../../../test/support/errors.js";
import { parseBundle } from "../../../bundle/parse.js";
import { parseTrustedRoot } from "../../../bundle/trusted-root.js";
import { loadOrCreateTsa, timestampAuthorityEntry, type TimestampAuthority } from "../../../tsa/index.js";
import { verifyBundle, type VerificationPolicy } from "../../../verify/verifier.js";
import { errorHandler } from "../../plugins/errors.js";
import { tsaRoutes } from "./index.js";
import { localKeySigner, sigstoreRefusal } from "../../../../test/support/sigstore-js.js";

const work = mkdtempSync(join(tmpdir(), "vouch-tsa-interop-"));
const ARTIFACT = Buffer.from("an artifact timestamped by vouch's TSA\n");
const OTHER = Buffer.from("another artifact\n");
const MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

let authority: TimestampAuthority;
let app: FastifyInstance;
let url: string;
let rootJson: any;

beforeAll(async () => {
  authority = loadOrCreateTsa(join(work, "tsa"));
  app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  await app.register(tsaRoutes, { authority });
  await app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  rootJson = { mediaType: MEDIA_TYPE, tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [timestampAuthorityEntry(authority.chain, { baseUrl: url })] };
});
afterAll(async () => {
  await app?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("keyed bundles timestamped by @sigstore/sign's TSAWitness", () => {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = key.publicKey.export({ type: "spki", format: "der" });
  const hint = createHash("sha256").update(spki).digest("hex");
  const witness = () => new TSAWitness({ tsaBaseURL: url });
  const sigstoreVerifier = (root: unknown = rootJson) =>
    new Verifier(
      toTrustMaterial(TrustedRootMessage.fromJSON(root), {
        [hint]: { rawBytes: spki, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: { start: new Date(0), end: undefined } },
      }),
      // No transparency log: the TSA's timestamp is the only signing time.
      { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 },
    );
  const vouchVerify = (json: unknown, data: Buffer, extra: Partial<VerificationPolicy> = {}) =>
    verifyBundle(parseBundle(JSON.stringify(json)), {
      artifact: { kind: "bytes", data },
      trustedRoot: parseTrustedRoot(JSON.stringify(rootJson)),
      publicKey: key.publicKey,
      tlogThreshold: 0,
      timestampThreshold: 1,
      ...extra,
    });

  it("a message signature: both verifiers accept the TSA's timestamp as its signing time", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const bundle = await new MessageSignatureBundleBuilder({ signer: localKeySigner(key.privateKey, hint), witnesses: [witness()] }).create({ data: ARTIFACT });
    const json: any = bundleToJSON(bundle);
    expect(json.verificationMaterial.tlogEntries ?? []).toEqual([]); // protobuf JSON omits an empty list
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);

    const signer = sigstoreVerifier().verify(toSignedEntity(bundle, ARTIFACT));
    expect(Buffer.from(signer.key.export({ type: "spki", format: "der" })).equals(spki)).toBe(true);
    const result = vouchVerify(json, ARTIFACT);
    expect(result.trustedTimes).toHaveLength(1);
    expect(result.trustedTimes[0]!.source).toBe("timestamp-authority");
    expect(result.trustedTimes[0]!.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(result.trustedTimes[0]!.time.getTime()).toBeLessThanOrEqual(Date.now());

    // Negative controls: another artifact; a trusted root without this TSA; a flipped byte in the timestamp.
    expect(sigstoreRefusal(() => sigstoreVerifier().verify(toSignedEntity(bundle, OTHER)))).toBe("SIGNATURE_ERROR");
    expect(thrownVouchError(() => vouchVerify(json, OTHER)).code).toBe("VERIFY_ARTIFACT");
    const noTsa = { ...rootJson, timestampAuthorities: [] };
    expect(sigstoreRefusal(() => sigstoreVerifier(noTsa).verify(toSignedEntity(bundle, ARTIFACT)))).toBe("TIMESTAMP_ERROR");
    expect(thrownVouchError(() => vouchVerify(json, ARTIFACT, { trustedRoot: parseTrustedRoot(JSON.stringify(noTsa)) })).code).toBe("VERIFY_TIMESTAMP");
    const tampered = structuredClone(json);
    const tsr = Buffer.from(tampered.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp, "base64");
    tsr[tsr.length - 2]! ^= 1;
    tampered.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp = tsr.toString("base64");
    expect(sigstoreRefusal(() => sigstoreVerifier().verify(toSignedEntity(bundleFromJSON(tampered), ARTIFACT)))).toBe("TIMESTAMP_ERROR");
    expect(thrownVouchError(() => vouchVerify(tampered, ARTIFACT)).code).toBe("VERIFY_TIMESTAMP");
  });

  it("a DSSE attestation: the timestamp covers the envelope's signature", async () => {
    const statement = {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "artifact", digest: { sha256: createHash("sha256").update(ARTIFACT).digest("hex") } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: { buildDefinition: { buildType: "https://vouch.dev/test@v1" }, runDetails: { builder: { id: "https://vouch.dev/builder" } } },
    };
    const bundle = await new DSSEBundleBuilder({ signer: localKeySigner(key.privateKey, hint), witnesses: [witness()] }).create({
      data: Buffer.from(JSON.stringify(statement)),
      type: "application/vnd.in-toto+json",
    });
    sigstoreVerifier().verify(toSignedEntity(bundle));
    const result = vouchVerify(bundleToJSON(bundle), ARTIFACT, { predicateType: "https://slsa.dev/provenance/v1" });
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["timestamp-authority"]);
  });
});

describe("a keyless bundle: @sigstore/mock's short-lived certificate, vouch's TSA for the signing time", () => {
  const SUBJECT = "https://github.com/vouch-dev/interop/.github/workflows/release.yml@refs/heads/main";
  const ISSUER = "https://token.actions.githubusercontent.com";
  let mock: MockSigstore;
  beforeAll(async () => {
    mock = await startMockSigstore();
  });
  afterAll(async () => mock?.close());

  it("the certificate is checked at the TSA's time, by both verifiers", async () => {
    const signer = new FulcioSigner({ fulcioBaseURL: mock.url, identityProvider: { getToken: async () => unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }) } });
    const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [new TSAWitness({ tsaBaseURL: url })] }).create({ data: ARTIFACT });
    expect(mock.requests.get("/api/v1/timestamp")).toBeUndefined();
    // The mock's CA and CT log; vouch's TSA; no log (SCTs still required: ctlogThreshold 1).
    const combined = { ...mock.trustedRootJson, tlogs: [], timestampAuthorities: rootJson.timestampAuthorities };
    const verified = new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(combined)), { tlogThreshold: 0, ctlogThreshold: 1, timestampThreshold: 1 }).verify(
      toSignedEntity(bundle, ARTIFACT),
      { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } },
    );
    expect(verified.identity?.subjectAlternativeName).toBe(SUBJECT);
    const result = verifyBundle(parseBundle(JSON.stringify(bundleToJSON(bundle))), {
      artifact: { kind: "bytes", data: ARTIFACT },
      trustedRoot: parseTrustedRoot(JSON.stringify(combined)),
      identity: { subject: SUBJECT, issuer: ISSUER },
      tlogThreshold: 0,
      timestampThreshold: 1,
    });
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["timestamp-authority"]);
  });
});

describe("refusals over HTTP, as a client sees them", () => {
  it("SHA-1, garbage and a wrong content type: 400 with timestamp-authority's {code, message}", async () => {
    const post = (body: string | Uint8Array, type: string) => fetch(`${url}/api/v1/timestamp`, { method: "POST", body, headers: { "content-type": type } });
    const sha1 = await post(JSON.stringify({ artifactHash: createHash("sha1").update("x").digest("base64"), hashAlgorithm: "sha1" }), "application/json");
    expect(sha1.status).toBe(400);
    expect(await sha1.json()).toEqual({ code: 400, message: "hashAlgorithm sha1 is too weak: use sha256, sha384 or sha512" });
    const garbage = await post(new Uint8Array([1, 2, 3]), "application/timestamp-query");
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { message: string }).message).toBe("not a DER TimeStampReq: the body does not start with a SEQUENCE");
    const wrongType = await post("hello", "text/plain");
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { message: string }).message).toMatch(/^unsupported content type "text\/plain"/);
  });
});
