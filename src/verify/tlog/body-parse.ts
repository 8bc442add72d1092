import { VouchError } from "../../core/errors.js";
import { decodeBase64Strict } from "../../core/note/index.js";
import type { DigestAlgorithm } from "../../bundle/types.js";

/**
 * The narrow shapes of the log entry bodies vouch understands, parsed once from canonicalizedBody (attacker-supplied
 * JSON: every field is type-checked and decoded strictly, and errors name the field).
 *
 * Rekor v1 (OpenAPI types, sigstore/rekor pkg/types): hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2.
 * Rekor v2 (protobuf JSON, sigstore/rekor-tiles api/proto/rekor/v2): hashedrekord 0.0.2 and dsse 0.0.2, whose
 * bodies carry `spec.hashedRekordV002` / `spec.dsseV002`.
 */
export type LogEntryBody = HashedRekordBody | DsseBody | IntotoBody;

export interface Digest {
  algorithm: DigestAlgorithm;
  value: Uint8Array;
}

/** The signer's key or certificate as the log recorded it. */
export type LoggedVerifier = { kind: "certificate" | "publicKey"; der: Uint8Array };

export interface LoggedSignature {
  signature: Uint8Array;
  verifier: LoggedVerifier;
}

export interface HashedRekordBody {
  kind: "hashedrekord";
  apiVersion: "0.0.1" | "0.0.2";
  /** Digest of the signed artifact (v0.0.2 over DSSE: of PAE(payloadType, payload)). */
  digest: Digest;
  signature: LoggedSignature;
}

export interface DsseBody {
  kind: "dsse";
  apiVersion: "0.0.1" | "0.0.2";
  /** Digest of the envelope payload. */
  payloadHash: Digest;
  signatures: LoggedSignature[];
}

export interface IntotoBody {
  kind: "intoto";
  apiVersion: "0.0.2";
  payloadType: string;
  /** The envelope payload, when the log kept it (Rekor v1 drops it from the stored body). */
  payload?: Uint8Array;
  payloadHash: Digest;
  signatures: LoggedSignature[];
}

/** Rekor v1 names digests by lowercase hash name, Rekor v2 by protobuf-specs HashAlgorithm. */
const V1_ALGORITHMS: Record<string, DigestAlgorithm> = { sha256: "SHA2_256", sha384: "SHA2_384", sha512: "SHA2_512" };
const V2_ALGORITHMS: Record<string, DigestAlgorithm> = { SHA2_256: "SHA2_256", SHA2_384: "SHA2_384", SHA2_512: "SHA2_512" };
export const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { SHA2_256: 32, SHA2_384: 48, SHA2_512: 64 };
export const NODE_HASH: Record<DigestAlgorithm, string> = { SHA2_256: "sha256", SHA2_384: "sha384", SHA2_512: "sha512" };

/**
 * @throws VouchError VERIFY_TLOG_BODY naming the field that is missing or malformed, or the kind/version vouch does
 *   not support.
 */
export function parseEntryBody(body: Uint8Array): LogEntryBody {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (error) {
    throw new VouchError("VERIFY_TLOG_BODY", "the entry body is not UTF-8 JSON", { cause: error });
  }
  const root = object(json, "body");
  const kind = string(root.kind, "kind");
  const apiVersion = string(root.apiVersion, "apiVersion");
  const spec = object(root.spec, "spec");
  switch (`${kind} ${apiVersion}`) {
    case "hashedrekord 0.0.1":
      return hashedRekordV001(spec);
    case "hashedrekord 0.0.2":
      return hashedRekordV002(object(spec.hashedRekordV002, "spec.hashedRekordV002"));
    case "dsse 0.0.1":
      return dsseV001(spec);
    case "dsse 0.0.2":
      return dsseV002(object(spec.dsseV002, "spec.dsseV002"));
    case "intoto 0.0.2":
      return intotoV002(spec);
    default:
      throw fail(`unsupported log entry kind ${kind} ${apiVersion}`);
  }
}

