import { VouchError } from "../../core/errors.js";

/**
 * Resource paths of c2sp.org/tlog-tiles: hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles
 * `tile/entries/<N>[.p/<W>]`. A tile holds TILE_WIDTH hashes (or entries); a partial one is named by its width.
 */

/** Hashes (or entries) in a full tile: tlog-tiles fixes the tile height at 8. */
export const TILE_WIDTH = 256;
export const TILE_HEIGHT = 8;
/** tlog-tiles: "<L> … MUST be a decimal ASCII integer between 0 and 63". */
export const MAX_TILE_LEVEL = 63;

export type TileRef =
  | { kind: "hashes"; level: number; index: number; width: number }
  | { kind: "entries"; index: number; width: number };

/**
 * `<N>` per tlog-tiles: zero-padded three-digit groups, every group but the last prefixed with "x"
 * (1234067 → x001/x234/067), so that directories stay small and a full-tile path never changes.
 */
export function encodeTileIndex(index: number): string {
  let rest = index;
  let out = String(rest % 1000).padStart(3, "0");
  rest = Math.floor(rest / 1000);
  while (rest > 0) {
    out = `x${String(rest % 1000).padStart(3, "0")}/${out}`;
    rest = Math.floor(rest / 1000);
  }
  return out;
}

/** The path of a tile at a width: a full tile has no `.p/<W>` suffix. */
export function tilePath(ref: TileRef): string {
  const base = ref.kind === "entries" ? `tile/entries/${encodeTileIndex(ref.index)}` : `tile/${ref.level}/${encodeTileIndex(ref.index)}`;
  return ref.width === TILE_WIDTH ? base : `${base}.p/${ref.width}`;
}

const GROUP = /^x\d{3}$/;
const LAST = /^\d{3}$/;
const LEVEL = /^(?:0|[1-9]\d?)$/;
const WIDTH = /^[1-9]\d{0,2}$/;

/**
 * Parses a request path (without the leading slash and prefix) into a tile reference, or undefined when it is not a
 * tile path. Strict: non-canonical spellings (leading zeros, widths ≥ 256, a ".p/256") are not tiles.
 */
export function parseTilePath(path: string): TileRef | undefined {
  const parts = path.split("/");
  if (parts[0] !== "tile" || parts.length < 3) return undefined;
  let width = TILE_WIDTH;
  let indexParts = parts.slice(2);
  const last = indexParts[indexParts.length - 1]!;
  if (indexParts.length >= 2 && indexParts[indexParts.length - 2]!.endsWith(".p")) {
    if (!WIDTH.test(last)) return undefined;
    width = Number(last);
    if (width >= TILE_WIDTH) return undefined;
    indexParts = indexParts.slice(0, -1);
    indexParts[indexParts.length - 1] = indexParts[indexParts.length - 1]!.slice(0, -2);
  }
  const index = decodeTileIndex(indexParts);
  if (index === undefined) return undefined;
  if (parts[1] === "entries") return { kind: "entries", index, width };
  if (!LEVEL.test(parts[1]!)) return undefined;
  const level = Number(parts[1]);
  if (level > MAX_TILE_LEVEL) return undefined;
  return { kind: "hashes", level, index, width };
}

function decodeTileIndex(parts: string[]): number | undefined {
  if (parts.length === 0 || parts.length > 6) return undefined;
  let index = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const isLast = i === parts.length - 1;
    if (!(isLast ? LAST : GROUP).test(part)) return undefined;
    index = index * 1000 + Number(isLast ? part : part.slice(1));
  }
  // "x000/001" would be a second spelling of 001: only the canonical one names a tile.
  if (parts.length > 1 && parts[0] === "x000") return undefined;
  return Number.isSafeInteger(index) ? index : undefined;
}

/** The error for a tile index, level or width that is out of range for the caller's tree. */
export function badTile(message: string): VouchError {
  return new VouchError("LOG_NOT_FOUND", message);
}
