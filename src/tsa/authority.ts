import { createHash, createPublicKey, randomBytes, sign as nodeSign, type KeyObject } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Accuracy, MessageImprint, PKIFailureInfo, PKIFreeText, PKIStatus, PKIStatusInfo, TimeStampResp, TSTInfo } from "@peculiar/asn1-tsp";
import { AlgorithmIdentifier, GeneralName, Name } from "@peculiar/asn1-x509";
import { encodePem } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { encodeTlv } from "../core/x509/der.js";
import { parseCertificate, type Certificate } from "../core/x509/index.js";
import { OID } from "../core/x509/oids.js";
import { signatureDigest, signatureOid, tsaKeyAlgorithm } from "./certificates.js";
import { parseJsonTimestampRequest, parseTimestampRequest, type ImprintHash, type TimestampRequest, type TsaFailure } from "./request.js";

/**
 * Sigstore's TSA policy (timestamp-authority's default when a request names none: 1.3.6.1.4.1.57264.2). A private
 * deployment of timestamp-authority answers with it too, so verifiers that pin it keep working against vouch.
 */
export const TSA_POLICY_OID = "1.3.6.1.4.1.57264.2";

export interface TimestampAuthorityOptions {
  /** The signing key: ECDSA P-256 (signs with SHA-256) or P-384 (SHA-384). */
  key: KeyObject;
  /** DER certificates, the signing certificate first, then its issuers up to the root. */
  chain: readonly Uint8Array[];
  /** The time source; genTime is read from it per request. Default: the system clock. */
  now?: () => Date;
  /** TSTInfo.policy, and the only reqPolicy accepted. Default TSA_POLICY_OID. */
  policy?: string;
  /**
   * genTime resolution. "seconds" (default) writes whole seconds: @sigstore/core (sigstore-js) reads GeneralizedTime
   * only as "YYYYMMDDHHMMSS[.fff]Z", while DER (X.690 §11.7.3) drops trailing zeros, so ".12Z" — one timestamp in
   * ten at millisecond resolution — would be refused by every sigstore-js verifier. "milliseconds" is for other peers.
   */
  genTimePrecision?: "seconds" | "milliseconds";
  /** TSTInfo.accuracy (RFC 3161 §2.4.2). Default 1 second, like timestamp-authority; it also covers the truncation above. */
  accuracy?: { seconds?: number; millis?: number };
  /**
   * With certReq, embed the whole chain instead of the signing certificate alone (timestamp-authority's
   * --include-chain-in-response; off by default there too: verifiers get the chain from their trusted root).
   */
  includeChain?: boolean;
  /** Name the TSA in TSTInfo.tsa (the signing certificate's subject as a directoryName). Default false. */
  tsaName?: boolean;
  random?: (n: number) => Uint8Array;
}

const HASH_OID: Record<ImprintHash, string> = {
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
};

/** RFC 3161 §2.4.2 PKIFailureInfo bit numbers. */
const FAILURE_BIT: Record<TsaFailure | "systemFailure", number> = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  systemFailure: 25,
};

const seq = (...parts: Uint8Array[]) => encodeTlv(0x30, parts);
const set = (...parts: Uint8Array[]) => encodeTlv(0x31, parts);
const octets = (bytes: Uint8Array) => encodeTlv(0x04, [bytes]);
const der = (value: object) => new Uint8Array(AsnConvert.serialize(value));
const attribute = (type: string, value: Uint8Array) => seq(oidDer(type), set(value));

/** An OBJECT IDENTIFIER's TLV: AlgorithmIdentifier { algorithm } without parameters is a SEQUENCE holding just it. */
function oidDer(oid: string): Uint8Array {
  const alg = der(new AlgorithmIdentifier({ algorithm: oid }));
  return alg.subarray(alg[1]! & 0x80 ? 2 + (alg[1]! & 0x7f) : 2);
}

/**
 * An RFC 3161 timestamp authority, the way sigstore/timestamp-authority answers: a TimeStampResp with status granted
 * and a CMS SignedData (RFC 5652) over a TSTInfo, signed with signed attributes contentType, messageDigest and
 * signingCertificateV2 (ESS, RFC 5035: the SHA-256 of the signing certificate and its issuer and serial), the signer
 * identified by issuerAndSerialNumber (what sigstore-js matches against the trusted root's first certificate).
 *
 * Everything that does not change between requests — the certificates, the signer identifier, the ESS attribute,
 * the algorithm identifiers — is encoded once here; a request costs one TSTInfo encoding, two hashes and one ECDSA
 * signature.
 *
 * @example
 *   const tsa = new TimestampAuthority({ key, chain: [leafDer, rootDer] });
 *   const reply = await tsa.timestamp(timeStampReqDer); // DER TimeStampResp
 */
