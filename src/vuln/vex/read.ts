import { VouchError } from "../../core/errors.js";

/**
 * Field readers shared by the VEX parsers: each failure throws INPUT_MALFORMED naming the document and the JSON
 * path of the field (`statements[2].products[0].@id`), as the OSV parser does.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 3339 date-time (the OpenVEX schema's `format: date-time`; CycloneDX's too). */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class FieldReader {
  constructor(private readonly what: string) {}

  fail(path: string, problem: string): never {
    throw new VouchError("INPUT_MALFORMED", `${this.what}: ${path} ${problem}`);
  }

  string(obj: JsonObject, key: string, path: string, required: true): string;
  string(obj: JsonObject, key: string, path: string, required?: false): string | undefined;
  string(obj: JsonObject, key: string, path: string, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.fail(join(path, key), "is missing");
      return undefined;
    }
    if (typeof v !== "string") this.fail(join(path, key), "must be a string");
    if (required && v.length === 0) this.fail(join(path, key), "must not be empty");
    return v;
  }

  enumString<T extends string>(obj: JsonObject, key: string, path: string, values: readonly T[], required: boolean): T | undefined {
    const v = this.string(obj, key, path, required as false);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) this.fail(join(path, key), `must be one of ${values.join(", ")} (got ${JSON.stringify(v)})`);
    return v as T;
  }

  timestamp(obj: JsonObject, key: string, path: string, required = false): string | undefined {
    const v = this.string(obj, key, path, required as false);
    if (v === undefined) return undefined;
    if (!TIMESTAMP.test(v) || Number.isNaN(Date.parse(v))) this.fail(join(path, key), `must be an RFC 3339 date-time (got ${JSON.stringify(v)})`);
    return v;
  }

  array(obj: JsonObject, key: string, path: string, required = false): unknown[] | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.fail(join(path, key), "is missing");
      return undefined;
    }
    if (!Array.isArray(v)) this.fail(join(path, key), "must be an array");
    return v;
  }

  stringList(obj: JsonObject, key: string, path: string): string[] {
    const list = this.array(obj, key, path) ?? [];
    return list.map((item, i) => {
      if (typeof item !== "string") this.fail(`${join(path, key)}[${i}]`, "must be a string");
      return item;
    });
  }

  object(value: unknown, path: string): JsonObject {
    if (!isObject(value)) this.fail(path, "must be an object");
    return value;
  }
}

export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Parse JSON text, refusing anything but an object at the top. */
export function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new VouchError("INPUT_MALFORMED", `${what}: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (!isObject(value)) throw new VouchError("INPUT_MALFORMED", `${what}: not a JSON object`);
  return value;
}

/**
 * An RFC 3339 instant as nanoseconds since the epoch, so statements written nanoseconds apart (vexctl writes
 * nine fraction digits) still order correctly; Date keeps only milliseconds.
 */
export function instant(timestamp: string): bigint {
  const m = TIMESTAMP.exec(timestamp);
  if (!m) throw new VouchError("INPUT_MALFORMED", `not an RFC 3339 date-time: ${timestamp}`);
  const seconds = Date.parse(`${m[1]}T${m[2]}${m[4]!.toUpperCase()}`);
  const fraction = (m[3] ?? ".").slice(1).padEnd(9, "0").slice(0, 9);
  return BigInt(seconds) * 1_000_000n + BigInt(fraction);
}
