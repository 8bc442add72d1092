/**
 * The values of a Berkeley DB hash database, the legacy rpm database `var/lib/rpm/Packages` (RHEL/CentOS 7 and
 * 8, Amazon Linux 2, older Fedora and SUSE): read page by page, without the library, like go-rpmdb does.
 *
 * Page 0 is the hash metadata page (magic 0x061561, page size, last page number). Hash pages (type 13, or 2 for
 * unsorted) hold an array of item offsets after a 26-byte page header; items alternate key and value. A value is
 * inline (H_KEYDATA) or, for anything larger than a quarter page (every rpm header), H_OFFPAGE: a chain of
 * overflow pages (type 7) each holding `hf_offset` bytes, linked by next_pgno.
 *
 * Every number is attacker-controlled: pages are bounded by the file, chains by the declared total length and a
 * visited set (a cycle would otherwise loop forever), item offsets by the page.
 */

export class BdbError extends Error {}

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
/** rpm's own header limit; no value is longer. */
const MAX_VALUE = 256 * 1024 * 1024;

export function isBerkeleyHash(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 512) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getUint32(12, true) === HASH_MAGIC || v.getUint32(12, false) === HASH_MAGIC;
}

/** Every value of the hash database, in page order. */
export function readBerkeleyHashValues(bytes: Uint8Array): Uint8Array[] {
  if (!isBerkeleyHash(bytes)) throw new BdbError("not a Berkeley DB hash database (no hash magic in the metadata page)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(12, true) === HASH_MAGIC;
  const u32 = (at: number) => view.getUint32(at, le);
  const u16 = (at: number) => view.getUint16(at, le);
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new BdbError(`page size ${pageSize} is not a power of two in 512..65536`);
  if (bytes[24] !== 0) throw new BdbError("the database is encrypted");
  const pages = Math.floor(bytes.byteLength / pageSize);
  const lastPgno = Math.min(u32(32), pages - 1);

  const values: Uint8Array[] = [];
  for (let pgno = 1; pgno <= lastPgno; pgno++) {
    const base = pgno * pageSize;
    const type = bytes[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) throw new BdbError(`page ${pgno} declares ${entries} items, more than fit in a ${pageSize}-byte page`);
    const offsets: number[] = [];
    for (let i = 0; i < entries; i++) offsets.push(u16(base + PAGE_HEADER + i * 2));
    // Items alternate key, value: the values are the odd ones.
    for (let i = 1; i < entries; i += 2) {
      const off = offsets[i]!;
      if (off < PAGE_HEADER || off >= pageSize) throw new BdbError(`page ${pgno} item ${i} lies outside the page`);
      const itemType = bytes[base + off];
      if (itemType === H_OFFPAGE) {
        if (off + 12 > pageSize) throw new BdbError(`page ${pgno} item ${i} is cut off by the end of the page`);
        values.push(readOverflow(bytes, pageSize, lastPgno, u32(base + off + 4), u32(base + off + 8), u32, u16));
      } else if (itemType === H_KEYDATA) {
        // Items are packed from the end of the page down: an inline item runs to the next item above it.
        const end = offsets.reduce((min, o) => (o > off && o < min ? o : min), pageSize);
        values.push(bytes.slice(base + off + 1, base + end));
      }
    }
  }
  return values;
}

function readOverflow(
  bytes: Uint8Array,
  pageSize: number,
  lastPgno: number,
  first: number,
  total: number,
  u32: (at: number) => number,
  u16: (at: number) => number,
): Uint8Array {
  if (total > MAX_VALUE || total > bytes.byteLength) throw new BdbError(`an overflow value declares ${total} bytes, more than the database holds`);
  const out = new Uint8Array(total);
  let filled = 0;
  const visited = new Set<number>();
  for (let pgno = first; pgno !== 0 && filled < total; ) {
    if (pgno > lastPgno || visited.has(pgno)) throw new BdbError(`overflow chain reaches page ${pgno}${visited.has(pgno) ? " twice (a cycle)" : ", past the last page"}`);
    visited.add(pgno);
    const base = pgno * pageSize;
    if (bytes[base + 25] !== P_OVERFLOW) throw new BdbError(`overflow chain reaches page ${pgno}, which is not an overflow page`);
    const used = Math.min(u16(base + 22), pageSize - PAGE_HEADER, total - filled);
    out.set(bytes.subarray(base + PAGE_HEADER, base + PAGE_HEADER + used), filled);
    filled += used;
    pgno = u32(base + 16);
  }
  if (filled < total) throw new BdbError(`overflow chain ends after ${filled} of ${total} bytes`);
  return out;
}
