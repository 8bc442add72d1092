import { createPublicKey, type KeyObject } from "node:crypto";
import { isEcdsaPoint } from "../../core/crypto/ecdsa-digest.js";
import { encodePem } from "../../core/crypto/keys.js";
import { decodeBase64Strict } from "../../core/note/index.js";
import { bytesEqual, parseCertificate, type Certificate } from "../../core/x509/index.js";
import { invalid, type Json } from "./fields.js";

/** What the log records about a signer, for a monitor's watch list (issue 4: certificate identity or key fingerprint). */
export interface SignerIdentity {
  /** The signing certificate (DER), when the entry names one. */
  certificate?: Uint8Array;
  /** The signing key (SubjectPublicKeyInfo DER): the certificate's key, or the bare key. */
  publicKey: Uint8Array;
  /** The certificate's subjectAltName values (email, URI, DNS, IP, and textual otherNames). */
  subjectAlternativeNames?: string[];
  /** The Fulcio OIDC issuer extension (1.3.6.1.4.1.57264.1.8, or the deprecated 1.1). */
  issuer?: string;
}

/**
 * The key algorithms a log entry may be signed with: Rekor's default client signing algorithm registry
 * (sigstore/rekor pkg/api/api.go and rekor-tiles internal/algorithmregistry AllowedClientSigningAlgorithms):
 * ECDSA on P-256, P-384, P-521; RSA PKCS#1 v1.5 with 2048, 3072 or 4096-bit moduli; Ed25519.
 */
export type KeyType =
  | { type: "ecdsa"; curve: "P-256" | "P-384" | "P-521" }
  | { type: "rsa"; bits: 2048 | 3072 | 4096 }
  | { type: "ed25519" };

/** What each entry kind builds: the body's spec, and the verifiers it names (in body order). */
export interface Built {
  spec: Json;
  verifiers: EntryVerifier[];
}

/** A verifier named by an entry: a bare public key or a certificate, parsed and checked. */
export interface EntryVerifier {
  kind: "publicKey" | "certificate";
  /** SPKI DER (publicKey) or certificate DER, exactly as the log stores it. */
  der: Uint8Array;
  key: KeyObject;
  keyType: KeyType;
  /**
   * An EC key's uncompressed point 0x04 || X || Y, when its SPKI is the canonical DER (then the point is those
   * bytes, checked against the curve as OpenSSL would, and `key` is only made when read): the digest check reads it
   * here instead of importing and exporting the key.
   */
  ecPoint?: Uint8Array;
  signer: SignerIdentity;
}

const CURVES: Record<string, "P-256" | "P-384" | "P-521"> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
const RSA_BITS = new Set([2048, 3072, 4096]);

/**
 * One PEM block, "PUBLIC KEY" or "CERTIFICATE", and nothing else (the form Go's pem.Encode writes and vouch's
 * verifier reads back, src/verify/tlog/body-parse.ts). Rekor also accepts leading text, PEM headers and a chain of
 * several certificates (kept whole in the body); a log entry names one signer, so vouch takes one block.
 */
const PEM = /^-----BEGIN (CERTIFICATE|PUBLIC KEY)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----\r?\n?$/;

/** A verifier given as PEM bytes (Rekor v1: base64 of a PEM public key or certificate). */
export function verifierFromPem(pem: Uint8Array, path: string): EntryVerifier {
  const text = Buffer.from(pem).toString("latin1");
  const match = PEM.exec(text);
  if (match === null) throw invalid(`${path} is not one PEM public key or certificate`);
  const der = decodeBase64Strict(match[2]!.replace(/\r?\n/g, ""));
  if (der === undefined || der.length === 0) throw invalid(`${path} PEM body is not base64`);
  return match[1] === "CERTIFICATE" ? certificateVerifier(der, path) : publicKeyVerifier(der, path);
}

/** A verifier given as DER (Rekor v2: Verifier.publicKey.rawBytes or Verifier.x509Certificate.rawBytes). */
export function verifierFromDer(kind: "publicKey" | "certificate", der: Uint8Array, path: string): EntryVerifier {
  return kind === "certificate" ? certificateVerifier(der, path) : publicKeyVerifier(der, path);
}

/**
 * The PEM Rekor v1 stores for a verifier: pki/x509 PublicKey.CanonicalValue, i.e. cryptoutils.MarshalPublicKeyToPEM
 * (the key re-marshalled) or MarshalCertificateToPEM (the certificate's DER as received), written by Go's pem.Encode:
 * 64-character lines, each ending "\n".
 */
export function canonicalPem(verifier: EntryVerifier): string {
  return encodePem(verifier.kind === "certificate" ? "CERTIFICATE" : "PUBLIC KEY", verifier.der);
}

function publicKeyVerifier(der: Uint8Array, path: string): EntryVerifier {
  // Go re-marshals the key it parsed; OpenSSL's export is the same DER for the supported types. Requiring the input
  // to be that DER already gives each key one spelling (no compressed points, no missing RSA NULL parameters), so
  // an entry cannot be logged twice under two encodings of one key.
  const ec = canonicalEcSpki(der, path);
  if (ec !== undefined) return withLazyKey({ kind: "publicKey", der, keyType: ec.keyType, ecPoint: ec.point, signer: { publicKey: der } }, der, path);
  const key = importSpki(der, path);
  if (!bytesEqual(canonicalSpki(key), der)) throw invalid(`${path} is not a DER-canonical SubjectPublicKeyInfo`);
  return { kind: "publicKey", der, key, keyType: keyType(key, path), signer: { publicKey: der } };
}

