import { VouchError } from "../errors.js";

/**
 * PKCS #11 URIs (RFC 7512), the way cosign names a key held in a token:
 *
 *   pkcs11:token=vouch-test;object=signing-key;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234
 *
 * The path (before "?") says which library, slot, token and object; the query (after it) says how to reach them
 * (which module to load, where the PIN is). Parsing is pure and strict: a URI that does not follow the RFC 7512
 * §2.3 grammar is refused with INPUT_USAGE naming the attribute, since a mistyped key reference must not silently
 * select another key. Error messages never repeat the URI itself: it may carry a PIN.
 */

export type Pkcs11ObjectType = "public" | "private" | "cert" | "secret-key" | "data";

export interface Pkcs11Uri {
  // Path attributes (RFC 7512 §2.3): an absent attribute matches anything.
  /** Library (module) as reported by C_GetInfo. */
  libraryManufacturer?: string;
  libraryDescription?: string;
  libraryVersion?: { major: number; minor: number };
  /** Slot as reported by C_GetSlotList / C_GetSlotInfo. */
  slotId?: bigint;
  slotDescription?: string;
  slotManufacturer?: string;
  /** Token as reported by C_GetTokenInfo (`token` is its label). */
  token?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  /** Object: CKA_LABEL, CKA_ID (raw bytes) and CKA_CLASS. */
  object?: string;
  id?: Uint8Array;
  type?: Pkcs11ObjectType;
  // Query attributes (RFC 7512 §2.4).
  /** Absolute path of the PKCS #11 library, or of a directory to look for `moduleName` in. */
  modulePath?: string;
  moduleName?: string;
  /** The PIN itself. RFC 7512 §2.4 warns that it then travels wherever the URI does. */
  pinValue?: string;
  /** Where to read the PIN from: `file:/path` or an absolute path (a `|command` is recognised but not run). */
  pinSource?: string;
  /**
   * Path attributes vouch does not know (vendor-specific ones, or misspelt standard ones), kept as given. RFC 7512
   * §2.5: an unrecognised path attribute makes the URI match no object, so a consumer refuses them when matching.
   */
  vendorPath: ReadonlyArray<{ name: string; value: string }>;
  /** Query attributes vouch does not know, kept as given: RFC 7512 §2.5 has a consumer ignore them. */
  vendorQuery: ReadonlyArray<{ name: string; value: string }>;
}

const SCHEME = "pkcs11:";

