import { importPublicKey, keyAlgorithm, KEY_DETAILS } from "../../core/crypto/keys.js";
import { VouchError } from "../../core/errors.js";
import { parseCertificate } from "../../core/x509/certificate.js";
import type { Bundle, TlogEntry } from "../../bundle/types.js";
import type { SignerMaterial } from "../signer.js";
import type { WitnessFetch } from "./rekor.js";

/**
 * The Rekor v2 witness (rekor-tiles; after sigstore-js's RekorWitness with majorApiVersion 2): POST
 * <log>/api/v2/log/entries with a CreateEntryRequest (hashedrekord or dsse 0.0.2), answered with a
 * TransparencyLogEntry that goes into the bundle as is. A v2 entry has no integrated time and no signed entry
 * timestamp: the signing time must come from an RFC 3161 timestamp in the same bundle.
 */

export interface RekorV2WitnessOptions {
  /** The log's base URL (its v2 API is under /api/v2/log). */
  url: string;
  fetch?: WitnessFetch;
}

/**
 * Logs the bundle's signature in a Rekor v2 log and returns the bundle with the entry appended to `tlogEntries`.
 *
 * @throws VouchError LOG_INVALID_ENTRY when the log refuses the entry (400, its reason); LOG_UNAVAILABLE when it
 *   cannot be reached, answers another error, or answers something that is not a TransparencyLogEntry.
 * @example
 *   const logged = await witnessInRekorV2(bundle, material, { url: "https://log2025-1.rekor.sigstore.dev" });
 */
export async function witnessInRekorV2(bundle: Bundle, material: SignerMaterial, options: RekorV2WitnessOptions): Promise<Bundle> {
  const fetcher: WitnessFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const base = options.url.replace(/\/+$/, "");
  const url = `${base}/api/v2/log/entries`;
  let response: Awaited<ReturnType<WitnessFetch>>;
  try {
    response = await fetcher(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(createEntryRequest(bundle, material)),
    });
  } catch (error) {
    throw new VouchError("LOG_UNAVAILABLE", `cannot reach the log at ${url}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (response.status !== 201 && response.status !== 200) {
    const code = response.status === 400 ? "LOG_INVALID_ENTRY" : "LOG_UNAVAILABLE";
    throw new VouchError(code, `the log at ${base} answered ${response.status}: ${reason(text)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  return { ...bundle, tlogEntries: [...bundle.tlogEntries, toTlogEntry(json)] };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** The verifier (Rekor v2 Verifier message): the leaf certificate or the public key, with the key's details. */
function verifier(material: SignerMaterial): unknown {
  if (material.kind === "publicKey") {
    return { publicKey: { rawBytes: b64(material.publicKeyDer) }, keyDetails: KEY_DETAILS[keyAlgorithm(importPublicKey(material.publicKeyDer))] };
  }
  const leaf = material.certificates[0];
  if (leaf === undefined) throw new VouchError("INPUT_MALFORMED", "certificate material without a certificate");
  const key = importPublicKey(parseCertificate(leaf).publicKeyDer);
  return { x509Certificate: { rawBytes: b64(leaf) }, keyDetails: KEY_DETAILS[keyAlgorithm(key)] };
}

/** CreateEntryRequest (rekor-tiles api/proto/rekor/v2/rekor_service.proto), in protojson. */
function createEntryRequest(bundle: Bundle, material: SignerMaterial): unknown {
  const content = bundle.content;
  if (content.kind === "messageSignature") {
    if (content.digest === undefined) throw new VouchError("INPUT_MALFORMED", "a message signature bundle without the artifact digest");
    return {
      hashedRekordRequestV002: {
        digest: b64(content.digest.value),
        signature: { content: b64(content.signature), verifier: verifier(material) },
      },
    };
  }
  const { envelope } = content;
  return {
    dsseRequestV002: {
      envelope: {
        payload: b64(envelope.payload),
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map((s) => ({ sig: b64(s.sig), keyid: s.keyid })),
      },
      verifiers: [verifier(material)],
    },
  };
}

/** The fields of a TransparencyLogEntry (protojson) this reads; each is checked before use. */
interface EntryJson {
  logIndex?: unknown;
  logId?: { keyId?: unknown };
  kindVersion?: { kind?: unknown; version?: unknown };
  integratedTime?: unknown;
  inclusionProof?: { logIndex?: unknown; rootHash?: unknown; treeSize?: unknown; hashes?: unknown; checkpoint?: { envelope?: unknown } };
  canonicalizedBody?: unknown;
}

/** A TransparencyLogEntry as a bundle TlogEntry; the inclusion proof and checkpoint are required (v2 has no SET). */
function toTlogEntry(json: unknown): TlogEntry {
  if (typeof json !== "object" || json === null) throw bad("not a JSON object");
  const entry = json as EntryJson;
  const proof = entry.inclusionProof;
  if (typeof proof !== "object" || proof === null) throw bad("inclusionProof is missing");
  const integrated = entry.integratedTime === undefined ? 0n : int64(entry.integratedTime, "integratedTime");
  return {
    logIndex: int64(entry.logIndex, "logIndex"),
    logId: bytes(entry.logId?.keyId, "logId.keyId"),
    kind: str(entry.kindVersion?.kind, "kindVersion.kind"),
    kindVersion: str(entry.kindVersion?.version, "kindVersion.version"),
    ...(integrated === 0n ? {} : { integratedTime: integrated }),
    inclusionProof: {
      logIndex: int64(proof.logIndex, "inclusionProof.logIndex"),
      rootHash: bytes(proof.rootHash, "inclusionProof.rootHash"),
      treeSize: int64(proof.treeSize, "inclusionProof.treeSize"),
      hashes: (Array.isArray(proof.hashes) ? (proof.hashes as unknown[]) : []).map((h, i) => bytes(h, `inclusionProof.hashes[${i}]`)),
      checkpoint: str(proof.checkpoint?.envelope, "inclusionProof.checkpoint.envelope"),
    },
    canonicalizedBody: bytes(entry.canonicalizedBody, "canonicalizedBody"),
  };
}

/** protojson int64: a decimal string (or a safe JSON number). */
function int64(value: unknown, field: string): bigint {
  if (typeof value === "string" && /^\d{1,19}$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw bad(`${field} is not a whole number`);
}

function bytes(value: unknown, field: string): Uint8Array {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw bad(`${field} is not base64`);
  return new Uint8Array(Buffer.from(value, "base64"));
}

function str(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw bad(`${field} is missing`);
  return value;
}

function reason(text: string): string {
  try {
    const json = JSON.parse(text) as { message?: unknown };
    if (typeof json.message === "string") return json.message;
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}

function bad(message: string): VouchError {
  return new VouchError("LOG_UNAVAILABLE", `the log's answer is unusable: ${message}`);
}
