import { constants, createHash, publicDecrypt, verify as cryptoVerify } from "node:crypto";
import { createRequire } from "node:module";
import type * as NobleEdwards from "@noble/curves/abstract/edwards.js";
import type * as NobleEd25519 from "@noble/curves/ed25519.js";
import type * as NobleNist from "@noble/curves/nist.js";
import { verifyPrehashed, verifyPrehashedWithPoint } from "../../core/crypto/prehash.js";
import { bytesEqual } from "../../core/x509/index.js";
import type { EntryVerifier, KeyType } from "./keys.js";

export type HashName = "sha256" | "sha384" | "sha512";

export const DIGEST_BYTES: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * The digest a hashedrekord signature must be made over for this key: Rekor's client signing algorithm registry
 * pairs each key type with one hash (PKIX_ECDSA_P256_SHA_256, PKIX_ECDSA_P384_SHA_384, PKIX_ECDSA_P521_SHA_512,
 * PKIX_RSA_PKCS1V15_*_SHA256, PKIX_ED25519_PH), and Rekor v1 refuses any other pair before it verifies
 * (pkg/api/entries.go checkEntryAlgorithms). A SHA-512 digest under a P-256 key would otherwise be truncated
 * (FIPS 186-5 §6.4.1) and let one signature stand for two digests.
 */
export function hashedRekordHash(keyType: KeyType): HashName {
  switch (keyType.type) {
    case "ecdsa":
      return keyType.curve === "P-256" ? "sha256" : keyType.curve === "P-384" ? "sha384" : "sha512";
    case "rsa":
      return "sha256";
    case "ed25519":
      return "sha512";
  }
}

/**
 * Verifies a signature over a digest the client computed (hashedrekord: the log never sees the artifact).
 *
 * - ECDSA: the digest is the ECDSA input (src/core/crypto/prehash.ts; P-521 with @noble/curves directly, which
 *   that helper does not cover).
 * - RSA PKCS#1 v1.5: the recovered encoded message must be exactly DigestInfo(hash, digest) (RFC 8017 §8.2.2,
 *   comparing encodings as §9.2 Note 2 recommends) and the signature as long as the modulus, as Go requires.
 * - Ed25519: a pure Ed25519 signature covers the message and cannot be checked from a digest. Rekor accepts only
 *   Ed25519ph (RFC 8032 §5.1, HashEdDSA over SHA-512) here: hashedrekord verifies with sigstore's
 *   LoadVerifierWithOpts(..., options.WithED25519ph()), whose ED25519phVerifier supports SHA-512 alone.
 */
export function verifyDigest(verifier: EntryVerifier, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  if (digest.length !== DIGEST_BYTES[hash]) return false;
  // `verifier.key` is read only where needed: for a canonical EC key it is made on first read (keys.ts withLazyKey).
  const { keyType } = verifier;
  switch (keyType.type) {
    case "ecdsa":
      if (keyType.curve === "P-521") return verifyP521(verifier, digest, signature);
      // The point from the canonical SPKI when there is one (no KeyObject, no export of the key to read it back).
      return verifier.ecPoint === undefined ? verifyPrehashed(verifier.key, hash, digest, signature) : verifyPrehashedWithPoint(keyType.curve, verifier.ecPoint, hash, digest, signature);
    case "rsa":
      return verifyRsaDigest(verifier, hash, digest, signature);
    case "ed25519":
      return hash === "sha512" && verifyEd25519ph(verifier, digest, signature);
  }
}

/**
 * Verifies a signature over a whole message (the DSSE pre-authentication encoding): ECDSA and RSA PKCS#1 v1.5 with
 * `hash`, Ed25519 pure (RFC 8032 PureEdDSA ignores `hash`).
 */
export function verifyMessage(verifier: EntryVerifier, hash: HashName, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (verifier.keyType.type === "ed25519") return cryptoVerify(null, message, verifier.key, signature);
    return cryptoVerify(hash, message, { key: verifier.key, padding: constants.RSA_PKCS1_PADDING, dsaEncoding: "der" }, signature);
  } catch {
    return false; // malformed signature bytes: "does not verify", never a crash
  }
}

// DigestInfo DER prefixes, RFC 8017 §9.2 Note 1.
const DIGEST_INFO: Record<HashName, string> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

function verifyRsaDigest(verifier: EntryVerifier, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  if (verifier.keyType.type !== "rsa" || signature.length !== verifier.keyType.bits / 8) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: verifier.key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  const expected = Buffer.concat([Buffer.from(DIGEST_INFO[hash], "hex"), digest]);
  return bytesEqual(recovered, expected);
}

function verifyP521(verifier: EntryVerifier, digest: Uint8Array, signature: Uint8Array): boolean {
  let point = verifier.ecPoint;
  if (point === undefined) {
    const jwk = verifier.key.export({ format: "jwk" });
    if (jwk.x === undefined || jwk.y === undefined) return false;
    point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  }
  try {
    return noble<typeof NobleNist>("nist").p521.verify(signature, digest, point, { prehash: false, format: "der", lowS: false });
  } catch {
    return false;
  }
}

/**
 * Ed25519ph with the SHA-512 prehash already applied by the client: noble's Ed25519 with the RFC 8032 dom2 prefix
 * (phflag 1, empty context) and an identity "prehash", since the digest is what we were given. RFC 8032 strict
 * decoding (zip215 false), as Go's crypto/ed25519 rejects non-canonical S.
 */
let ed25519phOverDigest: ReturnType<typeof NobleEdwards.eddsa> | undefined;

function ed25519ph(): ReturnType<typeof NobleEdwards.eddsa> {
  ed25519phOverDigest ??= noble<typeof NobleEdwards>("abstract/edwards").eddsa(noble<typeof NobleEd25519>("ed25519").ed25519.Point, sha512, {
    domain: (data: Uint8Array, ctx: Uint8Array, phflag: boolean) => {
      if (ctx.length > 255) throw new Error("Ed25519 context is too long");
      return Buffer.concat([Buffer.from("SigEd25519 no Ed25519 collisions", "latin1"), Buffer.from([phflag ? 1 : 0, ctx.length]), ctx, data]);
    },
    prehash: (digest: Uint8Array) => digest,
    zip215: false,
  });
  return ed25519phOverDigest;
}

/**
 * @noble/curves modules load on the first digest-only verification that needs them, not with the log (as
 * src/core/crypto/prehash.ts does, for start-up time); require() of an ES module keeps verification synchronous.
 */
const load = createRequire(import.meta.url);

function noble<T>(module: "nist" | "ed25519" | "abstract/edwards"): T {
  return load(`@noble/curves/${module}.js`) as T;
}

function sha512(data: Uint8Array): Uint8Array {
  return createHash("sha512").update(data).digest();
}

function verifyEd25519ph(verifier: EntryVerifier, digest: Uint8Array, signature: Uint8Array): boolean {
  const jwk = verifier.key.export({ format: "jwk" });
  if (jwk.x === undefined) return false;
  try {
    return ed25519ph().verify(signature, digest, Buffer.from(jwk.x, "base64url"), { zip215: false });
  } catch {
    return false;
  }
}
