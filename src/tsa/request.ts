import { AsnConvert } from "@peculiar/asn1-schema";
import { TimeStampReq } from "@peculiar/asn1-tsp";
import { VouchError } from "../core/errors.js";
import { DIGEST_OIDS, SHA1_OID } from "../core/x509/oids.js";

/**
 * RFC 3161 time-stamp requests, parsed once at the edge into the narrow shape the authority signs from. Pure.
 *
 * Two wire forms, as sigstore/timestamp-authority accepts them:
 *   - `application/timestamp-query`: a DER TimeStampReq (RFC 3161 §2.4.1), what openssl, cosign and sigstore-go send;
 *   - `application/json`: {artifactHash, hashAlgorithm, certificates?, nonce?, tsaPolicyOID?}, what sigstore-js's
 *     TSAWitness sends (timestamp-authority pkg/api/timestamp.go, JSONRequest).
 *
 * Every refusal is a TsaRequestError naming the field and carrying the RFC 3161 PKIFailureInfo bit it maps to.
 */

export type ImprintHash = "sha256" | "sha384" | "sha512";

export interface TimestampRequest {
  hash: ImprintHash;
  /** messageImprint.hashedMessage. */
  digest: Uint8Array;
  /**
   * Whether messageImprint.hashAlgorithm carried NULL parameters or none: RFC 3161 §2.4.2 says TSTInfo's
   * messageImprint "MUST have the same value as the similar field in TimeStampReq", so it is copied as sent.
   */
  imprintParameters: "null" | "absent";
  /** reqPolicy, when the client asked for one (it was checked to be the authority's). */
  policy?: string;
  /** nonce INTEGER content octets (two's complement) as sent: echoed unchanged in TSTInfo (RFC 3161 §2.4.2). */
  nonce?: Uint8Array;
  /** certReq: put the signing certificate into the token's SignedData.certificates. */
  certReq: boolean;
}

/** RFC 3161 §2.4.2 PKIFailureInfo bits a request can earn. */
export type TsaFailure = "badAlg" | "badRequest" | "badDataFormat" | "unacceptedPolicy" | "unacceptedExtension";

/** A refused time-stamp request: HTTP 400 with the reason, or an RFC 3161 rejection carrying `failInfo`. */
export class TsaRequestError extends VouchError<"TSA_REQUEST_INVALID"> {
  readonly failInfo: TsaFailure;

  constructor(failInfo: TsaFailure, message: string, options?: ErrorOptions) {
    super("TSA_REQUEST_INVALID", message, options);
    this.failInfo = failInfo;
  }
}

export interface ParseRequestOptions {
  /** The authority's TSA policy OID: a request naming another policy is refused (unacceptedPolicy). */
  policy: string;
}

const DIGEST_LENGTH: Record<ImprintHash, number> = { sha256: 32, sha384: 48, sha512: 64 };
const MD5_OID = "1.2.840.113549.2.5";
/** A nonce is for matching a reply to its request; 256 bits is far beyond any client's (openssl: 64, Go: 64). */
const MAX_NONCE_OCTETS = 32;

/**
 * Parses a DER TimeStampReq. Corrupt or unacceptable input throws TsaRequestError (code TSA_REQUEST_INVALID):
 * not DER or trailing bytes (badDataFormat), version ≠ 1 (badRequest), a hash other than SHA-256/384/512 — SHA-1 and
 * MD5 are refused as weak, like timestamp-authority's VerifyRequest — (badAlg), a digest of the wrong length
 * (badDataFormat), another policy (unacceptedPolicy), any extension (unacceptedExtension: RFC 3161 §2.4.1 says a
 * TSA that does not recognise an extension SHALL NOT issue a token).
 *
 * @example
 *   const request = parseTimestampRequest(body, { policy: TSA_POLICY_OID });
 */
