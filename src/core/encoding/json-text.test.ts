import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { firstSyntaxErrorOffset, formatJsonPath, lineOfJsonPath, locateJsonPath, locateJsonPaths, parseJsonText } from "./json-text.js";

const malformed = (text: string) => thrownVouchError(() => parseJsonText(text, "x.json"));

describe("parseJsonText", () => {
  it("parses JSON, with or without a byte order mark", () => {
    expect(parseJsonText('{"a": [1, "b"]}', "x.json")).toEqual({ a: [1, "b"] });
    expect(parseJsonText('\uFEFF{"a": 1}', "x.json")).toEqual({ a: 1 });
  });

  it("names the line of a syntax error V8 reports with a position", () => {
    const error = malformed('{\n  "a": 1,\n  "b": 2\n  "c": 3\n}');
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.location).toEqual({ file: "x.json", line: 4 });
    expect(error.describe()).toMatch(/^x\.json:4: not valid JSON: /);
  });

  it("finds the line itself when V8's message has no position", () => {
    // "Unexpected token '}', ..." carries no position.
    const error = malformed('{\n  "a": tru\n}');
    expect(error.location.line).toBe(2);
  });

  it("points a truncated document at its last line", () => {
    expect(malformed('{\n  "a": [\n    1,\n').location.line).toBe(4);
    expect(malformed("").location.line).toBe(1);
  });

  it("keeps the message on one line when V8 quotes text with newlines in it", () => {
    const error = malformed("this is not JSON\nat all\n");
    expect(error.message).not.toContain("\n");
    expect(error.location.line).toBe(1);
  });

  it("counts the byte order mark when it computes the line", () => {
    expect(malformed('\uFEFF{\n"a": 1 2}').location.line).toBe(2);
  });
});

describe("locateJsonPath", () => {
  const text = '{\n  "packages": [\n    {"name": "a"},\n    {\n      "name": "b",\n      "versionInfo": 5\n    }\n  ],\n  "x": {"y\\"z": [true, null]}\n}';

  it("finds values by key and index", () => {
    expect(lineOfJsonPath(text, ["packages"])).toBe(2);
    expect(lineOfJsonPath(text, ["packages", 1])).toBe(4);
    expect(lineOfJsonPath(text, ["packages", 1, "versionInfo"])).toBe(6);
    expect(text.slice(locateJsonPath(text, ["x", 'y"z', 1])!).startsWith("null")).toBe(true);
  });

  it("says undefined for paths that are not there", () => {
    expect(locateJsonPath(text, ["packages", 2])).toBeUndefined();
    expect(locateJsonPath(text, ["nope"])).toBeUndefined();
    expect(locateJsonPath(text, ["packages", "name"])).toBeUndefined();
    expect(locateJsonPath("{broken", ["a"])).toBeUndefined();
  });
});

describe("locateJsonPaths", () => {
  it("finds many paths in one pass, in any order, skipping missing ones", () => {
    const text = '{\n "a": [\n  {"b": 1},\n  {"b": 2}\n ],\n "c": "x"\n}';
    const offsets = locateJsonPaths(text, [["c"], ["a", 1, "b"], ["a", 9], ["a", 0], ["a", 0, "b"], []]);
    expect(offsets.map((o) => (o === undefined ? undefined : text.slice(o, o + 3)))).toEqual(['"x"', "2}\n", undefined, '{"b', "1},", "{\n "]);
  });

  it("keeps the offsets of the text as given when it starts with a byte order mark", () => {
    const text = '\uFEFF{"a": 1}';
    expect(locateJsonPaths(text, [["a"]])).toEqual([7]);
  });
});

describe("firstSyntaxErrorOffset", () => {
  it("is undefined for valid JSON and the offset of the first error otherwise", () => {
    expect(firstSyntaxErrorOffset(' {"a": [1, -2.5e3, "x\\n", true, false, null]} ')).toBeUndefined();
    expect(firstSyntaxErrorOffset('{"a": 01}')).toBe(7);
    expect(firstSyntaxErrorOffset('{"a": 1} x')).toBe(9);
    expect(firstSyntaxErrorOffset('["a\nb"]')).toBe(3);
  });

  it("gives up without throwing on nesting deeper than the stack", () => {
    expect(firstSyntaxErrorOffset("[".repeat(200_000))).toBeUndefined();
  });
});

describe("formatJsonPath", () => {
  it("writes paths the way people read them", () => {
    expect(formatJsonPath(["packages", 3, "checksums", 0, "checksumValue"])).toBe("packages[3].checksums[0].checksumValue");
    expect(formatJsonPath([])).toBe("(document)");
  });
});
