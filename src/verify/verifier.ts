import { createHash, type KeyObject } from "node:crypto";
import type { Bundle, DigestAlgorithm, TlogEntry, TrustedRoot } from "../bundle/types.js";
import { importPublicKey, verify as verifyWithKey } from "../core/crypto/keys.js";
import { verifyPrehashed } from "../core/crypto/prehash.js";
import { preAuthEncoding } from "../core/dsse/pae.js";
import { isVouchError, VouchError } from "../core/errors.js";
import { INTOTO_PAYLOAD_TYPE, parseStatement, statementMatchesDigest } from "../core/intoto/statement.js";
import { parseCertificate, type Certificate } from "../core/x509/index.js";
import { checkIdentity, verifyCertificateChain, verifyScts, type Identity, type IdentityPolicy } from "./certificate/index.js";
import { checkRevocation, type RevocationList } from "./revocation.js";
import { verifyTimestamp } from "./timestamp/index.js";
import { verifyEntryBody, verifyInclusionProof, verifySignedEntryTimestamp, witnessKeys, type LoggedContent, type WitnessPolicy } from "./tlog/index.js";

/**
 * What is being verified: the artifact's bytes, or only its digest (`sha256:<hex>`, as cosign and the
 * sigstore-conformance protocol allow).
 */
export type ArtifactInput = { kind: "bytes"; data: Uint8Array } | { kind: "digest"; algorithm: "sha256" | "sha384" | "sha512"; hex: string };

export interface VerificationPolicy {
  artifact: ArtifactInput;
  trustedRoot: TrustedRoot;
  /** Keyed verification: the signer's public key. Required when the bundle carries a public-key hint. */
  publicKey?: KeyObject;
  /** Keyless verification: who must have signed (required when the bundle carries a certificate). */
  identity?: IdentityPolicy;
  /** DSSE: the in-toto predicate type the statement must carry (`--type`), as a URI. */
  predicateType?: string;
  /** How many transparency-log entries must verify (cosign default 1). */
  tlogThreshold?: number;
  /** How many embedded SCTs must verify (default 1). */
  ctlogThreshold?: number;
  /** How many trusted signing times (verified SET integrated times plus RFC 3161 timestamps) are needed (default 1). */
  timestampThreshold?: number;
  /**
   * Revoked keys (src/verify/revocation.ts): a signature by a revoked key is accepted only when every trusted signing
   * time is before the key's compromise; with no trusted time it is rejected. Applies to the keyed signer's key and
   * to a certificate's public key.
   */
  revocations?: RevocationList;
  /**
   * Witnesses (c2sp.org/tlog-cosignature): each entry's inclusion-proof checkpoint must carry valid cosignatures by at
   * least `threshold` distinct witnesses among `keys`, or verification fails with VERIFY_THRESHOLD.
   */
  witnesses?: WitnessPolicy;
}

/** One verification step's outcome, in the order the verifier ran them. */
export interface CheckResult {
  step: "bundle" | "timestamps" | "certificate" | "sct" | "identity" | "revocation" | "tlog" | "signature" | "artifact";
  ok: boolean;
  detail: string;
}

export interface TrustedTime {
  source: "tlog" | "timestamp-authority";
  time: Date;
  /** The log or TSA that vouches for it. */
  by: string;
}

export interface VerificationResult {
  /** The signer's identity (keyless), or the key's ID (keyed). */
  signer: { kind: "certificate"; identity: Identity } | { kind: "publicKey"; keyId: string };
  trustedTimes: TrustedTime[];
  tlogEntries: { logIndex: bigint; logId: string; integratedTime?: Date }[];
  /** The in-toto statement's predicate type (DSSE bundles). */
  predicateType?: string;
  checks: CheckResult[];
}

