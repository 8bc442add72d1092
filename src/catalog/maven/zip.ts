import { inflateRawSync } from "node:zlib";
import { VouchError } from "../../core/errors.js";

/**
 * A read-only zip reader over bytes in memory (PKWARE APPNOTE.TXT 6.3.10), for jars: the central directory is
 * the index (as the JVM reads it), each entry is read through its local header, stored (0) and deflated (8)
 * entries are supported, ZIP64 records are honoured.
 *
 * Every size in a zip is attacker-controlled. Offsets are checked against the bytes before use, and inflating is
 * bounded twice: by the entry's declared size (a mismatch is corruption) and by the caller's `maxBytes` (a
 * decompression bomb stops at the cap instead of filling memory).
 */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
/** The EOCD record is 22 bytes plus a comment of at most 65535. */
const EOCD_SEARCH = 22 + 0xffff;
/** More entries than any real archive: a count above it is corruption or an attack on memory. */
const MAX_ENTRIES = 1_000_000;

export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
  }

  /** The first entry with this exact name. */
  find(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /**
   * The entry's uncompressed bytes (a view into the archive for stored entries). INPUT_TOO_LARGE when it is (or
   * inflates to) more than maxBytes; INPUT_MALFORMED when the entry cannot be read.
   */
  read(entry: ZipEntry, maxBytes: number): Uint8Array {
    if (entry.encrypted) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `zip entry ${entry.name} is encrypted`);
    if (entry.uncompressedSize > maxBytes) {
      throw new VouchError("INPUT_TOO_LARGE", `zip entry ${entry.name} declares ${entry.uncompressedSize} bytes, over the ${maxBytes}-byte limit`);
    }
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.length || this.u32(at) !== LFH_SIG) {
      throw new VouchError("INPUT_MALFORMED", `zip entry ${entry.name}: no local header at offset ${at}`);
    }
    const dataStart = at + 30 + this.u16(at + 26) + this.u16(at + 28);
    const dataEnd = dataStart + entry.compressedSize;
    if (dataEnd > this.bytes.length) throw new VouchError("INPUT_MALFORMED", `zip entry ${entry.name} runs past the end of the archive (truncated?)`);
    const data = this.bytes.subarray(dataStart, dataEnd);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) throw new VouchError("INPUT_MALFORMED", `stored zip entry ${entry.name} has two different sizes`);
      return data;
    }
    if (entry.method !== 8) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `zip entry ${entry.name} uses compression method ${entry.method}`);
    let out: Buffer;
    try {
      // One byte over the declared size is enough to see a lie; the cap keeps a bomb from growing further.
      out = inflateRawSync(data, { maxOutputLength: Math.min(maxBytes, entry.uncompressedSize) + 1 });
    } catch (err) {
      if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new VouchError("INPUT_TOO_LARGE", `zip entry ${entry.name} inflates past its declared ${entry.uncompressedSize} bytes`, { cause: err });
      }
      throw new VouchError("INPUT_MALFORMED", `zip entry ${entry.name} does not inflate: ${(err as Error).message}`, { cause: err });
    }
    if (out.length > entry.uncompressedSize) throw new VouchError("INPUT_TOO_LARGE", `zip entry ${entry.name} inflates past its declared ${entry.uncompressedSize} bytes`);
    if (out.length < entry.uncompressedSize) {
      throw new VouchError("INPUT_MALFORMED", `zip entry ${entry.name} inflates to ${out.length} bytes, not the declared ${entry.uncompressedSize}`);
    }
    return out;
  }

  private readCentralDirectory(): ZipEntry[] {
    const eocd = this.findEocd();
    let count = this.u16(eocd + 10);
    let size = this.u32(eocd + 12);
    let offset = this.u32(eocd + 16);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      const z = this.zip64(eocd);
      if (z) ({ count, size, offset } = z);
    }
    if (count > MAX_ENTRIES) throw new VouchError("INPUT_TOO_LARGE", `zip declares ${count} entries`);
    if (offset + size > this.bytes.length) {
      throw new VouchError("INPUT_MALFORMED", `zip central directory (offset ${offset}, ${size} bytes) lies outside the ${this.bytes.length}-byte archive`);
    }
    const entries: ZipEntry[] = [];
    let at = offset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > offset + size || this.u32(at) !== CDH_SIG) {
        throw new VouchError("INPUT_MALFORMED", `zip central directory entry ${i} is not where the directory says (offset ${at})`);
      }
      const flags = this.u16(at + 8);
      const method = this.u16(at + 10);
      let compressedSize = this.u32(at + 20);
      let uncompressedSize = this.u32(at + 24);
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const commentLength = this.u16(at + 32);
      let localHeaderOffset = this.u32(at + 42);
      const nameEnd = at + 46 + nameLength;
      const end = nameEnd + extraLength + commentLength;
      if (end > offset + size) throw new VouchError("INPUT_MALFORMED", `zip central directory entry ${i} runs past the directory`);
      // Bit 11: the name is UTF-8; otherwise CP437, which for the ASCII names of jars reads the same as latin1.
      const name = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at + 46, nameLength).toString((flags & 0x800) !== 0 ? "utf8" : "latin1");
      if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        // ZIP64 extended information (header 0x0001): the fields that are 0xFFFFFFFF above, in this order.
        for (let x = nameEnd; x + 4 <= nameEnd + extraLength; ) {
          const id = this.u16(x);
          const len = this.u16(x + 2);
          if (x + 4 + len > nameEnd + extraLength) break;
          if (id === 0x0001) {
            let p = x + 4;
            const next = () => {
              if (p + 8 > x + 4 + len) throw new VouchError("INPUT_MALFORMED", `zip entry ${name}: short ZIP64 extra field`);
              const v = this.u64(p);
              p += 8;
              return v;
            };
            if (uncompressedSize === 0xffffffff) uncompressedSize = next();
            if (compressedSize === 0xffffffff) compressedSize = next();
            if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
          }
          x += 4 + len;
        }
      }
      entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset, encrypted: (flags & 1) !== 0 });
      at = end;
    }
    return entries;
  }

  private findEocd(): number {
    const min = Math.max(0, this.bytes.length - EOCD_SEARCH);
    for (let at = this.bytes.length - 22; at >= min; at--) {
      if (this.u32(at) === EOCD_SIG && at + 22 + this.u16(at + 20) <= this.bytes.length) return at;
    }
    throw new VouchError("INPUT_MALFORMED", "not a zip archive: no end of central directory record (truncated?)");
  }

  private zip64(eocd: number): { count: number; size: number; offset: number } | undefined {
    const loc = eocd - 20;
    if (loc < 0 || this.u32(loc) !== ZIP64_LOCATOR_SIG) return undefined;
    const at = this.u64(loc + 8);
    if (at + 56 > this.bytes.length || this.u32(at) !== ZIP64_EOCD_SIG) throw new VouchError("INPUT_MALFORMED", "zip: ZIP64 end of central directory record missing");
    return { count: this.u64(at + 32), size: this.u64(at + 40), offset: this.u64(at + 48) };
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  /** A 64-bit field; a value past 2^53 cannot be a size or offset in memory and reads as Infinity. */
  private u64(at: number): number {
    const v = this.view.getBigUint64(at, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  }
}
