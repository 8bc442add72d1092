import {
  digestAlgorithm,
  OID,
  RSA_ENCRYPTION,
  signatureAlgorithm,
  type HashName,
  type SignatureAlgorithm,
} from "../../core/x509/index.js";
import {
  expectContext,
  expectSeq,
  expectSet,
  explicitInner,
  integer,
  integerBytes,
  isContext,
  isUniversal,
  malformed,
  octets,
  oid,
  parseDer,
  raw,
  smallInteger,
  TAG,
  time,
  type Der,
} from "../../core/x509/der.js";

/**
 * An RFC 3161 TimeStampToken, parsed into what verification needs. The token is a CMS SignedData (RFC 5652 §5)
 * whose encapsulated content is a TSTInfo (RFC 3161 §2.4.2), signed by exactly one signer over signed attributes.
 * Accepted input: a TimeStampResp (status granted or grantedWithMods, then the token) or a bare TimeStampToken
 * (ContentInfo), as Sigstore bundles carry either.
 */
export interface TimestampToken {
  /** TSTInfo.genTime (fractional seconds truncated to milliseconds). */
  genTime: Date;
  messageImprint: { hash: HashName; digest: Uint8Array };
  /** TSTInfo serialNumber content bytes. */
  serial: Uint8Array;
  policy: string;
  /** The encapsulated TSTInfo DER (eContent OCTET STRING content): the bytes the messageDigest attribute covers. */
  tstInfo: Uint8Array;
  /** Certificates embedded in SignedData.certificates (DER, in order). */
  certificates: Uint8Array[];
  signer: SignerInfo;
}

export interface SignerInfo {
  sid: { kind: "issuerAndSerial"; issuer: Uint8Array; serial: Uint8Array } | { kind: "subjectKeyId"; keyId: Uint8Array };
  /** SignerInfo.digestAlgorithm (hash of the content and of the signed attributes). */
  digest: HashName;
  /** DER of signedAttrs re-tagged as SET OF (RFC 5652 §5.4): the bytes the signature covers. */
  signedAttributes: Uint8Array;
  contentType: string;
  messageDigest: Uint8Array;
  /** ESS signing-certificate(-v2) (RFC 2634 §5.4, RFC 5035 §3): hash of the signer's certificate. */
  signingCertificate?: { hash: HashName | "sha1"; certHash: Uint8Array; issuerSerial?: { serial: Uint8Array } };
  signatureAlgorithm: SignatureAlgorithm | { unsupported: string };
  signature: Uint8Array;
}

const W = "timestamp";

export function parseTimestampToken(der: Uint8Array): TimestampToken {
  const top = expectSeq(parseDer(der, W), W, 1);
  // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL } (RFC 3161 §2.4.2);
  // a ContentInfo starts with its contentType OID instead.
  let contentInfo = top;
  if (isUniversal(top.subs[0]!, TAG.SEQUENCE)) {
    const status = expectSeq(top.subs[0], `${W} PKIStatusInfo`, 1, 3);
    const code = integer(status.subs[0], `${W} status`);
    if (code !== 0n && code !== 1n) throw malformed(W, `the TSA did not grant the timestamp (PKIStatus ${code})`);
    if (top.subs.length !== 2) throw malformed(W, "the response carries no timeStampToken");
    contentInfo = expectSeq(top.subs[1], `${W} timeStampToken`, 2, 2);
  } else if (top.subs.length !== 2) {
    throw malformed(W, "ContentInfo must have 2 elements");
  }

  if (oid(contentInfo.subs[0], `${W} contentType`) !== OID.signedData) throw malformed(W, "the token is not CMS SignedData");
  const signedData = expectSeq(explicitInner(expectContext(contentInfo.subs[1], 0, `${W} content`), `${W} content`), `${W} SignedData`, 4, 6);
  const sd = signedData.subs;
  smallInteger(sd[0], `${W} SignedData version`, 5);
  expectSet(sd[1], `${W} digestAlgorithms`);
  const encap = expectSeq(sd[2], `${W} encapContentInfo`, 2, 2);
  const eContentType = oid(encap.subs[0], `${W} eContentType`);
  // RFC 3161 §2.4.2: the encapsulated content type MUST be id-ct-TSTInfo.
  if (eContentType !== OID.tstInfo) throw malformed(W, `encapsulated content is ${eContentType}, not TSTInfo`);
  const eContent = explicitInner(expectContext(encap.subs[1], 0, `${W} eContent`), `${W} eContent`);
  const tstInfo = octets(eContent, `${W} eContent`);

  let k = 3;
  const certificates: Uint8Array[] = [];
  if (sd[k] && isContext(sd[k]!, 0)) {
    // certificates [0] IMPLICIT CertificateSet: only plain X.509 certificates (SEQUENCE) are used.
    for (const c of sd[k]!.subs) if (isUniversal(c, TAG.SEQUENCE)) certificates.push(raw(c));
    k++;
  }
  if (sd[k] && isContext(sd[k]!, 1)) k++; // crls
  const signerInfos = expectSet(sd[k], `${W} signerInfos`);
  if (k !== sd.length - 1) throw malformed(W, "unexpected field in SignedData");
  // RFC 3161 §2.4.2: the token MUST NOT contain any signature other than the TSA's.
  if (signerInfos.subs.length !== 1) throw malformed(W, `expected exactly one SignerInfo, found ${signerInfos.subs.length}`);

  const info = parseTstInfo(tstInfo);
  return { ...info, tstInfo, certificates, signer: parseSignerInfo(signerInfos.subs[0]!) };
}

