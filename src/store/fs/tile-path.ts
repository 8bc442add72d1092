/**
 * Where the filesystem driver keeps tiles: the c2sp.org/tlog-tiles resource paths, as Tessera's POSIX driver does, so
 * that the directory reads like the log's HTTP namespace. Each file holds the latest version of its tile (full or
 * partial) under the full-tile name; the `.p/<W>` names exist only on the wire, where the reader truncates.
 */

/** `tile/<L>/<N>`: the hash tile at level L, index N. */
export function tileFile(level: number, index: number): string {
  return `tile/${level}/${encodeTileIndex(index)}`;
}

/** `tile/entries/<N>`: entry bundle N. */
export function bundleFile(index: number): string {
  return `tile/entries/${encodeTileIndex(index)}`;
}

/**
 * `<N>` per tlog-tiles: three-digit zero-padded groups, all but the last prefixed with "x" (1234067 → x001/x234/067),
 * which keeps every directory at 1,000 entries or fewer.
 */
export function encodeTileIndex(index: number): string {
  let rest = Math.floor(index / 1000);
  let out = String(index % 1000).padStart(3, "0");
  while (rest > 0) {
    out = `x${String(rest % 1000).padStart(3, "0")}/${out}`;
    rest = Math.floor(rest / 1000);
  }
  return out;
}
