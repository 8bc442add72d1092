import { createHash } from "node:crypto";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import {
  array,
  base64,
  base64OfBase64,
  encodeBase64,
  field,
  invalid,
  MAX_SIGNATURES,
  nonEmptyString,
  object,
  quote,
  string,
  type Json,
} from "./fields.js";
import { matchSignatures, type SubmittedSignature } from "./dsse.js";
import { verifierFromPem, type Built, type EntryVerifier } from "./keys.js";
import { verifyMessage } from "./signature.js";

/**
 * intoto 0.0.2 (sigstore/rekor pkg/types/intoto/v0.0.2/entry.go), the type sigstore-js used before dsse. The DSSE
 * fields arrive base64-encoded twice (the schema's "format: byte" over the envelope's own base64 text), each
 * signature with the PEM key or certificate that made it:
 *
 *   proposed: {content: {envelope: {payload, payloadType, signatures: [{keyid?, sig, publicKey}]},
 *              hash: {algorithm: "sha256", value}, payloadHash?}}
 *   stored:   {content: {envelope: {payloadType, signatures: [as sent; keyid only when non-empty]},
 *              hash: as sent, payloadHash: {algorithm: "sha256", value: hex SHA-256 of the payload}}}
 *
 * Canonicalize drops the payload (older Rekor releases kept it: conformance's intoto-with-custom-trust-root body
 * still has one) and recomputes payloadHash. `hash` is the client's digest of its own envelope serialization, which
 * the log cannot recompute; Rekor stores it unchecked and so does vouch, requiring only a SHA-256-sized hex value.
 *
 * Stricter than Rekor, on purpose: each signature must verify with the key it is listed with (Rekor only checks
 * that every key verifies some signature, so it would log a key beside a signature it did not make), and a
 * payloadHash sent by the client must be the payload's (Rekor silently replaces it).
 */
export function intotoV002(spec: Json): Built {
  const content = object(field(spec, "content"), "spec.content");
  const path = "spec.content.envelope";
  const env = object(field(content, "envelope"), path);
  const payloadType = nonEmptyString(field(env, "payloadType"), `${path}.payloadType`);
  const payload = base64OfBase64(field(env, "payload"), `${path}.payload`).bytes;
  const signed = array(field(env, "signatures"), `${path}.signatures`, MAX_SIGNATURES).map((s, i) => {
    const sigPath = `${path}.signatures[${i}]`;
    const sig = object(s, sigPath);
    const keyid = field(sig, "keyid") === undefined ? "" : string(field(sig, "keyid"), `${sigPath}.keyid`);
    const { inner, bytes } = base64OfBase64(field(sig, "sig"), `${sigPath}.sig`);
    const pem = base64(field(sig, "publicKey"), `${sigPath}.publicKey`);
    return {
      keyid,
      signature: { sig: inner, bytes, path: `${sigPath}.sig` } satisfies SubmittedSignature,
      pem,
      verifier: verifierFromPem(pem, `${sigPath}.publicKey`),
    };
  });

  const hash = object(field(content, "hash"), "spec.content.hash");
  const hashAlgorithm = string(field(hash, "algorithm"), "spec.content.hash.algorithm");
  if (hashAlgorithm !== "sha256") throw invalid(`spec.content.hash.algorithm ${quote(hashAlgorithm)} is not sha256`);
  const hashValue = string(field(hash, "value"), "spec.content.hash.value");
  if (!/^[0-9a-fA-F]{64}$/.test(hashValue)) throw invalid("spec.content.hash.value is not a hex SHA-256 digest");

  const payloadHash = createHash("sha256").update(payload).digest("hex");
  if (field(content, "payloadHash") !== undefined) {
    const given = object(field(content, "payloadHash"), "spec.content.payloadHash");
    const algorithm = string(field(given, "algorithm"), "spec.content.payloadHash.algorithm");
    const value = string(field(given, "value"), "spec.content.payloadHash.value");
    if (algorithm !== "sha256" || value.toLowerCase() !== payloadHash) {
      throw invalid("spec.content.payloadHash is not the SHA-256 of spec.content.envelope.payload");
    }
  }

  const envelope = { payloadType, payload, signatures: signed.map((s) => s.signature) };
  // Rekor's acceptance rule (verifyEnvelope with every listed key, SHA-256 for ECDSA and RSA)...
  matchSignatures(
    envelope,
    signed.map((s) => s.verifier),
    () => "sha256",
    (i) => `${path}.signatures[${i}].publicKey`,
    "the envelope's keys",
  );
  // ...and vouch's: each key verifies its own signature.
  const pae = preAuthEncoding(payloadType, payload);
  signed.forEach((s, i) => {
    if (!verifyMessage(s.verifier, "sha256", pae, s.signature.bytes)) {
      throw invalid(`${path}.signatures[${i}].sig does not verify with ${path}.signatures[${i}].publicKey`);
    }
  });

  return {
    spec: {
      content: {
        envelope: {
          payloadType,
          signatures: signed.map((s) => ({
            ...(s.keyid === "" ? {} : { keyid: s.keyid }),
            sig: encodeBase64(Buffer.from(s.signature.sig, "latin1")),
            publicKey: encodeBase64(s.pem),
          })),
        },
        hash: { algorithm: hashAlgorithm, value: hashValue },
        payloadHash: { algorithm: "sha256", value: payloadHash },
      },
    },
    verifiers: signed.map((s): EntryVerifier => s.verifier),
  };
}
