import { createHash } from "node:crypto";
import { AsnConvert, OctetString as OctetStringValue } from "@peculiar/asn1-schema";
import { Certificate, Extension } from "@peculiar/asn1-x509";
import { VouchError } from "../core/errors.js";
import { TlsReader } from "../core/encoding/tls-reader.js";

/**
 * RFC 6962 §3 structures in their TLS encodings (RFC 5246 §4 presentation language), on the producing side: what the
 * CT log puts in its Merkle tree, what it signs, and the SCT list the CA embeds. Pure: bytes in, bytes out.
 *
 * The verifying side is src/core/x509/sct.ts (`precertificateTbs`, `sctSignedData`, `parseSctList`), written
 * separately on vouch's own DER reader, so that each checks the other in the tests.
 */

export const CT_OIDS = {
  /** RFC 6962 §3.1: the precertificate poison, critical, value ASN.1 NULL. */
  poison: "1.3.6.1.4.1.11129.2.4.3",
  /** RFC 6962 §3.3: the embedded SignedCertificateTimestampList. */
  sctList: "1.3.6.1.4.1.11129.2.4.2",
  /** RFC 6962 §3.1: the Precertificate Signing Certificate EKU (a dedicated precert issuer; not supported here). */
  precertSigning: "1.3.6.1.4.1.11129.2.4.4",
} as const;

/** RFC 6962 §3.1 LogEntryType. */
export const LOG_ENTRY_TYPE = { x509: 0, precert: 1 } as const;

/** TLS SignatureAndHashAlgorithm of every signature this log makes: ECDSA (3) over SHA-256 (4), RFC 6962 §2.1.4. */
export const SIGNATURE_ALGORITHM = { hash: 4, signature: 3 } as const;

/** The signed_entry of a log entry (RFC 6962 §3.1, §3.2). */
export type SignedEntry =
  /** x509_entry: the end-entity certificate, DER. */
  | { type: "x509"; certificate: Uint8Array }
  /** precert_entry: SHA-256 of the issuer's SubjectPublicKeyInfo, and the precertificate's TBS without the poison. */
  | { type: "precert"; issuerKeyHash: Uint8Array; tbsCertificate: Uint8Array };

/** RFC 6962 §3.4 TimestampedEntry (the content of a v1 MerkleTreeLeaf). */
export interface TimestampedEntry {
  /** Milliseconds since the epoch. */
  timestamp: bigint;
  entry: SignedEntry;
  /** CtExtensions, opaque (RFC 6962 defines none; this log writes none). */
  extensions: Uint8Array;
}

/** RFC 5246 §4.7 digitally-signed: the algorithm pair and the signature (ECDSA: ASN.1 DER). */
export interface DigitallySigned {
  hashAlgorithm: number;
  signatureAlgorithm: number;
  signature: Uint8Array;
}

/** RFC 6962 §3.2 SignedCertificateTimestamp, v1. */
export interface Sct extends DigitallySigned {
  /** 0 = v1. */
  version: 0;
  /** SHA-256 of the log's SubjectPublicKeyInfo DER. */
  logId: Uint8Array;
  timestamp: bigint;
  extensions: Uint8Array;
}

/** RFC 6962 §3.5 tree head, before signing. */
export interface TreeHead {
  timestamp: bigint;
  treeSize: bigint | number;
  rootHash: Uint8Array;
}

// --- TLS encoding ---------------------------------------------------------------------------------------------------

class Writer {
  readonly #parts: Uint8Array[] = [];
  u8(n: number): this {
    this.#parts.push(Uint8Array.of(n));
    return this;
  }
  u16(n: number): this {
    this.#parts.push(Uint8Array.of(n >> 8, n & 0xff));
    return this;
  }
  u64(n: bigint): this {
    if (n < 0n || n >= 1n << 64n) throw invalid(`${n} does not fit a uint64`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, n);
    this.#parts.push(out);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.#parts.push(b);
    return this;
  }
  /** opaque<0..2^(8·lengthBytes)-1>, with `min` the least length the vector allows. */
  vector(b: Uint8Array, lengthBytes: 2 | 3, what: string, min = 0): this {
    const max = 2 ** (8 * lengthBytes) - 1;
    if (b.length < min || b.length > max) throw invalid(`${what} is ${b.length} bytes, outside ${min}..${max}`);
    const length = new Uint8Array(lengthBytes);
    for (let i = 0; i < lengthBytes; i++) length[i] = (b.length >> (8 * (lengthBytes - 1 - i))) & 0xff;
    this.#parts.push(length, b);
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.#parts));
  }
}

