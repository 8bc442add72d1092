/**
 * Compare two strings of ASCII digits as unbounded non-negative integers, without BigInt: version components in
 * real advisories exceed 2^53 (dates glued to times, `999999999999999999999999999991`), and every scheme here must
 * order them exactly. Leading zeros are insignificant ("01" = "1"). Returns -1, 0 or 1.
 */
export function compareDigits(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** "007" → "7", "000" → "0". */
export function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** Whether the string is one or more ASCII digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Three-way comparison of two strings by UTF-16 code unit (ASCII order for ASCII), -1/0/1. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** -1, 0 or 1 from any number (the VersionScheme contract only promises the sign; tests read it exactly). */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * `parse` with its results kept for reuse: parsing is most of a comparison's cost, and a matcher compares the same
 * few versions (an advisory's events, a component's version) over and over. Bounded: the store is cleared when it
 * holds `max` versions. Results are shared, so a parse must return values nobody mutates.
 */
export function memoizeParse<T>(parse: (version: string) => T, max = 10_000): (version: string) => T {
  const kept = new Map<string, T>();
  return (version) => {
    let value = kept.get(version);
    if (value === undefined) {
      value = parse(version);
      if (kept.size >= max) kept.clear();
      kept.set(version, value);
    }
    return value;
  };
}
