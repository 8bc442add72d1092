import { createHash } from "node:crypto";
import { ed25519RawKey, type VerificationKey } from "./public-key.js";

// C2SP signed-note signature types: 0x01 Ed25519; 0xff "undefined" followed by an algorithm identifier string.
const ED25519_TYPE = 0x01;
const UNDEFINED_TYPE = 0xff;
const RSA_IDENTIFIER = "PKIX-RSA-PKCS#1v1.5";

/**
 * The 4-byte key ID a signature line carries for `key` under key name `name`.
 *
 * - Ed25519 (C2SP signed-note): SHA-256(name || "\n" || 0x01 || 32-byte public key)[:4].
 * - ECDSA: SHA-256(SubjectPublicKeyInfo DER)[:4], which is also the first 4 bytes of the Rekor v1 log ID. This is
 *   not the C2SP recommended form (it ignores the name); it is what Rekor v1 and rekor-tiles (pkg/note
 *   ecdsaKeyHash) write, so it is what verifiers must expect.
 * - RSA (rekor-tiles pkg/note rsaKeyHash): SHA-256(name || "\n" || 0xff || "PKIX-RSA-PKCS#1v1.5" || SPKI DER)[:4].
 */
export function noteKeyId(name: string, key: VerificationKey): Uint8Array {
  let byName = cache.get(key);
  const cached = byName?.get(name);
  if (cached !== undefined) return cached;
  const id = computeKeyId(name, key);
  if (byName === undefined) {
    byName = new Map();
    cache.set(key, byName);
  }
  // Names come from attacker-supplied signature lines when the verifier accepts any name: bound the cache.
  if (byName.size < 16) byName.set(name, id);
  return id;
}

// Verification keys are loaded once per trusted root and reused: so are their key IDs.
const cache = new WeakMap<VerificationKey, Map<string, Uint8Array>>();

function computeKeyId(name: string, key: VerificationKey): Uint8Array {
  const hash = createHash("sha256");
  switch (key.algorithm) {
    case "ecdsa":
      hash.update(key.spkiDer);
      break;
    case "ed25519":
      hash.update(name).update("\n").update(Uint8Array.of(ED25519_TYPE)).update(ed25519RawKey(key));
      break;
    case "rsa-pkcs1":
    case "rsa-pss":
      hash.update(name).update("\n").update(Uint8Array.of(UNDEFINED_TYPE)).update(RSA_IDENTIFIER).update(key.spkiDer);
      break;
  }
  return new Uint8Array(hash.digest().subarray(0, 4));
}
