import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { DIGEST_OIDS } from "./oids.js";
import { expectSeq, explicitInner, isContext, isUniversal, malformed, oid, parseDer, smallInteger, TAG, type Der } from "./der.js";

export type HashName = "sha256" | "sha384" | "sha512";

/**
 * A signature algorithm, as named by an AlgorithmIdentifier (RFC 5280 §4.1.1.2, RFC 5758, RFC 4055, RFC 8410).
 * SHA-1 and MD5 based algorithms are not representable: a signature that depends on them never verifies.
 */
export type SignatureAlgorithm =
  | { oid: string; name: string; kind: "ecdsa"; hash: HashName }
  | { oid: string; name: string; kind: "rsa-pkcs1"; hash: HashName }
  | { oid: string; name: string; kind: "rsa-pss"; hash: HashName; saltLength: number }
  | { oid: string; name: string; kind: "ed25519" };

const SIMPLE: Readonly<Record<string, SignatureAlgorithm>> = {
  "1.2.840.10045.4.3.2": { oid: "1.2.840.10045.4.3.2", name: "ecdsa-with-SHA256", kind: "ecdsa", hash: "sha256" },
  "1.2.840.10045.4.3.3": { oid: "1.2.840.10045.4.3.3", name: "ecdsa-with-SHA384", kind: "ecdsa", hash: "sha384" },
  "1.2.840.10045.4.3.4": { oid: "1.2.840.10045.4.3.4", name: "ecdsa-with-SHA512", kind: "ecdsa", hash: "sha512" },
  "1.2.840.113549.1.1.11": { oid: "1.2.840.113549.1.1.11", name: "sha256WithRSAEncryption", kind: "rsa-pkcs1", hash: "sha256" },
  "1.2.840.113549.1.1.12": { oid: "1.2.840.113549.1.1.12", name: "sha384WithRSAEncryption", kind: "rsa-pkcs1", hash: "sha384" },
  "1.2.840.113549.1.1.13": { oid: "1.2.840.113549.1.1.13", name: "sha512WithRSAEncryption", kind: "rsa-pkcs1", hash: "sha512" },
  "1.3.101.112": { oid: "1.3.101.112", name: "Ed25519", kind: "ed25519" },
};

const RSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";
/** rsaEncryption: CMS SignerInfo may name the key type only; the hash then comes from the digestAlgorithm. */
export const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";

/** Digest AlgorithmIdentifier (parameters absent or NULL) to a hash name; undefined for anything unsupported. */
export function digestAlgorithm(alg: Der, what: string): HashName | undefined {
  const seq = expectSeq(alg, what, 1, 2);
  const id = oid(seq.subs[0], `${what} algorithm`);
  if (seq.subs.length === 2 && !isUniversal(seq.subs[1]!, TAG.NULL)) throw malformed(what, "digest parameters must be absent or NULL");
  return Object.hasOwn(DIGEST_OIDS, id) ? DIGEST_OIDS[id] : undefined;
}

/**
 * Interprets a signature AlgorithmIdentifier. Returns a description of why it is unusable instead of throwing, so a
 * certificate with an exotic algorithm still parses (its signature simply never verifies).
 */
export function signatureAlgorithm(alg: Der, what: string): SignatureAlgorithm | { unsupported: string } {
  const seq = expectSeq(alg, what, 1, 2);
  const id = oid(seq.subs[0], `${what} algorithm`);
  const params = seq.subs[1];
  const known = Object.hasOwn(SIMPLE, id) ? SIMPLE[id] : undefined;
  if (known) {
    // RFC 5758 §3.2 / RFC 8410 §3: ECDSA and EdDSA parameters MUST be absent; RFC 4055 §5: RSA PKCS#1 v1.5 NULL.
    if (known.kind === "rsa-pkcs1") {
      if (params !== undefined && !isUniversal(params, TAG.NULL)) throw malformed(what, `${known.name} parameters must be NULL`);
    } else if (params !== undefined) {
      throw malformed(what, `${known.name} parameters must be absent`);
    }
    return known;
  }
  if (id === RSA_PSS) return pssParameters(params, what);
  return { unsupported: `signature algorithm ${id}` };
}

