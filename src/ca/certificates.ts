import { createHash, randomBytes } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  OtherName,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";
import type { KeyObject } from "node:crypto";
import { keyAlgorithm, sign, type KeyAlgorithm } from "../core/crypto/keys.js";
import { encodeTlv } from "../core/x509/der.js";
import { FULCIO_EXTENSIONS, FULCIO_RAW_STRING_OIDS, OID, type FulcioClaimName } from "../core/x509/oids.js";

/**
 * Certificate building for the keyless CA, on @peculiar/asn1-x509 (a maintained ASN.1 schema library; vouch's own DER
 * reader in core/x509 stays the verifier, so issuance and verification check each other).
 *
 * Every builder returns the TBSCertificate DER; the caller signs it with whatever holds the CA key (a key file or a
 * PKCS #11 token: the Signer seam) and `assembleCertificate` joins the two. Nothing here touches a private key.
 */

/** Signs a TBSCertificate: the CA key behind the Signer seam. ECDSA signatures are ASN.1 DER, as X.509 wants. */
export interface TbsSigner {
  algorithm: KeyAlgorithm;
  /** SPKI DER of the signing key (the authority key identifier of what it issues). */
  publicKeyDer: Uint8Array;
  sign(tbs: Uint8Array): Promise<Uint8Array>;
}

const SIGNATURE_OIDS: Record<KeyAlgorithm, string> = {
  "ecdsa-p256": "1.2.840.10045.4.3.2", // ecdsa-with-SHA256 (RFC 5758 §3.2)
  "ecdsa-p384": "1.2.840.10045.4.3.3", // ecdsa-with-SHA384
  ed25519: "1.3.101.112", // RFC 8410 §3
};

const ATTRIBUTE_OIDS = { CN: "2.5.4.3", O: "2.5.4.10", OU: "2.5.4.11", C: "2.5.4.6" } as const;

/** A distinguished name from its attributes, in the order given (RFC 4514 order reversed is not our concern here). */
export type NameAttributes = Partial<Record<keyof typeof ATTRIBUTE_OIDS, string>>;

export function encodeName(attributes: NameAttributes): Name {
  const rdns = (Object.keys(ATTRIBUTE_OIDS) as (keyof typeof ATTRIBUTE_OIDS)[])
    .filter((key) => attributes[key] !== undefined)
    .sort((a, b) => ["C", "O", "OU", "CN"].indexOf(a) - ["C", "O", "OU", "CN"].indexOf(b))
    .map((key) => {
      // Country is a PrintableString (RFC 5280 Appendix A); everything else UTF8String (RFC 5280 §4.1.2.4).
      const value = key === "C" ? new AttributeValue({ printableString: attributes[key]! }) : new AttributeValue({ utf8String: attributes[key]! });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: ATTRIBUTE_OIDS[key], value })]);
    });
  return new Name(rdns);
}

/** A positive 159-bit serial number: RFC 5280 §4.1.2.2 allows 20 octets, and CA/B forum rules want ≥ 64 random bits. */
export function randomSerial(random: (n: number) => Uint8Array = randomBytes): ArrayBuffer {
  const bytes = Uint8Array.from(random(20));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and exactly 20 octets in DER
  return bytes.buffer;
}

function signatureAlgorithm(algorithm: KeyAlgorithm): AlgorithmIdentifier {
  // RFC 5758 §3.2 / RFC 8410 §3: the parameters field MUST be absent for ECDSA and Ed25519.
  return new AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS[algorithm] });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING (an identifier, not a security property). */
export function keyIdentifier(spkiDer: Uint8Array): ArrayBuffer {
  return spkiKeyIdentifier(AsnConvert.parse(spkiDer, SubjectPublicKeyInfo));
}

function spkiKeyIdentifier(spki: SubjectPublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash("sha1").update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

function extension(oid: string, critical: boolean, value: ArrayBuffer | Uint8Array): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(value instanceof Uint8Array ? value : new Uint8Array(value)) });
}

function der(value: unknown): ArrayBuffer {
  return AsnConvert.serialize(value);
}

export interface CaCertificateOptions {
  subject: NameAttributes;
  /** The issuer's name: the subject itself for a root. */
  issuer: Name;
  subjectPublicKeyDer: Uint8Array;
  issuerPublicKeyDer: Uint8Array;
  signatureAlgorithm: KeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints pathLenConstraint: 1 for a root over one intermediate, 0 for an intermediate issuing leaves. */
  pathLength: number;
  serial?: ArrayBuffer;
}

