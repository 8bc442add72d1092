import { createHash } from "node:crypto";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { bytesEqual } from "../../core/x509/index.js";
import {
  array,
  base64,
  encodeBase64,
  field,
  invalid,
  MAX_SIGNATURES,
  MAX_VERIFIERS,
  nonEmptyString,
  object,
  string,
  type Json,
} from "./fields.js";
import { canonicalPem, verifierFromPem, type Built, type EntryVerifier } from "./keys.js";
import { verifyMessage, type HashName } from "./signature.js";
import { keyDetailsHash, parseV2Verifier, v2VerifierJson, type V2Verifier } from "./v2-verifier.js";

/** A DSSE envelope as submitted: each signature keeps its base64 text, which Rekor v1 stores and sorts verbatim. */
export interface SubmittedEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: SubmittedSignature[];
}

export interface SubmittedSignature {
  /** The base64 text as sent (Rekor's map key and stored value). */
  sig: string;
  bytes: Uint8Array;
  /** Where it was in the request, for messages. */
  path: string;
}

/**
 * dsse 0.0.1 (sigstore/rekor pkg/types/dsse/v0.0.1/entry.go). The client sends the envelope as a JSON string plus
 * the PEM keys or certificates that verify it; Rekor verifies every signature, then logs only hashes and
 * signatures, so the envelope (and its payload) never enters the log:
 *
 *   proposed: {proposedContent: {envelope (JSON text), verifiers: [b64 PEM]}}
 *   stored:   {envelopeHash: {algorithm: "sha256", value: hex SHA-256 of the envelope text's UTF-8 bytes, exactly as
 *              sent, not re-serialized (Unmarshal: sha256.Sum256([]byte(*ProposedContent.Envelope)))},
 *              payloadHash: {algorithm: "sha256", value: hex SHA-256 of the decoded payload},
 *              signatures: [{signature: the envelope's base64 sig string as sent, verifier: b64 canonical PEM}]
 *              one per distinct sig string, sorted by that string (sort.Strings in Unmarshal, again in Canonicalize)}
 *
 * A client that sends canonical fields instead of proposedContent, or both, is refused (Rekor: "either
 * proposedContent or envelopeHash, payloadHash, and signatures must be present but not both"; an entry without
 * proposedContent is not insertable).
 */
export function dsseV001(spec: Json): Built {
  for (const name of ["envelopeHash", "payloadHash", "signatures"]) {
    if (field(spec, name) !== undefined) throw invalid(`spec.${name} is computed by the log and must not be submitted`);
  }
  const proposed = object(field(spec, "proposedContent"), "spec.proposedContent");
  const text = string(field(proposed, "envelope"), "spec.proposedContent.envelope");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid("spec.proposedContent.envelope is not JSON", error);
  }
  const envelope = envelopeFromJson(parsed, "spec.proposedContent.envelope");
  const verifiers = array(field(proposed, "verifiers"), "spec.proposedContent.verifiers", MAX_VERIFIERS).map((v, i) => {
    const path = `spec.proposedContent.verifiers[${i}]`;
    return verifierFromPem(base64(v, path), path);
  });
  // Rekor v1 loads every DSSE verifier with SHA-256 (signature.LoadVerifier(key, crypto.SHA256)), whatever the curve.
  const accepted = matchSignatures(
    envelope,
    verifiers,
    () => "sha256",
    (i) => `spec.proposedContent.verifiers[${i}]`,
    "spec.proposedContent.verifiers",
  );
  // sigToKeyMap: when two verifiers accept the same signature, the later one is recorded (Go map assignment).
  const bySig = new Map<string, EntryVerifier>();
  accepted.forEach((s, i) => bySig.set(s.sig, verifiers[i]!));
  const sigs = [...bySig.keys()].sort();
  return {
    spec: {
      envelopeHash: { algorithm: "sha256", value: sha256Hex(Buffer.from(text, "utf8")) },
      payloadHash: { algorithm: "sha256", value: sha256Hex(envelope.payload) },
      signatures: sigs.map((sig) => ({ signature: sig, verifier: Buffer.from(canonicalPem(bySig.get(sig)!), "latin1").toString("base64") })),
    },
    verifiers: sigs.map((sig) => bySig.get(sig)!),
  };
}

/**
 * dsse 0.0.2 (sigstore/rekor-tiles pkg/types/dsse/dsse.go ToLogEntry): the envelope as a protojson object
 * (payload and sig as base64 bytes) and Verifier messages whose keyDetails fix each verifier's hash. Stored:
 * spec.dsseV002 = {payloadHash: {algorithm: "SHA2_256", digest}, signatures: [{content, verifier}]}, one per
 * verifier in request order with the signature it verified (rekor-tiles walks a Go map there, so its order is
 * random; vouch keeps the request's).
 */