export class TimestampAuthority {
  readonly policy: string;
  /** DER, signing certificate first. */
  readonly chain: readonly Uint8Array[];
  readonly signingCertificate: Certificate;
  private readonly key: KeyObject;
  private readonly digest: "sha256" | "sha384";
  private readonly now: () => Date;
  private readonly random: (n: number) => Uint8Array;
  private readonly wholeSeconds: boolean;
  private readonly accuracy: Accuracy;
  private readonly tsa: GeneralName | undefined;
  private readonly staticAttributes: { contentType: Uint8Array; signingCertificate: Uint8Array; messageDigestType: Uint8Array };
  private readonly signerPrefix: Uint8Array;
  private readonly signatureAlgorithm: Uint8Array;
  private readonly digestAlgorithms: Uint8Array;
  private readonly certificates: Uint8Array;
  private readonly tstInfoType: Uint8Array;

  /** @throws VouchError INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT when the key and chain cannot make a TSA. */
  constructor(options: TimestampAuthorityOptions) {
    const algorithm = tsaKeyAlgorithm(options.key);
    if (algorithm === undefined || options.key.type !== "private") {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "the TSA key must be an ECDSA P-256 or P-384 private key (what Sigstore verifiers accept)");
    }
    if (options.chain.length === 0) throw new VouchError("INPUT_MALFORMED", "the TSA certificate chain is empty");
    const chain = options.chain.map((c) => Uint8Array.from(c));
    const leaf = parseCertificate(chain[0]!);
    checkSigningCertificate(leaf, options.key);

    this.policy = options.policy ?? TSA_POLICY_OID;
    this.chain = chain;
    this.signingCertificate = leaf;
    this.key = options.key;
    this.digest = signatureDigest(algorithm);
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? randomBytes;
    this.wholeSeconds = (options.genTimePrecision ?? "seconds") === "seconds";
    this.accuracy = accuracy(options.accuracy ?? { seconds: 1 });
    this.tsa = options.tsaName ? new GeneralName({ directoryName: AsnConvert.parse(leaf.subject.der, Name) }) : undefined;

    const serial = encodeTlv(0x02, [leaf.serial]);
    // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT id-sha256 (omitted: DER leaves defaults out), certHash,
    // issuerSerial IssuerSerial { issuer GeneralNames { [4] directoryName }, serialNumber } } (RFC 5035 §4).
    const essCertId = seq(octets(createHash("sha256").update(leaf.der).digest()), seq(seq(encodeTlv(0xa4, [leaf.issuer.der])), serial));
    this.staticAttributes = {
      contentType: attribute(OID.attrContentType, oidDer(OID.tstInfo)),
      signingCertificate: attribute(OID.attrSigningCertificateV2, seq(seq(essCertId))),
      messageDigestType: oidDer(OID.attrMessageDigest),
    };
    this.digestAlgorithms = set(der(new AlgorithmIdentifier({ algorithm: HASH_OID[this.digest] })));
    // SignerInfo v1 with issuerAndSerialNumber (RFC 5652 §5.3), then digestAlgorithm: the part every token shares.
    this.signerPrefix = Uint8Array.from(Buffer.concat([encodeTlv(0x02, [Uint8Array.of(1)]), seq(leaf.issuer.der, serial), der(new AlgorithmIdentifier({ algorithm: HASH_OID[this.digest] }))]));
    // RFC 5758 §3.2: ecdsa-with-SHA256/384, parameters absent. sigstore-js only accepts these ECDSA OIDs here.
    this.signatureAlgorithm = der(new AlgorithmIdentifier({ algorithm: signatureOid(algorithm) }));
    // certificates [0] IMPLICIT CertificateSet: a SET OF, so DER-sorted (X.690 §11.6).
    this.certificates = encodeTlv(0xa0, options.includeChain ? sortDer(chain) : [chain[0]!]);
    this.tstInfoType = oidDer(OID.tstInfo);
  }

  /**
   * Answers a DER TimeStampReq with a granted DER TimeStampResp.
   *
   * @throws TsaRequestError (TSA_REQUEST_INVALID, with failInfo) when the request is refused; `rejectionResponse`
   *   turns it into the RFC 3161 rejection for peers that want one.
   */
  async timestamp(requestDer: Uint8Array): Promise<Uint8Array> {
    return this.issue(parseTimestampRequest(requestDer, { policy: this.policy }));
  }

  /** Answers timestamp-authority's JSON request form (what @sigstore/sign's TSAWitness posts). */
  async timestampJson(body: unknown): Promise<Uint8Array> {
    return this.issue(parseJsonTimestampRequest(body, { policy: this.policy }));
  }

  /** Signs a TSTInfo for an already parsed request: the granted TimeStampResp DER. */
  async issue(request: TimestampRequest): Promise<Uint8Array> {
    const now = this.now();
    const genTime = this.wholeSeconds ? new Date(Math.floor(now.getTime() / 1000) * 1000) : now;
    const tst = new TSTInfo({
      version: 1,
      policy: this.policy,
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[request.hash], parameters: request.imprintParameters === "null" ? null : undefined }),
        hashedMessage: new OctetString(request.digest),
      }),
      serialNumber: this.serialNumber(),
      genTime,
      accuracy: this.accuracy,
      ordering: false,
    });
    if (request.nonce !== undefined) tst.nonce = Uint8Array.from(request.nonce).buffer;
    if (this.tsa !== undefined) tst.tsa = this.tsa;
    const tstInfo = der(tst);

    // RFC 5652 §5.4: the signature covers the DER of the signed attributes as a SET OF (sorted, X.690 §11.6); the
    // same content is carried under [0] IMPLICIT. messageDigest binds the signature to this TSTInfo (§11.2).
    const messageDigest = seq(this.staticAttributes.messageDigestType, set(octets(createHash(this.digest).update(tstInfo).digest())));
    const attributes = sortDer([this.staticAttributes.contentType, messageDigest, this.staticAttributes.signingCertificate]);
    const signedAttributes = set(...attributes);
    const signature = nodeSign(this.digest, signedAttributes, { key: this.key, dsaEncoding: "der" });
    const signerInfo = seq(this.signerPrefix, encodeTlv(0xa0, attributes), this.signatureAlgorithm, octets(signature));

    const encapContentInfo = seq(this.tstInfoType, encodeTlv(0xa0, [octets(tstInfo)]));
    // RFC 5652 §5.1: version 3 because eContentType is not id-data.
    const signedData = seq(
      encodeTlv(0x02, [Uint8Array.of(3)]),
      this.digestAlgorithms,
      encapContentInfo,
      ...(request.certReq ? [this.certificates] : []),
      set(signerInfo),
    );
    const token = seq(oidDer(OID.signedData), encodeTlv(0xa0, [signedData]));
    // TimeStampResp { status PKIStatusInfo { granted }, timeStampToken } (RFC 3161 §2.4.2).
    return seq(seq(encodeTlv(0x02, [Uint8Array.of(PKIStatus.granted)])), token);
  }

  /** The chain as timestamp-authority's /api/v1/timestamp/certchain serves it: PEM, signing certificate first. */
  certChainPem(): string {
    return this.chain.map((c) => encodePem("CERTIFICATE", c)).join("");
  }

  /** TSTInfo.serialNumber: 127 random bits, positive, 16 octets (RFC 3161 §2.4.2: unique per token). */
  private serialNumber(): ArrayBuffer {
    const bytes = Uint8Array.from(this.random(16));
    bytes[0] = (bytes[0]! & 0x7f) | 0x01;
    return bytes.buffer;
  }
}

