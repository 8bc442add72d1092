import { VouchError } from "../errors.js";

/**
 * A strict DER reader (X.690 §10) for the structures Sigstore verification reads, and typed accessors over it. Every
 * access states the type it expects and says which field was wrong; times are parsed strictly (RFC 5280 §4.1.2.5,
 * with the fractional seconds RFC 3161 §2.4.2 allows in genTime); strings are decoded per their ASN.1 type; `raw`
 * gives the exact bytes of an element as received — signatures are checked over those bytes, never a re-encoding.
 *
 * The reader refuses what DER forbids in framing: indefinite and non-minimal lengths, high tag numbers, trailing
 * bytes, and nesting deeper than 64. Unlike @sigstore/core's ASN1Obj it does not try to parse every OCTET STRING's
 * content as ASN.1 (which throws and catches an exception per opaque value: most of the cost of parsing a Fulcio
 * certificate); callers parse the OCTET STRINGs that do hold DER (extnValue, eContent) explicitly.
 *
 * All errors are VouchError INPUT_MALFORMED; callers that parse attacker-supplied material (a bundle's certificate,
 * a timestamp token) rethrow them under their own VERIFY_* code.
 */

const MAX_DEPTH = 64;

export interface DerTag {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly class: number;
  readonly number: number;
  readonly constructed: boolean;
}

/** One DER element: its tag, its content (`value`) and, if constructed, its parsed children. */
export class Der {
  constructor(
    readonly tag: DerTag,
    /** The whole element (tag, length, content) as encoded: a view into the input. */
    readonly bytes: Uint8Array,
    /** The content octets: a view into the input. */
    readonly value: Uint8Array,
    readonly subs: readonly Der[],
  ) {}

  toOID(): string {
    const v = this.value;
    const arcs: (number | bigint)[] = [];
    // Numbers while exact (arcs below 2^46), BigInt beyond: a truncated arc could collide with a trusted OID.
    let acc: number | bigint = 0;
    let start = true;
    for (const b of v) {
      // X.690 §8.19.2: each subidentifier uses the fewest octets (no leading 0x80).
      if (start && b === 0x80) throw malformed("object identifier", "non-minimal subidentifier");
      if (typeof acc === "number" && acc < 2 ** 45) acc = acc * 128 + (b & 0x7f);
      else acc = (BigInt(acc) << 7n) | BigInt(b & 0x7f);
      start = (b & 0x80) === 0;
      if (start) {
        arcs.push(acc);
        acc = 0;
      }
    }
    if (!start || arcs.length === 0) throw malformed("object identifier", "truncated");
    const first = arcs[0]!;
    let head: string;
    if (typeof first === "number") head = first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
    else head = `2.${first - 80n}`;
    let out = head;
    for (let i = 1; i < arcs.length; i++) out += `.${arcs[i]}`;
    return out;
  }

  toInteger(): bigint {
    const v = this.value;
    let n = 0n;
    for (const b of v) n = (n << 8n) | BigInt(b);
    if (v.length > 0 && (v[0]! & 0x80) !== 0) n -= 1n << BigInt(v.length * 8);
    return n;
  }

  toBoolean(): boolean {
    // X.690 §11.1: DER TRUE is 0xFF.
    if (this.value.length !== 1 || (this.value[0] !== 0x00 && this.value[0] !== 0xff)) throw malformed("BOOLEAN", "not DER encoded");
    return this.value[0] === 0xff;
  }
}

