import { X509Certificate, createHash, createPublicKey } from "node:crypto";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { VouchError } from "../../core/errors.js";
import type { DigestAlgorithm, DsseContent, DsseEnvelope, TlogEntry } from "../../bundle/types.js";
import {
  NODE_HASH,
  parseEntryBody,
  type Digest,
  type LogEntryBody,
  type LoggedSignature,
  type LoggedVerifier,
} from "./body-parse.js";
import { bytesEqual, hex } from "./select-log-key.js";

/**
 * A message signature as the log must have recorded it: the digest of the artifact being verified (computed from
 * the artifact, or given as sha256:…, never taken from the bundle alone) and the bundle's signature.
 */
export interface LoggedMessageSignature {
  kind: "messageSignature";
  digest: { algorithm: DigestAlgorithm; value: Uint8Array };
  signature: Uint8Array;
}

/** What the entry must describe: a message signature over the artifact, or the bundle's DSSE envelope. */
export type LoggedContent = LoggedMessageSignature | DsseContent;

/** The signer's material the entry must name: the bundle's leaf certificate, or the verifying public key (SPKI). */
export type SignerMaterial = { kind: "certificate"; der: Uint8Array } | { kind: "publicKey"; der: Uint8Array };

/**
 * Checks that the log entry describes THIS signature by THIS signer over THIS artifact or envelope (Sigstore client
 * spec: the entry's body must match the bundle; otherwise a valid entry for anything else could be replayed).
 * Field by field, after sigstore-js packages/verify/src/tlog/{hashedrekord,dsse,intoto}.ts and sigstore-go
 * pkg/verify/tlog.go, plus the payload type and signer checks those leave out:
 *
 * - hashedrekord 0.0.1 / 0.0.2 with a message signature: the logged digest (algorithm and value) is the
 *   artifact's, the logged signature is the bundle's.
 * - hashedrekord 0.0.2 with a DSSE envelope (Rekor v2 logs DSSE this way): the logged digest is
 *   H(PAE(payloadType, payload)) and the logged signature is the envelope's only signature.
 * - dsse 0.0.1 / 0.0.2: one logged signature, the envelope's only signature; payloadHash = H(payload).
 * - intoto 0.0.2: the same, with the signature base64-encoded twice, and the logged payload type (and payload,
 *   when kept) equal to the envelope's.
 * - every kind: the logged certificate is the bundle's leaf (DER-equal), or the logged key is the verifying key.
 *
 * The envelopeHash (dsse) and hash (intoto) fields are hashes of Rekor's own re-serialization of the envelope and
 * are not recomputed: payload, type and signature are compared directly instead.
 *
 * @throws VouchError VERIFY_TLOG_BODY saying which field does not match.
 * @example
 *   verifyEntryBody(entry, { kind: "messageSignature", digest: artifactDigest, signature }, { kind: "certificate", der: leaf });
 */
export function verifyEntryBody(entry: TlogEntry, content: LoggedContent, material: SignerMaterial): LogEntryBody {
  const body = parseEntryBody(entry.canonicalizedBody);
  if (body.kind !== entry.kind || body.apiVersion !== entry.kindVersion) {
    throw fail(`the entry says ${entry.kind} ${entry.kindVersion} but its body is ${body.kind} ${body.apiVersion}`);
  }
  switch (body.kind) {
    case "hashedrekord":
      if (content.kind === "messageSignature") {
        compareDigest(body.digest, content.digest, "the artifact digest");
        compareSignature(body.signature.signature, content.signature, "the bundle's signature");
      } else {
        // Rekor v2 logs a DSSE envelope as a hashedrekord over its pre-authentication encoding (rekor-v2 spec §6.1.4).
        if (body.apiVersion !== "0.0.2") throw fail("a hashedrekord 0.0.1 entry cannot describe a DSSE envelope");
        const sig = onlySignature(content.envelope);
        const pae = preAuthEncoding(content.envelope.payloadType, content.envelope.payload);
        compareDigest(body.digest, { algorithm: body.digest.algorithm, value: hash(body.digest.algorithm, pae) }, "the DSSE envelope's PAE digest");
        compareSignature(body.signature.signature, sig, "the DSSE envelope's signature");
      }
      compareVerifier(body.signature.verifier, material);
      break;
    case "dsse":
    case "intoto": {
      if (content.kind !== "dsseEnvelope") throw fail(`a ${body.kind} entry cannot describe a message signature`);
      const envelope = content.envelope;
      const logged = onlyLoggedSignature(body.signatures);
      compareSignature(logged.signature, onlySignature(envelope), "the DSSE envelope's signature");
      compareDigest(
        body.payloadHash,
        { algorithm: body.payloadHash.algorithm, value: hash(body.payloadHash.algorithm, envelope.payload) },
        "the DSSE payload digest",
      );
      if (body.kind === "intoto") {
        if (body.payloadType !== envelope.payloadType) {
          throw fail(`the logged payload type ${JSON.stringify(body.payloadType)} is not the envelope's ${JSON.stringify(envelope.payloadType)}`);
        }
        if (body.payload !== undefined && !bytesEqual(body.payload, envelope.payload)) {
          throw fail("the logged payload is not the envelope's payload");
        }
      }
      compareVerifier(logged.verifier, material);
      break;
    }
  }
  return body;
}


