/**
 * Text from an SBOM on a terminal. Names, versions and licences come from files anyone can write, so control
 * characters (an ANSI escape can rewrite what the reader sees, a newline can forge a table row) are shown as
 * escapes, and very long values are cut.
 */
export function printable(value: string, max = 120): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max - 3)}...` : escaped;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[], indent = ""): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

export function percent(ratio: number): string {
  return `${(Math.round(ratio * 1000) / 10).toFixed(1)}%`;
}
