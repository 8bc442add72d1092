/**
 * cosign's tag layout end to end, offline: sign a simple-signing payload (and a DSSE attestation) with a test key,
 * log it in vouch's own Rekor v1 log (in memory, through the same witness `vouch sign` uses), write the layer
 * annotations cosign writes, read them back from the manifest bytes and turn them into a Bundle that
 * src/verify/verifier.ts accepts, and that it refuses once the payload, the signature or an annotation is tampered with.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bundle, TrustedRoot } from "../../bundle/types.js";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { isVouchError } from "../../core/errors.js";
import { encodeStatement, INTOTO_PAYLOAD_TYPE } from "../../core/intoto/statement.js";
import { dsseBundle, messageSignatureBundle } from "../../sign/bundle-builder.js";
import type { SignerMaterial } from "../../sign/signer.js";
import { witnessInRekor, type WitnessFetch } from "../../sign/witness/rekor.js";
import { createLogSigner } from "../../tlog/log-signer.js";
import { TransparencyLog } from "../../tlog/log.js";
import { Sequencer } from "../../tlog/sequencer.js";
import { verifyBundle } from "../../verify/verifier.js";
import { MemoryLogStore } from "../../../test/support/memory-log-store.js";
import { parseManifestDocument } from "../manifest.js";
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_SIGNATURE,
  appendLegacyLayer,
  encodeRekorBundle,
  imageSignatureStatement,
  legacyAttestationLayer,
  legacySignatureLayer,
  legacyToBundle,
  parseLegacyManifest,
  parseRekorBundle,
  parseSimpleSigningPayload,
  rekorBundleFromTlogEntry,
  simpleSigningPayload,
  type LegacyLayerInfo,
} from "./index.js";

const IMAGE = `sha256:${"a1".repeat(32)}`;
const logKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const logSigner = createLogSigner(logKey, "log.vouch.test");
const store = new MemoryLogStore();
let sequencer: Sequencer;
let log: TransparencyLog;

const trustedRoot = (): TrustedRoot => ({
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  tlogs: [
    {
      baseUrl: "https://log.vouch.test",
      hashAlgorithm: "SHA2_256",
      publicKeyDer: logSigner.note.publicKeyDer,
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start: new Date("2000-01-01T00:00:00Z") },
      logId: logSigner.logId,
    },
  ],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
});

/** The witness's fetch answered by the in-memory log, as its Rekor v1 HTTP route would. */
const logFetch: WitnessFetch = async (_url, init) => {
  const submitted = await log.submit(JSON.parse(init.body!));
  return { status: 201, headers: { get: () => null }, text: async () => JSON.stringify({ [submitted.uuid]: submitted.entry }) };
};

function signer(): { key: KeyObject; publicKey: KeyObject; material: SignerMaterial } {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
  return { key: pair.privateKey, publicKey: pair.publicKey, material: { kind: "publicKey", hint: createHash("sha256").update(spki).digest("hex"), publicKeyDer: spki } };
}

function code(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isVouchError(e)) return e.code;
    throw e;
  }
  return "verified";
}

/** What a reader of the tag gets: the manifest's bytes parsed, then the layer. */
function roundTrip(manifestBytes: Uint8Array): LegacyLayerInfo[] {
  return parseLegacyManifest(parseManifestDocument(manifestBytes, undefined, "sha256-….sig"));
}

beforeAll(async () => {
  sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => logSigner.checkpoint(size, rootHash), maxDelayMs: 1 });
  log = new TransparencyLog({ store, signer: logSigner, sequencer });
});
afterAll(() => sequencer.stop());