/**
 * Verify a parsed bundle against a policy, directing pure steps in the order of the Sigstore client spec
 * (sigstore-js packages/verify/src/verifier.ts, sigstore-go pkg/verify/signed_entity.go):
 *
 * 1. transparency-log entries: each entry's body must describe this signature and signer (else a valid entry for
 *    something else could be replayed), and its inclusion must be proven: an inclusion proof with a checkpoint
 *    signed by the log (required for bundles v0.2+) and/or a signed entry timestamp (Rekor v1);
 * 2. trusted signing times: integrated times whose SET verified, and RFC 3161 timestamps from trusted TSAs over the
 *    signature; an integrated time the log did not sign is not trusted;
 * 3. the signing key: a certificate must chain to a trusted CA at every trusted time, carry enough verified SCTs and
 *    match the identity policy; a public key must be the one the caller trusts; and a revoked key (policy.revocations)
 *    must have signed before its compromise, by every trusted time (src/verify/revocation.ts);
 * 4. the signature over the artifact (message signature) or over PAE(payloadType, payload) (DSSE), and for DSSE
 *    that an in-toto subject is the artifact.
 *
 * Throws VouchError with the VERIFY_* code of the first step that refused (INPUT_* for unusable input). Every step
 * that ran is listed in the result's `checks`.
 */
