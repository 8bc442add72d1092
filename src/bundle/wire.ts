import { formatJsonPath, lineOfJsonPath, type JsonPath } from "../core/encoding/json-text.js";
import { VouchError } from "../core/errors.js";

/**
 * Readers for the protobuf JSON mapping (https://protobuf.dev/programming-guides/json/) that Sigstore bundles and
 * trusted roots are written in: bytes are base64, int64 are decimal strings (numbers accepted), Timestamps are RFC 3339,
 * and `null` or an absent field means the field's default. Every reader names the field it refused, with the line
 * when the document came as text: the wire is attacker-controlled, so nothing is trusted to have the right type.
 */
export class WireReader {
  /**
   * @param what names the document in messages ("bundle", "trusted root")
   * @param text the JSON text, when there is one: errors then carry the line of the field
   */
  constructor(
    private readonly what: string,
    private readonly file?: string,
    private readonly text?: string,
  ) {}

  /** Throw the coded error for `path`; the line is that of the field, or of its nearest parent that exists. */
  fail(path: JsonPath, message: string, code: "INPUT_MALFORMED" | "INPUT_UNSUPPORTED_FORMAT" = "INPUT_MALFORMED"): never {
    throw new VouchError(code, `${this.what}: ${formatJsonPath(path)}: ${message}`, {
      file: this.file,
      line: this.lineOf(path),
    });
  }

  /** 1-based line of the field at `path` (or of its nearest parent that exists), when the document came as text. */
  lineOf(path: JsonPath): number | undefined {
    if (this.text === undefined) return undefined;
    for (let end = path.length; end >= 0; end--) {
      const line = lineOfJsonPath(this.text, path.slice(0, end));
      if (line !== undefined) return line;
    }
    return undefined;
  }

  object(value: unknown, path: JsonPath): Record<string, unknown> {
    if (value === undefined || value === null) this.fail(path, "is missing");
    if (typeof value !== "object" || Array.isArray(value)) this.fail(path, `must be an object, not ${kindOf(value)}`);
    return value as Record<string, unknown>;
  }

  /** An object field that may be absent (undefined then). */
  optionalObject(value: unknown, path: JsonPath): Record<string, unknown> | undefined {
    return value === undefined || value === null ? undefined : this.object(value, path);
  }

  /** A repeated field: absent means empty. */
  array(value: unknown, path: JsonPath): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `must be an array, not ${kindOf(value)}`);
    return value;
  }

  /** A string field that must be present and non-empty. */
  string(value: unknown, path: JsonPath): string {
    const s = this.optionalString(value, path);
    if (s === "") this.fail(path, "is missing or empty");
    return s;
  }

  /** A string field whose default is "". */
  optionalString(value: unknown, path: JsonPath): string {
    if (value === undefined || value === null) return "";
    if (typeof value !== "string") this.fail(path, `must be a string, not ${kindOf(value)}`);
    return value;
  }

  /** A bytes field that must be present and non-empty. */
  bytes(value: unknown, path: JsonPath): Uint8Array {
    const b = this.optionalBytes(value, path);
    if (b === undefined || b.length === 0) this.fail(path, "is missing or empty");
    return b;
  }

  /** A bytes field; undefined when absent. */
  optionalBytes(value: unknown, path: JsonPath): Uint8Array | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") this.fail(path, `must be a base64 string, not ${kindOf(value)}`);
    const bytes = decodeBase64Strict(value);
    if (bytes === undefined) this.fail(path, "is not valid base64");
    return bytes;
  }

  /**
   * A non-negative int64 field (log indexes, tree sizes, times). Absent means 0. Kept as bigint: log indexes and
   * sizes are attacker-controlled and may exceed 2^53, where a number would silently round.
   */
  uint64(value: unknown, path: JsonPath): bigint {
    if (value === undefined || value === null) return 0n;
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value) || value < 0) this.fail(path, `must be a non-negative integer, not ${value}`);
      return BigInt(value);
    }
    if (typeof value !== "string") this.fail(path, `must be an integer string, not ${kindOf(value)}`);
    if (!/^\d{1,19}$/.test(value)) this.fail(path, `must be a non-negative decimal integer, not "${clip(value)}"`);
    const n = BigInt(value);
    if (n > INT64_MAX) this.fail(path, `${value} exceeds the int64 range`);
    return n;
  }

  /**
   * A google.protobuf.Timestamp (RFC 3339). Fractions finer than a millisecond are rounded toward the inside of a
   * validity window by the caller's choice: `ceil` for a start, `floor` for an end.
   */
  timestamp(value: unknown, path: JsonPath, round: "floor" | "ceil" = "floor"): Date {
    if (value === undefined || value === null) this.fail(path, "is missing");
    if (typeof value !== "string") this.fail(path, `must be an RFC 3339 string, not ${kindOf(value)}`);
    const ms = parseRfc3339(value, round);
    if (ms === undefined) this.fail(path, `is not an RFC 3339 timestamp: "${clip(value)}"`);
    return new Date(ms);
  }

  /** A protobuf enum given by name (or, as the JSON mapping allows, by number through `byNumber`). */
  enumName(value: unknown, path: JsonPath, byNumber: readonly string[] = []): string {
    if (typeof value === "number" && Number.isInteger(value) && byNumber[value] !== undefined) return byNumber[value];
    return this.string(value, path);
  }
}

const INT64_MAX = (1n << 63n) - 1n;

/**
 * Base64 as the protobuf JSON mapping accepts it (standard or URL-safe alphabet, padding optional), and nothing else:
 * no stray characters, no impossible lengths. Node's decoder silently skips characters it does not know, so
 * "INVALID!!!" would otherwise decode to something; a signature must not be guessed at. Line breaks are the one
 * exception, as in Go's decoder behind sigstore-go's protojson: `base64` wraps its output at 76 columns and real
 * bundles carry such values (sigstore-conformance rekor2-timestamp-with-incorrect-time_fail).
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.includes("\n") || text.includes("\r")) text = text.replace(/[\r\n]/g, "");
  const match = /^([A-Za-z0-9+/]*|[A-Za-z0-9_-]*)(={0,2})$/.exec(text);
  if (!match) return undefined;
  const body = match[1]!.length;
  const padding = match[2]!.length;
  if (body % 4 === 1) return undefined;
  if (padding > 0 && (body + padding) % 4 !== 0) return undefined;
  // A plain Uint8Array (over Buffer's memory, no copy): the contract's type, which compares equal to other Uint8Arrays.
  const buffer = Buffer.from(text, "base64");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 date-time with an explicit offset; undefined when invalid. */
export function parseRfc3339(text: string, round: "floor" | "ceil" = "floor"): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = (m[7] ?? "").padEnd(9, "0");
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3)));
  // Date.UTC rolls 31 February over into March: a day that does not exist in its month is refused.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  if (round === "ceil" && Number(fraction.slice(3)) > 0) ms += 1;
  const offset = m[8]!;
  if (offset !== "Z") {
    const sign = offset[0] === "-" ? -1 : 1;
    const [oh, om] = offset.slice(1).split(":").map(Number) as [number, number];
    if (oh > 23 || om > 59) return undefined;
    ms -= sign * (oh * 60 + om) * 60_000;
  }
  return ms;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