function readElement(bytes: Uint8Array, at: number, end: number, depth: number, what: string): Der {
  if (depth > MAX_DEPTH) throw malformed(what, "nested too deeply");
  if (at + 2 > end) throw malformed(what, "truncated element");
  const t = bytes[at]!;
  const tag: DerTag = { class: t >> 6, number: t & 0x1f, constructed: (t & 0x20) !== 0 };
  if (tag.number === 0x1f) throw malformed(what, "high tag numbers are not supported");
  if (tag.class === 0 && tag.number === 0) throw malformed(what, "unexpected end-of-contents");
  let len = bytes[at + 1]!;
  let pos = at + 2;
  if (len === 0x80) throw malformed(what, "indefinite length (BER, not DER)");
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw malformed(what, "length too large");
    if (pos + n > end) throw malformed(what, "truncated length");
    if (bytes[pos] === 0) throw malformed(what, "non-minimal length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[pos + i]!;
    if (len < 0x80) throw malformed(what, "non-minimal length");
    pos += n;
  }
  if (pos + len > end) throw malformed(what, "length runs past the end of the data");
  const value = bytes.subarray(pos, pos + len);
  const subs: Der[] = [];
  if (tag.constructed) {
    let p = pos;
    while (p < pos + len) {
      const child = readElement(bytes, p, pos + len, depth + 1, what);
      subs.push(child);
      p += child.bytes.length;
    }
  }
  return new Der(tag, bytes.subarray(at, pos + len), value, subs);
}

/** Universal tag numbers used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x10,
  SET: 0x11,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
} as const;

const CLASS_UNIVERSAL = 0;
const CLASS_CONTEXT = 2;

export function malformed(what: string, detail: string, cause?: unknown): VouchError {
  return new VouchError("INPUT_MALFORMED", `${what}: ${detail}`, cause === undefined ? undefined : { cause });
}

/** Parses one complete DER element (no trailing bytes). */
export function parseDer(bytes: Uint8Array, what: string): Der {
  if (bytes.byteLength === 0) throw malformed(what, "empty");
  const el = readElement(bytes, 0, bytes.length, 0, what);
  if (el.bytes.length !== bytes.length) throw malformed(what, "trailing bytes after the DER element");
  return el;
}

export function isUniversal(obj: Der, tag: number): boolean {
  return obj.tag.class === CLASS_UNIVERSAL && obj.tag.number === tag;
}

export function isContext(obj: Der, tag: number): boolean {
  return obj.tag.class === CLASS_CONTEXT && obj.tag.number === tag;
}

function tagName(obj: Der): string {
  const cls = ["universal", "application", "context", "private"][obj.tag.class] ?? "?";
  return `${cls} ${obj.tag.number}${obj.tag.constructed ? " (constructed)" : ""}`;
}

/** The element, checked to be a universal `tag` (constructed for SEQUENCE/SET). */
export function expect(obj: Der | undefined, tag: number, what: string): Der {
  if (obj === undefined) throw malformed(what, "missing");
  if (!isUniversal(obj, tag)) throw malformed(what, `expected universal tag ${tag}, found ${tagName(obj)}`);
  const constructed = tag === TAG.SEQUENCE || tag === TAG.SET;
  if (obj.tag.constructed !== constructed) throw malformed(what, `wrong constructed bit for tag ${tag}`);
  return obj;
}

export function expectSeq(obj: Der | undefined, what: string, minItems = 0, maxItems = Infinity): Der {
  const seq = expect(obj, TAG.SEQUENCE, what);
  if (seq.subs.length < minItems || seq.subs.length > maxItems) {
    throw malformed(what, `expected ${minItems}..${maxItems} elements, found ${seq.subs.length}`);
  }
  return seq;
}

export function expectSet(obj: Der | undefined, what: string, minItems = 0): Der {
  const set = expect(obj, TAG.SET, what);
  if (set.subs.length < minItems) throw malformed(what, `expected at least ${minItems} elements`);
  return set;
}

/** A context-specific [n] element (explicit wrapper or implicit constructed/primitive). */
export function expectContext(obj: Der | undefined, tag: number, what: string): Der {
  if (obj === undefined) throw malformed(what, "missing");
  if (!isContext(obj, tag)) throw malformed(what, `expected [${tag}], found ${tagName(obj)}`);
  return obj;
}