export function verifyBundle(bundle: Bundle, policy: VerificationPolicy): VerificationResult {
  const checks: CheckResult[] = [];
  const pass = (step: CheckResult["step"], detail: string) => checks.push({ step, ok: true, detail });
  const artifactDigest = digestForBundle(bundle, policy.artifact);

  // --- the signer's material -------------------------------------------------------------------------------------
  let leaf: Certificate | undefined;
  let signerKey: KeyObject;
  if (bundle.material.kind === "certificate") {
    if (policy.publicKey) throw new VouchError("VERIFY_KEY", "the bundle was signed with a certificate, not with the given key");
    if (!policy.identity) throw new VouchError("INPUT_USAGE", "keyless bundles need an identity policy (--certificate-identity and --certificate-oidc-issuer)");
    const first = bundle.material.certificates[0];
    if (first === undefined) throw new VouchError("VERIFY_BUNDLE", "the bundle's certificate chain is empty");
    leaf = parseEvidenceCertificate(first);
    signerKey = leafKey(leaf);
  } else {
    if (!policy.publicKey) throw new VouchError("VERIFY_KEY", "the bundle was signed with a key: verify it with --key");
    signerKey = policy.publicKey;
  }
  const signerDer = bundle.material.kind === "certificate" ? bundle.material.certificates[0]! : spkiOf(signerKey);

  // --- transparency log ------------------------------------------------------------------------------------------
  const logged = loggedContent(bundle, artifactDigest);
  if (policy.witnesses) witnessKeys(policy.witnesses); // an unusable witness policy is a usage error, whatever the bundle
  const timestampTimes = verifyTimestamps(bundle, policy.trustedRoot);
  const tlogEntries: VerificationResult["tlogEntries"] = [];
  const trustedTimes: TrustedTime[] = [...timestampTimes];
  const seenEntries = new Set<string>();
  for (const entry of bundle.tlogEntries) {
    // The same entry twice counts once toward the threshold. Keyed by log and body, not by the stated log index:
    // a Rekor v1 index without a SET is not authenticated, so a copy with another index is still the same entry.
    const key = `${Buffer.from(entry.logId).toString("hex")}/${createHash("sha256").update(entry.canonicalizedBody).digest("hex")}`;
    if (seenEntries.has(key)) continue;
    seenEntries.add(key);
    verifyEntryBody(entry, logged, bundle.material.kind === "certificate" ? { kind: "certificate", der: signerDer } : { kind: "publicKey", der: signerDer });
    const integrated = verifyEntryInclusion(entry, bundle, policy.trustedRoot, timestampTimes[0]?.time, policy.witnesses);
    if (integrated) trustedTimes.push({ source: "tlog", time: integrated.time, by: integrated.by });
    tlogEntries.push({ logIndex: entry.logIndex, logId: Buffer.from(entry.logId).toString("hex"), ...(integrated ? { integratedTime: integrated.time } : {}) });
  }
  const tlogThreshold = policy.tlogThreshold ?? 1;
  if (tlogEntries.length < tlogThreshold) {
    throw new VouchError("VERIFY_THRESHOLD", `${tlogEntries.length} transparency-log entr${tlogEntries.length === 1 ? "y" : "ies"} verified, ${tlogThreshold} required`);
  }
  pass("tlog", `${tlogEntries.length} entr${tlogEntries.length === 1 ? "y" : "ies"} verified (${tlogEntries.map((e) => `index ${e.logIndex}`).join(", ") || "none required"})`);

  const timestampThreshold = policy.timestampThreshold ?? 1;
  if (leaf !== undefined && trustedTimes.length < Math.max(timestampThreshold, 1)) {
    // A certificate is only valid for minutes: without a trusted time there is nothing to check its validity at.
    throw new VouchError("VERIFY_THRESHOLD", `${trustedTimes.length} trusted signing time(s) (verified SET or RFC 3161 timestamp), ${Math.max(timestampThreshold, 1)} required`);
  }
  if (trustedTimes.length < timestampThreshold) {
    throw new VouchError("VERIFY_THRESHOLD", `${trustedTimes.length} trusted signing time(s), ${timestampThreshold} required`);
  }
  if (trustedTimes.length > 0) pass("timestamps", trustedTimes.map((t) => `${t.time.toISOString()} (${t.source}: ${t.by})`).join("; "));

  // --- signing key -------------------------------------------------------------------------------------------------
  let signer: VerificationResult["signer"];
  if (leaf !== undefined) {
    let issuer: Certificate | undefined;
    for (const t of trustedTimes) {
      const chain = verifyCertificateChain([leaf], policy.trustedRoot.certificateAuthorities, t.time);
      issuer = chain.issuer;
    }
    pass("certificate", `chains to a trusted CA at ${trustedTimes.map((t) => t.time.toISOString()).join(", ")}`);
    const scts = verifyScts(leaf, issuer!, policy.trustedRoot.ctlogs, policy.ctlogThreshold ?? 1);
    pass("sct", `${scts.length} embedded SCT(s) verified (${scts.map((s) => s.logUrl).join(", ")})`);
    const identity = checkIdentity(leaf, policy.identity!);
    pass("identity", `${identity.subject}${identity.issuer ? ` from ${identity.issuer}` : ""}`);
    signer = { kind: "certificate", identity };
  } else {
    signer = { kind: "publicKey", keyId: createHash("sha256").update(signerDer).digest("hex") };
  }
  if (policy.revocations !== undefined) {
    // Keyed: the key's ID is the hash of the SPKI the caller trusts. Keyless: the certificate's key, so a key revoked
    // by ID is refused even when a CA certified it.
    const signerKeyId = signer.kind === "publicKey" ? signer.keyId : createHash("sha256").update(spkiOf(signerKey)).digest("hex");
    const decision = checkRevocation(signerKeyId, trustedTimes, policy.revocations);
    if (decision.revoked && !decision.accepted) throw new VouchError("VERIFY_KEY", decision.detail);
    const entries = policy.revocations.revocations.length;
    pass("revocation", decision.revoked ? decision.detail : `key ${signerKeyId} is not revoked (${entries} revocation${entries === 1 ? "" : "s"} checked)`);
  }

  // --- signature and artifact ------------------------------------------------------------------------------------
  const predicateType = verifyContent(bundle, signerKey, policy, artifactDigest);
  pass("signature", bundle.content.kind === "messageSignature" ? "message signature over the artifact digest" : "DSSE signature over PAE(payloadType, payload)");
  pass("artifact", `${artifactDigest.algorithm.toLowerCase()}:${Buffer.from(artifactDigest.value).toString("hex")}${predicateType ? ` (${predicateType})` : ""}`);

  return { signer, trustedTimes, tlogEntries, ...(predicateType ? { predicateType } : {}), checks };
}