/** A CA certificate (root or intermediate): keyUsage certSign + cRLSign, basicConstraints CA with a path length. */
export function caCertificateTbs(options: CaCertificateOptions): Uint8Array {
  return namedCertificateTbs(options, [
    extension(OID.keyUsage, true, der(new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign))),
    extension(OID.basicConstraints, true, der(new BasicConstraints({ cA: true, pathLenConstraint: options.pathLength }))),
  ]);
}

export interface EndEntityCertificateOptions extends Omit<CaCertificateOptions, "pathLength"> {
  /** The one extended key usage the certificate is for (timeStamping for a TSA). */
  extendedKeyUsage: string;
  /** RFC 3161 §2.3 wants a TSA's EKU critical; RFC 5280 leaves it to the profile. */
  extendedKeyUsageCritical: boolean;
  /** DNS names for a TLS server certificate (subjectAltName, not critical: the subject names it too). */
  dnsNames?: readonly string[];
}

/**
 * An end-entity certificate with a subject name (a TSA's signing certificate, say): keyUsage digitalSignature
 * (critical), one EKU, SKI and AKI. Keyless leaves have their own builder (`leafTbs`).
 */
export function endEntityCertificateTbs(options: EndEntityCertificateOptions): Uint8Array {
  return namedCertificateTbs(options, [
    extension(OID.keyUsage, true, der(new KeyUsage(KeyUsageFlags.digitalSignature))),
    extension(OID.extKeyUsage, options.extendedKeyUsageCritical, der(new ExtendedKeyUsage([options.extendedKeyUsage]))),
    ...(options.dnsNames !== undefined && options.dnsNames.length > 0
      ? [extension(OID.subjectAltName, false, der(new SubjectAlternativeName(options.dnsNames.map((dNSName) => new GeneralName({ dNSName })))))]
      : []),
  ]);
}

/** A certificate with a subject name: the given usage extensions, then SKI and AKI. */
function namedCertificateTbs(options: Omit<CaCertificateOptions, "pathLength">, usage: Extension[]): Uint8Array {
  const extensions = [
    ...usage,
    extension(OID.subjectKeyIdentifier, false, der(new SubjectKeyIdentifier(keyIdentifier(options.subjectPublicKeyDer)))),
    extension(OID.authorityKeyIdentifier, false, der(new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(options.issuerPublicKeyDer)) }))),
  ];
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: options.serial ?? randomSerial(),
    signature: signatureAlgorithm(options.signatureAlgorithm),
    issuer: options.issuer,
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: encodeName(options.subject),
    subjectPublicKeyInfo: AsnConvert.parse(options.subjectPublicKeyDer, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  return new Uint8Array(der(tbs));
}

/** The subject alternative name of a keyless leaf (Fulcio: exactly one, critical because the subject is empty). */
export type LeafSan = { kind: "uri" | "email"; value: string } | { kind: "otherName"; value: string };

export interface LeafOptions {
  /** The issuing (intermediate) certificate's subject, copied as its DER so issuer and subject match byte for byte. */
  issuer: Name;
  issuerPublicKeyDer: Uint8Array;
  signatureAlgorithm: KeyAlgorithm;
  subjectPublicKeyDer: Uint8Array;
  san: LeafSan;
  /** Fulcio extension values by name (plain strings; encoded here per docs/oid-info.md). */
  fulcioExtensions: Partial<Record<FulcioClaimName, string>>;
  notBefore: Date;
  notAfter: Date;
  serial: ArrayBuffer;
}

/**
 * The last extension of a leaf: the CT poison (precertificate, RFC 6962 §3.1) or the SCT list (final certificate,
 * §3.3). Both go last and everything before them is identical, so removing either yields the same TBS: what the CT
 * log signs for the precertificate is exactly what a verifier rebuilds from the final certificate.
 */
export type LeafTail = { kind: "poison" } | { kind: "sctList"; extnValue: Uint8Array };