function parseTstInfo(bytes: Uint8Array): Pick<TimestampToken, "genTime" | "messageImprint" | "serial" | "policy"> {
  const what = `${W} TSTInfo`;
  const t = expectSeq(parseDer(bytes, what), what, 5);
  if (smallInteger(t.subs[0], `${what} version`, 10) !== 1) throw malformed(what, "version must be 1");
  const policy = oid(t.subs[1], `${what} policy`);
  const imprint = expectSeq(t.subs[2], `${what} messageImprint`, 2, 2);
  const hash = digestAlgorithm(imprint.subs[0]!, `${what} messageImprint hashAlgorithm`);
  if (hash === undefined) throw malformed(what, "messageImprint uses an unsupported hash (SHA-256/384/512 required)");
  const digest = octets(imprint.subs[1], `${what} hashedMessage`);
  const serial = integerBytes(t.subs[3], `${what} serialNumber`);
  const genTime = time(t.subs[4], `${what} genTime`);
  if (!isUniversal(t.subs[4]!, TAG.GENERALIZED_TIME)) throw malformed(what, "genTime must be GeneralizedTime");
  return { genTime, messageImprint: { hash, digest }, serial, policy };
}

function parseSignerInfo(obj: Der): SignerInfo {
  const what = `${W} SignerInfo`;
  const s = expectSeq(obj, what, 5, 7);
  const version = smallInteger(s.subs[0], `${what} version`, 5);
  const sidObj = s.subs[1]!;
  let sid: SignerInfo["sid"];
  if (version === 1) {
    const ias = expectSeq(sidObj, `${what} issuerAndSerialNumber`, 2, 2);
    sid = { kind: "issuerAndSerial", issuer: raw(expectSeq(ias.subs[0], `${what} issuer`)), serial: integerBytes(ias.subs[1], `${what} serialNumber`) };
  } else if (version === 3) {
    const ski = expectContext(sidObj, 0, `${what} subjectKeyIdentifier`);
    if (ski.tag.constructed) throw malformed(what, "subjectKeyIdentifier must be primitive");
    sid = { kind: "subjectKeyId", keyId: ski.value };
  } else {
    throw malformed(what, `unsupported SignerInfo version ${version}`);
  }
  const digest = digestAlgorithm(s.subs[2]!, `${what} digestAlgorithm`);
  if (digest === undefined) throw malformed(what, "digestAlgorithm is not SHA-256/384/512");

  // RFC 3161 §2.4.1 needs signed attributes (the ESS signing certificate), so the [0] signedAttrs must be present.
  const attrsObj = s.subs[3]!;
  if (!isContext(attrsObj, 0) || !attrsObj.tag.constructed) throw malformed(what, "signedAttrs missing");
  const attrs = parseAttributes(attrsObj, what);
  const signedAttributes = raw(attrsObj).slice();
  signedAttributes[0] = 0x31; // RFC 5652 §5.4: the signature covers the DER of SET OF Attribute (EXPLICIT SET tag)

  const algObj = s.subs[4]!;
  let alg = signatureAlgorithm(algObj, `${what} signatureAlgorithm`);
  const algSeq = expectSeq(algObj, `${what} signatureAlgorithm`, 1, 2);
  if ("unsupported" in alg && oid(algSeq.subs[0], `${what} signatureAlgorithm`) === RSA_ENCRYPTION) {
    // RFC 3370 §3.2: rsaEncryption here means PKCS#1 v1.5 with the SignerInfo digest algorithm.
    alg = { oid: RSA_ENCRYPTION, name: `rsaEncryption-${digest}`, kind: "rsa-pkcs1", hash: digest };
  }
  const signature = octets(s.subs[5], `${what} signature`);
  if (s.subs[6] !== undefined && !isContext(s.subs[6], 1)) throw malformed(what, "unexpected field after signature");
  return { sid, digest, signedAttributes, ...attrs, signatureAlgorithm: alg, signature };
}

