import { base64, encodeBase64, field, invalid, object, string, quote, type Json } from "./fields.js";
import { verifierFromDer, type EntryVerifier, type KeyType } from "./keys.js";
import type { HashName } from "./signature.js";

/**
 * Rekor v2's Verifier message (rekor-tiles api/proto/rekor/v2/verifier.proto, protojson field names):
 * {publicKey: {rawBytes (b64 SPKI DER)} | x509Certificate: {rawBytes (b64 DER)}, keyDetails (PublicKeyDetails name)}.
 */
export interface V2Verifier {
  entry: EntryVerifier;
  keyDetails: string;
}

/** protobuf-specs common.v1 HashAlgorithm names, as protojson writes them into the body. */
export const V2_HASH_NAMES: Record<HashName, string> = { sha256: "SHA2_256", sha384: "SHA2_384", sha512: "SHA2_512" };

interface Details {
  matches: (t: KeyType) => boolean;
  /** The hash of a hashedrekord digest under this key, when hashedrekord allows it. */
  digest?: HashName;
  /** The hash of a DSSE signature over PAE (ignored by Ed25519, which is pure). */
  message: HashName;
}

/**
 * The PublicKeyDetails rekor-tiles accepts by default (internal/algorithmregistry AllowedClientSigningAlgorithms),
 * with the hash sigstore's GetAlgorithmDetails assigns each. PKIX_ED25519 has no hash, so it cannot sign a
 * hashedrekord digest; DSSE verifies Ed25519 signatures pure whatever the details say (LoadVerifier ignores the
 * hash for Ed25519 keys).
 */
const KEY_DETAILS: Record<string, Details> = {
  PKIX_ECDSA_P256_SHA_256: { matches: (t) => t.type === "ecdsa" && t.curve === "P-256", digest: "sha256", message: "sha256" },
  PKIX_ECDSA_P384_SHA_384: { matches: (t) => t.type === "ecdsa" && t.curve === "P-384", digest: "sha384", message: "sha384" },
  PKIX_ECDSA_P521_SHA_512: { matches: (t) => t.type === "ecdsa" && t.curve === "P-521", digest: "sha512", message: "sha512" },
  PKIX_RSA_PKCS1V15_2048_SHA256: { matches: (t) => t.type === "rsa" && t.bits === 2048, digest: "sha256", message: "sha256" },
  PKIX_RSA_PKCS1V15_3072_SHA256: { matches: (t) => t.type === "rsa" && t.bits === 3072, digest: "sha256", message: "sha256" },
  PKIX_RSA_PKCS1V15_4096_SHA256: { matches: (t) => t.type === "rsa" && t.bits === 4096, digest: "sha256", message: "sha256" },
  PKIX_ED25519: { matches: (t) => t.type === "ed25519", message: "sha512" },
  PKIX_ED25519_PH: { matches: (t) => t.type === "ed25519", digest: "sha512", message: "sha512" },
};

export function parseV2Verifier(value: unknown, path: string): V2Verifier {
  const verifier = object(value, path);
  const publicKey = field(verifier, "publicKey");
  const certificate = field(verifier, "x509Certificate");
  if ((publicKey === undefined) === (certificate === undefined)) {
    throw invalid(`${path} must hold exactly one of publicKey and x509Certificate`);
  }
  const keyDetails = string(field(verifier, "keyDetails"), `${path}.keyDetails`);
  const details = Object.hasOwn(KEY_DETAILS, keyDetails) ? KEY_DETAILS[keyDetails] : undefined;
  if (details === undefined) throw invalid(`${path}.keyDetails ${quote(keyDetails)} is not a supported PublicKeyDetails`);
  const kind = publicKey === undefined ? "certificate" : "publicKey";
  const name = publicKey === undefined ? "x509Certificate" : "publicKey";
  const rawPath = `${path}.${name}.rawBytes`;
  const der = base64(field(object(publicKey ?? certificate, `${path}.${name}`), "rawBytes"), rawPath);
  const entry = verifierFromDer(kind, der, rawPath);
  // rekor-tiles only asks whether the key type accepts the details' hash (so a 3072-bit key could be logged as
  // "2048"); vouch requires the details to describe the key, so a monitor can trust what the entry says.
  if (!details.matches(entry.keyType)) throw invalid(`${path}.keyDetails ${keyDetails} does not describe the key in ${rawPath}`);
  return { entry, keyDetails };
}

/** The hash this verifier's keyDetails fix for a hashedrekord digest ("digest") or a DSSE signature ("message"). */
export function keyDetailsHash(verifier: V2Verifier, path: string, use: "digest" | "message"): HashName {
  const details = KEY_DETAILS[verifier.keyDetails]!;
  if (use === "message") return details.message;
  if (details.digest === undefined) {
    throw invalid(`${path} ${verifier.keyDetails} cannot sign a digest (hashedrekord needs PKIX_ED25519_PH for Ed25519 keys)`);
  }
  return details.digest;
}

/** The Verifier as protojson writes it into the stored body. */
export function v2VerifierJson(verifier: V2Verifier): Json {
  const raw = { rawBytes: encodeBase64(verifier.entry.der) };
  return verifier.entry.kind === "certificate"
    ? { keyDetails: verifier.keyDetails, x509Certificate: raw }
    : { keyDetails: verifier.keyDetails, publicKey: raw };
}