// hashedrekord 0.0.1: {data: {hash: {algorithm, value (hex)}}, signature: {content (b64), publicKey: {content (b64 PEM)}}}
function hashedRekordV001(spec: Record<string, unknown>): HashedRekordBody {
  const hash = object(object(spec.data, "spec.data").hash, "spec.data.hash");
  const signature = object(spec.signature, "spec.signature");
  return {
    kind: "hashedrekord",
    apiVersion: "0.0.1",
    digest: v1Digest(hash, "spec.data.hash"),
    signature: {
      signature: b64(signature.content, "spec.signature.content"),
      verifier: pemVerifier(object(signature.publicKey, "spec.signature.publicKey").content, "spec.signature.publicKey.content"),
    },
  };
}

// hashedrekord 0.0.2: {data: {algorithm, digest (b64)}, signature: {content (b64), verifier}}
function hashedRekordV002(spec: Record<string, unknown>): HashedRekordBody {
  const path = "spec.hashedRekordV002";
  return {
    kind: "hashedrekord",
    apiVersion: "0.0.2",
    digest: v2Digest(object(spec.data, `${path}.data`), `${path}.data`),
    signature: v2Signature(object(spec.signature, `${path}.signature`), `${path}.signature`),
  };
}

// dsse 0.0.1: {envelopeHash, payloadHash: {algorithm, value (hex)}, signatures: [{signature (b64), verifier (b64 PEM)}]}
function dsseV001(spec: Record<string, unknown>): DsseBody {
  return {
    kind: "dsse",
    apiVersion: "0.0.1",
    payloadHash: v1Digest(object(spec.payloadHash, "spec.payloadHash"), "spec.payloadHash"),
    signatures: array(spec.signatures, "spec.signatures").map((s, i) => {
      const path = `spec.signatures[${i}]`;
      const sig = object(s, path);
      return { signature: b64(sig.signature, `${path}.signature`), verifier: pemVerifier(sig.verifier, `${path}.verifier`) };
    }),
  };
}

// dsse 0.0.2 (deprecated in favour of hashedrekord over PAE, still readable): {payloadHash: {algorithm, digest}, signatures: [{content, verifier}]}
function dsseV002(spec: Record<string, unknown>): DsseBody {
  const path = "spec.dsseV002";
  return {
    kind: "dsse",
    apiVersion: "0.0.2",
    payloadHash: v2Digest(object(spec.payloadHash, `${path}.payloadHash`), `${path}.payloadHash`),
    signatures: array(spec.signatures, `${path}.signatures`).map((s, i) =>
      v2Signature(object(s, `${path}.signatures[${i}]`), `${path}.signatures[${i}]`),
    ),
  };
}

// intoto 0.0.2: {content: {envelope: {payloadType, payload? (b64 of b64), signatures: [{sig (b64 of b64), publicKey (b64 PEM)}]},
//                hash, payloadHash: {algorithm, value (hex)}}}
function intotoV002(spec: Record<string, unknown>): IntotoBody {
  const content = object(spec.content, "spec.content");
  const envelope = object(content.envelope, "spec.content.envelope");
  const payload = envelope.payload === undefined ? undefined : b64Twice(envelope.payload, "spec.content.envelope.payload");
  return {
    kind: "intoto",
    apiVersion: "0.0.2",
    payloadType: string(envelope.payloadType, "spec.content.envelope.payloadType"),
    ...(payload === undefined ? {} : { payload }),
    payloadHash: v1Digest(object(content.payloadHash, "spec.content.payloadHash"), "spec.content.payloadHash"),
    signatures: array(envelope.signatures, "spec.content.envelope.signatures").map((s, i) => {
      const path = `spec.content.envelope.signatures[${i}]`;
      const sig = object(s, path);
      // The in-toto type stores the DSSE signature base64-encoded once more (sigstore-js tlog/intoto.ts).
      return { signature: b64Twice(sig.sig, `${path}.sig`), verifier: pemVerifier(sig.publicKey, `${path}.publicKey`) };
    }),
  };
}

