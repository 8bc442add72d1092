/**
 * Strings ordered by UTF-16 code units (what `<` compares), never by locale: the index's answers are deterministic
 * whatever the server's locale, and match the stores' order (sql-common.ts byCodeUnits; SQLite's BINARY collation).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