/** entry_type followed by the signed_entry select (shared by the leaf and the SCT's signed struct). */
function writeSignedEntry(w: Writer, entry: SignedEntry): Writer {
  if (entry.type === "x509") {
    // ASN.1Cert: opaque <1..2^24-1>.
    return w.u16(LOG_ENTRY_TYPE.x509).vector(entry.certificate, 3, "certificate", 1);
  }
  if (entry.issuerKeyHash.length !== 32) throw invalid("issuer_key_hash must be 32 bytes (SHA-256)");
  // PreCert { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate; } with TBSCertificate opaque <1..2^24-1>.
  return w.u16(LOG_ENTRY_TYPE.precert).bytes(entry.issuerKeyHash).vector(entry.tbsCertificate, 3, "tbs_certificate", 1);
}

/**
 * RFC 6962 §3.4 MerkleTreeLeaf: version v1 (0), leaf_type timestamped_entry (0), then the TimestampedEntry. These
 * bytes are the Merkle leaf: the tree hashes SHA-256(0x00 || leaf).
 */
export function encodeMerkleTreeLeaf(leaf: TimestampedEntry): Uint8Array {
  const w = new Writer().u8(0).u8(0).u64(leaf.timestamp);
  return writeSignedEntry(w, leaf.entry).vector(leaf.extensions, 2, "extensions").done();
}

/**
 * Parses a MerkleTreeLeaf (what get-entries serves as leaf_input). Bytes from storage or a peer are not trusted:
 * every length is checked against what remains.
 * @throws VouchError INPUT_MALFORMED naming what is wrong.
 */
export function decodeMerkleTreeLeaf(bytes: Uint8Array): TimestampedEntry {
  const W = "MerkleTreeLeaf";
  const r = new TlsReader(bytes, W);
  const version = r.u8();
  if (version !== 0) throw corrupt(W, `unknown version ${version}`);
  const leafType = r.u8();
  if (leafType !== 0) throw corrupt(W, `unknown leaf_type ${leafType}`);
  const timestamp = r.u64();
  const type = r.u16();
  let entry: SignedEntry;
  if (type === LOG_ENTRY_TYPE.x509) {
    const certificate = r.take(r.u24());
    if (certificate.length === 0) throw corrupt(W, "empty certificate");
    entry = { type: "x509", certificate };
  } else if (type === LOG_ENTRY_TYPE.precert) {
    const issuerKeyHash = r.take(32);
    const tbsCertificate = r.take(r.u24());
    if (tbsCertificate.length === 0) throw corrupt(W, "empty tbs_certificate");
    entry = { type: "precert", issuerKeyHash, tbsCertificate };
  } else {
    throw corrupt(W, `unknown entry_type ${type}`);
  }
  const extensions = r.take(r.u16());
  r.end();
  return { timestamp, entry, extensions };
}

/**
 * The `digitally-signed` struct an SCT signs (RFC 6962 §3.2): sct_version, signature_type certificate_timestamp (0),
 * timestamp, entry_type, signed_entry, extensions.
 */
export function sctSignatureInput(leaf: TimestampedEntry): Uint8Array {
  const w = new Writer().u8(0).u8(0).u64(leaf.timestamp);
  return writeSignedEntry(w, leaf.entry).vector(leaf.extensions, 2, "extensions").done();
}

/** The TLS DigitallySigned encoding: hash (1), signature algorithm (1), signature<0..2^16-1>. */
export function encodeDigitallySigned(signed: DigitallySigned): Uint8Array {
  return new Writer().u8(signed.hashAlgorithm).u8(signed.signatureAlgorithm).vector(signed.signature, 2, "signature").done();
}

