import { createPublicKey, type KeyObject } from "node:crypto";
import { keyAlgorithm, type KeyAlgorithm } from "../../core/crypto/keys.js";
import { VouchError } from "../../core/errors.js";

/**
 * Converting what a PKCS #11 token hands out into what Sigstore bundles carry. Pure (node:crypto only).
 *
 *   CKA_EC_PARAMS + CKA_EC_POINT  ->  SubjectPublicKeyInfo DER (RFC 5480 §2, RFC 8410 §4)
 *   CKM_ECDSA signature r || s    ->  ASN.1 DER Ecdsa-Sig-Value (RFC 5480 §2.2 / X9.62), what Sigstore verifiers expect
 */

/** DER of the named curves vouch signs with, as CKA_EC_PARAMS carries them (an OID, or a PrintableString name). */
const CURVES: ReadonlyArray<{ params: string; algorithm: KeyAlgorithm | "unsupported"; name: string }> = [
  { params: "06082a8648ce3d030107", algorithm: "ecdsa-p256", name: "P-256" }, // 1.2.840.10045.3.1.7
  { params: "06052b81040022", algorithm: "ecdsa-p384", name: "P-384" }, // 1.3.132.0.34
  { params: "06052b81040023", algorithm: "unsupported", name: "P-521" }, // 1.3.132.0.35
  { params: "06032b6570", algorithm: "ed25519", name: "Ed25519" }, // 1.3.101.112 (RFC 8410)
  { params: "130c656477617264733235353139", algorithm: "ed25519", name: "Ed25519" }, // PrintableString "edwards25519" (PKCS #11 v3.0 §2.3.10)
  { params: "06032b6571", algorithm: "unsupported", name: "Ed448" },
  { params: "130a65647761726473343438", algorithm: "unsupported", name: "Ed448" },
];

const OID_EC_PUBLIC_KEY = "06072a8648ce3d0201"; // 1.2.840.10045.2.1 id-ecPublicKey (RFC 5480 §2.1.1)
const OID_ED25519 = "06032b6570";

/** Bytes of one field element (and of r and s) per algorithm. */
const FIELD_BYTES: Record<KeyAlgorithm, number> = { "ecdsa-p256": 32, "ecdsa-p384": 48, ed25519: 32 };

/**
 * The SPKI DER of an EC or Edwards public key object, validated by node:crypto (the point must lie on the curve).
 * `ecPoint` is CKA_EC_POINT: per PKCS #11 a DER OCTET STRING around the point, though some tokens give the bare point.
 */
export function spkiFromEcAttributes(ecParams: Uint8Array, ecPoint: Uint8Array): { key: KeyObject; algorithm: KeyAlgorithm } {
  const paramsHex = Buffer.from(ecParams).toString("hex");
  const curve = CURVES.find((c) => c.params === paramsHex);
  if (curve === undefined) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `the token's key is on a curve vouch does not sign with (CKA_EC_PARAMS ${paramsHex || "empty"}); use P-256, P-384 or Ed25519`);
  }
  if (curve.algorithm === "unsupported") {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `the token's key is ${curve.name}; vouch signs with P-256, P-384 or Ed25519 keys`);
  }
  const point = unwrapPoint(ecPoint, curve.algorithm);
  const spki =
    curve.algorithm === "ed25519"
      ? derSequence(derSequence(hex(OID_ED25519)), derBitString(point))
      : derSequence(derSequence(hex(OID_EC_PUBLIC_KEY), hex(curve.params)), derBitString(point));
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch (cause) {
    throw new VouchError("INPUT_MALFORMED", `the token's ${curve.name} public key (CKA_EC_POINT) is not a valid point`, { cause });
  }
  return { key, algorithm: keyAlgorithm(key) };
}

/**
 * The point inside CKA_EC_POINT. Told apart by length, which is unambiguous: a bare point is 1 + 2n (uncompressed) or
 * 1 + n (compressed) bytes for EC and n for Ed25519; the OCTET STRING form adds a 2-byte header for every size here.
 */
function unwrapPoint(value: Uint8Array, algorithm: KeyAlgorithm): Uint8Array {
  const n = FIELD_BYTES[algorithm];
  const sizes = algorithm === "ed25519" ? [n] : [1 + 2 * n, 1 + n];
  if (sizes.includes(value.length)) return value;
  if (value[0] === 0x04 && value[1] !== undefined && value[1] < 0x80 && value[1] === value.length - 2 && sizes.includes(value[1])) {
    return value.subarray(2);
  }
  throw new VouchError("INPUT_MALFORMED", `the token's public key (CKA_EC_POINT) has ${value.length} bytes, not a ${algorithm} point`);
}

/**
 * PKCS #11 CKM_ECDSA returns r || s, each left-padded to the field size (PKCS #11 v2.40 §2.3.1); Sigstore carries
 * the X9.62 DER form SEQUENCE { r INTEGER, s INTEGER }.
 */
export function ecdsaRawToDer(raw: Uint8Array, algorithm: KeyAlgorithm): Uint8Array {
  const n = FIELD_BYTES[algorithm];
  if (algorithm === "ed25519" || raw.length !== 2 * n) {
    throw new VouchError("INPUT_MALFORMED", `the token returned a ${raw.length}-byte ECDSA signature; a ${algorithm} signature is ${2 * n} bytes (r || s)`);
  }
  return new Uint8Array(derSequence(derInteger(raw.subarray(0, n)), derInteger(raw.subarray(n))));
}

/** A non-negative INTEGER: minimal length (X.690 §8.3.2), with a 0x00 in front when the top bit is set. */
function derInteger(unsigned: Uint8Array): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const body = unsigned.subarray(start);
  const content = body[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : Buffer.from(body);
  return tlv(0x02, content);
}

function derBitString(bytes: Uint8Array): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes])); // no unused bits
}

function derSequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

function hex(text: string): Buffer {
  return Buffer.from(text, "hex");
}
