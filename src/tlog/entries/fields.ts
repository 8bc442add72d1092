import canonicalize from "canonicalize";
import { VouchError } from "../../core/errors.js";
import { decodeBase64Strict, encodeBase64 } from "../../core/note/index.js";

/**
 * Defensive readers for submitted log entries. Every field of a submission is attacker-controlled: each reader checks
 * the JSON type, reads own properties only (a key such as "constructor" must not reach Object.prototype), and fails
 * with LOG_INVALID_ENTRY and a one-line reason that names the field by its path in the request.
 */

/** The default size limit of a submission (issue 4: "configurable limit, default 128 KiB body"). */
export const DEFAULT_MAX_ENTRY_BYTES = 128 * 1024;

/**
 * At most this many signatures in an envelope and verifiers in a request. Rekor has no limit; without one, a
 * 128 KiB request of tiny keys and signatures would cost (verifiers x signatures) verifications.
 */
export const MAX_SIGNATURES = 16;
export const MAX_VERIFIERS = 16;

export type Json = Record<string, unknown>;

export function invalid(message: string, cause?: unknown): VouchError<"LOG_INVALID_ENTRY"> {
  return new VouchError("LOG_INVALID_ENTRY", message, cause === undefined ? undefined : { cause });
}

/**
 * The submission as plain JSON, after the size check: raw request bytes or text are measured and parsed (UTF-8,
 * fatal on bad bytes); an already-parsed value is measured as its JSON text and re-parsed, so whatever the caller
 * passed (class instances, toJSON, undefined members) becomes plain data before any field is read.
 */
export function readSubmission(input: unknown, maxBytes: number): unknown {
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  let text: string;
  if (input instanceof Uint8Array) {
    tooLarge(input.byteLength, maxBytes);
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch (error) {
      throw invalid("the entry is not UTF-8", error);
    }
  } else if (typeof input === "string") {
    text = input;
  } else {
    let serialized: string | undefined;
    try {
      serialized = JSON.stringify(input);
    } catch (error) {
      throw invalid("the entry is not JSON data", error);
    }
    if (serialized === undefined) throw invalid("the entry is not JSON data");
    text = serialized;
  }
  tooLarge(Buffer.byteLength(text, "utf8"), maxBytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid("the entry is not JSON", error);
  }
}

function tooLarge(size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new VouchError("LOG_ENTRY_TOO_LARGE", `the entry is ${size} bytes, over the ${maxBytes}-byte limit`);
  }
}

/** An own property of a JSON object, or undefined. */
export function field(obj: Json, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

export function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`${path} is missing or not an object`);
  return value as Json;
}

export function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${path} is missing or not an array`);
  if (value.length === 0) throw invalid(`${path} is empty`);
  if (value.length > max) throw invalid(`${path} has ${value.length} items, more than the ${max} allowed`);
  return value;
}

/**
 * A string field. Lone UTF-16 surrogates are refused: they have no UTF-8 encoding, so the canonical body (RFC 8785
 * works on Unicode text) could not contain them, and Rekor's Go side would have replaced them with U+FFFD.
 */
export function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw invalid(`${path} is missing or not a string`);
  if (/\p{Cs}/u.test(value)) throw invalid(`${path} is not valid Unicode (lone surrogate)`);
  return value;
}

export function nonEmptyString(value: unknown, path: string): string {
  const s = string(value, path);
  if (s.length === 0) throw invalid(`${path} is empty`);
  return s;
}

/**
 * Non-empty canonical standard base64 (RFC 4648 §4, padded, no stray bits). Stricter than Go's StdEncoding, which
 * Rekor uses, on purpose: some of these strings are stored verbatim in the body (a DSSE signature), and vouch's
 * verifier reads bodies with the same strict decoder, so a spelling accepted here must read back there.
 */
export function base64(value: unknown, path: string): Uint8Array {
  const text = string(value, path);
  if (text.length === 0) throw invalid(`${path} is empty`);
  const bytes = decodeBase64Strict(text);
  if (bytes === undefined) throw invalid(`${path} is not base64`);
  return bytes;
}

/** base64 whose decoded bytes are themselves base64 text (Rekor's intoto type double-encodes the DSSE fields). */
export function base64OfBase64(value: unknown, path: string): { inner: string; bytes: Uint8Array } {
  const inner = Buffer.from(base64(value, path)).toString("latin1");
  const bytes = decodeBase64Strict(inner);
  if (bytes === undefined || inner.length === 0) throw invalid(`${path} is not base64-encoded base64`);
  return { inner, bytes };
}

export { encodeBase64 };

/** An attacker-chosen value quoted into a message: JSON-escaped (one line) and cut short. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** RFC 8785 canonical JSON bytes (the `canonicalize` package), the Merkle leaf of an entry. */
export function canonicalBytes(value: Json): Uint8Array {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw invalid("the entry cannot be canonicalized", error);
  }
  if (text === undefined) throw invalid("the entry cannot be canonicalized");
  return new Uint8Array(Buffer.from(text, "utf8"));
}