export function dsseV002(request: Json, path: string): Built {
  const envelope = envelopeFromProto(field(request, "envelope"), `${path}.envelope`);
  const verifiers = array(field(request, "verifiers"), `${path}.verifiers`, MAX_VERIFIERS).map((v, i) =>
    parseV2Verifier(v, `${path}.verifiers[${i}]`),
  );
  const accepted = matchSignatures(
    envelope,
    verifiers.map((v) => v.entry),
    (i) => keyDetailsHash(verifiers[i]!, `${path}.verifiers[${i}].keyDetails`, "message"),
    (i) => `${path}.verifiers[${i}]`,
    `${path}.verifiers`,
  );
  // One signature per verifier; a verifier named twice (same form, same bytes) is recorded once.
  const entries: { sig: Uint8Array; verifier: V2Verifier }[] = [];
  accepted.forEach((s, i) => {
    const verifier = verifiers[i]!;
    const dup = entries.some((e) => e.sig === s.bytes && e.verifier.entry.kind === verifier.entry.kind && bytesEqual(e.verifier.entry.der, verifier.entry.der));
    if (!dup) entries.push({ sig: s.bytes, verifier });
  });
  return {
    spec: {
      dsseV002: {
        payloadHash: { algorithm: "SHA2_256", digest: encodeBase64(sha256(envelope.payload)) },
        signatures: entries.map((e) => ({ content: encodeBase64(e.sig), verifier: v2VerifierJson(e.verifier) })),
      },
    },
    verifiers: entries.map((e) => e.verifier.entry),
  };
}

/**
 * Rekor's verifyEnvelope (the same in dsse v0.0.1, intoto v0.0.2 and rekor-tiles): each verifier, tried in turn
 * as a one-key go-securesystemslib EnvelopeVerifier (threshold 1), accepts the first envelope signature, in
 * envelope order, that it verifies over PAE(payloadType, payload), and must accept one; every distinct signature
 * string must be accepted by some verifier. Returns the signature each verifier accepted, by verifier index. Key IDs
 * are ignored, as Rekor's verifiers have none.
 *
 * vouch differs in one way: rekor-tiles stops trying verifiers once every signature is covered, so an extra
 * verifier passes or fails with Go's map order; here every verifier must verify a signature, always.
 */
export function matchSignatures(
  envelope: SubmittedEnvelope,
  verifiers: readonly EntryVerifier[],
  hashOf: (index: number) => HashName,
  verifierPath: (index: number) => string,
  allVerifiers: string,
): SubmittedSignature[] {
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  const accepted = verifiers.map((verifier, i) => {
    const hash = hashOf(i);
    const sig = envelope.signatures.find((s) => verifyMessage(verifier, hash, pae, s.bytes));
    if (sig === undefined) throw invalid(`${verifierPath(i)} verifies no signature of the envelope`);
    return sig;
  });
  const covered = new Set(accepted.map((s) => s.sig));
  for (const s of envelope.signatures) {
    if (!covered.has(s.sig)) throw invalid(`${s.path} does not verify with any of ${allVerifiers}`);
  }
  return accepted;
}

/**
 * A DSSE envelope in its JSON form (DSSE envelope.md): {payloadType, payload (b64), signatures: [{keyid?, sig (b64)}]}.
 * Go's decoder would also take other letter cases for the member names and null for missing members; vouch takes
 * the spec's names and types only.
 */
function envelopeFromJson(value: unknown, path: string): SubmittedEnvelope {
  const env = object(value, path);
  const payloadType = nonEmptyString(field(env, "payloadType"), `${path}.payloadType`);
  const payloadText = string(field(env, "payload"), `${path}.payload`);
  const payload = payloadText === "" ? new Uint8Array(0) : base64(payloadText, `${path}.payload`);
  const signatures = array(field(env, "signatures"), `${path}.signatures`, MAX_SIGNATURES).map((s, i) => {
    const sigPath = `${path}.signatures[${i}]`;
    const sig = object(s, sigPath);
    if (field(sig, "keyid") !== undefined) string(field(sig, "keyid"), `${sigPath}.keyid`);
    const text = string(field(sig, "sig"), `${sigPath}.sig`);
    return { sig: text, bytes: base64(text, `${sigPath}.sig`), path: `${sigPath}.sig` };
  });
  return { payloadType, payload, signatures };
}

/** The protojson form of io.intoto.Envelope (bytes fields as base64); the signature's text is its canonical base64. */
function envelopeFromProto(value: unknown, path: string): SubmittedEnvelope {
  const env = object(value, path);
  const payloadType = nonEmptyString(field(env, "payloadType"), `${path}.payloadType`);
  const payload = base64(field(env, "payload"), `${path}.payload`);
  const signatures = array(field(env, "signatures"), `${path}.signatures`, MAX_SIGNATURES).map((s, i) => {
    const sigPath = `${path}.signatures[${i}]`;
    const sig = object(s, sigPath);
    if (field(sig, "keyid") !== undefined) string(field(sig, "keyid"), `${sigPath}.keyid`);
    const bytes = base64(field(sig, "sig"), `${sigPath}.sig`);
    return { sig: encodeBase64(bytes), bytes, path: `${sigPath}.sig` };
  });
  return { payloadType, payload, signatures };
}

function sha256(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(data).digest();
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
