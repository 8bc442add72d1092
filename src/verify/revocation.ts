import type { KeyObject } from "node:crypto";
import { WireReader } from "../bundle/wire.js";
import type { DsseEnvelope } from "../bundle/types.js";
import { importPublicKey, keyId as keyIdOf, verify as verifyWithKey } from "../core/crypto/keys.js";
import { preAuthEncoding } from "../core/dsse/pae.js";
import type { JsonPath } from "../core/encoding/json-text.js";

/**
 * Key revocation (issue 3): a list of keys that were compromised, each with the time of the compromise, and the
 * decision the verifier takes from it.
 *
 * Why a compromise *time* and not just "revoked": a signature made before the key leaked is still the owner's, and
 * releases signed years ago must keep verifying. What is before or after the compromise cannot be taken from the
 * bundle's own claims (an attacker holding the key can write any date), only from a trusted signing time: a log
 * integrated time whose SET verified, or an RFC 3161 timestamp from a trusted TSA, both bound to this very signature
 * by the verifier before this check runs. So:
 *
 *   - every trusted time before the compromise      -> accepted, and the result says "signed before the compromise";
 *   - any trusted time at or after the compromise   -> rejected (VERIFY_KEY);
 *   - no trusted time at all                        -> rejected: nothing shows the signature predates the compromise,
 *                                                      and the key's thief can make such signatures at will.
 *
 * "Any" rather than "the earliest": a signature counted by several time sources is accepted only when all of them
 * place it before the compromise, so one lying or mistaken source cannot backdate it, and a signature that (also)
 * appeared after the compromise is treated as the thief's. The cost is a false rejection of an old signature that was
 * re-logged after the compromise; for a compromised key that is the side to err on.
 *
 * A key revoked twice (two compromise times) counts from the earliest one. The wire form (stored as the payload of a
 * DSSE envelope, see src/api/revocation.ts) is
 *
 *   {"mediaType": "application/vnd.vouch.revocations+json;version=0.1",
 *    "revocations": [{"keyId": hex SHA-256 of the SPKI DER, "publicKey": PEM, "compromisedAt": RFC 3339,
 *                     "reason": text, "revokedAt": RFC 3339}, ...]}        sorted by keyId, then compromisedAt.
 */
export const REVOCATIONS_MEDIA_TYPE = "application/vnd.vouch.revocations+json;version=0.1";

export interface Revocation {
  /** Lowercase hex SHA-256 of the key's SPKI DER (vouch's key ID and bundle public-key hint). */
  keyId: string;
  /** The revoked public key (SPKI PEM): keeps the list self-describing, and its hash must be keyId. */
  publicKey: string;
  /** From this instant on, signatures by the key are not the owner's. Millisecond precision, rounded down. */
  compromisedAt: Date;
  reason: string;
  /** When the revocation was recorded. Informational: the decision depends on compromisedAt only. */
  revokedAt: Date;
}

export interface RevocationList {
  /** Sorted by keyId, then compromisedAt; no two entries with the same key and compromise time. */
  revocations: readonly Revocation[];
}

export const EMPTY_REVOCATION_LIST: RevocationList = { revocations: [] };

/** The slice of a verifier's trusted time this check reads (src/verify/verifier.ts TrustedTime). */
export interface RevocationTrustedTime {
  source: string;
  time: Date;
  by?: string;
}

export type RevocationDecision =
  | { revoked: false }
  | {
      revoked: true;
      /** True: every trusted time is before the compromise. False: reject (with `detail` as the reason). */
      accepted: boolean;
      detail: string;
      /** The revocation that decided (the key's earliest compromise). */
      revocation: Revocation;
    };

/**
 * Is the signer's key revoked, and if so, was this signature made before the compromise? Pure: the caller passes the
 * signature's trusted times, already verified. The verifier turns `accepted: false` into VERIFY_KEY.
 *
 * @example
 *   const d = checkRevocation(result.signer.keyId, result.trustedTimes, list);
 *   if (d.revoked && !d.accepted) throw new VouchError("VERIFY_KEY", d.detail);
 */