type ArtifactDigest = { algorithm: DigestAlgorithm; value: Uint8Array };

const NODE_HASH: Record<DigestAlgorithm, "sha256" | "sha384" | "sha512"> = { SHA2_256: "sha256", SHA2_384: "sha384", SHA2_512: "sha512" };
const BUNDLE_HASH: Record<"sha256" | "sha384" | "sha512", DigestAlgorithm> = { sha256: "SHA2_256", sha384: "SHA2_384", sha512: "SHA2_512" };

/**
 * The artifact's digest, computed by the verifier (never taken from the bundle): in the bundle's algorithm for a
 * message signature, SHA-256 for DSSE subjects (the digest form names its own algorithm).
 */
function digestForBundle(bundle: Bundle, artifact: ArtifactInput): ArtifactDigest {
  if (artifact.kind === "digest") {
    if (!/^[0-9a-f]+$/i.test(artifact.hex)) throw new VouchError("INPUT_USAGE", `artifact digest is not hex: ${artifact.hex}`);
    return { algorithm: BUNDLE_HASH[artifact.algorithm], value: Buffer.from(artifact.hex, "hex") };
  }
  const algorithm = bundle.content.kind === "messageSignature" ? (bundle.content.digest?.algorithm ?? "SHA2_256") : "SHA2_256";
  return { algorithm, value: createHash(NODE_HASH[algorithm]).update(artifact.data).digest() };
}

function loggedContent(bundle: Bundle, digest: ArtifactDigest): LoggedContent {
  if (bundle.content.kind === "dsseEnvelope") return bundle.content;
  return { kind: "messageSignature", digest, signature: bundle.content.signature };
}

/** The bytes an RFC 3161 timestamp in a bundle covers: the signature (message) or the envelope's signature. */
function timestampedBytes(bundle: Bundle): Uint8Array {
  if (bundle.content.kind === "messageSignature") return bundle.content.signature;
  const sig = bundle.content.envelope.signatures[0];
  if (sig === undefined) throw new VouchError("VERIFY_BUNDLE", "the DSSE envelope has no signature");
  return sig.sig;
}

function verifyTimestamps(bundle: Bundle, root: TrustedRoot): TrustedTime[] {
  if (bundle.timestamps.length === 0) return [];
  const signed = timestampedBytes(bundle);
  return bundle.timestamps.map((token) => ({
    source: "timestamp-authority" as const,
    time: verifyTimestamp(token, signed, root.timestampAuthorities),
    by: "trusted timestamp authority",
  }));
}

/**
 * Proof that the entry is in the log. Bundles v0.2+ must carry an inclusion proof (client spec); a v0.1 bundle may
 * rest on the SET alone. When a SET is present it must verify, and only then is the integrated time trusted.
 */
function verifyEntryInclusion(entry: TlogEntry, bundle: Bundle, root: TrustedRoot, signingTime: Date | undefined, witnesses: WitnessPolicy | undefined): { time: Date; by: string } | undefined {
  if (entry.inclusionProof === undefined && bundle.version !== "0.1") {
    throw new VouchError("VERIFY_TLOG_INCLUSION", `bundle v${bundle.version} entries need an inclusion proof (log index ${entry.logIndex} has none)`);
  }
  let integrated: { time: Date; by: string } | undefined;
  if (entry.signedEntryTimestamp !== undefined && entry.signedEntryTimestamp.length > 0) {
    const set = verifySignedEntryTimestamp(entry, root.tlogs);
    integrated = { time: set.integratedTime, by: set.tlog.baseUrl };
  }
  if (entry.inclusionProof !== undefined) {
    verifyInclusionProof(entry, root.tlogs, { signingTime: integrated?.time ?? signingTime, ...(witnesses ? { witnesses } : {}) });
  } else if (integrated === undefined) {
    throw new VouchError("VERIFY_TLOG_INCLUSION", `log index ${entry.logIndex} has neither an inclusion proof nor a signed entry timestamp`);
  } else if (witnesses !== undefined && witnesses.threshold > 0) {
    // Witnesses cosign checkpoints: an entry proven by a SET alone has none to show.
    throw new VouchError("VERIFY_THRESHOLD", `log index ${entry.logIndex} has no checkpoint, so no witness cosignatures (${witnesses.threshold} required)`);
  }
  return integrated;
}

