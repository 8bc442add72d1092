import type { KeyObject } from "node:crypto";
import { verifyEcdsaDigest, verifyEcdsaDigestWithPoint } from "./ecdsa-digest.js";

/**
 * Verify an ECDSA signature over a digest the caller already has (`vouch verify sha256:<hex>`, the
 * sigstore-conformance digest form, and the log's hashedrekord entries), without the artifact.
 *
 * node:crypto cannot do this (crypto.verify always hashes its input for EC keys); ecdsa-digest.ts computes the
 * ECDSA verification equation with OpenSSL's scalar multiplication through ECDH, about 12x faster than the
 * pure-JS @noble/curves this used before (which its test now uses as the reference).
 *
 * Ed25519 signs the message itself (RFC 8032 PureEdDSA), so an Ed25519 signature cannot be checked from a digest:
 * false, and the caller says the artifact is needed.
 */
export function verifyPrehashed(key: KeyObject, hash: "sha256" | "sha384" | "sha512", digest: Uint8Array, signature: Uint8Array): boolean {
  if (key.asymmetricKeyType !== "ec") return false;
  const crv = CURVE_NAMES[key.asymmetricKeyDetails?.namedCurve ?? ""];
  if (!digestFits(crv, hash)) return false;
  return verifyEcdsaDigest(key, digest, signature);
}

/**
 * verifyPrehashed for a P-256 or P-384 key given as its uncompressed point 0x04 || X || Y (the tail of its canonical
 * SPKI), as the log holds a submitted key: the same answer, without reading the point back out of a KeyObject.
 */
export function verifyPrehashedWithPoint(
  curve: "P-256" | "P-384" | "P-521",
  point: Uint8Array,
  hash: "sha256" | "sha384" | "sha512",
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!digestFits(curve, hash)) return false;
  return verifyEcdsaDigestWithPoint(curve, point, digest, signature);
}

/**
 * The ECDSA digest length must be the one the key's signatures are made with (FIPS 186-5 §6.4.1 truncation would
 * otherwise let a SHA-512 digest stand in for a SHA-256 one). P-521 is not covered here.
 */
function digestFits(crv: string | undefined, hash: "sha256" | "sha384" | "sha512"): boolean {
  if (crv === "P-256") return hash === "sha256";
  if (crv === "P-384") return hash === "sha384" || hash === "sha256";
  return false;
}

/** OpenSSL curve names (KeyObject.asymmetricKeyDetails) to JWK names, without exporting the key. */
const CURVE_NAMES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };
