import { createPublicKey, verify as verifySignature, type KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { CertificationRequest } from "@peculiar/asn1-csr";
import { VouchError } from "../core/errors.js";
import { decodePemBlocks } from "../core/encoding/pem.js";
import { parseDer } from "../core/x509/der.js";

/**
 * The Fulcio v2 CreateSigningCertificateRequest (fulcio.proto), parsed once at the edge into a narrow shape:
 *
 *   { credentials: { oidcIdentityToken },
 *     publicKeyRequest: { publicKey: { algorithm, content: PEM }, proofOfPossession: base64 }   -- or --
 *     certificateSigningRequest: base64(PEM CSR) }
 *
 * Field names are accepted in the proto JSON mapping's lowerCamelCase and in the proto's snake_case, as
 * grpc-gateway (Fulcio's HTTP front) does.
 */
export interface SigningRequest {
  token: string;
  proof:
    | { kind: "signature"; publicKey: KeyObject; signature: Uint8Array }
    /** A PKCS #10 CSR: its self-signature is the proof; it was checked when parsed. */
    | { kind: "csr"; publicKey: KeyObject };
}

const invalid = (message: string, cause?: unknown) => new VouchError("CA_REQUEST_INVALID", message, { cause });

function field(object: Record<string, unknown>, camel: string, snake: string): unknown {
  return object[camel] ?? object[snake];
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function base64Bytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || value === "" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw invalid(`${what} must be base64`);
  return new Uint8Array(Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

/** @throws VouchError CA_REQUEST_INVALID naming the field that was wrong. */
export function parseSigningRequest(body: unknown): SigningRequest {
  const request = asObject(body, "the request");
  const credentials = asObject(request.credentials, "credentials");
  const token = field(credentials, "oidcIdentityToken", "oidc_identity_token");
  if (typeof token !== "string" || token === "") throw invalid("credentials.oidcIdentityToken is required");

  const keyRequest = field(request, "publicKeyRequest", "public_key_request");
  const csr = field(request, "certificateSigningRequest", "certificate_signing_request");
  if ((keyRequest === undefined) === (csr === undefined)) throw invalid("exactly one of publicKeyRequest and certificateSigningRequest is required");
  if (csr !== undefined) return { token, proof: { kind: "csr", publicKey: parseCsr(base64Bytes(csr, "certificateSigningRequest")) } };

  const keyObject = asObject(keyRequest, "publicKeyRequest");
  const publicKeyField = asObject(field(keyObject, "publicKey", "public_key"), "publicKeyRequest.publicKey");
  const content = publicKeyField.content;
  if (typeof content !== "string" || content === "") throw invalid("publicKeyRequest.publicKey.content must be a PEM public key");
  const signature = base64Bytes(field(keyObject, "proofOfPossession", "proof_of_possession"), "publicKeyRequest.proofOfPossession");
  return { token, proof: { kind: "signature", publicKey: acceptableKey(parsePublicKey(content)), signature } };
}

function parsePublicKey(content: string): KeyObject {
  const blocks = decodePemBlocksOrThrow(content);
  const spki = blocks.find((b) => b.label === "PUBLIC KEY");
  try {
    // Fulcio accepts PEM (PKIX) and, for compatibility, DER; vouch takes PEM, the form every client sends.
    if (spki) return createPublicKey({ key: Buffer.from(spki.der), format: "der", type: "spki" });
  } catch (error) {
    throw invalid("publicKeyRequest.publicKey.content is not a usable public key", error);
  }
  throw invalid("publicKeyRequest.publicKey.content must be a PEM PUBLIC KEY block");
}

function decodePemBlocksOrThrow(text: string) {
  try {
    return decodePemBlocks(text);
  } catch (error) {
    throw invalid("publicKeyRequest.publicKey.content is not valid PEM", error);
  }
}

/**
 * The key types Fulcio issues for (pkg/ca/common.go, CheckSignatureAlgorithm): ECDSA P-256/P-384/P-521, RSA 2048 to
 * 4096 bits, Ed25519. Anything weaker would put a breakable key behind a certificate the log makes public.
 */
function acceptableKey(key: KeyObject): KeyObject {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case "ec":
      if (["prime256v1", "secp384r1", "secp521r1"].includes(details?.namedCurve ?? "")) return key;
      throw invalid(`unsupported EC curve ${details?.namedCurve ?? "(unnamed)"}: use P-256, P-384 or P-521`);
    case "ed25519":
      return key;
    case "rsa": {
      const bits = details?.modulusLength ?? 0;
      if (bits >= 2048 && bits <= 4096) return key;
      throw invalid(`RSA keys must be 2048 to 4096 bits, not ${bits}`);
    }
    default:
      throw invalid(`unsupported key type ${key.asymmetricKeyType ?? "(unknown)"}`);
  }
}

const CSR_SIGNATURE_HASHES: Record<string, string | null> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.3.101.112": null,
};

/** A PEM PKCS #10 CSR (RFC 2986) whose self-signature verifies: the proof of possession. Returns its key. */
function parseCsr(pemBytes: Uint8Array): KeyObject {
  const block = decodePemBlocksOrThrow(Buffer.from(pemBytes).toString("latin1")).find((b) => b.label === "CERTIFICATE REQUEST");
  if (!block) throw invalid("certificateSigningRequest must be a PEM CERTIFICATE REQUEST");
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(block.der, CertificationRequest);
  } catch (error) {
    throw invalid("certificateSigningRequest is not a PKCS #10 request", error);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo)), format: "der", type: "spki" });
  } catch (error) {
    throw invalid("the CSR's public key is not usable", error);
  }
  const algorithm = csr.signatureAlgorithm.algorithm;
  if (!(algorithm in CSR_SIGNATURE_HASHES)) throw invalid(`the CSR's signature algorithm ${algorithm} is not supported`);
  // The signature covers certificationRequestInfo exactly as sent (RFC 2986 §4.2): its bytes, not a re-encoding.
  const signed = parseDer(block.der, "certificate signing request").subs[0]!.bytes;
  if (!verifySignature(CSR_SIGNATURE_HASHES[algorithm] ?? null, signed, key, Buffer.from(csr.signature))) {
    throw invalid("the CSR's signature does not verify: no proof of possession");
  }
  return acceptableKey(key);
}

/**
 * Checks the proof of possession: a signature over `subject` (the token's challenge claim: the email for email
 * issuers, else `sub`) by the key to be certified. Like Fulcio (pkg/challenges), ECDSA and RSA proofs are over
 * SHA-256 whatever the curve, Ed25519 over the bytes themselves.
 *
 * Why it matters: without it, anyone holding a stolen token could get a certificate for someone else's public key.
 *
 * @throws VouchError CA_REQUEST_INVALID
 */
export function checkProofOfPossession(request: SigningRequest, subject: string): KeyObject {
  const { proof } = request;
  if (proof.kind === "csr") return proof.publicKey;
  const hash = proof.publicKey.asymmetricKeyType === "ed25519" ? null : "sha256";
  let ok: boolean;
  try {
    ok = verifySignature(hash, Buffer.from(subject, "utf8"), proof.publicKey, Buffer.from(proof.signature));
  } catch {
    ok = false;
  }
  if (!ok) throw invalid("the proof of possession does not verify: sign the token's subject with the key being certified");
  return proof.publicKey;
}