/**
 * A keyless leaf as Fulcio issues it: empty subject, one critical SAN, keyUsage digitalSignature (critical), EKU
 * codeSigning, SKI/AKI, the Fulcio extensions in OID order, then the poison or the SCT list.
 *
 * The TBSCertificate and its Extension elements are joined here with encodeTlv, and only the values inside them go
 * through @peculiar/asn1-x509: serialising the whole TBSCertificate with it cost about 0.4 ms, and the CA builds two
 * per certificate (bench/keyless.ts profile). The bytes are the same DER as `AsnConvert.serialize(new
 * TBSCertificate(...))` gives for these fields (RFC 5280 §4.1: version [0] EXPLICIT v3, serialNumber, signature,
 * issuer, validity, subject, subjectPublicKeyInfo, extensions [3] EXPLICIT; Extension: extnID, critical only when
 * TRUE (DEFAULT FALSE, X.690 §11.5), extnValue).
 */
export function leafTbs(options: LeafOptions, tail: LeafTail): Uint8Array {
  const spki = AsnConvert.parse(options.subjectPublicKeyDer, SubjectPublicKeyInfo);
  const extensions = [
    constantExtension("keyUsage", () => extensionDer(OID.keyUsage, true, der(new KeyUsage(KeyUsageFlags.digitalSignature)))),
    constantExtension("eku", () => extensionDer(OID.extKeyUsage, false, der(new ExtendedKeyUsage([OID.ekuCodeSigning])))),
    extensionDer(OID.subjectKeyIdentifier, false, der(new SubjectKeyIdentifier(spkiKeyIdentifier(spki)))),
    constantExtension(`aki:${Buffer.from(options.issuerPublicKeyDer).toString("hex")}`, () =>
      extensionDer(OID.authorityKeyIdentifier, false, der(new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(options.issuerPublicKeyDer)) }))),
    ),
    // RFC 5280 §4.2.1.6: with an empty subject the SAN MUST be critical.
    extensionDer(OID.subjectAltName, true, der(new SubjectAlternativeName([generalName(options.san)]))),
    ...fulcioExtensions(options.fulcioExtensions),
    tail.kind === "poison"
      ? // RFC 6962 §3.1: the poison is critical and its value is ASN.1 NULL.
        constantExtension("poison", () => extensionDer(OID.ctPoison, true, new Uint8Array([0x05, 0x00])))
      : extensionDer(OID.sctList, false, tail.extnValue),
  ];
  return encodeTlv(0x30, [
    V3,
    // serialNumber: the INTEGER's content octets as given (randomSerial makes them positive and minimal).
    encodeTlv(0x02, [new Uint8Array(options.serial)]),
    constantExtension(`alg:${options.signatureAlgorithm}`, () => new Uint8Array(der(signatureAlgorithm(options.signatureAlgorithm)))),
    nameDer(options.issuer),
    encodeTlv(0x30, [timeDer(options.notBefore), timeDer(options.notAfter)]),
    EMPTY_NAME,
    // The key as parsed and re-encoded, so a BER or non-minimal SPKI never reaches a signed certificate.
    new Uint8Array(der(spki)),
    encodeTlv(0xa3, [encodeTlv(0x30, extensions)]),
  ]);
}

/** version [0] EXPLICIT INTEGER 2 (v3). */
const V3 = new Uint8Array([0xa0, 0x03, 0x02, 0x01, 0x02]);
/** The empty subject: an RDNSequence with no RDN. */
const EMPTY_NAME = new Uint8Array([0x30, 0x00]);
const DER_TRUE = new Uint8Array([0x01, 0x01, 0xff]);

/** Encodings that depend only on their key (constants, the issuer's key): made once. Bounded: a CA has one issuer key. */
const constants = new Map<string, Uint8Array>();
function constantExtension(key: string, make: () => Uint8Array): Uint8Array {
  let value = constants.get(key);
  if (value === undefined) {
    if (constants.size >= 64) constants.clear();
    value = make();
    constants.set(key, value);
  }
  return value;
}

/**
 * A Name's DER, kept per Name object: the CA issues every leaf under the same issuer Name (subjectOf its
 * intermediate, made once), and serialising it cost as much as the rest of the TBS. Names are not changed once built.
 */
const nameCache = new WeakMap<Name, Uint8Array>();
function nameDer(name: Name): Uint8Array {
  let bytes = nameCache.get(name);
  if (bytes === undefined) {
    bytes = new Uint8Array(der(name));
    nameCache.set(name, bytes);
  }
  return bytes;
}

/** RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050; whole seconds. */
function timeDer(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`a certificate time must be in 1950..9999, not ${date.toISOString()}`);
  const two = (n: number) => String(n).padStart(2, "0");
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return year < 2050 ? encodeTlv(0x17, [Buffer.from(`${two(year % 100)}${rest}`, "latin1")]) : encodeTlv(0x18, [Buffer.from(`${year}${rest}`, "latin1")]);
}

/** Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function extensionDer(oid: string, critical: boolean, value: ArrayBuffer | Uint8Array): Uint8Array {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  return encodeTlv(0x30, critical ? [oidDer(oid), DER_TRUE, encodeTlv(0x04, [bytes])] : [oidDer(oid), encodeTlv(0x04, [bytes])]);
}

/** OBJECT IDENTIFIER (X.690 §8.19): first two arcs as 40·a + b, every arc base 128, high bit on all but the last octet. */
function oidDer(oid: string): Uint8Array {
  return constantExtension(`oid:${oid}`, () => {
    const arcs = oid.split(".").map((arc) => BigInt(arc));
    if (arcs.length < 2) throw new RangeError(`not an OID: ${oid}`);
    const content: number[] = [];
    for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
      const octets = [Number(arc & 0x7fn)];
      for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) octets.unshift(Number(rest & 0x7fn) | 0x80);
      content.push(...octets);
    }
    return encodeTlv(0x06, [Uint8Array.from(content)]);
  });
}

function generalName(san: LeafSan): GeneralName {
  switch (san.kind) {
    case "uri":
      return new GeneralName({ uniformResourceIdentifier: san.value });
    case "email":
      return new GeneralName({ rfc822Name: san.value });
    case "otherName":
      // Fulcio's username SAN (docs/oid-info.md 1.7): OtherName { 1.3.6.1.4.1.57264.1.7, [0] EXPLICIT UTF8String }.
      return new GeneralName({ otherName: new OtherName({ typeId: OID.fulcioOtherNameSan, value: utf8String(san.value) }) });
  }
}

/** DER UTF8String (tag 12). */
function utf8String(text: string): ArrayBuffer {
  const bytes = new TextEncoder().encode(text);
  const header = bytes.length < 0x80 ? [0x0c, bytes.length] : bytes.length < 0x100 ? [0x0c, 0x81, bytes.length] : [0x0c, 0x82, bytes.length >> 8, bytes.length & 0xff];
  if (bytes.length > 0xffff) throw new RangeError("UTF8String too long for a certificate extension");
  const out = new Uint8Array(header.length + bytes.length);
  out.set(header);
  out.set(bytes, header.length);
  return out.buffer;
}

/** Fulcio extensions in OID order: 1.1–1.6 hold the raw string, 1.8 onwards a DER UTF8String (docs/oid-info.md). */
function fulcioExtensions(values: Partial<Record<FulcioClaimName, string>>): Uint8Array[] {
  return (Object.entries(values) as [FulcioClaimName, string | undefined][])
    .filter((entry): entry is [FulcioClaimName, string] => entry[1] !== undefined && entry[1] !== "")
    .map(([name, value]) => [FULCIO_EXTENSIONS[name], value] as const)
    .sort(([a], [b]) => compareOids(a, b))
    .map(([oid, value]) => extensionDer(oid, false, FULCIO_RAW_STRING_OIDS.has(oid) ? new TextEncoder().encode(value) : utf8String(value)));
}

function compareOids(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Joins a TBSCertificate and its signature into the certificate DER (RFC 5280 §4.1). */
export function assembleCertificate(tbsDer: Uint8Array, algorithm: KeyAlgorithm, signature: Uint8Array): Uint8Array {
  // The signed bytes go in as they are (no parse and re-encode): the signature covers exactly these octets.
  const bitString = encodeTlv(0x03, [new Uint8Array([0x00]), signature]);
  return encodeTlv(0x30, [tbsDer, new Uint8Array(der(signatureAlgorithm(algorithm))), bitString]);
}

/** Signs a TBS with a key in memory, synchronously (a TSA's or a test's chain, made once at start-up). */
export function signCertificateWithKey(tbsDer: Uint8Array, key: KeyObject): Uint8Array {
  return assembleCertificate(tbsDer, keyAlgorithm(key), sign(key, tbsDer));
}

/** Builds and signs: the TBS from `tbs`, the signature from the CA key. */
export async function signCertificate(tbsDer: Uint8Array, signer: TbsSigner): Promise<Uint8Array> {
  return assembleCertificate(tbsDer, signer.algorithm, await signer.sign(tbsDer));
}

/** The subject Name of a certificate, to issue under it. */
export function subjectOf(certificateDer: Uint8Array): Name {
  return AsnConvert.parse(certificateDer, Certificate).tbsCertificate.subject;
}
