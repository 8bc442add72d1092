import { createHash } from "node:crypto";
import {
  bitFlags,
  bitStringBytes,
  boolean,
  bytesEqual,
  expectContext,
  expectSeq,
  expectSet,
  explicitInner,
  hex,
  integer,
  integerBytes,
  isContext,
  isStringType,
  isUniversal,
  malformed,
  octets,
  oid,
  parseDer,
  raw,
  smallInteger,
  TAG,
  text,
  time,
  utf8Text,
  type Der,
} from "./der.js";
import { DN_ATTRIBUTE_NAMES, FULCIO_EXTENSIONS, FULCIO_RAW_STRING_OIDS, OID, type FulcioClaimName } from "./oids.js";
import { signatureAlgorithm, type SignatureAlgorithm } from "./signature.js";

/**
 * A narrow, read-only view of an X.509 v3 certificate (RFC 5280 §4.1): the fields Sigstore verification reads,
 * decoded once. Byte fields are views into a private copy of the DER, so a caller mutating its input buffer cannot
 * change a cached certificate. Treat every field as immutable: parsed certificates are shared through a cache.
 */
export interface Certificate {
  /** The certificate as received (DER). */
  readonly der: Uint8Array;
  /** Lowercase hex SHA-256 of `der`: the cache key, and a stable name in messages. */
  readonly fingerprint: string;
  /** tbsCertificate exactly as encoded: the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** serialNumber INTEGER content bytes as encoded (compared bytewise, e.g. against a CMS IssuerAndSerialNumber). */
  readonly serial: Uint8Array;
  readonly serialHex: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKeyDer: Uint8Array;
  /** OID of the subject key's algorithm (id-ecPublicKey, rsaEncryption, id-Ed25519, ...). */
  readonly publicKeyAlgorithm: string;
  /** The outer signatureAlgorithm (checked equal to the TBS `signature` field, RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithm: SignatureAlgorithm | { unsupported: string };
  readonly signature: Uint8Array;
  /** basicConstraints cA (RFC 5280 §4.2.1.9); false when the extension is absent. */
  readonly isCA: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLen?: number;
  /** keyUsage, when the extension is present (RFC 5280 §4.2.1.3). */
  readonly keyUsage?: KeyUsage;
  /** extKeyUsage purpose OIDs, when the extension is present (RFC 5280 §4.2.1.12). */
  readonly extKeyUsage?: readonly string[];
  /** extKeyUsage lists id-kp-codeSigning. */
  readonly codeSigning: boolean;
  readonly subjectAltNames: readonly SubjectAltName[];
  /** Fulcio extensions 1.3.6.1.4.1.57264.1.* that decoded cleanly, by name (see FULCIO_EXTENSIONS). */
  readonly fulcio: Readonly<Partial<Record<FulcioClaimName, string>>>;
  /** RFC 6962 §3.3 SignedCertificateTimestampList (TLS encoding), when embedded. */
  readonly sctList?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly subjectKeyId?: Uint8Array;
  /** Every extension, in certificate order. */
  readonly extensions: readonly Extension[];
  /** Critical extensions this parser does not interpret: RFC 5280 §4.2 says such a certificate MUST be rejected. */
  readonly unhandledCriticalExtensions: readonly string[];
}

export interface DistinguishedName {
  /** The Name exactly as encoded (issuer/subject chaining compares these bytes). */
  readonly der: Uint8Array;
  /** Readable form in encoded order, e.g. "O=sigstore.dev, CN=sigstore-intermediate"; "" for an empty name. */
  readonly text: string;
  readonly attributes: readonly { oid: string; name: string; value: string }[];
}

export type SubjectAltName =
  | { type: "email"; value: string }
  | { type: "uri"; value: string }
  | { type: "dns"; value: string }
  | { type: "ip"; value: string }
  /** `value` is the decoded string, or undefined when the otherName value is not a character string. */
  | { type: "otherName"; oid: string; value: string | undefined }
  | { type: "other"; tag: number };

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** extnValue OCTET STRING content. */
  readonly value: Uint8Array;
  /** The whole Extension element as encoded (for rebuilding the precertificate TBS, RFC 6962 §3.2). */
  readonly der: Uint8Array;
}

export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  readonly encipherOnly: boolean;
  readonly decipherOnly: boolean;
}

/** Extensions whose semantics vouch implements (or, for policies, may ignore per RFC 5280 §6.1 with any-policy). */
const HANDLED = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
  OID.certificatePolicies,
]);

const MAX_CACHED = 4096;
const cache = new Map<string, Certificate>();

