import type { Certificate } from "./certificate.js";
import { encodeTlv, expectSeq, isContext, malformed, parseDer, raw } from "./der.js";
import { OID } from "./oids.js";
import { TlsReader } from "../encoding/tls-reader.js";

/**
 * RFC 6962 §3.2 SignedCertificateTimestamp (v1), as embedded in a certificate (§3.3). Parsed with explicit bounds:
 * every length is checked against the bytes that remain, and the list must be consumed exactly.
 */
export interface SignedCertificateTimestamp {
  /** 0 = v1, the only version defined. */
  readonly version: number;
  /** SHA-256 of the log's public key. */
  readonly logId: Uint8Array;
  /** Milliseconds since the epoch, as the log signed it. */
  readonly timestamp: bigint;
  readonly extensions: Uint8Array;
  /** TLS HashAlgorithm (RFC 5246 §7.4.1.4.1): 4 = sha256, 5 = sha384, 6 = sha512. */
  readonly hashAlgorithm: number;
  /** TLS SignatureAlgorithm: 1 = rsa, 3 = ecdsa, 7 = ed25519 (RFC 8422). */
  readonly signatureAlgorithm: number;
  readonly signature: Uint8Array;
}

/** Parses an RFC 6962 §3.3 SignedCertificateTimestampList (opaque SerializedSCT<1..2^16-1> list<1..2^16-1>). */
export function parseSctList(list: Uint8Array): SignedCertificateTimestamp[] {
  const W = "SCT list";
  const outer = new TlsReader(list, W);
  const body = new TlsReader(outer.vector16(), W);
  if (outer.remaining !== 0) throw malformed(W, "trailing bytes after the list");
  const scts: SignedCertificateTimestamp[] = [];
  while (body.remaining > 0) {
    const serialized = body.vector16();
    if (serialized.length === 0) throw malformed(W, "empty SerializedSCT");
    scts.push(parseSct(serialized));
  }
  if (scts.length === 0) throw malformed(W, "the list is empty");
  return scts;
}

function parseSct(bytes: Uint8Array): SignedCertificateTimestamp {
  const W = "SCT";
  const r = new TlsReader(bytes, W);
  const version = r.u8();
  const logId = r.take(32);
  const timestamp = r.u64();
  const extensions = r.vector16();
  const hashAlgorithm = r.u8();
  const signatureAlgorithm = r.u8();
  const signature = r.vector16();
  if (r.remaining !== 0) throw malformed(W, "trailing bytes after the signature");
  return Object.freeze({ version, logId, timestamp, extensions, hashAlgorithm, signatureAlgorithm, signature });
}

/**
 * The precertificate TBS a log signed for an embedded SCT (RFC 6962 §3.2): the certificate's TBS with the SCT list
 * extension removed, everything else byte for byte. If no extension remains, the extensions field is omitted (as
 * Go's x509 does when it removes the list).
 */
export function precertificateTbs(cert: Certificate): Uint8Array {
  const W = "certificate tbsCertificate";
  const tbs = expectSeq(parseDer(cert.tbs, W), W);
  const parts: Uint8Array[] = [];
  for (const field of tbs.subs) {
    if (!isContext(field, 3)) {
      parts.push(raw(field));
      continue;
    }
    const kept = cert.extensions.filter((e) => e.oid !== OID.sctList).map((e) => e.der);
    if (kept.length > 0) parts.push(encodeTlv(0xa3, [encodeTlv(0x30, kept)]));
  }
  return encodeTlv(0x30, parts);
}

/**
 * The `digitally-signed` struct of RFC 6962 §3.2 for a precert_entry: version | signature_type (0 =
 * certificate_timestamp) | timestamp | entry_type (1 = precert_entry) | issuer_key_hash | tbs<1..2^24-1> |
 * extensions<0..2^16-1>.
 */
export function sctSignedData(sct: SignedCertificateTimestamp, issuerKeyHash: Uint8Array, precertTbs: Uint8Array): Uint8Array {
  if (issuerKeyHash.length !== 32) throw malformed("SCT", "issuer key hash must be 32 bytes");
  if (precertTbs.length >= 1 << 24) throw malformed("SCT", "precertificate TBS too large");
  const out = new Uint8Array(1 + 1 + 8 + 2 + 32 + 3 + precertTbs.length + 2 + sct.extensions.length);
  const view = new DataView(out.buffer);
  let at = 0;
  out[at++] = sct.version;
  out[at++] = 0; // certificate_timestamp
  view.setBigUint64(at, sct.timestamp);
  at += 8;
  view.setUint16(at, 1); // precert_entry
  at += 2;
  out.set(issuerKeyHash, at);
  at += 32;
  out[at++] = (precertTbs.length >> 16) & 0xff;
  out[at++] = (precertTbs.length >> 8) & 0xff;
  out[at++] = precertTbs.length & 0xff;
  out.set(precertTbs, at);
  at += precertTbs.length;
  view.setUint16(at, sct.extensions.length);
  at += 2;
  out.set(sct.extensions, at);
  return out;
}
