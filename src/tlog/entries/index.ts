import { dsseV001, dsseV002 } from "./dsse.js";
import { canonicalBytes, DEFAULT_MAX_ENTRY_BYTES, field, invalid, object, readSubmission, string, quote, type Json } from "./fields.js";
import { hashedRekordV001, hashedRekordV002 } from "./hashedrekord.js";
import { intotoV002 } from "./intoto.js";
import { distinctSigners, type Built, type SignerIdentity } from "./keys.js";

/**
 * Transparency log entry kinds: a submitted entry becomes the exact body the log stores, after it is validated and
 * the signature inside is verified (a log of unverified garbage proves nothing). Bodies are what Rekor stores for
 * the same submission, so a bundle made against Rekor and one made against vouch's log look alike to any verifier.
 * Pure: no I/O, no clock.
 */
export { DEFAULT_MAX_ENTRY_BYTES, MAX_SIGNATURES, MAX_VERIFIERS } from "./fields.js";
export type { SignerIdentity } from "./keys.js";

export interface CanonicalEntry {
  kind: "hashedrekord" | "dsse" | "intoto";
  apiVersion: "0.0.1" | "0.0.2";
  /** RFC 8785 canonical JSON bytes of {apiVersion, kind, spec}: the Merkle leaf, the entry's canonicalizedBody. */
  body: Uint8Array;
  /** Who signed: for the monitor's watch list. */
  signers: SignerIdentity[];
}

export interface CanonicalizeOptions {
  /** Largest submission accepted, in bytes of JSON text (default 128 KiB). */
  maxBytes?: number;
}

/**
 * Canonicalizes a Rekor v1 proposed entry ({kind, apiVersion, spec}, as POSTed to /api/v1/log/entries):
 * hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2. `json` is the request body as bytes or text, or already parsed.
 *
 * @throws VouchError LOG_ENTRY_TOO_LARGE over `maxBytes`; LOG_INVALID_ENTRY naming the field for anything malformed,
 *   an unsupported kind or version, or a signature that does not verify.
 * @example
 *   const entry = canonicalizeProposedEntry(await request.body);
 *   entry.body; // {"apiVersion":"0.0.1","kind":"hashedrekord","spec":{...}} as canonical bytes
 */
export function canonicalizeProposedEntry(json: unknown, options: CanonicalizeOptions = {}): CanonicalEntry {
  const root = object(readSubmission(json, options.maxBytes ?? DEFAULT_MAX_ENTRY_BYTES), "the entry");
  const kind = string(field(root, "kind"), "kind");
  const apiVersion = string(field(root, "apiVersion"), "apiVersion");
  const spec = object(field(root, "spec"), "spec");
  switch (kind) {
    case "hashedrekord":
      if (apiVersion === "0.0.1") return finish("hashedrekord", "0.0.1", hashedRekordV001(spec));
      break;
    case "dsse":
      if (apiVersion === "0.0.1") return finish("dsse", "0.0.1", dsseV001(spec));
      break;
    case "intoto":
      if (apiVersion === "0.0.2") return finish("intoto", "0.0.2", intotoV002(spec));
      break;
    default:
      throw invalid(`kind ${quote(kind)} is not supported (hashedrekord, dsse, intoto)`);
  }
  const supported = kind === "intoto" ? "0.0.2" : "0.0.1";
  throw invalid(`apiVersion ${quote(apiVersion)} of ${kind} is not supported (${supported}; 0.0.2 hashedrekord and dsse are Rekor v2 requests)`);
}

/**
 * Canonicalizes a Rekor v2 CreateEntryRequest (protojson, as POSTed to /api/v2/log/entries):
 * {hashedRekordRequestV002: {...}} or {dsseRequestV002: {...}}. The body is the protojson of the log entry
 * (HashedRekordLogEntryV002 / DSSELogEntryV002) inside {apiVersion: "0.0.2", kind, spec: {hashedRekordV002 |
 * dsseV002}}, canonicalized (rekor-tiles pkg/server/service.go: protojson.Marshal, then jsoncanonicalizer).
 *
 * @throws VouchError LOG_ENTRY_TOO_LARGE / LOG_INVALID_ENTRY, as canonicalizeProposedEntry.
 * @example
 *   canonicalizeV2Request({ hashedRekordRequestV002: { digest, signature: { content, verifier } } });
 */
export function canonicalizeV2Request(json: unknown, options: CanonicalizeOptions = {}): CanonicalEntry {
  const root = object(readSubmission(json, options.maxBytes ?? DEFAULT_MAX_ENTRY_BYTES), "the request");
  const hashed = field(root, "hashedRekordRequestV002");
  const dsse = field(root, "dsseRequestV002");
  // protojson rejects two members of one oneof; so does vouch.
  if ((hashed === undefined) === (dsse === undefined)) {
    throw invalid("the request must hold exactly one of hashedRekordRequestV002 and dsseRequestV002");
  }
  if (hashed !== undefined) {
    return finish("hashedrekord", "0.0.2", hashedRekordV002(object(hashed, "hashedRekordRequestV002"), "hashedRekordRequestV002"));
  }
  return finish("dsse", "0.0.2", dsseV002(object(dsse, "dsseRequestV002"), "dsseRequestV002"));
}

function finish(kind: CanonicalEntry["kind"], apiVersion: CanonicalEntry["apiVersion"], built: Built): CanonicalEntry {
  const body: Json = { apiVersion, kind, spec: built.spec };
  return { kind, apiVersion, body: canonicalBytes(body), signers: distinctSigners(built.verifiers) };
}
