import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

/**
 * A minimal DER writer for tests: builds X.509 certificates (signed with real P-256 keys), embedded SCTs and RFC 3161
 * timestamp tokens, so verification checks can be exercised on inputs no real CA would issue (a pathLen of 0 with
 * an intermediate below it, a critical extension nobody knows, a TSA certificate whose EKU is not critical...).
 * Written independently of src/core/x509 (no shared encoder), so a test does not check the code with itself.
 */

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  const len = body.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else {
    const octs: number[] = [];
    for (let l = len; l > 0; l >>= 8) octs.unshift(l & 0xff);
    header = [tag, 0x80 | octs.length, ...octs];
  }
  return new Uint8Array(Buffer.concat([Buffer.from(header), body]));
}

export const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
export const set = (...c: Uint8Array[]) => tlv(0x31, ...c);
export const octet = (b: Uint8Array) => tlv(0x04, b);
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
export const ia5 = (tag: number, s: string) => tlv(tag, Buffer.from(s, "ascii"));
export const bool = (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0x00]));
export const nul = () => tlv(0x05);
export const explicit = (n: number, ...c: Uint8Array[]) => tlv(0xa0 | n, ...c);
export const bitString = (b: Uint8Array, unused = 0) => tlv(0x03, Buffer.from([unused]), b);

export function int(n: bigint | number): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) throw new Error("negative integers not needed here");
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(BigInt);
  const out: number[] = [Number(arcs[0]! * 40n + arcs[1]!)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [];
    let v = arc;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

export function utcTime(d: Date): Uint8Array {
  const s = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, "ascii"));
}

export function generalizedTime(d: Date, fraction = ""): Uint8Array {
  const s = `${String(d.getUTCFullYear()).padStart(4, "0")}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}${fraction}Z`;
  return tlv(0x18, Buffer.from(s, "ascii"));
}

export const OIDS = {
  ecdsaSha256: "1.2.840.10045.4.3.2",
  sha256: "2.16.840.1.101.3.4.2.1",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  sctList: "1.3.6.1.4.1.11129.2.4.2",
} as const;

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

export function ecKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, publicKey, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
}

export function name(cn: string): Uint8Array {
  return cn === "" ? seq() : seq(set(seq(oid("2.5.4.3"), utf8(cn))));
}

export function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octet(value)) : seq(oid(id), octet(value));
}

export interface TestCertificate {
  der: Uint8Array;
  key: TestKey;
  name: Uint8Array;
  serial: bigint;
}

export interface CertSpec {
  subject?: string;
  /** The issuing certificate; self-signed when absent. */
  issuer?: TestCertificate;
  key?: TestKey;
  serial?: bigint;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints; absent when undefined. */
  ca?: boolean;
  pathLen?: number;
  /** keyUsage bits (0 = digitalSignature, 5 = keyCertSign); absent when undefined. */
  keyUsage?: number[];
  eku?: string[];
  ekuCritical?: boolean;
  /** GeneralName elements for subjectAltName, e.g. [ia5(0x81, "a@b.c")]. */
  san?: Uint8Array[];
  /** Extra Extension elements (built with `extension`). */
  extensions?: Uint8Array[];
  /** Embeds an SCT signed by this CT log key over the precertificate (RFC 6962 §3.2). */
  sct?: { log: TestKey; timestamp: Date; tamper?: boolean };
  /** Use a different algorithm in the outer signatureAlgorithm than in the TBS. */
  mismatchedOuterAlgorithm?: boolean;
}

export const DAY = 86_400_000;
export const T0 = new Date("2025-01-01T00:00:00Z");

let serialCounter = 1000n;

export function buildCertificate(spec: CertSpec = {}): TestCertificate {
  const key = spec.key ?? ecKey();
  const serial = spec.serial ?? serialCounter++;
  const subject = name(spec.subject ?? "test");
  const issuerName = spec.issuer?.name ?? subject;
  const signer = spec.issuer?.key ?? key;
  const exts: Uint8Array[] = [];
  if (spec.ca !== undefined) {
    const fields = [bool(spec.ca)];
    if (spec.pathLen !== undefined) fields.push(int(spec.pathLen));
    exts.push(extension("2.5.29.19", true, seq(...(spec.ca ? fields : []))));
  }
  if (spec.keyUsage) {
    const bits = spec.keyUsage.reduce((acc, b) => acc | (0x8000 >> b), 0);
    exts.push(extension("2.5.29.15", true, bitString(new Uint8Array([bits >> 8, bits & 0xff]))));
  }
  if (spec.eku) exts.push(extension("2.5.29.37", spec.ekuCritical ?? false, seq(...spec.eku.map(oid))));
  if (spec.san) exts.push(extension("2.5.29.17", true, seq(...spec.san)));
  exts.push(...(spec.extensions ?? []));

  const tbsWith = (extList: Uint8Array[]) =>
    seq(
      explicit(0, int(2)),
      int(serial),
      seq(oid(OIDS.ecdsaSha256)),
      issuerName,
      seq(utcTime(spec.notBefore ?? T0), utcTime(spec.notAfter ?? new Date(T0.getTime() + 365 * DAY))),
      subject,
      key.spki,
      ...(extList.length > 0 ? [explicit(3, seq(...extList))] : []),
    );

  let tbs = tbsWith(exts);
  if (spec.sct) {
    const issuerSpki = spec.issuer?.key.spki ?? key.spki;
    const sct = signSct(spec.sct.log, spec.sct.timestamp, issuerSpki, tbs, spec.sct.tamper ?? false);
    const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
    tbs = tbsWith([...exts, extension(OIDS.sctList, false, octet(list))]);
  }
  const sig = sign("sha256", tbs, { key: signer.privateKey, dsaEncoding: "der" });
  const outer = spec.mismatchedOuterAlgorithm ? seq(oid("1.2.840.10045.4.3.3")) : seq(oid(OIDS.ecdsaSha256));
  return { der: seq(tbs, outer, bitString(sig)), key, name: subject, serial };
}

