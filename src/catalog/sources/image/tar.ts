import { VouchError } from "../../../core/errors.js";

/**
 * A small tar reader: POSIX ustar, GNU long names/links ('L'/'K'), and PAX extended headers ('x'; global 'g'
 * headers are skipped, as Go's archive/tar does). Two drivers share the header parser: a push parser for
 * layer streams (nothing is buffered but the current header and the bodies the caller asks for), and an
 * index over a tar file read with positioned reads (an oci-archive or docker save, opened in place).
 *
 * Everything in a header is attacker-controlled: checksums are verified, sizes are bounded, and names are
 * returned as written (the caller normalises them: see normalizeEntryPath).
 */

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "other";

export interface TarHeader {
  /** Name as written (PAX path / GNU long name applied), not normalised. */
  name: string;
  type: TarEntryType;
  /** The raw typeflag ("0", "5", "S", ...), for messages. */
  typeflag: string;
  /** Body size in bytes (0 for links and directories). */
  size: number;
  mode: number;
  /** Symlink or hard link target as written. */
  linkName: string;
}

const BLOCK = 512;
/** PAX and GNU long-name bodies are names, not data: a few MiB is already absurd. */
const MAX_META_BODY = 1024 * 1024;

function malformed(message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", message);
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function cString(b: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString("utf8");
}

/** A numeric field: octal ASCII, or base-256 (GNU) when the high bit of the first byte is set. */
function numeric(b: Uint8Array, start: number, length: number, field: string): number {
  if (b[start]! & 0x80) {
    if (b[start] === 0xff) throw malformed(`tar header: negative ${field}`);
    let n = b[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      n = n * 256 + b[i]!;
      if (n > Number.MAX_SAFE_INTEGER) throw malformed(`tar header: ${field} out of range`);
    }
    return n;
  }
  const text = cString(b, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw malformed(`tar header: ${field} is not an octal number (${JSON.stringify(text)})`);
  const n = parseInt(text, 8);
  if (!Number.isSafeInteger(n)) throw malformed(`tar header: ${field} out of range`);
  return n;
}

function verifyChecksum(b: Uint8Array): void {
  const stored = numeric(b, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  if (stored !== unsigned && stored !== signed) throw malformed("tar header checksum mismatch (not a tar, or a corrupt layer)");
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case "0":
    case "\0":
    case "":
    case "7":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "5":
      return "dir";
    default:
      return "other";
  }
}

interface RawHeader {
  name: string;
  linkName: string;
  size: number;
  mode: number;
  typeflag: string;
}

function parseRawHeader(b: Uint8Array): RawHeader {
  verifyChecksum(b);
  const typeflag = String.fromCharCode(b[156]!);
  let name = cString(b, 0, 100);
  // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU ("ustar  ") uses that area otherwise.
  const magic = cString(b, 257, 6);
  if (magic === "ustar" && b[262] === 0) {
    const prefix = cString(b, 345, 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  return {
    name,
    linkName: cString(b, 157, 100),
    size: numeric(b, 124, 12, "size"),
    mode: numeric(b, 100, 8, "mode"),
    typeflag: typeflag === "\0" ? "0" : typeflag,
  };
}

/** PAX records: "<length> <key>=<value>\n", length counting the whole record. */
export function parsePax(body: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    let sp = pos;
    while (sp < body.length && body[sp] !== 0x20) sp++;
    if (sp === body.length) {
      // NUL padding after the last record is tolerated.
      if (body.subarray(pos).every((x) => x === 0)) break;
      throw malformed("PAX header: record without a length");
    }
    const lenText = Buffer.from(body.subarray(pos, sp)).toString("latin1");
    const len = /^[1-9][0-9]*$/.test(lenText) ? Number(lenText) : NaN;
    if (!Number.isSafeInteger(len) || pos + len > body.length || len <= sp - pos + 1) throw malformed("PAX header: bad record length");
    const record = Buffer.from(body.subarray(sp + 1, pos + len));
    if (record[record.length - 1] !== 0x0a) throw malformed("PAX header: record does not end in a newline");
    const text = record.subarray(0, record.length - 1).toString("utf8");
    const eq = text.indexOf("=");
    if (eq <= 0) throw malformed("PAX header: record without key=value");
    records.set(text.slice(0, eq), text.slice(eq + 1));
    pos += len;
  }
  return records;
}

/** Folds PAX and GNU long-name pseudo-entries into the header that follows them. */
class HeaderAssembler {
  private pax?: Map<string, string>;
  private longName?: string;
  private longLink?: string;

  /** True when the raw header is a pseudo-entry whose body must be handed to `meta`. */
  isMeta(raw: RawHeader): boolean {
    return raw.typeflag === "x" || raw.typeflag === "g" || raw.typeflag === "L" || raw.typeflag === "K";
  }

  meta(raw: RawHeader, body: Uint8Array): void {
    switch (raw.typeflag) {
      case "x":
        this.pax = parsePax(body);
        break;
      case "L":
        this.longName = cString(body, 0, body.length);
        break;
      case "K":
        this.longLink = cString(body, 0, body.length);
        break;
      // "g": global PAX headers apply to the whole archive; layers do not use them for names or sizes.
    }
  }

  finish(raw: RawHeader): TarHeader {
    let { name, linkName, size } = raw;
    if (this.longName !== undefined) name = this.longName;
    if (this.longLink !== undefined) linkName = this.longLink;
    const pax = this.pax;
    if (pax) {
      name = pax.get("path") ?? name;
      linkName = pax.get("linkpath") ?? linkName;
      const paxSize = pax.get("size");
      if (paxSize !== undefined) {
        if (!/^[0-9]+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) throw malformed(`PAX header: bad size ${JSON.stringify(paxSize)}`);
        size = Number(paxSize);
      }
    }
    this.pax = this.longName = this.longLink = undefined;
    const type = typeOf(raw.typeflag);
    // Links and directories carry no body, whatever the size field says (hard links in some tars do).
    return { name, type, typeflag: raw.typeflag, size: type === "file" || type === "other" ? size : 0, mode: raw.mode, linkName };
  }

  /** The body size to skip for an entry (a hard link's size field may be non-zero; its body is still empty). */
  static bodySize(raw: RawHeader, header: TarHeader): number {
    return raw.typeflag === "1" || raw.typeflag === "2" || raw.typeflag === "5" ? 0 : header.size;
  }
}

/** What the caller does with an entry's body: keep it (handed over whole) or skip it. */
export type TarEntryHandler = (header: TarHeader) => ((body: Uint8Array) => void) | undefined;

/**
 * A push parser for a tar stream. `push` chunks as they arrive, then `end()`: it throws INPUT_MALFORMED
 * when the stream stops inside an entry (a truncated layer).
 */
export class TarStreamParser {
  private readonly onEntry: TarEntryHandler;
  private readonly assembler = new HeaderAssembler();
  private readonly headerBuf = new Uint8Array(BLOCK);
  private headerFill = 0;
  private state: "header" | "body" | "padding" | "done" = "header";
  private remaining = 0;
  private padding = 0;
  private raw?: RawHeader;
  private current?: TarHeader;
  private sink?: (body: Uint8Array) => void;
  private chunks: Uint8Array[] = [];
  private metaBody = false;
  private zeroBlocks = 0;
  /** Entries seen (real entries, not PAX/GNU pseudo-entries). */
  entries = 0;

  constructor(onEntry: TarEntryHandler) {
    this.onEntry = onEntry;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case "done":
          return; // Bytes after the end-of-archive marker (block padding) are ignored.
        case "header": {
          const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
          this.headerBuf.set(chunk.subarray(pos, pos + n), this.headerFill);
          this.headerFill += n;
          pos += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader();
          }
          break;
        }
        case "body": {
          const n = Math.min(this.remaining, chunk.length - pos);
          if (this.sink || this.metaBody) this.chunks.push(chunk.slice(pos, pos + n));
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.endBody();
          break;
        }
        case "padding": {
          const n = Math.min(this.padding, chunk.length - pos);
          this.padding -= n;
          pos += n;
          if (this.padding === 0) this.state = "header";
          break;
        }
      }
    }
  }

  /** The stream ended: fine at an entry boundary (with or without the two zero blocks), an error inside one. */
  end(): void {
    if (this.state === "body" || this.state === "padding" || this.headerFill !== 0) {
      const what = this.current ? ` in ${JSON.stringify(this.current.name)}` : this.metaBody ? " in an extended header" : "";
      throw malformed(`tar stream truncated${what}`);
    }
  }

  private onHeader(): void {
    const b = this.headerBuf;
    if (isZeroBlock(b)) {
      if (++this.zeroBlocks === 2) this.state = "done";
      return;
    }
    if (this.zeroBlocks > 0) throw malformed("tar stream: data after an empty block");
    const raw = parseRawHeader(b);
    if (this.assembler.isMeta(raw)) {
      if (raw.size > MAX_META_BODY) throw malformed(`tar extended header of ${raw.size} bytes`);
      this.raw = raw;
      this.current = undefined;
      this.metaBody = true;
      this.startBody(raw.size);
      return;
    }
    const header = this.assembler.finish(raw);
    this.entries++;
    this.raw = raw;
    this.current = header;
    this.metaBody = false;
    this.sink = this.onEntry(header);
    this.startBody(HeaderAssembler.bodySize(raw, header));
  }

  private startBody(size: number): void {
    this.chunks = [];
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.endBody();
    else this.state = "body";
  }

  private endBody(): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    if (this.metaBody) {
      this.assembler.meta(this.raw!, body);
      this.metaBody = false;
    } else if (this.sink) {
      this.sink(body);
    }
    this.sink = undefined;
    this.current = undefined;
    this.state = this.padding > 0 ? "padding" : "header";
  }
}