/** @throws VouchError INPUT_MALFORMED */
export function decodeDigitallySigned(bytes: Uint8Array): DigitallySigned {
  const r = new TlsReader(bytes, "digitally-signed");
  const hashAlgorithm = r.u8();
  const signatureAlgorithm = r.u8();
  const signature = r.take(r.u16());
  r.end();
  return { hashAlgorithm, signatureAlgorithm, signature };
}

/** RFC 6962 §3.2 SerializedSCT: sct_version, id, timestamp, extensions<0..2^16-1>, digitally-signed signature. */
export function encodeSct(sct: Sct): Uint8Array {
  if (sct.logId.length !== 32) throw invalid("the log ID must be 32 bytes (SHA-256)");
  return new Writer()
    .u8(sct.version)
    .bytes(sct.logId)
    .u64(sct.timestamp)
    .vector(sct.extensions, 2, "extensions")
    .bytes(encodeDigitallySigned(sct))
    .done();
}

/**
 * The extnValue content of the embedded-SCT extension 1.3.6.1.4.1.11129.2.4.2 (RFC 6962 §3.3): a DER OCTET STRING
 * whose content is the TLS SignedCertificateTimestampList (opaque SerializedSCT<1..2^16-1> list<1..2^16-1>). The
 * CA puts these bytes in the Extension's extnValue, which wraps them in a second OCTET STRING.
 *
 * @example
 *   const { encoded } = await ctLog.addPreChain([precertDer, intermediateDer]);
 *   leafTbs(options, { kind: "sctList", extnValue: encodeSctList([encoded]) });
 */
export function encodeSctList(scts: readonly (Sct | Uint8Array)[]): Uint8Array {
  if (scts.length === 0) throw invalid("an SCT list holds at least one SCT");
  const list = new Writer();
  for (const sct of scts) list.vector(sct instanceof Uint8Array ? sct : encodeSct(sct), 2, "SerializedSCT", 1);
  const tls = new Writer().vector(list.done(), 2, "SignedCertificateTimestampList", 1).done();
  return derTlv(0x04, [tls]);
}

/**
 * The `digitally-signed` TreeHeadSignature of RFC 6962 §3.5: version v1 (0), signature_type tree_hash (1),
 * timestamp, tree_size, sha256_root_hash.
 */
export function treeHeadSignatureInput(head: TreeHead): Uint8Array {
  if (head.rootHash.length !== 32) throw invalid("the root hash must be 32 bytes (SHA-256)");
  return new Writer().u8(0).u8(1).u64(head.timestamp).u64(BigInt(head.treeSize)).bytes(head.rootHash).done();
}

/**
 * RFC 6962 §4.1 extra_data: for an x509_entry the certificate_chain (ASN.1Cert<0..2^24-1> list<0..2^24-1>, the
 * issuers up to the root); for a precert_entry a PrecertChainEntry (the whole precertificate, then its chain).
 */
export function encodeExtraData(entryType: SignedEntry["type"], chain: readonly Uint8Array[]): Uint8Array {
  const list = new Writer();
  if (chain.length === 0) throw invalid("extra_data needs the submitted certificate");
  for (const cert of chain.slice(1)) list.vector(cert, 3, "ASN.1Cert", 1);
  const chainVector = new Writer().vector(list.done(), 3, "certificate chain").done();
  if (entryType === "x509") return chainVector;
  return new Writer().vector(chain[0]!, 3, "pre_certificate", 1).bytes(chainVector).done();
}

// --- Precertificates --------------------------------------------------------------------------------------------------

/** SHA-256 of a certificate's SubjectPublicKeyInfo DER: the issuer_key_hash of RFC 6962 §3.2. */
export function issuerKeyHash(issuerCertificateDer: Uint8Array): Uint8Array {
  const tbs = derChildren(derChildren(issuerCertificateDer, "issuer certificate")[0]!.raw, "issuer tbsCertificate");
  // TBSCertificate: [0] version?, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
  const offset = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const spki = tbs[offset + 5];
  if (spki?.tag !== 0x30) throw invalid("the issuer certificate has no subjectPublicKeyInfo");
  return new Uint8Array(createHash("sha256").update(spki.raw).digest());
}

