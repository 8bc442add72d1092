import { VouchError, type VerifyErrorCode } from "../../core/errors.js";
import type { TransparencyLogInstance, ValidityPeriod } from "../../bundle/types.js";

/**
 * The trusted-root log whose ID is `logId` and whose key was valid at `at`.
 *
 * The entry's log ID is attacker-controlled: it only selects among keys the trusted root already trusts. Validity
 * is a closed interval [start, end] (protobuf-specs TimeRange; conformance case
 * trust-root-tlog-validity-end-inclusive), and a key without a usable start verifies nothing
 * (trust-root-tlog-missing-validity-start_fail): an open start would make a rotated-in key retroactively valid.
 *
 * @param code the error code of the calling step (VERIFY_TLOG_INCLUSION or VERIFY_TLOG_SET).
 * @throws VouchError `code` when no trusted log has that ID or none of its keys was valid at `at`.
 * @example
 *   const tlog = selectLogKey(trustedRoot.tlogs, entry.logId, integratedTime, "VERIFY_TLOG_SET");
 */
export function selectLogKey(
  tlogs: readonly TransparencyLogInstance[],
  logId: Uint8Array,
  at: Date,
  code: VerifyErrorCode,
): TransparencyLogInstance {
  if (Number.isNaN(at.getTime())) throw new VouchError(code, "no valid time to choose the log key at");
  const candidates = tlogs.filter((t) => bytesEqual(t.logId, logId));
  if (candidates.length === 0) {
    throw new VouchError(code, `no transparency log in the trusted root has log ID ${base64(logId)}`);
  }
  const valid = candidates.find((t) => isValidAt(t.validFor, at));
  if (valid !== undefined) return valid;
  const why = candidates.map((t) => `${t.baseUrl || base64(t.logId)} is trusted ${describe(t.validFor)}`).join("; ");
  throw new VouchError(code, `the log key was not trusted at ${at.toISOString()}: ${why}`);
}

/** start <= at <= end, with `end` absent meaning "still valid" and a missing or invalid start meaning "never". */
export function isValidAt(validFor: ValidityPeriod | undefined, at: Date): boolean {
  const start = validFor?.start;
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) return false;
  const t = at.getTime();
  if (t < start.getTime()) return false;
  const end = validFor?.end;
  if (end === undefined) return true;
  return !Number.isNaN(end.getTime()) && t <= end.getTime();
}

function describe(validFor: ValidityPeriod | undefined): string {
  const start = validFor?.start;
  if (!(start instanceof Date) || Number.isNaN(start.getTime())) return "never (its validity has no start)";
  const end = validFor?.end;
  return end === undefined ? `from ${start.toISOString()}` : `from ${start.toISOString()} to ${iso(end)}`;
}

function iso(d: Date): string {
  return Number.isNaN(d.getTime()) ? "an invalid end" : d.toISOString();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