function v1Digest(hash: Record<string, unknown>, path: string): Digest {
  const name = string(hash.algorithm, `${path}.algorithm`);
  const algorithm = V1_ALGORITHMS[name];
  if (algorithm === undefined) throw fail(`${path}.algorithm ${JSON.stringify(name)} is not sha256, sha384 or sha512`);
  const value = string(hash.value, `${path}.value`);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(value)) throw fail(`${path}.value is not hex`);
  return digest(algorithm, new Uint8Array(Buffer.from(value, "hex")), `${path}.value`);
}

function v2Digest(hash: Record<string, unknown>, path: string): Digest {
  const name = string(hash.algorithm, `${path}.algorithm`);
  const algorithm = V2_ALGORITHMS[name];
  if (algorithm === undefined) throw fail(`${path}.algorithm ${JSON.stringify(name)} is not SHA2_256, SHA2_384 or SHA2_512`);
  return digest(algorithm, b64(hash.digest, `${path}.digest`), `${path}.digest`);
}

function digest(algorithm: DigestAlgorithm, value: Uint8Array, path: string): Digest {
  if (value.length !== DIGEST_LENGTH[algorithm]) {
    throw fail(`${path} is ${value.length} bytes, a ${algorithm} digest is ${DIGEST_LENGTH[algorithm]}`);
  }
  return { algorithm, value };
}

// Rekor v2 Signature: {content (b64), verifier: {publicKey: {rawBytes} | x509Certificate: {rawBytes}, keyDetails}}
function v2Signature(sig: Record<string, unknown>, path: string): LoggedSignature {
  const verifier = object(sig.verifier, `${path}.verifier`);
  const hasKey = verifier.publicKey !== undefined;
  const hasCert = verifier.x509Certificate !== undefined;
  if (hasKey === hasCert) throw fail(`${path}.verifier must hold exactly one of publicKey and x509Certificate`);
  const field = hasKey ? "publicKey" : "x509Certificate";
  const raw = b64(object(verifier[field], `${path}.verifier.${field}`).rawBytes, `${path}.verifier.${field}.rawBytes`);
  return {
    signature: b64(sig.content, `${path}.content`),
    verifier: { kind: hasKey ? "publicKey" : "certificate", der: raw },
  };
}

/** base64 of a PEM block: a CERTIFICATE or a PUBLIC KEY. */
function pemVerifier(value: unknown, path: string): LoggedVerifier {
  const pem = Buffer.from(b64(value, path)).toString("utf8");
  const match = /^-----BEGIN (CERTIFICATE|PUBLIC KEY)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----\r?\n?$/.exec(pem);
  if (match === null) throw fail(`${path} is not one PEM certificate or public key`);
  const der = decodeBase64Strict(match[2]!.replace(/\r?\n/g, ""));
  if (der === undefined || der.length === 0) throw fail(`${path} PEM body is not base64`);
  return { kind: match[1] === "CERTIFICATE" ? "certificate" : "publicKey", der };
}

function b64Twice(value: unknown, path: string): Uint8Array {
  const inner = Buffer.from(b64(value, path)).toString("latin1");
  const bytes = decodeBase64Strict(inner);
  if (bytes === undefined) throw fail(`${path} is not base64-encoded base64`);
  return bytes;
}

function b64(value: unknown, path: string): Uint8Array {
  const bytes = decodeBase64Strict(string(value, path));
  if (bytes === undefined) throw fail(`${path} is not base64`);
  return bytes;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail(`${path} is missing or not an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw fail(`${path} is missing or not an array`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw fail(`${path} is missing or not a string`);
  return value;
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_TLOG_BODY", `log entry body: ${message}`);
}