export interface PrecertificateParts {
  /** The precertificate's TBS with the poison removed: the tbs_certificate a log signs (RFC 6962 §3.2). */
  tbsCertificate: Uint8Array;
  /** Whether the poison was critical (RFC 6962 §3.1 requires it). */
  poisonCritical: boolean;
  /** The poison's extnValue content (RFC 6962 §3.1: ASN.1 NULL, 05 00). */
  poisonValue: Uint8Array;
}

/**
 * Splits a precertificate into the TBS a CT log signs: the TBSCertificate with the poison extension removed and
 * every other byte kept exactly as encoded (a DER splice: the extension list and its [3] wrapper are re-encoded with
 * new lengths; no other field is touched). If the poison was the only extension, the extensions field is dropped.
 *
 * Requirement for the CA (why this matters): a verifier rebuilds this TBS from the FINAL certificate by removing the
 * SCT-list extension (src/core/x509/sct.ts `precertificateTbs`, sigstore-js, Go's x509). The two agree byte for byte
 * only if the final certificate's TBS is the precertificate's TBS with the poison replaced, in the same position, by
 * the SCT-list extension: same fields, same extension order, same encodings. `finalTbsFromPrecert` does exactly that.
 *
 * @throws VouchError CT_CHAIN_INVALID when the input is not a certificate or carries no poison.
 */
export function precertificateParts(precertificateDer: Uint8Array): PrecertificateParts {
  const tbsRaw = tbsOf(precertificateDer);
  const spliced = spliceExtension(tbsRaw, CT_OIDS.poison, undefined);
  if (spliced.found === undefined) throw invalid("the precertificate has no poison extension (1.3.6.1.4.1.11129.2.4.3)");
  return { tbsCertificate: spliced.tbs, poisonCritical: spliced.found.critical, poisonValue: new Uint8Array(spliced.found.extnValue.buffer) };
}

/**
 * The final certificate's TBSCertificate: the precertificate's TBS with the poison replaced, at its position, by the
 * SCT-list extension (non-critical, extnValue from `encodeSctList`). The CA signs these bytes; a verifier removing the
 * SCT list gets exactly the tbs_certificate the log signed.
 *
 * @throws VouchError CT_CHAIN_INVALID when the precertificate carries no poison.
 */
export function finalTbsFromPrecert(precertificateTbsDer: Uint8Array, sctListExtnValue: Uint8Array): Uint8Array {
  const replacement = new Uint8Array(AsnConvert.serialize(new Extension({ extnID: CT_OIDS.sctList, critical: false, extnValue: new OctetStringValue(sctListExtnValue) })));
  const spliced = spliceExtension(precertificateTbsDer, CT_OIDS.poison, replacement);
  if (spliced.found === undefined) throw invalid("the precertificate TBS has no poison extension (1.3.6.1.4.1.11129.2.4.3)");
  return spliced.tbs;
}

/** The tbsCertificate of a certificate, exactly as encoded. */
export function tbsOf(certificateDer: Uint8Array): Uint8Array {
  // Parsed once with @peculiar/asn1-x509 to refuse what is not a certificate at all; the bytes come from the splice.
  try {
    AsnConvert.parse(certificateDer, Certificate);
  } catch (error) {
    throw invalid("not a DER X.509 certificate", error);
  }
  const parts = derChildren(certificateDer, "certificate");
  if (parts.length !== 3 || parts[0]!.tag !== 0x30) throw invalid("a certificate is SEQUENCE { tbsCertificate, signatureAlgorithm, signature }");
  return parts[0]!.raw;
}

interface Found {
  critical: boolean;
  extnValue: OctetStringValue;
}

