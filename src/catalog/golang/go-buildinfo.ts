import { VouchError } from "../../core/errors.js";
import { bytesAtAddress, readElf, sectionBytes, type ElfFile } from "./elf.js";

/**
 * The build information the Go linker embeds in every binary built with module support (Go ≥ 1.13), read
 * the way Go's own debug/buildinfo does (src/debug/buildinfo/buildinfo.go), without running anything.
 *
 * The blob starts with a 32-byte header, 16-byte aligned, at the start of the `.go.buildinfo` section (or
 * near the start of the first writable PT_LOAD segment when sections are stripped):
 *   [0:14]  "\xff Go buildinf:"
 *   [14]    pointer size (4 or 8)
 *   [15]    flags: bit 0 big-endian (pointer format), bit 1 inline strings
 * Go ≥ 1.18 ("inline"): at [32] two uvarint-length-prefixed strings follow, the Go version then the module
 * info. Go < 1.18 ("pointer"): [16] and [16+ptrSize] are virtual addresses of Go string headers
 * {data pointer, length}, which point at the strings elsewhere in the data segment.
 *
 * The module info is framed by two 16-byte sentinels (the linker's way of finding it); a string that is not
 * framed carries no module info (a binary built outside module mode): only the Go version is known.
 */

const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
const HEADER_SIZE = 32;
const ALIGN = 16;
/** Go reads 64 KiB from the start of the data to find the header; so does this. */
const SEARCH_WINDOW = 64 * 1024;
/** Upper bounds on the strings: a Go version is a few dozen bytes; module info of the largest binaries is ~100 KiB. */
const MAX_VERSION = 1024;
const MAX_MODINFO = 16 * 1024 * 1024;

export interface RawBuildInfo {
  /** "go1.21.5", as the linker wrote it ("devel go1.23-…" for development toolchains). */
  goVersion: string;
  /** The module info text without its sentinels; "" when the binary was built outside module mode. */
  modinfo: string;
  /** "inline" (Go ≥ 1.18) or "pointer" (Go < 1.18). */
  format: "inline" | "pointer";
}

/**
 * Find and decode the build info of an ELF file. undefined when the file is not ELF or carries no Go build
 * info (most binaries); INPUT_MALFORMED when the header is there but what it points at is not.
 */
export function readGoBuildInfo(bytes: Uint8Array): RawBuildInfo | undefined {
  const elf = readElf(bytes);
  if (!elf) return undefined;
  const data = findHeader(elf, bytes);
  if (!data) return undefined;

  const ptrSize = data[14];
  const flags = data[15]!;
  let goVersion: string;
  let modinfo: string;
  let format: RawBuildInfo["format"];
  if ((flags & 2) !== 0) {
    format = "inline";
    const version = decodeString(data, HEADER_SIZE, MAX_VERSION, "Go version");
    goVersion = utf8(version.value);
    modinfo = stripSentinels(decodeString(data, version.next, MAX_MODINFO, "module info").value);
  } else {
    format = "pointer";
    // Only the pointer format reads the pointer size (Go ignores it in the inline format, and so does this).
    if (ptrSize !== 4 && ptrSize !== 8) {
      throw new VouchError("INPUT_MALFORMED", `Go build info header names pointer size ${ptrSize}; expected 4 or 8`);
    }
    const littleEndian = (flags & 1) === 0;
    goVersion = utf8(readGoString(elf, bytes, readPointer(data, 16, ptrSize, littleEndian), ptrSize, littleEndian, MAX_VERSION, "Go version"));
    modinfo = stripSentinels(readGoString(elf, bytes, readPointer(data, 16 + ptrSize, ptrSize, littleEndian), ptrSize, littleEndian, MAX_MODINFO, "module info"));
  }
  if (goVersion === "") throw new VouchError("INPUT_MALFORMED", "Go build info without a Go version");
  return { goVersion, modinfo, format };
}

