import { createHash } from "node:crypto";
import { VouchError } from "../../core/errors.js";
import {
  bytesEqual,
  hex,
  parseSctList,
  precertificateTbs,
  publicKey,
  sctSignedData,
  verifySignature,
  type Certificate,
  type HashName,
  type SignatureAlgorithm,
  type SignedCertificateTimestamp,
} from "../../core/x509/index.js";
import type { TransparencyLogInstance } from "../../bundle/types.js";
import { evidenceCertificate, formatPeriod, withinValidity } from "./path.js";

export interface VerifiedSct {
  /** SHA-256 of the CT log's key (RFC 6962 §3.2 LogID). */
  logId: Uint8Array;
  /** The trusted root's name for the log. */
  logUrl: string;
  /** When the log promised to include the precertificate. */
  timestamp: Date;
}

/**
 * Verifies the SCTs embedded in a Fulcio leaf (RFC 6962 §3.3) against the trusted root's CT logs, and requires at
 * least `threshold` of them, from distinct logs, to verify (Sigstore client spec: the certificate was publicly
 * logged).
 *
 * Each SCT is a log's signature over the precertificate (RFC 6962 §3.2): the leaf's TBS without the SCT extension,
 * bound to the SHA-256 of the issuer's SubjectPublicKeyInfo. The log is selected by the SCT's log ID and must be
 * valid (trusted-root `validFor`, inclusive) at the SCT's timestamp.
 *
 * - An SCT that names a trusted log but whose signature does not verify is evidence of tampering: VERIFY_SCT at once.
 * - An SCT from a log the trusted root does not list (or lists only for another time) proves nothing and is not
 *   counted; if that leaves fewer than `threshold`, VERIFY_SCT names it.
 *
 * @example
 *   const chain = verifyCertificateChain(certs, root.certificateAuthorities, signedAt);
 *   verifyScts(chain.leaf, chain.issuer, root.ctlogs, 1); // [{ logUrl: "https://ctfe.sigstore.dev/2022", ... }]
 */
export function verifyScts(
  leafInput: Uint8Array | Certificate,
  issuerInput: Uint8Array | Certificate,
  ctlogs: readonly TransparencyLogInstance[],
  threshold = 1,
): VerifiedSct[] {
  const leaf = evidenceCertificate(leafInput, "the signing certificate", "VERIFY_SCT");
  const issuer = evidenceCertificate(issuerInput, "the issuing certificate", "VERIFY_SCT");
  if (leaf.sctList === undefined) {
    if (threshold > 0) throw fail(`the signing certificate has no embedded SCTs (${threshold} required)`);
    return [];
  }
  let scts: SignedCertificateTimestamp[];
  try {
    scts = parseSctList(leaf.sctList);
  } catch (err) {
    throw new VouchError("VERIFY_SCT", `the signing certificate's SCT list is malformed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }

  const issuerKeyHash = createHash("sha256").update(issuer.publicKeyDer).digest();
  const tbs = precertificateTbs(leaf);
  const verified = new Map<string, VerifiedSct>();
  const notCounted: string[] = [];
  for (const sct of scts) {
    const logHex = hex(sct.logId);
    if (sct.version !== 0) {
      notCounted.push(`an SCT of unknown version ${sct.version} from log ${logHex}`);
      continue;
    }
    // RFC 6962 timestamps are milliseconds; anything Date cannot hold is not a real SCT time.
    if (sct.timestamp > 8_640_000_000_000_000n) {
      notCounted.push(`an SCT from log ${logHex} with an impossible timestamp`);
      continue;
    }
    const time = new Date(Number(sct.timestamp));
    const logs = ctlogs.filter((log) => bytesEqual(log.logId, sct.logId));
    if (logs.length === 0) {
      notCounted.push(`an SCT from log ${logHex}, which the trusted root does not list`);
      continue;
    }
    const current = logs.filter((log) => withinValidity(log.validFor, time));
    if (current.length === 0) {
      notCounted.push(
        `an SCT from ${logs[0]!.baseUrl} at ${time.toISOString()}, outside the log's validity in the trusted root (${logs.map((l) => formatPeriod(l.validFor)).join("; ")})`,
      );
      continue;
    }
    const alg = sctAlgorithm(sct);
    if (alg === undefined) {
      notCounted.push(`an SCT from ${current[0]!.baseUrl} with unsupported algorithm (hash ${sct.hashAlgorithm}, signature ${sct.signatureAlgorithm})`);
      continue;
    }
    const data = sctSignedData(sct, issuerKeyHash, tbs);
    const log = current.find((l) => verifySignature(publicKey(l.publicKeyDer), alg, data, sct.signature));
    if (log === undefined) {
      throw fail(`the SCT from CT log ${current[0]!.baseUrl} (timestamp ${time.toISOString()}) does not verify: the signature does not match this certificate`);
    }
    if (!verified.has(logHex)) verified.set(logHex, { logId: sct.logId, logUrl: log.baseUrl, timestamp: time });
  }
  if (verified.size < threshold) {
    throw fail(
      `${verified.size} SCT(s) from distinct trusted CT logs verified, ${threshold} required` +
        (notCounted.length > 0 ? `; not counted: ${notCounted.join("; ")}` : ""),
    );
  }
  return [...verified.values()];
}

const TLS_HASHES: Readonly<Record<number, HashName>> = { 4: "sha256", 5: "sha384", 6: "sha512" };

/** RFC 5246 §7.4.1.4.1 SignatureAndHashAlgorithm (and RFC 8422 ed25519 = 7 with "intrinsic" hash 8). */
function sctAlgorithm(sct: SignedCertificateTimestamp): SignatureAlgorithm | undefined {
  if (sct.signatureAlgorithm === 7 && sct.hashAlgorithm === 8) return { oid: "1.3.101.112", name: "Ed25519", kind: "ed25519" };
  const hash = Object.hasOwn(TLS_HASHES, sct.hashAlgorithm) ? TLS_HASHES[sct.hashAlgorithm] : undefined;
  if (hash === undefined) return undefined;
  if (sct.signatureAlgorithm === 3) return { oid: "", name: `ecdsa-${hash}`, kind: "ecdsa", hash };
  if (sct.signatureAlgorithm === 1) return { oid: "", name: `rsa-pkcs1-${hash}`, kind: "rsa-pkcs1", hash };
  return undefined;
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_SCT", message);
}