/** Removes (or replaces) the one extension with this OID in a TBSCertificate, keeping every other byte. */
function spliceExtension(tbsDer: Uint8Array, oid: string, replacement: Uint8Array | undefined): { tbs: Uint8Array; found?: Found } {
  const fields = derChildren(tbsDer, "tbsCertificate");
  const out: Uint8Array[] = [];
  let found: Found | undefined;
  for (const field of fields) {
    if (field.tag !== 0xa3) {
      out.push(field.raw);
      continue;
    }
    const [list, ...rest] = derChildren(field.raw, "extensions [3]");
    if (list === undefined || list.tag !== 0x30 || rest.length > 0) throw invalid("extensions [3] must hold exactly one SEQUENCE");
    const kept: Uint8Array[] = [];
    for (const ext of derChildren(list.raw, "extensions")) {
      let parsed: Extension;
      try {
        parsed = AsnConvert.parse(ext.raw, Extension);
      } catch (error) {
        throw invalid("an extension is not a DER Extension", error);
      }
      if (parsed.extnID !== oid) {
        kept.push(ext.raw);
        continue;
      }
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
      if (found !== undefined) throw invalid(`extension ${oid} appears twice`);
      found = { critical: parsed.critical, extnValue: parsed.extnValue };
      if (replacement) kept.push(replacement);
    }
    // An empty extensions field is not allowed (SIZE (1..MAX)): drop it, as Go and vouch's verifier do.
    if (kept.length > 0) out.push(derTlv(0xa3, [derTlv(0x30, kept)]));
  }
  return { tbs: derTlv(0x30, out), found };
}

// --- A minimal DER walker: definite minimal lengths, bounds-checked, for the splice only ------------------------------

interface Tlv {
  tag: number;
  /** The whole element (tag, length, content) as encoded. */
  raw: Uint8Array;
}

/** The elements inside a constructed element (SEQUENCE, [n]), each as its raw bytes. */
function derChildren(element: Uint8Array, what: string): Tlv[] {
  const outer = readTlv(element, 0, what);
  if (outer.end !== element.length) throw invalid(`${what}: trailing bytes after the element`);
  if ((element[0]! & 0x20) === 0) throw invalid(`${what}: not a constructed element`);
  const children: Tlv[] = [];
  for (let at = outer.contentStart; at < outer.end; ) {
    const child = readTlv(element.subarray(0, outer.end), at, what);
    children.push({ tag: element[at]!, raw: element.subarray(at, child.end) });
    at = child.end;
  }
  return children;
}

function readTlv(bytes: Uint8Array, at: number, what: string): { contentStart: number; end: number } {
  if (at + 2 > bytes.length) throw invalid(`${what}: truncated element`);
  if ((bytes[at]! & 0x1f) === 0x1f) throw invalid(`${what}: multi-byte tags are not used in certificates`);
  const first = bytes[at + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = at + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw invalid(`${what}: indefinite length is not DER`);
    if (count > 4) throw invalid(`${what}: length too large`);
    if (at + 2 + count > bytes.length) throw invalid(`${what}: truncated length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i]!;
    // X.690 §10.1: the length in the fewest octets.
    if (length < 0x80 || bytes[at + 2]! === 0) throw invalid(`${what}: non-minimal length encoding`);
    contentStart = at + 2 + count;
  }
  const end = contentStart + length;
  if (end > bytes.length) throw invalid(`${what}: element runs past its container`);
  return { contentStart, end };
}

function derTlv(tag: number, content: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of content) length += part.length;
  const header: number[] = [tag];
  if (length < 0x80) header.push(length);
  else {
    const octets: number[] = [];
    for (let l = length; l > 0; l = Math.floor(l / 256)) octets.unshift(l & 0xff);
    header.push(0x80 | octets.length, ...octets);
  }
  return new Uint8Array(Buffer.concat([Uint8Array.from(header), ...content]));
}

function invalid(message: string, cause?: unknown): VouchError {
  return new VouchError("CT_CHAIN_INVALID", message, cause === undefined ? undefined : { cause });
}

function corrupt(what: string, message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `${what}: ${message}`);
}
