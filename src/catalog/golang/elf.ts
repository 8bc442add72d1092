/**
 * Just enough ELF (System V gABI, "Object Files" chapter) to find a Go binary's build info: the section
 * headers (by name, through the section-name string table) and the PT_LOAD program headers (to turn a
 * virtual address into a file offset, which the pre-1.18 build info needs).
 *
 * Every offset and size comes from the file, so each one is checked against the file's length before use:
 * a truncated or hostile header yields fewer sections, never a read outside the bytes.
 */

export interface ElfSection {
  name: string;
  /** Virtual address when loaded (0 for sections not loaded). */
  addr: number;
  offset: number;
  size: number;
  /** SHT_NOBITS (.bss) has no bytes in the file. */
  noBits: boolean;
}

export interface ElfSegment {
  vaddr: number;
  offset: number;
  fileSize: number;
  writable: boolean;
}

export interface ElfFile {
  is64: boolean;
  littleEndian: boolean;
  sections: ElfSection[];
  /** PT_LOAD segments only. */
  loads: ElfSegment[];
  /** Set when a table or name lies outside the file (a truncated binary): what is listed is what fitted. */
  truncated: boolean;
}

const SHT_NOBITS = 8;
const PT_LOAD = 1;
const PF_W = 2;
/** More section or program headers than any real binary has: a count above this is read as corruption. */
const MAX_HEADERS = 65535;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Parse the ELF headers; undefined when the bytes are not ELF or the identification is unusable. */
export function readElf(bytes: Uint8Array): ElfFile | undefined {
  if (!isElf(bytes) || bytes.length < 52) return undefined;
  const elfClass = bytes[4];
  const data = bytes[5];
  if ((elfClass !== 1 && elfClass !== 2) || (data !== 1 && data !== 2)) return undefined;
  const is64 = elfClass === 2;
  const littleEndian = data === 1;
  if (is64 && bytes.length < 64) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(view, littleEndian, is64);

  const phoff = r.addr(is64 ? 0x20 : 0x1c);
  const shoff = r.addr(is64 ? 0x28 : 0x20);
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  const phnum = r.u16(is64 ? 0x38 : 0x2c);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  const shnum = r.u16(is64 ? 0x3c : 0x30);
  const shstrndx = r.u16(is64 ? 0x3e : 0x32);
  let truncated = false;

  const loads: ElfSegment[] = [];
  const phMin = is64 ? 56 : 32;
  if (phnum > 0 && phentsize >= phMin && phnum <= MAX_HEADERS) {
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + phMin > bytes.length) {
        truncated = true;
        break;
      }
      if (r.u32(at) !== PT_LOAD) continue;
      const flags = is64 ? r.u32(at + 4) : r.u32(at + 24);
      loads.push({
        offset: r.addr(at + (is64 ? 8 : 4)),
        vaddr: r.addr(at + (is64 ? 16 : 8)),
        fileSize: r.addr(at + (is64 ? 32 : 16)),
        writable: (flags & PF_W) !== 0,
      });
    }
  }

  const raw: { nameOffset: number; type: number; addr: number; offset: number; size: number }[] = [];
  const shMin = is64 ? 64 : 40;
  if (shnum > 0 && shentsize >= shMin && shnum <= MAX_HEADERS) {
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      if (at + shMin > bytes.length) {
        truncated = true;
        break;
      }
      raw.push({
        nameOffset: r.u32(at),
        type: r.u32(at + 4),
        addr: r.addr(at + (is64 ? 16 : 12)),
        offset: r.addr(at + (is64 ? 24 : 16)),
        size: r.addr(at + (is64 ? 32 : 20)),
      });
    }
  }
  const strtab = raw[shstrndx];
  const sections: ElfSection[] = [];
  if (strtab && strtab.offset + strtab.size <= bytes.length) {
    const names = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
    for (const s of raw) {
      const name = cString(names, s.nameOffset);
      if (name === undefined) {
        truncated = true;
        continue;
      }
      sections.push({ name, addr: s.addr, offset: s.offset, size: s.size, noBits: s.type === SHT_NOBITS });
    }
  } else if (raw.length > 0) {
    truncated = true;
  }
  return { is64, littleEndian, sections, loads, truncated };
}

/** The file bytes of a section; undefined when it has none or they lie past the end of the file. */
export function sectionBytes(bytes: Uint8Array, section: ElfSection): Uint8Array | undefined {
  if (section.noBits || section.offset + section.size > bytes.length) return undefined;
  return bytes.subarray(section.offset, section.offset + section.size);
}

/** `length` bytes at virtual address `vaddr`, from the PT_LOAD segment holding them; undefined when none does. */
export function bytesAtAddress(elf: ElfFile, bytes: Uint8Array, vaddr: number, length: number): Uint8Array | undefined {
  for (const seg of elf.loads) {
    if (vaddr < seg.vaddr || vaddr + length > seg.vaddr + seg.fileSize) continue;
    const at = seg.offset + (vaddr - seg.vaddr);
    if (at + length > bytes.length) return undefined;
    return bytes.subarray(at, at + length);
  }
  return undefined;
}

function cString(bytes: Uint8Array, at: number): string | undefined {
  if (at >= bytes.length) return undefined;
  const end = bytes.indexOf(0, at);
  if (end < 0) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at).toString("latin1");
}

class Reader {
  constructor(
    private readonly view: DataView,
    private readonly le: boolean,
    private readonly is64: boolean,
  ) {}

  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }

  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  /** An address or offset field; 64-bit values past 2^53 cannot be file offsets and read as Infinity. */
  addr(at: number): number {
    if (!this.is64) return this.view.getUint32(at, this.le);
    const v = this.view.getBigUint64(at, this.le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  }
}
