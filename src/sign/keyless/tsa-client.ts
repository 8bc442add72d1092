import { createHash, randomBytes } from "node:crypto";
import { SignedData } from "@peculiar/asn1-cms";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { MessageImprint, PKIFailureInfoFlags, PKIStatus, TimeStampReq, TimeStampResp, TSTInfo } from "@peculiar/asn1-tsp";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import type { Bundle } from "../../bundle/types.js";
import { VouchError } from "../../core/errors.js";
import { defaultFetch, reasonOf, send, trimBase, type KeylessFetch } from "./http.js";

/**
 * An RFC 3161 timestamp client (after sigstore-js's TSAWitness): the TSA signs the time at which it saw SHA-256 of
 * the bundle's signature, so a verifier can tell the signature existed while the 10-minute certificate was valid —
 * the signing time for Rekor v2, which records none. Speaks the standard DER protocol (RFC 3161 §3.4:
 * application/timestamp-query → application/timestamp-reply), which sigstore's timestamp-authority, vouch's TSA and
 * any other RFC 3161 TSA serve.
 */

const SHA256 = "2.16.840.1.101.3.4.2.1";
const SIGNED_DATA = "1.2.840.113549.1.7.2";
const TST_INFO = "1.2.840.113549.1.9.16.1.4";

export interface TimestampOptions {
  /**
   * The TSA: a base URL (the request goes to <url>/api/v1/timestamp, sigstore timestamp-authority's path), or the
   * full endpoint when the URL has a path — signing_config.json names TSAs by full URL, as sigstore-js reads them.
   */
  url: string;
  fetch?: KeylessFetch;
  /** Nonce source (default: node:crypto); injected by tests. */
  random?: (bytes: number) => Uint8Array;
}

/** The endpoint for a TSA URL (see TimestampOptions.url). */
export function timestampEndpoint(url: string): string {
  return new URL(url).pathname === "/" ? `${trimBase(url)}/api/v1/timestamp` : url;
}

/**
 * Timestamp a signature.
 *
 * @returns the DER TimeStampResp as the TSA sent it (what a bundle's `rfc3161Timestamps[].signedTimestamp` holds per
 *   protobuf-specs, and what @sigstore/verify parses), after checking it answers this request.
 * @throws VouchError TSA_REQUEST_INVALID when the TSA refuses (its HTTP status and reason, or its PKIStatus, text
 *   and failure bits) or cannot be reached (there is no TSA-unavailable code yet); INPUT_MALFORMED for an answer that
 *   is not a TimeStampResp for this request.
 * @example
 *   const tsr = await requestTimestamp(signature, { url: "https://timestamp.sigstore.dev/api/v1/timestamp" });
 */
export async function requestTimestamp(signature: Uint8Array, options: TimestampOptions): Promise<Uint8Array> {
  const digest = new Uint8Array(createHash("sha256").update(signature).digest());
  const nonce = positiveNonce((options.random ?? ((n) => new Uint8Array(randomBytes(n))))(8));
  const request = encodeTimestampRequest(digest, nonce);
  const endpoint = timestampEndpoint(options.url);
  const answer = await send(
    options.fetch ?? defaultFetch,
    endpoint,
    { method: "POST", headers: { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" }, body: request },
    "SERVICE_UNAVAILABLE",
    "timestamp authority",
  );
  if (answer.status !== 200 && answer.status !== 201) {
    // 4xx: the TSA refused this request; 5xx: the TSA is failing.
    throw new VouchError(answer.status >= 500 ? "SERVICE_UNAVAILABLE" : "TSA_REQUEST_INVALID", `the timestamp authority at ${endpoint} answered ${answer.status}: ${reasonOf(answer.body)}`);
  }
  checkTimestampResponse(answer.body, digest, nonce, endpoint);
  return answer.body;
}

/**
 * Adds a timestamp over the bundle's signature (the message signature, or the DSSE envelope's one signature) to
 * `timestamps`.
 */
export async function witnessWithTimestamp(bundle: Bundle, options: TimestampOptions): Promise<Bundle> {
  const content = bundle.content;
  const signature = content.kind === "messageSignature" ? content.signature : content.envelope.signatures[0]?.sig;
  if (signature === undefined) throw new VouchError("INPUT_MALFORMED", "a bundle without a signature to timestamp");
  const timestamp = await requestTimestamp(signature, options);
  return { ...bundle, timestamps: [...bundle.timestamps, timestamp] };
}

/**
 * TimeStampReq (RFC 3161 §2.4.1) for a SHA-256 digest: a nonce so a replayed old answer is caught, and certReq so the
 * token names its signing certificate (verifiers match it against the trusted root's TSA chain).
 */
export function encodeTimestampRequest(sha256: Uint8Array, nonce: Uint8Array): Uint8Array {
  const request = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256 }),
      hashedMessage: new OctetString(sha256),
    }),
    nonce: toArrayBuffer(nonce),
    certReq: true,
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