export function parseTimestampRequest(der: Uint8Array, options: ParseRequestOptions): TimestampRequest {
  checkSingleSequence(der);
  let req: TimeStampReq;
  try {
    req = AsnConvert.parse(der, TimeStampReq);
  } catch (err) {
    throw new TsaRequestError("badDataFormat", `not a DER TimeStampReq: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (req.version !== 1) throw new TsaRequestError("badRequest", `TimeStampReq version ${String(req.version)} is not supported (RFC 3161 defines v1)`);

  const { algorithm, parameters } = req.messageImprint.hashAlgorithm;
  const hash = imprintHash(algorithm);
  // RFC 5754 §2: SHA-2 AlgorithmIdentifiers carry NULL or absent parameters; anything else is not a SHA-2 imprint.
  if (parameters !== null && parameters !== undefined) {
    throw new TsaRequestError("badAlg", "messageImprint hashAlgorithm has parameters (SHA-2 takes none or NULL)");
  }
  const digest = new Uint8Array(req.messageImprint.hashedMessage.buffer);
  checkDigestLength(hash, digest.length);

  if (req.reqPolicy !== undefined) checkPolicy(req.reqPolicy, options.policy);
  if (req.extensions !== undefined && req.extensions.length > 0) {
    const ids = req.extensions.map((e) => e.extnID).join(", ");
    throw new TsaRequestError("unacceptedExtension", `the request has extensions this TSA does not support (${ids})`);
  }
  const out: TimestampRequest = { hash, digest, imprintParameters: parameters === null ? "null" : "absent", certReq: req.certReq === true };
  if (req.reqPolicy !== undefined) out.policy = req.reqPolicy;
  if (req.nonce !== undefined) out.nonce = checkNonce(new Uint8Array(req.nonce));
  return out;
}

/**
 * Parses timestamp-authority's JSON request form (the one @sigstore/sign's TSAWitness sends):
 * `{"artifactHash": base64 digest, "hashAlgorithm": "sha256"|"sha384"|"sha512", "certificates"?: boolean,
 * "nonce"?: integer, "tsaPolicyOID"?: "1.2.3"}`. The same checks as the DER form apply.
 *
 * JSON numbers lose precision beyond 2^53 (timestamp-authority reads them as big.Int; JavaScript's JSON.parse cannot),
 * so a larger nonce must be sent as a decimal string; an imprecise number is refused rather than echoed wrong.
 */
export function parseJsonTimestampRequest(body: unknown, options: ParseRequestOptions): TimestampRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new TsaRequestError("badDataFormat", "the JSON request must be an object");
  const b = body as Record<string, unknown>;
  if (typeof b.hashAlgorithm !== "string") throw new TsaRequestError("badDataFormat", "hashAlgorithm must be a string (sha256, sha384 or sha512)");
  const name = b.hashAlgorithm.toLowerCase();
  if (name === "sha1" || name === "md5") throw new TsaRequestError("badAlg", `hashAlgorithm ${name} is too weak: use sha256, sha384 or sha512`);
  if (name !== "sha256" && name !== "sha384" && name !== "sha512") throw new TsaRequestError("badAlg", `unsupported hashAlgorithm ${JSON.stringify(b.hashAlgorithm.slice(0, 40))}`);
  if (typeof b.artifactHash !== "string" || !isBase64(b.artifactHash)) throw new TsaRequestError("badDataFormat", "artifactHash must be the base64 digest");
  const digest = new Uint8Array(Buffer.from(b.artifactHash, "base64"));
  checkDigestLength(name, digest.length);
  if (b.certificates !== undefined && typeof b.certificates !== "boolean") throw new TsaRequestError("badDataFormat", "certificates must be a boolean");

  const out: TimestampRequest = { hash: name, digest, imprintParameters: "absent", certReq: b.certificates === true };
  if (b.tsaPolicyOID !== undefined && b.tsaPolicyOID !== "") {
    if (typeof b.tsaPolicyOID !== "string" || !/^[0-2](\.(0|[1-9]\d{0,9})){1,127}$/.test(b.tsaPolicyOID)) {
      throw new TsaRequestError("badDataFormat", "tsaPolicyOID must be a dotted object identifier");
    }
    checkPolicy(b.tsaPolicyOID, options.policy);
    out.policy = b.tsaPolicyOID;
  }
  if (b.nonce !== undefined && b.nonce !== null) out.nonce = checkNonce(jsonNonce(b.nonce));
  return out;
}

function imprintHash(oid: string): ImprintHash {
  const hash = DIGEST_OIDS[oid];
  if (hash !== undefined) return hash;
  // timestamp-authority refuses SHA-1 as weak (verification.ErrWeakHashAlg); a timestamp over a SHA-1 imprint binds
  // the time to every colliding document, so it would attest nothing.
  if (oid === SHA1_OID || oid === MD5_OID) throw new TsaRequestError("badAlg", `${oid === SHA1_OID ? "SHA-1" : "MD5"} message imprints are too weak: use SHA-256, SHA-384 or SHA-512`);
  throw new TsaRequestError("badAlg", `unsupported message imprint hash algorithm ${oid} (SHA-256, SHA-384 or SHA-512)`);
}

function checkDigestLength(hash: ImprintHash, length: number): void {
  // RFC 3161 §2.4.1: the hashedMessage length MUST match the hash algorithm's.
  if (length !== DIGEST_LENGTH[hash]) {
    throw new TsaRequestError("badDataFormat", `message imprint is ${length} bytes, but a ${hash} digest is ${DIGEST_LENGTH[hash]}`);
  }
}

function checkPolicy(requested: string, ours: string): void {
  // RFC 3161 §2.4.2: a policy the TSA does not support is refused with unacceptedPolicy, never silently replaced.
  if (requested !== ours) throw new TsaRequestError("unacceptedPolicy", `policy ${requested.slice(0, 100)} is not this TSA's (${ours})`);
}

function checkNonce(nonce: Uint8Array): Uint8Array {
  if (nonce.length === 0) throw new TsaRequestError("badDataFormat", "the nonce INTEGER is empty");
  if (nonce.length > MAX_NONCE_OCTETS) throw new TsaRequestError("badRequest", `the nonce is ${nonce.length} bytes; at most ${MAX_NONCE_OCTETS} are accepted`);
  return nonce;
}

/** A JSON nonce (a safe integer or a decimal string) as INTEGER content octets. */
function jsonNonce(value: unknown): Uint8Array {
  let n: bigint;
  if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^-?\d{1,80}$/.test(value)) n = BigInt(value);
  else if (typeof value === "number") throw new TsaRequestError("badDataFormat", "the nonce is not an integer JSON can carry exactly (beyond 2^53 send it as a decimal string)");
  else throw new TsaRequestError("badDataFormat", "the nonce must be an integer");
  return integerOctets(n);
}

/** Minimal two's-complement octets of `n` (X.690 §8.3). */
function integerOctets(n: bigint): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  for (;;) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
    const top = bytes[0]! & 0x80;
    if ((v === 0n && top === 0) || (v === -1n && top !== 0)) break;
  }
  return Uint8Array.from(bytes);
}

function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

/**
 * The input must be exactly one definite-length SEQUENCE: the ASN.1 library ignores bytes after the first value, and
 * a request with a tail is not the DER that RFC 3161 §2.4.1 asks for (timestamp-authority refuses trailing data too).
 */
function checkSingleSequence(der: Uint8Array): void {
  if (der.length < 2 || der[0] !== 0x30) throw new TsaRequestError("badDataFormat", "not a DER TimeStampReq: the body does not start with a SEQUENCE");
  let length = der[1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 3 || der.length < 2 + octets) throw new TsaRequestError("badDataFormat", "not a DER TimeStampReq: bad length");
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i]!;
    header += octets;
  }
  if (header + length < der.length) throw new TsaRequestError("badDataFormat", `not a DER TimeStampReq: ${der.length - header - length} bytes after the request`);
  if (header + length > der.length) throw new TsaRequestError("badDataFormat", "not a DER TimeStampReq: truncated");
}