/**
 * Parses a DER certificate, cached by the SHA-256 of its bytes: the handful of CA and TSA certificates, and a leaf
 * seen again, are decoded once per process. Throws VouchError INPUT_MALFORMED naming the bad field.
 *
 * @example
 *   const cert = parseCertificate(bundle.material.certificates[0]);
 *   cert.subjectAltNames; // [{ type: "email", value: "brian@dehamer.com" }]
 */
export function parseCertificate(der: Uint8Array): Certificate {
  const fingerprint = createHash("sha256").update(der).digest("hex");
  const hit = cache.get(fingerprint);
  if (hit) return hit;
  const cert = decode(der.slice(), fingerprint);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(fingerprint, cert);
  return cert;
}

function decode(der: Uint8Array, fingerprint: string): Certificate {
  const W = "certificate";
  const root = expectSeq(parseDer(der, W), W, 3, 3);
  const [tbsObj, outerAlg, sigValue] = root.subs as [Der, Der, Der];
  const tbsSeq = expectSeq(tbsObj, `${W} tbsCertificate`, 6);
  const f = tbsSeq.subs;
  let i = 0;
  let version = 1;
  if (isContext(f[0]!, 0)) {
    version = smallInteger(explicitInner(f[0]!, `${W} version`), `${W} version`, 2) + 1;
    i++;
  }
  const serial = integerBytes(f[i++], `${W} serialNumber`);
  if (integer(f[i - 1], `${W} serialNumber`) < 0n) throw malformed(W, "negative serialNumber");
  const innerAlg = f[i++]!;
  expectSeq(innerAlg, `${W} signature`);
  const issuer = distinguishedName(f[i++], `${W} issuer`);
  const validity = expectSeq(f[i++], `${W} validity`, 2, 2);
  const notBefore = time(validity.subs[0], `${W} notBefore`);
  const notAfter = time(validity.subs[1], `${W} notAfter`);
  const subject = distinguishedName(f[i++], `${W} subject`);
  const spki = expectSeq(f[i++], `${W} subjectPublicKeyInfo`, 2, 2);
  const spkiAlg = expectSeq(spki.subs[0], `${W} subjectPublicKeyInfo algorithm`, 1, 2);
  const publicKeyAlgorithm = oid(spkiAlg.subs[0], `${W} subjectPublicKeyInfo algorithm`);
  bitStringBytes(spki.subs[1], `${W} subjectPublicKey`);

  let extensionsObj: Der | undefined;
  for (; i < f.length; i++) {
    const el = f[i]!;
    if (isContext(el, 1) || isContext(el, 2)) continue; // issuerUniqueID / subjectUniqueID (RFC 5280 §4.1.2.8)
    if (isContext(el, 3) && extensionsObj === undefined) {
      extensionsObj = explicitInner(el, `${W} extensions`);
      continue;
    }
    throw malformed(W, "unexpected field after subjectPublicKeyInfo");
  }
  if (extensionsObj !== undefined && version !== 3) throw malformed(W, "extensions in a certificate that is not v3");

  // RFC 5280 §4.1.1.2: the outer signatureAlgorithm MUST equal the signed `signature` field; a mismatch lets an
  // attacker relabel the signature algorithm outside what the issuer signed.
  if (!bytesEqual(raw(outerAlg), raw(innerAlg))) throw malformed(W, "signatureAlgorithm differs from tbsCertificate.signature");

  const ext = extensions(extensionsObj, W);
  const cert: Certificate = {
    der,
    fingerprint,
    tbs: raw(tbsObj),
    version,
    serial,
    serialHex: hex(serial),
    issuer,
    subject,
    notBefore,
    notAfter,
    publicKeyDer: raw(spki),
    publicKeyAlgorithm,
    signatureAlgorithm: signatureAlgorithm(outerAlg, `${W} signatureAlgorithm`),
    signature: bitStringBytes(sigValue, `${W} signatureValue`),
    ...ext,
  };
  return Object.freeze(cert);
}

type ExtensionFields = Pick<
  Certificate,
  | "isCA"
  | "pathLen"
  | "keyUsage"
  | "extKeyUsage"
  | "codeSigning"
  | "subjectAltNames"
  | "fulcio"
  | "sctList"
  | "authorityKeyId"
  | "subjectKeyId"
  | "extensions"
  | "unhandledCriticalExtensions"
>;

