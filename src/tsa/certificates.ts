import { createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { caCertificateTbs, encodeName, endEntityCertificateTbs, randomSerial, signCertificateWithKey } from "../ca/certificates.js";
import { OID } from "../core/x509/oids.js";

/**
 * The certificate chain a fresh TSA gets on first start, shaped like sigstore/timestamp-authority's generated chain
 * (pkg/signer/memory.go, NewTimestampingCertWithChain) minus its intermediate: a self-signed root CA, and the signing
 * certificate with keyUsage digitalSignature and a critical extendedKeyUsage of timeStamping only (RFC 3161 §2.3:
 * "The corresponding certificate MUST contain only one instance of the extended key usage field extension ... with
 * KeyPurposeID having value id-kp-timeStamping. This extension MUST be critical.").
 *
 * The root's private key signs the leaf and is then dropped: it is not needed to timestamp, and a key that does not
 * exist cannot leak. Replacing the signing certificate means a new chain and a new trusted-root entry (or an operator
 * supplies their own chain.pem issued by their CA).
 */

export type TsaKeyAlgorithm = "ecdsa-p256" | "ecdsa-p384";

export interface TsaChainOptions {
  /** The signing key the leaf certifies (its public half goes into the leaf). */
  signingKey: KeyObject;
  /** Signs the root and the leaf, then is discarded by the caller. Same curve as the signing key. */
  rootKey: KeyObject;
  now: Date;
  organization?: string;
  commonName?: string;
  /** Validity of both certificates, from `now` (default 10 years, like timestamp-authority's generated root). */
  validityDays?: number;
  random?: (n: number) => Uint8Array;
}

const DAY_MS = 24 * 3600 * 1000;
const SIGNATURE_OID: Record<TsaKeyAlgorithm, string> = {
  "ecdsa-p256": "1.2.840.10045.4.3.2", // ecdsa-with-SHA256 (RFC 5758 §3.2)
  "ecdsa-p384": "1.2.840.10045.4.3.3", // ecdsa-with-SHA384
};
const DIGEST: Record<TsaKeyAlgorithm, "sha256" | "sha384"> = { "ecdsa-p256": "sha256", "ecdsa-p384": "sha384" };

/** The TSA's curve, or undefined for a key the TSA cannot sign with (only ECDSA P-256/P-384: what Sigstore verifiers take). */
export function tsaKeyAlgorithm(key: KeyObject): TsaKeyAlgorithm | undefined {
  if (key.asymmetricKeyType !== "ec") return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === "prime256v1" ? "ecdsa-p256" : curve === "secp384r1" ? "ecdsa-p384" : undefined;
}

export function signatureOid(algorithm: TsaKeyAlgorithm): string {
  return SIGNATURE_OID[algorithm];
}

export function signatureDigest(algorithm: TsaKeyAlgorithm): "sha256" | "sha384" {
  return DIGEST[algorithm];
}

/** [leaf, root] DER, built with the CA's X.509 builders (src/ca/certificates.ts). */
export function createTsaChain(options: TsaChainOptions): [Uint8Array, Uint8Array] {
  const algorithm = tsaKeyAlgorithm(options.rootKey);
  if (algorithm === undefined || tsaKeyAlgorithm(options.signingKey) === undefined) throw new Error("TSA keys must be ECDSA P-256 or P-384");
  const random = options.random ?? randomBytes;
  const organization = options.organization ?? "vouch";
  const commonName = options.commonName ?? `${organization} timestamp authority`;
  // Valid from a little before now, like timestamp-authority (-5 min): a client clock slightly behind still accepts.
  const notBefore = new Date(Math.floor(options.now.getTime() / 1000) * 1000 - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 3650) * DAY_MS);
  const rootSpki = spki(options.rootKey);
  const rootSubject = { O: organization, CN: `${commonName} root` };
  const common = { signatureAlgorithm: algorithm, notBefore, notAfter, issuer: encodeName(rootSubject), issuerPublicKeyDer: rootSpki };
  const root = signCertificateWithKey(
    caCertificateTbs({ ...common, subject: rootSubject, subjectPublicKeyDer: rootSpki, pathLength: 0, serial: randomSerial(random) }),
    options.rootKey,
  );
  const leaf = signCertificateWithKey(
    endEntityCertificateTbs({
      ...common,
      subject: { O: organization, CN: commonName },
      subjectPublicKeyDer: spki(options.signingKey),
      // RFC 3161 §2.3: exactly timeStamping, critical (vouch's verifier and openssl ts -verify both insist).
      extendedKeyUsage: OID.ekuTimeStamping,
      extendedKeyUsageCritical: true,
      serial: randomSerial(random),
    }),
    options.rootKey,
  );
  return [leaf, root];
}

function spki(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
}
