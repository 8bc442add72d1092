import { VouchError, type VouchErrorCode } from "../../core/errors.js";
import { defaultFetch, reasonOf, send, trimBase, type KeylessFetch } from "./http.js";

/**
 * A Fulcio v2 client (fulcio.proto CA.CreateSigningCertificate over its HTTP/JSON gateway), as sigstore-js's CAClient
 * and cosign speak it: POST <ca>/api/v2/signingCert with the identity token, the public key (PEM) and a proof of
 * possession. Works against public Fulcio, a private Fulcio (sigstore/scaffolding) and vouch's own CA.
 */

export interface SigningCertificateRequest {
  identityToken: string;
  /** The ephemeral public key, SPKI PEM. */
  publicKeyPem: string;
  /** ECDSA signature (DER) over the token's subject (see proofOfPossessionSubject). */
  proofOfPossession: Uint8Array;
}

export interface FulcioClientOptions {
  /** The CA's base URL (its API is under /api/v2). */
  url: string;
  fetch?: KeylessFetch;
}

/**
 * Ask the CA for a signing certificate.
 *
 * @returns the chain as DER, leaf first.
 * @throws VouchError CA_TOKEN_INVALID (401/403: the CA refused the token), CA_REQUEST_INVALID (another 4xx: the
 *   request, key or proof), SERVICE_UNAVAILABLE (unreachable, 5xx, or an answer that is not a certificate chain),
 *   INPUT_UNSUPPORTED_FORMAT (a detached SCT, which a bundle cannot carry); each with the CA's own reason, one line.
 * @example
 *   const chain = await requestSigningCertificate({ url: "https://fulcio.sigstore.dev" }, { identityToken, publicKeyPem, proofOfPossession });
 */
export async function requestSigningCertificate(options: FulcioClientOptions, request: SigningCertificateRequest): Promise<Uint8Array[]> {
  const url = `${trimBase(options.url)}/api/v2/signingCert`;
  const body = JSON.stringify({
    credentials: { oidcIdentityToken: request.identityToken },
    publicKeyRequest: {
      publicKey: { algorithm: "ECDSA", content: request.publicKeyPem },
      proofOfPossession: Buffer.from(request.proofOfPossession).toString("base64"),
    },
  });
  const answer = await send(
    options.fetch ?? defaultFetch,
    url,
    { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body },
    "SERVICE_UNAVAILABLE",
    "certificate authority",
  );
  if (answer.status !== 200 && answer.status !== 201) {
    throw new VouchError(statusCode(answer.status), `the certificate authority at ${options.url} refused the certificate request (${answer.status}): ${reasonOf(answer.body)}`);
  }
  return parseSigningCertificateResponse(answer.body, options.url);
}

/** 401/403: the token (Fulcio maps codes.Unauthenticated to 401); other 4xx: the request; the rest: the CA. */
function statusCode(status: number): VouchErrorCode {
  if (status === 401 || status === 403) return "CA_TOKEN_INVALID";
  if (status >= 400 && status < 500) return "CA_REQUEST_INVALID";
  return "SERVICE_UNAVAILABLE";
}

/**
 * A SigningCertificate answer (fulcio.proto): `signedCertificateEmbeddedSct.chain.certificates`, PEM, leaf first.
 * `signedCertificateDetachedSct` is refused: a bundle v0.3 has no field for a detached SCT, so verifiers that require
 * SCTs (cosign, @sigstore/verify by default) would refuse every signature made with it.
 */
export function parseSigningCertificateResponse(body: Uint8Array, ca = "the certificate authority"): Uint8Array[] {
  const bad = (why: string) => new VouchError("SERVICE_UNAVAILABLE", `the answer of the certificate authority at ${ca} is unusable: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    throw bad("not JSON");
  }
  if (typeof json !== "object" || json === null) throw bad("not a JSON object");
  const answer = json as { signedCertificateEmbeddedSct?: unknown; signedCertificateDetachedSct?: unknown };
  if (answer.signedCertificateEmbeddedSct === undefined) {
    if (answer.signedCertificateDetachedSct !== undefined) {
      throw new VouchError(
        "INPUT_UNSUPPORTED_FORMAT",
        `the certificate authority at ${ca} answered with a detached SCT, which a Sigstore bundle cannot carry (configure it with a CT log that embeds SCTs)`,
      );
    }
    throw bad("no signedCertificateEmbeddedSct");
  }
  const certificates = (answer.signedCertificateEmbeddedSct as { chain?: { certificates?: unknown } } | null)?.chain?.certificates;
  if (!Array.isArray(certificates) || certificates.length === 0) throw bad("signedCertificateEmbeddedSct.chain.certificates is not a non-empty list");
  return certificates.map((pem, i) => {
    if (typeof pem !== "string") throw bad(`certificates[${i}] is not a string`);
    return certificateDer(pem, () => bad(`certificates[${i}] is not one PEM CERTIFICATE`));
  });
}

/** The DER of exactly one PEM CERTIFICATE block (RFC 7468 §2; base64 with line breaks). */
function certificateDer(pem: string, bad: () => VouchError): Uint8Array {
  const match = /^\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/.exec(pem);
  if (!match) throw bad();
  const der = Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
  // A certificate is a DER SEQUENCE; anything else (truncated base64, say) is caught before it reaches a bundle.
  if (der.length < 2 || der[0] !== 0x30) throw bad();
  return new Uint8Array(der);
}
