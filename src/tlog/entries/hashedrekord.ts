import { base64, encodeBase64, field, invalid, object, quote, string, type Json } from "./fields.js";
import { canonicalPem, verifierFromPem, type Built, type EntryVerifier } from "./keys.js";
import { DIGEST_BYTES, hashedRekordHash, verifyDigest, type HashName } from "./signature.js";
import { keyDetailsHash, parseV2Verifier, v2VerifierJson, V2_HASH_NAMES } from "./v2-verifier.js";

const V1_HASHES = new Set<string>(["sha256", "sha384", "sha512"]);

/**
 * hashedrekord 0.0.1 (sigstore/rekor pkg/types/hashedrekord/v0.0.1/entry.go): a signature over a digest, with the
 * signer's PEM key or certificate. Rekor decodes, checks the hash length, verifies, then stores (Canonicalize) only
 * data.hash as given, the signature bytes, and the key's canonical PEM; `data.content` and a key URL are dropped.
 *
 *   proposed: {data: {hash: {algorithm, value (hex)}}, signature: {content (b64), publicKey: {content (b64 PEM)}}}
 *   stored:   the same shape, publicKey.content re-encoded (keyObj.CanonicalValue()).
 */
export function hashedRekordV001(spec: Json): Built {
  const hash = object(field(object(field(spec, "data"), "spec.data"), "hash"), "spec.data.hash");
  const algorithm = string(field(hash, "algorithm"), "spec.data.hash.algorithm");
  if (!V1_HASHES.has(algorithm)) throw invalid(`spec.data.hash.algorithm ${quote(algorithm)} is not sha256, sha384 or sha512`);
  const hashName = algorithm as HashName;
  const value = string(field(hash, "value"), "spec.data.hash.value");
  // Rekor: len(value) must be twice the digest size, then hex.DecodeString (either case; the value is stored as given).
  if (value.length !== DIGEST_BYTES[hashName] * 2 || !/^[0-9a-fA-F]*$/.test(value)) {
    throw invalid(`spec.data.hash.value is not a ${DIGEST_BYTES[hashName]}-byte hex ${algorithm} digest`);
  }
  const sigObj = object(field(spec, "signature"), "spec.signature");
  const signature = base64(field(sigObj, "content"), "spec.signature.content");
  const keyPath = "spec.signature.publicKey.content";
  const verifier = verifierFromPem(base64(field(object(field(sigObj, "publicKey"), "spec.signature.publicKey"), "content"), keyPath), keyPath);

  checkDigestSignature(verifier, hashName, new Uint8Array(Buffer.from(value, "hex")), signature, keyPath, "spec.signature.content");
  return {
    spec: {
      data: { hash: { algorithm, value } },
      signature: { content: encodeBase64(signature), publicKey: { content: Buffer.from(canonicalPem(verifier), "latin1").toString("base64") } },
    },
    verifiers: [verifier],
  };
}

/**
 * hashedrekord 0.0.2 (sigstore/rekor-tiles pkg/types/hashedrekord/hashedrekord.go ToLogEntry): the request's
 * digest and Signature; the hash comes from the verifier's keyDetails (GetAlgorithmDetails), the digest must be
 * that hash's size, and the signature verifies over it (Ed25519 only as Ed25519ph). The entry keeps the request's
 * Signature as sent and data {algorithm: the proto hash name, digest}.
 *
 *   request: {digest (b64), signature: {content (b64), verifier: {publicKey: {rawBytes} | x509Certificate: {rawBytes}, keyDetails}}}
 *   stored:  spec.hashedRekordV002 = {data: {algorithm, digest}, signature: {content, verifier}} (protojson field names)
 */
export function hashedRekordV002(request: Json, path: string): Built {
  const digest = base64(field(request, "digest"), `${path}.digest`);
  const sigPath = `${path}.signature`;
  const sigObj = object(field(request, "signature"), sigPath);
  const signature = base64(field(sigObj, "content"), `${sigPath}.content`);
  const verifier = parseV2Verifier(field(sigObj, "verifier"), `${sigPath}.verifier`);
  const hash = keyDetailsHash(verifier, `${sigPath}.verifier.keyDetails`, "digest");
  if (digest.length !== DIGEST_BYTES[hash]) {
    throw invalid(`${path}.digest is ${digest.length} bytes; ${verifier.keyDetails} signs ${DIGEST_BYTES[hash]}-byte ${hash} digests`);
  }
  checkDigestSignature(verifier.entry, hash, digest, signature, `${sigPath}.verifier`, `${sigPath}.content`);
  return {
    spec: {
      hashedRekordV002: {
        data: { algorithm: V2_HASH_NAMES[hash], digest: encodeBase64(digest) },
        signature: { content: encodeBase64(signature), verifier: v2VerifierJson(verifier) },
      },
    },
    verifiers: [verifier.entry],
  };
}

function checkDigestSignature(verifier: EntryVerifier, hash: HashName, digest: Uint8Array, signature: Uint8Array, keyPath: string, sigPath: string): void {
  const expected = hashedRekordHash(verifier.keyType);
  if (hash !== expected) {
    const what = verifier.keyType.type === "ed25519" ? "Ed25519 (hashedrekord needs Ed25519ph over a SHA-512 digest)" : keyName(verifier);
    throw invalid(`${keyPath} is ${what}, which signs ${expected} digests, not ${hash}`);
  }
  if (!verifyDigest(verifier, hash, digest, signature)) throw invalid(`${sigPath} does not verify with ${keyPath} over the digest`);
}

function keyName(verifier: EntryVerifier): string {
  const t = verifier.keyType;
  return t.type === "ecdsa" ? `an ECDSA ${t.curve} key` : t.type === "rsa" ? `a ${t.bits}-bit RSA key` : "an Ed25519 key";
}
