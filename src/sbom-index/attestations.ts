import { createHash, type KeyObject } from "node:crypto";
import { parseBundle } from "../bundle/parse.js";
import type { Bundle, DsseEnvelope, TrustedRoot } from "../bundle/types.js";
import { parseJsonText } from "../core/encoding/json-text.js";
import { isVouchError, VouchError } from "../core/errors.js";
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from "../core/intoto/statement.js";
import { parseCertificate } from "../core/x509/index.js";
import type { AttestationLogEntry, AttestationRecord, AttestationSigner, AttestationStore, AttestationSubject } from "../store/ports.js";
import { verifyBundle, type VerificationResult } from "../verify/verifier.js";
import { provenanceFactsOf } from "./provenance-facts.js";

/**
 * What attestations pushed to the index are verified against: trusted roots (this deployment's own CA / log / TSA,
 * `index.trust.trustedRoot`) and public keys (`index.trust.keys`). Parsed once, by the caller (src/api/attestation-trust.ts).
 */
export interface AttestationTrust {
  roots: readonly { name: string; root: TrustedRoot }[];
  keys: readonly { name: string; key: KeyObject }[];
}

export interface AttestationIngestResult {
  record: AttestationRecord;
  created: boolean;
}

export interface AttestationService {
  /**
   * Ingest a Sigstore bundle (v0.1-v0.3 JSON) or a bare DSSE envelope: verified with the configured trust and stored
   * with the verdict. A document that verifies with no configured root or key is stored as UNVERIFIED with the
   * reason, never as verified. Idempotent by the sha256 of the bytes. A malformed document (not JSON, not a bundle
   * or envelope, a statement that does not parse) is refused with INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT and
   * nothing is stored.
   */
  ingest(document: Uint8Array, by: string): Promise<AttestationIngestResult>;
}

export interface AttestationServiceOptions {
  store: AttestationStore;
  /**
   * The trust, or a function that gives it, called for every ingest (the function caches: `vouch serve` creates its
   * log key on start, and `vouch ca init` may add a CA while it runs; src/api/attestation-trust.ts reloads on change).
   */
  trust: AttestationTrust | (() => AttestationTrust);
  clock?: () => Date;
  /** Largest document accepted (default 16 MiB): a bundle is small; a bigger one is refused, not parsed. */
  maxBytes?: number;
}

/** A signature over what the index could not tell: the reason an attestation is stored unverified. */
const NO_SUBJECT = "VERIFY_ARTIFACT: the attestation names no subject digest (sha256, sha384 or sha512) to verify against";

/**
 * @example
 *   const service = createAttestationService({ store, trust: { roots: [{ name: "public-good", root }], keys: [] } });
 *   const { record } = await service.ingest(readFileSync("app.sigstore.json"), "token-id");
 *   record.verified; // true, record.signer?.identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
 */
export function createAttestationService(options: AttestationServiceOptions): AttestationService {
  const clock = options.clock ?? (() => new Date());
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const trustNow = typeof options.trust === "function" ? options.trust : () => options.trust as AttestationTrust;
  return {
    async ingest(document, by) {
      if (document.byteLength > maxBytes) throw new VouchError("INPUT_TOO_LARGE", `the attestation is ${document.byteLength} bytes; at most ${maxBytes} are accepted`);
      const parsed = parseAttestation(document);
      const verdict = verifyWithTrust(parsed, trustNow());
      const record = recordOf(parsed, verdict, { id: sha256Id(document), ingestedAt: clock().toISOString(), ingestedBy: by });
      return options.store.ingest({ record, document, ...(parsed.statement?.predicate !== undefined ? { predicate: parsed.statement.predicate } : {}) });
    },
  };
}

/** A document parsed at the edge: the bundle (a bare envelope becomes a keyed bundle without log entries), its statement. */
export interface ParsedAttestation {
  kind: "bundle" | "dsse";
  bundle: Bundle;
  /** Bare envelopes may carry several signatures: each is tried as its own single-signature bundle. */
  candidates: Bundle[];
  statement?: Statement;
  subjects: AttestationSubject[];
  /** The digest the verifier checks the statement (or message signature) against. */
  artifact?: { algorithm: "sha256" | "sha384" | "sha512"; hex: string };
}