/**
 * An RFC 3161 rejection: TimeStampResp { status rejection (2), statusString, failInfo } and no token. For peers that
 * want RFC 3161's form of "no"; vouch's HTTP endpoint answers 400 with a JSON reason instead, as timestamp-authority
 * does (pkg/api/error.go).
 */
export function rejectionResponse(failInfo: TsaFailure | "systemFailure", reason: string): Uint8Array {
  const bit = FAILURE_BIT[failInfo];
  // A named bit list in DER has no trailing zero bits (X.690 §11.2.2): the bit's octet is the last one.
  const bytes = new Uint8Array((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  const status = new PKIStatusInfo({
    status: PKIStatus.rejection,
    statusString: new PKIFreeText([reason]),
    failInfo: new PKIFailureInfo(bytes, 7 - (bit & 7)),
  });
  return der(new TimeStampResp({ status }));
}

function checkSigningCertificate(leaf: Certificate, key: KeyObject): void {
  const spki = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  if (!Buffer.from(spki).equals(Buffer.from(leaf.publicKeyDer))) {
    throw new VouchError("INPUT_MALFORMED", `the TSA key is not the key of its signing certificate "${leaf.subject.text}"`);
  }
  // RFC 3161 §2.3: exactly one purpose, id-kp-timeStamping, in a critical extension. Verifiers refuse anything else,
  // so a TSA whose certificate lacks it would sign timestamps nobody accepts: refuse to start instead.
  const eku = leaf.extensions.find((e) => e.oid === OID.extKeyUsage);
  if (eku === undefined || !eku.critical || leaf.extKeyUsage?.length !== 1 || leaf.extKeyUsage[0] !== OID.ekuTimeStamping) {
    throw new VouchError("INPUT_MALFORMED", `the TSA signing certificate "${leaf.subject.text}" must have a critical extendedKeyUsage of timeStamping only (RFC 3161 §2.3)`);
  }
}

function accuracy(value: { seconds?: number; millis?: number }): Accuracy {
  const out = new Accuracy();
  // Accuracy's fields are all OPTIONAL (RFC 3161 §2.4.2); the schema class defaults seconds to 0, which would be written.
  if (value.seconds === undefined) delete (out as Partial<Accuracy>).seconds;
  else out.seconds = value.seconds;
  if (value.millis !== undefined) out.millis = value.millis;
  return out;
}

function sortDer(items: readonly Uint8Array[]): Uint8Array[] {
  return [...items].sort((a, b) => Buffer.compare(a, b));
}
