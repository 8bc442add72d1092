import { VouchError, type VerifyErrorCode } from "../../core/errors.js";
import { bytesEqual, describeCertificate, OID, parseCertificate, verifyIssuedBy, type Certificate } from "../../core/x509/index.js";
import type { CertificateAuthority, ValidityPeriod } from "../../bundle/types.js";

/**
 * Certification-path building and checking shared by the Fulcio chain (VERIFY_CERTIFICATE_CHAIN) and the TSA chain
 * (VERIFY_TIMESTAMP). Trust comes only from a CertificateAuthority of the trusted root: a path starts at the
 * end-entity certificate, goes through certificates of that authority's certChain, and ends at its last certificate
 * (the trust anchor). Certificates that arrive with the evidence are never path elements (RFC 5280 §6.1 with the
 * trusted root as the only source of intermediates).
 */

/** Parses a certificate that came with the evidence, rethrowing a parse failure under the step's code. */
export function evidenceCertificate(cert: Uint8Array | Certificate, what: string, code: VerifyErrorCode): Certificate {
  if (!(cert instanceof Uint8Array)) return cert;
  try {
    return parseCertificate(cert);
  } catch (err) {
    throw new VouchError(code, `${what} is not a valid X.509 certificate: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** A trusted authority's chain, parsed (cached by DER); a corrupt trusted root is unusable input. */
export function authorityChain(ca: CertificateAuthority, kind: string): Certificate[] {
  return ca.certChain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (err) {
      throw new VouchError(
        "INPUT_MALFORMED",
        `trusted root ${kind} ${authorityName(ca)}: certificate ${i} of its chain is not valid: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  });
}

export function authorityName(ca: CertificateAuthority): string {
  const name = ca.uri || [ca.subject.organization, ca.subject.commonName].filter(Boolean).join("/") || "(unnamed)";
  return `"${name}"`;
}

/** Inclusive at both ends (sigstore-conformance trust-root-tlog-validity-end-inclusive); no end = still valid. */
export function withinValidity(period: ValidityPeriod, at: Date): boolean {
  return period.start.getTime() <= at.getTime() && (period.end === undefined || at.getTime() <= period.end.getTime());
}

export function formatPeriod(period: ValidityPeriod): string {
  return `${period.start.toISOString()} to ${period.end === undefined ? "(no end)" : period.end.toISOString()}`;
}

/** Why `cert` is not valid at `at` (RFC 5280 §6.1.3 (a)(2), notBefore and notAfter inclusive), or undefined. */
export function validityProblem(cert: Certificate, role: string, at: Date, timeName: string): string | undefined {
  if (at.getTime() < cert.notBefore.getTime()) {
    return `${role} ${describeCertificate(cert)} is not valid before ${cert.notBefore.toISOString()} (${timeName} ${at.toISOString()})`;
  }
  if (at.getTime() > cert.notAfter.getTime()) {
    return `${role} ${describeCertificate(cert)} expired at ${cert.notAfter.toISOString()} (${timeName} ${at.toISOString()})`;
  }
  return undefined;
}

/**
 * Every issuance path from `leaf` to the anchor (the chain's last certificate) through certificates of `chain`,
 * each link checked by name and signature (verifyIssuedBy). Authority/subject key identifiers, when both present,
 * must agree (RFC 5280 §4.2.1.1) — a cheap filter before the signature check. Paths never repeat a certificate.
 */
export function issuancePaths(leaf: Certificate, chain: readonly Certificate[]): Certificate[][] {
  const anchor = chain[chain.length - 1];
  if (anchor === undefined) return [];
  const paths: Certificate[][] = [];
  const path: Certificate[] = [leaf];
  const walk = (current: Certificate): void => {
    if (current.fingerprint === anchor.fingerprint) {
      paths.push([...path]);
      return;
    }
    for (const candidate of chain) {
      if (path.some((p) => p.fingerprint === candidate.fingerprint)) continue;
      if (current.authorityKeyId && candidate.subjectKeyId && !bytesEqual(current.authorityKeyId, candidate.subjectKeyId)) continue;
      if (!verifyIssuedBy(current, candidate)) continue;
      path.push(candidate);
      walk(candidate);
      path.pop();
    }
  };
  walk(leaf);
  return paths;
}

/** Extension checks shared by every certificate of a path: nothing critical that vouch does not understand. */
function criticalProblem(cert: Certificate, role: string): string | undefined {
  if (cert.unhandledCriticalExtensions.length === 0) return undefined;
  // RFC 5280 §4.2: a certificate with an unrecognized critical extension MUST be rejected (e.g. name constraints,
  // which vouch does not evaluate, must not be silently ignored).
  return `${role} ${describeCertificate(cert)} has critical extension(s) vouch does not process: ${cert.unhandledCriticalExtensions.join(", ")}`;
}

export interface EndEntityRequirements {
  /** Role in messages: "leaf certificate", "TSA signing certificate". */
  role: string;
  /** Extended key usage the end entity must list explicitly (codeSigning, timeStamping). */
  eku: string;
  ekuName: string;
  /** The time the certificate must be valid at, and what to call it in messages. */
  at: Date;
  timeName: string;
}

/** End-entity checks that do not depend on the path: validity, key usage, EKU, not a CA. */
export function endEntityProblem(cert: Certificate, req: EndEntityRequirements): string | undefined {
  const { role } = req;
  const time = validityProblem(cert, role, req.at, req.timeName);
  if (time) return time;
  // A CA certificate signing artifacts or timestamps is a misissuance signal: end entities must not be CAs.
  if (cert.isCA) return `${role} ${describeCertificate(cert)} is a CA certificate (basicConstraints cA=true)`;
  if (cert.keyUsage && !cert.keyUsage.digitalSignature) return `${role} ${describeCertificate(cert)} keyUsage does not allow digitalSignature`;
  if (!cert.extKeyUsage?.includes(req.eku)) return `${role} ${describeCertificate(cert)} does not have the ${req.ekuName} extended key usage`;
  return criticalProblem(cert, role);
}

/**
 * Checks the issuers of a path (path[1..], path[0] being the end entity): each valid at `at`, a CA (basicConstraints
 * cA=true, keyCertSign when keyUsage is present), its pathLenConstraint not exceeded by the intermediates below it
 * (RFC 5280 §6.1.4 (k), (l), (n)), and — as Go's x509 and so sigstore-go do — an issuer that restricts extended key
 * usage must allow the end entity's (or anyExtendedKeyUsage).
 */
export function issuerProblem(path: readonly Certificate[], eku: string, at: Date, timeName: string): string | undefined {
  for (let i = 1; i < path.length; i++) {
    const cert = path[i]!;
    const role = i === path.length - 1 ? "root certificate" : "intermediate certificate";
    const time = validityProblem(cert, role, at, timeName);
    if (time) return time;
    if (!cert.isCA) return `${role} ${describeCertificate(cert)} is not a CA (basicConstraints cA is not true)`;
    if (cert.keyUsage && !cert.keyUsage.keyCertSign) return `${role} ${describeCertificate(cert)} keyUsage does not allow keyCertSign`;
    const below = i - 1; // intermediate CA certificates between this one and the end entity
    if (cert.pathLen !== undefined && below > cert.pathLen) {
      return `${role} ${describeCertificate(cert)} allows ${cert.pathLen} intermediate certificate(s) below it, the path has ${below}`;
    }
    if (cert.extKeyUsage && !cert.extKeyUsage.includes(eku) && !cert.extKeyUsage.includes(OID.ekuAny)) {
      return `${role} ${describeCertificate(cert)} restricts extended key usage and does not allow ${eku}`;
    }
    const critical = criticalProblem(cert, role);
    if (critical) return critical;
  }
  return undefined;
}