/** RFC 4055 §3.1 RSASSA-PSS-params; only MGF1 with the same hash, and trailerField 1, are accepted. */
function pssParameters(params: Der | undefined, what: string): SignatureAlgorithm | { unsupported: string } {
  if (params === undefined) return { unsupported: "RSASSA-PSS without parameters (SHA-1 defaults)" };
  const seq = expectSeq(params, `${what} RSASSA-PSS parameters`, 0, 4);
  let hash: HashName | undefined;
  let mgfHash: HashName | undefined;
  let saltLength = 20;
  let hashSeen = false;
  let mgfSeen = false;
  for (const field of seq.subs) {
    const inner = explicitInner(field, `${what} RSASSA-PSS field`);
    if (isContext(field, 0)) {
      hashSeen = true;
      hash = digestAlgorithm(inner, `${what} PSS hashAlgorithm`);
    } else if (isContext(field, 1)) {
      mgfSeen = true;
      const mgf = expectSeq(inner, `${what} PSS maskGenAlgorithm`, 2, 2);
      if (oid(mgf.subs[0], `${what} PSS maskGenAlgorithm`) !== MGF1) return { unsupported: "RSASSA-PSS with a mask generation function other than MGF1" };
      mgfHash = digestAlgorithm(mgf.subs[1]!, `${what} PSS MGF1 hash`);
    } else if (isContext(field, 2)) {
      saltLength = smallInteger(inner, `${what} PSS saltLength`, 1024);
    } else if (isContext(field, 3)) {
      if (smallInteger(inner, `${what} PSS trailerField`, 1024) !== 1) return { unsupported: "RSASSA-PSS trailerField other than 1" };
    } else {
      throw malformed(what, "unexpected field in RSASSA-PSS parameters");
    }
  }
  if (!hashSeen || !mgfSeen || hash === undefined || mgfHash === undefined) return { unsupported: "RSASSA-PSS with SHA-1 or an unknown hash" };
  // node:crypto uses MGF1 with the signature hash; a different MGF1 hash cannot be verified faithfully.
  if (hash !== mgfHash) return { unsupported: "RSASSA-PSS whose MGF1 hash differs from its message hash" };
  return { oid: RSA_PSS, name: `RSASSA-PSS-${hash.toUpperCase()}`, kind: "rsa-pss", hash, saltLength };
}

export function isSupported(alg: SignatureAlgorithm | { unsupported: string }): alg is SignatureAlgorithm {
  return !("unsupported" in alg);
}

// ---------------------------------------------------------------------------------------------------------------
// Keys and verification (node:crypto). Keys are cached: the same few CA, CT log and TSA keys verify every bundle.

const MAX_KEYS = 1024;
const keyCache = new Map<string, KeyObject>();

/**
 * A public key from SubjectPublicKeyInfo DER, cached by its bytes. Some trusted roots give an RSA key as a bare
 * PKCS#1 RSAPublicKey (the staging CT log's "PKCS1_RSA_PKCS1V5"); that form is accepted as a fallback.
 */
export function publicKey(der: Uint8Array): KeyObject {
  const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  const hit = keyCache.get(id);
  if (hit) return hit;
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: buf, format: "der", type: "spki" });
  } catch (spkiErr) {
    try {
      key = createPublicKey({ key: buf, format: "der", type: "pkcs1" });
    } catch {
      throw malformed("public key", `not a usable SubjectPublicKeyInfo (${spkiErr instanceof Error ? spkiErr.message : String(spkiErr)})`, spkiErr);
    }
  }
  if (keyCache.size >= MAX_KEYS) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/** Whether `key` can make signatures of `alg` (an ECDSA OID with an RSA key never verifies, whatever the bytes). */
function keyFits(key: KeyObject, alg: SignatureAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  switch (alg.kind) {
    case "ecdsa":
      return type === "ec";
    case "rsa-pkcs1":
      return type === "rsa";
    case "rsa-pss":
      return type === "rsa" || type === "rsa-pss";
    case "ed25519":
      return type === "ed25519";
  }
}

/** Verifies `signature` over `data` with `key` under `alg`; false for any mismatch (never throws on bad input). */
export function verifySignature(key: KeyObject, alg: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): boolean {
  if (!keyFits(key, alg)) return false;
  try {
    switch (alg.kind) {
      case "ecdsa":
        return cryptoVerify(alg.hash, data, { key, dsaEncoding: "der" }, signature);
      case "rsa-pkcs1":
        return cryptoVerify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case "rsa-pss":
        return cryptoVerify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength }, signature);
      case "ed25519":
        return cryptoVerify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}

/** Parses and interprets a standalone DER AlgorithmIdentifier. */
export function parseSignatureAlgorithm(der: Uint8Array): SignatureAlgorithm | { unsupported: string } {
  return signatureAlgorithm(parseDer(der, "AlgorithmIdentifier"), "AlgorithmIdentifier");
}