/** The single element inside an EXPLICIT [n] wrapper. */
export function explicitInner(obj: Der, what: string): Der {
  if (!obj.tag.constructed || obj.subs.length !== 1) throw malformed(what, "explicit tag must wrap exactly one element");
  return obj.subs[0]!;
}

export function oid(obj: Der | undefined, what: string): string {
  const o = expect(obj, TAG.OID, what);
  if (o.value.length === 0 || (o.value[o.value.length - 1]! & 0x80) !== 0) throw malformed(what, "truncated object identifier");
  return o.toOID();
}

/** INTEGER content bytes (two's complement, as encoded) — serial numbers are compared as bytes. */
export function integerBytes(obj: Der | undefined, what: string): Uint8Array {
  const i = expect(obj, TAG.INTEGER, what);
  const v = i.value;
  if (v.length === 0) throw malformed(what, "empty INTEGER");
  // X.690 §8.3.2: the first nine bits must not be all zeros or all ones.
  if (v.length > 1 && ((v[0] === 0x00 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw malformed(what, "non-minimal INTEGER encoding");
  }
  return v;
}

export function integer(obj: Der | undefined, what: string): bigint {
  integerBytes(obj, what);
  return obj!.toInteger();
}

/** A small non-negative INTEGER as a number (versions, lengths); rejects anything beyond `max`. */
export function smallInteger(obj: Der | undefined, what: string, max = 0x7fffffff): number {
  const n = integer(obj, what);
  if (n < 0n || n > BigInt(max)) throw malformed(what, `integer ${n} out of range 0..${max}`);
  return Number(n);
}

export function boolean(obj: Der | undefined, what: string): boolean {
  const b = expect(obj, TAG.BOOLEAN, what);
  try {
    return b.toBoolean();
  } catch (err) {
    throw malformed(what, "invalid BOOLEAN", err);
  }
}

export function octets(obj: Der | undefined, what: string): Uint8Array {
  const o = expect(obj, TAG.OCTET_STRING, what);
  return o.value;
}

/** BIT STRING content without the unused-bits octet; `requireWhole` rejects a partial final octet. */
export function bitStringBytes(obj: Der | undefined, what: string, requireWhole = true): Uint8Array {
  const b = expect(obj, TAG.BIT_STRING, what);
  const v = b.value;
  if (v.length === 0) throw malformed(what, "empty BIT STRING");
  const unused = v[0]!;
  if (unused > 7 || (v.length === 1 && unused !== 0)) throw malformed(what, "invalid unused-bits count");
  if (requireWhole && unused !== 0) throw malformed(what, "BIT STRING must be a whole number of octets");
  return v.subarray(1);
}

/** BIT STRING as a list of set bit positions (named-bit lists like keyUsage). */
export function bitFlags(obj: Der | undefined, what: string): Set<number> {
  const b = expect(obj, TAG.BIT_STRING, what);
  const v = b.value;
  if (v.length === 0) throw malformed(what, "empty BIT STRING");
  const unused = v[0]!;
  if (unused > 7 || (v.length === 1 && unused !== 0)) throw malformed(what, "invalid unused-bits count");
  const set = new Set<number>();
  for (let i = 1; i < v.length; i++) {
    for (let bit = 0; bit < 8; bit++) if ((v[i]! & (0x80 >> bit)) !== 0) set.add((i - 1) * 8 + bit);
  }
  return set;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

function ascii(bytes: Uint8Array, what: string, printable?: RegExp): string {
  for (const b of bytes) if (b > 0x7f) throw malformed(what, "non-ASCII byte in an ASCII string type");
  const s = latin1.decode(bytes);
  if (printable && !printable.test(s)) throw malformed(what, "character outside the string type's alphabet");
  return s;
}

/** Decodes raw bytes as strict UTF-8 (invalid sequences are an error, not U+FFFD). */
export function utf8Text(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw malformed(what, "invalid UTF-8", err);
  }
}

/** True when the element is one of the ASN.1 character string types `text` decodes. */
export function isStringType(obj: Der): boolean {
  if (obj.tag.class !== CLASS_UNIVERSAL || obj.tag.constructed) return false;
  switch (obj.tag.number) {
    case TAG.UTF8_STRING:
    case TAG.NUMERIC_STRING:
    case TAG.PRINTABLE_STRING:
    case TAG.TELETEX_STRING:
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
    case TAG.UNIVERSAL_STRING:
    case TAG.BMP_STRING:
      return true;
    default:
      return false;
  }
}

/** Any ASN.1 character string, decoded per its type. */
export function text(obj: Der | undefined, what: string): string {
  if (obj === undefined) throw malformed(what, "missing");
  if (!isStringType(obj)) throw malformed(what, `expected a character string, found ${tagName(obj)}`);
  const v = obj.value;
  switch (obj.tag.number) {
    case TAG.UTF8_STRING:
      return utf8Text(v, what);
    case TAG.NUMERIC_STRING:
      return ascii(v, what, /^[0-9 ]*$/);
    case TAG.PRINTABLE_STRING:
      return ascii(v, what, /^[A-Za-z0-9 '()+,\-./:=?*&@]*$/); // '*' '&' '@' appear in real-world certificates
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
      return ascii(v, what);
    case TAG.TELETEX_STRING:
      return latin1.decode(v); // T.61 in theory; Latin-1 in every certificate that uses it
    case TAG.BMP_STRING: {
      if (v.length % 2 !== 0) throw malformed(what, "odd-length BMPString");
      let s = "";
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
      return s;
    }
    default: {
      if (v.length % 4 !== 0) throw malformed(what, "UniversalString length not a multiple of 4");
      let s = "";
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw malformed(what, "invalid code point");
        s += String.fromCodePoint(cp);
      }
      return s;
    }
  }
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/;

/**
 * UTCTime or GeneralizedTime as a Date. RFC 5280 §4.1.2.5: UTC ("Z"), seconds present; UTCTime years 50..99 are
 * 19xx. GeneralizedTime may carry fractional seconds without trailing zeros (X.690 §11.7, RFC 3161 genTime);
 * they are truncated to milliseconds. Impossible dates (Feb 30) are rejected, not normalized.
 */
export function time(obj: Der | undefined, what: string): Date {
  if (obj === undefined) throw malformed(what, "missing");
  const generalized = isUniversal(obj, TAG.GENERALIZED_TIME);
  if (!generalized && !isUniversal(obj, TAG.UTC_TIME)) throw malformed(what, `expected a time, found ${tagName(obj)}`);
  const s = ascii(obj.value, what);
  const m = (generalized ? GENERALIZED_TIME : UTC_TIME).exec(s);
  if (!m) throw malformed(what, `invalid ${generalized ? "GeneralizedTime" : "UTCTime"} "${s}"`);
  let year = Number(m[1]);
  if (!generalized) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  // Date.UTC maps years 0..99 to 1900..1999; set the full year explicitly.
  date.setUTCFullYear(year);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw malformed(what, `impossible date "${s}"`);
  }
  return date;
}

/** The exact encoded bytes (tag, length, content) of an element as received. */
export function raw(obj: Der): Uint8Array {
  return obj.bytes;
}

/** Encodes one TLV (for rebuilding structures such as the precertificate TBS of RFC 6962 §3.2). */
export function encodeTlv(tag: number, content: readonly Uint8Array[]): Uint8Array {
  const len = content.reduce((n, c) => n + c.length, 0);
  const lenBytes: number[] = [];
  if (len < 0x80) lenBytes.push(len);
  else {
    const octs: number[] = [];
    for (let l = len; l > 0; l = Math.floor(l / 256)) octs.unshift(l & 0xff);
    lenBytes.push(0x80 | octs.length, ...octs);
  }
  const out = new Uint8Array(1 + lenBytes.length + len);
  out[0] = tag;
  out.set(lenBytes, 1);
  let at = 1 + lenBytes.length;
  for (const c of content) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