export function checkRevocation(signerKeyId: string, trustedTimes: readonly RevocationTrustedTime[], list: RevocationList): RevocationDecision {
  const id = signerKeyId.toLowerCase();
  let revocation: Revocation | undefined;
  for (const r of list.revocations) {
    if (r.keyId === id && (revocation === undefined || r.compromisedAt.getTime() < revocation.compromisedAt.getTime())) revocation = r;
  }
  if (revocation === undefined) return { revoked: false };
  const compromised = revocation.compromisedAt.toISOString();
  const what = `key ${id} is revoked (compromised at ${compromised}: ${revocation.reason})`;
  if (trustedTimes.length === 0) {
    return {
      revoked: true,
      accepted: false,
      revocation,
      detail: `${what} and the signature has no trusted signing time (verified log integrated time or RFC 3161 timestamp) to show it was made before the compromise`,
    };
  }
  const late = trustedTimes.find((t) => t.time.getTime() >= revocation.compromisedAt.getTime());
  if (late !== undefined) {
    return {
      revoked: true,
      accepted: false,
      revocation,
      detail: `${what}: signed at or after the compromise (trusted time ${late.time.toISOString()} from ${describeSource(late)} is not before ${compromised})`,
    };
  }
  return {
    revoked: true,
    accepted: true,
    revocation,
    detail: `${what}, but signed before the compromise: trusted time${trustedTimes.length === 1 ? "" : "s"} ${trustedTimes
      .map((t) => `${t.time.toISOString()} (${describeSource(t)})`)
      .join(", ")} before ${compromised}`,
  };
}

function describeSource(t: RevocationTrustedTime): string {
  return t.by ? `${t.source}: ${t.by}` : t.source;
}

/**
 * Add a revocation; idempotent for the same key and compromise time (then `added` is false and the list unchanged,
 * the first reason kept: a revocation is a record of what was said at the time, not something to edit).
 */
export function addRevocation(list: RevocationList, entry: Revocation): { list: RevocationList; added: boolean } {
  const existing = list.revocations.find((r) => r.keyId === entry.keyId && r.compromisedAt.getTime() === entry.compromisedAt.getTime());
  if (existing) return { list, added: false };
  return { list: { revocations: sortRevocations([...list.revocations, entry]) }, added: true };
}

function sortRevocations(revocations: Revocation[]): Revocation[] {
  return revocations.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : a.compromisedAt.getTime() - b.compromisedAt.getTime()));
}

/** The list's JSON document (deterministic: sorted, times as RFC 3339 UTC with milliseconds). */
export function revocationListDocument(list: RevocationList): { mediaType: string; revocations: Record<string, string>[] } {
  return {
    mediaType: REVOCATIONS_MEDIA_TYPE,
    revocations: sortRevocations([...list.revocations]).map((r) => ({
      keyId: r.keyId,
      publicKey: r.publicKey,
      compromisedAt: r.compromisedAt.toISOString(),
      reason: r.reason,
      revokedAt: r.revokedAt.toISOString(),
    })),
  };
}