/** Parse a Sigstore bundle or a bare DSSE envelope; INPUT_* naming the wrong field when it is neither. */
export function parseAttestation(document: Uint8Array): ParsedAttestation {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(document);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", "the attestation is not UTF-8 text", { cause: err });
  }
  const json = parseJsonText(text, "attestation");
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new VouchError("INPUT_MALFORMED", "the attestation is not a JSON object");
  const o = json as Record<string, unknown>;
  let kind: ParsedAttestation["kind"];
  let bundle: Bundle;
  let candidates: Bundle[];
  if (typeof o.mediaType === "string") {
    kind = "bundle";
    bundle = parseBundle(json, "bundle");
    candidates = [bundle];
  } else if ("payload" in o && "payloadType" in o && "signatures" in o) {
    kind = "dsse";
    bundle = { mediaType: "", version: "0.3", material: { kind: "publicKey", hint: "" }, tlogEntries: [], timestamps: [], content: { kind: "dsseEnvelope", envelope: parseEnvelope(o) } };
    const envelope = (bundle.content as { envelope: DsseEnvelope }).envelope;
    candidates = envelope.signatures.map((signature) => ({
      ...bundle,
      material: { kind: "publicKey", hint: signature.keyid },
      content: { kind: "dsseEnvelope", envelope: { ...envelope, signatures: [signature] } },
    }));
  } else {
    throw new VouchError("INPUT_MALFORMED", "the attestation is neither a Sigstore bundle (mediaType) nor a DSSE envelope (payload, payloadType, signatures)");
  }

  if (bundle.content.kind === "messageSignature") {
    const d = bundle.content.digest;
    if (d === undefined) return { kind, bundle, candidates, subjects: [] };
    const algorithm = ({ SHA2_256: "sha256", SHA2_384: "sha384", SHA2_512: "sha512" } as const)[d.algorithm];
    const hex = Buffer.from(d.value).toString("hex");
    return { kind, bundle, candidates, subjects: [{ name: "", digest: `${algorithm}:${hex}` }], artifact: { algorithm, hex } };
  }
  const { envelope } = bundle.content;
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) return { kind, bundle, candidates, subjects: [] };
  const statement = parseStatement(envelope.payload);
  const subjects = subjectsOf(statement);
  const first = subjects[0];
  const artifact = first === undefined ? undefined : { algorithm: first.digest.slice(0, first.digest.indexOf(":")) as "sha256", hex: first.digest.slice(first.digest.indexOf(":") + 1) };
  return { kind, bundle, candidates, statement, subjects, ...(artifact ? { artifact } : {}) };
}

/**
 * The statement's subjects the index keys on: each subject's sha256 (the digest images and files are known by),
 * else its sha512 or sha384 (npm provenance names tarballs by sha512). Other algorithms are not kept.
 */