describe("a cosign .sig signature (simple signing, key, Rekor SET) verifies through legacyToBundle", () => {
  let payload: Uint8Array;
  let layerInfo: LegacyLayerInfo;
  let publicKey: KeyObject;
  let sigManifest: Uint8Array;

  beforeAll(async () => {
    const s = signer();
    publicKey = s.publicKey;
    payload = simpleSigningPayload({ dockerReference: "localhost:5000/app", manifestDigest: IMAGE });
    const signature = new Uint8Array(sign("sha256", payload, s.key));
    const digest = new Uint8Array(createHash("sha256").update(payload).digest());
    const logged = await witnessInRekor(messageSignatureBundle({ algorithm: "SHA2_256", value: digest }, signature, s.material), s.material, { url: "https://log.vouch.test", fetch: logFetch });
    const layer = legacySignatureLayer({ payload, signature, rekorBundle: rekorBundleFromTlogEntry(logged.tlogEntries[0]!) });
    const built = appendLegacyLayer(undefined, layer);
    sigManifest = built.manifest.bytes;
    [layerInfo] = roundTrip(sigManifest) as [LegacyLayerInfo];
  });

  const policy = (data: Uint8Array) => ({ artifact: { kind: "bytes" as const, data }, trustedRoot: trustedRoot(), publicKey });

  it("verifies, with the log's integrated time as the trusted time, and the payload names the image", () => {
    const bundle = legacyToBundle(layerInfo, payload);
    expect(bundle).toMatchObject({ version: "0.1", material: { kind: "publicKey" }, content: { kind: "messageSignature" } });
    expect(bundle.tlogEntries[0]).toMatchObject({ kind: "hashedrekord", kindVersion: "0.0.1" });
    expect(bundle.tlogEntries[0]!.inclusionProof).toBeUndefined();
    const result = verifyBundle(bundle, policy(payload));
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["tlog"]);
    expect(result.checks.map((c) => c.step)).toEqual(["tlog", "timestamps", "signature", "artifact"]);
    expect(parseSimpleSigningPayload(payload).manifestDigest).toBe(IMAGE);
  });

  it("refuses payload bytes that are not the layer's (the registry served other bytes)", () => {
    const other = simpleSigningPayload({ dockerReference: "localhost:5000/app", manifestDigest: `sha256:${"b2".repeat(32)}` });
    expect(code(() => legacyToBundle(layerInfo, other))).toBe("INPUT_MALFORMED");
  });

  it("refuses a payload swapped together with the layer digest (signature and log entry are over the original)", () => {
    const other = simpleSigningPayload({ dockerReference: "localhost:5000/app", manifestDigest: `sha256:${"b2".repeat(32)}` });
    const swapped: LegacyLayerInfo = { ...layerInfo, descriptor: { ...layerInfo.descriptor, digest: `sha256:${createHash("sha256").update(other).digest("hex")}`, size: other.length } };
    expect(code(() => verifyBundle(legacyToBundle(swapped, other), policy(other)))).toMatch(/^VERIFY_(TLOG_BODY|SIGNATURE)$/);
  });

  it("refuses a tampered signature annotation, a tampered bundle annotation, and another key", () => {
    const annotations = layerInfo.descriptor.annotations!;
    const sig = Buffer.from(annotations[ANNOTATION_SIGNATURE]!, "base64");
    sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 1, sig.length - 1);
    const badSig = roundTrip(rewriteAnnotation(sigManifest, ANNOTATION_SIGNATURE, sig.toString("base64")))[0]!;
    expect(code(() => verifyBundle(legacyToBundle(badSig, payload), policy(payload)))).toMatch(/^VERIFY_(TLOG_BODY|SIGNATURE)$/);

    // The SET binds the integrated time: a bundle annotation claiming another time does not verify.
    const rekor = parseRekorBundle(annotations[ANNOTATION_BUNDLE]!);
    const moved = encodeRekorBundle({ ...rekor, integratedTime: rekor.integratedTime - 3600n });
    const badTime = roundTrip(rewriteAnnotation(sigManifest, ANNOTATION_BUNDLE, moved))[0]!;
    expect(code(() => verifyBundle(legacyToBundle(badTime, payload), policy(payload)))).toBe("VERIFY_TLOG_SET");
    const otherIndex = roundTrip(rewriteAnnotation(sigManifest, ANNOTATION_BUNDLE, encodeRekorBundle({ ...rekor, logIndex: rekor.logIndex + 1n })))[0]!;
    expect(code(() => verifyBundle(legacyToBundle(otherIndex, payload), policy(payload)))).toBe("VERIFY_TLOG_SET");

    expect(code(() => verifyBundle(legacyToBundle(layerInfo, payload), { ...policy(payload), publicKey: signer().publicKey }))).toMatch(/^VERIFY_(TLOG_BODY|SIGNATURE)$/);
  });

  it("without the bundle annotation there is no log entry: refused at the default threshold, as cosign does", () => {
    const stripped = roundTrip(rewriteAnnotation(sigManifest, ANNOTATION_BUNDLE, undefined))[0]!;
    expect(code(() => verifyBundle(legacyToBundle(stripped, payload), policy(payload)))).toBe("VERIFY_THRESHOLD");
    expect(verifyBundle(legacyToBundle(stripped, payload), { ...policy(payload), tlogThreshold: 0, timestampThreshold: 0 }).tlogEntries).toEqual([]);
  });
});