function extensions(obj: Der | undefined, W: string): ExtensionFields {
  const list: Extension[] = [];
  const out: { -readonly [K in keyof ExtensionFields]: ExtensionFields[K] } = {
    isCA: false,
    codeSigning: false,
    subjectAltNames: [],
    fulcio: {},
    extensions: list,
    unhandledCriticalExtensions: [],
  };
  if (obj === undefined) return out;
  const seq = expectSeq(obj, `${W} extensions`, 1);
  const seen = new Set<string>();
  const fulcio: Partial<Record<FulcioClaimName, string>> = {};
  const unhandled: string[] = [];
  for (const e of seq.subs) {
    const s = expectSeq(e, `${W} extension`, 2, 3);
    const id = oid(s.subs[0], `${W} extension id`);
    const what = `${W} extension ${id}`;
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension.
    if (seen.has(id)) throw malformed(W, `duplicate extension ${id}`);
    seen.add(id);
    const critical = s.subs.length === 3 ? boolean(s.subs[1], `${what} critical`) : false;
    const value = octets(s.subs[s.subs.length - 1], `${what} value`);
    list.push({ oid: id, critical, value, der: raw(e) });
    if (critical && !HANDLED.has(id)) unhandled.push(id);
    switch (id) {
      case OID.basicConstraints: {
        const bc = expectSeq(parseDer(value, what), what, 0, 2);
        let k = 0;
        if (bc.subs[k] && isUniversal(bc.subs[k]!, TAG.BOOLEAN)) out.isCA = boolean(bc.subs[k++], `${what} cA`);
        if (bc.subs[k]) {
          const n = integer(bc.subs[k++], `${what} pathLenConstraint`);
          if (n < 0n) throw malformed(what, "negative pathLenConstraint");
          out.pathLen = n > 255n ? 255 : Number(n);
        }
        if (k !== bc.subs.length) throw malformed(what, "unexpected field");
        break;
      }
      case OID.keyUsage: {
        const bits = bitFlags(parseDer(value, what), what);
        out.keyUsage = Object.freeze({
          digitalSignature: bits.has(0),
          nonRepudiation: bits.has(1),
          keyEncipherment: bits.has(2),
          dataEncipherment: bits.has(3),
          keyAgreement: bits.has(4),
          keyCertSign: bits.has(5),
          cRLSign: bits.has(6),
          encipherOnly: bits.has(7),
          decipherOnly: bits.has(8),
        });
        break;
      }
      case OID.extKeyUsage: {
        const eku = expectSeq(parseDer(value, what), what, 1);
        const purposes = Object.freeze(eku.subs.map((p) => oid(p, `${what} purpose`)));
        out.extKeyUsage = purposes;
        out.codeSigning = purposes.includes(OID.ekuCodeSigning);
        break;
      }
      case OID.subjectAltName:
        out.subjectAltNames = Object.freeze(generalNames(parseDer(value, what), what));
        break;
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = octets(parseDer(value, what), what);
        break;
      case OID.authorityKeyIdentifier: {
        const aki = expectSeq(parseDer(value, what), what, 0, 3);
        const keyId = aki.subs.find((x) => isContext(x, 0));
        if (keyId) {
          if (keyId.tag.constructed) throw malformed(what, "keyIdentifier must be primitive");
          out.authorityKeyId = keyId.value;
        }
        break;
      }
      case OID.sctList:
        // RFC 6962 §3.3: extnValue is an OCTET STRING wrapping the TLS-encoded list.
        out.sctList = octets(parseDer(value, what), what);
        break;
      default: {
        const name = fulcioName(id);
        if (name !== undefined) {
          try {
            fulcio[name] = fulcioValue(id, value, what);
          } catch {
            // An undecodable claim is left out here; checkIdentity reports it if a policy asks for it.
          }
        }
      }
    }
  }
  out.fulcio = Object.freeze(fulcio);
  out.unhandledCriticalExtensions = Object.freeze(unhandled);
  Object.freeze(list);
  return out;
}

const FULCIO_NAMES = new Map<string, FulcioClaimName>(
  (Object.entries(FULCIO_EXTENSIONS) as [FulcioClaimName, string][]).map(([name, id]) => [id, name]),
);

export function fulcioName(id: string): FulcioClaimName | undefined {
  return FULCIO_NAMES.get(id);
}

/** Decodes a Fulcio extension value: raw UTF-8 for 1.1–1.6, a DER UTF8String for 1.8 onwards (oid-info.md). */
function fulcioValue(id: string, value: Uint8Array, what: string): string {
  if (FULCIO_RAW_STRING_OIDS.has(id)) return utf8Text(value, what);
  const s = parseDer(value, what);
  if (!isUniversal(s, TAG.UTF8_STRING) || s.tag.constructed) throw malformed(what, "Fulcio extension is not a DER UTF8String");
  return utf8Text(s.value, what);
}

