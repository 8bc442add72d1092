import type { KeyObject } from "node:crypto";
import type { Certificate } from "./certificate.js";
import { bytesEqual } from "./der.js";
import { isSupported, publicKey, verifySignature } from "./signature.js";

/** The certificate's subject public key as a node:crypto KeyObject (cached by SPKI bytes). */
export function certificateKey(cert: Certificate): KeyObject {
  return publicKey(cert.publicKeyDer);
}

const MAX_RESULTS = 4096;
/** "child fingerprint:issuer fingerprint" → verified. Only successes are cached; failures are rare and cheap to redo. */
const verified = new Set<string>();

/**
 * Whether `issuer` issued `cert`: the issuer's subject name is the certificate's issuer name, byte for byte
 * (RFC 5280 §6.1.3 (a)(4); stricter than name normalization), and the issuer's key verifies the signature over the
 * exact TBS bytes (§6.1.3 (a)(1)). Pure predicate over parsed certificates; results are cached per pair, so the
 * Fulcio intermediate's signature on a leaf seen before is not checked twice.
 */
export function verifyIssuedBy(cert: Certificate, issuer: Certificate): boolean {
  if (!bytesEqual(cert.issuer.der, issuer.subject.der)) return false;
  const alg = cert.signatureAlgorithm;
  if (!isSupported(alg)) return false;
  const id = `${cert.fingerprint}:${issuer.fingerprint}`;
  if (verified.has(id)) return true;
  let key: KeyObject;
  try {
    key = certificateKey(issuer);
  } catch {
    return false;
  }
  const ok = verifySignature(key, alg, cert.tbs, cert.signature);
  if (ok) {
    if (verified.size >= MAX_RESULTS) verified.delete(verified.values().next().value!);
    verified.add(id);
  }
  return ok;
}
