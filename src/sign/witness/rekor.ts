import { encodePem } from "../../core/crypto/keys.js";
import { VouchError } from "../../core/errors.js";
import type { Bundle, TlogEntry } from "../../bundle/types.js";
import type { SignerMaterial } from "../signer.js";

/**
 * The transparency-log witness (after sigstore-js packages/sign/src/witness/tlog): submits a signed bundle's
 * content to a Rekor v1 API — vouch's own log or Rekor — and adds the returned entry (inclusion proof, checkpoint,
 * signed entry timestamp) to the bundle. The entry is what gives a keyed signature a trusted time and makes it
 * visible to monitors.
 */

/** The slice of fetch this uses (injected: tests and proxies). */
export type WitnessFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface RekorWitnessOptions {
  /** The log's base URL (its Rekor v1 API is under /api/v1/log). */
  url: string;
  fetch?: WitnessFetch;
}

/**
 * Logs the bundle's signature and returns the bundle with the entry appended to `tlogEntries`.
 *
 * @throws VouchError LOG_UNAVAILABLE when the log cannot be reached or answers with an error; LOG_INVALID_ENTRY when
 *   it refuses the entry (the reason it gave).
 * @example
 *   const logged = await witnessInRekor(bundle, material, { url: "http://127.0.0.1:8080" });
 */
export async function witnessInRekor(bundle: Bundle, material: SignerMaterial, options: RekorWitnessOptions): Promise<Bundle> {
  const fetcher: WitnessFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const base = options.url.replace(/\/+$/, "");
  const proposed = proposedEntry(bundle, material);
  const post = await call(fetcher, `${base}/api/v1/log/entries`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(proposed) });
  let answer = post;
  if (post.status === 409) {
    // Rekor answers an entry it already holds with 409 and its location: fetch that entry.
    const location = post.headers.get("location");
    if (!location) throw new VouchError("LOG_UNAVAILABLE", `${base} answered 409 without the existing entry's location`);
    answer = await call(fetcher, new URL(location, `${base}/`).toString(), { method: "GET", headers: { accept: "application/json" } });
  }
  if (answer.status !== 201 && answer.status !== 200) {
    const code = answer.status === 400 ? "LOG_INVALID_ENTRY" : "LOG_UNAVAILABLE";
    throw new VouchError(code, `the log at ${base} answered ${answer.status}: ${reason(answer.body)}`);
  }
  return { ...bundle, tlogEntries: [...bundle.tlogEntries, toTlogEntry(answer.body)] };
}

function proposedEntry(bundle: Bundle, material: SignerMaterial): unknown {
  const verifier = Buffer.from(pemOf(material)).toString("base64");
  const content = bundle.content;
  if (content.kind === "messageSignature") {
    if (content.digest === undefined) throw new VouchError("INPUT_MALFORMED", "a message signature bundle without the artifact digest");
    if (content.digest.algorithm !== "SHA2_256") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "the log witness sends SHA2_256 digests only");
    return {
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: { hash: { algorithm: "sha256", value: Buffer.from(content.digest.value).toString("hex") } },
        signature: { content: Buffer.from(content.signature).toString("base64"), publicKey: { content: verifier } },
      },
    };
  }
  const { envelope } = content;
  // The envelope as JSON text, in the field order @sigstore/sign writes; Rekor hashes exactly this string.
  const json = JSON.stringify({
    payload: Buffer.from(envelope.payload).toString("base64"),
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) => ({ sig: Buffer.from(s.sig).toString("base64"), keyid: s.keyid })),
  });
  return { apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope: json, verifiers: [verifier] } } };
}

function pemOf(material: SignerMaterial): string {
  const [label, der] = material.kind === "publicKey" ? ["PUBLIC KEY", material.publicKeyDer] : ["CERTIFICATE", material.certificates[0]];
  if (der === undefined) throw new VouchError("INPUT_MALFORMED", "certificate material without a certificate");
  return encodePem(label, der);
}

/** The fields of a Rekor v1 LogEntryAnon this reads; each is checked before use. */
interface RekorAnswer {
  body?: unknown;
  logIndex?: unknown;
  logID?: unknown;
  integratedTime?: unknown;
  verification?: {
    signedEntryTimestamp?: unknown;
    inclusionProof?: { logIndex?: unknown; rootHash?: unknown; treeSize?: unknown; hashes?: unknown; checkpoint?: unknown };
  };
}

/** The Rekor v1 answer ({uuid: LogEntryAnon}) as a bundle TlogEntry; every field the verifier needs is required. */
function toTlogEntry(body: unknown): TlogEntry {
  const entries = typeof body === "object" && body !== null ? Object.values(body as Record<string, unknown>) : [];
  if (entries.length !== 1) throw bad("the answer does not hold exactly one entry");
  const entry = entries[0] as RekorAnswer;
  const canonical = Buffer.from(str(entry.body, "body"), "base64");
  let kind: { kind?: unknown; apiVersion?: unknown };
  try {
    kind = JSON.parse(canonical.toString("utf8"));
  } catch {
    throw bad("the entry body is not JSON");
  }
  const proof = entry.verification?.inclusionProof;
  return {
    logIndex: BigInt(int(entry.logIndex, "logIndex")),
    logId: Buffer.from(str(entry.logID, "logID"), "hex"),
    kind: str(kind.kind, "body.kind"),
    kindVersion: str(kind.apiVersion, "body.apiVersion"),
    integratedTime: BigInt(int(entry.integratedTime, "integratedTime")),
    signedEntryTimestamp: Buffer.from(str(entry.verification?.signedEntryTimestamp, "signedEntryTimestamp"), "base64"),
    inclusionProof:
      proof === undefined
        ? undefined
        : {
            logIndex: BigInt(int(proof.logIndex, "inclusionProof.logIndex")),
            rootHash: Buffer.from(str(proof.rootHash, "inclusionProof.rootHash"), "hex"),
            treeSize: BigInt(int(proof.treeSize, "inclusionProof.treeSize")),
            hashes: (Array.isArray(proof.hashes) ? (proof.hashes as unknown[]) : []).map((h, i) => Buffer.from(str(h, `inclusionProof.hashes[${i}]`), "hex")),
            checkpoint: str(proof.checkpoint, "inclusionProof.checkpoint"),
          },
    canonicalizedBody: canonical,
  };
}

async function call(fetcher: WitnessFetch, url: string, init: Parameters<WitnessFetch>[1]) {
  let response: Awaited<ReturnType<WitnessFetch>>;
  try {
    response = await fetcher(url, init);
  } catch (error) {
    throw new VouchError("LOG_UNAVAILABLE", `cannot reach the log at ${url}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the error message.
  }
  return { status: response.status, headers: response.headers, body };
}

function reason(body: unknown): string {
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") return (body as { message: string }).message;
  return String(body).slice(0, 200);
}

function str(value: unknown, field: string): string {
  if (typeof value !== "string") throw bad(`${field} is missing`);
  return value;
}

function int(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw bad(`${field} is not a whole number`);
  return value;
}

function bad(message: string): VouchError {
  return new VouchError("LOG_UNAVAILABLE", `the log's answer is unusable: ${message}`);
}
