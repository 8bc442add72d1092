/**
 * DSSE v1 Pre-Authentication Encoding (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md):
 *
 *   PAE(type, body) = "DSSEv1" + SP + LEN(type) + SP + type + SP + LEN(body) + SP + body
 *
 * where LEN is the length in bytes, as ASCII decimal with no leading zeros, and `type` is UTF-8. The signature of a
 * DSSE envelope covers these bytes, never the payload alone: binding the payload type into the signed bytes stops a
 * signature over one kind of document being replayed as another (the "payloadType swapped" attack).
 *
 * @example
 *   preAuthEncoding("http://example.com/HelloWorld", new TextEncoder().encode("hello world"));
 *   // bytes of "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, "utf8");
  const header = Buffer.from(`DSSEv1 ${type.length} `, "ascii");
  const middle = Buffer.from(` ${payload.length} `, "ascii");
  const out = new Uint8Array(header.length + type.length + middle.length + payload.length);
  let at = 0;
  for (const part of [header, type, middle, payload]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