/**
 * Checks a TimeStampResp answers the request: status granted (or grantedWithMods), a SignedData token over a TSTInfo
 * whose message imprint is our SHA-256 and whose nonce is ours (RFC 3161 §2.4.2: the requester MUST check both).
 * The token's signature and chain are the verifier's business (src/verify/timestamp), not the client's.
 */
export function checkTimestampResponse(der: Uint8Array, sha256: Uint8Array, nonce: Uint8Array, tsa = "the timestamp authority"): void {
  const unusable = (why: string, cause?: unknown) => new VouchError("INPUT_MALFORMED", `the answer of ${tsa} is not a usable RFC 3161 timestamp: ${why}`, { cause });
  let response: TimeStampResp;
  try {
    response = AsnConvert.parse(toArrayBuffer(der), TimeStampResp);
  } catch (error) {
    throw unusable("not a DER TimeStampResp", error);
  }
  const { status, statusString, failInfo } = response.status;
  if (status !== PKIStatus.granted && status !== PKIStatus.grantedWithMods) {
    const text = statusString && statusString.length > 0 ? `: ${[...statusString].join("; ")}` : "";
    const failures = failInfo ? failureNames(failInfo.toNumber()) : [];
    throw new VouchError("TSA_REQUEST_INVALID", `${tsa} refused the timestamp (${PKIStatus[status] ?? `status ${status}`}${text})${failures.length ? ` [${failures.join(", ")}]` : ""}`);
  }
  const token = response.timeStampToken;
  if (token === undefined) throw unusable("granted, but without a timeStampToken");
  let info: TSTInfo;
  try {
    if (token.contentType !== SIGNED_DATA) throw new Error(`content type ${token.contentType}`);
    const signed = AsnConvert.parse(token.content, SignedData);
    const { eContentType, eContent } = signed.encapContentInfo;
    if (eContentType !== TST_INFO || eContent?.single === undefined) throw new Error("the signed content is not a TSTInfo");
    info = AsnConvert.parse(eContent.single, TSTInfo);
  } catch (error) {
    throw unusable(`the token is not a SignedData over a TSTInfo (${(error as Error).message})`, error);
  }
  const imprint = info.messageImprint;
  if (imprint.hashAlgorithm.algorithm !== SHA256 || !bytesEqual(new Uint8Array(imprint.hashedMessage.buffer), sha256)) {
    throw unusable("it timestamps another message (message imprint differs)");
  }
  if (info.nonce === undefined || !bytesEqual(stripLeadingZeros(new Uint8Array(info.nonce)), stripLeadingZeros(nonce))) {
    throw unusable("its nonce is not the request's (a replayed or misrouted answer)");
  }
}

/** PKIFailureInfo bits set, by name (RFC 3161 §2.4.2). */
function failureNames(bits: number): string[] {
  return Object.entries(PKIFailureInfoFlags)
    .filter(([, flag]) => typeof flag === "number" && (bits & flag) !== 0)
    .map(([name]) => name);
}

/** A positive INTEGER with a minimal encoding: top bit clear (not negative), first byte non-zero (X.690 §8.3.2). */
function positiveNonce(bytes: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(bytes);
  nonce[0] = nonce[0]! & 0x7f || 0x01;
  return nonce;
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
