import { VouchError } from "../../core/errors.js";
import { describeCertificate, OID, type Certificate } from "../../core/x509/index.js";
import type { CertificateAuthority } from "../../bundle/types.js";
import {
  authorityChain,
  authorityName,
  endEntityProblem,
  evidenceCertificate,
  formatPeriod,
  issuancePaths,
  issuerProblem,
  withinValidity,
} from "./path.js";

export interface VerifiedChain {
  /** The signing certificate. */
  leaf: Certificate;
  /** The certificate that issued the leaf (needed to verify its embedded SCTs, RFC 6962 §3.2). */
  issuer: Certificate;
  /** Leaf first, then the trusted authority's certificates up to its anchor. */
  path: Certificate[];
  /** The trusted-root authority the leaf chains to. */
  authority: CertificateAuthority;
}

/**
 * Verifies that the signing certificate chains to a certificate authority of the trusted root at `at`, the trusted
 * signing time (Sigstore client spec, "Certificate": the chain is checked at the time the signature was made, from
 * the transparency log or a signed timestamp, not at the current time). Bounds are inclusive.
 *
 * - `certs[0]` is the leaf. Any further certificates the bundle carries (v0.1/v0.2 `x509CertificateChain`) are not
 *   trusted and not used: only the authorities' own chains make a path, so a bundle cannot bring its own CA
 *   (sigstore-conformance bundle-from-wrong-instance_fail).
 * - The leaf: valid at `at`, not a CA, digitalSignature if keyUsage is present, the codeSigning EKU, no critical
 *   extension vouch does not process.
 * - The path: each issuer valid at `at`, a CA with keyCertSign, pathLenConstraint respected, EKU nesting.
 * - The authority: its `validFor` includes `at` (the root says when it trusted that CA).
 *
 * Throws VouchError VERIFY_CERTIFICATE_CHAIN saying what failed, e.g. "leaf certificate ... expired at T (signing
 * time S)". A trusted-root certificate that does not parse is INPUT_MALFORMED.
 *
 * @example
 *   const chain = verifyCertificateChain(bundle.material.certificates, root.certificateAuthorities, signedAt);
 *   verifyScts(chain.leaf, chain.issuer, root.ctlogs, 1);
 */
export function verifyCertificateChain(
  certs: readonly (Uint8Array | Certificate)[],
  cas: readonly CertificateAuthority[],
  at: Date,
): VerifiedChain {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new VouchError("INPUT_USAGE", "signing time is not a valid date");
  const first = certs[0];
  if (first === undefined) throw fail("the bundle carries no signing certificate");
  const leaf = evidenceCertificate(first, "the signing certificate", "VERIFY_CERTIFICATE_CHAIN");

  const leafProblem = endEntityProblem(leaf, {
    role: "leaf certificate",
    eku: OID.ekuCodeSigning,
    ekuName: "codeSigning",
    at,
    timeName: "signing time",
  });
  if (leafProblem) throw fail(leafProblem);

  // The first problem found on a path that does reach an authority: more telling than "does not chain".
  let chainedProblem: string | undefined;
  for (const ca of cas) {
    const chain = authorityChain(ca, "certificate authority");
    for (const path of issuancePaths(leaf, chain)) {
      if (path.length < 2) continue; // the leaf is the anchor itself: a CA listing a code-signing leaf as its root
      const problem = issuerProblem(path, OID.ekuCodeSigning, at, "signing time");
      if (problem) {
        chainedProblem ??= problem;
        continue;
      }
      if (!withinValidity(ca.validFor, at)) {
        chainedProblem ??= `the leaf certificate chains to certificate authority ${authorityName(ca)}, which the trusted root trusts from ${formatPeriod(ca.validFor)}, not at the signing time ${at.toISOString()}`;
        continue;
      }
      return { leaf, issuer: path[1]!, path, authority: ca };
    }
  }
  if (chainedProblem) throw fail(chainedProblem);
  throw fail(
    `leaf certificate ${describeCertificate(leaf)} (issuer "${leaf.issuer.text}") does not chain to any certificate authority of the trusted root` +
      (cas.length === 0 ? " (the trusted root lists none)" : ` (tried ${cas.map(authorityName).join(", ")})`),
  );
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_CERTIFICATE_CHAIN", message);
}
