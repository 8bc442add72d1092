import type { Bundle } from "../../bundle/types.js";
import { isVouchError } from "../../core/errors.js";
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from "../../core/intoto/statement.js";
import { checkIdentity, type IdentityPolicy } from "../../verify/certificate/identity.js";
import { verifyBundle, type ArtifactInput, type VerificationResult } from "../../verify/verifier.js";
import type { FoundBundle, ImageEvidence, PolicyTrust } from "../decision.js";
import type { Authority } from "../model/types.js";

/** An authority that verifies signatures (not `static`). */
export type SigningAuthority = Extract<Authority, { type: "key" | "keyless" }>;

export type Verified =
  | { readonly ok: true; readonly result: VerificationResult; readonly signer: string; readonly logIndexes: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * What every rule of one image's evaluation shares: the evidence, the trust material, and memos so that a bundle is
 * verified once per authority and predicate type, and its statement parsed once, however many policies and rules
 * look at it (an admission request of 8 containers under 3 policies would otherwise verify the same bundle often).
 */
export interface ImageContext {
  readonly evidence: ImageEvidence;
  readonly trust: PolicyTrust;
  /** The forms of the image a glob or an exception is matched against (as written, normalized, pinned). */
  readonly names: readonly string[];
  verify(found: FoundBundle, authority: SigningAuthority, predicateType: string | undefined): Verified;
  /** The in-toto statement of a DSSE bundle (unverified: read it only after `verify` accepted the bundle), or why not. */
  statement(found: FoundBundle): Statement | { readonly error: string };
}

export function imageContext(evidence: ImageEvidence, trust: PolicyTrust, names: readonly string[]): ImageContext {
  const verified = new Map<FoundBundle, Map<string, Verified>>();
  const statements = new Map<FoundBundle, Statement | { error: string }>();
  // Authorities are compared by identity: the same parsed policy object, so one memo per authority object.
  const authorityIds = new Map<SigningAuthority, number>();
  return {
    evidence,
    trust,
    names,
    verify(found, authority, predicateType) {
      let id = authorityIds.get(authority);
      if (id === undefined) {
        id = authorityIds.size;
        authorityIds.set(authority, id);
      }
      const key = `${id}\u0000${predicateType ?? ""}`;
      let byKey = verified.get(found);
      if (byKey === undefined) {
        byKey = new Map();
        verified.set(found, byKey);
      }
      let outcome = byKey.get(key);
      if (outcome === undefined) {
        outcome = verifyWithAuthority(found, authority, predicateType, evidence.digest, trust);
        byKey.set(key, outcome);
      }
      return outcome;
    },
    statement(found) {
      let s = statements.get(found);
      if (s === undefined) {
        s = readStatement(found.bundle);
        statements.set(found, s);
      }
      return s;
    },
  };
}

function readStatement(bundle: Bundle): Statement | { error: string } {
  if (bundle.content.kind !== "dsseEnvelope") return { error: "a message signature, not an attestation" };
  if (bundle.content.envelope.payloadType !== INTOTO_PAYLOAD_TYPE) return { error: `DSSE payload type ${bundle.content.envelope.payloadType} is not in-toto` };
  try {
    return parseStatement(bundle.content.envelope.payload);
  } catch (error) {
    if (!isVouchError(error)) throw error;
    return { error: error.message };
  }
}

/**
 * Verifies one bundle for one authority. The artifact is the image digest for every bundle except cosign's simple
 * signing, whose signature covers the payload bytes (and whose payload must then name this image): a bundle's own
 * idea of what it is for is never trusted.
 */
function verifyWithAuthority(found: FoundBundle, authority: SigningAuthority, predicateType: string | undefined, digest: string, trust: PolicyTrust): Verified {
  const root = trust.trustedRoot(authority.trustedRoot);
  if (root instanceof Error) return { ok: false, reason: `trusted root: ${root.message}` };
  const simple = found.simpleSigningDigest !== undefined;
  let artifact: ArtifactInput;
  if (simple) {
    if (found.simpleSigningDigest !== digest) return { ok: false, reason: `the signed payload is for ${found.simpleSigningDigest}, not this image (${digest})` };
    artifact = found.artifact;
  } else {
    const parsed = digestArtifact(digest);
    if (parsed === undefined) return { ok: false, reason: `${digest} is not a sha256 or sha512 digest` };
    artifact = parsed;
  }
  const base = { artifact, trustedRoot: root, ...(trust.revocations ? { revocations: trust.revocations } : {}), ...(predicateType !== undefined && !simple ? { predicateType } : {}) };
  const attempt = (policy: Parameters<typeof verifyBundle>[1]): Verified => {
    try {
      const result = verifyBundle(found.bundle, policy);
      return { ok: true, result, signer: signerOf(result), logIndexes: result.tlogEntries.map((e) => e.logIndex.toString()) };
    } catch (error) {
      if (!isVouchError(error)) throw error;
      return { ok: false, reason: error.message };
    }
  };
  if (authority.type === "key") {
    const key = trust.key(authority.key);
    if (key instanceof Error) return { ok: false, reason: `key: ${key.message}` };
    return attempt({ ...base, publicKey: key });
  }
  // Keyless: the identities are alternatives (policy-controller's `identities` list). Nothing the verifier checks
  // besides the identity step depends on which one is asked for, so the bundle is verified once with no identity
  // constraint and the certificate's identity is then matched against each: N identities cost one verification.
  if (authority.identities.length === 0) return { ok: false, reason: "the authority lists no identity" };
  const verified = attempt({ ...base, identity: ANY_IDENTITY });
  const material = found.bundle.material;
  if (!verified.ok || material.kind !== "certificate") return verified;
  const reasons: string[] = [];
  for (const identity of authority.identities) {
    try {
      const result: VerificationResult = { ...verified.result, signer: { kind: "certificate", identity: checkIdentity(material.certificates[0]!, identity) } };
      return { ok: true, result, signer: signerOf(result), logIndexes: verified.logIndexes };
    } catch (error) {
      if (!isVouchError(error)) throw error;
      if (!reasons.includes(error.message)) reasons.push(error.message);
    }
  }
  return { ok: false, reason: reasons.join("; ") };
}

/** No constraint on the signer: the verifier's other steps only; the policy's identities are matched afterwards. */
const ANY_IDENTITY: IdentityPolicy = {};

function digestArtifact(digest: string): ArtifactInput | undefined {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (m === null) return undefined;
  return { kind: "digest", algorithm: m[1] as "sha256" | "sha512", hex: m[2]! };
}

function signerOf(result: VerificationResult): string {
  if (result.signer.kind === "publicKey") return `key ${result.signer.keyId}`;
  const { subject, issuer } = result.signer.identity;
  return issuer === undefined ? subject : `${subject} (${issuer})`;
}

/** The signing authorities of a list (static ones decide without evidence). */
export function signingAuthorities(authorities: readonly Authority[]): SigningAuthority[] {
  return authorities.filter((a): a is SigningAuthority => a.type !== "static");
}
