/**
 * One error class for all of vouch. Callers and tests branch on `code`, never on the message
 * (after panva/jose and sigstore-js). Causes travel through ErrorOptions.
 *
 * Codes are grouped by domain with a prefix so that a code names where it came from:
 *   INPUT_*    the user gave us something we cannot use (bad flag, unreadable or malformed file): exit 2
 *   CHECK_*    a check ran and failed (quality gate, diff --fail-on): exit 1
 *   VERIFY_*   a verification step refused the evidence: exit 1
 *   STORE_*    storage refused or found damage (conflicting append, data that does not hash to what was signed)
 *   LOG_*      the transparency log refused a submission (a client error: HTTP 400) or is not serving (503)
 *   CA_*       the keyless CA refused a certificate request (token 401, request 400, issuer unreachable 503)
 *   TSA_*      the timestamp authority refused a request
 *   CT_*       the certificate transparency log refused a chain
 */
export type InputErrorCode =
  | "INPUT_USAGE"
  | "INPUT_NOT_FOUND"
  | "INPUT_UNREADABLE"
  | "INPUT_MALFORMED"
  | "INPUT_UNSUPPORTED_FORMAT"
  | "INPUT_TOO_LARGE";

export type CheckErrorCode = "CHECK_FAILED";

/**
 * A verification step failed (exit 1). One code per step, so callers and tests know which check refused the
 * bundle (after sigstore-js's VerificationError codes).
 */
export type VerifyErrorCode =
  | "VERIFY_BUNDLE" /* the bundle is structurally unusable for verification (missing proof, wrong material) */
  | "VERIFY_SIGNATURE" /* artifact or DSSE signature does not verify */
  | "VERIFY_ARTIFACT" /* artifact digest or in-toto subject does not match */
  | "VERIFY_KEY" /* no key / wrong key / revoked key */
  | "VERIFY_CERTIFICATE_CHAIN" /* leaf does not chain to a trusted CA valid at the signing time */
  | "VERIFY_SCT" /* embedded SCTs missing or invalid */
  | "VERIFY_IDENTITY" /* subject, issuer or Fulcio claims do not match the policy */
  | "VERIFY_TLOG_BODY" /* the log entry does not describe this signature/artifact */
  | "VERIFY_TLOG_INCLUSION" /* inclusion proof or checkpoint invalid */
  | "VERIFY_TLOG_SET" /* signed entry timestamp invalid */
  | "VERIFY_TIMESTAMP" /* RFC 3161 timestamp invalid or untrusted */
  | "VERIFY_THRESHOLD" /* fewer verified tlog entries / timestamps / SCTs than required */
  | "VERIFY_NOT_SIGNED"; /* an image has no signature or attestation that verifies (none found, or every one refused) */

/** Storage (store/ports.ts contracts). */
export type StoreErrorCode =
  | "STORE_CONFLICT" /* an append did not extend the committed head (another sequencer won, or a stale head) */
  | "STORE_CORRUPT" /* stored bytes do not hash to what the signed head commits to: never served */
  | "STORE_UNAVAILABLE"; /* the backing store cannot be reached or opened */

/** Transparency log service. */
export type LogErrorCode =
  | "LOG_INVALID_ENTRY" /* malformed body, unsupported kind, bad signature: HTTP 400, nothing logged */
  | "LOG_ENTRY_TOO_LARGE" /* over the configured body limit: HTTP 413/400 */
  | "LOG_NOT_FOUND" /* no such entry, tile or proof: HTTP 404 */
  | "LOG_UNAVAILABLE"; /* shutting down, or no sequencer: HTTP 503 */

/** Keyless CA (Fulcio v2 API), timestamp authority (RFC 3161) and CT log (RFC 6962). */
export type ServiceErrorCode =
  | "CA_TOKEN_INVALID" /* identity token expired, badly signed, wrong audience, unknown issuer: HTTP 401 */
  | "CA_REQUEST_INVALID" /* malformed request, bad proof of possession, unusable public key or CSR: HTTP 400 */
  | "CA_ISSUER_UNAVAILABLE" /* the issuer's discovery document or JWKS cannot be fetched: HTTP 503 */
  | "TSA_REQUEST_INVALID" /* malformed TimeStampReq, unsupported digest or policy: HTTP 400 */
  | "CT_CHAIN_INVALID" /* add-chain / add-pre-chain with a chain the log does not accept: HTTP 400 */
  | "SERVICE_UNAVAILABLE"; /* a service vouch called (CA, TSA, CI token endpoint) is unreachable, failing, or answered unusably */

export type VouchErrorCode = InputErrorCode | CheckErrorCode | VerifyErrorCode | StoreErrorCode | LogErrorCode | ServiceErrorCode;

export interface ErrorLocation {
  /** File the problem is in (as the user would name it). */
  file?: string;
  /** 1-based line number, when the parser knows it. */
  line?: number;
}

export class VouchError<Code extends VouchErrorCode = VouchErrorCode> extends Error {
  override readonly name = "VouchError";
  readonly code: Code;
  readonly location: ErrorLocation;

  constructor(code: Code, message: string, options?: ErrorOptions & ErrorLocation) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.location = { file: options?.file, line: options?.line };
  }

  /** "file:line: message" — the one-line form the CLI prints. */
  describe(): string {
    const { file, line } = this.location;
    if (file === undefined) return this.message;
    return line === undefined ? `${file}: ${this.message}` : `${file}:${line}: ${this.message}`;
  }
}

export function isVouchError(value: unknown): value is VouchError {
  return value instanceof VouchError;
}

/** 1-based line number of a character offset in a text (for parsers that report offsets). */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