/**
 * The verifier of a canonical EC key, whose KeyObject is made only if something asks for it (a dsse signature over a
 * whole message, a key without its point). A hashedrekord's digest check reads the point alone, and importing the
 * key cost about a sixth of a check's CPU (mostly node:crypto's argument checks, not parsing); the point was already
 * validated as OpenSSL would (canonicalEcSpki), so the import cannot fail later.
 */
function withLazyKey(fields: Omit<EntryVerifier, "key">, spki: Uint8Array, path: string): EntryVerifier {
  let key: KeyObject | undefined;
  return {
    ...fields,
    get key(): KeyObject {
      key ??= importSpki(spki, path);
      return key;
    },
  };
}

/**
 * The exact DER Go writes for an EC key on a NIST curve: this prefix (SEQUENCE, AlgorithmIdentifier id-ecPublicKey
 * with the named curve, BIT STRING header) and then the uncompressed point 0x04 || X || Y. Such an input is already
 * canonical once its point is on the curve (what OpenSSL would check on import), which spares the JWK round trip of
 * canonicalSpki, and the curve and the point come from the bytes instead of from the KeyObject (each read of a
 * KeyObject's details or export crosses into OpenSSL). Every other encoding of these keys (a compressed or hybrid
 * point, explicit curve parameters, a longer length form) misses the prefix and goes through canonicalSpki.
 */
const CANONICAL_EC_SPKI: readonly { prefix: Buffer; curve: "P-256" | "P-384" | "P-521"; length: number }[] = [
  { prefix: Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"), curve: "P-256", length: 91 },
  { prefix: Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex"), curve: "P-384", length: 120 },
  { prefix: Buffer.from("30819b301006072a8648ce3d020106052b8104002303818600", "hex"), curve: "P-521", length: 158 },
];

function canonicalEcSpki(der: Uint8Array, path: string): { keyType: KeyType & { type: "ecdsa" }; point: Uint8Array } | undefined {
  for (const { prefix, curve, length } of CANONICAL_EC_SPKI) {
    if (der.length === length && der[prefix.length] === 0x04 && Buffer.from(der.buffer, der.byteOffset, prefix.length).equals(prefix)) {
      const point = der.subarray(prefix.length);
      // What createPublicKey would refuse in such bytes (coordinates ≥ p, a point off the curve), with its error.
      if (!isEcdsaPoint(curve, point)) throw invalid(`${path} is not a public key`);
      return { keyType: { type: "ecdsa", curve }, point };
    }
  }
  return undefined;
}

/**
 * The SPKI Go's MarshalPKIXPublicKey would write. OpenSSL keeps an EC point in the form it was given, so an EC key
 * goes through its JWK (x, y) to come out uncompressed, the only form Go's ParsePKIXPublicKey reads.
 */
function canonicalSpki(key: KeyObject): Uint8Array {
  const plain = key.asymmetricKeyType === "ec" ? createPublicKey({ key: key.export({ format: "jwk" }), format: "jwk" }) : key;
  return new Uint8Array(plain.export({ type: "spki", format: "der" }));
}

function certificateVerifier(der: Uint8Array, path: string): EntryVerifier {
  let cert: Certificate;
  try {
    cert = parseCertificate(der);
  } catch (error) {
    throw invalid(`${path} is not an X.509 certificate: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const keyPath = `${path} subject public key`;
  const ec = canonicalEcSpki(cert.publicKeyDer, keyPath);
  const names = cert.subjectAltNames.flatMap((san) => ("value" in san && san.value !== undefined ? [san.value] : []));
  const issuer = cert.fulcio.issuer ?? cert.fulcio.issuerV1;
  const fields = {
    kind: "certificate" as const,
    der: cert.der,
    signer: {
      certificate: cert.der,
      publicKey: cert.publicKeyDer,
      ...(names.length > 0 ? { subjectAlternativeNames: names } : {}),
      ...(issuer === undefined ? {} : { issuer }),
    },
  };
  if (ec !== undefined) return withLazyKey({ ...fields, keyType: ec.keyType, ecPoint: ec.point }, cert.publicKeyDer, keyPath);
  const key = importSpki(cert.publicKeyDer, keyPath);
  return { ...fields, key, keyType: keyType(key, keyPath) };
}

function importSpki(der: Uint8Array, path: string): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
  } catch (error) {
    throw invalid(`${path} is not a public key`, error);
  }
}

function keyType(key: KeyObject, path: string): KeyType {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = details.namedCurve === undefined ? undefined : CURVES[details.namedCurve];
      if (curve === undefined) throw invalid(`${path} is an EC key on ${details.namedCurve ?? "an unnamed curve"}, not P-256, P-384 or P-521`);
      return { type: "ecdsa", curve };
    }
    case "rsa": {
      const bits = details.modulusLength ?? 0;
      if (!RSA_BITS.has(bits)) throw invalid(`${path} is a ${bits}-bit RSA key, not 2048, 3072 or 4096 bits`);
      return { type: "rsa", bits: bits as 2048 | 3072 | 4096 };
    }
    case "ed25519":
      return { type: "ed25519" };
    default:
      throw invalid(`${path} is an unsupported ${key.asymmetricKeyType ?? "unknown"} key`);
  }
}

/** The distinct signers of an entry, in order (a key or certificate named twice is listed once). */
export function distinctSigners(verifiers: readonly EntryVerifier[]): SignerIdentity[] {
  const seen: EntryVerifier[] = [];
  for (const v of verifiers) {
    if (!seen.some((s) => s.kind === v.kind && bytesEqual(s.der, v.der))) seen.push(v);
  }
  return seen.map((v) => v.signer);
}
