/**
 * Strict standard-alphabet, padded base64 (RFC 4648 §4), as Go's base64.StdEncoding writes it. Buffer.from(s,
 * "base64") silently skips characters it does not know and accepts missing padding, so two different strings could
 * decode to the same bytes; attacker-supplied signatures and hashes must have exactly one spelling.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Bytes of a canonical base64 string, or undefined when it is not one (bad alphabet, padding or trailing bits). */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  // The last character before padding must not carry bits beyond the data (4 unused bits before "==", 2 before
  // "="): otherwise a second spelling of the same bytes exists.
  if (text.endsWith("==")) {
    if ((ALPHABET.indexOf(text[text.length - 3]!) & 0x0f) !== 0) return undefined;
  } else if (text.endsWith("=")) {
    if ((ALPHABET.indexOf(text[text.length - 2]!) & 0x03) !== 0) return undefined;
  }
  const bytes = Buffer.from(text, "base64");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
