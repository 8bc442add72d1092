import { createHash } from "node:crypto";
import { VouchError } from "../../core/errors.js";
import {
  bytesEqual,
  certificateKey,
  describeCertificate,
  hex,
  isSupported,
  OID,
  parseCertificate,
  verifySignature,
  type Certificate,
} from "../../core/x509/index.js";
import type { CertificateAuthority } from "../../bundle/types.js";
import {
  authorityChain,
  authorityName,
  endEntityProblem,
  formatPeriod,
  issuancePaths,
  issuerProblem,
  withinValidity,
} from "../certificate/path.js";
import { parseTimestampToken, type TimestampToken } from "./token.js";

/**
 * Verifies an RFC 3161 signed timestamp over `signedBytes` and returns the time it attests (TSTInfo.genTime).
 * `signedBytes` is what the timestamp must cover: the artifact signature (message-signature bundles) or the DSSE
 * envelope's signature (Sigstore client spec, "Signed timestamps").
 *
 * 1. The token is CMS SignedData over a TSTInfo with one signer (RFC 3161 §2.4.2).
 * 2. messageImprint = hash(signedBytes): the timestamp is about this signature, not another.
 * 3. The signed attributes bind the TSTInfo: contentType = id-ct-TSTInfo, messageDigest = hash(TSTInfo)
 *    (RFC 5652 §5.4, §11), and an ESS signing-certificate attribute names the signer's certificate (RFC 3161 §2.4.1).
 * 4. The signer is a timestamp authority of the trusted root: when the authority's chain starts with its signing
 *    certificate, the token must be signed by exactly that certificate; otherwise an embedded certificate must chain
 *    to the authority's anchor. Certificates embedded in the token never add trust
 *    (sigstore-conformance rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail).
 * 5. The signature over the signed attributes verifies with the signer's key.
 * 6. At genTime — not now (rekor2-timestamp-with-expired-cert-chain passes) — every certificate of the path is
 *    valid, the signing certificate has the critical timeStamping EKU and no other (RFC 3161 §2.3), and the
 *    authority's validFor includes genTime (rekor2-timestamp-outside-trust-root-tsa-validity_fail).
 *
 * Throws VouchError VERIFY_TIMESTAMP saying which check failed.
 *
 * @example
 *   const signedAt = verifyTimestamp(bundle.timestamps[0], content.signature, root.timestampAuthorities);
 */
