import { VouchError } from "../../core/errors.js";
import { formatJsonPath, lineOfJsonPath, locateJsonPaths, type JsonPath } from "../../core/encoding/json-text.js";
import type { ReadWarning } from "./types.js";

/**
 * Narrowing of attacker-controlled JSON at the edge. Every field an SBOM reader looks at goes through here, so a
 * wrong type is either a clear INPUT_MALFORMED naming the field and line (when the document's shape is broken:
 * `components` is not an array) or a warning naming the field (a single field is unusable: it is ignored).
 * Nothing downstream ever sees an unchecked value, so no TypeError can come out of a hostile file.
 */

export type JsonObject = { readonly [key: string]: unknown };

/** Warnings kept per file: beyond this only the count grows (a broken generator can emit thousands). */
const MAX_WARNINGS = 100;

/** 1-based lines of several offsets in one pass (lineOfOffset per warning would rescan the text each time). */
function linesOfOffsets(text: string, offsets: readonly (number | undefined)[]): (number | undefined)[] {
  const order = offsets.map((offset, i) => ({ offset, i })).filter((x): x is { offset: number; i: number } => x.offset !== undefined);
  order.sort((a, b) => a.offset - b.offset);
  const lines: (number | undefined)[] = offsets.map(() => undefined);
  let line = 1;
  let position = 0;
  for (const { offset, i } of order) {
    for (; position < offset; position++) if (text.charCodeAt(position) === 10) line++;
    lines[i] = line;
  }
  return lines;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const t = typeof value;
  return t === "object" ? "an object" : t === "undefined" ? "nothing" : `a ${t}`;
}

/** A value from the document, quoted and cut short for a message (attacker text must not flood the terminal). */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : describeType(value);
  const clipped = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return typeof value === "string" ? JSON.stringify(clipped) : clipped;
}

export class Wire {
  private readonly pending: { path: JsonPath; message: string }[] = [];
  private count = 0;

  constructor(
    /** The document's text, for line numbers. */
    readonly source: string,
    readonly file: string,
  ) {}

  /** The document's structure is broken at `path`: stop with INPUT_MALFORMED pointing at its line. */
  fail(path: JsonPath, message: string): never {
    throw new VouchError("INPUT_MALFORMED", `${formatJsonPath(path)}: ${message}`, {
      file: this.file,
      line: lineOfJsonPath(this.source, path),
    });
  }

  /** A well-formed document vouch does not read (other format, other version). */
  unsupported(path: JsonPath, message: string): never {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", message, {
      file: this.file,
      line: path.length === 0 ? undefined : lineOfJsonPath(this.source, path),
    });
  }

  warn(path: JsonPath, message: string): void {
    this.count++;
    if (this.pending.length < MAX_WARNINGS) this.pending.push({ path: [...path], message });
  }

  /** The warnings in document order, each with its line (one scan of the text for all of them). */
  warnings(): { warnings: ReadWarning[]; warningCount: number } {
    const offsets = this.pending.length === 0 ? [] : locateJsonPaths(this.source, this.pending.map((w) => w.path));
    const lines = linesOfOffsets(this.source, offsets);
    const warnings = this.pending
      .map((w, i) => ({ w, i, offset: offsets[i] ?? Number.MAX_SAFE_INTEGER }))
      .sort((a, b) => a.offset - b.offset || a.i - b.i)
      .map(({ w, i }): ReadWarning => {
        const out: ReadWarning = { path: formatJsonPath(w.path), message: w.message };
        if (lines[i] !== undefined) out.line = lines[i];
        return out;
      });
    return { warnings, warningCount: this.count };
  }

  /** A string field; absent or null is undefined, any other type is warned about and ignored. */
  string(obj: JsonObject, key: string, path: JsonPath): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value;
    this.warn([...path, key], `expected a string, found ${describeType(value)}: ignored`);
    return undefined;
  }

  /** A string field, trimmed; empty is undefined. */
  text(obj: JsonObject, key: string, path: JsonPath): string | undefined {
    const value = this.string(obj, key, path)?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** An object field; absent or null is undefined, any other type is warned about and ignored. */
  object(obj: JsonObject, key: string, path: JsonPath): JsonObject | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (isObject(value)) return value;
    this.warn([...path, key], `expected an object, found ${describeType(value)}: ignored`);
    return undefined;
  }

  /**
   * An array field; absent or null is empty. Of the wrong type it is fatal when `structural` (the document's main
   * lists: without them nothing sensible can be read), else warned about and ignored.
   */
  array(obj: JsonObject, key: string, path: JsonPath, structural: boolean): readonly unknown[] {
    const value = obj[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    const message = `expected an array, found ${describeType(value)}`;
    if (structural) this.fail([...path, key], message);
    this.warn([...path, key], `${message}: ignored`);
    return [];
  }

  /** The object entries of an array; other entries are fatal when `structural`, else warned about and skipped. */
  objects(items: readonly unknown[], path: JsonPath, structural: boolean): { value: JsonObject; path: JsonPath }[] {
    const out: { value: JsonObject; path: JsonPath }[] = [];
    items.forEach((item, index) => {
      const itemPath = [...path, index];
      if (isObject(item)) out.push({ value: item, path: itemPath });
      else if (structural) this.fail(itemPath, `expected an object, found ${describeType(item)}`);
      else this.warn(itemPath, `expected an object, found ${describeType(item)}: skipped`);
    });
    return out;
  }

  /** The string entries of an array (trimmed, non-empty); others are warned about and skipped. */
  strings(items: readonly unknown[], path: JsonPath): string[] {
    const out: string[] = [];
    items.forEach((item, index) => {
      if (typeof item === "string") {
        if (item.trim() !== "") out.push(item.trim());
      } else this.warn([...path, index], `expected a string, found ${describeType(item)}: skipped`);
    });
    return out;
  }
}
