import { VouchError } from "../../core/errors.js";
import { buildStatement, type Statement } from "../../core/intoto/statement.js";
import { parseDigest } from "../digest.js";

/**
 * The statement cosign v3 signs for an image (`cosign sign`, new bundle format: cmd/cosign/cli/sign signDigestBundle):
 * an in-toto Statement v1 with the image's manifest digest as its subject, predicate type
 * https://sigstore.dev/cosign/sign/v1 and an empty predicate, in a DSSE envelope inside a Sigstore bundle that is
 * attached as an OCI 1.1 referrer. The predicate type is what tells a signature from an attestation among the
 * bundles of an image (both are DSSE bundles with the same artifactType).
 */
export const IMAGE_SIGNATURE_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

/**
 * The image signature statement. vouch names the subject `registry/repository` (cosign leaves the name out and
 * writes only the digest, plus `annotations: {}`): verifiers, cosign's included, match subjects by digest only, so
 * the name is for people reading the statement.
 *
 * @example
 *   encodeStatement(imageSignatureStatement("localhost:5000/app", "sha256:9f86…0a08"));
 */
export function imageSignatureStatement(name: string, manifestDigest: string): Statement {
  let parsed;
  try {
    parsed = parseDigest(manifestDigest);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `image signature statement: ${(error as Error).message}`, { cause: error });
  }
  return buildStatement([{ name, digest: { [parsed.algorithm]: parsed.hex } }], IMAGE_SIGNATURE_PREDICATE, {});
}