function parseAttributes(obj: Der, what: string): Pick<SignerInfo, "contentType" | "messageDigest" | "signingCertificate"> {
  const seen = new Map<string, Der>();
  for (const a of obj.subs) {
    const attr = expectSeq(a, `${what} attribute`, 2, 2);
    const id = oid(attr.subs[0], `${what} attribute type`);
    // RFC 5652 §5.3: contentType and messageDigest MUST be single-valued and appear once; the same is asked of the
    // rest here so that no attribute can be read two ways.
    if (seen.has(id)) throw malformed(what, `attribute ${id} appears twice`);
    const values = expectSet(attr.subs[1], `${what} attribute ${id} values`, 1);
    if (values.subs.length !== 1) throw malformed(what, `attribute ${id} must have exactly one value`);
    seen.set(id, values.subs[0]!);
  }
  const ct = seen.get(OID.attrContentType);
  const md = seen.get(OID.attrMessageDigest);
  if (ct === undefined) throw malformed(what, "the contentType signed attribute is missing");
  if (md === undefined) throw malformed(what, "the messageDigest signed attribute is missing");
  const out: Pick<SignerInfo, "contentType" | "messageDigest" | "signingCertificate"> = {
    contentType: oid(ct, `${what} contentType`),
    messageDigest: octets(md, `${what} messageDigest`),
  };
  const v2 = seen.get(OID.attrSigningCertificateV2);
  const v1 = seen.get(OID.attrSigningCertificate);
  if (v2 !== undefined) out.signingCertificate = essCertId(v2, true, what);
  else if (v1 !== undefined) out.signingCertificate = essCertId(v1, false, what);
  return out;
}

/**
 * SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL } — the first ESSCertID
 * identifies the signer's certificate (RFC 2634 §5.4.1, RFC 5035 §4). ESSCertIDv2's hash defaults to SHA-256;
 * ESSCertID's is SHA-1 (used only to identify a certificate the signature already binds).
 */
function essCertId(value: Der, v2: boolean, what: string): NonNullable<SignerInfo["signingCertificate"]> {
  const sc = expectSeq(value, `${what} signingCertificate`, 1, 2);
  const certs = expectSeq(sc.subs[0], `${what} signingCertificate certs`, 1);
  const id = expectSeq(certs.subs[0], `${what} ESSCertID`, 1, 3);
  let k = 0;
  let hash: HashName | "sha1" = v2 ? "sha256" : "sha1";
  if (v2 && isUniversal(id.subs[0]!, TAG.SEQUENCE)) {
    const h = digestAlgorithm(id.subs[0]!, `${what} ESSCertIDv2 hashAlgorithm`);
    if (h === undefined) throw malformed(what, "ESSCertIDv2 uses an unsupported hash");
    hash = h;
    k++;
  }
  const certHash = octets(id.subs[k++], `${what} ESSCertID certHash`);
  let issuerSerial: { serial: Uint8Array } | undefined;
  if (id.subs[k] !== undefined) {
    const is = expectSeq(id.subs[k], `${what} ESSCertID issuerSerial`, 2, 2);
    issuerSerial = { serial: integerBytes(is.subs[1], `${what} ESSCertID issuerSerial serialNumber`) };
  }
  return { hash, certHash, ...(issuerSerial ? { issuerSerial } : {}) };
}
