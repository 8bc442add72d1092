import type { KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import type * as NobleNist from "@noble/curves/nist.js";

/**
 * Verify an ECDSA signature over a digest the caller already has (`vouch verify sha256:<hex>`, the
 * sigstore-conformance digest form), without the artifact.
 *
 * node:crypto cannot do this: crypto.verify always hashes its input for EC keys. @noble/curves (audited, no
 * dependencies) verifies the digest as given. It is used only on this path; everything else verifies with
 * node:crypto, which is faster.
 *
 * Ed25519 signs the message itself (RFC 8032 PureEdDSA), so an Ed25519 signature cannot be checked from a digest:
 * false, and the caller says the artifact is needed.
 */
export function verifyPrehashed(key: KeyObject, hash: "sha256" | "sha384" | "sha512", digest: Uint8Array, signature: Uint8Array): boolean {
  if (key.asymmetricKeyType !== "ec") return false;
  const { p256, p384 } = noble();
  const jwk = key.export({ format: "jwk" });
  const curve = jwk.crv === "P-256" ? p256 : jwk.crv === "P-384" ? p384 : undefined;
  if (curve === undefined || jwk.x === undefined || jwk.y === undefined) return false;
  // The ECDSA digest length must be the one the key's signatures are made with (FIPS 186-5 §6.4.1 truncation would
  // otherwise let a SHA-512 digest stand in for a SHA-256 one).
  if ((curve === p256 && hash !== "sha256") || (curve === p384 && hash !== "sha384" && hash !== "sha256")) return false;
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  try {
    return curve.verify(signature, digest, point, { prehash: false, format: "der", lowS: false });
  } catch {
    return false; // malformed DER from a bundle is "does not verify", never a crash
  }
}

/**
 * @noble/curves/nist.js is 15 modules, loaded on the first digest-only verification rather than with the verifier:
 * every `vouch verify` and every library user would otherwise pay for it at start-up. require() of an ES module
 * (Node >= 22.12) keeps verifyPrehashed, and so verifyBundle, synchronous.
 */
let nist: typeof NobleNist | undefined;

function noble(): typeof NobleNist {
  nist ??= createRequire(import.meta.url)("@noble/curves/nist.js") as typeof NobleNist;
  return nist;
}