export function verifyTimestamp(tokenDer: Uint8Array, signedBytes: Uint8Array, tsas: readonly CertificateAuthority[]): Date {
  let token: TimestampToken;
  try {
    token = parseTimestampToken(tokenDer);
  } catch (err) {
    throw new VouchError("VERIFY_TIMESTAMP", `the signed timestamp is malformed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { signer } = token;
  const genTime = token.genTime;

  const imprint = createHash(token.messageImprint.hash).update(signedBytes).digest();
  if (!bytesEqual(imprint, token.messageImprint.digest)) {
    throw fail(`the timestamp covers other data: its message imprint (${token.messageImprint.hash}) is not the hash of the signature it should time`);
  }
  // RFC 5652 §11.1: the contentType attribute MUST equal the eContentType (id-ct-TSTInfo, checked at parse).
  if (signer.contentType !== OID.tstInfo) throw fail(`the timestamp's signed contentType attribute is ${signer.contentType}, not TSTInfo`);
  // RFC 5652 §11.2: messageDigest binds the signature to this TSTInfo; without it a TSTInfo could be swapped.
  if (!bytesEqual(createHash(signer.digest).update(token.tstInfo).digest(), signer.messageDigest)) {
    throw fail("the timestamp's signed messageDigest does not match its TSTInfo");
  }
  if (signer.signingCertificate === undefined) {
    throw fail("the timestamp has no ESS signing-certificate attribute naming its signer (RFC 3161 §2.4.1)");
  }
  if (!isSupported(signer.signatureAlgorithm)) throw fail(`the timestamp is signed with an unsupported ${signer.signatureAlgorithm.unsupported}`);

  const embedded = token.certificates.flatMap((der) => {
    try {
      return [parseCertificate(der)];
    } catch {
      return []; // an unparseable embedded certificate cannot be the signer; it adds nothing
    }
  });

  let problem: string | undefined;
  for (const tsa of tsas) {
    const chain = authorityChain(tsa, "timestamp authority");
    const pinned = chain[0] !== undefined && !chain[0].isCA ? chain[0] : undefined;
    const cert = pinned ? (signedBy(token, pinned) ? pinned : undefined) : embedded.find((c) => signedBy(token, c));
    if (cert === undefined) continue;

    const ess = signer.signingCertificate;
    if (!bytesEqual(createHash(ess.hash).update(cert.der).digest(), ess.certHash)) {
      problem ??= `the timestamp's signing-certificate attribute does not name ${describeCertificate(cert)} of timestamp authority ${authorityName(tsa)}`;
      continue;
    }
    if (!verifySignature(certificateKey(cert), signer.signatureAlgorithm, signer.signedAttributes, signer.signature)) {
      problem ??= `the timestamp's signature does not verify with ${describeCertificate(cert)} of timestamp authority ${authorityName(tsa)}`;
      continue;
    }
    const leafProblem = endEntityProblem(cert, {
      role: "TSA signing certificate",
      eku: OID.ekuTimeStamping,
      ekuName: "timeStamping",
      at: genTime,
      timeName: "timestamp time",
    });
    if (leafProblem) {
      problem ??= leafProblem;
      continue;
    }
    const eku = cert.extensions.find((e) => e.oid === OID.extKeyUsage);
    if (!eku?.critical || cert.extKeyUsage?.length !== 1) {
      problem ??= `TSA signing certificate ${describeCertificate(cert)} must have a critical extendedKeyUsage of timeStamping only (RFC 3161 §2.3)`;
      continue;
    }
    const paths = issuancePaths(cert, chain);
    if (paths.length === 0) {
      problem ??= `TSA signing certificate ${describeCertificate(cert)} does not chain to timestamp authority ${authorityName(tsa)}`;
      continue;
    }
    const pathProblems = paths.map((p) => issuerProblem(p, OID.ekuTimeStamping, genTime, "timestamp time"));
    if (pathProblems.every((p) => p !== undefined)) {
      problem ??= pathProblems[0];
      continue;
    }
    if (!withinValidity(tsa.validFor, genTime)) {
      problem ??= `timestamp authority ${authorityName(tsa)} is trusted from ${formatPeriod(tsa.validFor)}, not at the timestamp time ${genTime.toISOString()}`;
      continue;
    }
    return genTime;
  }
  if (problem) throw fail(problem);
  throw fail(
    `the timestamp was not signed by a timestamp authority of the trusted root (signer ${describeSid(token)}` +
      (token.certificates.length > 0 ? `; the certificates embedded in the token are not trusted` : "") +
      (tsas.length === 0 ? "; the trusted root lists no timestamp authority)" : ")"),
  );
}

/** Whether the SignerInfo's sid names `cert` (RFC 5652 §5.3: issuerAndSerialNumber or subjectKeyIdentifier). */
function signedBy(token: TimestampToken, cert: Certificate): boolean {
  const sid = token.signer.sid;
  if (sid.kind === "issuerAndSerial") return bytesEqual(sid.issuer, cert.issuer.der) && bytesEqual(sid.serial, cert.serial);
  return cert.subjectKeyId !== undefined && bytesEqual(sid.keyId, cert.subjectKeyId);
}

function describeSid(token: TimestampToken): string {
  const sid = token.signer.sid;
  return sid.kind === "issuerAndSerial" ? `serial ${hex(sid.serial)}` : `key ID ${hex(sid.keyId)}`;
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_TIMESTAMP", message);
}