// parseCertificate returns one cached object per certificate, so its key is imported once, not per verification.
const leafKeys = new WeakMap<Certificate, KeyObject>();

function leafKey(leaf: Certificate): KeyObject {
  let key = leafKeys.get(leaf);
  if (key === undefined) {
    key = importPublicKey(leaf.publicKeyDer);
    leafKeys.set(leaf, key);
  }
  return key;
}

function parseEvidenceCertificate(der: Uint8Array): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (isVouchError(err)) throw new VouchError("VERIFY_CERTIFICATE_CHAIN", `the signing certificate does not parse: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The signature, and for DSSE the statement's subject and predicate type; returns the predicate type. */
function verifyContent(bundle: Bundle, key: KeyObject, policy: VerificationPolicy, digest: ArtifactDigest): string | undefined {
  if (bundle.content.kind === "messageSignature") {
    const content = bundle.content;
    if (content.digest !== undefined) {
      if (content.digest.algorithm !== digest.algorithm || !Buffer.from(content.digest.value).equals(Buffer.from(digest.value))) {
        throw new VouchError("VERIFY_ARTIFACT", "the artifact's digest is not the one the bundle signed");
      }
    }
    const ok =
      policy.artifact.kind === "bytes"
        ? verifyWithKey(key, policy.artifact.data, content.signature)
        : verifyPrehashed(key, NODE_HASH[digest.algorithm], digest.value, content.signature);
    if (!ok) throw new VouchError("VERIFY_SIGNATURE", "the signature does not verify over the artifact with the signer's key");
    if (policy.predicateType) throw new VouchError("VERIFY_ARTIFACT", `--type ${policy.predicateType} asks for an attestation, but the bundle is a plain signature`);
    return undefined;
  }
  const { envelope } = bundle.content;
  if (envelope.signatures.length !== 1) {
    throw new VouchError("VERIFY_SIGNATURE", `the DSSE envelope has ${envelope.signatures.length} signatures; a Sigstore bundle carries exactly one`);
  }
  if (!verifyWithKey(key, preAuthEncoding(envelope.payloadType, envelope.payload), envelope.signatures[0]!.sig)) {
    throw new VouchError("VERIFY_SIGNATURE", "the DSSE signature does not verify over PAE(payloadType, payload) with the signer's key");
  }
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new VouchError("VERIFY_ARTIFACT", `the envelope's payloadType is ${envelope.payloadType}, not ${INTOTO_PAYLOAD_TYPE}`);
  }
  const statement = parseStatement(envelope.payload);
  const hex = Buffer.from(digest.value).toString("hex");
  if (!statementMatchesDigest(statement, NODE_HASH[digest.algorithm], hex)) {
    throw new VouchError("VERIFY_ARTIFACT", `no subject of the in-toto statement has ${NODE_HASH[digest.algorithm]}:${hex}`);
  }
  if (policy.predicateType && statement.predicateType !== policy.predicateType) {
    throw new VouchError("VERIFY_ARTIFACT", `the statement's predicate type is ${statement.predicateType}, not ${policy.predicateType}`);
  }
  return statement.predicateType;
}

/**
 * A key's SPKI DER, exported once per KeyObject: a verifier checking many bundles with one key (an image's
 * signatures, a batch) would otherwise re-encode the same key for every bundle.
 */
const spkiCache = new WeakMap<KeyObject, Uint8Array>();
function spkiOf(key: KeyObject): Uint8Array {
  let der = spkiCache.get(key);
  if (der === undefined) {
    der = new Uint8Array(key.export({ format: "der", type: "spki" }));
    spkiCache.set(key, der);
  }
  return der;
}