/** A member of a tar file, located for positioned reads. */
export interface TarMember {
  header: TarHeader;
  /** Byte offset of the body in the file. */
  offset: number;
}

/** Reads `length` bytes at `position`; fewer only at end of file. */
export type PositionedRead = (buffer: Uint8Array, position: number) => Promise<number>;

/**
 * Index every member of an uncompressed tar file without reading bodies (an oci-archive or docker save):
 * name (normalised, see normalizeEntryPath) -> member. Later entries win, as when extracting.
 */
export async function indexTarFile(read: PositionedRead, fileSize: number, maxEntries: number): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const assembler = new HeaderAssembler();
  const block = new Uint8Array(BLOCK);
  let pos = 0;
  let zeroBlocks = 0;
  for (;;) {
    const n = await read(block, pos);
    if (n === 0 && pos === fileSize) break;
    if (n < BLOCK) throw malformed("archive truncated (a tar header is cut short)");
    pos += BLOCK;
    if (isZeroBlock(block)) {
      if (++zeroBlocks === 2) break;
      continue;
    }
    if (zeroBlocks > 0) throw malformed("archive: data after an empty block");
    const raw = parseRawHeader(block);
    const padded = (size: number) => size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (assembler.isMeta(raw)) {
      if (raw.size > MAX_META_BODY) throw malformed(`archive: extended header of ${raw.size} bytes`);
      const body = new Uint8Array(raw.size);
      if ((await read(body, pos)) < raw.size) throw malformed("archive truncated (in an extended header)");
      assembler.meta(raw, body);
      pos += padded(raw.size);
      continue;
    }
    const header = assembler.finish(raw);
    const size = HeaderAssembler.bodySize(raw, header);
    if (pos + size > fileSize) throw malformed(`archive truncated (${JSON.stringify(header.name)} is cut short)`);
    const normal = normalizeEntryPath(header.name);
    if (normal.path !== undefined && normal.path !== "") members.set(normal.path, { header, offset: pos });
    if (members.size > maxEntries) throw new VouchError("INPUT_TOO_LARGE", `archive has more than ${maxEntries} entries`);
    pos += padded(size);
  }
  return members;
}

/**
 * A tar entry name as a root-relative POSIX path. "./" and "/" prefixes are dropped (an absolute name is
 * noted: image layers should not have them); "." and empty segments vanish; ".." is resolved lexically, and a
 * name that climbs above the root is refused (path undefined): nothing outside the image is addressable.
 */
export function normalizeEntryPath(name: string): { path?: string; note?: string } {
  const absolute = name.startsWith("/");
  const out: string[] = [];
  let dotdot = false;
  for (const seg of name.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      dotdot = true;
      if (out.length === 0) return { note: `entry ${JSON.stringify(name)} climbs out of the image root; refused` };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const path = out.join("/");
  if (dotdot) return { path, note: `entry ${JSON.stringify(name)} has ".." segments; read as ${JSON.stringify(path)}` };
  if (absolute) return { path, note: `entry ${JSON.stringify(name)} is an absolute path; read as ${JSON.stringify(path)}` };
  return { path };
}
