import { XMLParser, XMLValidator } from "fast-xml-parser";
import { VouchError } from "../../core/errors.js";

/**
 * XML reading shared by the Maven, Gradle and NuGet (csproj) catalogers: fast-xml-parser in a fixed, safe
 * configuration, and small accessors that only ever return own properties of the parsed tree (a hostile
 * file with a <constructor> or <__proto__> element must not reach Object.prototype).
 */

/** An element as fast-xml-parser returns it: child elements by name, attributes as "@name", text as "#text". */
export type XmlElement = Record<string, unknown>;

const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

/** Names fast-xml-parser refuses outright (it throws): renamed so one hostile element does not lose the file. */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

/** <pom:project xmlns:pom="..."> reads as <project>; reserved names get a trailing "_". */
function localName(name: string): string {
  const local = name.slice(name.indexOf(":") + 1);
  return RESERVED.has(local) ? `${local}_` : local;
}

function makeParser(positions: boolean): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    // Keep every value a string: "1.10" must not become the number 1.1.
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    // Cheaper than removeNSPrefix, which costs more than the rest of the parse on large files.
    transformTagName: localName,
    transformAttributeName: localName,
    ignoreDeclaration: true,
    ignorePiTags: true,
    // startIndex of each element, for the line numbers of warnings (about a fifth of the parse time).
    captureMetaData: positions,
  });
}

const parsers = { withPositions: makeParser(true), withoutPositions: makeParser(false) };

/**
 * Parse an XML document. A document that is not well-formed XML throws INPUT_MALFORMED with the line the
 * validator stopped at. `positions: false` skips recording element positions (LineIndex.lineOfElement then
 * knows none), for large files whose warnings are rare.
 */
export function parseXml(text: string, what: string, options: { positions?: boolean } = {}): XmlElement {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    const unclosed = unclosedTags(valid.err.msg);
    // A truncated file: the validator reports the tags left open, at line 1; the problem is at the end.
    if (unclosed) {
      throw new VouchError("INPUT_MALFORMED", `${what} ends before ${unclosed.map((t) => `<${t}>`).join(", ")} ${unclosed.length === 1 ? "is" : "are"} closed (truncated?)`, {
        line: body.split("\n").length,
      });
    }
    throw new VouchError("INPUT_MALFORMED", `${what} is not well-formed XML: ${valid.err.msg}`, { line: valid.err.line });
  }
  let doc: unknown;
  try {
    doc = (options.positions === false ? parsers.withoutPositions : parsers.withPositions).parse(body);
  } catch (err) {
    // The parser's own limits (nesting depth, entity expansion) end here.
    throw new VouchError("INPUT_MALFORMED", `${what} could not be read as XML: ${(err as Error).message}`, { cause: err });
  }
  if (!isElement(doc)) throw new VouchError("INPUT_MALFORMED", `${what} is empty`);
  return doc;
}

/** fast-xml-parser's validator reports open tags at end of input as "Invalid '[ "a", "b"]' found.". */
function unclosedTags(message: string): string[] | undefined {
  const m = /^Invalid '(\[[\s\S]*\])' found\.$/.exec(message);
  if (!m) return undefined;
  try {
    const tags: unknown = JSON.parse(m[1]!);
    return Array.isArray(tags) && tags.length > 0 && tags.every((t) => typeof t === "string") ? (tags as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export function isElement(value: unknown): value is XmlElement {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The single child element `name` (the first one when it repeats); undefined when absent or text-only. */
export function childElement(node: XmlElement | undefined, name: string): XmlElement | undefined {
  const value = ownValue(node, name);
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return isElement(first) ? first : undefined;
}

/** Every child element `name`, whether the document has one or many. */
export function childElements(node: XmlElement | undefined, name: string): XmlElement[] {
  const value = ownValue(node, name);
  const list = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
  // <dependency/> parses to "": an empty element still counts, as an element without children.
  return list.map((v) => (isElement(v) ? v : {}));
}

/** Trimmed text of the child element `name`; undefined when absent or empty. */
export function childText(node: XmlElement | undefined, name: string): string | undefined {
  const value = ownValue(node, name);
  return textOf(Array.isArray(value) ? (value as unknown[])[0] : value);
}

/** Text of every child element `name` that has text. */
export function childTexts(node: XmlElement | undefined, name: string): string[] {
  const value = ownValue(node, name);
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map(textOf).filter((t): t is string => t !== undefined);
}

/** True when the child element `name` is present at all, even empty (<relativePath/>). */
export function hasChild(node: XmlElement | undefined, name: string): boolean {
  return ownValue(node, name) !== undefined;
}

/** An attribute's value; undefined when absent. */
export function attribute(node: XmlElement | undefined, name: string): string | undefined {
  const value = ownValue(node, `@${name}`);
  return typeof value === "string" ? value : undefined;
}

/** The text content of a parsed value: a string, or an element's "#text" when it also has attributes. */
function textOf(value: unknown): string | undefined {
  const text = typeof value === "string" ? value : isElement(value) ? ownValue(value, "#text") : undefined;
  if (typeof text !== "string") return undefined;
  const trimmed = text.trim();
  return trimmed === "" ? undefined : trimmed;
}

function ownValue(node: XmlElement | undefined, key: string): unknown {
  return node !== undefined && Object.hasOwn(node, key) ? node[key] : undefined;
}

/** Maps character offsets to 1-based lines in O(log n), for the line numbers of many warnings. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    for (let i = body.indexOf("\n"); i !== -1; i = body.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The line an element starts on; undefined when the parser recorded no position. */
  lineOfElement(node: XmlElement): number | undefined {
    const meta = (node as Record<symbol, unknown>)[META];
    const start = isElement(meta) ? meta["startIndex"] : undefined;
    return typeof start === "number" ? this.lineOf(start) : undefined;
  }
}
