import { VouchError } from "./errors.js";

/** RFC 3339 date-time: date, time, optional fraction of any length, Z or an offset (a space for T, as RFC 3339 allows). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 timestamp as UTC with nine fraction digits ("2021-12-10T00:40:56.000000000Z"), so that comparing the
 * strings compares the instants: osv.dev writes up to nine fraction digits, other feeds none or an offset.
 */
export function canonicalTimestamp(text: string, what: string): string {
  const m = RFC3339.exec(text);
  if (m === null) throw new VouchError("INPUT_MALFORMED", `${what} is not an RFC 3339 timestamp: ${JSON.stringify(text.slice(0, 40))}`);
  const [, y, mo, d, h, mi, s, frac = "", , sign, oh, om] = m;
  if (frac.length > 9 && /[1-9]/.test(frac.slice(9))) {
    throw new VouchError("INPUT_MALFORMED", `${what} has more precision than nanoseconds: ${JSON.stringify(text.slice(0, 40))}`);
  }
  const offsetMinutes = sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  // A leap second (:60) reads as the first second of the next minute, as Date.UTC rolls it over.
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMinutes * 60_000;
  if (!Number.isFinite(ms)) throw new VouchError("INPUT_MALFORMED", `${what} is out of range: ${JSON.stringify(text.slice(0, 40))}`);
  const whole = new Date(ms).toISOString().slice(0, 19);
  return `${whole}.${frac.slice(0, 9).padEnd(9, "0")}Z`;
}

