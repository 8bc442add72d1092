import { constants, createPublicKey, verify, type KeyObject } from "node:crypto";
import { VouchError } from "../errors.js";

/**
 * A public key bound to the one signature algorithm its trusted-root entry names (protobuf-specs PublicKeyDetails).
 * Binding the algorithm to the key, not to anything in the signed data, is what stops algorithm confusion: an
 * ECDSA key is only ever used with the hash its details name, an RSA key only with the padding they name.
 */
export interface VerificationKey {
  readonly key: KeyObject;
  readonly algorithm: "ecdsa" | "ed25519" | "rsa-pkcs1" | "rsa-pss";
  /** Digest for crypto.verify (null for Ed25519, which hashes internally). */
  readonly hash: "sha256" | "sha384" | "sha512" | null;
  /** The key re-encoded as SubjectPublicKeyInfo DER (canonical form, as Go's x509.MarshalPKIXPublicKey writes). */
  readonly spkiDer: Uint8Array;
}

interface Algorithm {
  algorithm: VerificationKey["algorithm"];
  hash: VerificationKey["hash"];
  curve?: string;
}

// protobuf-specs sigstore_common.proto PublicKeyDetails (the subset a log, CA or signer uses today).
const DETAILS: Record<string, Algorithm> = {
  PKIX_ECDSA_P256_SHA_256: { algorithm: "ecdsa", hash: "sha256", curve: "prime256v1" },
  PKIX_ECDSA_P384_SHA_384: { algorithm: "ecdsa", hash: "sha384", curve: "secp384r1" },
  PKIX_ECDSA_P521_SHA_512: { algorithm: "ecdsa", hash: "sha512", curve: "secp521r1" },
  PKIX_ED25519: { algorithm: "ed25519", hash: null },
  PKIX_RSA_PKCS1V15_2048_SHA256: { algorithm: "rsa-pkcs1", hash: "sha256" },
  PKIX_RSA_PKCS1V15_3072_SHA256: { algorithm: "rsa-pkcs1", hash: "sha256" },
  PKIX_RSA_PKCS1V15_4096_SHA256: { algorithm: "rsa-pkcs1", hash: "sha256" },
  PKIX_RSA_PSS_2048_SHA256: { algorithm: "rsa-pss", hash: "sha256" },
  PKIX_RSA_PSS_3072_SHA256: { algorithm: "rsa-pss", hash: "sha256" },
  PKIX_RSA_PSS_4096_SHA256: { algorithm: "rsa-pss", hash: "sha256" },
  // Deprecated names still found in older trusted roots.
  PKIX_RSA_PKCS1V5: { algorithm: "rsa-pkcs1", hash: "sha256" },
  PKIX_RSA_PSS: { algorithm: "rsa-pss", hash: "sha256" },
};

const RSA_BITS: Record<string, number> = {
  PKIX_RSA_PKCS1V15_2048_SHA256: 2048,
  PKIX_RSA_PKCS1V15_3072_SHA256: 3072,
  PKIX_RSA_PKCS1V15_4096_SHA256: 4096,
  PKIX_RSA_PSS_2048_SHA256: 2048,
  PKIX_RSA_PSS_3072_SHA256: 3072,
  PKIX_RSA_PSS_4096_SHA256: 4096,
};

const CURVE_HASH: Record<string, Algorithm> = {
  prime256v1: DETAILS.PKIX_ECDSA_P256_SHA_256!,
  secp384r1: DETAILS.PKIX_ECDSA_P384_SHA_384!,
  secp521r1: DETAILS.PKIX_ECDSA_P521_SHA_512!,
};

// Trust material is parsed once and reused across many verifications: the KeyObject is cached per DER array.
const cache = new WeakMap<Uint8Array, Map<string, VerificationKey>>();

/**
 * Loads a SubjectPublicKeyInfo (DER) for verification with the algorithm `keyDetails` names. An empty or
 * "PUBLIC_KEY_DETAILS_UNSPECIFIED" details value takes the key's natural algorithm (ECDSA with the curve's hash,
 * Ed25519, RSA PKCS#1 v1.5 SHA-256), as older trusted roots leave it out.
 *
 * @throws VouchError INPUT_MALFORMED when the DER is not a public key or the key does not match its details;
 *   INPUT_UNSUPPORTED_FORMAT for algorithms vouch does not verify.
 */
export function loadVerificationKey(publicKeyDer: Uint8Array, keyDetails: string): VerificationKey {
  let byDetails = cache.get(publicKeyDer);
  const cached = byDetails?.get(keyDetails);
  if (cached !== undefined) return cached;

  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(publicKeyDer), format: "der", type: "spki" });
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "public key is not a DER SubjectPublicKeyInfo", { cause: error });
  }
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  let algorithm: Algorithm | undefined;
  if (keyDetails === "" || keyDetails === "PUBLIC_KEY_DETAILS_UNSPECIFIED") {
    if (type === "ec") algorithm = curve === undefined ? undefined : CURVE_HASH[curve];
    else if (type === "ed25519") algorithm = DETAILS.PKIX_ED25519;
    else if (type === "rsa") algorithm = DETAILS.PKIX_RSA_PKCS1V5;
    if (algorithm === undefined) {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `unsupported public key type ${type ?? "?"} ${curve ?? ""}`);
    }
  } else {
    algorithm = DETAILS[keyDetails];
    if (algorithm === undefined) {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `unsupported key algorithm ${keyDetails}`);
    }
    const expectedType = algorithm.algorithm === "ecdsa" ? "ec" : algorithm.algorithm === "ed25519" ? "ed25519" : "rsa";
    const wrongCurve = algorithm.curve !== undefined && curve !== algorithm.curve;
    const bits = RSA_BITS[keyDetails];
    const wrongSize = bits !== undefined && key.asymmetricKeyDetails?.modulusLength !== bits;
    if (type !== expectedType || wrongCurve || wrongSize) {
      const actual = `${type ?? "?"}${curve ? ` ${curve}` : ""}${key.asymmetricKeyDetails?.modulusLength ? ` ${key.asymmetricKeyDetails.modulusLength} bits` : ""}`;
      throw new VouchError("INPUT_MALFORMED", `public key is ${actual}, but its details say ${keyDetails}`);
    }
  }
  const spki = key.export({ type: "spki", format: "der" });
  const loaded: VerificationKey = {
    key,
    algorithm: algorithm.algorithm,
    hash: algorithm.hash,
    spkiDer: new Uint8Array(spki.buffer, spki.byteOffset, spki.byteLength),
  };
  if (byDetails === undefined) {
    byDetails = new Map();
    cache.set(publicKeyDer, byDetails);
  }
  byDetails.set(keyDetails, loaded);
  return loaded;
}

/**
 * Verifies `signature` over `data` (ECDSA signatures are ASN.1 DER, as Rekor and Fulcio write them). False for any
 * signature that does not verify, including malformed ones.
 */
export function verifySignature(key: VerificationKey, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.algorithm === "rsa-pss") {
      return verify(
        key.hash,
        data,
        { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(key.hash, data, key.key, signature);
  } catch {
    return false;
  }
}

/** The raw 32-byte Ed25519 public key (RFC 8032 encoding) of an Ed25519 VerificationKey. */
export function ed25519RawKey(key: VerificationKey): Uint8Array {
  if (key.algorithm !== "ed25519") throw new VouchError("INPUT_MALFORMED", "not an Ed25519 key");
  const jwk = key.key.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new VouchError("INPUT_MALFORMED", "not an Ed25519 key");
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}