/**
 * The text value of any extension, for policy matching by OID: Fulcio extensions as their spec says; otherwise a
 * DER character string if the value is one, else the raw bytes as strict UTF-8. Throws INPUT_MALFORMED when the
 * extension is present but is not text; undefined when the certificate does not have it.
 */
export function extensionText(cert: Certificate, id: string): string | undefined {
  const e = cert.extensions.find((x) => x.oid === id);
  if (e === undefined) return undefined;
  const what = `certificate extension ${id}`;
  if (fulcioName(id) !== undefined) return fulcioValue(id, e.value, what);
  try {
    const s = parseDer(e.value, what);
    if (isStringType(s)) return text(s, what);
  } catch {
    // not DER: fall through to raw text
  }
  return utf8Text(e.value, what);
}

function distinguishedName(obj: Der | undefined, what: string): DistinguishedName {
  const seq = expectSeq(obj, what);
  const attributes: { oid: string; name: string; value: string }[] = [];
  const rdns: string[] = [];
  for (const rdn of seq.subs) {
    const set = expectSet(rdn, `${what} RDN`, 1);
    const parts: string[] = [];
    for (const atv of set.subs) {
      const pair = expectSeq(atv, `${what} attribute`, 2, 2);
      const id = oid(pair.subs[0], `${what} attribute type`);
      const v = pair.subs[1]!;
      const value = isStringType(v) ? text(v, `${what} ${id}`) : `#${hex(raw(v))}`;
      const name = Object.hasOwn(DN_ATTRIBUTE_NAMES, id) ? DN_ATTRIBUTE_NAMES[id]! : id;
      attributes.push(Object.freeze({ oid: id, name, value }));
      parts.push(`${name}=${escapeDn(value)}`);
    }
    rdns.push(parts.join("+"));
  }
  return Object.freeze({ der: raw(seq), text: rdns.join(", "), attributes: Object.freeze(attributes) });
}

/** RFC 4514 §2.4 escaping, so a crafted CN cannot pose as extra attributes in messages. */
function escapeDn(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

function generalNames(obj: Der, what: string): SubjectAltName[] {
  const seq = expectSeq(obj, what, 1);
  return seq.subs.map((gn): SubjectAltName => {
    if (gn.tag.class !== 2) throw malformed(what, "GeneralName must be context-specific");
    switch (gn.tag.number) {
      case 0: {
        // otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY } (implicitly tagged [0])
        if (!gn.tag.constructed || gn.subs.length !== 2) throw malformed(what, "malformed otherName");
        const id = oid(gn.subs[0], `${what} otherName type`);
        const inner = explicitInner(expectContext(gn.subs[1], 0, `${what} otherName value`), `${what} otherName value`);
        return { type: "otherName", oid: id, value: isStringType(inner) ? text(inner, `${what} otherName value`) : undefined };
      }
      case 1:
        return { type: "email", value: ia5(gn, `${what} rfc822Name`) };
      case 2:
        return { type: "dns", value: ia5(gn, `${what} dNSName`) };
      case 6:
        return { type: "uri", value: ia5(gn, `${what} uniformResourceIdentifier`) };
      case 7:
        return { type: "ip", value: ipAddress(gn, `${what} iPAddress`) };
      default:
        return { type: "other", tag: gn.tag.number };
    }
  });
}

function ia5(gn: Der, what: string): string {
  if (gn.tag.constructed) throw malformed(what, "must be primitive");
  for (const b of gn.value) if (b > 0x7f) throw malformed(what, "non-ASCII byte in IA5String");
  return Buffer.from(gn.value.buffer, gn.value.byteOffset, gn.value.byteLength).toString("latin1");
}

function ipAddress(gn: Der, what: string): string {
  const v = gn.value;
  if (gn.tag.constructed || (v.length !== 4 && v.length !== 16)) throw malformed(what, "must be 4 or 16 octets");
  if (v.length === 4) return Array.from(v).join(".");
  const groups: string[] = [];
  for (let k = 0; k < 16; k += 2) groups.push(((v[k]! << 8) | v[k + 1]!).toString(16));
  return groups.join(":");
}

/** A short description for messages: the subject, or for an empty subject (Fulcio leaves) the first SAN or serial. */
export function describeCertificate(cert: Certificate): string {
  if (cert.subject.text !== "") return `"${cert.subject.text}"`;
  const san = cert.subjectAltNames.find((s) => "value" in s && s.value !== undefined);
  if (san && "value" in san) return `"${san.value}" (serial ${cert.serialHex})`;
  return `serial ${cert.serialHex}`;
}

/** Drops every cached certificate (tests; long-lived processes that rotate trust roots need not call it). */
export function clearCertificateCache(): void {
  cache.clear();
}
