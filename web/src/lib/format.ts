/** Display formatting shared by the views. Pure (no DOM), unit-tested in node. */

/** A ratio in [0, 1] as a percentage with one decimal (`0.6667` → `66.7%`); `—` when there is no value. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const pct = Math.round(value * 1000) / 10;
  // -0 would print as "-0.0%".
  return `${(pct === 0 ? 0 : pct).toFixed(1)}%`;
}

/** The API's value as the contract's `data-value`: three decimals, or `absent` (not computable / nothing in scope). */
export function dataValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "absent";
  return value.toFixed(3);
}

/** `sha256:abcdef…` → `sha256:abcdef12…` for tables; the full digest stays in titles and links. */
export function shortDigest(digest: string, hexChars = 12): string {
  const colon = digest.indexOf(":");
  if (colon < 0) return digest.length > hexChars ? `${digest.slice(0, hexChars)}…` : digest;
  const hex = digest.slice(colon + 1);
  return hex.length > hexChars ? `${digest.slice(0, colon + 1)}${hex.slice(0, hexChars)}…` : digest;
}

/** RFC 3339 → `2025-03-14 09:26 UTC` (UTC: on-call timelines are compared across time zones). */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** RFC 3339 → `03-14` for chart axes. */
export function formatDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(5, 10);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