/** True when `text` is meant as a PKCS #11 URI (the scheme is case-insensitive, RFC 3986 §3.1). */
export function isPkcs11Uri(text: string): boolean {
  return text.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

const OBJECT_TYPES: ReadonlySet<string> = new Set(["public", "private", "cert", "secret-key", "data"]);

// RFC 7512 §2.3 character classes. unreserved (RFC 3986): ALPHA / DIGIT / "-" / "." / "_" / "~".
const RES_AVAIL = ":[]@!$'()*+,=";
const PATH_CHARS = new Set(`${RES_AVAIL}&-._~`);
const QUERY_CHARS = new Set(`${RES_AVAIL}/?|-._~`);
const VENDOR_NAME = /^[A-Za-z0-9_-]+$/;

type PathKey = Exclude<keyof Pkcs11Uri, "modulePath" | "moduleName" | "pinValue" | "pinSource" | "vendorPath" | "vendorQuery">;
type Attribute = { name: string; value: string };

/** Path attribute names (as written in the URI) and the field each fills. */
const PATH_ATTRIBUTES: ReadonlyMap<string, PathKey> = new Map<string, PathKey>([
  ["library-manufacturer", "libraryManufacturer"],
  ["library-description", "libraryDescription"],
  ["library-version", "libraryVersion"],
  ["slot-id", "slotId"],
  ["slot-description", "slotDescription"],
  ["slot-manufacturer", "slotManufacturer"],
  ["token", "token"],
  ["manufacturer", "manufacturer"],
  ["model", "model"],
  ["serial", "serial"],
  ["object", "object"],
  ["id", "id"],
  ["type", "type"],
]);

const QUERY_ATTRIBUTES: ReadonlyMap<string, "modulePath" | "moduleName" | "pinValue" | "pinSource"> = new Map([
  ["module-path", "modulePath"],
  ["module-name", "moduleName"],
  ["pin-value", "pinValue"],
  ["pin-source", "pinSource"],
] as const);

function usage(message: string): VouchError {
  return new VouchError("INPUT_USAGE", `PKCS #11 URI: ${message}`);
}

/**
 * Parse a PKCS #11 URI (RFC 7512). Throws VouchError INPUT_USAGE, naming the attribute, when the URI is not one.
 *
 * @example
 *   const uri = parsePkcs11Uri("pkcs11:token=vouch-test;object=signing-key?module-path=/usr/lib/softhsm/libsofthsm2.so");
 *   uri.token; // "vouch-test"
 */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!isPkcs11Uri(text)) throw usage('it must start with "pkcs11:"');
  const rest = text.slice(SCHEME.length);
  if (rest.includes("#")) throw usage('a fragment ("#") is not allowed; percent-encode "#" as %23');
  const queryAt = rest.indexOf("?");
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? "" : rest.slice(queryAt + 1);

  const uri: Pkcs11Uri & { vendorPath: Attribute[]; vendorQuery: Attribute[] } = { vendorPath: [], vendorQuery: [] };
  const seenPath = new Set<string>();
  const seenQuery = new Set<string>();

  // pk11-path = [ pk11-pattr *(";" pk11-pattr) ]
  if (path !== "") {
    for (const attr of path.split(";")) {
      const [name, raw] = splitAttribute(attr, "path", ";");
      // RFC 7512 §2.3: an attribute appears at most once in the path.
      if (seenPath.has(name)) throw usage(`path attribute "${name}" appears more than once`);
      seenPath.add(name);
      const key = PATH_ATTRIBUTES.get(name);
      if (key === undefined) {
        if (!VENDOR_NAME.test(name)) throw usage(`"${name}" is not a valid path attribute name`);
        uri.vendorPath.push({ name, value: utf8(percentDecode(raw, name, PATH_CHARS), name) });
        continue;
      }
      const bytes = percentDecode(raw, name, PATH_CHARS);
      setPathAttribute(uri, key, name, bytes);
    }
  }

  // pk11-query = [ pk11-qattr *("&" pk11-qattr) ]
  if (query !== "") {
    for (const attr of query.split("&")) {
      const [name, raw] = splitAttribute(attr, "query", "&");
      const key = QUERY_ATTRIBUTES.get(name);
      if (key === undefined) {
        if (!VENDOR_NAME.test(name)) throw usage(`"${name}" is not a valid query attribute name`);
        uri.vendorQuery.push({ name, value: utf8(percentDecode(raw, name, QUERY_CHARS), name) });
        continue;
      }
      // RFC 7512 §2.3: the standard query attributes appear at most once (only vendor ones may repeat).
      if (seenQuery.has(name)) throw usage(`query attribute "${name}" appears more than once`);
      seenQuery.add(name);
      uri[key] = utf8(percentDecode(raw, name, QUERY_CHARS), name);
    }
  }

  // RFC 7512 §2.4: "pin-value" and "pin-source" must not be used together.
  if (uri.pinValue !== undefined && uri.pinSource !== undefined) {
    throw usage('give the PIN either as "pin-value" or as "pin-source", not both');
  }
  // RFC 7512 §2.4: module-path is an absolute path (of the library, or of a directory holding module-name).
  if (uri.modulePath !== undefined && !isAbsolutePath(uri.modulePath)) {
    throw usage(`"module-path" must be an absolute path, got "${uri.modulePath}"`);
  }
  if (uri.moduleName !== undefined && (uri.moduleName === "" || /[\\/]/.test(uri.moduleName))) {
    throw usage('"module-name" must be a library name without a directory (use "module-path" for a path)');
  }
  return uri;
}

function splitAttribute(attr: string, where: "path" | "query", separator: string): [string, string] {
  if (attr === "") throw usage(`empty ${where} attribute (two "${separator}" in a row, or a trailing "${separator}")`);
  const eq = attr.indexOf("=");
  if (eq <= 0) {
    // A query attribute without "=" may be a bare PIN: name nothing of it.
    const shown = where === "path" && eq === -1 ? ` "${attr.slice(0, 40)}"` : "";
    throw usage(`${where} attribute${shown} is not of the form name=value`);
  }
  return [attr.slice(0, eq), attr.slice(eq + 1)];
}

