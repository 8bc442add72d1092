import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { decodeBase64Strict, encodeBase64, parseRfc3339, WireReader } from "./wire.js";

describe("decodeBase64Strict", () => {
  it.each([
    ["AQID", [1, 2, 3]],
    ["AQI=", [1, 2]],
    ["AQI", [1, 2]],
    ["AQ==", [1]],
    ["AQ", [1]],
    ["+/8=", [0xfb, 0xff]],
    ["-_8", [0xfb, 0xff]],
    ["AQ\nID", [1, 2, 3]],
    ["", []],
  ])("decodes %j", (text, bytes) => {
    expect(decodeBase64Strict(text)).toEqual(new Uint8Array(bytes));
  });

  it.each(["INVALID!!!BASE64!!!ENCODING====", "AQ ID", "AQID\t", "A", "AQIDB", "AQ=", "AQI==", "AQ===", "+_8=", "AQ==AQ==", "é"])(
    "refuses %j",
    (text) => {
      expect(decodeBase64Strict(text)).toBeUndefined();
    },
  );

  it("returns a plain Uint8Array and encodes back to padded standard base64", () => {
    const bytes = decodeBase64Strict("-_8")!;
    expect(bytes.constructor).toBe(Uint8Array);
    expect(encodeBase64(bytes)).toBe("+/8=");
    expect(encodeBase64(new Uint8Array([9, 1, 2, 3]).subarray(1))).toBe("AQID");
  });
});

describe("parseRfc3339", () => {
  it.each([
    ["2021-01-12T11:53:27Z", "2021-01-12T11:53:27.000Z"],
    ["2021-01-12T11:53:27.5Z", "2021-01-12T11:53:27.500Z"],
    ["2022-10-31T23:59:59.999000Z", "2022-10-31T23:59:59.999Z"],
    ["2026-06-04T12:43:29.186617431Z", "2026-06-04T12:43:29.186Z"],
    ["2021-01-12T13:53:27+02:00", "2021-01-12T11:53:27.000Z"],
    ["2021-01-12T09:23:27-02:30", "2021-01-12T11:53:27.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
  ])("%s", (text, iso) => {
    expect(new Date(parseRfc3339(text)!).toISOString()).toBe(iso);
  });

  it("rounds a sub-millisecond fraction up for a window start", () => {
    expect(new Date(parseRfc3339("2026-06-04T12:43:29.186617431Z", "ceil")!).toISOString()).toBe("2026-06-04T12:43:29.187Z");
    expect(new Date(parseRfc3339("2026-06-04T12:43:29.186000Z", "ceil")!).toISOString()).toBe("2026-06-04T12:43:29.186Z");
  });

  it.each(["2021-01-12", "2021-01-12T11:53:27", "2021-01-12 11:53:27Z", "2021-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2021-01-12T24:00:00Z", "2021-01-12T11:53:27.1234567890Z", "2021-01-12t11:53:27z"])(
    "refuses %s",
    (text) => {
      expect(parseRfc3339(text)).toBeUndefined();
    },
  );
});

describe("WireReader", () => {
  const text = '{\n  "a": {\n    "b": "x"\n  },\n  "n": "12"\n}';
  const w = new WireReader("doc", "doc.json", text);

  it("names the field and its line, or its parent's when the field is absent", () => {
    const bad = thrownVouchError(() => w.uint64("x", ["a", "b"]));
    expect(bad.describe()).toBe('doc.json:3: doc: a.b: must be a non-negative decimal integer, not "x"');
    const missing = thrownVouchError(() => w.string(undefined, ["a", "c"]));
    expect(missing.describe()).toBe("doc.json:2: doc: a.c: is missing or empty");
  });

  it("reads defaults for absent fields", () => {
    expect(w.uint64(undefined, ["n"])).toBe(0n);
    expect(w.uint64(null, ["n"])).toBe(0n);
    expect(w.optionalString(undefined, ["s"])).toBe("");
    expect(w.array(null, ["l"])).toEqual([]);
    expect(w.optionalBytes(undefined, ["b"])).toBeUndefined();
  });

  it("refuses wrong types with what was found", () => {
    expect(thrownVouchError(() => w.object([], ["a"])).message).toBe("doc: a: must be an object, not an array");
    expect(thrownVouchError(() => w.string(7, ["a"])).message).toBe("doc: a: must be a string, not a number");
    expect(thrownVouchError(() => w.bytes({}, ["a"])).message).toBe("doc: a: must be a base64 string, not an object");
    expect(thrownVouchError(() => w.uint64(2 ** 53, ["a"])).message).toBe("doc: a: must be a non-negative integer, not 9007199254740992");
  });
});