describe("a cosign .att attestation (DSSE, key, Rekor SET) verifies through legacyToBundle", () => {
  it("verifies against the image digest and predicate type, and refuses a tampered envelope", async () => {
    const s = signer();
    const statement = encodeStatement(imageSignatureStatement("localhost:5000/app", IMAGE));
    const sig = new Uint8Array(sign("sha256", preAuthEncoding(INTOTO_PAYLOAD_TYPE, statement), s.key));
    const envelope = { payload: statement, payloadType: INTOTO_PAYLOAD_TYPE, signatures: [{ sig, keyid: "" }] };
    const logged: Bundle = await witnessInRekor(dsseBundle(envelope, s.material), s.material, { url: "https://log.vouch.test", fetch: logFetch });
    // cosign's envelope JSON field order (sigstore dsse.Envelope): payloadType, payload, signatures[{keyid, sig}].
    const envelopeJson = Buffer.from(JSON.stringify({ payloadType: INTOTO_PAYLOAD_TYPE, payload: Buffer.from(statement).toString("base64"), signatures: [{ keyid: "", sig: Buffer.from(sig).toString("base64") }] }));
    const layer = legacyAttestationLayer({ envelopeJson, predicateType: "https://sigstore.dev/cosign/sign/v1", rekorBundle: rekorBundleFromTlogEntry(logged.tlogEntries[0]!) });
    const [info] = roundTrip(appendLegacyLayer(undefined, layer).manifest.bytes) as [LegacyLayerInfo];
    expect(info).toMatchObject({ kind: "attestation", predicateType: "https://sigstore.dev/cosign/sign/v1", signature: new Uint8Array(0) });

    const policy = { artifact: { kind: "digest" as const, algorithm: "sha256" as const, hex: IMAGE.slice(7) }, trustedRoot: trustedRoot(), publicKey: s.publicKey };
    const bundle = legacyToBundle(info, envelopeJson);
    expect(bundle.tlogEntries[0]).toMatchObject({ kind: "dsse" });
    expect(verifyBundle(bundle, { ...policy, predicateType: "https://sigstore.dev/cosign/sign/v1" }).predicateType).toBe("https://sigstore.dev/cosign/sign/v1");
    expect(code(() => verifyBundle(bundle, { ...policy, artifact: { ...policy.artifact, hex: "b2".repeat(32) } }))).toBe("VERIFY_ARTIFACT");

    const tampered = Buffer.from(envelopeJson.toString().replace(Buffer.from(statement).toString("base64"), Buffer.from(statement.toString().replace("localhost", "evil.test")).toString("base64")));
    const swapped: LegacyLayerInfo = { ...info, descriptor: { ...info.descriptor, digest: `sha256:${createHash("sha256").update(tampered).digest("hex")}`, size: tampered.length } };
    expect(code(() => verifyBundle(legacyToBundle(swapped, tampered), policy))).toMatch(/^VERIFY_(TLOG_BODY|SIGNATURE)$/);
  });
});

/** The manifest with one layer annotation replaced (or removed), as someone with push access to the tag could. */
function rewriteAnnotation(manifest: Uint8Array, key: string, value: string | undefined): Uint8Array {
  const json = JSON.parse(Buffer.from(manifest).toString("utf8"));
  if (value === undefined) delete json.layers[0].annotations[key];
  else json.layers[0].annotations[key] = value;
  return Buffer.from(JSON.stringify(json));
}