function setPathAttribute(uri: Pkcs11Uri, key: PathKey, name: string, bytes: Uint8Array): void {
  switch (key) {
    case "id":
      // CKA_ID is a byte string: keep the bytes as they are (RFC 7512 §2.3 recommends percent-encoding all of it).
      uri.id = bytes;
      return;
    case "slotId": {
      // pk11-slot-id = "slot-id" "=" 1*DIGIT; CK_SLOT_ID is an unsigned long, so bigint and bounded to 64 bits.
      const text = utf8(bytes, name);
      if (!/^[0-9]+$/.test(text)) throw usage(`"slot-id" must be a decimal number, got "${text}"`);
      const value = BigInt(text);
      if (value > 0xffff_ffff_ffff_ffffn) throw usage(`"slot-id" ${text} does not fit a CK_SLOT_ID (64 bits)`);
      uri.slotId = value;
      return;
    }
    case "libraryVersion": {
      // pk11-lib-ver = "library-version" "=" 1*DIGIT [ "." 1*DIGIT ]; CK_VERSION holds two bytes.
      const text = utf8(bytes, name);
      const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
      const major = m === null ? NaN : Number(m[1]);
      const minor = m === null ? NaN : Number(m[2] ?? "0");
      if (!(major <= 255 && minor <= 255)) throw usage(`"library-version" must be MAJOR or MAJOR.MINOR (0-255), got "${text}"`);
      uri.libraryVersion = { major, minor };
      return;
    }
    case "type": {
      const text = utf8(bytes, name);
      if (!OBJECT_TYPES.has(text)) throw usage(`"type" must be one of ${[...OBJECT_TYPES].join(", ")}, got "${text}"`);
      uri.type = text as Pkcs11ObjectType;
      return;
    }
    default:
      uri[key] = utf8(bytes, name);
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Percent-decode one attribute value into bytes, refusing characters the RFC 7512 grammar does not allow there. */
function percentDecode(raw: string, name: string, allowed: ReadonlySet<string>): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "%") {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) throw usage(`"${name}" has a "%" not followed by two hex digits`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (isAlphaNum(c) || allowed.has(c)) {
      out.push(c.charCodeAt(0));
    } else {
      const code = c.codePointAt(0)!;
      const shown = code < 0x21 || code === 0x7f ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}` : `"${c}"`;
      const encoded = [...encoder.encode(String.fromCodePoint(code))].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
      throw usage(`"${name}" contains ${shown}, which must be percent-encoded (${encoded})`);
    }
  }
  return Uint8Array.from(out);
}

function isAlphaNum(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9");
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Text attributes are UTF-8 after percent-decoding (RFC 7512 §2.3); invalid UTF-8 is refused, not replaced. */
function utf8(bytes: Uint8Array, name: string): string {
  try {
    return UTF8.decode(bytes);
  } catch (cause) {
    throw new VouchError("INPUT_USAGE", `PKCS #11 URI: "${name}" is not valid UTF-8 after percent-decoding`, { cause });
  }
}

function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path);
}

/**
 * The URI's path attributes as a short, PIN-free description for messages ("token=vouch-test;object=signing-key;id=%01").
 */
export function describePkcs11Uri(uri: Pkcs11Uri): string {
  const parts: string[] = [];
  if (uri.token !== undefined) parts.push(`token=${uri.token}`);
  if (uri.slotId !== undefined) parts.push(`slot-id=${uri.slotId}`);
  if (uri.serial !== undefined) parts.push(`serial=${uri.serial}`);
  if (uri.object !== undefined) parts.push(`object=${uri.object}`);
  if (uri.id !== undefined) parts.push(`id=${idToPercent(uri.id)}`);
  if (uri.type !== undefined) parts.push(`type=${uri.type}`);
  return parts.length === 0 ? "pkcs11:" : `pkcs11:${parts.join(";")}`;
}

/** CKA_ID bytes as RFC 7512 writes them: every byte percent-encoded ("%01%a2"). */
export function idToPercent(id: Uint8Array): string {
  return [...id].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}