/** The 16-byte aligned header and everything after it in the search window; undefined when there is none. */
function findHeader(elf: ElfFile, bytes: Uint8Array): Uint8Array | undefined {
  const windows: Uint8Array[] = [];
  const section = elf.sections.find((s) => s.name === ".go.buildinfo");
  if (section) {
    const b = sectionBytes(bytes, section);
    if (!b) throw new VouchError("INPUT_MALFORMED", "section .go.buildinfo lies past the end of the file (truncated binary?)");
    // The section holds the header and, in the pointer format, the string headers; the window reaches further
    // because the inline strings may run past a section size some linkers round down.
    windows.push(bytes.subarray(section.offset, Math.min(bytes.length, section.offset + Math.max(section.size, SEARCH_WINDOW))));
  }
  const data = elf.loads.find((l) => l.writable && l.fileSize > 0);
  if (data && data.offset < bytes.length) windows.push(bytes.subarray(data.offset, Math.min(bytes.length, data.offset + SEARCH_WINDOW)));
  for (const window of windows) {
    const found = searchAligned(window);
    if (found) return found;
  }
  return undefined;
}

/** Go's search: the first occurrence of the magic at a 16-byte aligned offset with a whole header after it. */
function searchAligned(window: Uint8Array): Uint8Array | undefined {
  let from = 0;
  for (;;) {
    const i = Buffer.from(window.buffer, window.byteOffset, window.byteLength).indexOf(MAGIC, from);
    if (i < 0 || window.length - i < HEADER_SIZE) return undefined;
    if (i % ALIGN === 0) return window.subarray(i);
    from = i + 1;
  }
}

function decodeString(data: Uint8Array, at: number, max: number, what: string): { value: Uint8Array; next: number } {
  let length = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    if (i >= data.length) throw new VouchError("INPUT_MALFORMED", `Go build info: ${what} length runs past the end of the data`);
    const b = data[i++]!;
    length += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 35) throw new VouchError("INPUT_MALFORMED", `Go build info: ${what} length is not a valid varint`);
  }
  if (length > max) throw new VouchError("INPUT_TOO_LARGE", `Go build info: ${what} of ${length} bytes exceeds the ${max}-byte limit`);
  if (i + length > data.length) throw new VouchError("INPUT_MALFORMED", `Go build info: ${what} (${length} bytes) runs past the end of the data (truncated binary?)`);
  return { value: data.subarray(i, i + length), next: i + length };
}

function readPointer(data: Uint8Array, at: number, ptrSize: number, littleEndian: boolean): number {
  const view = new DataView(data.buffer, data.byteOffset + at, ptrSize);
  if (ptrSize === 4) return view.getUint32(0, littleEndian);
  const v = view.getBigUint64(0, littleEndian);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}

/** A Go string header {data, len} at a virtual address, and the string it points at. */
function readGoString(elf: ElfFile, bytes: Uint8Array, addr: number, ptrSize: number, littleEndian: boolean, max: number, what: string): Uint8Array {
  const header = bytesAtAddress(elf, bytes, addr, 2 * ptrSize);
  if (!header) throw new VouchError("INPUT_MALFORMED", `Go build info: the ${what} string header is outside the file's loaded segments`);
  const dataAddr = readPointer(header, 0, ptrSize, littleEndian);
  const length = readPointer(header, ptrSize, ptrSize, littleEndian);
  if (length > max) throw new VouchError("INPUT_TOO_LARGE", `Go build info: ${what} of ${length} bytes exceeds the ${max}-byte limit`);
  if (length === 0) return new Uint8Array(0);
  const data = bytesAtAddress(elf, bytes, dataAddr, length);
  if (!data) throw new VouchError("INPUT_MALFORMED", `Go build info: the ${what} string is outside the file's loaded segments (truncated binary?)`);
  return data;
}

/** The sentinels are 16 bytes of binary each side: cut them on the bytes, before any UTF-8 decoding. */
function stripSentinels(modinfo: Uint8Array): string {
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === 0x0a) return utf8(modinfo.subarray(16, modinfo.length - 16));
  return "";
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}
