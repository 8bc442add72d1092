import { VouchError } from "../../core/errors.js";
import { loadVerificationKey, verifySignature } from "../../core/note/index.js";
import type { TlogEntry, TransparencyLogInstance } from "../../bundle/types.js";
import { base64, hex, selectLogKey } from "./select-log-key.js";
import { entryTime } from "./time.js";

export interface VerifiedSet {
  tlog: TransparencyLogInstance;
  /** The integrated time the log signed: a trusted signing time (Sigstore client spec, "Establishing a time"). */
  integratedTime: Date;
}

/**
 * Verifies a Rekor v1 signed entry timestamp (the log's promise of inclusion): a signature by the log key, valid at
 * the integrated time, over the canonical JSON (RFC 8785; sigstore-js packages/verify/src/tlog/set.ts)
 *   {"body":"<base64 canonicalizedBody>","integratedTime":<n>,"logID":"<hex log ID>","logIndex":<n>}
 * which binds body, integrated time, log and log index together.
 *
 * @throws VouchError VERIFY_TLOG_SET when the entry has no SET or integrated time, the log key is unknown or
 *   was not valid then, or the signature does not verify.
 * @example
 *   const { integratedTime } = verifySignedEntryTimestamp(entry, trustedRoot.tlogs);
 */
export function verifySignedEntryTimestamp(entry: TlogEntry, tlogs: readonly TransparencyLogInstance[]): VerifiedSet {
  const set = entry.signedEntryTimestamp;
  if (set === undefined || set.length === 0) throw fail("the entry has no signed entry timestamp");
  const integratedTime = entryTime(entry, "VERIFY_TLOG_SET");
  if (integratedTime === undefined) throw fail("the entry has no integrated time for its signed entry timestamp");
  if (entry.logIndex < 0n) throw fail(`log index ${entry.logIndex} is negative`);

  const tlog = selectLogKey(tlogs, entry.logId, integratedTime, "VERIFY_TLOG_SET");
  const key = loadVerificationKey(tlog.publicKeyDer, tlog.keyDetails);
  // Keys in lexicographic order, integers without exponent or quotes, no whitespace: the RFC 8785 form of this
  // object (no value needs escaping: base64, hex and decimal digits only).
  const payload =
    `{"body":"${base64(entry.canonicalizedBody)}","integratedTime":${entry.integratedTime},` +
    `"logID":"${hex(entry.logId)}","logIndex":${entry.logIndex}}`;
  if (!verifySignature(key, Buffer.from(payload, "utf8"), set)) {
    throw fail(`the signed entry timestamp does not verify with the key of ${tlog.baseUrl}`);
  }
  return { tlog, integratedTime };
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_TLOG_SET", message);
}
