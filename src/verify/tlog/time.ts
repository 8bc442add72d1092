import { VouchError, type VerifyErrorCode } from "../../core/errors.js";
import type { TlogEntry } from "../../bundle/types.js";

// new Date() accepts at most 8.64e15 ms; integrated times are seconds.
const MAX_SECONDS = 8_640_000_000_000n;

/** The entry's integrated time as a Date, or undefined when it has none (Rekor v2 writes 0 or leaves it out). */
export function entryTime(entry: TlogEntry, code: VerifyErrorCode): Date | undefined {
  const t = entry.integratedTime;
  if (t === undefined || t === 0n) return undefined;
  if (t < 0n || t > MAX_SECONDS) throw new VouchError(code, `integrated time ${t} is not a usable time`);
  return new Date(Number(t) * 1000);
}