function u16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}

/** RFC 6962 §3.2 SCT v1 for a precert_entry, serialized (without the list's outer length). */
function signSct(log: TestKey, timestamp: Date, issuerSpki: Uint8Array, precertTbs: Uint8Array, tamper: boolean): Buffer {
  const logId = createHash("sha256").update(log.spki).digest();
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp.getTime()));
  const len24 = Buffer.from([(precertTbs.length >> 16) & 0xff, (precertTbs.length >> 8) & 0xff, precertTbs.length & 0xff]);
  const signed = Buffer.concat([
    Buffer.from([0, 0]),
    ts,
    u16(1),
    createHash("sha256").update(issuerSpki).digest(),
    len24,
    precertTbs,
    u16(0),
  ]);
  const sig = sign("sha256", tamper ? Buffer.concat([signed, Buffer.from([1])]) : signed, { key: log.privateKey, dsaEncoding: "der" });
  return Buffer.concat([Buffer.from([0]), logId, ts, u16(0), Buffer.from([4, 3]), u16(sig.length), sig]);
}

export interface TokenSpec {
  signedBytes: Uint8Array;
  genTime: Date;
  signer: TestCertificate;
  /** The signer certificate's issuer name (the CA's subject). */
  signerIssuerName: Uint8Array;
  embed?: Uint8Array[];
  ess?: "v2" | "v1" | "none";
  /** Sign over data other than the hash of signedBytes. */
  wrongImprint?: boolean;
  contentTypeAttribute?: string;
  status?: number;
  /** Emit only the TimeStampToken (ContentInfo), not a TimeStampResp. */
  bare?: boolean;
  /** Identify the signer by subject key identifier (SignerInfo v3). */
  subjectKeyId?: Uint8Array;
  /** Two SignerInfos. */
  twoSigners?: boolean;
  /** Fractional seconds of genTime, as written (default ".5"). */
  fraction?: string;
}

const ATTR = {
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  signedData: "1.2.840.113549.1.7.2",
};

/** An RFC 3161 TimeStampResp (or bare token) signed with the signer certificate's key. */
export function buildTimestamp(spec: TokenSpec): Uint8Array {
  const imprint = createHash("sha256")
    .update(spec.wrongImprint ? Buffer.from("other") : spec.signedBytes)
    .digest();
  const tstInfo = seq(int(1), oid("1.3.6.1.4.1.57264.2"), seq(seq(oid(OIDS.sha256), nul()), octet(imprint)), int(42), generalizedTime(spec.genTime, spec.fraction ?? ".5"));
  const attrs: Uint8Array[] = [
    seq(oid(ATTR.contentType), set(oid(spec.contentTypeAttribute ?? ATTR.tstInfo))),
    seq(oid(ATTR.messageDigest), set(octet(createHash("sha256").update(tstInfo).digest()))),
  ];
  const ess = spec.ess ?? "v2";
  if (ess === "v2") attrs.push(seq(oid(ATTR.signingCertificateV2), set(seq(seq(seq(octet(createHash("sha256").update(spec.signer.der).digest())))))));
  if (ess === "v1") attrs.push(seq(oid(ATTR.signingCertificate), set(seq(seq(seq(octet(createHash("sha1").update(spec.signer.der).digest())))))));
  const signedAttrsSet = set(...attrs);
  const sig = sign("sha256", signedAttrsSet, { key: spec.signer.key.privateKey, dsaEncoding: "der" });
  const sid = spec.subjectKeyId ? tlv(0x80, spec.subjectKeyId) : seq(spec.signerIssuerName, int(spec.signer.serial));
  const signerInfo = seq(int(spec.subjectKeyId ? 3 : 1), sid, seq(oid(OIDS.sha256)), tlv(0xa0, ...attrs), seq(oid(OIDS.ecdsaSha256)), octet(sig));
  const signedData = seq(
    int(3),
    set(seq(oid(OIDS.sha256))),
    seq(oid(ATTR.tstInfo), explicit(0, octet(tstInfo))),
    ...(spec.embed ? [tlv(0xa0, ...spec.embed)] : []),
    spec.twoSigners ? set(signerInfo, signerInfo) : set(signerInfo),
  );
  const contentInfo = seq(oid(ATTR.signedData), explicit(0, signedData));
  return spec.bare ? contentInfo : seq(seq(int(spec.status ?? 0)), contentInfo);
}