function subjectsOf(statement: Statement): AttestationSubject[] {
  const out: AttestationSubject[] = [];
  for (const s of statement.subject) {
    const digests = Object.fromEntries(Object.entries(s.digest).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
    for (const algorithm of ["sha256", "sha512", "sha384"] as const) {
      const hex = digests[algorithm];
      if (hex !== undefined && new RegExp(`^[0-9a-f]{${{ sha256: 64, sha384: 96, sha512: 128 }[algorithm]}}$`).test(hex)) {
        out.push({ name: s.name, digest: `${algorithm}:${hex}` });
        break;
      }
    }
  }
  return out;
}

function parseEnvelope(o: Record<string, unknown>): DsseEnvelope {
  if (typeof o.payloadType !== "string" || o.payloadType === "") throw new VouchError("INPUT_MALFORMED", "DSSE envelope: payloadType must be a non-empty string");
  if (typeof o.payload !== "string") throw new VouchError("INPUT_MALFORMED", "DSSE envelope: payload must be a base64 string");
  if (!Array.isArray(o.signatures) || o.signatures.length === 0) throw new VouchError("INPUT_MALFORMED", "DSSE envelope: signatures must be a non-empty array");
  const signatures = o.signatures.map((s: unknown, i) => {
    const sig = typeof s === "object" && s !== null ? (s as Record<string, unknown>) : {};
    if (typeof sig.sig !== "string" || sig.sig === "") throw new VouchError("INPUT_MALFORMED", `DSSE envelope: signatures[${i}].sig must be a non-empty base64 string`);
    if (sig.keyid !== undefined && typeof sig.keyid !== "string") throw new VouchError("INPUT_MALFORMED", `DSSE envelope: signatures[${i}].keyid must be a string`);
    return { sig: base64(sig.sig, `signatures[${i}].sig`), keyid: sig.keyid ?? "" };
  });
  return { payloadType: o.payloadType, payload: base64(o.payload, "payload"), signatures };
}

function base64(text: string, field: string): Uint8Array {
  const clean = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new VouchError("INPUT_MALFORMED", `DSSE envelope: ${field} is not base64`);
  return new Uint8Array(Buffer.from(clean, "base64"));
}

type Verdict = { verified: true; result: VerificationResult } | { verified: false; reason: string };

/**
 * Try the configured trust: every root for a certificate (any identity: the index records who signed, policy decides
 * later whom to trust), every key for a keyed signature (the key whose id the bundle hints first). The first that
 * verifies wins; otherwise the most telling refusal is the reason.
 */
export function verifyWithTrust(parsed: ParsedAttestation, trust: AttestationTrust): Verdict {
  if (parsed.artifact === undefined) return { verified: false, reason: NO_SUBJECT };
  const artifact = { kind: "digest" as const, ...parsed.artifact };
  const failures: string[] = [];
  const keyless = parsed.bundle.material.kind === "certificate";
  if (keyless && trust.roots.length === 0) return { verified: false, reason: "VERIFY_CERTIFICATE_CHAIN: no trusted root is configured (index.trust.trustedRoot)" };
  if (!keyless && trust.keys.length === 0) return { verified: false, reason: "VERIFY_KEY: signed with a key, and no key is configured (index.trust.keys)" };
  const roots = trust.roots.length > 0 ? trust.roots : [{ name: "none", root: EMPTY_ROOT }];
  for (const candidate of parsed.candidates) {
    for (const { root } of roots) {
      if (keyless) {
        const outcome = attempt(() => verifyBundle(candidate, { artifact, trustedRoot: root, identity: { subjectRegExp: ".+" } }));
        if (typeof outcome !== "string") return { verified: true, result: outcome };
        failures.push(outcome);
        continue;
      }
      for (const { key } of orderKeys(trust.keys, candidate)) {
        // A key vouches by itself; log entries and timestamps the bundle carries are still verified when present.
        const outcome = attempt(() => verifyBundle(candidate, { artifact, trustedRoot: root, publicKey: key, tlogThreshold: 0, timestampThreshold: 0 }));
        if (typeof outcome !== "string") return { verified: true, result: outcome };
        failures.push(outcome);
      }
    }
  }
  return { verified: false, reason: mostTelling(failures) };
}

const EMPTY_ROOT: TrustedRoot = { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1", tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

function orderKeys(keys: AttestationTrust["keys"], bundle: Bundle) {
  const hint = bundle.material.kind === "publicKey" ? bundle.material.hint : "";
  if (hint === "") return keys;
  return [...keys].sort((a, b) => Number(keyIdOf(b.key).includes(hint)) - Number(keyIdOf(a.key).includes(hint)));
}

/** A wrong key says only "signature does not verify"; a refusal from a later step says more. */
function mostTelling(failures: readonly string[]): string {
  return failures.find((f) => !f.startsWith("VERIFY_SIGNATURE") && !f.startsWith("VERIFY_KEY")) ?? failures[0] ?? "not verified";
}

function attempt(run: () => VerificationResult): VerificationResult | string {
  try {
    return run();
  } catch (err) {
    if (isVouchError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
}

function recordOf(parsed: ParsedAttestation, verdict: Verdict, meta: Pick<AttestationRecord, "id" | "ingestedAt" | "ingestedBy">): AttestationRecord {
  const { bundle, statement } = parsed;
  const record: AttestationRecord = {
    ...meta,
    kind: parsed.kind,
    subjects: parsed.subjects,
    verified: verdict.verified,
    logEntries: verdict.verified ? verifiedEntries(verdict.result) : claimedEntries(bundle),
  };
  if (parsed.kind === "bundle") record.mediaType = bundle.mediaType;
  if (bundle.content.kind === "dsseEnvelope") record.payloadType = bundle.content.envelope.payloadType;
  if (statement !== undefined) record.predicateType = statement.predicateType;
  const signer = verdict.verified ? signerOf(verdict.result) : claimedSigner(bundle);
  if (signer !== undefined) record.signer = signer;
  if (!verdict.verified) record.reason = verdict.reason;
  if (verdict.verified) {
    const times = verdict.result.trustedTimes.map((t) => t.time.getTime()).sort((a, b) => a - b);
    if (times[0] !== undefined) record.signedAt = new Date(times[0]).toISOString();
  }
  if (statement !== undefined) {
    const facts = provenanceFactsOf(statement.predicateType, statement.predicate);
    if (facts !== undefined) record.provenance = facts;
  }
  return record;
}

function signerOf(result: VerificationResult): AttestationSigner {
  if (result.signer.kind === "publicKey") return { kind: "key", identity: `sha256:${result.signer.keyId}` };
  const { subject, issuer } = result.signer.identity;
  return { kind: "certificate", identity: subject, ...(issuer !== undefined ? { issuer } : {}) };
}

/** What an unverified certificate claims (its first SAN): shown as claimed, never counted as a signer. */
function claimedSigner(bundle: Bundle): AttestationSigner | undefined {
  if (bundle.material.kind !== "certificate" || bundle.material.certificates[0] === undefined) return undefined;
  try {
    const name = parseCertificate(bundle.material.certificates[0]).subjectAltNames.find((n) => "value" in n && typeof n.value === "string");
    return name && "value" in name && typeof name.value === "string" ? { kind: "certificate", identity: name.value } : undefined;
  } catch {
    return undefined;
  }
}

function verifiedEntries(result: VerificationResult): AttestationLogEntry[] {
  return result.tlogEntries.map((e) => ({ logId: e.logId, logIndex: e.logIndex.toString(), ...(e.integratedTime ? { integratedTime: e.integratedTime.toISOString() } : {}) }));
}

function claimedEntries(bundle: Bundle): AttestationLogEntry[] {
  return bundle.tlogEntries.map((e) => {
    const entry: AttestationLogEntry = { logId: Buffer.from(e.logId).toString("hex"), logIndex: e.logIndex.toString() };
    const seconds = e.integratedTime === undefined ? 0 : Number(e.integratedTime);
    if (seconds > 0 && Number.isSafeInteger(seconds) && seconds < 253402300800) entry.integratedTime = new Date(seconds * 1000).toISOString();
    return entry;
  });
}

const keyIds = new WeakMap<KeyObject, string>();
function keyIdOf(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex");
    keyIds.set(key, id);
  }
  return id;
}

function sha256Id(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