/** The bytes that get signed: the document as JSON text. */
export function encodeRevocationList(list: RevocationList): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(revocationListDocument(list), null, 2)}\n`);
}

/**
 * Parse a revocation list document (already JSON-decoded). Every field is checked: the list decides whether
 * signatures are accepted, and a shipped list is input from elsewhere. A keyId that is not the hash of its publicKey
 * is refused (it would revoke one key while showing another).
 */
export function parseRevocationList(json: unknown, options: { file?: string; text?: string; path?: JsonPath } = {}): RevocationList {
  const w: WireReader = new WireReader("revocation list", options.file, options.text);
  const at = options.path ?? [];
  const root = w.object(json, at);
  const mediaType = w.string(root.mediaType, [...at, "mediaType"]);
  if (mediaType !== REVOCATIONS_MEDIA_TYPE) w.fail([...at, "mediaType"], `is ${mediaType}, expected ${REVOCATIONS_MEDIA_TYPE}`, "INPUT_UNSUPPORTED_FORMAT");
  const revocations: Revocation[] = [];
  const seen = new Set<string>();
  w.array(root.revocations, [...at, "revocations"]).forEach((value, i) => {
    const path = [...at, "revocations", i];
    const entry = w.object(value, path);
    const keyId = w.string(entry.keyId, [...path, "keyId"]);
    if (!/^[0-9a-f]{64}$/.test(keyId)) w.fail([...path, "keyId"], "must be 64 lowercase hex characters (SHA-256 of the key's SPKI DER)");
    const publicKey = w.string(entry.publicKey, [...path, "publicKey"]);
    let key: KeyObject;
    try {
      key = importPublicKey(publicKey);
    } catch (err) {
      w.fail([...path, "publicKey"], `is not a supported public key (${err instanceof Error ? err.message : String(err)})`);
    }
    if (keyIdOf(key) !== keyId) w.fail([...path, "keyId"], "is not the SHA-256 of publicKey's SPKI DER");
    const compromisedAt = w.timestamp(entry.compromisedAt, [...path, "compromisedAt"], "floor");
    const revokedAt = w.timestamp(entry.revokedAt, [...path, "revokedAt"]);
    const reason = w.string(entry.reason, [...path, "reason"]);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(reason)) w.fail([...path, "reason"], "must be one line of text (no control characters)");
    const dedupe = `${keyId}/${compromisedAt.getTime()}`;
    if (seen.has(dedupe)) return;
    seen.add(dedupe);
    revocations.push({ keyId, publicKey, compromisedAt, reason, revokedAt });
  });
  return { revocations: sortRevocations(revocations) };
}

/** A DSSE envelope in its JSON form (DSSE envelope.md): base64 payload and signatures. */
export interface DsseEnvelopeJson {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export function envelopeToJson(envelope: DsseEnvelope): DsseEnvelopeJson {
  return {
    payloadType: envelope.payloadType,
    payload: Buffer.from(envelope.payload).toString("base64"),
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig).toString("base64") })),
  };
}

/**
 * Open a signed revocation list: the DSSE envelope's one signature must verify over PAE(payloadType, payload) with
 * the list key, and the payload type must be the list's media type (signed into PAE, so a signature over another
 * kind of document cannot be passed off as a list). Anything else — unsigned, signed by another key, edited — is
 * INPUT_MALFORMED naming the file: a revocation list is never silently ignored, since ignoring it would accept every
 * revoked key.
 *
 * @param keyName how the list key is named in messages ("revocation-list.pub")
 */
export function openRevocationEnvelope(
  json: unknown,
  listKey: KeyObject,
  options: { file?: string; text?: string; path?: JsonPath; keyName?: string } = {},
): { list: RevocationList; envelope: DsseEnvelope } {
  const w: WireReader = new WireReader("revocation list", options.file, options.text);
  const at = options.path ?? [];
  const env = w.object(json, at);
  const payloadType = w.string(env.payloadType, [...at, "payloadType"]);
  if (payloadType !== REVOCATIONS_MEDIA_TYPE) w.fail([...at, "payloadType"], `is ${payloadType}, expected ${REVOCATIONS_MEDIA_TYPE}`);
  const payload = w.bytes(env.payload, [...at, "payload"]);
  const signatures = w.array(env.signatures, [...at, "signatures"]);
  if (signatures.length !== 1) w.fail([...at, "signatures"], `must hold exactly one signature (by the list key), not ${signatures.length}: the list is unsigned or not vouch's`);
  const signature = w.object(signatures[0], [...at, "signatures", 0]);
  const sig = w.bytes(signature.sig, [...at, "signatures", 0, "sig"]);
  const keyid = w.optionalString(signature.keyid, [...at, "signatures", 0, "keyid"]);
  if (!verifyWithKey(listKey, preAuthEncoding(payloadType, payload), sig)) {
    w.fail([...at, "signatures", 0, "sig"], `does not verify with ${options.keyName ?? "the list key"}: the list was changed after it was signed, or signed by another key`);
  }
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload)) as unknown;
  } catch (err) {
    w.fail([...at, "payload"], `is not JSON text (${err instanceof Error ? err.message : String(err)})`);
  }
  // Errors inside the signed document name it as "payload.revocations[0]...": it is the decoded payload.
  const list = parseRevocationList(document, { ...(options.file !== undefined ? { file: options.file } : {}), path: [...at, "payload"] });
  return { list, envelope: { payloadType, payload, signatures: [{ keyid, sig }] } };
}

/** Sign a revocation list into a DSSE envelope with a signing function (the list key: src/api/revocation.ts). */
export function revocationEnvelope(list: RevocationList, sign: (pae: Uint8Array) => Uint8Array, keyId: string): DsseEnvelope {
  const payload = encodeRevocationList(list);
  return { payloadType: REVOCATIONS_MEDIA_TYPE, payload, signatures: [{ keyid: keyId, sig: sign(preAuthEncoding(REVOCATIONS_MEDIA_TYPE, payload)) }] };
}