function hash(algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array {
  return createHash(NODE_HASH[algorithm]).update(data).digest();
}

function onlySignature(envelope: DsseEnvelope): Uint8Array {
  // The Sigstore bundle format allows exactly one DSSE signature; with more, "which one was logged" is ambiguous.
  if (envelope.signatures.length !== 1) {
    throw fail(`the DSSE envelope has ${envelope.signatures.length} signatures; exactly one can match the log entry`);
  }
  return envelope.signatures[0]!.sig;
}

function onlyLoggedSignature(signatures: LoggedSignature[]): LoggedSignature {
  if (signatures.length !== 1) throw fail(`the entry logs ${signatures.length} signatures; expected exactly one`);
  return signatures[0]!;
}

function compareDigest(logged: Digest, actual: Digest, what: string): void {
  if (logged.algorithm !== actual.algorithm) {
    throw fail(`the entry logs a ${logged.algorithm} digest, ${what} is ${actual.algorithm}`);
  }
  if (!bytesEqual(logged.value, actual.value)) {
    throw fail(`the logged digest ${hex(logged.value)} is not ${what} ${hex(actual.value)}`);
  }
}

function compareSignature(logged: Uint8Array, actual: Uint8Array, what: string): void {
  if (!bytesEqual(logged, actual)) throw fail(`the logged signature is not ${what}`);
}

function compareVerifier(logged: LoggedVerifier, material: SignerMaterial): void {
  if (material.kind === "certificate") {
    if (logged.kind !== "certificate") throw fail("the entry logs a public key, the bundle is signed with a certificate");
    if (!bytesEqual(logged.der, material.der)) throw fail("the logged certificate is not the bundle's signing certificate");
    return;
  }
  // A key-signed bundle: the log may hold the bare key or a certificate for it; either way the key must be ours.
  const loggedKey = logged.kind === "certificate" ? certificateKey(logged.der) : canonicalKey(logged.der);
  const ourKey = canonicalKey(material.der);
  if (loggedKey === undefined || ourKey === undefined || !bytesEqual(loggedKey, ourKey)) {
    throw fail(`the logged ${logged.kind === "certificate" ? "certificate's key" : "public key"} is not the verifying key`);
  }
}

/**
 * The key re-encoded by OpenSSL (one DER for one key, whatever encoding the log or the bundle used), remembered for
 * the last few keys: one signer's entries are checked over and over, and the parse-and-export is the costly part.
 */
function canonicalKey(spki: Uint8Array): Uint8Array | undefined {
  const id = Buffer.from(spki).toString("base64");
  const known = canonicalKeys.get(id);
  if (known !== undefined) return known;
  let canonical: Uint8Array;
  try {
    canonical = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).export({ type: "spki", format: "der" });
  } catch {
    return undefined;
  }
  if (canonicalKeys.size >= CANONICAL_KEYS_KEPT) canonicalKeys.delete(canonicalKeys.keys().next().value!);
  canonicalKeys.set(id, canonical);
  return canonical;
}

const canonicalKeys = new Map<string, Uint8Array>();
const CANONICAL_KEYS_KEPT = 256;

function certificateKey(der: Uint8Array): Uint8Array | undefined {
  try {
    return new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
  } catch {
    return undefined;
  }
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_TLOG_BODY", message);
}
