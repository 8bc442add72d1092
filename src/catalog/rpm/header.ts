/**
 * RPM header blobs as the rpm database stores them (rpm's lib/header.c, `headerImport`): a header without its
 * 8-byte magic,
 *
 *   il (u32 BE, entry count) · dl (u32 BE, data length) · il × entry { tag u32, type u32, offset i32, count u32 } · data[dl]
 *
 * Every field of the blob is attacker-controlled (a hostile image ships its own database), so each entry is
 * checked against the data store before it is read: the offset within it, the count bounded by what fits,
 * strings NUL-terminated inside it. rpm's own limits apply (at most 0xffff entries, 256 MiB of data).
 */

export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  PACKAGER: 1015,
  URL: 1020,
  ARCH: 1022,
  FILEMODES: 1030,
  FILEDIGESTS: 1035,
  SOURCERPM: 1044,
  PROVIDENAME: 1047,
  REQUIRENAME: 1049,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  FILEDIGESTALGO: 5011,
} as const;

const TYPE = { NULL: 0, CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;
const TYPE_SIZE: Record<number, number> = { [TYPE.CHAR]: 1, [TYPE.INT8]: 1, [TYPE.INT16]: 2, [TYPE.INT32]: 4, [TYPE.INT64]: 8, [TYPE.BIN]: 1 };

const MAX_ENTRIES = 0xffff;
const MAX_DATA = 0x0fffffff;

export class HeaderError extends Error {}

interface IndexEntry {
  type: number;
  offset: number;
  count: number;
}

/** A parsed header: typed accessors that return undefined for an absent tag or one of another type. */
export class RpmHeader {
  private constructor(
    private readonly data: Uint8Array,
    private readonly view: DataView,
    private readonly entries: Map<number, IndexEntry>,
  ) {}

  /** Parse a header blob; throws HeaderError naming what is wrong. */
  static parse(blob: Uint8Array): RpmHeader {
    if (blob.byteLength < 8) throw new HeaderError(`header blob of ${blob.byteLength} bytes is shorter than its 8-byte preamble`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const il = view.getUint32(0);
    const dl = view.getUint32(4);
    if (il === 0 || il > MAX_ENTRIES) throw new HeaderError(`header index count ${il} is outside 1..${MAX_ENTRIES}`);
    if (dl > MAX_DATA) throw new HeaderError(`header data length ${dl} exceeds ${MAX_DATA}`);
    const dataStart = 8 + il * 16;
    if (dataStart + dl > blob.byteLength) throw new HeaderError(`header declares ${il} entries and ${dl} data bytes, more than the ${blob.byteLength}-byte blob holds`);
    const data = blob.subarray(dataStart, dataStart + dl);
    const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const entries = new Map<number, IndexEntry>();
    for (let i = 0; i < il; i++) {
      const at = 8 + i * 16;
      const tag = view.getUint32(at);
      const type = view.getUint32(at + 4);
      const offset = view.getInt32(at + 8);
      const count = view.getUint32(at + 12);
      if (offset < 0 || offset > dl) throw new HeaderError(`header entry ${i} (tag ${tag}) points at offset ${offset}, past the ${dl}-byte data store`);
      if (type > TYPE.I18NSTRING) throw new HeaderError(`header entry ${i} (tag ${tag}) has unknown type ${type}`);
      const size = TYPE_SIZE[type];
      if (size !== undefined && count > (dl - offset) / size) throw new HeaderError(`header entry ${i} (tag ${tag}) holds ${count} items, more than fit in the data store`);
      if (count > dl && type !== TYPE.NULL) throw new HeaderError(`header entry ${i} (tag ${tag}) declares ${count} items in a ${dl}-byte data store`);
      // The first entry of a tag wins (region trailers repeat tags rpm itself ignores).
      if (!entries.has(tag)) entries.set(tag, { type, offset, count });
    }
    return new RpmHeader(data, dataView, entries);
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** A STRING or I18NSTRING tag (the first string of an I18N table), or the first of a STRING_ARRAY. */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e || (e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING && e.type !== TYPE.STRING_ARRAY) || e.count === 0) return undefined;
    return this.readStrings(e.offset, 1, tag)[0];
  }

  /** A STRING_ARRAY (or a single STRING as a one-element array). */
  strings(tag: number): string[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    if (e.type === TYPE.STRING) return this.readStrings(e.offset, 1, tag);
    if (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING) return [];
    return this.readStrings(e.offset, e.count, tag);
  }

  /** An integer array (INT8/16/32; INT64 read as numbers). */
  ints(tag: number): number[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      switch (e.type) {
        case TYPE.CHAR:
        case TYPE.INT8:
          out.push(this.view.getUint8(e.offset + i));
          break;
        case TYPE.INT16:
          out.push(this.view.getUint16(e.offset + i * 2));
          break;
        case TYPE.INT32:
          out.push(this.view.getUint32(e.offset + i * 4));
          break;
        case TYPE.INT64:
          out.push(Number(this.view.getBigUint64(e.offset + i * 8)));
          break;
        default:
          return [];
      }
    }
    return out;
  }

  int(tag: number): number | undefined {
    return this.ints(tag)[0];
  }

  private readStrings(offset: number, count: number, tag: number): string[] {
    const out: string[] = [];
    let at = offset;
    const decoder = new TextDecoder("utf-8", { fatal: false });
    for (let i = 0; i < count; i++) {
      const end = this.data.indexOf(0, at);
      if (end < 0) throw new HeaderError(`string ${i} of tag ${tag} runs past the end of the data store`);
      out.push(decoder.decode(this.data.subarray(at, end)));
      at = end + 1;
    }
    return out;
  }
}
